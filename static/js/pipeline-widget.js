// Layer pipeline widget: input → conv → activation → pool, and stacks of such blocks. One
// pipeline.run answer carries every map; each card shows its stage's label, output shape and
// parameter count (engine.shapes, via meta) and its channels as a stack that expands to show
// every channel at a size a projector can read. Kernels come from kernel.preset; the widget
// computes no value, it draws, routes settings and asks again.
// Face: mount(element, {socket, limits, choices, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { createAlerts } from "./alerts.js";
import { scaleFor } from "./colors.js";
import { createGrid, fitCell } from "./grid.js";

export const PL_INPUTS = ["x", "o", "checkerboard", "digit", "random"];
const INPUT_LABELS = { x: "X", o: "O", checkerboard: "Checkerboard", digit: "7", random: "Random" };
const KERNEL_LABELS = { xo_set: "X/O set", random: "Random" };
const ACT_LABELS = { relu: "ReLU", leaky_relu: "Leaky ReLU", abs: "Absolute value", sigmoid: "Sigmoid", tanh: "tanh", elu: "ELU", selu: "SELU" };
const KINDS = ["conv", "act", "pool"]; // the stages of one block, in order
const MAX_BLOCKS = 4; // 12 stages: the most pipeline.run takes
const MAX_INPUT = 28; // cells still big enough to draw on with a mouse (an MNIST digit's size)
const STACK_BOX = 100; // px: the front map of a card's stack
const READABLE_CELL = 34; // px: numbers at 17px in an expanded channel (grid.js prints from 28px)

function blockFields(b, choices) {
  const first = b === 1; // block 1 starts as the lecture's X/O layer; later blocks as a "same" 3×3 conv of 4 filters
  return [
    { key: `pl${b}Kernels`, url: `plkp${b}`, type: "enum", options: Object.keys(KERNEL_LABELS), def: first ? "xo_set" : "random" },
    { key: `pl${b}Size`, url: `plk${b}`, type: "int", min: 1, max: "kernel", def: 3 },
    { key: `pl${b}Filters`, url: `plf${b}`, type: "int", min: 1, max: "filters", def: first ? 3 : 4 },
    { key: `pl${b}Stride`, url: `plcs${b}`, type: "int", min: 1, max: "stride", def: 1 },
    { key: `pl${b}Pad`, url: `plp${b}`, type: "int", min: 0, max: "padding", def: first ? 0 : 1 },
    { key: `pl${b}Act`, url: `pla${b}`, type: "enum", options: choices.map((c) => c.name), def: "relu" },
    { key: `pl${b}Mode`, url: `plm${b}`, type: "enum", options: ["max", "avg"], def: "max" },
    { key: `pl${b}Window`, url: `plw${b}`, type: "int", min: 1, max: "stride", def: 2 },
    { key: `pl${b}PoolStride`, url: `plps${b}`, type: "int", min: 1, max: "stride", def: 2 },
  ];
}

