// im2col widget: a convolution lowered to one matrix product. Left, the input (one small grid per
// channel); middle, the weight matrix (one row per filter) times the columns (one column per window)
// equals the product; right, the output maps, the product's rows reshaped. Point at or focus a column
// and its window lights up on the input and its cell on the output; point at or focus an output cell
// and its row of weights and its column light up, with the dot product written out; point at an input
// cell and every copy of it in the columns lights up. → and ← walk the columns one by one.
// Every number comes from the engine (im2col.run: the matrices, which cell each entry was copied
// from, the shapes with their formulas, the blow-up, the multiply-adds); the widget draws.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   icInput   [ici]  "small" | "ramp" | "edge" | "two" | "rgb" | "cross"   the input (default "ramp")
//   icFilters [icf]  "edges" | "mixed" | "ones"   the filter bank (default "mixed")
//   icKernel  [ick]  k, 1–4 (default 3)       icOut [ico]  C_out, 1–4 (default 2)
//   icStride  [ics]  1–3 (default 1)          icPadding [icp]  0–2 (default 0)
//   icDilation [icd] 1–2 (default 1)
//   icStep    [ict]  the column (window) shown, from 0; −1: none (default −1)
//   icRow     [icr]  the filter whose dot product is written, from 0 (default 0; below icOut)

