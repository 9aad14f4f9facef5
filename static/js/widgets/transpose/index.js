// Transposed-convolution widget: each input cell, in turn, stamps its value times the kernel onto
// a canvas, stride cells from the last stamp; overlaps add; the output is the canvas with the
// padding cut from each side (hatched) and the output padding kept at the bottom and right.
// Every number comes from the engine (transpose.run: the output, each stamp, the canvas after
// each stamp, the sizes and their formula); the widget draws and steps.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   tpInput   [tpi]  "pair" | "ones" | "impulse" | "ramp"   the input grid (default "pair")
//   tpKernel  [tpk]  "ones" | "cross" | "ramp" | "bilinear"  the kernel (default "ones")
//   tpStride  [tps]  1–3 (default 2)      tpPadding [tpp]  0–3 (default 0)
//   tpOutPad  [tpo]  0–2 (default 0), below the stride or the dilation (consistent() lowers it)
//   tpDilation [tpd] 1–2 (default 1)     tpStep [tpt]  the stamp shown, from 0; −1: all (default −1)

import { alertHtml } from "../../lib/alerts.js";
import { askShown, askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { roomWidth } from "../../lib/room.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { createStepper } from "../../lib/stepper.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

// Example grids: inputs, like a typed kernel; everything computed from them is the engine's.
export const TP_INPUTS = {
  pair: { label: "2×2: 1, 2 / 3, 4", rows: [[1, 2], [3, 4]] },
  ones: { label: "3×3 of ones", rows: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
  impulse: { label: "One cell", rows: [[0, 0, 0], [0, 1, 0], [0, 0, 0]] },
  ramp: { label: "4×4 ramp", rows: [[1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6], [4, 5, 6, 7]] },
};
export const TP_KERNELS = {
  ones: { label: "3×3 ones", rows: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
  cross: { label: "3×3 cross", rows: [[0, 1, 0], [1, 2, 1], [0, 1, 0]] },
  ramp: { label: "2×2: 1, 2 / 3, 4", rows: [[1, 2], [3, 4]] },
  bilinear: { label: "Bilinear ×2", rows: [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]] },
};
const LIMITS = { stride: 3, padding: 3, outPad: 2, dilation: 2 }; // transpose.run's caps (its schema)
const STEP_MS = 900;

/** The widget's URL fields (state.js table). */
export function fields() {
  return [
    { key: "tpInput", url: "tpi", type: "enum", options: Object.keys(TP_INPUTS), def: "pair" },
    { key: "tpKernel", url: "tpk", type: "enum", options: Object.keys(TP_KERNELS), def: "ones" },
    { key: "tpStride", url: "tps", type: "int", min: 1, max: LIMITS.stride, def: 2 },
    { key: "tpPadding", url: "tpp", type: "int", min: 0, max: LIMITS.padding, def: 0 },
    { key: "tpOutPad", url: "tpo", type: "int", min: 0, max: LIMITS.outPad, def: 0 },
    { key: "tpDilation", url: "tpd", type: "int", min: 1, max: LIMITS.dilation, def: 1 },
    { key: "tpStep", url: "tpt", type: "int", min: -1, max: 35, def: -1 },
  ];
}

/** Output padding picks one of the sizes the last stride leaves over, so it stays below stride or dilation. */
export function consistent(state) {
  const s = { ...state };
  s.tpOutPad = Math.min(s.tpOutPad, Math.max(s.tpStride, s.tpDilation) - 1);
  return s;
}

function slider(uid, key, label) {
  return rangeSlider({
    id: `${uid}-${key}`,
    control: key,
    label,
    input: `data-key="${key}" step="1"`,
    output: `id="${uid}-val-${key}"`,
  });
}

const KEYS = { stride: "tpStride", padding: "tpPadding", outPad: "tpOutPad", dilation: "tpDilation" };

export function mount(element, { socket, onChange }) {
  const uid = idScope("transpose")("transpose");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Transposed convolution</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("tp-input", Object.entries(TP_INPUTS).map(([k, v]) => [k, v.label]), { label: "Input" })}
        ${chips("tp-kernel", Object.entries(TP_KERNELS).map(([k, v]) => [k, v.label]), { label: "Kernel" })}
        ${slider(uid, "stride", "Stride s")}${slider(uid, "padding", "Padding p (cut)")}
        ${slider(uid, "outPad", "Output padding")}${slider(uid, "dilation", "Dilation d")}
        ${alertHtml("general")}
      </div>
      <div class="widget-main">
        <div class="formula tp-formula">
          <p class="formula-line tp-symbolic"><span>H<sub>out</sub> = (H<sub>in</sub> − 1)·s − 2p + d·(k − 1) ` +
      `+ output padding + 1</span></p>
          <p class="formula-line tp-numeric" data-formula="rows"></p>
          <p class="formula-note tp-shrink"></p>
        </div>
        <div class="tp-stage" tabindex="0" aria-label="Transposed convolution. Space plays or pauses; arrow keys ` +
      `and Page Up or Page Down step through the stamps; Escape shows them all.">
          <figure class="pane"><figcaption><span class="pane-title">Input</span> <span class="shape" ` +
      `data-shape="input"></span></figcaption><canvas class="grid-canvas" data-grid="input"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Kernel</span> <span class="shape" ` +
      `data-shape="kernel"></span></figcaption><canvas class="grid-canvas" data-grid="kernel"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Stamp</span> <span class="tp-stamp-of">` +
      `</span></figcaption><canvas class="grid-canvas" data-grid="stamp"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Canvas</span> <span class="shape" ` +
      `data-shape="canvas"></span> <span class="hint-inline">hatched: cut by the padding</span></figcaption>
            <canvas class="grid-canvas" data-grid="canvas"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Output</span> <span class="shape" ` +
      `data-shape="output"></span></figcaption><canvas class="grid-canvas" data-grid="output"></canvas></figure>
          <div class="pane step-pane">
            <div class="transport"><button type="button" data-step="prev" aria-label="Previous stamp">◀</button>
              <button type="button" data-step="play" class="play">Play</button>
              <button type="button" data-step="next" aria-label="Next stamp">▶</button></div>
            <p class="step-label" aria-live="polite"></p>
          </div>
        </div>
      </div>
    </div>`,
  );
  const stage = $(".tp-stage");
  const grids = Object.fromEntries(
    ["input", "kernel", "stamp", "canvas", "output"].map((name) => [name, createGrid($(`[data-grid="${name}"]`))]),
  );
  let state = null;
  let result = null; // {meta, arrays}
  const asked = askedOnce();
  const set = (patch) => onChange(patch);

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.tpInput) set({ tpInput: b.dataset.tpInput, tpStep: -1 });
    else if (b.dataset.tpKernel) set({ tpKernel: b.dataset.tpKernel, tpStep: -1 });
    else if (b.dataset.step) command(b.dataset.step === "play" ? "toggle" : b.dataset.step);
  });
  element.addEventListener("input", (e) => {
    const key = KEYS[e.target.dataset?.key];
    if (key) set({ [key]: Number(e.target.value), tpStep: -1 });
  });

  const total = () => result?.meta.steps ?? 0;
  const { command, stop } = createStepper({
    getStep: () => state.tpStep,
    setStep: (step) => set({ tpStep: step }),
    total,
    intervalMs: STEP_MS,
    onPlaying: (on) => ($(".play").textContent = on ? "Pause" : "Play"),
  });
  const unbindKeys = bindKeys(command, stage, element);

  function params(s) {
    const input = TP_INPUTS[s.tpInput].rows;
    const kernel = TP_KERNELS[s.tpKernel].rows;
    return {
      height: input.length,
      width: input[0].length,
      values: input.flat(),
      kernel_size: kernel.length,
      kernel: kernel.flat(),
      stride: s.tpStride,
      padding: s.tpPadding,
      output_padding: s.tpOutPad,
      dilation: s.tpDilation,
    };
  }

  async function run(s) {
    const p = params(s);
    const ask = { socket, alerts, element, type: "transpose.run", params: p, region: "transpose" };
    const shown = await askShown(asked, ask);
    if (shown !== undefined) result = shown;
  }

  function grid(tensor) {
    const [rows, cols] = tensor.shape.slice(-2);
    return { rows, cols, value: (r, c) => tensor.data[r * cols + c] };
  }

  function render() {
    pressChips(element, "tp-input", (v) => v === state.tpInput);
    pressChips(element, "tp-kernel", (v) => v === state.tpKernel);
    for (const [key, field] of Object.entries(KEYS)) {
      const max = key === "outPad" ? Math.max(state.tpStride, state.tpDilation) - 1 : LIMITS[key];
      const min = key === "stride" || key === "dilation" ? 1 : 0;
      showRange($(`[data-control="${key}"]`), { min, max, value: state[field] });
    }
    stage.hidden = !result; // a refused setting: its reason is shown instead
    if (!result) return;
    const box = roomWidth(stage, 600);
    const { meta, arrays } = result;
    const step = Math.min(state.tpStep, meta.steps - 1);
    const canvas = arrays.running; // (S, Hc, Wc)
    const [, hc, wc] = canvas.shape;
    const shown = step >= 0 ? step : meta.steps - 1;
    const plane = canvas.data.subarray(shown * hc * wc, (shown + 1) * hc * wc);
    const scale = scaleFor([arrays.input.data, arrays.kernel.data, canvas.data, arrays.output.data]);
    // Side by side on a wide stage; on a phone the small grids wrap two to a row, the large one alone.
    const room = (share) => box * (box < 600 ? Math.min(1, 2 * share) : share);
    const cellOf = (rows, cols, share) => fitCell(room(share), 360, cols, rows, 8, 64);

    const input = grid(arrays.input);
    const at = step >= 0 ? [arrays.cells.at(step, 0), arrays.cells.at(step, 1)] : null;
    grids.input.draw({
      ...input,
      cell: cellOf(input.rows, input.cols, 0.22),
      scale,
      highlights: at ? [{ r: at[0], c: at[1], h: 1, w: 1 }] : [],
    });
    const kernel = grid(arrays.kernel);
    grids.kernel.draw({ ...kernel, cell: cellOf(kernel.rows, kernel.cols, 0.22), scale });
    const k = kernel.rows;
    const stamp = arrays.stamps.data.subarray(shown * k * k, (shown + 1) * k * k);
    grids.stamp.draw({ rows: k, cols: k, cell: cellOf(k, k, 0.22), value: (r, c) => stamp[r * k + c], scale });
    const [top, left] = meta.crop;
    const [ho, wo] = meta.output_shape;
    const d = meta.rows.d;
    const origin = [arrays.origin.at(shown, 0), arrays.origin.at(shown, 1)];
    const tap = (i) => [origin[0] + d * Math.floor(i / k), origin[1] + d * (i % k)];
    const taps = d > 1 ? [...Array(k * k).keys()].map(tap) : []; // dilated taps ringed, gaps between
    grids.canvas.draw({
      rows: hc,
      cols: wc,
      cell: cellOf(hc, wc, 0.5),
      value: (r, c) => plane[r * wc + c],
      scale,
      pad: { top, left, bottom: hc - top - ho, right: wc - left - wo },
      highlights: step >= 0 ? [{ r: origin[0], c: origin[1], h: d * (k - 1) + 1, w: d * (k - 1) + 1, taps }] : [],
    });
    grids.output.draw({
      rows: ho,
      cols: wo,
      cell: cellOf(ho, wo, 0.5),
      value: (r, c) => plane[(r + top) * wc + c + left],
      scale,
      filled: step >= 0 && step < meta.steps - 1 ? () => 0.45 : undefined,
    });
    $('[data-shape="input"]').textContent = `${input.rows} × ${input.cols}`;
    $('[data-shape="kernel"]').textContent = `${k} × ${k}`;
    $('[data-shape="canvas"]').textContent = `${hc} × ${wc}`;
    $('[data-shape="output"]').textContent = `${ho} × ${wo}`;
    $(".tp-stamp-of").textContent = `cell (${arrays.cells.at(shown, 0)}, ${arrays.cells.at(shown, 1)}) = ${fmt(
      arrays.input.data[shown],
    )} × kernel`;
    $('[data-formula="rows"]').textContent = `= ${meta.rows.formula}`;
    const from = meta.rows.shrink_from;
    $(".tp-shrink").textContent =
      from.length > 1
        ? `A convolution with the same kernel, stride and padding takes ${from.join(", ")} cells to ` +
          `${meta.rows.n}; output padding ${meta.rows.op} gives ${meta.rows.size} back.`
        : `A convolution with the same kernel, stride and padding takes ${from[0]} cells back to ${meta.rows.n}.`;
    $(".step-label").textContent =
      step >= 0
        ? `Stamp ${step + 1} of ${meta.steps}: input cell (${at[0]}, ${at[1]}) adds its stamp at canvas row ` +
          `${origin[0]}, column ${origin[1]}`
        : `All ${meta.steps} stamps added. Press → to stamp them one by one.`;
  }

  async function update(next) {
    state = next;
    await run(next);
    render();
  }

  return widgetFace(element, {
    update,
    animation: { steps: total, step: () => state?.tpStep ?? -1, show: (i) => set({ tpStep: i }) },
    stops: [stop, unbindKeys],
    /** The state drawn and the engine's answer, for tests and lessons. */
    inspect: () => ({
      state,
      meta: result?.meta ?? null,
      output: result ? { shape: result.meta.output_shape, values: Array.from(result.arrays.output.data) } : null,
    }),
  });
}
