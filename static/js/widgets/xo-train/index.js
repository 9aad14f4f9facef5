// X vs O, trained live: play, pause, step one batch, reset, speed; the run's settings; the
// loss and accuracy curves; the filters and the maps of a chosen test example; every test
// example ringed right or wrong. Training runs on the server (train.*, PROTOCOL.md); the
// widget sends controls and draws the newest snapshot once per animation frame.
// While the server is unreachable nothing trains: the play button says Play (the page's offline
// note says what comes back); a reload or a restarted server brings the run back (xo/run.js).
// Face: mount(element, {socket, run?, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid } from "../../lib/grid.js";
import { bindKeys, registerKeys } from "../../lib/keyboard.js";
import { addAwayDetail } from "../../lib/offline.js";
import { onThemeChange } from "../../lib/palette.js";
import { listen, mountMarkup, widgetFace } from "../../lib/widget.js";
import { LIVE, RUN, VARIATIONS, mountControls } from "./controls.js";
import { createChart } from "./curves.js";
import { filmAnimation } from "./film.js";
import { mountGallery } from "./gallery.js";
import { mountNetView, percent } from "../xo/net-view.js";
import { runFor } from "../xo/run.js";
import { RUN_KEYS, SPEEDS, configOf, liveWanted, regionOf, stateKeyOf } from "./settings.js";

export { fields, consistent } from "./settings.js";

const SPEED_LABELS = { 2: "2/s", 5: "5/s", 30: "30/s", 100: "100/s", 0: "Max" };
const START_DELAY_MS = 150; // run settings that change in a burst (arrow keys) start one run

