// 1-D convolution widget: a signal, a kernel sliding along it, the products and the running sum
// of every step written out ("5·5 + 1·6 + 2·0 = 31"), the output filling in. Every number comes
// from the engine (conv1d.run: the output, the padded signal, the weights as multiplied and the
// trace of each step); the widget draws, slides and steps.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   c1Preset  [c1p]   "seed002" | "edge" | "blur" | "impulse" | "custom"   (default "seed002")
//   c1Signal  [c1x]   the signal's numbers, only with c1Preset "custom" (1–64 numbers)
//   c1Kernel  [c1k]   the kernel's numbers, only with c1Preset "custom" (1–15 numbers)
//   c1Flip    [c1f]   true convolution: the kernel turned around (default false)
//   c1Stride  [c1s]   1–8 (default 1)
//   c1Padding [c1pad] zeros at each end, 0–10 (default 0)
//   c1Step    [c1t]   the step shown, from 0; −1 shows the whole output (default −1)
// Seed 002's quiz is {c1Preset: "seed002", c1Step: 3}: the 4th value, 5·5 + 1·6 + 2·0 = 31.

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt, fmtCell, parseNumber } from "../../lib/format.js";
import { bindKeys } from "../../lib/keyboard.js";
import { m, math, mi, mn, mo, outputSize, sub } from "../../lib/mathml.js";
import { maxCell, onWidthChange } from "../../lib/room.js";
import { field } from "../../lib/schema.js";
import { createStepper } from "../../lib/stepper.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

// The lessons' examples. Seed 002: f = [5, 1, 2] slid along g = [3, 1, 4, 5, 6, 0, 0, 1].
export const C1_PRESETS = {
  seed002: { label: "Seed 002 quiz", signal: [3, 1, 4, 5, 6, 0, 0, 1], kernel: [5, 1, 2] },
  edge: { label: "Step edge", signal: [0, 0, 0, 0, 0, 5, 5, 5, 5, 5], kernel: [1, -1] },
  blur: { label: "Box blur", signal: [0, 0, 9, 0, 0, 6, 6, 6, 0, 0], kernel: [1 / 3, 1 / 3, 1 / 3] },
  impulse: { label: "Impulse", signal: [0, 0, 0, 0, 1, 0, 0, 0, 0], kernel: [1, 2, 3] },
};
const PRESET_NOTES = {
  seed002:
    "Seed 002: f = [5, 1, 2], g = [3, 1, 4, 5, 6, 0, 0, 1]. Its 4th output value is 5·5 + 1·6 + 2·0: the kernel " +
    "slides as written (cross-correlation), counting from 1.",
  edge: "A [1, −1] kernel takes the difference of neighbours: zero on flat ground, large where the signal steps.",
  blur: "Three weights of ⅓: each output is the mean of three neighbours, so sharp values spread out.",
  impulse:
    "A single 1 copies the kernel into the output: backwards when the kernel slides as written, as written in true " +
    "convolution.",
};
/** conv1d.run's bounds, from the server's schema (it checks them again and explains). */
export function bounds({ schemas }) {
  const of = (name) => field(schemas, "conv1d.run", name);
  return {
    signal: of("signal").maxItems,
    kernel: of("kernel").maxItems,
    stride: of("stride").maximum,
    padding: of("padding").maximum,
  };
}

/** The widget's URL fields (state.js table). */
export function fields(context) {
  const most = bounds(context);
  return [
    { key: "c1Preset", url: "c1p", type: "enum", options: [...Object.keys(C1_PRESETS), "custom"], def: "seed002" },
    { key: "c1Signal", url: "c1x", type: "list", def: null },
    { key: "c1Kernel", url: "c1k", type: "list", def: null },
    { key: "c1Flip", url: "c1f", type: "bool", def: false },
    { key: "c1Stride", url: "c1s", type: "int", min: 1, max: most.stride, def: 1 },
    { key: "c1Padding", url: "c1pad", type: "int", min: 0, max: most.padding, def: 0 },
    // A step is an output position: at most the longest signal padded at both ends.
    { key: "c1Step", url: "c1t", type: "int", min: -1, max: most.signal + 2 * most.padding, def: -1 },
  ];
}