import { alertHtml } from "../../lib/alerts.js";
import { askShown, askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { slider as rangeSlider, setText, showRange } from "../../lib/slider.js";
import { createStepper } from "../../lib/stepper.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { IC_FILTERS, IC_INPUTS, filterValues } from "./examples.js";
import { mapTable, productGrid, sub } from "./matrices.js";

export { IC_FILTERS, IC_INPUTS };

// im2col.run's caps (its schema); the largest L is 12 × 12 (8 cells, padding 2 each side, k = 1).
const LIMITS = { kernel_size: [1, 4], filters: [1, 4], stride: [1, 3], padding: [0, 2], dilation: [1, 2] };
const STEP_MS = 1100;

/** The widget's URL fields (state.js table). */
export function fields() {
  return [
    { key: "icInput", url: "ici", type: "enum", options: Object.keys(IC_INPUTS), def: "ramp" },
    { key: "icFilters", url: "icf", type: "enum", options: Object.keys(IC_FILTERS), def: "mixed" },
    { key: "icKernel", url: "ick", type: "int", min: 1, max: 4, def: 3 },
    { key: "icOut", url: "ico", type: "int", min: 1, max: 4, def: 2 },
    { key: "icStride", url: "ics", type: "int", min: 1, max: 3, def: 1 },
    { key: "icPadding", url: "icp", type: "int", min: 0, max: 2, def: 0 },
    { key: "icDilation", url: "icd", type: "int", min: 1, max: 2, def: 1 },
    { key: "icStep", url: "ict", type: "int", min: -1, max: 143, def: -1 },
    { key: "icRow", url: "icr", type: "int", min: 0, max: 3, def: 0 },
  ];
}

/** The filter whose dot product is written must exist. */
export function consistent(state) {
  return { ...state, icRow: Math.min(state.icRow, state.icOut - 1) };
}

const KEYS = {
  kernel_size: "icKernel",
  filters: "icOut",
  stride: "icStride",
  padding: "icPadding",
  dilation: "icDilation",
};
const LABELS = {
  kernel_size: "Kernel size k",
  filters: "Filters C<sub>out</sub>",
  stride: "Stride s",
  padding: "Padding p",
  dilation: "Dilation d",
};
// Each slider's alert region: a kernel that does not fit is refused naming kernel_size.
const REGION = {
  kernel_size: "kernel",
  filters: "filters",
  stride: "stride",
  padding: "padding",
  dilation: "dilation",
};

export function mount(element, { socket, onChange }) {
  const uid = idScope("im2col")("im2col");
  const sliders = Object.keys(KEYS)
    .map((key) =>
      rangeSlider({
        id: `${uid}-${key}`,
        control: key,
        label: LABELS[key],
        input: `data-key="${key}" step="1"`,
        alert: REGION[key],
      }),
    )
    .join("");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Convolution as a matrix product</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("ic-input", Object.entries(IC_INPUTS).map(([k, v]) => [k, v.label]), { label: "Input" })}
        ${chips("ic-filters", Object.entries(IC_FILTERS).map(([k, v]) => [k, v.label]), { label: "Filters" })}
        ${sliders}
        ${alertHtml("general")}
      </div>
      <div class="widget-main">
        <p class="ic-multiply" data-formula="multiply"></p>
        <div class="ic-stage" tabindex="0" aria-labelledby="h-${uid}" aria-describedby="${uid}-keys">
          <p id="${uid}-keys" class="visually-hidden">Arrow keys and Page Up or Page Down walk the columns one by
            one; Escape shows none. Tab to an output cell and use the arrow keys to move over the output.</p>
          <figure class="pane ic-pane ic-inputs"><figcaption><span class="pane-title">Input</span>
            <span class="shape" data-shape="input"></span></figcaption><div class="ic-maps" data-maps="input"></div>
          </figure>
          <figure class="pane ic-pane ic-outputs"><figcaption><span class="pane-title">Output</span>
            <span class="shape" data-shape="output"></span></figcaption><div class="ic-maps" data-maps="output"></div>
            <p class="ic-note" data-formula="rows"></p>
          </figure>
          <div class="ic-steps">
            <div class="transport"><button type="button" data-step="prev" aria-label="Previous column">◀</button>
              <button type="button" data-step="play" class="play">Play</button>
              <button type="button" data-step="next" aria-label="Next column">▶</button></div>
            <p class="step-label" aria-live="polite"></p>
            <p class="ic-copy" data-copy aria-live="polite"></p>
          </div>
          <figure class="pane ic-pane ic-middle"><div class="ic-scroll" data-gemm></div>
            <p class="ic-dot" data-dot aria-live="polite"></p>
          </figure>
          <p class="ic-sizes" data-sizes></p>
        </div>
      </div>
    </div>`,
  );
  const stage = $(".ic-stage");
  let state = null;
  let result = null; // {meta, arrays}
  let built = null; // the result the tables were built from
  let hover = null; // {l, o} or {src}: what the pointer is on (not kept in the URL)
  let lit = []; // [element, class] pairs lit by the last highlight()
  const asked = askedOnce();
  const set = (patch) => onChange(patch);

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (b?.dataset.icInput) return set({ icInput: b.dataset.icInput, icStep: -1 });
    if (b?.dataset.icFilters) return set({ icFilters: b.dataset.icFilters });
    if (b?.dataset.step) return command(b.dataset.step === "play" ? "toggle" : b.dataset.step);
    const at = pointedAt(e.target);
    if (at && at.l !== undefined) set({ icStep: at.l, ...(at.o !== undefined ? { icRow: at.o } : {}) });
  });
  element.addEventListener("input", (e) => {
    const key = KEYS[e.target.dataset?.key];
    if (key) set({ [key]: Number(e.target.value), icStep: -1 });
  });

  // ------------------------------------------------------------ pointing and focusing

  /** {l, o} for a column, product or output cell; {src} for an input cell or a column entry's source. */
  function pointedAt(target) {
    const el = target instanceof Element ? target.closest("[data-l], [data-in], [data-o]") : null;
    if (!el || !stage.contains(el)) return null;
    const at = {};
    if (el.dataset.l !== undefined) at.l = Number(el.dataset.l);
    if (el.dataset.o !== undefined) at.o = Number(el.dataset.o);
    if (el.dataset.in !== undefined) at.src = Number(el.dataset.in);
    return at.l !== undefined || at.src !== undefined ? at : null;
  }
  stage.addEventListener("pointerover", (e) => {
    const at = pointedAt(e.target);
    if (JSON.stringify(at) === JSON.stringify(hover)) return;
    hover = at;
    highlight();
  });
  stage.addEventListener("pointerleave", () => {
    hover = null;
    highlight();
  });
  stage.addEventListener("focusin", (e) => {
    const at = pointedAt(e.target);
    if (at?.l === undefined) return;
    if (at.l !== state.icStep || (at.o !== undefined && at.o !== state.icRow))
      set({ icStep: at.l, ...(at.o !== undefined ? { icRow: at.o } : {}) });
  });
  // On an output map the arrow keys move over the map (the stage's arrows walk the columns).
  stage.addEventListener("keydown", (e) => {
    const cell = e.target instanceof Element ? e.target.closest("[data-out]") : null;
    if (!cell || !result) return;
    const [, ho, wo] = result.meta.shapes.output;
    const l = Number(cell.dataset.l);
    let [i, j] = [Math.floor(l / wo), l % wo];
    if (e.key === "ArrowRight") j = Math.min(wo - 1, j + 1);
    else if (e.key === "ArrowLeft") j = Math.max(0, j - 1);
    else if (e.key === "ArrowDown") i = Math.min(ho - 1, i + 1);
    else if (e.key === "ArrowUp") i = Math.max(0, i - 1);
    else return;
    e.preventDefault(); // keyboard.js leaves a handled key alone
    set({ icStep: i * wo + j, icRow: Number(cell.dataset.o) });
  });

  const total = () => result?.meta.positions ?? 0;
  const { command, stop } = createStepper({
    getStep: () => state.icStep,
    setStep: (step) => set({ icStep: step }),
    total,
    intervalMs: STEP_MS,
    onPlaying: (on) => ($(".play").textContent = on ? "Pause" : "Play"),
  });
  const unbindKeys = bindKeys(command, stage, element);

  // ------------------------------------------------------------ the engine's answer

  function params(s) {
    const input = IC_INPUTS[s.icInput].channels;
    const channels = input.length;
    return {
      channels,
      height: input[0].length,
      width: input[0][0].length,
      values: input.flat(2),
      filters: s.icOut,
      kernel_size: s.icKernel,
      weights: filterValues(s.icFilters, s.icOut, channels, s.icKernel),
      stride: s.icStride,
      padding: s.icPadding,
      dilation: s.icDilation,
    };
  }

  async function run(s) {
    const p = params(s);
    const ask = { socket, alerts, element, type: "im2col.run", params: p, region: "im2col" };
    ask.where = (field) => REGION[field] ?? "general"; // a refusal shows beside its control
    const shown = await askShown(asked, ask);
    if (shown !== undefined) result = shown;
  }

  // ------------------------------------------------------------ drawing

  function build() {
    const { meta, arrays } = result;
    const [c, h, w] = meta.shapes.input;
    const [f, ho, wo] = meta.shapes.output;
    const scales = {
      x: scaleFor([arrays.input.data]),
      w: scaleFor([arrays.weights.data]),
      y: scaleFor([arrays.output.data]),
    };
    $('[data-maps="input"]').innerHTML = Array.from({ length: c }, (_, ch) =>
      mapTable({
        data: arrays.input.data,
        offset: ch * h * w,
        rows: h,
        cols: w,
        scale: scales.x,
        caption: c > 1 ? `channel ${ch}` : "",
        attrs: (r, col) => `data-in="${ch * h * w + r * w + col}"`,
      }),
    ).join("");
    $("[data-gemm]").innerHTML = productGrid({ meta, arrays, scales, outWidth: wo });
    $('[data-maps="output"]').innerHTML = Array.from({ length: f }, (_, o) =>
      mapTable({
        data: arrays.output.data,
        offset: o * ho * wo,
        rows: ho,
        cols: wo,
        scale: scales.y,
        caption: `filter ${o + 1}`,
        attrs: (r, col) => `data-out data-o="${o}" data-l="${r * wo + col}" tabindex="-1"`,
        cls: "ic-out",
      }),
    ).join("");
    built = result;
    lit = [];
  }

  function render() {
    pressChips(element, "ic-input", (v) => v === state.icInput);
    pressChips(element, "ic-filters", (v) => v === state.icFilters);
    for (const [key, field] of Object.entries(KEYS)) {
      const [min, max] = LIMITS[key];
      showRange($(`[data-control="${key}"]`), { min, max, value: state[field] });
    }
    stage.hidden = !result; // a refused setting: its reason is shown instead
    $(".ic-multiply").hidden = !result;
    if (!result) return;
    if (built !== result) build();
    const { meta } = result;
    $(".ic-multiply").textContent = meta.multiply;
    const [c, h, w] = meta.shapes.input;
    const [f, ho, wo] = meta.shapes.output;
    setText($('[data-shape="input"]'), `C_in × H × W = ${c} × ${h} × ${w}`);
    setText($('[data-shape="output"]'), `C_out × H_out × W_out = ${f} × ${ho} × ${wo}`);
    setText($('[data-formula="rows"]'), `H_out = ${meta.rows_formula}; W_out = ${meta.cols_formula}`);
    setText(
      $("[data-sizes]"),
      `The columns hold ${meta.column_entries} numbers for an input of ${meta.input_entries}: ` +
        `${meta.blowup_text} times as many. Multiply-adds: C_out·C_in·k·k·L = ${meta.multiply_adds}.`,
    );
    highlight();
  }

  /** Light what the pointer (or else the state) is on: classes on the cells, the dot product in words. */
  function highlight() {
    if (!result || built !== result) return;
    for (const [el, cls] of lit) el.classList.remove(cls);
    lit = [];
    const on = light;
    const { meta, arrays } = result;
    const [R, L] = meta.shapes.columns;
    const F = meta.shapes.weights[0];
    const wo = meta.shapes.output[2];
    const pointed = hover?.l !== undefined ? hover : null;
    const l = pointed ? pointed.l : Math.min(state.icStep, L - 1);
    const o = Math.min(pointed?.o ?? state.icRow, F - 1);
    const q = (sel) => stage.querySelectorAll(sel);
    if (l >= 0) {
      q(`.ic-col[data-l="${l}"], .ic-colhead[data-l="${l}"], .ic-prod[data-l="${l}"]`).forEach((el) => on(el, "ic-on"));
      q(`.ic-w[data-o="${o}"], .ic-filter[data-o="${o}"]`).forEach((el) => on(el, "ic-on"));
      q(`.ic-out [data-l="${l}"]`).forEach((el) => on(el, "ic-on"));
      on(stage.querySelector(`.ic-prod[data-o="${o}"][data-l="${l}"]`), "ic-hit");
      on(stage.querySelector(`.ic-out [data-o="${o}"][data-l="${l}"]`), "ic-hit");
      for (let r = 0; r < R; r++) {
        const from = arrays.sources.data[r * L + l];
        if (from >= 0) on(stage.querySelector(`[data-in="${from}"]`), "ic-win");
      }
    }
    // Roving focus: the current column's head and output cell are the ones Tab reaches.
    for (const el of q('.ic-colhead[tabindex="0"], .ic-out [tabindex="0"]')) el.tabIndex = -1;
    const head = stage.querySelector(`.ic-colhead[data-l="${Math.max(0, l)}"]`);
    const cell = stage.querySelector(`.ic-out [data-o="${o}"][data-l="${Math.max(0, l)}"]`);
    if (head) head.tabIndex = 0;
    if (cell) cell.tabIndex = 0;
    const focused = document.activeElement;
    if (!pointed && l >= 0 && focused && stage.contains(focused)) {
      if (focused.matches(".ic-colhead") && focused !== head) head?.focus({ preventScroll: false });
      if (focused.matches(".ic-out [data-l]") && focused !== cell) cell?.focus({ preventScroll: false });
    }
    if (!pointed && l >= 0 && head) keepInView(head);
    writeDot(l, o, R, L, wo);
    writeCopies(R, L);
    setText(
      $(".step-label"),
      l >= 0
        ? `Column ${l + 1} of ${L}: the window of output row ${Math.floor(l / wo)}, column ${l % wo}`
        : `All ${L} columns. Press → to walk them one by one; point at a cell to see where it comes from.`,
    );
  }

  /** Scroll the product's own box (never the page) so the column in play shows. */
  function keepInView(el) {
    const box = $("[data-gemm]");
    const [b, r] = [box.getBoundingClientRect(), el.getBoundingClientRect()];
    if (r.left < b.left) box.scrollLeft -= b.left - r.left + 8;
    else if (r.right > b.right) box.scrollLeft += r.right - b.right + 8;
  }

  function writeDot(l, o, R, L, wo) {
    const dot = $("[data-dot]");
    if (l < 0) return setText(dot, "");
    const { arrays } = result;
    const term = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));
    const terms = [];
    for (let r = 0; r < R; r++)
      terms.push(`${term(arrays.weights.data[o * R + r])}×${term(arrays.columns.data[r * L + l])}`);
    const y = arrays.product.data[o * L + l];
    setText(dot, `y${sub(o + 1)}(${Math.floor(l / wo)},${l % wo}) = filter ${o + 1}'s row · column ${l + 1} = ` +
      `${terms.join(" + ")} = ${fmt(y)}`);
  }

  function writeCopies(R, L) {
    const note = $("[data-copy]");
    if (hover?.src === undefined) return setText(note, "");
    const { meta, arrays } = result;
    const [, h, w] = meta.shapes.input;
    const src = hover.src;
    for (let i = 0; i < R * L; i++) {
      if (arrays.sources.data[i] === src)
        light(stage.querySelector(`.ic-col[data-r="${Math.floor(i / L)}"][data-l="${i % L}"]`), "ic-copyof");
    }
    light(stage.querySelector(`[data-in="${src}"]`), "ic-src");
    const [ch, r, c] = [Math.floor(src / (h * w)), Math.floor((src % (h * w)) / w), src % w];
    const n = arrays.copies.data[src];
    setText(
      note,
      `Input cell (${r}, ${c})${meta.shapes.input[0] > 1 ? ` of channel ${ch}` : ""}, ` +
        `${fmt(arrays.input.data[src])}, ` +
        `is copied into ${n} ${n === 1 ? "entry" : "entries"} of the columns.`,
    );
  }
  /** Add `cls` to `el` until the next highlight(). */
  function light(el, cls) {
    if (!el) return;
    el.classList.add(cls);
    lit.push([el, cls]);
  }

  async function update(next) {
    state = next;
    await run(next);
    render();
  }

  return widgetFace(element, {
    update,
    animation: { steps: total, step: () => state?.icStep ?? -1, show: (i) => set({ icStep: i }) },
    stops: [stop, unbindKeys],
    /** The state drawn and the engine's answer, for tests and lessons. */
    inspect: () => {
      if (!result) return { state, meta: null };
      const { meta, arrays } = result;
      const list = (name) => Array.from(arrays[name].data);
      return {
        state,
        meta,
        shapes: meta.shapes,
        columns: { shape: meta.shapes.columns, values: list("columns") },
        weights: { shape: meta.shapes.weights, values: list("weights") },
        product: { shape: meta.shapes.product, values: list("product") },
        output: { shape: meta.shapes.output, values: list("output") },
        blowup: meta.blowup,
        multiply_adds: meta.multiply_adds,
      };
    },
  });
}