export function mount(element, { socket, onChange, ...context }) {
  const run = context.run ?? runFor(socket, context);
  const speeds = SPEEDS.map((s) => [s, SPEED_LABELS[s] ?? `${s}/s`]);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-train" class="widget-title">Train the network</h2>
    <div class="xo-train">
      <aside class="xo-panel" aria-label="Settings"></aside>
      <div class="xo-main">
        <div class="xo-stage" tabindex="0" aria-label="Training. Space plays or pauses; the right arrow or Page ` +
    `Down trains one batch; R resets the run.">
          <div class="xo-transport">
            <button type="button" class="xo-play" data-cmd="toggle" title="Play or pause (space)">Play</button>
            <button type="button" data-cmd="step" title="Train one batch (→ or Page Down)">Step one batch</button>
            <button type="button" data-cmd="reset" title="Back to step 0 with the same seed (R)">Reset</button>
            ${chips("speed", speeds, { label: "Speed, in batches a second", className: "xo-speed" })}
          </div>
          ${alertHtml("general")}
          <dl class="xo-stats">
            <div><dt>Step</dt><dd data-stat="step">–</dd></div>
            <div><dt>Epoch</dt><dd data-stat="epoch">–</dd></div>
            <div><dt>Loss <span class="key-train">train</span> / <span class="key-test">test</span></dt><dd><span ` +
    `data-stat="train_loss">–</span> / <span data-stat="test_loss">–</span></dd></div>
            <div><dt>Accuracy <span class="key-train">train</span></dt><dd data-stat="train_acc">–</dd></div>
            <div class="xo-test-acc"><dt>Accuracy <span class="key-test">test</span></dt><dd ` +
    `data-stat="test_acc">–</dd></div>
          </dl>
          <p class="xo-perfect"><span data-stat="perfect" role="status" aria-live="polite"></span>
            <span class="xo-compute">· training compute so far: <span data-stat="compute">–</span></span></p>
        </div>
        <div class="xo-charts">
          <div class="xo-chart"><canvas data-chart="loss" role="img" aria-label="Loss curves, train and ` +
    `test"></canvas></div>
          <div class="xo-chart"><canvas data-chart="accuracy" role="img" aria-label="Accuracy curves, train and ` +
    `test"></canvas></div>
        </div>
        <div class="xo-lower">
          <section class="xo-tests" aria-labelledby="h-xo-tests">
            <h3 id="h-xo-tests" class="xo-sub">Test examples: <span data-stat="right"></span></h3>
            <p class="hint">Ringed ✓ right or ✗ wrong, with the probability of X. Pick one to see its maps.</p>
            <div class="xo-gallery-box"></div>
            ${alertHtml("sample")}
          </section>
          <section class="xo-sample" aria-labelledby="h-xo-sample">
            <h3 id="h-xo-sample" class="xo-sub">Test example <span data-stat="sample"></span></h3>
            <div class="xo-sample-body">
              <figure class="pane"><figcaption>Input</figcaption><canvas class="grid-canvas" ` +
    `data-grid="sample-input" role="img"></canvas></figure>
              <div class="xo-sample-net"></div>
            </div>
          </section>
        </div>
      </div>
    </div>`,
  );
  const controls = mountControls($(".xo-panel"), { onChange });
  const charts = {
    loss: createChart($('[data-chart="loss"]'), { title: "Loss", kind: "loss" }),
    accuracy: createChart($('[data-chart="accuracy"]'), { title: "Accuracy", kind: "accuracy" }),
  };
  const gallery = mountGallery($(".xo-gallery-box"), { onPick: (i) => onChange({ xoSample: i }) });
  const net = mountNetView($(".xo-sample-net"), {
    title: "Filters now, and their maps",
    name: "sample",
    filterPx: 168,
    mapPx: 112,
  });
  const sampleInput = createGrid($('[data-grid="sample-input"]'));
  let state = null;
  let shownRun = null; // the train.ready the gallery was built from
  let lastGood = null; // run settings of the last run the server accepted (a refused change goes back to them)
  let startTimer = 0;
  let fellBack = false; // a refused start just put settings back
  let liveBusy = false; // one train.set in flight at a time; the newest wish follows its answer
  let playIntent = null; // {play} sent and not answered yet
  let drawnText = {};
  let controlsKey = "";

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.cmd) command(b.dataset.cmd === "step" ? "next" : b.dataset.cmd);
    else if (b.dataset.speed) onChange({ xoSpeed: b.dataset.speed });
  });
  const stage = $(".xo-stage");
  const unbindKeys = bindKeys((cmd) => command(cmd), stage, element);
  // R resets (a clicker has no R, a keyboard does): pressed in this widget or with nothing
  // focused, never while typing in a field.
  const onKey = (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || (e.key !== "r" && e.key !== "R")) return;
    if (!(e.target === document.body || element.contains(e.target))) return;
    if (
      e.target instanceof Element &&
      e.target.matches("input:not([type=checkbox]):not([type=range]), textarea, select")
    )
      return;
    e.preventDefault();
    command("reset");
  };
  const unlistenKeys = listen(document, "keydown", onKey);
  const unregisterKeys = registerKeys("X vs O training", [
    { keys: ["R"], does: "Reset the run (same seed, same settings)" },
  ]);
  const unsubscribe = run.subscribe(draw);
  const unwatch = socket.watch(() => renderTransport()); // nothing plays while the server is away
  // What a restarted server will show: the run is kept in this tab (lib/run-journal.js) and replayed.
  const unsay = addAwayDetail(() => {
    const saved = run.saved;
    const how = saved?.playing ? "and plays on" : "paused, as it was";
    return saved ? `When it is back, the run comes back to step ${saved.step} ${how}.` : "";
  });
  const redrawCharts = () => Object.values(charts).forEach((c) => c.redraw());
  const unlistenResize = listen(window, "resize", redrawCharts);
  const unlistenTheme = onThemeChange(redrawCharts); // the curves' ink follows the theme

  // Playing: what the server's run does (or what a press asked for), never while the run is away or coming back.
  const here = () => socket.connected && run.startedKey !== null && !run.replaying;
  const playing = () => here() && (playIntent ? playIntent.play : Boolean(run.latest?.meta.playing));

  function command(cmd) {
    if (!run.ready || !here()) return; // the run is away, or on its way back
    alerts.clear("resume");
    if (cmd === "toggle") {
      const intent = { play: !playing() }; // what this press asked for, until its answer comes
      playIntent = intent;
      send(intent.play ? "train.play" : "train.pause").finally(() => playIntent === intent && (playIntent = null));
      renderTransport();
    } else if (cmd === "pause") {
      // The page's global pause (K, the presenter bar's button): the server's run stops too.
      if (!playing()) return;
      const intent = { play: false };
      playIntent = intent;
      send("train.pause").finally(() => playIntent === intent && (playIntent = null));
      renderTransport();
    } else if (cmd === "next") send("train.step", { batches: 1 });
    else if (cmd === "reset") reset();
  }

  async function send(type, params = {}) {
    try {
      const answer = await run.command(type, params);
      alerts.clear("control");
      return answer;
    } catch (e) {
      if (run.startedKey === null)
        scheduleStart(); // the server had no job (a new connection): start one
      else if (!e.quiet) alerts.show(null, e.message, "control", "general");
      return null;
    }
  }

  // Reset keeps the run's settings; when the live ones moved since the start, the new run
  // starts with them, so the link on screen (which holds them) repeats this very run.
  function reset() {
    const started = run.ready.meta.config;
    const wanted = liveWanted(state);
    const same = ["lr", "momentum", "batch"].every((k) => wanted[k] == null || wanted[k] === started[k]);
    if (!same) return start(true);
    send("train.reset").then((answer) => answer && followNewRun());
    send("train.set", { speed: wanted.speed }); // in order: before any play that follows
  }

  function scheduleStart() {
    clearTimeout(startTimer);
    startTimer = setTimeout(() => start(false), START_DELAY_MS);
  }

  async function start(force) {
    clearTimeout(startTimer);
    const { config, key } = configOf(state);
    const request = force ? run.start(config, key) : run.ensure(config, key);
    if (!request) return;
    const back = run.replaying; // the run the journal brings back (after a reload or a restart), or null
    if (back) alerts.show(null, `Bringing the run back to step ${back.step}…`, "resume", "general");
    else alerts.clear("resume");
    const speed = send("train.set", { speed: liveWanted(state).speed }); // in order, right behind the start
    try {
      await request;
      if (back) {
        const how = back.playing ? "playing" : "paused";
        alerts.show(null, `Back at step ${back.step}, ${how}, as before: replayed from its seed.`, "resume", "general");
      }
      if (fellBack)
        fellBack = false; // the run that replaced a refused setting: its message stays
      else alerts.clear("run");
      lastGood = Object.fromEntries(RUN_KEYS.map((k) => [k, state[k]]));
      await speed;
      followNewRun();
    } catch (e) {
      if (e.quiet) return;
      alerts.show(null, e.message, "run", regionOf(e.field));
      // Back to the settings that worked; for a link that never worked, the named setting's
      // default (or every run setting's, when that is already the default).
      const named = stateKeyOf(e.field);
      fellBack = true;
      onChange(
        lastGood ??
          (named && state[named] != null ? { [named]: null } : Object.fromEntries(RUN_KEYS.map((k) => [k, null]))),
      );
    }
  }

  // A new run on the server starts with sample 0: the chosen one (if it exists here) follows.
  function followNewRun() {
    const n = run.ready?.meta.config.n_test ?? 0;
    if (state.xoSample >= n) onChange({ xoSample: 0 });
    syncLive();
  }

  // Live settings the server does not have yet go in one train.set; one at a time.
  async function syncLive() {
    const snap = run.latest;
    if (liveBusy || !snap || run.replaying) return; // a replay sets what the run had; the wish follows it
    const wanted = liveWanted(state);
    const m = snap.meta;
    const patch = {};
    for (const k of ["lr", "momentum", "batch", "speed", "sample"])
      if (wanted[k] != null && wanted[k] !== m[k]) patch[k] = wanted[k];
    if (!Object.keys(patch).length) return;
    liveBusy = true;
    try {
      await run.command("train.set", patch);
      alerts.clear("live");
    } catch (e) {
      if (!e.quiet) {
        alerts.show(null, e.message, "live", regionOf(e.field));
        const key = stateKeyOf(e.field);
        if (key) onChange({ [key]: null }); // back to what the run uses
      }
    } finally {
      liveBusy = false;
    }
    syncLive(); // the wish may have moved on while this one was answered
  }

  function draw({ ready, snapshot }) {
    if (ready && ready !== shownRun) {
      shownRun = ready;
      const { test_x: x, test_y: y } = ready.arrays;
      gallery.setExamples(x, y, ready.meta.classes);
    }
    if (snapshot) renderSnapshot(ready, snapshot);
    renderControls();
  }

  function setText(name, text) {
    if (drawnText[name] === text) return;
    drawnText[name] = text;
    element.querySelector(`[data-stat="${name}"]`).textContent = text;
  }

  function renderSnapshot(ready, snap) {
    const m = snap.meta;
    const a = snap.arrays;
    setText("step", String(m.step));
    setText("epoch", fmt(m.epoch, 1));
    setText("train_loss", fmt(m.train_loss, 3));
    setText("test_loss", fmt(m.test_loss, 3));
    setText("train_acc", percent(m.train_acc));
    setText("test_acc", percent(m.test_acc));
    const t = m.compute_seconds;
    setText("compute", t < 1 ? `${fmt(t * 1000, 1)} ms` : `${fmt(t, 2)} s`);
    setText(
      "perfect",
      m.first_perfect_step == null
        ? "Not yet 100% on the test examples."
        : `100% test accuracy at step ${m.first_perfect_step}`,
    );
    element.querySelector(".xo-test-acc").classList.toggle("perfect", m.test_acc === 1);
    element.dataset.step = m.step;
    const steps = a.history_steps.data;
    charts.loss.draw({ steps, train: a.history_train_loss.data, test: a.history_test_loss.data });
    charts.accuracy.draw({ steps, train: a.history_train_acc.data, test: a.history_test_acc.data });
    gallery.update(a.test_probs, m.sample);
    const g = gallery.inspect();
    setText("right", `${g.right} of ${g.total} right`);
    const classes = ready.meta.classes;
    const truth = ready.arrays.test_y.data[m.sample];
    setText("sample", `${m.sample + 1}, a true ${classes[truth]}`);
    net.update({
      filters: a.filters,
      conv: a.sample_conv,
      relu: a.sample_relu,
      pool: a.sample_pool,
      probs: a.sample_probs,
      classes,
    });
    const x = ready.arrays.test_x;
    const [, h, w] = x.shape;
    const plane = x.data.subarray(m.sample * h * w, (m.sample + 1) * h * w);
    sampleInput.draw({
      rows: h,
      cols: w,
      cell: Math.min(24, Math.floor(200 / w)),
      value: (r, c) => plane[r * w + c],
      scale: scaleFor(plane, "diverging"),
      numbers: false,
    });
    if (m.stopped)
      alerts.show(
        null,
        `Stopped after ${m.step} batches (the most one run trains). Reset to train again.`,
        "control",
        "general",
      );
    element.dataset.ready = "true";
  }

  function renderTransport() {
    const on = playing();
    const play = $(".xo-play");
    play.textContent = on ? "Pause" : "Play";
    play.setAttribute("aria-pressed", String(on));
    pressChips(element, "speed", (speed) => speed === state?.xoSpeed);
  }

  function renderControls() {
    renderTransport();
    const ready = run.ready;
    if (!ready || !state) return;
    const c = ready.meta.config;
    const m = run.latest?.meta ?? {};
    const pick = (key, name, from) => state[key] ?? from[name];
    const values = {
      ...Object.fromEntries(RUN.map((s) => [s.name, pick(s.key, s.name, c)])),
      ...Object.fromEntries(LIVE.map((s) => [s.name, pick(s.key, s.name, { ...c, ...m })])),
      init: state.xoInit ?? c.init,
      seed: state.xoSeed ?? c.seed,
      variations: {
        ...Object.fromEntries(VARIATIONS.map((s) => [s.name, pick(s.key, s.name, c.variations)])),
        distorted: state.xoDistorted ?? c.variations.distorted,
      },
    };
    const key = JSON.stringify([ready.meta.run, values]);
    if (key === controlsKey) return; // most frames change no setting: leave the panel alone
    controlsKey = key;
    controls.render(ready.meta.ranges, values);
  }

  function update(next) {
    state = next;
    if (run.startedKey !== configOf(next).key) scheduleStart();
    else {
      fellBack = false; // no new run follows: the next one the user starts clears the message
      syncLive();
    }
    renderControls();
  }

  // The GIF of the training (film.js): paused first, then each frame once the widget has drawn its step.
  const animation = filmAnimation({
    run,
    pause: () => (playing() ? send("train.pause") : Promise.resolve()),
    drawn: (step) =>
      new Promise((resolve) => {
        const check = () => (element.dataset.step === String(step) ? resolve() : requestAnimationFrame(check));
        check();
      }),
  });

  return widgetFace(element, {
    update,
    animation,
    stops: [
      () => clearTimeout(startTimer),
      ...[unbindKeys, unsubscribe, unwatch, unsay, unlistenKeys, unregisterKeys, unlistenResize, unlistenTheme],
    ],
    /** What the widget shows, for tests and benchmarks. */
    inspect: () => ({
      ready: run.ready?.meta ?? null,
      meta: run.latest?.meta ?? null,
      history: run.latest ? run.latest.arrays.history_steps.size : 0,
      playing: playing(),
      shown: { ...drawnText },
      gallery: gallery.inspect(),
      sample: net.inspect(),
    }),
  });
}
