// Grouped and separable convolutions: one small layer five ways (ordinary, grouped, depthwise, pointwise
// 1×1, depthwise-separable). A channel diagram links each output channel to the input channels it reads,
// coloured by group; pointing at an output channel (or stepping to it with the arrow keys) lights its
// inputs and shows its filter and its map; a table sets every mode's weights and multiply-adds side by
// side, for this layer or a real network's. Every number comes from the engine (grouped.run); the widget
// draws. Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   grMode    [grm]  "ordinary" | "grouped" | "depthwise" | "pointwise" | "separable" (default "grouped")
//   grCin     [gri]  1–8 input channels (default 4)      grCout [gro] 1–8 output channels (default 4)
//   grGroups  [grg]  1–8, a divisor of both (consistent() lowers it to one; default 2)
//   grK       [grk]  1–5 the kernel's side (default 3)   grSize [grs] 3–8 the maps' side (default 5)
//   grWeights [grw]  "seeded" (−1, 0, 1) | "ones" (default "seeded")
//   grOut     [grc]  the output channel in focus, from 0 (default 0)
//   grReal    [grr]  which layer the table counts: "this" | "alexnet" | "resnext" | "mobilenet" | "xception"

import { alertHtml } from "../../lib/alerts.js";
import { askShown, askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { maxCell, onWidthChange, roomWidth } from "../../lib/room.js";
import { field, names } from "../../lib/schema.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { countsTable, layerText, ratioText } from "./counts.js";
import { createDiagram } from "./diagram.js";

// The modes and weight kinds are grouped.run's (its schema), named here only for their labels.
const modesOf = ({ schemas }) => names(field(schemas, "grouped.run", "mode"));
const weightsOf = ({ schemas }) => names(field(schemas, "grouped.run", "weights"));
export const modeLabel = (mode) => `${mode[0].toUpperCase()}${mode.slice(1)}${mode === "pointwise" ? " 1×1" : ""}`;
const WEIGHT_LABELS = { seeded: "Weights −1, 0, 1", ones: "Weights all 1" };
// Layers of real networks, only counted (sizes as the networks have them; the groups a what-if but AlexNet's).
export const GR_REAL = {
  this: { label: "This layer" },
  alexnet: { label: "AlexNet conv2", size: 27, c_in: 96, c_out: 256, k: 5, groups: 2 },
  resnext: { label: "56×56, 256 → 256", size: 56, c_in: 256, c_out: 256, k: 3, groups: 32 },
  mobilenet: { label: "MobileNet 112×112, 32 → 64", size: 112, c_in: 32, c_out: 64, k: 3, groups: 2 },
  xception: { label: "Xception 19×19, 728", size: 19, c_in: 728, c_out: 728, k: 3, groups: 8 },
};
const MAX = { channels: 8, k: 5, size: 8 }; // grouped.run's caps (its schema)
const KEYS = { cIn: "grCin", cOut: "grCout", k: "grK", size: "grSize" };
const BINDINGS = [
  { keys: ["→", "↓", "Page Down"], does: "Next output channel" },
  { keys: ["←", "↑", "Page Up"], does: "Previous output channel" },
  { keys: ["Home", "End"], does: "First, last output channel" },
];

/** The widget's URL fields (state.js table). */
export function fields(context) {
  return [
    { key: "grMode", url: "grm", type: "enum", options: modesOf(context), def: "grouped" },
    { key: "grCin", url: "gri", type: "int", min: 1, max: MAX.channels, def: 4 },
    { key: "grCout", url: "gro", type: "int", min: 1, max: MAX.channels, def: 4 },
    { key: "grGroups", url: "grg", type: "int", min: 1, max: MAX.channels, def: 2 },
    { key: "grK", url: "grk", type: "int", min: 1, max: MAX.k, def: 3 },
    { key: "grSize", url: "grs", type: "int", min: 3, max: MAX.size, def: 5 },
    { key: "grWeights", url: "grw", type: "enum", options: weightsOf(context), def: "seeded" },
    { key: "grOut", url: "grc", type: "int", min: 0, max: MAX.channels - 1, def: 0 },
    { key: "grReal", url: "grr", type: "enum", options: Object.keys(GR_REAL), def: "resnext" },
  ];
}

/** The groups that split both channel counts evenly: the only ones a grouped layer can have. */
export const commonDivisors = (a, b) =>
  [...Array(Math.min(a, b)).keys()].map((i) => i + 1).filter((d) => a % d === 0 && b % d === 0);

/** Groups lowered to a divisor of both channel counts; the focused output kept among the outputs. */
export function consistent(state) {
  const s = { ...state };
  s.grGroups = Math.max(...commonDivisors(s.grCin, s.grCout).filter((d) => d <= s.grGroups));
  const outputs = s.grMode === "depthwise" ? s.grCin : s.grCout;
  s.grOut = Math.min(s.grOut, outputs - 1);
  return s;
}

function slider(uid, key, label) {
  return rangeSlider({ id: `${uid}-${key}`, control: key, label, input: `data-key="${key}" step="1"` });
}

export function mount(element, { socket, onChange, ...context }) {
  const uid = idScope("grouped")("grouped");
  element.classList.add("grouped-widget");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Grouped and separable convolutions</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("gr-mode", modesOf(context).map((m) => [m, modeLabel(m)]), { label: "Layer", className: "gr-modes" })}
        ${slider(uid, "cIn", "Input channels C<sub>in</sub>")}${slider(uid, "cOut", "Output channels C<sub>out</sub>")}
        <div class="gr-groups-control"><p class="gr-label" id="${uid}-g">Groups g</p>
          <div class="chips" role="group" aria-labelledby="${uid}-g" data-groups></div></div>
        ${slider(uid, "k", "Kernel k × k")}${slider(uid, "size", "Map side H = W")}
        ${chips("gr-weights", weightsOf(context).map((w) => [w, WEIGHT_LABELS[w] ?? w]), { label: "Weights" })}
        ${alertHtml("general")}
      </div>
      <div class="widget-main">
        <p class="gr-summary" data-summary></p>
        <div class="gr-stage" tabindex="0" aria-describedby="${uid}-said" aria-label="Channel diagram. Arrow keys or ` +
      `Page Up and Page Down choose the output channel in focus.">
          <div class="gr-diagram" data-diagram></div>
          <div class="gr-focus">
            <p class="gr-reads" data-reads></p>
            <div class="gr-filters" data-filters></div>
            <figure class="pane gr-out"><figcaption><span class="pane-title" data-out-title></span></figcaption>
              <canvas class="grid-canvas" data-grid="focus" role="img"></canvas></figure>
          </div>
        </div>
        <p class="visually-hidden" id="${uid}-said" aria-live="polite" data-said></p>
        <section class="gr-counts" aria-labelledby="${uid}-ct">
          <h3 class="gr-counts-title" id="${uid}-ct">What each layer learns and computes, for one image</h3>
          ${chips("gr-real", Object.entries(GR_REAL).map(([k, v]) => [k, v.label]), { label: "Count for" })}
          <p class="gr-layer" data-layer></p>
          <div class="gr-table-box" data-table></div>
          <p class="gr-ratio" data-ratio></p>
        </section>
      </div>
    </div>`,
  );
  const stage = $(".gr-stage");
  const focusGrid = createGrid($('[data-grid="focus"]'));
  let state = null;
  let result = null; // {meta, arrays}
  let diagram = null;
  let drawnFor = null; // the answer the diagram was built from
  let lit = null;
  const asked = askedOnce();
  const set = (patch) => onChange(patch);
  const outputs = () => result?.meta.output_shape[0] ?? 1;

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.grMode) set({ grMode: b.dataset.grMode });
    else if (b.dataset.grWeights) set({ grWeights: b.dataset.grWeights });
    else if (b.dataset.grReal) set({ grReal: b.dataset.grReal });
    else if (b.dataset.group) set({ grGroups: Number(b.dataset.group) });
  });
  element.addEventListener("input", (e) => {
    const key = KEYS[e.target.dataset?.key];
    if (key) set({ [key]: Number(e.target.value) });
  });
  // Pointing at an output map (or a middle one) puts that output channel in focus.
  $("[data-diagram]").addEventListener("pointerover", (e) => {
    const figure = e.target.closest("[data-output]");
    if (figure && Number(figure.dataset.output) !== state?.grOut) set({ grOut: Number(figure.dataset.output) });
  });
  const command = (what) => {
    if (!state || !result) return;
    const last = outputs() - 1;
    const to = { next: state.grOut + 1, prev: state.grOut - 1, first: 0, last }[what];
    if (to !== undefined) set({ grOut: Math.max(0, Math.min(last, to)) });
  };
  const unbindKeys = bindKeys(command, stage, element, { bindings: BINDINGS });
  const stopWatching = onWidthChange(element, () => result && render(true));

  function params(s) {
    const real = GR_REAL[s.grReal];
    const sized = s.grReal === "this" ? GR_REAL.resnext : real; // "this": the table shows the layer's own counts
    return {
      mode: s.grMode,
      c_in: s.grCin,
      c_out: s.grCout,
      height: s.grSize,
      width: s.grSize,
      k: s.grK,
      padding: Math.floor((s.grK - 1) / 2), // keeps the maps' size for an odd k
      groups: s.grGroups,
      weights: s.grWeights,
      seed: 1,
      real: { size: sized.size, c_in: sized.c_in, c_out: sized.c_out, k: sized.k, groups: sized.groups },
    };
  }

  async function run(s) {
    const p = params(s);
    const ask = { socket, alerts, element, type: "grouped.run", params: p, region: "grouped" };
    const shown = await askShown(asked, ask);
    if (shown !== undefined) result = shown;
  }

  const channels = (list) => list.map((i) => i + 1).join(", ");

  function drawFilters(meta, arrays, o) {
    const box = $("[data-filters]");
    const [, depth, k] = meta.filter_shape;
    const scale = scaleFor([arrays.filters.data, ...(arrays.pointwise ? [arrays.pointwise.data] : [])]);
    // Up to four slices at full size; more (an ordinary layer on 8 channels) share the room at smaller cells.
    const slices = meta.mode === "separable" ? meta.c_in : depth;
    const room = maxCell(150) / (slices > 4 ? 2 : 1);
    const cell = Math.max(14, Math.min(maxCell(34), Math.floor(room / k)));
    const pane = (title, canvasAttr) =>
      `<figure class="pane gr-filter"><figcaption>${title}</figcaption>` +
      `<canvas class="grid-canvas" ${canvasAttr}></canvas></figure>`;
    const separable = meta.mode === "separable"; // every channel's depthwise filter feeds the output
    const reads = meta.reads[o];
    box.innerHTML =
      Array.from({ length: slices }, (_, j) =>
        pane(separable ? `Depthwise on ${j + 1}` : `On input ${reads[j] + 1}`, `data-slice="${j}"`),
      ).join("") + (separable ? pane(`1×1 mix into ${o + 1}`, 'data-slice="mix"') : "");
    for (let j = 0; j < slices; j++) {
      const start = ((separable ? j : o * depth + j) * k) * k;
      const w = arrays.filters.data.subarray(start, start + k * k);
      const canvas = box.querySelector(`[data-slice="${j}"]`);
      createGrid(canvas).draw({ rows: k, cols: k, cell, value: (r, c) => w[r * k + c], scale });
    }
    if (separable) {
      const row = arrays.pointwise.data.subarray(o * meta.c_in, (o + 1) * meta.c_in);
      const canvas = box.querySelector('[data-slice="mix"]');
      createGrid(canvas).draw({ rows: 1, cols: meta.c_in, cell, value: (r, c) => row[c], scale });
    }
  }

  function render(rebuild = false) {
    pressChips(element, "gr-mode", (v) => v === state.grMode);
    pressChips(element, "gr-weights", (v) => v === state.grWeights);
    pressChips(element, "gr-real", (v) => v === state.grReal);
    showRange($('[data-control="cIn"]'), { min: 1, max: MAX.channels, value: state.grCin });
    showRange($('[data-control="cOut"]'), { min: 1, max: MAX.channels, value: state.grCout });
    showRange($('[data-control="k"]'), { min: 1, max: MAX.k, value: state.grK });
    showRange($('[data-control="size"]'), { min: 3, max: MAX.size, value: state.grSize });
    $('[data-control="cOut"] input').disabled = state.grMode === "depthwise";
    $('[data-control="k"] input').disabled = state.grMode === "pointwise";
    const groups = $("[data-groups]");
    const legal = commonDivisors(state.grCin, state.grCout);
    if (groups.dataset.legal !== legal.join()) {
      groups.dataset.legal = legal.join();
      groups.innerHTML = legal
        .map((g) => `<button type="button" class="chip" data-group="${g}" aria-pressed="false">${g}</button>`)
        .join("");
    }
    pressChips(groups, "group", (v) => Number(v) === state.grGroups);
    stage.hidden = !result;
    $(".gr-counts").hidden = !result;
    if (!result) return;
    const { meta, arrays } = result;
    if (rebuild || drawnFor !== result) {
      diagram = createDiagram($("[data-diagram]"), result);
      drawnFor = result;
    }
    const o = Math.min(state.grOut, meta.output_shape[0] - 1);
    lit = diagram.draw(o);
    const [cOut, ho, wo] = meta.output_shape;
    const g = meta.groups;
    $("[data-summary]").textContent = summary(meta);
    const reads = meta.reads[o];
    const via = meta.mode === "separable" ? ` through the depthwise maps ${channels(reads)}` : "";
    const plural = reads.length > 1 ? "s" : "";
    const readsText = `reads input channel${plural} ${channels(reads)}${via}`;
    $("[data-reads]").textContent = `Output channel ${o + 1} of ${cOut} ${readsText}.`;
    drawFilters(meta, arrays, o);
    const plane = arrays.output.data.subarray(o * ho * wo, (o + 1) * ho * wo);
    const room = roomWidth($(".gr-focus"), 360); // the focus column (beside the diagram, or under it)
    const cell = fitCell(Math.min(room, 380), 380, wo, ho, 16, maxCell(46)); // room for "−40" in a cell
    const scale = scaleFor(arrays.output.data);
    focusGrid.draw({ rows: ho, cols: wo, cell, value: (r, c) => plane[r * wo + c], scale });
    $("[data-out-title]").textContent = `Output channel ${o + 1}, ${ho} × ${wo}`;
    $('[data-grid="focus"]').setAttribute("aria-label", `Output channel ${o + 1}: ${ho} by ${wo} values`);
    const costs = state.grReal === "this" ? meta.layer : meta.real;
    $("[data-layer]").textContent = layerText(costs);
    $("[data-table]").innerHTML = countsTable(costs, meta.mode);
    $("[data-ratio]").textContent = ratioText(costs);
    $("[data-said]").textContent =
      `${summary(meta)} Output channel ${o + 1} reads input channels ${channels(reads)}. ` +
      `Its weights: ${costs === meta.layer ? "" : "for the layer counted, "}` +
      `${costs.modes[meta.mode].weights.toLocaleString("en-US")}; ordinary: ` +
      `${costs.modes.ordinary.weights.toLocaleString("en-US")}.` +
      (g > 1 && g < meta.c_in ? ` ${g} groups.` : "");
  }

  function summary(meta) {
    const { c_in: ci, c_out: co, k, groups: g } = meta;
    const depth = ci / g;
    return {
      ordinary: `Ordinary ${k}×${k}: each of the ${co} filters is ${k}×${k}×${ci} and reads all ${ci} channels.`,
      grouped:
        `Grouped ${k}×${k} in ${g} groups: each filter is ${k}×${k}×${depth} and reads only its group's ` +
        `${depth} of the ${ci} channels.`,
      depthwise: `Depthwise ${k}×${k}: one ${k}×${k} filter per channel; output c reads input c alone.`,
      pointwise: `Pointwise 1×1: at every pixel, each of the ${co} outputs weighs the ${ci} channels there.`,
      separable: `Separable: a depthwise ${k}×${k} on each of the ${ci} channels, then a 1×1 mixing them into ${co}.`,
    }[meta.mode];
  }

  async function update(next) {
    state = next;
    await run(next);
    render();
  }

  return widgetFace(element, {
    update,
    stops: [unbindKeys, stopWatching],
    /** The state drawn and the engine's answer, for tests and lessons (counts by mode: weights, madds). */
    inspect: () => {
      if (!result) return { state, meta: null };
      const { meta, arrays } = result;
      const pick = (c) =>
        Object.fromEntries(
          Object.entries(c.modes).map(([m, v]) => [m, { weights: v.weights, madds: v.madds, fewer: v.fewer }]),
        );
      const o = Math.min(state.grOut, meta.output_shape[0] - 1);
      return {
        state,
        meta,
        focus: o,
        reads: meta.reads[o].map((i) => i + 1), // channels numbered from 1, as on screen
        lit: lit && Object.fromEntries(Object.entries(lit).map(([k, v]) => [k, [...v].sort((a, b) => a - b)])),
        counts: { layer: pick(meta.layer), real: pick(meta.real), ratio: meta.layer.ratio },
        // The numbers drawn in the focused output's map, row by row, as the grid wrote them.
        focusLabels: Array.from({ length: focusGrid.layout.rows }, (_, r) =>
          Array.from({ length: focusGrid.layout.cols }, (_, c) => focusGrid.label(r, c)),
        ),
        output: { shape: meta.output_shape, values: Array.from(arrays.output.data) },
      };
    },
  });
}
