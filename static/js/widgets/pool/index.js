// Pooling widget: max/average, window and stride, an input picture, the pooled output,
// the output-size formula and the window animated step by step. Every number comes from
// the engine (pool.run, pool.trace); the widget draws, steps and compares two answers.
// Face: mount(element, {socket, limits, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { cellsBetween, createGrid, fitCell } from "../../lib/grid.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { mi, mn, mo, outputSize, sub } from "../../lib/mathml.js";
import { loadPicture } from "../../lib/pictures.js";
import { onWidthChange, roomHeight, roomWidth } from "../../lib/room.js";
import { createStepper } from "../../lib/stepper.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

export const POOL_PRESETS = ["x", "digit", "checkerboard", "random", "seed003", "vertical_edge"];
const PRESET_LABELS = {
  x: "X",
  digit: "7",
  checkerboard: "Checkerboard",
  random: "Random",
  seed003: "Seed 003",
  vertical_edge: "Edge",
};

/** The widget's URL fields (state.js table); window and stride share the stride cap (PROTOCOL.md). */
export function fields() {
  return [
    { key: "poolMode", url: "pm", type: "enum", options: ["max", "avg"], def: "max" },
    { key: "poolWindow", url: "pk", type: "int", min: 1, max: "stride", def: 2 },
    { key: "poolStride", url: "ps", type: "int", min: 1, max: "stride", def: 2 },
    { key: "poolSize", url: "pn", type: "int", min: 1, max: "size", def: 8 },
    { key: "poolInput", url: "pin", type: "enum", options: [...POOL_PRESETS, "custom"], def: "x" },
    { key: "poolSeed", url: "pseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "poolValues", url: "px", type: "floats", def: null },
    { key: "poolStep", url: "pt", type: "int", min: -1, max: 2 ** 31 - 1, def: -1 },
  ];
}

/** Custom values that no longer match the size fall back to the default picture. */
export function consistent(state) {
  const s = { ...state };
  if (s.poolInput === "custom" && s.poolValues?.length !== s.poolSize * s.poolSize) s.poolInput = "x";
  if (s.poolInput !== "custom") s.poolValues = null;
  return s;
}

const TRACE_PAGE = 256; // steps fetched per pool.trace request
const STEP_MS = 900;

function slider(uid, key, label) {
  return rangeSlider({
    id: `${uid}-${key}`,
    control: key,
    label,
    input: `data-key="${key}" step="1"`,
    output: `id="${uid}-val-${key}"`,
  });
}

/** W_o = (W_i − F)/S + 1 with the engine's numbers (meta.axes); the value as the engine wrote it. */
function formulaMath(axis) {
  return outputSize(axis, {
    lhs: sub("W", "o"),
    symbolic: [sub("W", "i"), mo("\u2212"), mi("F")],
    numeric: [mn(axis.n), mo("\u2212"), mn(axis.k)],
    stride: mi("S"),
    block: true,
    displaystyle: true,
  });
}

export function mount(element, { socket, limits, onChange }) {
  // Element ids are unique per mount ("pool", then "pool-2", ...), so a lesson can hold two of these widgets.
  const uid = idScope("pool")("pool");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Pooling</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("mode", { max: "Max", avg: "Average" }, { label: "Pooling" })}
        ${slider(uid, "window", "Window F")}${slider(uid, "stride", "Stride S")}
        ${slider(uid, "size", "Input size W<sub>i</sub>")}
        ${chips("preset", PRESET_LABELS, { label: "Input picture" })}
        <button type="button" class="chip shift-button" data-action="shift">Shift one pixel →</button>
        ${alertHtml("input")}
      </div>
      <div class="widget-main">
        <div class="formula pool-formula">
          <div class="formula-line"><span class="formula-label">Output size</span><span ` +
    `class="formula-math"></span></div>
          <p class="formula-note channels-note"></p>
          <p class="problem-text" role="status" aria-live="polite"></p>
        </div>
        ${alertHtml("general")}
        <div class="pool-stage" tabindex="0" aria-label="Pooling. Space plays or pauses; arrow keys and Page Up or ` +
    `Page Down step; Escape shows the whole output.">
          <figure class="pane"><figcaption><span class="pane-title">Input</span> <span class="shape" ` +
    `data-shape="input"></span> <span class="hint-inline">click or drag to paint</span></figcaption>
            <canvas class="grid-canvas" data-grid="input"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Pooled output</span> <span class="shape" ` +
    `data-shape="output"></span></figcaption>
            <canvas class="grid-canvas" data-grid="output"></canvas>
            <p class="shift-note" role="status" aria-live="polite"></p></figure>
          <div class="pane step-pane">
            <div class="transport"><button type="button" data-step="prev" aria-label="Previous step">◀</button>
              <button type="button" data-step="play" class="play">Play</button>
              <button type="button" data-step="next" aria-label="Next step">▶</button></div>
            <p class="step-label" aria-live="polite"></p>
            <div class="running"></div>
          </div>
        </div>
      </div>
    </div>`,
  );
  const stage = $(".pool-stage");
  const inputGrid = createGrid($('[data-grid="input"]'));
  const outputCanvas = $('[data-grid="output"]');
  const outputGrid = createGrid(outputCanvas);
  let state = null;
  let input = null; // {height, width, values}: the picture pooled (channel 1)
  let result = null; // {meta, output: Tensor, winners?: Tensor}
  let traceKey = "";
  const pages = new Map(); // page number -> pool.trace answer
  let shift = null; // {before: Float32Array, unchanged: [[r, c], ...]} after "shift"
  let shiftPending = null;
  let loadKey = "";
  const asked = askedOnce(); // the run parameters last sent

  const set = (patch) => onChange(patch);

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.mode) set({ poolMode: b.dataset.mode, poolStep: -1 });
    else if (b.dataset.preset)
      set({
        poolInput: b.dataset.preset,
        poolValues: null,
        poolStep: -1,
        ...(b.dataset.preset === "random" && state.poolInput === "random" ? { poolSeed: state.poolSeed + 1 } : {}),
      });
    else if (b.dataset.action === "shift") shiftInput();
    else if (b.dataset.step) command(b.dataset.step === "play" ? "toggle" : b.dataset.step);
  });
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (!key) return;
    const field = { window: "poolWindow", stride: "poolStride", size: "poolSize" }[key];
    set({
      [field]: Number(e.target.value),
      poolStep: -1,
      ...(key === "size" && state.poolInput === "custom" ? { poolInput: "x", poolValues: null } : {}),
    });
  });

  function total() {
    return result ? result.output.size : 0;
  }

  const { command, stop } = createStepper({
    getStep: () => state.poolStep,
    setStep: (step) => set({ poolStep: step }),
    total,
    intervalMs: STEP_MS,
    onPlaying: (on) => ($(".play").textContent = on ? "Pause" : "Play"),
  });
  const unbindKeys = bindKeys(command, stage, element);

  // Painting on the input: a click sets a cell to the picture's largest value (or, on a cell
  // already that large, to its smallest); a drag paints the same value on. A new max makes
  // its window's winner move, which is the point of drawing here.
  let paint = null; // {value, values} while the pointer is down
  const inputCanvas = $('[data-grid="input"]');
  inputCanvas.addEventListener("pointerdown", (e) => {
    const cell = inputGrid.cellAt(e);
    if (!cell || !input) return;
    const values = Float32Array.from(input.values); // (H·W) a copy to paint on
    let [lo, hi] = [Math.min(...values), Math.max(...values)];
    if (lo === hi) hi = lo + 1;
    const i = cell.r * input.width + cell.c;
    paint = { value: values[i] === hi ? lo : hi, values };
    inputCanvas.setPointerCapture(e.pointerId);
    paintAt(cell);
  });
  inputCanvas.addEventListener("pointermove", (e) => paint && paintAt(inputGrid.cellAt(e)));
  const endPaint = () => (paint = null);
  inputCanvas.addEventListener("pointerup", endPaint);
  inputCanvas.addEventListener("pointercancel", endPaint);

  function paintAt(cell) {
    if (!cell) return;
    const cells = paint.last ? cellsBetween(paint.last, cell) : [cell]; // a fast drag skips no cell
    paint.last = cell;
    const fresh = cells.filter(({ r, c }) => paint.values[r * input.width + c] !== paint.value);
    if (!fresh.length && paint.touched) return;
    for (const { r, c } of fresh) paint.values[r * input.width + c] = paint.value;
    paint.touched = true;
    set({ poolInput: "custom", poolValues: Float32Array.from(paint.values), poolStep: -1 });
  }

  // Translation invariance: the same picture moved one pixel right (the last column wraps
  // round to the first, so no value is invented); the outputs before and after are compared.
  function shiftInput() {
    if (!input || !result) return;
    const { height: h, width: w, values } = input;
    const moved = new Float32Array(h * w);
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) moved[r * w + c] = values[r * w + ((c - 1 + w) % w)];
    shiftPending = { before: Float32Array.from(result.output.data) };
    set({ poolInput: "custom", poolValues: moved, poolStep: -1 });
  }

  function params() {
    return {
      input: { channels: 1, height: input.height, width: input.width, values: Array.from(input.values) },
      mode: state.poolMode,
      kernel: [state.poolWindow, state.poolWindow],
      stride: [state.poolStride, state.poolStride],
    };
  }

  async function loadInput() {
    const s = state;
    if (s.poolInput === "custom" && s.poolValues?.length === s.poolSize * s.poolSize) {
      input = { height: s.poolSize, width: s.poolSize, values: Float32Array.from(s.poolValues) };
      return true;
    }
    const p = { name: s.poolInput === "custom" ? "x" : s.poolInput, height: s.poolSize, width: s.poolSize };
    if (p.name === "random") p.seed = s.poolSeed;
    const picture = await loadPicture(socket, p, alerts);
    if (!picture) return false;
    input = picture;
    if (picture.height !== s.poolSize) set({ poolSize: picture.height }); // seed003 is always 6×6
    return true;
  }

  async function run() {
    const p = params();
    const { answer, error: e, quiet } = await asked.ask(p, () => socket.request("pool.run", p));
    if (quiet) return;
    if (answer) {
      alerts.clear("pool");
      result = { meta: answer.meta, output: answer.arrays.output, winners: answer.arrays.winners ?? null };
      pages.clear();
      traceKey = JSON.stringify(p);
      shift = shiftPending && shiftPending.before.length === result.output.size ? compare(shiftPending.before) : null;
      shiftPending = null;
      element.dataset.ready = "true";
    }
    if (e) alerts.show(e.field, e.message, "pool", e.field?.startsWith("kernel") ? "window" : "general");
    draw();
  }

  // Equality of two engine answers, cell by cell: which pooled cells the shift left alone.
  function compare(before) {
    const [, oh, ow] = result.output.shape;
    const unchanged = [];
    for (let r = 0; r < oh; r++)
      for (let c = 0; c < ow; c++) if (before[r * ow + c] === result.output.data[r * ow + c]) unchanged.push([r, c]);
    return { before, unchanged };
  }

  async function traceStep(step) {
    const page = Math.floor(step / TRACE_PAGE);
    const key = traceKey;
    if (!pages.has(page)) {
      pages.set(
        page,
        socket.request("pool.trace", { ...params(), start: page * TRACE_PAGE, count: TRACE_PAGE }).then(
          (a) => a,
          () => (pages.delete(page), null), // asked again when next drawn (after a reconnection, say)
        ),
      );
    }
    const answer = await pages.get(page);
    if (!answer || key !== traceKey) return null;
    const i = step - answer.meta.start;
    const a = answer.arrays;
    const kk = a.window.shape[1] * a.window.shape[2];
    return {
      step,
      mode: answer.meta.mode,
      origin: [a.origin.at(i, 0), a.origin.at(i, 1)],
      out: [a.out_index.at(i, 1), a.out_index.at(i, 2)],
      kh: a.window.shape[1],
      kw: a.window.shape[2],
      window: Array.from(a.window.data.subarray(i * kk, (i + 1) * kk)),
      running: Array.from(a.running.data.subarray(i * kk, (i + 1) * kk)),
      winner: [a.winner.at(i, 0), a.winner.at(i, 1)],
      result: a.result.data[i],
    };
  }

  let view = null; // the traced step on screen
  async function draw() {
    if (!input) return;
    const step = result ? Math.min(state.poolStep, total() - 1) : -1;
    view = step >= 0 ? await traceStep(step) : null;
    if (view && view.step !== Math.min(state.poolStep, total() - 1)) return; // a newer step is drawing
    render();
  }

  function render() {
    const { height: h, width: w, values } = input;
    const scale = scaleFor(result ? [values, result.output.data] : values);
    const box = boxes();
    const cell = fitCell(box.width, box.height, w, h, 6, 84);
    const hl = view
      ? [
          {
            r: view.origin[0],
            c: view.origin[1],
            h: view.kh,
            w: view.kw,
            taps: view.winner[0] >= 0 ? [view.winner] : [],
          },
        ]
      : [];
    // Cells no window reaches (the engine's leftover per axis) are darkened, as in the playground.
    const axes = result?.meta.axes;
    const unused =
      axes && axes.height.n === h ? { bottom: axes.height.leftover, right: axes.width.leftover } : undefined;
    inputGrid.draw({ rows: h, cols: w, cell, value: (r, c) => values[r * w + c], scale, highlights: hl, unused });
    $('[data-shape="input"]').textContent = `${h} × ${w} × 1`;
    element.querySelector(".shift-button").disabled = !result;
    pressChips(element, "mode", (mode) => mode === state.poolMode);
    pressChips(element, "preset", (preset) => preset === state.poolInput);
    renderSliders();
    if (!result) return;
    const [ch, oh, ow] = result.meta.output_shape;
    const out = result.output.data;
    const ocell = fitCell(box.width, box.height, ow, oh, 6, 96);
    const upto = view ? view.step : Infinity;
    outputGrid.draw({
      rows: oh,
      cols: ow,
      cell: ocell,
      value: (r, c) => out[r * ow + c],
      scale,
      filled: view ? (r, c) => (r * ow + c <= upto ? 1 : 0) : undefined,
      highlights: view ? [{ r: view.out[0], c: view.out[1], h: 1, w: 1 }] : [],
    });
    if (shift && !view) ringUnchanged(ocell);
    $('[data-shape="output"]').textContent = `${oh} × ${ow} × ${ch}`;
    const axis = result.meta.axes.width;
    $(".pool-formula .formula-math").replaceChildren(formulaMath(axis));
    $(".channels-note").textContent = `Channels unchanged: 1 in → ${ch} out. Pooling learns no weights.`;
    $(".problem-text").textContent = result.meta.problem ?? "";
    $(".pool-formula").classList.toggle("has-problem", !result.meta.fits);
    $(".shift-note").textContent = shift
      ? `Ringed: ${shift.unchanged.length} of ${ow * oh} pooled cells are the same after the one-pixel shift.`
      : "";
    renderStep();
  }

  // The input and the output share the row the stage has (the step pane wraps under them when
  // it must); a phone stacks them, each as wide as the stage. Tall enough to leave the
  // transport in view on a projector.
  function boxes() {
    const room = roomWidth(stage, 600);
    const gap = 30;
    const side = room >= 2 * 220 + gap;
    return { width: side ? (room - gap) / 2 - 4 : room - 4, height: roomHeight(side ? 330 : 260, 240) };
  }

  // Black-and-white double ring: readable on purple, orange, black and white cells alike.
  function ringUnchanged(cell) {
    const ctx = outputCanvas.getContext("2d");
    for (const [r, c] of shift.unchanged) {
      const [x, y, s] = [c * cell + 5, r * cell + 5, cell - 10];
      ctx.lineWidth = 5;
      ctx.strokeStyle = "#000";
      ctx.strokeRect(x, y, s, s);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(x, y, s, s);
    }
  }

  function renderSliders() {
    const ranges = result?.meta.ranges.width;
    const spec = {
      window: [ranges?.kernel ?? { min: 1, max: limits.stride }, state.poolWindow],
      stride: [ranges?.stride ?? { min: 1, max: limits.stride }, state.poolStride],
      size: [ranges?.size ?? { min: 1, max: limits.size }, input.height],
    };
    for (const [key, [range, value]] of Object.entries(spec))
      showRange($(`[data-control="${key}"]`), { min: range.min, max: range.max, value });
  }

  function renderStep() {
    const label = $(".step-label");
    const box = $(".running");
    if (!view) {
      label.textContent = `Whole output · ${total()} windows. Press → to step.`;
      box.replaceChildren();
      return;
    }
    const isMax = view.mode === "max";
    label.textContent = `Step ${view.step + 1} of ${total()} · output cell (${view.out[0]}, ${view.out[1]})`;
    const rows = [
      ["Window", view.window],
      [isMax ? "Running max" : "Running sum", view.running],
    ];
    const table = document.createElement("table");
    table.className = "running-table";
    for (const [name, vals] of rows) {
      const tr = table.insertRow();
      tr.insertCell().outerHTML = `<th scope="row">${name}</th>`;
      vals.forEach((v, i) => {
        const td = tr.insertCell();
        td.textContent = fmt(v);
        const wi = [view.origin[0] + Math.floor(i / view.kw), view.origin[1] + (i % view.kw)];
        if (isMax && name === "Window" && wi[0] === view.winner[0] && wi[1] === view.winner[1]) td.className = "winner";
      });
    }
    const result_ = document.createElement("p");
    result_.className = "step-result";
    result_.textContent = isMax
      ? `max = ${fmt(view.result)} (ringed in the input)`
      : `mean = ${fmt(view.running[view.running.length - 1])} ÷ ${view.window.length} cells = ${fmt(view.result)}`;
    box.replaceChildren(table, result_);
  }

  async function update(next) {
    const before = state;
    state = next;
    const inputKey = JSON.stringify([
      next.poolInput,
      next.poolSize,
      next.poolSeed,
      next.poolInput === "custom" ? Array.from(next.poolValues ?? []) : null,
    ]);
    if (inputKey !== loadKey) {
      loadKey = inputKey;
      if (!(await loadInput()) || loadKey !== inputKey) return;
    }
    if (!input) return;
    if (
      !shiftPending &&
      before &&
      (before.poolMode !== next.poolMode ||
        before.poolWindow !== next.poolWindow ||
        before.poolStride !== next.poolStride ||
        before.poolInput !== next.poolInput)
    )
      shift = null;
    await run();
  }

  return widgetFace(element, {
    update,
    animation: { steps: total, step: () => state.poolStep, show: (i) => set({ poolStep: i }) },
    stops: [stop, unbindKeys, onWidthChange(element, () => input && render())],
    inspect: () => ({
      input: input && { height: input.height, width: input.width, values: Array.from(input.values) },
      output: result && { shape: result.meta.output_shape, values: Array.from(result.output.data) },
      meta: result?.meta ?? null,
      step: view,
      unchanged: shift?.unchanged ?? null,
      outputLabels: result
        ? Array.from({ length: result.meta.output_shape[1] }, (_, r) =>
            Array.from({ length: result.meta.output_shape[2] }, (_, c) => outputGrid.label(r, c)),
          )
        : null,
    }),
  });
}
