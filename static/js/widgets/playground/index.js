// The convolution playground as a widget: the settings panel, the formula, input · kernel ·
// output, the transport and the arithmetic. It owns the flow, not the math: every number
// shown comes from the engine's answers. Parts draw (one module each); loader.js fetches
// pictures and kernels; the animator times the steps; traces.js fetches their arithmetic.
// Face: fields(context), consistent(state, context), mount(element, context) ->
// {update(state) -> Promise (settled once the engine has answered), destroy(), inspect()}.

import { createAlerts } from "../../lib/alerts.js";
import { createAnimator } from "../../lib/animator.js";
import { attachExport } from "../../lib/export.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { presenterScale } from "../../lib/room.js";
import { mount as mountArithmetic } from "./arithmetic.js";
import { mount as mountFormula } from "./formula.js";
import { mount as mountInput } from "./input-view.js";
import { mount as mountKernel } from "./kernel-editor.js";
import { sizes } from "./layout.js";
import { createLoader } from "./loader.js";
import { mount as mountMagnifier } from "./magnifier.js";
import { mainHtml, panelHtml } from "./markup.js";
import { paint, runParams, setWeight } from "./model.js";
import { mount as mountOutput } from "./output-view.js";
import { mount as mountPanel } from "./panel.js";
import { mount as mountSpoken } from "./spoken.js";
import { createStageFrame } from "./stage-frame.js";
import { createTraces } from "./traces.js";
import { mount as mountTransport } from "./transport.js";

export { consistent, fields } from "./fields.js";

const INPUT_KEYS = new Set(["input", "height", "width", "channels", "seed", "inputValues"]);
const KERNEL_KEYS = new Set(["kernelPreset", "kernel", "filters", "channels", "kernelValues"]);
const VIEW_KEYS = new Set(["filter", "step", "speed"]);
const HEADROOM = 56; // px of a page's bar above the widget (3.5rem)
const ARRANGEMENTS = ["row", "pair", "stack"]; // layout.js

/**
 * Mount the playground in `element`. context: the page's widget context plus {socket, onChange}
 * and, on the playground page, onAnswer() (the first answer ends "warming up the engine").
 */
