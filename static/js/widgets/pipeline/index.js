// Layer pipeline widget: input → conv → activation → pool, and stacks of such blocks. One
// pipeline.run answer carries every map; each card shows its stage's label, output shape and
// parameter count (engine.shapes, via meta) and its channels as a stack that expands to show
// every channel at a size a projector can read. Kernels come from kernel.preset; the widget
// computes no value, it draws, routes settings and asks again.
// Face: mount(element, {socket, limits, choices, onChange(patch)}) -> {update(state), destroy(), inspect()}.
// This file holds the face (fields, consistent, mount), the input card and the request flow; a
// block's fields, controls and kernels are in pipeline-blocks.js, the cards' drawing in pipeline-view.js.

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { bindKeys } from "../../lib/keyboard.js";
import { loadPicture } from "../../lib/pictures.js";
import { roomWidth } from "../../lib/room.js";
import { scaleFor } from "../../lib/colors.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import {
  MAX_BLOCKS,
  blockFields,
  createKernelLoader,
  maxKernel,
  pipelineParams,
  renderBlockControls,
  setSlider,
  slider,
} from "./blocks.js";
import { createPipelineView, plural, shapeText } from "./view.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

export const PL_INPUTS = ["x", "o", "checkerboard", "digit", "random"];
const INPUT_LABELS = { x: "X", o: "O", checkerboard: "Checkerboard", digit: "7", random: "Random" };
const MAX_INPUT = 28; // cells still big enough to draw on with a mouse (an MNIST digit's size)

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

/**
 * Drawn values must match the size; the X/O set is three filters; kernels stay under the cap;
 * removed blocks leave no trace.
 */
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