/** Edited numbers only with "custom", and only when both lists have a length the server takes. */
export function consistent(state, context) {
  const s = { ...state };
  const most = bounds(context);
  const fits = (list, n) => list && list.length >= 1 && list.length <= n;
  if (s.c1Preset === "custom" && !(fits(s.c1Signal, most.signal) && fits(s.c1Kernel, most.kernel)))
    s.c1Preset = "seed002";
  if (s.c1Preset !== "custom") {
    s.c1Signal = null;
    s.c1Kernel = null;
  }
  return s;
}

const STEP_MS = 1100;
/** L_o = (L + 2P − K)/S + 1 with the engine's numbers; the value as the engine wrote it. */
function lengthMath(ax) {
  return outputSize(ax, {
    lhs: sub("L", "o"),
    symbolic: [mi("L"), mo("+"), mn(2), mi("P"), mo("\u2212"), mi("K")],
    numeric: [mn(ax.n), mo("+"), mn(2), mo("×"), mn(ax.pad_before), mo("\u2212"), mn(ax.k)],
    stride: mi("S"),
    block: true,
  });
}

/** y[n] = Σ x[nS + i]·w[i] (or w[K − 1 − i] when the kernel is turned around). */
function sumMath(flip) {
  const w = flip
    ? m("mrow", mi("w"), mo("["), mi("K"), mo("\u2212"), mn(1), mo("\u2212"), mi("i"), mo("]"))
    : m("mrow", mi("w"), mo("["), mi("i"), mo("]"));
  return math(
    [
      mi("y"),
      mo("["),
      mi("n"),
      mo("]"),
      mo("="),
      m("munder", mo("∑"), mi("i")),
      mi("x"),
      mo("["),
      mi("n"),
      mi("S"),
      mo("+"),
      mi("i"),
      mo("]"),
      mo("·"),
      w,
    ],
    { block: true },
  );
}

function slider(key, label) {
  return rangeSlider({
    id: `c1-${key}`,
    control: key,
    label,
    input: `data-key="${key}" step="1"`,
    output: `id="c1-val-${key}"`,
  });
}

