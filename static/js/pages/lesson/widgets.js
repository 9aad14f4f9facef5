// A lesson's live widgets, mounted as /widget/<type> mounts one (widget-host.js): the module
// imported, a store per widget from the module's fields with the lesson's initial state
// applied by key, the socket scoped to a lane named by the widget's id. The store keeps the
// state in memory only: several widgets share the page, so none of them writes the URL.
// Every widget, the playground too, is mounted in the page: one socket, no frame.
// A widget that cannot be loaded says so in its place; the rest of the lesson still works.

import { scoped } from "../../lib/socket.js";
import { defaults, memoryStore, readUrl, writeQuery } from "../../lib/state.js";

// Frames to wait, once the engine has answered, for a value that is still not there (a widget that
// draws on a later frame); a value that is there is read at once, whether it moved or not.
const LATE_FRAMES = 30;

/** The value at `path` ("output.shape.1") inside `root`, or undefined. */
export function readPath(root, path) {
  return path.split(".").reduce((node, key) => (node == null ? undefined : node[key]), root);
}

function sameValue(a, b) {
  if (a && typeof a === "object" && b && typeof b === "object") {
    return a.length === b.length && Array.from(a).every((v, i) => Math.fround(v) === Math.fround(b[i]));
  }
  return String(a) === String(b);
}

/**
 * The store's first state: the defaults, then the lesson's `state` by key, read the way a URL
 * is read (out-of-range or inconsistent values fall back). Keys the widget does not have and
 * values it refuses are reported, so a lesson's mistake shows (and fails its test).
 */
function initialState(table, limits, state) {
  const keys = new Set(table.fields.map((f) => f.key));
  const unknown = Object.keys(state).filter((k) => !keys.has(k));
  const wanted = { ...defaults(table.fields), ...state };
  const read = readUrl(writeQuery(wanted, table), limits, table);
  const refused = Object.keys(state).filter((k) => keys.has(k) && !sameValue(read[k], state[k]));
  const problems = [
    ...unknown.map((k) => `“${k}” is not a setting of this widget (its settings: ${[...keys].join(", ")})`),
    ...refused.map((k) => `${k}: ${JSON.stringify(state[k])} is out of range or does not fit the other settings`),
  ];
  return { state: read, problems };
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

/** The widget's lane of the socket, keeping its requests in flight: a reveal waits for their answers. */
function trackedLane(socket, id) {
  const lane = scoped(socket, id);
  const pending = new Set();
  return {
    pending,
    socket: {
      ...lane,
      request(type, params) {
        const answer = lane.request(type, params);
        pending.add(answer);
        const done = () => pending.delete(answer);
        answer.then(done, done);
        return answer;
      },
      get connected() {
        return lane.connected;
      },
      get opened() {
        return lane.opened;
      },
    },
  };
}

/** Until the widget's requests, those sent in answer to others included, have all been answered. */
async function answered(pending) {
  await nextFrame(); // a widget may send its request on the next frame (a debounce of one)
  while (pending.size) {
    await Promise.allSettled([...pending]);
    await nextFrame();
  }
}

/**
 * Mount the widget of `figure` (spec from the page data: {type, state, title, module, missing}).
 * Returns {loaded: Promise, ready: Promise, resend(), reveal(patch, path) -> Promise<value>,
 * lastReveal: {frames}: the frames the last reveal waited after the engine's answers, for tests}.
 */
export function mountWidget(figure, spec, { id, context, socket, base }) {
  const element = figure.querySelector("[data-mount]");
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));
  const markReady = () => {
    figure.dataset.ready = "true";
    resolveReady(true);
  };

  function fail(message, detail) {
    figure.dataset.failed = "true";
    element.replaceChildren();
    const p = document.createElement("p");
    p.className = "lesson-widget-failed";
    p.setAttribute("role", "alert");
    p.textContent = message;
    element.append(p);
    if (detail) console.error(`Lesson widget “${id}” (${spec.type}): ${detail}`);
    resolveReady(false);
  }

  function report(problems) {
    if (!problems.length) return;
    const box = document.createElement("ul");
    box.className = "lesson-widget-problems";
    box.setAttribute("role", "alert");
    for (const text of problems) box.append(Object.assign(document.createElement("li"), { textContent: text }));
    figure.insertBefore(box, element);
    console.error(`Lesson widget “${id}” (${spec.type}): the lesson's state has mistakes: ${problems.join("; ")}`);
  }

  let widget = null;
  let store = null;
  let lastUpdate = null;
  const lane = trackedLane(socket, id);
  const lastReveal = { frames: 0 };
  const update = () => (lastUpdate = widget && socket.connected ? widget.update(store.get()) : null);

  const loaded = (async () => {
    if (spec.missing) {
      fail(
        `This widget could not be loaded: “${spec.title}” is not part of Convscope yet. The rest of the lesson ` +
          `works without it.`,
      );
      return false;
    }
    let module;
    try {
      module = await import(base + spec.module);
    } catch (error) {
      fail(
        `This widget could not be loaded (“${spec.title}”). The rest of the lesson works without it.`,
        String(error),
      );
      return false;
    }
    try {
      const table = { fields: module.fields(context), consistent: (s) => module.consistent(s, context) };
      const first = initialState(table, context.limits, spec.state);
      store = memoryStore(first.state, table);
      // Widgets mark their element when their first answer is drawn; the figure follows.
      new MutationObserver(() => element.dataset.ready && markReady()).observe(element, {
        attributes: true,
        attributeFilter: ["data-ready"],
      });
      widget = module.mount(element, { ...context, socket: lane.socket, onChange: (patch) => store.set(patch) });
      report(first.problems);
      store.subscribe(update);
      update();
      return true;
    } catch (error) {
      fail(
        `This widget could not be started (“${spec.title}”). The rest of the lesson works without it.`,
        error.stack ?? String(error),
      );
      return false;
    }
  })();

  return {
    loaded,
    ready,
    lastReveal,
    resend: update,
    inspect: () => widget?.inspect?.(),
    /** The widget's state store once it is mounted (null before, or when it could not be). */
    get store() {
      return widget ? store : null;
    },
    /** Apply `patch`, wait for the engine's answer, read the value at `path` of inspect(). */
    async reveal(patch, path) {
      if (!(await loaded) || !(await ready))
        throw new Error("the widget could not be loaded, so there is nothing to reveal");
      const read = () => (path ? readPath(widget.inspect(), path) : undefined);
      store.set(patch);
      // update() resolves once the engine's answer is drawn, when it says so; either way every
      // request the change sent must be answered. A change the widget draws at once sends none.
      if (typeof lastUpdate?.then === "function") await lastUpdate;
      await answered(lane.pending);
      let value = read();
      lastReveal.frames = 0;
      while (path && value === undefined && lastReveal.frames < LATE_FRAMES) {
        await nextFrame();
        lastReveal.frames++;
        value = read();
      }
      return value;
    },
  };
}
