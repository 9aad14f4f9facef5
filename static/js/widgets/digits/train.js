// LeNet-5 learns MNIST digits live: play, pause, step, reset; optimizer, learning rate, momentum,
// batch size, seed, shift and decay; loss and accuracy curves; the first layer's filters and a
// chosen test digit's maps at every layer; the confusion matrix (a cell opens its digits) and
// the accuracy on each digit; a timeline back through the run's kept steps. Training runs on
// the server (digits.*, PROTOCOL.md); this widget sends controls and draws the newest snapshot.
// Face: mount(element, {socket, run?, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { bindKeys } from "../../lib/keyboard.js";
import { listen, mountMarkup, widgetFace } from "../../lib/widget.js";
import { createChart } from "../xo-train/curves.js";
import { runFor } from "./run.js";
import { drawDigit, mountBars, mountConfusion, mountMaps } from "./views.js";

const INT_MAX = 2 ** 31 - 1;
const LRS = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];
const BATCHES = [1, 4, 8, 16, 32, 64, 128, 256];
const LIVE = { dgLr: "lr", dgMom: "momentum", dgBatch: "batch" };
const RUN = { dgOpt: "optimizer", dgSeed: "seed", dgShift: "shift", dgDecay: "decay" };
const LAYERS = [
  ["conv1", "Conv 1 (6 maps, 24×24)"],
  ["relu1", "ReLU"],
  ["pool1", "Max pool (12×12)"],
  ["conv2", "Conv 2 (16 maps, 8×8)"],
  ["relu2", "ReLU"],
  ["pool2", "Max pool (4×4)"],
];
const percent = (p) => `${fmt(p * 100, 1)}%`;

export function fields() {
  return [
    { key: "dgOpt", url: "opt", type: "enum", options: ["sgd", "adam"], def: null },
    { key: "dgLr", url: "lr", type: "num", min: 0, max: 10, def: null },
    { key: "dgMom", url: "mom", type: "num", min: 0, max: 1, def: null },
    { key: "dgBatch", url: "bs", type: "int", min: 1, max: 1024, def: null },
    { key: "dgSeed", url: "seed", type: "int", min: 0, max: INT_MAX, def: null },
    { key: "dgShift", url: "shift", type: "int", min: 0, max: 16, def: null },
    { key: "dgDecay", url: "decay", type: "num", min: 0, max: 1, def: null },
    { key: "dgEx", url: "ex", type: "int", min: 0, max: 999, def: 0 },
  ];
}

export const consistent = (state) => ({ ...state });

/** {config, key}: the digits.start config (only what the URL sets) and the run's identity without the live settings. */
export function configOf(state) {
  const config = {};
  for (const [k, name] of Object.entries({ ...RUN, ...LIVE })) if (state[k] != null) config[name] = state[k];
  const identity = Object.fromEntries(Object.entries(RUN).map(([k, name]) => [name, state[k] ?? null]));
  return { config, key: JSON.stringify(identity) };
}

const select = (name, label, options) =>
  `<label class="digits-field">${label} <select data-field="${name}">` +
  options.map(([v, text]) => `<option value="${v}">${text}</option>`).join("") +
  "</select></label>";