export function mount(element, { socket, onChange, ...context }) {
  const { signal: MAX_SIGNAL, kernel: MAX_KERNEL } = bounds(context);
  const presets = Object.entries(C1_PRESETS).map(([k, p]) => [k, p.label]);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 class="widget-title">1-D convolution: a sliding dot product</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("preset", presets, { label: "Example" })}
        <label class="toggle c1-flip"><input type="checkbox" id="c1-flip"> <span>True convolution (turn the kernel ` +
    `around)</span></label>
        ${slider("stride", "Stride S")}${slider("padding", "Padding P")}
        <p class="hint c1-note"></p>
      </div>
      <div class="widget-main">
        <div class="formula c1-formula">
          <div class="formula-line"><span class="formula-label">Output length</span><span class="formula-math" ` +
    `data-math="length"></span></div>
          <div class="formula-line"><span class="formula-label">Each value</span><span class="formula-math" ` +
    `data-math="sum"></span></div>
          <p class="problem-text" role="status" aria-live="polite"></p>
        </div>
        ${alertHtml("general")}
        <div class="c1-stage" tabindex="0" aria-label="1-D convolution. Space plays or pauses; arrow keys and Page ` +
    `Up or Page Down step; Escape shows the whole output.">
          <div class="c1-rows">
            <span class="c1-label">Signal x <span class="shape" data-shape="signal"></span></span><div ` +
    `class="c1-track"><div class="c1-cells" data-row="signal"></div><span class="c1-window" ` +
    `hidden></span></div>
            <span class="c1-label" data-label="kernel">Kernel w</span><div class="c1-track c1-kernel-track"><div ` +
    `class="c1-kernel" data-row="kernel"></div></div>
            <span class="c1-label">Output y <span class="shape" data-shape="output"></span></span><div ` +
    `class="c1-track" data-row="output"></div>
          </div>
          <div class="transport c1-transport" data-offline-ok>
            <button type="button" data-step="prev" aria-label="Previous step">◀</button>
            <button type="button" data-step="play" class="play">Play</button>
            <button type="button" data-step="next" aria-label="Next step">▶</button>
            <p class="step-label" aria-live="polite"></p></div>
          <p class="c1-sum" aria-live="polite"></p>
        </div>
        <div class="c1-editor">
          <div class="c1-edit-row" data-edit="signal"><span class="c1-label">Signal</span><div class="c1-inputs"></div>
            <button type="button" class="chip" data-resize="signal" data-by="-1" aria-label="One value fewer in the ` +
    `signal">−</button>
            <button type="button" class="chip" data-resize="signal" data-by="1" aria-label="One value more in the ` +
    `signal">+</button></div>
          ${alertHtml("signal")}
          <div class="c1-edit-row" data-edit="kernel"><span class="c1-label">Kernel</span><div class="c1-inputs"></div>
            <button type="button" class="chip" data-resize="kernel" data-by="-1" aria-label="One weight fewer in ` +
    `the kernel">−</button>
            <button type="button" class="chip" data-resize="kernel" data-by="1" aria-label="One weight more in the ` +
    `kernel">+</button></div>
          ${alertHtml("kernel")}
        </div>
      </div>
    </div>`,
  );
  const stage = $(".c1-stage");
  const motion = matchMedia("(prefers-reduced-motion: reduce)");
  let state = null;
  let result = null; // {meta, arrays}
  let sent = null; // the params of the answer on screen
  const asked = askedOnce(); // the run parameters last sent
  let editKey = "";

  const set = (patch) => onChange(patch);
  const values = (s = state) =>
    s.c1Preset === "custom"
      ? { signal: Array.from(s.c1Signal), kernel: Array.from(s.c1Kernel) }
      : { ...C1_PRESETS[s.c1Preset] };

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.preset) set({ c1Preset: b.dataset.preset, c1Signal: null, c1Kernel: null, c1Step: -1 });
    else if (b.dataset.step) command(b.dataset.step === "play" ? "toggle" : b.dataset.step);
    else if (b.dataset.resize) resize(b.dataset.resize, Number(b.dataset.by));
  });
  $("#c1-flip").addEventListener("change", (e) => set({ c1Flip: e.target.checked }));
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (key) set({ [key === "stride" ? "c1Stride" : "c1Padding"]: Number(e.target.value), c1Step: -1 });
  });
  // A typed number is sent when it reads as one; anything else is explained by its cell and nothing is sent.
  element.addEventListener("change", (e) => {
    const which = e.target.closest("[data-edit]")?.dataset.edit;
    if (!which || e.target.tagName !== "INPUT") return;
    const i = Number(e.target.dataset.index);
    const value = parseNumber(e.target.value);
    e.target.setAttribute("aria-invalid", String(value === null));
    if (value === null) {
      alerts.show(
        which,
        `${which} value ${i + 1}: “${e.target.value}” is not a number; type a value such as 2, −1 or 0.5.`,
        "edit",
        which,
      );
      return;
    }
    alerts.clear("edit");
    const now = values();
    now[which] = now[which].slice();
    now[which][i] = value;
    set({ c1Preset: "custom", c1Signal: now.signal, c1Kernel: now.kernel, c1Step: -1 });
  });

  function resize(which, by) {
    const now = values();
    const list = now[which].slice();
    if (by > 0) list.push(0);
    else list.pop();
    if (list.length < 1 || list.length > (which === "signal" ? MAX_SIGNAL : MAX_KERNEL)) return;
    now[which] = list;
    set({ c1Preset: "custom", c1Signal: now.signal, c1Kernel: now.kernel, c1Step: -1 });
  }

  const total = () => (result ? result.meta.steps : 0);
  const { command, stop } = createStepper({
    getStep: () => Math.min(state.c1Step, total() - 1),
    setStep: (step) => set({ c1Step: step }),
    total,
    intervalMs: STEP_MS,
    onPlaying: (on) => ($(".play").textContent = on ? "Pause" : "Play"),
  });
  const unbindKeys = bindKeys(command, stage, element);

  async function run() {
    const params = { ...values(), stride: state.c1Stride, padding: state.c1Padding, flip: state.c1Flip };
    delete params.label;
    const { answer, error: e, quiet } = await asked.ask(params, (p) => socket.request("conv1d.run", p));
    if (quiet) return;
    if (answer) {
      alerts.clear("run");
      result = { meta: answer.meta, arrays: answer.arrays };
      sent = params;
      element.dataset.ready = "true";
    }
    if (e) {
      const region = ["stride", "padding", "signal", "kernel"].includes(e.field) ? e.field : "general";
      alerts.show(e.field, e.message, "run", region);
      markRefused(e);
    }
    render();
  }

  // The server's sentence says "at position i": mark that cell, so the error sits by the number.
  function markRefused(e) {
    const at = /at position (\d+)/.exec(e.message ?? "");
    const row = element.querySelector(`[data-edit="${e.field}"]`);
    if (at && row) row.querySelectorAll("input")[Number(at[1])]?.setAttribute("aria-invalid", "true");
  }

  // Cell width: the padded signal fills the track, within readable bounds.
  function cellSize(count) {
    const width = Math.max(200, $(".c1-track").clientWidth - 4);
    return Math.max(22, Math.min(maxCell(96), Math.floor(width / Math.max(count, 1))));
  }

  function cellHtml(v, scale, extra = "") {
    return (
      `<span class="c1-cell ${extra}" ` +
      `style="background:${scale.fill(v)};color:${scale.ink(v)}">${fmtCell(v)}</span>`
    );
  }

  function render() {
    renderControls();
    renderEditor();
    if (!result) return;
    const { meta, arrays: a } = result;
    const padded = a.padded.data;
    const pad = meta.length.pad_before;
    const K = a.weights.size;
    const out = a.output.data;
    // One diverging scale per row (zero near-white, positive orange, negative purple): a row's colours
    // compare within it, and a large output never turns a small signal black.
    const scale = scaleFor(padded, "diverging");
    const kScale = scaleFor(a.weights.data, "diverging");
    const oScale = scaleFor(out, "diverging");
    const cell = cellSize(padded.length);
    stage.style.setProperty("--cell", `${cell}px`);
    stage.style.setProperty("--cell-font", `${Math.max(13, Math.min(maxCell(38), Math.floor(cell * 0.42)))}px`);
    const step = state.c1Step >= 0 ? Math.min(state.c1Step, meta.steps - 1) : -1;
    const taps = step >= 0 ? new Set(Array.from(a.positions.data.subarray(step * K, (step + 1) * K))) : new Set();
    $('[data-row="signal"]').innerHTML = Array.from(padded, (v, i) =>
      cellHtml(v, scale, `${i < pad || i >= padded.length - pad ? "pad" : ""} ${taps.has(i) ? "tap" : ""}`),
    ).join("");
    const origin = step >= 0 ? a.origin.data[step] : 0;
    const frame = $(".c1-window");
    frame.hidden = step < 0;
    frame.style.width = `${K * cell}px`;
    frame.style.transition = motion.matches ? "none" : "";
    frame.style.transform = `translateX(${origin * cell}px)`;
    $('[data-shape="signal"]').textContent = pad
      ? `${padded.length - 2 * pad} + 2×${pad} padding`
      : `${padded.length} values`;
    // The kernel as multiplied, under the window it is at (or at the start when the whole output shows).
    const kernel = $('[data-row="kernel"]');
    kernel.innerHTML = Array.from(a.weights.data, (v) => cellHtml(v, kScale)).join("");
    kernel.style.transition = motion.matches ? "none" : "";
    kernel.style.transform = `translateX(${origin * cell}px)`;
    kernel.classList.toggle("resting", step < 0);
    $('[data-label="kernel"]').textContent = meta.flip ? "Kernel w, turned" : "Kernel w";
    // Output cell n sits under its window's first tap: stride shows as the gaps it skips.
    $('[data-row="output"]').innerHTML = Array.from(out, (v, n) => {
      const shown = step < 0 || n <= step;
      const left = a.origin.data[n] * cell;
      return (
        `<span class="c1-cell out ${shown ? "" : "pending"} ${n === step ? "current" : ""}" ` +
        `style="left:${left}px;${shown ? `background:${oScale.fill(v)};color:${oScale.ink(v)}` : ""}">` +
        `${shown ? fmtCell(v) : ""}</span>`
      );
    }).join("");
    $('[data-row="output"]').style.width = `${padded.length * cell}px`;
    $('[data-shape="output"]').textContent = `${meta.output_length} value${meta.output_length === 1 ? "" : "s"}`;
    $('[data-math="length"]').replaceChildren(lengthMath(meta.length));
    $('[data-math="sum"]').replaceChildren(sumMath(meta.flip));
    $(".problem-text").textContent = meta.problem ?? "";
    $(".c1-formula").classList.toggle("has-problem", Boolean(meta.problem));
    renderStep(step);
  }

  /** "5·5 + 1·6 + 2·0 = 31": weight · value for each tap (weights as multiplied), then the engine's sum. */
  function expression(step) {
    const { arrays: a } = result;
    const K = a.weights.size;
    const terms = [];
    for (let i = 0; i < K; i++) {
      const x = a.window.data[step * K + i];
      const xs = x < 0 ? `(${fmt(x)})` : fmt(x);
      terms.push({ text: `${fmt(a.weights.data[i])}·${xs}`, pad: a.is_pad.data[step * K + i] === 1 });
    }
    return { terms, sum: fmt(a.result.data[step]) };
  }

  function renderStep(step) {
    const label = $(".step-label");
    const box = $(".c1-sum");
    if (step < 0) {
      label.textContent = `Whole output · ${total()} steps. Press → to step.`;
      box.replaceChildren();
      return;
    }
    label.textContent = `Step ${step + 1} of ${total()} · y[${step}], the ${ordinal(step + 1)} value`;
    const { terms, sum } = expression(step);
    box.replaceChildren(
      ...terms.flatMap((t, i) => {
        const span = document.createElement("span");
        span.className = `term${t.pad ? " pad" : ""}`;
        span.textContent = t.text;
        return i ? [" + ", span] : [span];
      }),
      " = ",
      Object.assign(document.createElement("b"), { className: "result", textContent: sum }),
    );
  }

  function ordinal(n) {
    const s = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" }[n % 10] ?? "th");
    return `${n}${s}`;
  }

  function renderControls() {
    pressChips(element, "preset", (name) => name === state.c1Preset);
    $("#c1-flip").checked = state.c1Flip;
    const n = values().signal.length;
    const k = values().kernel.length;
    // Padding from 0, at most the protocol's 10; the kernel must fit the padded signal, so with a kernel
    // longer than the signal the smallest padding that fits is the engine's to say (an error by the kernel).
    const spec = { stride: [{ min: 1, max: 8 }, state.c1Stride], padding: [{ min: 0, max: 10 }, state.c1Padding] };
    for (const [key, [range, value]] of Object.entries(spec))
      showRange($(`[data-control="${key}"]`), { min: range.min, max: range.max, value });
    $(".c1-note").textContent =
      state.c1Preset === "custom"
        ? `Your own numbers: ${n} in the signal, ${k} in the kernel.`
        : PRESET_NOTES[state.c1Preset];
    element
      .querySelectorAll('[data-resize="signal"]')
      .forEach((b) => (b.disabled = b.dataset.by < 0 ? n <= 1 : n >= MAX_SIGNAL));
    element
      .querySelectorAll('[data-resize="kernel"]')
      .forEach((b) => (b.disabled = b.dataset.by < 0 ? k <= 1 : k >= MAX_KERNEL));
  }

  // The editor's fields follow the state, except a field being typed in.
  function renderEditor() {
    const now = values();
    const key = JSON.stringify(now);
    if (key === editKey) return;
    editKey = key;
    for (const which of ["signal", "kernel"]) {
      const box = element.querySelector(`[data-edit="${which}"] .c1-inputs`);
      const list = now[which];
      while (box.children.length > list.length) box.lastChild.remove();
      while (box.children.length < list.length) {
        const i = box.children.length;
        const input = Object.assign(document.createElement("input"), {
          type: "text",
          className: "c1-input",
          autocomplete: "off",
          spellcheck: false,
        });
        input.inputMode = "decimal";
        input.dataset.index = i;
        input.setAttribute("aria-label", `${which} value ${i + 1}`);
        box.append(input);
      }
      list.forEach((v, i) => {
        const input = box.children[i];
        if (document.activeElement !== input) input.value = fmt(v);
        input.setAttribute("aria-invalid", "false");
      });
    }
  }

  async function update(next) {
    state = next; // the store has applied consistent() (state.js)
    await run();
  }

  return widgetFace(element, {
    update,
    animation: { steps: total, step: () => state.c1Step, show: (i) => set({ c1Step: i }) },
    stops: [stop, unbindKeys, onWidthChange(element, () => state && render())],
    inspect: () => {
      const step = result && state.c1Step >= 0 ? Math.min(state.c1Step, result.meta.steps - 1) : -1;
      return {
        params: sent,
        meta: result?.meta ?? null,
        output: result ? Array.from(result.arrays.output.data) : null,
        weights: result ? Array.from(result.arrays.weights.data) : null,
        step,
        sumText: $(".c1-sum").textContent,
        outputLabels: [...element.querySelectorAll('[data-row="output"] .c1-cell')].map((c) => c.textContent),
      };
    },
  });
}