export function mount(element, { socket, onChange, limits, onAnswer = () => {}, ...context }) {
  const id = idScope("playground");
  element.classList.add("playground-widget");
  element.innerHTML = `<aside class="panel" aria-label="Settings">${panelHtml(id, context)}</aside>
    <div class="main">${mainHtml(id)}</div>`;
  const $ = (selector) => element.querySelector(selector);
  const alerts = createAlerts(element);
  const stage = $(".stage");
  const main = $(".main");
  const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");
  const stageFrame = createStageFrame();

  let state = null; // the settings drawn, with the widget's own changes already in
  const data = { input: null, kernel: null, bias: null }; // the picture and kernels in use
  let result = null; // the last good conv.result: {meta, output, padded, weights, params}
  let stale = false; // the newest run failed; `result` is older than the settings
  let hover = null; // {step, view}: an output cell under the pointer
  let wanted = null; // the step the last key asked for while the animator is still fetching it
  let frame = { step: -1, from: -1, progress: 1, playing: false, speed: 1, total: 0 };
  let changePending = false;
  let drawingResult = false;
  let lastWeight = -1; // the weight typed last: the one to mark when the server refuses the kernels
  let firstResult = true;
  let ranOn = -1; // the connection the state was last sent on (a new one: send it again)
  let resolveReady;
  const ready = new Promise((resolve) => (resolveReady = resolve));
  let settleWaiters = []; // update() callers, told when the engine has answered the newest change
  function settle() {
    const waiters = settleWaiters;
    settleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A change the widget makes itself: known here at once, then told to the page's store. */
  function own(patch) {
    state = { ...state, ...patch };
    onChange(patch);
  }

  const loader = createLoader({ socket, store: { get: () => state, set: own }, data, alerts });
  const traces = createTraces(loader.ask);
  const animator = createAnimator({
    prepare: (step) => traces.get(state.filter, step).catch(() => null),
    reducedMotion: () => reducedMotion.matches,
    onFrame(next) {
      frame = next;
      if (wanted === next.step) wanted = null;
      if (state && state.step !== next.step) own({ step: next.step });
      if (!drawingResult) renderStage(); // a new result draws everything once, below
    },
  });

  // ---------------------------------------------------------------- parts

  const panel = mountPanel($(".panel"), {
    limits,
    onChange,
    onRandom: () => onChange({ input: "random", seed: state.input === "random" ? state.seed + 1 : state.seed }),
    onUpload: async (file) => {
      markChange();
      if (await loader.upload(file)) afterInputLoaded();
    },
  });
  const formula = mountFormula($(".formula"), { onSuggest: onChange });
  const inputView = mountInput($(".input-view"), {
    onPaint(channel, cells, erase) {
      markChange();
      data.input = paint(data.input, channel, cells, erase ? 0 : panel.brush());
      own({ input: "custom", inputValues: data.input.values });
      renderStage();
      run();
    },
    onPaintEnd: () => {},
  });
  const kernelEditor = mountKernel($(".kernel-editor"), {
    id,
    onValue(offset, value) {
      markChange();
      alerts.clear("typing");
      data.kernel = setWeight(data.kernel, offset, value);
      lastWeight = offset;
      own({ kernelPreset: "custom", kernelValues: data.kernel.values });
      run();
    },
    onBias(filter, value) {
      markChange();
      alerts.clear("typing");
      data.bias = Float32Array.from(data.bias);
      data.bias[filter] = value;
      own({ bias: data.bias });
      run();
    },
    onSelect: (filter) => onChange({ filter }),
    onInvalid: (message) => alerts.show("kernels.values", message, "typing"),
    onCommit: () => stage.focus({ preventScroll: true }),
  });
  const outputView = mountOutput($(".output-view"), {
    id,
    onHover(step) {
      if (step === null) {
        hover = null;
        renderStage();
        return;
      }
      hover = { step, view: null };
      traces.get(state.filter, step).then(
        (view) => {
          if (hover?.step === step) {
            hover.view = view;
            renderStage();
          }
        },
        () => {},
      );
    },
    onPick: (step) => command("seek", step),
    onSelectFilter: (filter) => onChange({ filter }),
    thumbs: $(".thumbs"),
  });
  const magnifier = mountMagnifier($(".pane-zoom"));
  $(".zoom-button").addEventListener("click", () => {
    if (frame.step < 0) command("seek", 0);
    $(".pane-zoom").scrollIntoView({ block: "nearest" });
  });
  const arithmetic = mountArithmetic($(".arithmetic"), { id });
  const spoken = mountSpoken(stage);
  // Every step key is applied, in order: while the animator is still fetching the step a key
  // asked for (a heavy setup's trace), the next key counts from that step, not from the one on
  // screen, so five presses always move five steps (the last one wins the race to be drawn).
  function command(name, arg) {
    if (name === "speed") own({ speed: String(arg) });
    const total = frame.total;
    if ((name === "next" || name === "prev") && wanted !== null && wanted !== frame.step && total) {
      wanted = name === "next" ? Math.min(total - 1, wanted + 1) : Math.max(0, wanted - 1);
      animator.command("seek", wanted);
      return;
    }
    if (name === "next" && total) wanted = frame.step < 0 ? 0 : Math.min(total - 1, frame.step + 1);
    else if (name === "prev" && total) wanted = frame.step < 0 ? total - 1 : Math.max(0, frame.step - 1);
    else if (name === "seek") wanted = arg;
    else if (name !== "speed") wanted = null;
    if (wanted === frame.step) wanted = null;
    animator.command(name, arg);
  }
  const transport = mountTransport($(".transport"), { onCommand: command, id });
  const unbindKeys = bindKeys(command, stage, element);

  // ---------------------------------------------------------------- changes and runs

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

  /** New settings from the page's store: fetch what they need and run. Resolves once answered. */
  function update(next) {
    const before = state;
    // A link may carry a speed; it is set before the state is, so no step is written back.
    if (!before) animator.command("speed", next.speed);
    state = next;
    const keys = before ? Object.keys(next).filter((k) => next[k] !== before[k]) : Object.keys(next);
    // A step set from outside the widget (an example chosen, a link): the animator follows.
    if (before && keys.includes("step") && next.step !== frame.step) {
      wanted = null;
      if (next.step < 0) animator.command("reset");
      else if (frame.total) animator.command("seek", next.step);
    }
    const resend = socket.opened !== ranOn; // a new connection: the server may have restarted
    if (!keys.length && !resend) return settleWaiters.length ? waitSettled() : Promise.resolve();
    const settled = waitSettled();
    if (resend) ranOn = socket.opened;
    if (!data.input || !data.kernel) {
      sync(["input", "kernelPreset", ...keys]);
      return settled;
    }
    if (keys.length) markChange();
    if (!resend && keys.every((k) => VIEW_KEYS.has(k))) {
      if (keys.includes("filter")) animator.setTotal(traces.total);
      if (keys.includes("speed")) animator.command("speed", next.speed);
      renderAll();
      settle();
      return settled;
    }
    sync(keys); // after a new connection with nothing changed, this runs the state again
    return settled;
  }

  function waitSettled() {
    return new Promise((resolve) => settleWaiters.push(resolve));
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
    const params = runParams(state, data.input, data.kernel, data.bias, loader.held);
    loader.run(params).then((answer) => onResult(answer, params), onRunError);
  }

  function onResult(answer, params) {
    if (changePending) performance.mark("convscope:answer");
    const { meta, arrays } = answer;
    result = { meta, output: arrays.output, padded: arrays.padded, weights: arrays.weights, params };
    stale = false;
    alerts.clear("run");
    kernelEditor.flag(-1);
    onAnswer();
    const [F] = meta.output_shape;
    if (state.filter >= F) own({ filter: 0 });
    const [, C, KH, KW] = arrays.weights.shape;
    traces.reset(params, meta.output_shape, C * KH * KW);
    if (hover) hover = { step: hover.step, view: null };
    drawingResult = true;
    animator.setTotal(meta.output_shape[1] * meta.output_shape[2], { restore: firstResult ? state.step : null });
    drawingResult = false;
    firstResult = false;
    renderAll();
    markDrawn();
    element.dataset.ready = "true";
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

  /** A message for this widget that answers no request of its own (the page routes it here). */
  function showStray(error) {
    alerts.show(error.field, error.message, "run");
  }

  // ---------------------------------------------------------------- drawing

  function renderAll() {
    if (!state) return;
    panel.update({ state, meta: result?.meta });
    formula.update({ meta: result?.meta, channelsIn: result?.padded.shape[0] });
    $(".stale-note").hidden = !stale || !result;
    renderStage(); // first: the stage's layout sizes the kernel's fields
    kernelEditor.update({
      kernel: data.kernel,
      bias: data.bias,
      selected: Math.min(state.filter, (data.kernel?.filters ?? 1) - 1),
      weights: result?.weights,
      flip: state.flip && result?.params.flip,
      kcell: lastLayout?.kcell,
    });
  }

  let lastLayout = null;
  function renderStage() {
    if (!data.input || !state) return;
    const volume = data.input.channels > 1;
    stage.classList.toggle("volume", volume);
    const picture = stageFrame({ state, data, result, frame, hover, traces, sizes, room });
    const { layout } = picture;
    lastLayout = layout;
    for (const name of ARRANGEMENTS) stage.classList.toggle(`arr-${name}`, layout.arrangement === name);
    stage.dataset.arrangement = layout.arrangement;
    $(".kernel-editor").style.setProperty("--kcell", `${layout.kcell}px`);
    $(".input-view").style.setProperty("--columns", picture.columns);
    const numbersIn = inputView.update(picture.input);
    $(".input-shape").textContent = picture.inputShape;
    $(".unused-note").hidden = !picture.unusedNote;
    $(".output-shape").textContent = picture.outputShape;
    const numbersOut = picture.output ? outputView.update(picture.output) : true;
    showZoom(numbersIn && numbersOut, picture.magnifier);
    arithmetic.update(picture.arithmetic);
    if (picture.spoken !== undefined) spoken.update(picture.spoken);
    transport.update(picture.transport);
  }

  // Numbers never vanish silently: when the cells are too small for them, a note says so and
  // offers the zoom (the magnifier on the current window and its output cell).
  let zoomText = "";
  function showZoom(numbers, view) {
    const note = $(".zoom-note");
    note.hidden = numbers;
    element.dataset.numbers = String(numbers);
    magnifier.update(numbers ? null : view && { ...view, width: room.stageWidth });
    if (numbers) return;
    const text = view ? "Cells too small for numbers: see the zoom below." : "Cells too small for numbers.";
    if (text !== zoomText) $(".zoom-note-text").textContent = zoomText = text;
    $(".zoom-button").hidden = Boolean(view);
  }

  // Layout measurements, read when layout is fresh anyway (ResizeObserver callbacks), so
  // drawing a result never makes the browser lay the page out an extra time.
  // The height budget is the window's as it is when the widget is scrolled to: on its own page
  // under the top bar, in a lesson under the lesson's bar (HEADROOM), wherever it sits on the page.
  const room = { stageWidth: 0, stageTop: 0, gap: 0, viewHeight: 0, scale: 1, corners: false };
  function measure() {
    const mainTop = main.getBoundingClientRect().top + window.scrollY;
    const style = getComputedStyle(stage);
    room.stageWidth = stage.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0);
    room.stageTop = stage.getBoundingClientRect().top + window.scrollY - mainTop + Math.min(mainTop, HEADROOM);
    room.gap = parseFloat(style.columnGap) || 0;
    room.viewHeight = window.innerHeight;
    room.scale = presenterScale();
    // Presenting with the panels folded, the Class and presenter buttons sit in the bottom corners.
    room.corners = document.documentElement.hasAttribute("data-present") && !document.documentElement.dataset.panels;
  }
  let resizeFrame = 0;
  const redraw = () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(() => (measure(), renderAll()));
  };
  const observer = new ResizeObserver(() => {
    const before = JSON.stringify(room);
    measure();
    if (JSON.stringify(room) === before) return;
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(renderAll);
  });
  for (const el of [main, $(".formula"), stage]) observer.observe(el);
  // A taller or shorter window changes the height budget without resizing any pane.
  window.addEventListener("resize", redraw);
  measure();
  reducedMotion.addEventListener("change", renderAll);

  // Export (PNG, GIF of the sliding filter, embed link): its menu sits at the top of the settings
  // panel, in the flow, so it never covers the formula or the stage.
  const exportSlot = document.createElement("div");
  exportSlot.className = "export-slot";
  $(".panel").prepend(exportSlot);
  const drawn = (i) =>
    new Promise((resolve) => {
      const check = () => (frame.step === i && frame.progress === 1 ? resolve() : requestAnimationFrame(check));
      check();
    });
  const exported = attachExport(element, {
    type: "playground",
    slot: exportSlot,
    state: () => state,
    redraw: () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          measure();
          renderAll();
          resolve();
        }),
      ),
    animation: {
      steps: () => frame.total,
      step: () => frame.step,
      show: (i) => (onChange({ step: i }), drawn(i)),
    },
  });

  return {
    update,
    showStray,
    destroy() {
      animator.command("reset");
      observer.disconnect();
      window.removeEventListener("resize", redraw);
      reducedMotion.removeEventListener("change", renderAll);
      unbindKeys();
      panel.destroy();
      exported.destroy();
      element.replaceChildren();
    },
    /** What the widget holds and shows, for tests, the benchmark and a lesson's reveal. */
    inspect: () => ({
      ready,
      get state() {
        return state;
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
      views: { inputView, outputView, magnifier },
    }),
  };
}
