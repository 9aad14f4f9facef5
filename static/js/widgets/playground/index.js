// The convolution playground's controller: state in, requests out, answers drawn.
// It owns the flow, not the math: every number shown comes from the engine's answers.
// Widgets (one module each) draw; loader.js fetches pictures and kernels; the
// animator times the steps; traces.js fetches the steps' arithmetic.

import { createAlerts } from "../../lib/alerts.js";
import { createAnimator } from "../../lib/animator.js";
import { mount as mountArithmetic } from "./arithmetic.js";
import { mount as mountControls } from "./panel.js";
import { mount as mountFormula } from "./formula.js";
import { mount as mountInput } from "./input-view.js";
import { mount as mountKernel } from "./kernel-editor.js";
import { bindKeys } from "../../lib/keyboard.js";
import { sizes } from "./layout.js";
import { createLoader } from "./loader.js";
import { paint, runParams, setWeight } from "./model.js";
import { mount as mountOutput } from "./output-view.js";
import { SCENARIOS } from "./scenarios.js";
import { connect } from "../../lib/socket.js";
import { createStore } from "../../lib/state.js";
import { createTraces } from "./traces.js";
import { stageFrame } from "./stage-frame.js";
import { mount as mountTransport } from "./transport.js";

const INPUT_KEYS = new Set(["input", "height", "width", "channels", "seed", "inputValues"]);
const KERNEL_KEYS = new Set(["kernelPreset", "kernel", "filters", "channels", "kernelValues"]);
const VIEW_KEYS = new Set(["filter", "step", "speed"]);

const $ = (selector) => document.querySelector(selector);
const limits = JSON.parse($("#limits").textContent);
const store = createStore(limits);
const alerts = createAlerts(document);
const stage = $("#stage");
const status = $("#status");
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

const data = { input: null, kernel: null, bias: null }; // the page's own picture and kernels
let result = null; // the last good conv.result: {meta, output, padded, weights, params}
let stale = false; // the newest run failed; `result` is older than the settings
let hover = null; // {step, view}: an output cell under the pointer
let frame = { step: -1, from: -1, progress: 1, playing: false, speed: 1, total: 0 };
let changePending = false;
let drawingResult = false;
let lastWeight = -1; // the weight typed last: the one to mark when the server refuses the kernels
let firstResult = true;
let resolveReady;
const ready = new Promise((resolve) => (resolveReady = resolve));
let settleWaiters = []; // apply() callers, told when the engine has answered the newest change
function settle() {
  const waiters = settleWaiters;
  settleWaiters = [];
  for (const resolve of waiters) resolve();
}

const socket = connect({ onStatus: showStatus, onOpen: resync, onStrayError: (e) => alerts.show(e.field, e.message, "run") });
const loader = createLoader({ socket, store, data, alerts });
const traces = createTraces(socket);
const animator = createAnimator({
  prepare: (step) => traces.get(store.get().filter, step).catch(() => null),
  reducedMotion: () => reducedMotion.matches,
  speed: Number(store.get().speed), // a link may carry a speed
  onFrame(next) {
    frame = next;
    if (store.get().step !== next.step) store.set({ step: next.step });
    if (!drawingResult) renderStage(); // a new result draws everything once, below
  },
});

// ------------------------------------------------------------------ widgets

