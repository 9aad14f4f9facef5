// The page's LeNet-5 run as the widgets see it (PROTOCOL.md, "Training (digits)"). It starts
// runs, sends the in-order controls, keeps digits.ready and the newest snapshot and hands them
// to the widgets once per animation frame. It computes nothing: every number is the server's.
//
// The run is a function of its config and of the live changes that followed, so the page keeps
// them in sessionStorage (this tab, this page): after a reload, or when the server restarted,
// digits.start with `resume` has the server replay the run to the step it had reached, and
// play goes on if it was playing.

const VERSION = 1;
const HYPER = ["lr", "momentum", "batch"];
const shared = new WeakMap();

/** The page's run for this socket: the training and drawing widgets share it. */
export function runFor(socket) {
  if (!shared.has(socket.on)) shared.set(socket.on, createRun(socket));
  return shared.get(socket.on);
}

function createJournal(key) {
  let entry = null;
  const save = () => {
    try {
      if (entry) sessionStorage.setItem(key, JSON.stringify(entry));
      else sessionStorage.removeItem(key);
    } catch {
      // storage switched off: the page works, it only forgets the run on a reload
    }
  };
  return {
    read() {
      try {
        const e = JSON.parse(sessionStorage.getItem(key));
        const ok =
          e?.v === VERSION && typeof e.key === "string" && Number.isInteger(e.step) && Array.isArray(e.changes);
        return ok ? e : null;
      } catch {
        return null;
      }
    },
    started(config, runKey) {
      entry = { v: VERSION, key: runKey, config, changes: [], step: 0, playing: false };
      save();
    },
    saw(meta) {
      if (!entry || (entry.step === meta.step && entry.playing === meta.playing)) return;
      entry.step = meta.step;
      entry.playing = meta.playing;
      save();
    },
    did(type, params, meta) {
      if (!entry) return;
      if (type === "digits.set") {
        const set = Object.fromEntries(HYPER.filter((k) => params[k] != null).map((k) => [k, params[k]]));
        if (!Object.keys(set).length) return;
        const last = entry.changes.at(-1);
        if (last?.at === meta.step) Object.assign(last.set, set);
        else entry.changes.push({ at: meta.step, set });
      } else if (type === "digits.reset") {
        entry.config = { ...entry.config, ...Object.fromEntries(HYPER.map((k) => [k, meta[k]])) };
        entry.changes = [];
      } else return;
      save();
    },
    restore(saved) {
      entry = structuredClone(saved);
      save();
    },
    clear() {
      entry = null;
      save();
    },
  };
}

export function createRun(socket) {
  let ready = null;
  let run = 0;
  let seq = 0;
  let latest = null;
  let shown = null;
  let frame = 0;
  let startedKey = null;
  let startedOn = 0;
  let resuming = null; // the journal entry being brought back
  const listeners = new Set();
  const journal = createJournal(`convscope:digits-run:${location.pathname}`);
  const counters = { received: 0, drawn: 0 };

  socket.on("digits.snapshot", (s) => accept(s));
  socket.watch((kind) => kind === "open" && startedKey !== null && socket.opened !== startedOn && lost());

  function accept(snapshot) {
    counters.received += 1;
    const m = snapshot.meta;
    if (m.run < run || (m.run === run && m.seq <= seq)) return;
    run = m.run;
    seq = m.seq;
    latest = snapshot;
    if (!resuming) journal.saw(m);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    if (latest === shown) return;
    shown = latest;
    counters.drawn += 1;
    for (const fn of listeners) fn({ ready, snapshot: latest });
  }

  async function begin(config, key, resume = null) {
    startedKey = key;
    startedOn = socket.opened;
    const answer = await socket.request("digits.start", resume ? { config, resume } : { config });
    if (startedKey !== key) return answer;
    ready = answer;
    run = answer.meta.run;
    seq = 0;
    latest = shown = null;
    for (const fn of listeners) fn({ ready, snapshot: null });
    return answer;
  }

  /** A new run with this config (its identity `key`). */
  async function start(config, key) {
    resuming = null;
    try {
      const answer = await begin(config, key);
      journal.started(config, key);
      return answer;
    } catch (e) {
      if (startedKey === key) startedKey = null;
      throw e;
    }
  }

  /** Start a run unless this key's run is on; a run of this key that the journal holds comes back instead. */
  function ensure(config, key) {
    if (key === startedKey) return null;
    const saved = journal.read();
    return saved?.key === key && saved.step > 0 ? resume(saved) : start(config, key);
  }

  async function resume(saved) {
    resuming = saved;
    try {
      const answer = await begin(saved.config, saved.key, { step: saved.step, changes: saved.changes });
      if (resuming === saved && saved.playing) await command("digits.play");
      journal.restore(saved);
      return answer;
    } catch (e) {
      if (!e.quiet) journal.clear();
      if (startedKey === saved.key) startedKey = null;
      throw e;
    } finally {
      if (resuming === saved) resuming = null;
    }
  }

  async function command(type, params = {}) {
    try {
      const answer = await socket.request(type, params);
      accept(answer);
      if (!resuming) journal.did(type, params, answer.meta);
      return answer;
    } catch (e) {
      if (e.code === "invalid" && e.field === "type" && e.message.includes("digits.start")) lost();
      throw e;
    }
  }

  function lost() {
    startedKey = null;
    run = 0;
    seq = 0;
  }

  return {
    start,
    ensure,
    command,
    classify: (values) => socket.request("digits.classify", { values }),
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    get ready() {
      return ready;
    },
    get latest() {
      return latest;
    },
    get startedKey() {
      return startedKey;
    },
    get resuming() {
      return resuming;
    },
    get saved() {
      return journal.read();
    },
    counters,
  };
}
