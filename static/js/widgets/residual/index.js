// Residual-block widget: the block y = ReLU(F(x) + shortcut(x)), F = conv → ReLU → conv, drawn as a
// diagram with every map under its node; a backward view with ∂L/∂y, what the sum hands to both
// paths, the part of ∂L/∂x along the skip, the part through F, and their sum; and a depth chart of
// the gradient's size at every layer of a plain and a residual chain (log scale). Hovering or
// focusing a cell of any map shows its value and marks the same cell in the related maps.
// Every number is the engine's (residual.run); the widget draws.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   rsView [rsv] "forward" | "backward"         rsShortcut [rssc] "identity" | "projection"
//   rsStride [rss] 1–2 (2 needs the projection)  rsChannels [rsc] C_in 1–4 (a projection doubles it, at most 4)
//   rsSize [rsn] 2–8, the input's side            rsExample [rse] "integers" | "normal"   rsSeed [rsd]
//   rsUpstream [rsu] "ones" | "seeded" | "centre" (∂L/∂y)   rsCh [rsch] the channel drawn, from 0
//   rsDepth [rsl] 1–50   rsScale [rsw] 0–2   rsAct [rsa] "relu" | "tanh" | "identity"
//   rsChains [rsk] "plain" | "residual" | "both"

import { alertHtml } from "../../lib/alerts.js";
import { askShown, askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { fmt } from "../../lib/format.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { onThemeChange, palette } from "../../lib/palette.js";
import { onWidthChange, presenterScale, roomWidth } from "../../lib/room.js";
import { field, names } from "../../lib/schema.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { drawChart, normText } from "./chart.js";
import { drawDiagram } from "./diagram.js";
import { createMaps, MAPS } from "./maps.js";

const LIMITS = { channels: 4, size: 8, depth: 50, scale: 2 }; // residual.run's caps (its schema)
// The choices residual.run offers (its schema): the upstream gradients (labelled as the server labels
// them), the chains' activations, which chains to draw.
const choicesOf = (context, name) => names(field(context.schemas, "residual.run", name));

/** The widget's URL fields (state.js table). */
export function fields(context) {
  return [
    { key: "rsView", url: "rsv", type: "enum", options: ["forward", "backward"], def: "forward" },
    { key: "rsShortcut", url: "rssc", type: "enum", options: ["identity", "projection"], def: "identity" },
    { key: "rsStride", url: "rss", type: "int", min: 1, max: 2, def: 1 },
    { key: "rsChannels", url: "rsc", type: "int", min: 1, max: LIMITS.channels, def: 1 },
    { key: "rsSize", url: "rsn", type: "int", min: 2, max: LIMITS.size, def: 5 },
    { key: "rsExample", url: "rse", type: "enum", options: ["integers", "normal"], def: "integers" },
    { key: "rsSeed", url: "rsd", type: "int", min: 0, max: 2 ** 31 - 1, def: 3 },
    { key: "rsUpstream", url: "rsu", type: "enum", options: choicesOf(context, "upstream"), def: "ones" },
    { key: "rsCh", url: "rsch", type: "int", min: 0, max: LIMITS.channels - 1, def: 0 },
    { key: "rsDepth", url: "rsl", type: "int", min: 1, max: LIMITS.depth, def: 20 },
    { key: "rsScale", url: "rsw", type: "num", min: 0, max: LIMITS.scale, def: 0.5 },
    { key: "rsAct", url: "rsa", type: "enum", options: choicesOf(context, "activation"), def: "relu" },
    { key: "rsChains", url: "rsk", type: "enum", options: choicesOf(context, "chains"), def: "both" },
  ];
}

/** The identity adds x itself, so it keeps the shape: stride 1. The channel drawn exists. */
export function consistent(state) {
  const s = { ...state };
  if (s.rsShortcut === "identity") s.rsStride = 1;
  s.rsCh = Math.min(s.rsCh, outChannels(s) - 1);
  return s;
}

/** A projection doubles the channels (as a ResNet stage does), up to residual.run's 4. */
const outChannels = (s) => (s.rsShortcut === "projection" ? Math.min(LIMITS.channels, 2 * s.rsChannels) : s.rsChannels);

const CHAIN_LABELS = { plain: "plain", residual: "residual" };
const PROJECT = { rsShortcut: "projection" };

function slider(uid, key, label, step = 1) {
  return rangeSlider({
    id: `${uid}-${key}`,
    control: key,
    label,
    input: `data-key="${key}" step="${step}"`,
    output: `id="${uid}-val-${key}"`,
  });
}

const SLIDERS = { channels: "rsChannels", size: "rsSize", depth: "rsDepth", scale: "rsScale" };

export function mount(element, { socket, onChange, ...context }) {
  const uid = idScope("residual")("residual");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Residual block</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("rs-view", { forward: "Forward: the maps", backward: "Backward: the gradients" }, { label: "View" })}
        ${chips("rs-shortcut", { identity: "Identity shortcut", projection: "1×1 projection" }, { label: "Shortcut" })}
        ${chips("rs-stride", { 1: "Stride 1", 2: "Stride 2" }, { label: "Stride" })}
        ${slider(uid, "channels", "Channels C<sub>in</sub>")}${slider(uid, "size", "Input side")}
        ${chips("rs-example", { integers: "Small integers", normal: "Normal values" }, { label: "Example" })}
        <button type="button" class="chip rs-another">Another example</button>
        ${chips("rs-upstream", context.labels.residual_upstreams, { label: "Upstream ∂L/∂y" })}
        ${alertHtml("general")}
      </div>
      <div class="widget-main rs-main">
        <svg class="rs-diagram" viewBox="0 0 720 132" role="img" aria-labelledby="${uid}-diagram-title">
          <title id="${uid}-diagram-title"></title></svg>
        <div class="chips rs-channels" role="group" aria-label="Channel shown"></div>
        <div class="rs-maps"></div>
        <p class="rs-readout" aria-live="polite"></p>
        <p class="rs-sum-line"></p>
        <section class="rs-depth" aria-labelledby="${uid}-depth-title">
          <h3 id="${uid}-depth-title" class="rs-depth-title">Depth: ‖∂L/∂x<sub>l</sub>‖ at each layer, ` +
    `the upstream ‖∂L/∂x<sub>L</sub>‖ = 1</h3>
          <p class="hint rs-depth-hint">Each layer is w ⋆ act(x) with 3 × 3 weights of the chosen scale, ` +
    `stacked plain
            (x<sub>l+1</sub> = f(x<sub>l</sub>)) or residual (x<sub>l+1</sub> = x<sub>l</sub> + f(x<sub>l</sub>)).</p>
          <div class="rs-depth-controls">
            ${slider(uid, "depth", "Depth L")}${slider(uid, "scale", "Weight scale", 0.05)}
            ${chips("rs-act", context.labels.residual_activations, { label: "Activation" })}
            ${chips("rs-chains", context.labels.residual_chains, { label: "Chains" })}
          </div>
          <ul class="rs-legend"></ul>
          <canvas class="rs-chart" tabindex="0" role="img"></canvas>
          <p class="rs-chart-readout" aria-live="polite"></p>
        </section>
        <p class="visually-hidden rs-spoken"></p>
      </div>
    </div>`,
  );
  let state = null;
  let result = null; // {meta, arrays}
  let cell = null; // {space: "in" | "out", r, c}: the cell hovered or focused
  let chartLayer = null; // the chart's layer under the pointer or the keys
  let layerAt = () => null;
  const asked = askedOnce();
  const set = (patch) => onChange(patch);
  const maps = createMaps($(".rs-maps"), { onCell: (next) => pick(next) });

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    const d = b.dataset;
    if (d.rsView) set({ rsView: d.rsView });
    else if (d.rsShortcut) set({ rsShortcut: d.rsShortcut, ...(d.rsShortcut === "identity" ? { rsStride: 1 } : {}) });
    else if (d.rsStride) set({ rsStride: Number(d.rsStride), ...(d.rsStride === "2" ? PROJECT : {}) });
    else if (d.rsExample) set({ rsExample: d.rsExample });
    else if (d.rsUpstream) set({ rsUpstream: d.rsUpstream });
    else if (d.rsAct) set({ rsAct: d.rsAct });
    else if (d.rsChains) set({ rsChains: d.rsChains });
    else if (d.rsChannel) set({ rsCh: Number(d.rsChannel) });
    else if (b.classList.contains("rs-another")) set({ rsSeed: (state.rsSeed + 1) % 2 ** 31 });
  });
  element.addEventListener("input", (e) => {
    const key = SLIDERS[e.target.dataset?.key];
    if (key) set({ [key]: Number(e.target.value) });
  });

  const chart = $(".rs-chart");
  const showLayer = (layer) => {
    if (layer === chartLayer) return;
    chartLayer = layer;
    renderChart();
  };
  chart.addEventListener("pointermove", (e) => showLayer(layerAt(e.clientX)));
  chart.addEventListener("pointerleave", (e) => e.pointerType !== "touch" && showLayer(null));
  chart.addEventListener("keydown", (e) => {
    const move = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, Home: -Infinity, End: Infinity }[e.key];
    if (move === undefined || !result) return;
    e.preventDefault();
    const depth = result.meta.depth;
    showLayer(Math.max(0, Math.min(depth, (chartLayer ?? 0) + move)));
  });
  chart.addEventListener("blur", () => showLayer(null));

  // A clicker (this widget on stage) walks the marked cell through the maps in reading order; "?" lists the keys.
  const unbindKeys = bindKeys(
    (cmd) => {
      if (!result) return;
      if (cmd === "reset") return pick(null);
      const [, h, w] = result.meta.output_shape;
      const at = cell ? (cell.space === "out" ? cell.r * w + cell.c : -1) : -1;
      const last = h * w - 1;
      const to = { next: Math.min(last, at + 1), prev: at < 0 ? last : Math.max(0, at - 1), first: 0, last }[cmd];
      if (to !== undefined) pick({ space: "out", r: Math.floor(to / w), c: to % w });
    },
    $(".rs-maps"),
    element,
    {
      bindings: [
        { keys: ["←", "↑", "→", "↓"], does: "Move the marked cell on a focused map (its value in every map)" },
        { keys: ["Page Down", "Page Up"], does: "Next cell, previous cell (a clicker)" },
        { keys: ["Esc"], does: "Clear the mark" },
      ],
    },
  );

  function pick(next) {
    cell = next;
    if (result) renderMaps();
  }

  function params(s) {
    return {
      example: s.rsExample,
      seed: s.rsSeed,
      channels: s.rsChannels,
      out_channels: outChannels(s),
      height: s.rsSize,
      width: s.rsSize,
      shortcut: s.rsShortcut,
      stride: s.rsStride,
      upstream: s.rsUpstream,
      depth: s.rsDepth,
      scale: s.rsScale,
      activation: s.rsAct,
      chains: s.rsChains,
    };
  }

  async function run(s) {
    const p = params(s);
    const ask = { socket, alerts, element, type: "residual.run", params: p, region: "residual" };
    const shown = await askShown(asked, ask);
    if (shown !== undefined) result = shown;
  }

  function renderControls() {
    pressChips(element, "rs-view", (v) => v === state.rsView);
    pressChips(element, "rs-shortcut", (v) => v === state.rsShortcut);
    pressChips(element, "rs-stride", (v) => Number(v) === state.rsStride);
    pressChips(element, "rs-example", (v) => v === state.rsExample);
    pressChips(element, "rs-upstream", (v) => v === state.rsUpstream);
    pressChips(element, "rs-act", (v) => v === state.rsAct);
    pressChips(element, "rs-chains", (v) => v === state.rsChains);
    showRange($('[data-control="channels"]'), { min: 1, max: LIMITS.channels, value: state.rsChannels });
    showRange($('[data-control="size"]'), { min: 2, max: LIMITS.size, value: state.rsSize });
    showRange($('[data-control="depth"]'), { min: 1, max: LIMITS.depth, value: state.rsDepth });
    const scale = { min: 0, max: LIMITS.scale, value: state.rsScale, text: fmt(state.rsScale) };
    showRange($('[data-control="scale"]'), scale);
    const count = result ? Math.max(result.meta.input_shape[0], result.meta.output_shape[0]) : 1;
    const box = $(".rs-channels");
    box.hidden = count < 2;
    box.innerHTML = Array.from(
      { length: count },
      (_, i) =>
        `<button type="button" class="chip" data-rs-channel="${i}" aria-pressed="${i === state.rsCh}">` +
        `Channel ${i + 1}</button>`,
    ).join("");
  }

  function renderDiagram() {
    const narrow = roomWidth($(".rs-main"), 640) < 520;
    drawDiagram($(".rs-diagram"), { meta: result.meta, back: state.rsView === "backward", uid, narrow });
  }

  function renderMaps() {
    const { meta, arrays } = result;
    const names = MAPS[state.rsView];
    maps.draw({
      names,
      arrays,
      meta,
      channel: state.rsCh,
      width: roomWidth($(".rs-maps"), 640),
      cell,
    });
    const view = state.rsView;
    $(".rs-readout").textContent = cell
      ? maps.readout(names, arrays, meta, state.rsCh, cell)
      : view === "forward"
        ? "Hover or focus a cell of any map (then use the arrow keys): its value, and the same cell in the other maps."
        : "Hover or focus a cell: ∂L/∂x there is the part along the skip plus the part through F.";
    const g = meta.grad_norms;
    $(".rs-sum-line").textContent =
      view === "backward"
        ? `‖∂L/∂x‖: along the skip ${fmt(g.skip)}, through F ${fmt(g.residual)}, together ${fmt(g.total)}` +
          (meta.shortcut === "identity"
            ? " (the skip hands on ∂L/∂(sum) unchanged)."
            : " (the skip's part goes back through the 1×1 projection).")
        : `x is ${meta.input_shape.join(" × ")} (C × H × W); y is ${meta.output_shape.join(" × ")}; ` +
          `'same' padding ${meta.padding}.`;
  }

  function chainLines() {
    const p = palette();
    const colours = { plain: p.testEdge, residual: p.train };
    return result.meta.chains.map((name) => ({
      name,
      label: CHAIN_LABELS[name],
      log10: result.arrays[`${name}_log10`].data,
      colour: colours[name],
      dash: name === "plain" ? [9, 6] : [],
    }));
  }

  function renderChart() {
    if (!result) return;
    const lines = chainLines();
    const width = Math.min(720 * presenterScale(), roomWidth($(".rs-depth"), 640));
    layerAt = drawChart(chart, { width, lines, mark: chartLayer });
    const depth = result.meta.depth;
    const at = chartLayer ?? 0;
    const where = at === 0 ? "layer 1's input, x₀" : at === depth ? `the output, x${sub(depth)}` : `x${sub(at)}`;
    const values = lines.map((l) => `${l.label} ${normText(l.log10[at])}`).join(", ");
    $(".rs-chart-readout").textContent = `‖∂L/∂x‖ at ${where}: ${values}.`;
    $(".rs-legend").innerHTML = lines
      .map(
        (l) =>
          `<li><span class="rs-swatch${l.dash.length ? " rs-dashed" : ""}" style="--swatch:${l.colour}"></span>` +
          `${l.label}: ${normText(l.log10[0])} at the input</li>`,
      )
      .join("");
    chart.setAttribute(
      "aria-label",
      `Gradient size at each of ${depth + 1} layers, log scale. ${lines
        .map((l) => `${l.label}: ${normText(l.log10[0])} at the input, 1 at the output`)
        .join("; ")}. Arrow keys read one layer.`,
    );
  }

  function renderSpoken() {
    const { meta, arrays } = result;
    const g = meta.grad_norms;
    // log10 of ‖∂L/∂x₀‖ per chain: the engine's, as the chart draws it.
    const chains = meta.chains.map((c) => `${c} chain ${normText(arrays[`${c}_log10`].data[0])}`).join(", ");
    $(".rs-spoken").textContent =
      `Block from ${meta.input_shape.join(" by ")} to ${meta.output_shape.join(" by ")}, ` +
      `${meta.shortcut} shortcut. ` +
      `Gradient size at x: along the skip ${fmt(g.skip)}, through F ${fmt(g.residual)}, total ${fmt(g.total)}. ` +
      `Depth ${meta.depth}: gradient size at the input, ${chains}.`;
  }

  function render() {
    renderControls();
    $(".rs-main").hidden = !result;
    if (!result) return;
    renderDiagram();
    renderMaps();
    renderChart();
    renderSpoken();
  }

  async function update(next) {
    state = next;
    await run(next);
    render();
  }

  return widgetFace(element, {
    update,
    stops: [onWidthChange(element, () => result && render()), onThemeChange(() => result && renderChart()), unbindKeys],
    /** The state drawn and the engine's answer, for tests and lessons. */
    inspect: () => {
      if (!result) return { state, meta: null };
      const { meta, arrays } = result;
      const plain = (t) => ({ shape: t.shape, values: Array.from(t.data) });
      const shown = Object.fromEntries(Object.keys(arrays).map((k) => [k, plain(arrays[k])]));
      return {
        state,
        meta,
        arrays: shown,
        first: meta.first,
        depth: Object.fromEntries(meta.chains.map((c) => [c, Array.from(arrays[`${c}_norms`].data)])),
        cell,
        readout: $(".rs-readout").textContent,
        labels: maps.labels(),
      };
    },
  });
}

const sub = (n) => String(n).replace(/[0-9]/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);