const controls = mountControls($("#panel"), {
  limits,
  onChange: change,
  onScenario: (name) => change({ ...SCENARIOS[name] }),
  onRandom: () => change({ input: "random", seed: store.get().input === "random" ? store.get().seed + 1 : store.get().seed }),
  onUpload: async (file) => {
    markChange();
    if (await loader.upload(file)) afterInputLoaded();
  },
});
const formula = mountFormula($("#formula"), { onSuggest: (patch) => change(patch) });
const inputView = mountInput($("#input-view"), {
  onPaint(channel, cells, erase) {
    markChange();
    data.input = paint(data.input, channel, cells, erase ? 0 : controls.brush());
    store.set({ input: "custom", inputValues: data.input.values });
    renderStage();
    run();
  },
  onPaintEnd: () => {},
});
const kernelEditor = mountKernel($("#kernel-editor"), {
  onValue(offset, value) {
    markChange();
    alerts.clear("typing");
    data.kernel = setWeight(data.kernel, offset, value);
    lastWeight = offset;
    store.set({ kernelPreset: "custom", kernelValues: data.kernel.values });
    run();
  },
  onBias(filter, value) {
    markChange();
    alerts.clear("typing");
    data.bias = Float32Array.from(data.bias);
    data.bias[filter] = value;
    store.set({ bias: data.bias });
    run();
  },
  onSelect: (filter) => change({ filter }),
  onInvalid: (message) => alerts.show("kernels.values", message, "typing"),
  onCommit: () => stage.focus({ preventScroll: true }),
});
const outputView = mountOutput($("#output-view"), {
  onHover(step) {
    if (step === null) {
      hover = null;
      renderStage();
      return;
    }
    hover = { step, view: null };
    traces.get(store.get().filter, step).then((view) => {
      if (hover?.step === step) {
        hover.view = view;
        renderStage();
      }
    }, () => {});
  },
  onPick: (step) => animator.command("seek", step),
  onSelectFilter: (filter) => change({ filter }),
});
const arithmetic = mountArithmetic($("#arithmetic"));
function command(name, arg) {
  if (name === "speed") store.set({ speed: String(arg) });
  animator.command(name, arg);
}
const transport = mountTransport($("#transport"), { onCommand: command });
bindKeys(command, stage);

// ------------------------------------------------------------------ changes and runs

function markChange() {
  performance.mark("convscope:change");
  changePending = true;
}

// The benchmark reads these: change → drawn in all, and the share spent drawing.
function markDrawn() {
  if (!changePending) return;
  changePending = false;
  performance.mark("convscope:drawn");
  performance.measure("convscope:change-to-drawn", "convscope:change", "convscope:drawn");
  performance.measure("convscope:answer-to-drawn", "convscope:answer", "convscope:drawn");
}

/** A setting changed: update the state (and URL), fetch what it needs, run. */
function change(patch) {
  markChange();
  const next = { ...patch };
  if (next.kernelPreset && next.kernelPreset !== "custom" && !("kernelValues" in next)) next.kernelValues = null;
  if (next.input && next.input !== "custom" && !("inputValues" in next)) next.inputValues = null;
  store.set(next);
  const keys = Object.keys(patch);
  if (keys.every((k) => VIEW_KEYS.has(k))) {
    if ("filter" in patch) animator.setTotal(traces.total);
    if ("speed" in patch) animator.command("speed", patch.speed);
    renderAll();
    settle();
    return;
  }
  sync(keys);
}

async function sync(keys) {
  const needInput = !data.input || keys.some((k) => INPUT_KEYS.has(k));
  const needKernel = !data.kernel || keys.some((k) => KERNEL_KEYS.has(k));
  if (!needInput && !needKernel) {
    run();
    return;
  }
  let changed = needInput ? await loader.loadInput(keys) : false;
  // The kernels follow the input's channels, so they load after it.
  if (needKernel || (data.kernel && data.input && data.kernel.channels !== data.input.channels)) {
    changed = (await loader.loadKernel(keys)) || changed;
  }
  if (changed) run();
  else {
    renderAll();
    settle();
  }
}

function afterInputLoaded() {
  if (data.kernel && data.kernel.channels !== data.input.channels) sync(["channels"]);
  else run();
}

function run() {
  if (!data.input || !data.kernel || !socket.connected) {
    renderAll();
    return;
  }
  const params = runParams(store.get(), data.input, data.kernel, data.bias);
  socket.request("conv.run", params).then((answer) => onResult(answer, params), onRunError);
}

function onResult(answer, params) {
  if (changePending) performance.mark("convscope:answer");
  const { meta, arrays } = answer;
  result = { meta, output: arrays.output, padded: arrays.padded, weights: arrays.weights, params };
  stale = false;
  alerts.clear("run");
  kernelEditor.flag(-1);
  status.dataset.engineReady = "true";
  showStatus("open");
  const [F, , ] = meta.output_shape;
  if (store.get().filter >= F) store.set({ filter: 0 });
  const [, C, KH, KW] = arrays.weights.shape;
  traces.reset(params, meta.output_shape, C * KH * KW);
  if (hover) hover = { step: hover.step, view: null };
  drawingResult = true;
  animator.setTotal(meta.output_shape[1] * meta.output_shape[2], { restore: firstResult ? store.get().step : null });
  drawingResult = false;
  firstResult = false;
  renderAll();
  markDrawn();
  resolveReady();
  settle();
}