export function mount(element, { socket, limits, choices, labels, onChange }) {
  // The activation menu in the server's words (labels.activations), in the server's order.
  const menu = choices.map((c) => ({ ...c, label: labels.activations[c.name] }));
  const ctx = { limits, choices };
  const { $, alerts } = mountMarkup(
    element,
    `
    <div class="pl-top">
      <h2 id="h-pipeline" class="widget-title">Layer pipeline</h2>
      <p class="pl-total" aria-live="polite"></p>
      <div class="button-row">
        <button type="button" class="chip" data-action="add">+ Add a block</button>
        <button type="button" class="chip" data-action="remove">− Remove the last block</button>
        <button type="button" class="chip" data-action="reroll">New random kernels</button>
      </div>
    </div>
    ${alertHtml("general")}
    <p class="pl-stale" role="status" aria-live="polite"></p>
    <ol class="pl-row" aria-label="The pipeline, left to right">
      <li class="pl-card pl-input-card"><div class="pl-box">
        <h3 class="pl-label">Input</h3>
        <p class="pl-shape" data-shape="0"></p>
        ${chips("input", INPUT_LABELS, { label: "Input picture" })}
        ${slider("plSize", "Size")}
        <canvas class="grid-canvas pl-draw" tabindex="0" role="img"
          aria-label="The input grid: click or drag to flip cells between +1 and −1, or move with the arrow keys ` +
    `and press Space"></canvas>
        <p class="hint">Click or drag to flip cells between +1 and −1 (or arrow keys and Space).</p>
        ${alertHtml("input")}
      </div></li>
    </ol>
    <section class="pl-open" id="pl-open" hidden aria-live="polite">
      <div class="pl-open-head"><h3 class="pl-open-title"></h3><p class="pl-open-formula"></p>
        <button type="button" class="chip" data-action="close">Close</button></div>
      <div class="pl-channels"></div>
    </section>`,
  );
  const row = $(".pl-row");
  const drawCanvas = $(".pl-draw");
  const inputGrid = createGrid(drawCanvas);
  const events = new AbortController();
  const on = (target, type, fn) => target.addEventListener(type, fn, { signal: events.signal });
  let state = null;
  let input = null; // {size, values: Float32Array}: the grid sent as map0
  let result = null; // {params, meta, maps: [Tensor (C, H, W)]}: the last answer that worked
  let error = null; // {field, message} of the last refusal, while it stands
  let version = 0; // the newest update(); older ones stop at their next await
  const asked = askedOnce(); // the run parameters last sent
  let inputKey = "";
  let paint = null; // {value, last}: a drag on the input in progress
  let cursor = null; // {r, c}: the keyboard's cell on the input while it has the focus
  const view = createPipelineView(element, row, menu, () => ({ state, result }));
  const loadKernels = createKernelLoader(socket, limits, alerts);

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
    if (d.input)
      set({
        plInput: d.input,
        plValues: null,
        ...(d.input === "random" && state.plInput === "random" ? { plSeed: state.plSeed + 1 } : {}),
      });
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
    const to = {
      ArrowRight: i + 1,
      ArrowDown: i + 1,
      PageDown: i + 1,
      ArrowLeft: i - 1,
      ArrowUp: i - 1,
      PageUp: i - 1,
      Home: 1,
      End: stageCount(),
    }[e.key];
    if (to === undefined && e.key !== "Escape") return;
    e.preventDefault(); // the page's other keyboard handlers (the pooling animation) leave it alone
    if (e.key === "Escape") return set({ plOpen: 0 });
    const j = Math.max(1, Math.min(stageCount(), to));
    element.querySelector(`[data-stack="${j}"]`)?.focus();
    if (state.plOpen || e.key.startsWith("Page")) set({ plOpen: j });
  });
  // The same walk for a clicker with no stack focused (the page's keyboard.js: this widget on
  // stage), listed under "?". A focused stack's keys are handled above (preventDefault).
  row.tabIndex = -1;
  const unbindKeys = bindKeys(
    (cmd) => {
      if (!state) return;
      const n = stageCount();
      const open = state.plOpen;
      const to = { next: Math.min(n, open + 1), prev: Math.max(1, open - 1), first: 1, last: n }[cmd];
      if (cmd === "reset") return set({ plOpen: 0 });
      if (to === undefined) return;
      if (element.contains(document.activeElement)) element.querySelector(`[data-stack="${to}"]`)?.focus();
      set({ plOpen: to });
    },
    row,
    element,
    {
      bindings: [
        { keys: ["→", "↓", "Page Down"], does: "Open the next stage (a clicker's next)" },
        { keys: ["←", "↑", "Page Up"], does: "Open the previous stage (a clicker's previous)" },
        { keys: ["Home", "End"], does: "First stage, last stage" },
        { keys: ["Esc"], does: "Close the open stage" },
      ],
    },
  );
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
  on(window, "resize", () => (renderInput(), result && view.renderOpen()));

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
    const p = { name: s.plInput, height: s.plSize, width: s.plSize };
    // Short numbers read from the back row.
    if (p.name === "random") Object.assign(p, { seed: s.plSeed, spread: 1, decimals: 1 });
    const picture = await loadPicture(socket, p, alerts);
    if (!picture) return null;
    inputKey = key;
    return { size: picture.height, values: picture.values };
  }

  async function run(p) {
    const { answer: a, error: e, quiet } = await asked.ask(p, () => socket.request("pipeline.run", p));
    if (quiet) return;
    if (a) {
      alerts.clear("run");
      error = null;
      result = { params: p, meta: a.meta, maps: a.meta.stages.map((_, i) => a.arrays[`map${i + 1}`]) };
      result.maps.unshift(a.arrays.map0);
    }
    if (e) {
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
    view.syncCards(next.plBlocks);
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
    await run(pipelineParams(next, kernels, input));
  }

  function render() {
    if (!state) return;
    renderControls();
    renderInput();
    const total = result?.meta.total_params;
    $(".pl-total").textContent = total == null ? "" : `Total: ${plural(total, "learned parameter")}`;
    $(".pl-stale").textContent =
      error && result ? "Showing the last pipeline that worked; see the message beside the stage." : "";
    for (let i = 1; i <= stageCount(); i++) view.renderCard(i);
    view.renderOpen();
  }

  function renderInput() {
    if (!input) return;
    const n = input.size;
    const values = input.values;
    const ring = cursor && cursor.r < n && cursor.c < n ? [{ r: cursor.r, c: cursor.c, h: 1, w: 1 }] : [];
    // One block: 9×9 at 37 px (18-px numbers from the back row). Two or more keep the 31 px that
    // lets a 1920 projector hold the whole row. Never wider than a phone's card.
    const box = Math.min((state?.plBlocks ?? 1) > 1 ? 280 : 340, roomWidth(element, 380) - 40);
    inputGrid.draw({
      rows: n,
      cols: n,
      cell: fitCell(box, box, n, n, 6, 40),
      value: (r, c) => values[r * n + c],
      scale: scaleFor(values, "diverging"),
      highlights: ring,
    });
    $('[data-shape="0"]').textContent = shapeText([1, n, n]);
  }

  // Slider ranges: the engine's (meta.ranges of the last answer) within the server's limits.
  function renderControls() {
    const s = state;
    pressChips(element, "input", (name) => name === s.plInput);
    setSlider(element, "plSize", stageMeta(1)?.ranges.height.size.min ?? 1, MAX_INPUT, s.plSize);
    $('[data-action="add"]').disabled = s.plBlocks >= MAX_BLOCKS;
    $('[data-action="remove"]').disabled = s.plBlocks <= 1;
    renderBlockControls(element, s, limits, stageMeta);
  }

  return widgetFace(element, {
    update,
    stops: [() => events.abort(), unbindKeys],
    /** The last answer drawn (maps as plain arrays), for tests and lessons. */
    inspect: () => ({
      params: result?.params ?? null,
      meta: result?.meta ?? null,
      maps: result ? result.maps.map((t) => ({ shape: t.shape, values: Array.from(t.data) })) : null,
      input: input && { size: input.size, values: Array.from(input.values) },
      error,
      open: state?.plOpen ?? 0,
      openLabels: view.openLabels(),
    }),
  });
}