/** The widget's URL fields (state.js table): all prefixed `pl`. */
export function fields({ choices }) {
  return [
    { key: "plInput", url: "pli", type: "enum", options: [...PL_INPUTS, "custom"], def: "x" },
    { key: "plSize", url: "pln", type: "int", min: 1, max: MAX_INPUT, def: 9 },
    { key: "plSeed", url: "plseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "plKernelSeed", url: "plks", type: "int", min: 0, max: 2 ** 20, def: 0 },
    { key: "plValues", url: "plx", type: "floats", def: null },
    { key: "plBlocks", url: "plb", type: "int", min: 1, max: MAX_BLOCKS, def: 1 },
    { key: "plOpen", url: "plo", type: "int", min: 0, max: 3 * MAX_BLOCKS, def: 0 }, // the expanded stage, 0: none
    ...Array.from({ length: MAX_BLOCKS }, (_, i) => blockFields(i + 1, choices)).flat(),
  ];
}

// pipeline.run takes kernels of at most filters·channels·kernel² numbers (the protocol's KernelGrid cap).
const valuesCap = (limits) => limits.filters * limits.channels * limits.kernel ** 2;
const maxKernel = (limits, c, f) => Math.min(limits.kernel, Math.floor(Math.sqrt(valuesCap(limits) / (c * f))));

/** Drawn values must match the size; the X/O set is three filters; kernels stay under the cap; removed blocks leave no trace. */
export function consistent(state, { limits, choices }) {
  const s = { ...state };
  if (s.plInput === "custom" && s.plValues?.length !== s.plSize ** 2) s.plInput = "x";
  if (s.plInput !== "custom") s.plValues = null;
  let channels = 1;
  for (let b = 1; b <= MAX_BLOCKS; b++) {
    if (b > s.plBlocks) {
      for (const f of blockFields(b, choices)) s[f.key] = f.def;
      continue;
    }
    if (s[`pl${b}Kernels`] === "xo_set") s[`pl${b}Filters`] = 3;
    s[`pl${b}Size`] = Math.min(s[`pl${b}Size`], maxKernel(limits, channels, s[`pl${b}Filters`]));
    channels = s[`pl${b}Filters`];
  }
  if (s.plOpen > 3 * s.plBlocks) s.plOpen = 0;
  return s;
}

const slider = (key, label) => `<div class="control pl-control" data-control="${key}">
    <div class="control-head"><label for="pl-${key}">${label}</label><output class="control-value" data-value="${key}"></output></div>
    <input type="range" id="pl-${key}" data-key="${key}" step="1">
    <div class="range-ends"><span data-end="min"></span><span data-end="max"></span></div></div>`;

function controlsFor(kind, b, choices) {
  if (kind === "conv") {
    return `<div class="chips" role="group" aria-label="Block ${b} kernels">${Object.entries(KERNEL_LABELS).map(([k, t]) =>
      `<button type="button" class="chip" data-block="${b}" data-kernels="${k}" aria-pressed="false">${t}</button>`).join("")}</div>
      ${slider(`pl${b}Size`, "Kernel size")}${slider(`pl${b}Filters`, "Filters")}${slider(`pl${b}Stride`, "Stride")}${slider(`pl${b}Pad`, "Padding")}`;
  }
  if (kind === "act") {
    return `<div class="control pl-control"><label for="pl-pl${b}Act">Function</label>
      <select id="pl-pl${b}Act" data-key="pl${b}Act">${choices.map((c) => `<option value="${c.name}">${ACT_LABELS[c.name] ?? c.name}</option>`).join("")}</select></div>`;
  }
  return `<div class="chips" role="group" aria-label="Block ${b} pooling">
      <button type="button" class="chip" data-block="${b}" data-mode="max" aria-pressed="false">Max</button>
      <button type="button" class="chip" data-block="${b}" data-mode="avg" aria-pressed="false">Average</button></div>
    ${slider(`pl${b}Window`, "Window")}${slider(`pl${b}PoolStride`, "Stride")}`;
}

function stageCard(i, choices) {
  const kind = KINDS[(i - 1) % 3];
  return `<li class="pl-card" data-stage="${i}" data-kind="${kind}">
    <div class="pl-arrow" aria-hidden="true"><span class="pl-op"></span><span class="pl-head">→</span></div>
    <div class="pl-box">
      <h3 class="pl-label" id="pl-label-${i}">Stage ${i}</h3>
      <p class="pl-shape" data-shape="${i}"></p>
      <p class="pl-params" data-params="${i}"></p>
      <button type="button" class="pl-stack" data-stack="${i}" aria-expanded="false" aria-controls="pl-open"></button>
      <p class="pl-formula" data-formula="${i}"></p>
      <p class="pl-note" data-note="${i}"></p>
      <div class="pl-controls">${controlsFor(kind, Math.ceil(i / 3), choices)}</div>
      <p class="alert" data-alert="stage-${i}" role="status" aria-live="polite"></p>
    </div></li>`;
}

const shapeText = (shape) => shape.join(" × ");
const plural = (n, word) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

export function mount(element, { socket, limits, choices, onChange }) {
  const ctx = { limits, choices };
  element.innerHTML = `
    <div class="pl-top">
      <h2 id="h-pipeline" class="widget-title">Layer pipeline</h2>
      <p class="pl-total" aria-live="polite"></p>
      <div class="button-row">
        <button type="button" class="chip" data-action="add">+ Add a block</button>
        <button type="button" class="chip" data-action="remove">− Remove the last block</button>
        <button type="button" class="chip" data-action="reroll">New random kernels</button>
      </div>
    </div>
    <p class="alert general" data-alert="general" role="status" aria-live="polite"></p>
    <p class="pl-stale" role="status" aria-live="polite"></p>
    <ol class="pl-row" aria-label="The pipeline, left to right">
      <li class="pl-card pl-input-card"><div class="pl-box">
        <h3 class="pl-label">Input</h3>
        <p class="pl-shape" data-shape="0"></p>
        <div class="chips" role="group" aria-label="Input picture">${PL_INPUTS.map((p) =>
          `<button type="button" class="chip" data-input="${p}" aria-pressed="false">${INPUT_LABELS[p]}</button>`).join("")}</div>
        ${slider("plSize", "Size")}
        <canvas class="grid-canvas pl-draw" tabindex="0" role="img"
          aria-label="The input grid: click or drag to flip cells between +1 and −1, or move with the arrow keys and press Space"></canvas>
        <p class="hint">Click or drag to flip cells between +1 and −1 (or arrow keys and Space).</p>
        <p class="alert" data-alert="input" role="status" aria-live="polite"></p>
      </div></li>
    </ol>
    <section class="pl-open" id="pl-open" hidden aria-live="polite">
      <div class="pl-open-head"><h3 class="pl-open-title"></h3><p class="pl-open-formula"></p>
        <button type="button" class="chip" data-action="close">Close</button></div>
      <div class="pl-channels"></div>
    </section>`;
  const $ = (sel) => element.querySelector(sel);
  const row = $(".pl-row");
  const alerts = createAlerts(element);
  const drawCanvas = $(".pl-draw");
  const inputGrid = createGrid(drawCanvas);
  const events = new AbortController();
  const on = (target, type, fn) => target.addEventListener(type, fn, { signal: events.signal });
  let state = null;
  let input = null; // {size, values: Float32Array}: the grid sent as map0
  let result = null; // {params, meta, maps: [Tensor (C, H, W)]}: the last answer that worked
  let error = null; // {field, message} of the last refusal, while it stands
  let version = 0; // the newest update(); older ones stop at their next await
  let runKey = "";
  let inputKey = "";
  let built = 0; // blocks whose cards are in the row
  let paint = null; // {value, last}: a drag on the input in progress
  let cursor = null; // {r, c}: the keyboard's cell on the input while it has the focus
  let hover = null; // {r, c} under the pointer in the expanded view
  let openGrids = [];
  const stacks = new Map(); // stage -> {count, grids}
  const kernelCache = new Map(); // request key -> {filters, height, width, values}

  // Patches go through the same consistency rule as a link, so no control reaches a state it would refuse.
  function set(patch) {
    const next = consistent({ ...state, ...patch }, ctx);
    const changed = Object.fromEntries(Object.entries(next).filter(([k, v]) => v !== state[k]));
    if (Object.keys(changed).length) onChange(changed);
  }
  const stageCount = () => 3 * state.plBlocks;
  const stageMeta = (i) => result?.meta.stages[i - 1] ?? null;

  on(element, "click", (e) => {
    const t = e.target.closest("button");
    if (!t || !state) return;
    const d = t.dataset;
    if (d.input) set({ plInput: d.input, plValues: null, ...(d.input === "random" && state.plInput === "random" ? { plSeed: state.plSeed + 1 } : {}) });
    else if (d.kernels) set({ [`pl${d.block}Kernels`]: d.kernels });
    else if (d.mode) set({ [`pl${d.block}Mode`]: d.mode });
    else if (d.stack) {
      // Keep the focus on the stack a mouse opened, so a presenter's clicker then walks the stages
      // (keyboard.js would hand it to the pooling animation).
      e.stopPropagation();
      set({ plOpen: state.plOpen === Number(d.stack) ? 0 : Number(d.stack) });
    } else if (d.action === "add") addBlock();
    else if (d.action === "remove") set({ plBlocks: state.plBlocks - 1 });
    else if (d.action === "reroll") set({ plKernelSeed: (state.plKernelSeed + 1) % 2 ** 20 });
    else if (d.action === "close") set({ plOpen: 0 });
  });
  on(element, "input", (e) => {
    const key = e.target.dataset?.key;
    if (key && e.target.type === "range") set({ [key]: Number(e.target.value) });
  });
  on(element, "change", (e) => {
    const key = e.target.dataset?.key;
    if (key && e.target.tagName === "SELECT") set({ [key]: e.target.value });
  });
  // Stacks are buttons (Enter and Space open them); arrows move between stages, and Page Up/Down
  // (a clicker) open the next or previous stage, so a presenter walks the pipeline.
  on(element, "keydown", (e) => {
    const stack = e.target.closest?.("[data-stack]");
    if (!stack || e.altKey || e.ctrlKey || e.metaKey) return;
    const i = Number(stack.dataset.stack);
    const to = { ArrowRight: i + 1, ArrowDown: i + 1, PageDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, PageUp: i - 1, Home: 1, End: stageCount() }[e.key];
    if (to === undefined && e.key !== "Escape") return;
    e.preventDefault(); // the page's other keyboard handlers (the pooling animation) leave it alone
    if (e.key === "Escape") return set({ plOpen: 0 });
    const j = Math.max(1, Math.min(stageCount(), to));
    element.querySelector(`[data-stack="${j}"]`)?.focus();
    if (state.plOpen || e.key.startsWith("Page")) set({ plOpen: j });
  });
  on(drawCanvas, "pointerdown", (e) => {
    const cell = inputGrid.cellAt(e);
    if (!cell || !input) return;
    e.preventDefault();
    drawCanvas.setPointerCapture(e.pointerId);
    paint = { value: input.values[cell.r * input.size + cell.c] > 0 ? -1 : 1, last: -1 };
    paintCell(cell);
  });
  on(drawCanvas, "pointermove", (e) => {
    const cell = paint && inputGrid.cellAt(e);
    if (cell) paintCell(cell);
  });
  for (const type of ["pointerup", "pointercancel"]) on(drawCanvas, type, () => (paint = null));
  // Drawing without a mouse: arrows move a ringed cell, Space or Enter flips it.
  on(drawCanvas, "keydown", (e) => {
    if (!input || e.altKey || e.ctrlKey || e.metaKey) return;
    const at = cursor ?? { r: 0, c: 0 };
    const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    const inside = (v) => Math.max(0, Math.min(input.size - 1, v));
    if (move) cursor = { r: inside(at.r + move[0]), c: inside(at.c + move[1]) };
    else if (e.key !== " " && e.key !== "Enter") return;
    e.preventDefault(); // the page's other keyboard handlers (the pooling animation) leave it alone
    if (!move) {
      paint = { value: input.values[at.r * input.size + at.c] > 0 ? -1 : 1, last: -1 };
      paintCell(at);
      paint = null;
    }
    renderInput();
  });
  on(drawCanvas, "focus", () => ((cursor ??= { r: 0, c: 0 }), renderInput()));
  on(drawCanvas, "blur", () => ((cursor = null), renderInput()));
  on(window, "resize", () => result && renderOpen());

  function paintCell({ r, c }) {
    const i = r * input.size + c;
    if (i === paint.last || input.values[i] === paint.value) return;
    paint.last = i;
    const values = Float32Array.from(input.values);
    values[i] = paint.value;
    input = { size: input.size, values };
    renderInput();
    set({ plInput: "custom", plValues: values });
  }

  // A new block fits whatever map it gets: a padded 3×3 conv keeps the size, and its pooling
  // window is no larger than the map.
  function addBlock() {
    const b = state.plBlocks + 1;
    if (b > MAX_BLOCKS) return;
    const last = result && result.meta.stages.length === stageCount() ? result.meta.stages.at(-1).shape : null;
    const n = last ? Math.min(last[1], last[2]) : 2;
    set({ plBlocks: b, [`pl${b}Window`]: Math.min(2, n), [`pl${b}PoolStride`]: Math.min(2, n) });
  }

  async function loadInput(s) {
    if (s.plInput === "custom") return { size: s.plSize, values: Float32Array.from(s.plValues) };
    const key = JSON.stringify([s.plInput, s.plSize, s.plSeed]);
    if (key === inputKey && input) return input;
    try {
      const p = { name: s.plInput, height: s.plSize, width: s.plSize };
      if (p.name === "random") Object.assign(p, { seed: s.plSeed, spread: 1, decimals: 1 }); // short numbers read from the back row
      const a = await socket.request("input.preset", p);
      alerts.clear("input");
      inputKey = key;
      return { size: a.meta.height, values: Float32Array.from(a.arrays.values.data) };
    } catch (e) {
      if (!e.quiet) alerts.show(e.field, e.message, "input", "input");
      return null;
    }
  }

  // kernel.preset makes kernels over at most limits.channels channels (the input's cap), but a block
  // after a 4-filter block gets 4 channels: its filters are assembled from several seeded draws,
  // channels side by side (F, C, K, K). Seeds differ per block and per draw.
  async function loadKernels(s, b) {
    const name = s[`pl${b}Kernels`];
    const spec = { name, size: s[`pl${b}Size`], filters: s[`pl${b}Filters`], seed: name === "random" ? s.plKernelSeed * 1000 + b * 10 : 0 };
    const channels = b === 1 ? 1 : s[`pl${b - 1}Filters`];
    const key = JSON.stringify([spec, channels]);
    if (kernelCache.has(key)) return kernelCache.get(key);
    try {
      const parts = [];
      for (let c0 = 0, j = 0; c0 < channels; c0 += limits.channels, j++) {
        const c = Math.min(limits.channels, channels - c0);
        const a = await socket.request("kernel.preset", { ...spec, channels: c, seed: spec.seed + j });
        parts.push({ c, values: a.arrays.values.data, meta: a.meta });
      }
      const { filters, height, width } = parts[0].meta;
      const taps = height * width;
      const values = new Float32Array(filters * channels * taps);
      let at = 0;
      for (let f = 0; f < filters; f++) {
        for (const p of parts) {
          values.set(p.values.subarray(f * p.c * taps, (f + 1) * p.c * taps), at);
          at += p.c * taps;
        }
      }
      alerts.clear(`kernel-${b}`);
      if (kernelCache.size > 64) kernelCache.clear();
      kernelCache.set(key, { filters, height, width, values });
      return kernelCache.get(key);
    } catch (e) {
      if (!e.quiet) alerts.show(null, e.message, `kernel-${b}`, `stage-${3 * b - 2}`);
      return null;
    }
  }

  function params(s, kernels) {
    const stages = kernels.flatMap((k, i) => {
      const b = i + 1;
      const [st, p, w, ps] = [s[`pl${b}Stride`], s[`pl${b}Pad`], s[`pl${b}Window`], s[`pl${b}PoolStride`]];
      return [
        { kind: "conv", kernels: { filters: k.filters, height: k.height, width: k.width, values: Array.from(k.values) }, stride: [st, st], padding: [p, p, p, p] },
        { kind: "act", name: s[`pl${b}Act`] },
        { kind: "pool", mode: s[`pl${b}Mode`], kernel: [w, w], stride: [ps, ps] },
      ];
    });
    return { input: { channels: 1, height: input.size, width: input.size, values: Array.from(input.values) }, stages };
  }

  async function run(p) {
    const key = JSON.stringify(p);
    if (key === runKey) return render();
    runKey = key;
    try {
      const a = await socket.request("pipeline.run", p);
      alerts.clear("run");
      error = null;
      result = { params: p, meta: a.meta, maps: a.meta.stages.map((_, i) => a.arrays[`map${i + 1}`]) };
      result.maps.unshift(a.arrays.map0);
    } catch (e) {
      if (e.code === "disconnected" && runKey === key) runKey = ""; // lost on the way: send it again on reconnection
      if (e.quiet) return;
      runKey = "";
      error = { field: e.field, message: e.message };
      const at = /^stages\[(\d+)\]/.exec(e.field ?? "");
      alerts.show(e.field, e.message, "run", at ? `stage-${Number(at[1]) + 1}` : undefined);
    }
    render();
    if (result) element.dataset.ready = "1";
  }

  async function update(next) {
    state = next;
    const mine = ++version;
    syncCards();
    render();
    const loaded = await loadInput(next);
    if (mine !== version || !loaded) return;
    input = loaded;
    renderInput();
    const kernels = [];
    for (let b = 1; b <= next.plBlocks; b++) {
      const k = await loadKernels(next, b);
      if (mine !== version || !k) return;
      kernels.push(k);
    }
    await run(params(next, kernels));
  }

  function syncCards() {
    for (; built < state.plBlocks; built++) row.insertAdjacentHTML("beforeend", [1, 2, 3].map((j) => stageCard(3 * built + j, choices)).join(""));
    for (; built > state.plBlocks; built--) {
      for (let j = 0; j < 3; j++) {
        stacks.delete(3 * built - j);
        row.querySelector(`[data-stage="${3 * built - j}"]`).remove();
      }
    }
  }

  function render() {
    if (!state) return;
    renderControls();
    renderInput();
    const total = result?.meta.total_params;
    $(".pl-total").textContent = total == null ? "" : `Total: ${plural(total, "learned parameter")}`;
    $(".pl-stale").textContent = error && result ? "Showing the last pipeline that worked; see the message beside the stage." : "";
    for (let i = 1; i <= stageCount(); i++) renderCard(i);
    renderOpen();
  }

  function renderInput() {
    if (!input) return;
    const n = input.size;
    const values = input.values;
    const ring = cursor && cursor.r < n && cursor.c < n ? [{ r: cursor.r, c: cursor.c, h: 1, w: 1 }] : [];
    inputGrid.draw({ rows: n, cols: n, cell: fitCell(280, 280, n, n, 6, 36), value: (r, c) => values[r * n + c], scale: scaleFor(values, "diverging"), highlights: ring });
    $('[data-shape="0"]').textContent = shapeText([1, n, n]);
  }

  function renderCard(i) {
    const card = row.querySelector(`[data-stage="${i}"]`);
    const m = stageMeta(i);
    card.querySelector(".pl-op").textContent = m?.op ?? "";
    card.querySelector(".pl-label").textContent = m?.label ?? `Stage ${i}`;
    card.querySelector(".pl-shape").textContent = m ? shapeText(m.shape) : "…";
    card.querySelector(".pl-params").textContent = m ? plural(m.params, "parameter") + (m.params_formula ? ` = ${m.params_formula}` : "") : "";
    const f = m?.formula;
    // The output-size formula; when it is not whole, the engine's sentence says it (with the formula) instead.
    card.querySelector(".pl-formula").textContent = !f || m.problem ? "" : f.height.formula === f.width.formula ? f.width.formula : `${f.height.formula} · ${f.width.formula}`;
    card.querySelector(".pl-note").textContent = m?.problem ? `Floored: ${m.problem}` : "";
    const button = card.querySelector(".pl-stack");
    const open = state.plOpen === i;
    button.setAttribute("aria-expanded", String(open));
    button.classList.toggle("open", open);
    const map = result?.maps[i];
    if (!m || !map) {
      button.setAttribute("aria-label", `Stage ${i}: not computed yet`);
      return;
    }
    const [C, H, W] = map.shape;
    button.setAttribute("aria-label", `Stage ${i} output: ${plural(C, "channel")} of ${H} × ${W}. ${open ? "Press to close" : "Press to show every channel"}.`);
    drawStack(i, button, map);
  }

  // The channels as an offset stack: channel 1 in front, the others peeking out behind it.
  function drawStack(i, button, map) {
    const [C, H, W] = map.shape;
    let stack = stacks.get(i);
    if (!stack || stack.count !== C) {
      const canvases = Array.from({ length: C }, () => document.createElement("canvas"));
      button.replaceChildren(...canvases.slice().reverse()); // the last channel first, so channel 1 is on top
      stack = { count: C, canvases, grids: canvases.map((c) => createGrid(c)) };
      stacks.set(i, stack);
    }
    const cell = fitCell(STACK_BOX, STACK_BOX, W, H, 2, 32);
    const step = C > 1 ? Math.max(3, Math.min(10, Math.floor(60 / (C - 1)))) : 0;
    const scale = scaleFor(map.data, "diverging"); // one scale per stage: its channels compare by colour
    stack.grids.forEach((grid, c) => {
      const plane = map.data.subarray(c * H * W, (c + 1) * H * W);
      grid.draw({ rows: H, cols: W, cell, value: (r, cc) => plane[r * W + cc], scale, numbers: c === 0 ? undefined : false });
      Object.assign(stack.canvases[c].style, { left: `${c * step}px`, top: `${(C - 1 - c) * step}px` });
    });
    button.style.width = `${W * cell + 1 + (C - 1) * step}px`;
    button.style.height = `${H * cell + 1 + (C - 1) * step}px`;
  }

  // The expanded stage: every channel side by side, as large as the width allows and large
  // enough for numbers when the maps are small.
  function renderOpen() {
    const box = $(".pl-open");
    const i = state.plOpen;
    const m = i ? stageMeta(i) : null;
    const map = m && result.maps[i];
    box.hidden = !map;
    if (!map) {
      openGrids = [];
      return;
    }
    const [C, H, W] = map.shape;
    $(".pl-open-title").textContent = `Stage ${i} · ${m.label} · ${shapeText(m.shape)} · every channel`;
    $(".pl-open-formula").textContent = m.formula ? `Output size: ${m.formula.width.formula}` : "";
    const holder = $(".pl-channels");
    if (holder.children.length !== C) {
      holder.replaceChildren(...Array.from({ length: C }, (_, c) => {
        const fig = document.createElement("figure");
        fig.className = "pane";
        fig.innerHTML = `<figcaption>Channel ${c + 1}</figcaption><canvas class="grid-canvas hoverable"></canvas>`;
        return fig;
      }));
      openGrids = Array.from(holder.querySelectorAll("canvas"), (canvas) => {
        const grid = createGrid(canvas);
        canvas.addEventListener("pointermove", (e) => showHover(grid.cellAt(e)));
        canvas.addEventListener("pointerleave", () => showHover(null));
        return grid;
      });
    }
    const gap = 16;
    const room = Math.max(200, holder.clientWidth || box.clientWidth);
    const want = W <= 12 ? READABLE_CELL : 8;
    let perRow = C;
    while (perRow > 1 && ((room + gap) / perRow - gap) / W < want) perRow--;
    const cell = Math.max(4, Math.min(56, Math.floor(((room + gap) / perRow - gap) / W), Math.floor(480 / H)));
    const scale = scaleFor(map.data, "diverging");
    const hl = hover && hover.r < H && hover.c < W ? [{ r: hover.r, c: hover.c, h: 1, w: 1 }] : [];
    openGrids.forEach((grid, c) => {
      const plane = map.data.subarray(c * H * W, (c + 1) * H * W);
      grid.draw({ rows: H, cols: W, cell, value: (r, cc) => plane[r * W + cc], scale, highlights: hl });
    });
  }

  // The same position in every channel: what one spot of the image looks like to each filter.
  function showHover(cell) {
    if (cell?.r === hover?.r && cell?.c === hover?.c) return;
    hover = cell;
    renderOpen();
  }

  function setSlider(key, min, max, value, disabled = false) {
    const el = element.querySelector(`#pl-${key}`);
    if (!el) return;
    Object.assign(el, { min, max, disabled });
    el.value = value;
    element.querySelector(`[data-value="${key}"]`).textContent = value;
    const ends = el.parentElement.querySelector(".range-ends");
    ends.querySelector('[data-end="min"]').textContent = min;
    ends.querySelector('[data-end="max"]').textContent = max;
  }

  // Slider ranges: the engine's (meta.ranges of the last answer) within the server's limits.
  function renderControls() {
    const s = state;
    element.querySelectorAll("[data-input]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.input === s.plInput)));
    setSlider("plSize", stageMeta(1)?.ranges.height.size.min ?? 1, MAX_INPUT, s.plSize);
    $('[data-action="add"]').disabled = s.plBlocks >= MAX_BLOCKS;
    $('[data-action="remove"]').disabled = s.plBlocks <= 1;
    const cap = valuesCap(limits);
    for (let b = 1; b <= s.plBlocks; b++) {
      const c = b === 1 ? 1 : s[`pl${b - 1}Filters`];
      const [k, f, xo] = [s[`pl${b}Size`], s[`pl${b}Filters`], s[`pl${b}Kernels`] === "xo_set"];
      const conv = stageMeta(3 * b - 2)?.ranges.width;
      const pool = stageMeta(3 * b)?.ranges.width;
      // This block's filters are the next block's channels: both kernels must stay under the cap.
      const next = b < s.plBlocks ? Math.floor(cap / (s[`pl${b + 1}Filters`] * s[`pl${b + 1}Size`] ** 2)) : Infinity;
      setSlider(`pl${b}Size`, 1, Math.min(conv?.kernel.max ?? limits.kernel, maxKernel(limits, c, f)), k);
      setSlider(`pl${b}Filters`, xo ? 3 : 1, xo ? 3 : Math.min(limits.filters, Math.floor(cap / (c * k * k)), next), f, xo);
      setSlider(`pl${b}Stride`, 1, conv?.stride.max ?? limits.stride, s[`pl${b}Stride`]);
      setSlider(`pl${b}Pad`, 0, conv?.padding.max ?? limits.padding, s[`pl${b}Pad`]);
      setSlider(`pl${b}Window`, 1, pool?.kernel.max ?? limits.stride, s[`pl${b}Window`]);
      setSlider(`pl${b}PoolStride`, 1, pool?.stride.max ?? limits.stride, s[`pl${b}PoolStride`]);
      element.querySelector(`#pl-pl${b}Act`).value = s[`pl${b}Act`];
      element.querySelectorAll(`[data-block="${b}"]`).forEach((btn) =>
        btn.setAttribute("aria-pressed", String(btn.dataset.kernels ? btn.dataset.kernels === s[`pl${b}Kernels`] : btn.dataset.mode === s[`pl${b}Mode`])));
    }
  }

  return {
    update,
    destroy() {
      events.abort();
      element.replaceChildren();
    },
    /** The last answer drawn (maps as plain arrays), for tests and lessons. */
    inspect: () => ({
      params: result?.params ?? null,
      meta: result?.meta ?? null,
      maps: result ? result.maps.map((t) => ({ shape: t.shape, values: Array.from(t.data) })) : null,
      input: input && { size: input.size, values: Array.from(input.values) },
      error,
      open: state?.plOpen ?? 0,
      openLabels: openGrids.map((g) => {
        const { rows, cols } = g.layout;
        return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => g.label(r, c)));
      }),
    }),
  };
}