function onRunError(error) {
  if (error.quiet) return;
  stale = true;
  alerts.show(error.field, error.message, "run", "general");
  if (error.field?.startsWith("kernels.values")) kernelEditor.flag(lastWeight);
  renderAll();
  resolveReady();
  settle();
}

function resync({ reconnected }) {
  if (!reconnected || !data.input || !data.kernel) {
    sync(["input", "kernelPreset"]);
    return;
  }
  run(); // the server restarted or the network came back: send the state again
}

function showStatus(kind) {
  status.classList.toggle("reconnecting", kind === "reconnecting");
  if (kind === "reconnecting") status.textContent = "Reconnecting…";
  else status.textContent = status.dataset.engineReady === "true" ? "" : "Warming up the engine…";
}

// ------------------------------------------------------------------ drawing

function renderAll() {
  const s = store.get();
  controls.update({ state: s, meta: result?.meta });
  formula.update({ meta: result?.meta, channelsIn: result?.padded.shape[0] });
  kernelEditor.update({ kernel: data.kernel, bias: data.bias, selected: Math.min(s.filter, (data.kernel?.filters ?? 1) - 1), weights: result?.weights, flip: s.flip && result?.params.flip });
  $("#stale-note").hidden = !stale || !result;
  renderStage();
}

function renderStage() {
  if (!data.input) return;
  const s = store.get();
  const volume = data.input.channels > 1;
  if (stage.classList.contains("volume") !== volume) {
    stage.classList.toggle("volume", volume);
    measure(); // the panes moved: once, on this rare change
  }
  const picture = stageFrame({ state: s, data, result, frame, hover, traces, sizes, room });
  $("#input-view").style.setProperty("--columns", picture.columns);
  inputView.update(picture.input);
  $("#input-shape").textContent = picture.inputShape;
  $("#unused-note").hidden = !picture.unusedNote;
  $("#output-shape").textContent = picture.outputShape;
  if (picture.output) outputView.update(picture.output);
  arithmetic.update(picture.arithmetic);
  transport.update(picture.transport);
}

// Layout measurements, read when layout is fresh anyway (ResizeObserver callbacks), so
// drawing a result never makes the browser lay the page out an extra time.
const room = { stageWidth: 0, stageTop: 0, kernelWidth: 0, kernelHeight: 0, gap: 0 };
function measure() {
  const pane = $(".pane-kernel");
  room.stageWidth = stage.clientWidth;
  room.stageTop = stage.getBoundingClientRect().top + window.scrollY;
  room.kernelWidth = pane.offsetWidth;
  room.kernelHeight = pane.offsetHeight;
  room.gap = parseFloat(getComputedStyle(stage).columnGap) || 0;
}
let resizeFrame = 0;
const observer = new ResizeObserver(() => {
  const before = JSON.stringify(room);
  measure();
  if (JSON.stringify(room) === before) return;
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(renderAll);
});
for (const el of [$(".main"), $("#formula"), stage, $(".pane-kernel")]) observer.observe(el);
// A taller or shorter window changes the height budget without resizing any pane.
window.addEventListener("resize", () => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => (measure(), renderAll()));
});
measure();
reducedMotion.addEventListener("change", renderAll);
$("#copy-link").addEventListener("click", async () => {
  store.flush();
  try {
    await navigator.clipboard.writeText(location.href);
    status.textContent = "Link copied";
  } catch {
    status.textContent = "Copy the address bar to share this setup";
  }
  setTimeout(() => showStatus(socket.connected ? "open" : "reconnecting"), 2500);
});

// For tests and the benchmark: the state, the last answer, and a promise for the first picture.
window.convscope = {
  store,
  ready,
  get state() {
    return store.get();
  },
  get lastResult() {
    return result;
  },
  get data() {
    return data;
  },
  get frame() {
    return frame;
  },
  views: { inputView, outputView },
  socket,
  /** A lesson (embed=1) applies a question's patch; resolves once the engine has answered it. */
  apply(patch) {
    return new Promise((resolve) => {
      settleWaiters.push(resolve);
      change(patch);
    });
  },
};
