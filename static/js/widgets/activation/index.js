// Activation widget: pick a function (and its parameter where it has one), see a feature
// map before and after (activation.run) and the function's curve from the engine's own
// curve_x/curve_y. Hovering a cell marks its (input, output) pair on the curve; both
// numbers are read from the arrays, never evaluated here.
// Face: mount(element, {socket, choices, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { onThemeChange, palette } from "../../lib/palette.js";
import { loadPicture } from "../../lib/pictures.js";
import { maxCell, onWidthChange, roomHeight, roomWidth } from "../../lib/room.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

export const ACT_INPUTS = ["random", "x", "seed001"];

/** The widget's URL fields (state.js table); the engine checks each function's exact parameter range. */
export function fields({ choices }) {
  return [
    { key: "actName", url: "a", type: "enum", options: choices.map((c) => c.name), def: "relu" },
    { key: "actParam", url: "ap", type: "num", min: 0, max: 10, def: null },
    { key: "actInput", url: "ain", type: "enum", options: ACT_INPUTS, def: "random" },
    { key: "actSeed", url: "aseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
  ];
}

/** A parameter only for the functions that have one. */
export function consistent(state, { choices }) {
  const s = { ...state };
  if (!choices.find((c) => c.name === s.actName)?.param) s.actParam = null;
  return s;
}

const RANDOM_SPREAD = 3; // random inputs from −3 to 3: across the bend of every curve
const CURVE = { min: -4, max: 4 };
const FONT = "600 16px system-ui, sans-serif";
const INPUT_LABELS = { random: "Random −3…3", x: "X (±1)", seed001: "Seed 001 detector" };

const CURVE_W = 330; // px: the curve's canvas, narrower only on a phone

export function mount(element, { socket, choices, labels, onChange }) {
  const LABELS = labels.activations; // the server's words for its functions
  // Element ids are unique per mount ("act", then "act-2", ...), so a lesson can hold two of these widgets.
  const uid = idScope("act")("act");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Activation</h2>
    <div class="widget-body">
      <div class="widget-controls">
        <div class="control"><label for="${uid}-name">Function</label>
          <select id="${uid}-name" data-act="name">${choices
            .map((c) => `<option ` + `value="${c.name}">${LABELS[c.name] ?? c.name}</option>`)
            .join("")}</select>
          ${alertHtml("name")}</div>
        <div class="control" data-control="param" hidden>
          <div class="control-head"><label for="${uid}-param"></label><output class="control-value" ` +
    `data-act="param-val"></output></div>
          <input type="range" id="${uid}-param" data-act="param">
          <div class="range-ends"><span data-end="min"></span><span data-end="max"></span></div>
          ${alertHtml("param")}</div>
        ${chips("act-input", INPUT_LABELS, { label: "Feature map" })}
        <p class="act-detector hint" hidden>Seed 001's feature detector <b>sigm(0.02·(x ∗ k) − 4)</b>: the map
          before is the layer 0.02·k with bias −4 convolved (true convolution) over seed 001's 3×3 input, so
          x ∗ k = 45, 110, 40, 40 become −3.1, −1.8, −3.2, −3.2; the sigmoid then answers how strongly the feature ` +
    `is there.</p>
        ${alertHtml("input")}
        ${alertHtml("general")}
      </div>
      <div class="widget-main act-stage">
        <figure class="pane"><figcaption><span class="pane-title">Before</span> <span class="hint-inline">hover a ` +
    `cell, or focus it and use the arrows</span></figcaption>
          <canvas class="grid-canvas hoverable" data-grid="before" tabindex="0"
            aria-label="The map before the activation. Arrow keys move the marked cell; its point is marked on the ` +
    `curve."></canvas></figure>
        <figure class="pane"><figcaption><span class="pane-title">After</span> <span class="act-name-label ` +
    `shape"></span></figcaption>
          <canvas class="grid-canvas hoverable" data-grid="after"></canvas></figure>
        <figure class="pane"><figcaption><span class="pane-title">Curve</span> <span class="marker-label shape" ` +
    `aria-live="polite"></span></figcaption>
          <canvas class="curve-canvas" width="330" height="280" role="img" aria-label="The activation ` +
    `curve"></canvas></figure>
      </div>
    </div>`,
  );
  const before = createGrid($('[data-grid="before"]'));
  const after = createGrid($('[data-grid="after"]'));
  const curveCanvas = $(".curve-canvas");
  let state = null;
  let input = null; // {height, width, values}
  let result = null; // {meta, output, x, y}
  let marker = null; // {r, c, x, y}
  let inputKey = "";
  const asked = askedOnce(); // the run parameters last sent
  const choice = (name) => choices.find((c) => c.name === name);

  $('[data-act="name"]').addEventListener("change", (e) => onChange({ actName: e.target.value, actParam: null }));
  $('[data-act="param"]').addEventListener("input", (e) => onChange({ actParam: Number(e.target.value) }));
  element.addEventListener("click", (e) => {
    const b = e.target.closest("[data-act-input]");
    if (!b) return;
    const again = b.dataset.actInput === "random" && state.actInput === "random";
    // The seed's detector is a sigmoid.
    const detector = b.dataset.actInput === "seed001" ? { actName: "sigmoid", actParam: null } : {};
    onChange({ actInput: b.dataset.actInput, ...(again ? { actSeed: state.actSeed + 1 } : {}), ...detector });
  });
  for (const [grid, canvas] of [
    [before, $('[data-grid="before"]')],
    [after, $('[data-grid="after"]')],
  ]) {
    // A mouse hovers; a finger taps, and its mark stays after the finger lifts.
    canvas.addEventListener("pointermove", (e) => hover(grid.cellAt(e)));
    canvas.addEventListener("pointerdown", (e) => hover(grid.cellAt(e)));
    canvas.addEventListener("pointerleave", (e) => e.pointerType !== "touch" && hover(null));
  }

  // Arrow keys move the marker over the map before, so the curve can be read without a mouse.
  $('[data-grid="before"]').addEventListener("keydown", (e) => {
    const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    if (!move || !input) return;
    e.preventDefault(); // the key is ours: no scrolling, and no other widget steps on it
    const r = marker ? Math.min(input.height - 1, Math.max(0, marker.r + move[0])) : 0;
    const c = marker ? Math.min(input.width - 1, Math.max(0, marker.c + move[1])) : 0;
    hover({ r, c });
  });
  $('[data-grid="before"]').addEventListener("blur", () => hover(null));
  // A clicker (this widget on stage, keyboard.js) walks the marker cell by cell in reading order;
  // "?" lists the keys.
  const unbindKeys = bindKeys(
    (cmd) => {
      if (!input || !result) return;
      if (cmd === "reset") return hover(null);
      const n = input.height * input.width;
      const at = marker ? marker.r * input.width + marker.c : -1;
      const to = { next: Math.min(n - 1, at + 1), prev: at < 0 ? n - 1 : Math.max(0, at - 1), first: 0, last: n - 1 }[
        cmd
      ];
      if (to === undefined) return;
      hover({ r: Math.floor(to / input.width), c: to % input.width });
    },
    $('[data-grid="before"]'),
    element,
    {
      bindings: [
        { keys: ["←", "↑", "→", "↓"], does: "Move the marked cell on the map (its value on the curve)" },
        { keys: ["Page Down", "Page Up"], does: "Next cell, previous cell (a clicker)" },
        { keys: ["Home", "End"], does: "First cell, last cell" },
        { keys: ["Esc"], does: "Clear the mark" },
      ],
    },
  );

  function hover(cell) {
    if (!result || (cell && marker && cell.r === marker.r && cell.c === marker.c)) return;
    const i = cell ? cell.r * input.width + cell.c : -1;
    marker = cell ? { ...cell, x: input.values[i], y: result.output[i] } : null;
    render();
  }

  /** Seed 001's pre-activation 0.02·(x ∗ k) − 4, computed by the engine as one convolution layer. */
  async function loadDetector() {
    const x = await socket.request("input.preset", { name: "seed001" });
    const k = await socket.request("kernel.preset", { name: "seed001_detector" });
    const [, h, w] = x.arrays.values.shape;
    const conv = await socket.request("conv.run", {
      input: { channels: 1, height: h, width: w, values: Array.from(x.arrays.values.data) },
      kernels: { filters: 1, height: 2, width: 2, values: Array.from(k.arrays.values.data) },
      bias: Array.from(k.arrays.bias.data),
      flip: true,
    });
    const [, oh, ow] = conv.arrays.output.shape;
    return { height: oh, width: ow, values: Float32Array.from(conv.arrays.output.data) };
  }

  async function load() {
    const s = state;
    if (s.actInput !== "seed001") {
      // Random values spread over the curve's bend, one decimal: short numbers read from the back row.
      const random = s.actInput === "random" ? { seed: s.actSeed, spread: RANDOM_SPREAD, decimals: 1 } : {};
      const picture = await loadPicture(socket, { name: s.actInput, height: 6, width: 6, ...random }, alerts);
      if (picture) input = picture;
      return Boolean(picture);
    }
    try {
      input = await loadDetector();
      alerts.clear("input");
      return true;
    } catch (e) {
      if (!e.quiet) alerts.show(e.field, e.message, "input", "input");
      return false;
    }
  }

  async function run() {
    const s = state;
    const params = {
      input: { channels: 1, height: input.height, width: input.width, values: Array.from(input.values) },
      name: s.actName,
      curve_min: CURVE.min,
      curve_max: CURVE.max,
    };
    if (choice(s.actName)?.param && s.actParam != null) params.param = s.actParam;
    const { answer: a, error: e, quiet } = await asked.ask(params, (p) => socket.request("activation.run", p));
    if (quiet) return;
    if (a) {
      alerts.clear("act");
      result = { meta: a.meta, output: a.arrays.output.data, x: a.arrays.curve_x.data, y: a.arrays.curve_y.data };
      if (marker)
        marker = {
          ...marker,
          x: input.values[marker.r * input.width + marker.c],
          y: result.output[marker.r * input.width + marker.c],
        };
      element.dataset.ready = "true";
    }
    if (e) alerts.show(e.field, e.message, "act", ["param", "name"].includes(e.field) ? e.field : "general");
    render();
  }

  function renderControls() {
    $('[data-act="name"]').value = state.actName;
    const spec = choice(state.actName)?.param;
    const box = $('[data-control="param"]');
    box.hidden = !spec;
    pressChips(element, "act-input", (name) => name === state.actInput);
    $(".act-detector").hidden = state.actInput !== "seed001";
    if (!spec) return;
    const used = result?.meta.param ?? spec.default;
    const slider = $('[data-act="param"]');
    Object.assign(slider, { min: spec.min, max: spec.max, step: spec.step });
    slider.value = state.actParam ?? used;
    box.querySelector("label").textContent = spec.label[0].toUpperCase() + spec.label.slice(1);
    $('[data-act="param-val"]').textContent = fmt(state.actParam ?? used);
    box.querySelector('[data-end="min"]').textContent = spec.min;
    box.querySelector('[data-end="max"]').textContent = spec.max;
  }

  function render() {
    renderControls();
    if (!input || !result) return;
    const { height: h, width: w, values } = input;
    const scale = scaleFor([values, result.output], "diverging"); // one scale: colours compare across before and after
    // 48px: a signed "−1.4" still reads at 16px; tiny maps and a projector's wide row grow them.
    const box = gridBox();
    const cell = fitCell(box, Math.min(box, roomHeight(300)), w, h, 6, maxCell(w * h <= 9 ? 96 : 64));
    const hl = marker ? [{ r: marker.r, c: marker.c, h: 1, w: 1 }] : [];
    before.draw({ rows: h, cols: w, cell, value: (r, c) => values[r * w + c], scale, highlights: hl });
    after.draw({ rows: h, cols: w, cell, value: (r, c) => result.output[r * w + c], scale, highlights: hl });
    $(".act-name-label").textContent =
      LABELS[result.meta.name] +
      (result.meta.param != null ? ` (${choice(result.meta.name).param.label} ${fmt(result.meta.param)})` : "");
    $(".marker-label").textContent = marker ? `x = ${fmt(marker.x)} → y = ${fmt(marker.y)}` : "";
    drawCurve();
  }

  // Before, after and the curve on one row when they fit; else the curve wraps under the two
  // maps; on a phone each map takes the whole width.
  function gridBox() {
    const room = roomWidth($(".act-stage"), 700) - 8;
    const gap = 20;
    if (room >= 2 * 260 + CURVE_W + 2 * gap) return (room - CURVE_W - 2 * gap) / 2;
    if (room >= 2 * 200 + gap) return (room - gap) / 2;
    return room;
  }

  function drawCurve() {
    const ctx = curveCanvas.getContext("2d");
    const dpr = window.devicePixelRatio || 1;
    const W = Math.min(CURVE_W, roomWidth($(".act-stage"), CURVE_W) - 8);
    const H = Math.round((W * 280) / 330);
    curveCanvas.width = W * dpr;
    curveCanvas.height = H * dpr;
    curveCanvas.style.width = `${W}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const { x, y } = result;
    let [lo, hi] = [Math.min(0, ...y), Math.max(1, ...y)];
    const padY = (hi - lo) * 0.08;
    [lo, hi] = [lo - padY, hi + padY];
    const m = { l: 44, r: 12, t: 12, b: 30 };
    const px = (v) => m.l + ((v - x[0]) / (x[x.length - 1] - x[0])) * (W - m.l - m.r);
    const py = (v) => H - m.b - ((v - lo) / (hi - lo)) * (H - m.t - m.b);
    const p = palette(); // the theme's ink: the curve is drawn on the page's own background
    curveCanvas.dataset.ground = "page";
    ctx.font = FONT;
    ctx.fillStyle = p.muted;
    ctx.strokeStyle = p.rule;
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    for (let t = Math.ceil(x[0]); t <= x[x.length - 1]; t++) {
      ctx.beginPath();
      ctx.moveTo(px(t), m.t);
      ctx.lineTo(px(t), H - m.b);
      ctx.stroke();
      ctx.fillText(fmt(t), px(t), H - 8);
    }
    ctx.textAlign = "right";
    const stepY = hi - lo > 6 ? 2 : hi - lo > 2.5 ? 1 : 0.5;
    for (let t = Math.ceil(lo / stepY) * stepY; t <= hi; t += stepY) {
      ctx.beginPath();
      ctx.moveTo(m.l, py(t));
      ctx.lineTo(W - m.r, py(t));
      ctx.stroke();
      ctx.fillText(fmt(t), m.l - 6, py(t) + 5);
    }
    ctx.strokeStyle = p.fg;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(px(0), m.t);
    ctx.lineTo(px(0), H - m.b);
    ctx.moveTo(m.l, py(0));
    ctx.lineTo(W - m.r, py(0));
    ctx.stroke();
    ctx.strokeStyle = p.accent;
    ctx.lineWidth = 4;
    ctx.beginPath();
    x.forEach((v, i) => (i ? ctx.lineTo(px(v), py(y[i])) : ctx.moveTo(px(v), py(y[i]))));
    ctx.stroke();
    if (!marker) return;
    const [mx, my] = [px(marker.x), py(marker.y)];
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = p.fg;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(mx, H - m.b);
    ctx.lineTo(mx, my);
    ctx.lineTo(m.l, my);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.beginPath();
    ctx.arc(mx, my, 9, 0, 2 * Math.PI);
    ctx.fillStyle = "#f1a340";
    ctx.fill();
    ctx.lineWidth = 3;
    ctx.strokeStyle = p.fg;
    ctx.stroke();
  }

  async function update(next) {
    state = next;
    const key = JSON.stringify([next.actInput, next.actSeed]);
    if (key !== inputKey) {
      inputKey = key;
      marker = null;
      if (!(await load()) || inputKey !== key) return;
    }
    if (input) await run();
  }

  return widgetFace(element, {
    update,
    stops: [onWidthChange(element, render), onThemeChange(() => result && drawCurve()), unbindKeys],
    inspect: () => ({
      input: input && { height: input.height, width: input.width, values: Array.from(input.values) },
      output: result && Array.from(result.output),
      meta: result?.meta ?? null,
      marker,
      beforeLabel: (r, c) => before.label(r, c),
      afterLabel: (r, c) => after.label(r, c),
    }),
  });
}