export function mount(element, { socket, onChange, ...context }) {
  const run = context.run ?? runFor(socket);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-digits-train" class="widget-title">Train LeNet-5 on handwritten digits</h2>
    <div class="digits-train">
      <div class="digits-stage" tabindex="0"
        aria-label="Training. Space plays or pauses; the right arrow or Page Down trains one batch.">
        <div class="digits-transport">
          <button type="button" class="digits-play" data-cmd="toggle" title="Play or pause (space)">Play</button>
          <button type="button" data-cmd="step" title="Train one batch (→)">Step</button>
          <button type="button" data-cmd="reset" title="Back to step 0, same seed">Reset</button>
        </div>
        ${alertHtml("general")}
        <dl class="digits-stats">
          <div><dt>Step</dt><dd data-stat="step">–</dd></div>
          <div><dt>Epoch</dt><dd data-stat="epoch">–</dd></div>
          <div><dt>Test accuracy</dt><dd data-stat="test_acc">–</dd></div>
          <div><dt>Train accuracy</dt><dd data-stat="train_acc">–</dd></div>
          <div><dt>Learning rate now</dt><dd data-stat="lr_now">–</dd></div>
          <div><dt>Training time</dt><dd data-stat="compute">–</dd></div>
        </dl>
        <p class="digits-target" role="status" aria-live="polite" data-stat="target"></p>
      </div>
      <details class="digits-settings" open><summary>Settings</summary>
        <div class="digits-settings-body">
          ${chips("opt", { sgd: "SGD + momentum", adam: "Adam" }, { label: "Optimizer" })}
          ${select(
            "lr",
            "Learning rate",
            LRS.map((v) => [v, String(v)]),
          )}
          <label class="digits-field">Momentum
            <input type="number" data-field="momentum" min="0" max="0.99" step="0.05"></label>
          ${select(
            "batch",
            "Batch size",
            BATCHES.map((v) => [v, String(v)]),
          )}
          <label class="digits-field">Seed <input type="number" data-field="seed" min="0" step="1"></label>
          ${select(
            "shift",
            "Shift each image by up to",
            [0, 1, 2, 3, 4].map((v) => [v, `${v} px`]),
          )}
          <label class="digits-field">Decay per epoch
            <input type="number" data-field="decay" min="0.5" max="1" step="0.01"></label>
          ${alertHtml("settings")}
        </div>
      </details>
      <div class="digits-charts">
        <div class="digits-chart"><canvas data-chart="loss" role="img" aria-label="Loss, train and test"></canvas></div>
        <div class="digits-chart">
          <canvas data-chart="accuracy" role="img" aria-label="Accuracy, train and test"></canvas></div>
      </div>
      <div class="digits-timeline">
        <label for="dg-timeline">Timeline: <span data-stat="shown"></span></label>
        <input type="range" id="dg-timeline" min="0" max="0" value="0" step="1">
        <button type="button" data-cmd="now">Now</button>
      </div>
      <section class="digits-inside" aria-labelledby="h-dg-inside">
        <h3 id="h-dg-inside" class="digits-sub">Inside the network: test digit <span data-stat="sample"></span></h3>
        <div class="digits-inside-body">
          <figure class="digits-input"><figcaption>Input</figcaption>
            <canvas class="grid-canvas" data-grid="sample"></canvas></figure>
          <div class="digits-filters"></div>
          ${LAYERS.map(([name]) => `<div data-layer="${name}"></div>`).join("")}
          <div data-layer="relu3"></div><div data-layer="relu4"></div>
          <div class="digits-probs"></div>
        </div>
      </section>
      <section class="digits-scores" aria-labelledby="h-dg-scores">
        <h3 id="h-dg-scores" class="digits-sub">The 1,000 test digits</h3>
        <div class="digits-scores-body">
          <div class="digits-matrix"></div>
          <div class="digits-class-acc"></div>
        </div>
        <div class="digits-cell-view" hidden>
          <h4 class="digits-layer-title" data-stat="cell"></h4>
          <div class="digits-gallery" role="group"></div>
        </div>
      </section>
    </div>`,
  );
  const classes = [..."0123456789"];
  const charts = {
    loss: createChart($('[data-chart="loss"]'), { title: "Loss", kind: "loss" }),
    accuracy: createChart($('[data-chart="accuracy"]'), { title: "Accuracy", kind: "accuracy" }),
  };
  const filters = mountMaps($(".digits-filters"), { name: "filters", title: "Conv 1 filters (5×5)", px: 56 });
  const layers = Object.fromEntries(
    LAYERS.map(([name, title]) => [
      name,
      mountMaps($(`[data-layer="${name}"]`), { name, title, px: name.endsWith("2") ? 40 : 64 }),
    ]),
  );
  layers.relu3 = mountMaps($('[data-layer="relu3"]'), { name: "relu3", title: "Dense 120 (ReLU)", px: 90 });
  layers.relu4 = mountMaps($('[data-layer="relu4"]'), { name: "relu4", title: "Dense 84 (ReLU)", px: 90 });
  const probs = mountBars($(".digits-probs"), { labels: classes, title: "Probabilities" });
  const classAcc = mountBars($(".digits-class-acc"), { labels: classes, title: "Accuracy on each digit" });
  const matrix = mountConfusion($(".digits-matrix"), { classes, onCell: (t, p) => openCell(t, p) });
  let state = null;
  let cell = null; // [true, predicted] whose digits are shown
  let playIntent = null;
  let lastGood = null;
  let liveBusy = false;
  const sampleCanvas = $('[data-grid="sample"]');

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.cmd) command(b.dataset.cmd);
    else if (b.dataset.opt) onChange({ dgOpt: b.dataset.opt });
    else if (b.dataset.index) onChange({ dgEx: Number(b.dataset.index) });
  });
  element.addEventListener("change", (e) => {
    const name = e.target.dataset.field;
    if (!name) return;
    const v = Number(e.target.value);
    if (e.target.value === "" || !Number.isFinite(v)) return;
    const key = Object.entries({ ...LIVE, ...RUN }).find(([, n]) => n === name)?.[0];
    if (key) onChange({ [key]: name === "batch" || name === "seed" || name === "shift" ? Math.round(v) : v });
  });
  const timeline = $("#dg-timeline");
  timeline.addEventListener("input", () => {
    const steps = run.latest?.arrays.timeline.data;
    if (steps) send("digits.view", { at: steps[Number(timeline.value)] });
  });
  const unbindKeys = bindKeys((cmd) => command(cmd === "next" ? "step" : cmd), $(".digits-stage"), element);
  const unsubscribe = run.subscribe(draw);
  const unlisten = listen(window, "resize", () => Object.values(charts).forEach((c) => c.redraw()));

  const playing = () => (playIntent ? playIntent.play : Boolean(run.latest?.meta.playing));

  function command(cmd) {
    if (!run.ready || run.replaying) return;
    if (cmd === "toggle") {
      const intent = { play: !playing() };
      playIntent = intent;
      send(intent.play ? "digits.play" : "digits.pause").finally(() => playIntent === intent && (playIntent = null));
      renderTransport();
    } else if (cmd === "pause") send("digits.pause");
    else if (cmd === "step") send("digits.step", { batches: 1 });
    else if (cmd === "reset") send("digits.reset");
    else if (cmd === "now") send("digits.view", { at: -1 });
  }

  async function send(type, params = {}) {
    try {
      const answer = await run.command(type, params);
      alerts.clear("control");
      return answer;
    } catch (e) {
      if (run.startedKey === null) start();
      else if (!e.quiet) alerts.show(null, e.message, "control", "general");
      return null;
    }
  }

  async function start() {
    const { config, key } = configOf(state);
    const request = run.ensure(config, key);
    if (!request) return;
    const back = run.saved?.key === key ? run.saved : null;
    if (back?.step) alerts.show(null, `Bringing the run back to step ${back.step}…`, "resume", "general");
    try {
      await request;
      alerts.clear("resume");
      alerts.clear("settings");
      lastGood = { ...state };
      syncLive();
    } catch (e) {
      if (e.quiet) return;
      alerts.show(null, e.message, "settings", "settings");
      const fallback = lastGood
        ? Object.fromEntries(Object.keys({ ...RUN, ...LIVE }).map((k) => [k, lastGood[k]]))
        : Object.fromEntries(Object.keys({ ...RUN, ...LIVE }).map((k) => [k, null]));
      onChange(fallback);
    }
  }

  async function syncLive() {
    const m = run.latest?.meta;
    if (liveBusy || !m || run.replaying) return;
    const patch = {};
    for (const [k, name] of Object.entries(LIVE)) if (state[k] != null && state[k] !== m[name]) patch[name] = state[k];
    if (state.dgEx !== m.sample) patch.sample = state.dgEx;
    if (!Object.keys(patch).length) return;
    liveBusy = true;
    try {
      await run.command("digits.set", patch);
      alerts.clear("live");
    } catch (e) {
      if (!e.quiet) {
        alerts.show(null, e.message, "live", "settings");
        const key = Object.entries(LIVE).find(([, n]) => n === e.field)?.[0] ?? (e.field === "sample" ? "dgEx" : null);
        if (key) onChange({ [key]: key === "dgEx" ? 0 : null });
      }
    } finally {
      liveBusy = false;
    }
    syncLive();
  }

  function setText(name, text) {
    const el = element.querySelector(`[data-stat="${name}"]`);
    if (el && el.textContent !== text) el.textContent = text;
  }

  function openCell(t, p) {
    cell = [t, p];
    renderCell();
  }

  function renderCell() {
    const snap = run.latest;
    const ready = run.ready;
    const view = $(".digits-cell-view");
    if (!cell || !snap || !ready) return;
    const [t, p] = cell;
    const truth = ready.arrays.test_y.data;
    const pred = snap.arrays.test_pred.data;
    const picked = [];
    for (let i = 0; i < truth.length; i++) if (truth[i] === t && pred[i] === p) picked.push(i);
    const what = t === p ? `read right` : `read as ${p}`;
    setText(
      "cell",
      `${picked.length} test ${picked.length === 1 ? "digit" : "digits"} that ` +
        `${picked.length === 1 ? "is" : "are"} ${t}, ${what}. Press one to look inside.`,
    );
    const gallery = $(".digits-gallery");
    const key = `${snap.meta.run}:${snap.meta.shown_step}:${t}:${p}`;
    if (gallery.dataset.key !== key) {
      gallery.dataset.key = key;
      gallery.replaceChildren(
        ...picked.slice(0, 60).map((i) => {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "digits-thumb";
          b.dataset.index = i;
          b.setAttribute("aria-label", `Test digit ${i + 1}, a ${t}, read as ${p}`);
          const canvas = document.createElement("canvas");
          canvas.className = "grid-canvas";
          b.append(canvas);
          drawDigit(canvas, ready.arrays.test_x.data, i * 784, 2);
          return b;
        }),
      );
    }
    view.hidden = false;
    element.dataset.cell = `${t},${p}`;
  }

  function draw({ ready, snapshot }) {
    if (snapshot) renderSnapshot(ready, snapshot);
    renderControls();
  }

  function renderSnapshot(ready, snap) {
    const m = snap.meta;
    const a = snap.arrays;
    setText("step", String(m.step));
    setText("epoch", fmt(m.epoch, 1));
    setText("test_acc", percent(m.test_acc));
    setText("train_acc", percent(m.train_acc));
    setText("lr_now", fmt(m.lr_now, 4));
    setText("compute", `${fmt(m.compute_seconds, 1)} s`);
    const target = m.first_target;
    setText(
      "target",
      target
        ? `97% test accuracy at step ${target.step}, after ${fmt(target.seconds, 1)} s of training.`
        : "Not at 97% test accuracy yet.",
    );
    const steps = a.history_steps.data;
    charts.loss.draw({ steps, train: a.history_train_loss.data, test: a.history_test_loss.data });
    charts.accuracy.draw({ steps, train: a.history_train_acc.data, test: a.history_test_acc.data });
    const kept = a.timeline.data;
    timeline.max = String(Math.max(0, kept.length - 1));
    const at = m.view == null ? kept.length - 1 : kept.indexOf(m.view);
    if (document.activeElement !== timeline) timeline.value = String(Math.max(0, at));
    setText("shown", m.view == null ? `now (step ${m.step})` : `step ${m.view} of ${m.step}`);
    element.classList.toggle("digits-past", m.view != null);
    filters.draw(a.filters);
    const scale = scaleFor([a.sample_conv1.data, a.sample_conv2.data], "diverging");
    for (const [name] of LAYERS) layers[name].draw(a[`sample_${name}`], scale);
    layers.relu3.draw(asGrid(a.sample_relu3, 10));
    layers.relu4.draw(asGrid(a.sample_relu4, 7));
    probs.draw(a.sample_probs.data);
    setText("sample", `${m.sample + 1}, a ${m.label}, read as ${probsBest(a.sample_probs.data)}`);
    drawDigit(sampleCanvas, ready.arrays.test_x.data, m.sample * 784, 5);
    matrix.draw(a.confusion, cell);
    classAcc.draw(a.class_acc.data);
    renderCell();
    element.dataset.step = m.step;
    element.dataset.ready = "true";
    if (m.stopped)
      alerts.show(
        null,
        `Stopped after ${m.step} batches (the most one run trains). Reset to train again.`,
        "control",
        "general",
      );
  }

  function renderTransport() {
    const play = $(".digits-play");
    const on = playing();
    play.textContent = on ? "Pause" : "Play";
    play.setAttribute("aria-pressed", String(on));
  }

  function renderControls() {
    renderTransport();
    const ready = run.ready;
    if (!ready || !state) return;
    const c = { ...ready.meta.config, ...(run.latest ? pick(run.latest.meta, ["lr", "momentum", "batch"]) : {}) };
    pressChips(element, "opt", (o) => o === (state.dgOpt ?? c.optimizer));
    for (const [k, name] of Object.entries({ ...RUN, ...LIVE })) {
      const input = element.querySelector(`[data-field="${name}"]`);
      if (!input || document.activeElement === input) continue;
      const value = state[k] ?? c[name];
      if (input.tagName === "SELECT" && ![...input.options].some((o) => Number(o.value) === value)) {
        input.append(new Option(String(value), String(value)));
      }
      input.value = String(value);
    }
    element.querySelector('[data-field="momentum"]').disabled = (state.dgOpt ?? c.optimizer) === "adam";
  }

  function update(next) {
    state = next;
    if (run.startedKey !== configOf(next).key) start();
    else syncLive();
    renderControls();
  }

  return widgetFace(element, {
    update,
    stops: [unbindKeys, unsubscribe, unlisten],
    inspect: () => ({
      ready: run.ready?.meta ?? null,
      meta: run.latest?.meta ?? null,
      playing: playing(),
      cell,
      gallery: [...element.querySelectorAll(".digits-gallery .digits-thumb")].map((b) => Number(b.dataset.index)),
      counters: run.counters,
    }),
  });
}

const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));

function probsBest(p) {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return String(best);
}

/** A vector (n,) shown as a (1, rows, n / rows) map. */
function asGrid(t, rows) {
  return { data: t.data, shape: [1, rows, t.data.length / rows] };
}
