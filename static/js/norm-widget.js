// Normalization widget: local contrast normalization (seed 001) on a picture, step by step
// (input → local mean → v = x − mean → local σ → y = v / max(c, σ)), and batch norm on a small
// seeded batch (per-channel μ and σ², x̂ with mean 0 and variance 1, y = γ x̂ + β). Every number
// and pixel comes from one norm.run answer; hovering (or stepping with the keys) shows a cell's
// own computation, read from the arrays, never evaluated here.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (lessons set them by key):
//   nmMode     "lcn" | "batch"                      which normalization (default "lcn")
//   nmInput    "photo" | "checkerboard" | "x"        LCN picture, from input.preset (photo: the camera, grey)
//   nmSize     8–64                                  LCN picture side (default 64)
//   nmWindow   1–15, odd                             LCN Gaussian window side (default 7, seed 001's 7×7)
//   nmC        0.01–2                                LCN smallest divisor c (default 0.1)
//   nmSeed     0–2³¹−1                               batch-norm example batch (4 examples × 2 channels)
//   nmMap      2–4                                   batch-norm map side (default 2: every number readable at 1280×800)
//   nmGamma1, nmBeta1, nmGamma2, nmBeta2   −3–3     batch-norm scale γ and shift β per channel (1, 0)

import { createAlerts } from "./alerts.js";
import { scaleFor } from "./colors.js";
import { fmt, fmtCell } from "./format.js";
import { createGrid, fitCell } from "./grid.js";
import { bindKeys } from "./keyboard.js";

export const NORM_INPUTS = ["photo", "checkerboard", "x"];
const INPUT_LABELS = { photo: "Photo", checkerboard: "Checkerboard", x: "X" };
const BATCH = { batch: 4, channels: 2 };
const STEP_MS = 700;
// Readout numbers: 3 decimals, 4 below 0.1 (so 0.0088 / 0.1 = 0.088 reads right).
const num = (v) => fmt(v, v !== 0 && Math.abs(v) < 0.1 ? 4 : 3);
const par = (v) => (v < 0 ? `(${num(v)})` : num(v)); // a negative operand after −, × or +
const MATHML = "http://www.w3.org/1998/Math/MathML";
let mounted = 0; // element ids stay unique when a lesson mounts this widget twice

/** The widget's URL fields (state.js table), all prefixed `nm`. */
export function fields() {
  const gb = [1, 2].flatMap((c) => [
    { key: `nmGamma${c}`, url: `nmg${c}`, type: "num", min: -3, max: 3, def: 1 },
    { key: `nmBeta${c}`, url: `nmb${c}`, type: "num", min: -3, max: 3, def: 0 },
  ]);
  return [
    { key: "nmMode", url: "nm", type: "enum", options: ["lcn", "batch"], def: "lcn" },
    { key: "nmInput", url: "nmin", type: "enum", options: NORM_INPUTS, def: "photo" },
    { key: "nmSize", url: "nmn", type: "int", min: 8, max: 64, def: 64 },
    { key: "nmWindow", url: "nmk", type: "int", min: 1, max: 15, def: 7 },
    { key: "nmC", url: "nmc", type: "num", min: 0.01, max: 2, def: 0.1 },
    { key: "nmSeed", url: "nmseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "nmMap", url: "nmm", type: "int", min: 2, max: 4, def: 2 },
    ...gb,
  ];
}

/** The window is odd (centred on its cell): an even one from a link becomes the next odd size. */
export function consistent(state) {
  const s = { ...state };
  if (s.nmWindow % 2 === 0) s.nmWindow = Math.min(15, s.nmWindow + 1);
  return s;
}

function m(tag, ...kids) {
  const node = document.createElementNS(MATHML, tag);
  for (const k of kids) node.append(typeof k === "string" ? document.createTextNode(k) : k);
  return node;
}
const mi = (s) => m("mi", s);
const mo = (s) => m("mo", s);
const mn = (v) => m("mn", typeof v === "number" ? fmt(v, 3) : v);
const sub = (a, b) => m("msub", mi(a), typeof b === "string" ? mi(b) : b);
function block(...rows) {
  const math = m("math", m("mrow", ...rows));
  math.setAttribute("display", "block");
  return math;
}
const sum = (idx) => m("munder", mo("\u2211"), mi(idx));

/** Seed 001's three lines: the subtractive step, the local σ, the divisive step. */
function lcnMath() {
  const x = sub("x", "ijk");
  return [
    block(sub("v", "ijk"), mo("="), x, mo("\u2212"), sum("ipq"), sub("w", "pq"), sub("x", m("mrow", mi("i"), mo(","), mi("j+p"), mo(","), mi("k+q")))),
    block(sub("\u03c3", "jk"), mo("="), m("msup", m("mrow", mo("("), sum("ipq"), sub("w", "pq"), m("msubsup", mi("v"), mi("i,j+p,k+q"), mn("2")), mo(")")), m("mn", "\u00bd"))),
    block(sub("y", "ijk"), mo("="), sub("v", "ijk"), mo("/"), mi("max"), mo("("), mi("c"), mo(","), sub("\u03c3", "jk"), mo(")")),
  ];
}

/** The seed's batch-norm lines with the batch's m. */
function bnMath(count) {
  const xi = () => sub("x", "i");
  const mu = () => sub("\u03bc", "\u212c");
  const var2 = () => m("msubsup", mi("\u03c3"), mi("\u212c"), mn("2"));
  const xhat = () => m("msub", m("mover", mi("x"), mo("^")), mi("i"));
  const avg = () => [m("mfrac", mn("1"), mn(String(count))), m("munderover", mo("\u2211"), m("mrow", mi("i"), mo("="), mn("1")), mn(String(count)))];
  return [
    block(mu(), mo("="), ...avg(), xi()),
    block(var2(), mo("="), ...avg(), m("msup", m("mrow", mo("("), xi(), mo("\u2212"), mu(), mo(")")), mn("2"))),
    block(xhat(), mo("="), m("mfrac", m("mrow", xi(), mo("\u2212"), mu()), m("msqrt", var2(), mo("+"), mi("\u03b5")))),
    block(sub("y", "i"), mo("="), mi("\u03b3"), xhat(), mo("+"), mi("\u03b2")),
  ];
}

function slider(uid, key, label, attrs) {
  return `<div class="control" data-control="${key}">
      <div class="control-head"><label for="${uid}-${key}">${label}</label><output class="control-value" data-value="${key}"></output></div>
      <input type="range" id="${uid}-${key}" data-key="${key}" ${attrs}>
      <div class="range-ends"><span>${attrs.match(/min="([^"]+)"/)[1].replace("-", "\u2212")}</span><span>${attrs.match(/max="([^"]+)"/)[1]}</span></div>
      <p class="alert" data-alert="${key}" role="status" aria-live="polite"></p>
    </div>`;
}

const LCN_PANES = [
  ["input", "Input x"], ["mean", "Local mean"], ["centered", "v = x − mean"], ["sigma", "Local σ"], ["output", "Output y = v / max(c, σ)"],
];

export function mount(element, { socket, onChange }) {
  const uid = `nm${++mounted}`;
  element.innerHTML = `
    <h2 class="widget-title">Normalization</h2>
    <div class="widget-body">
      <div class="widget-controls">
        <div class="chips" role="group" aria-label="Normalization">
          <button type="button" class="chip" data-mode="lcn" aria-pressed="false">Local contrast</button>
          <button type="button" class="chip" data-mode="batch" aria-pressed="false">Batch norm</button>
        </div>
        <div class="nm-lcn-controls">
          <div class="chips" role="group" aria-label="Picture">
            ${NORM_INPUTS.map((p) => `<button type="button" class="chip" data-input="${p}" aria-pressed="false">${INPUT_LABELS[p]}</button>`).join("")}
          </div>
          ${slider(uid, "size", "Picture side", 'min="8" max="64" step="4"')}
          ${slider(uid, "window", "Window (Gaussian)", 'min="1" max="15" step="2"')}
          ${slider(uid, "c", "Smallest divisor c", 'min="0.01" max="2" step="0.01"')}
        </div>
        <div class="nm-bn-controls">
          <button type="button" class="chip" data-action="new-batch">New batch</button> <span class="nm-seed"></span>
          ${slider(uid, "map", "Map side", 'min="2" max="4" step="1"')}
          <p class="hint">γ and β sit under each channel's output maps.</p>
          <div class="nm-bn-readout" aria-live="polite"></div>
        </div>
        <p class="alert" data-alert="input" role="status" aria-live="polite"></p>
      </div>
      <div class="widget-main">
        <div class="formula nm-formula"><div class="nm-math"></div><p class="nm-note" aria-live="polite"></p></div>
        <p class="alert general" data-alert="general" role="status" aria-live="polite"></p>
        <div class="nm-stage" tabindex="0" aria-label="Normalization steps. Arrow keys and Page Up or Page Down move the inspected cell; space walks through the cells; Escape clears it."></div>
      </div>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const alerts = createAlerts(element);
  const stage = $(".nm-stage");
  let state = null;
  let picture = null; // LCN: {key, height, width, values}
  let result = null; // the norm.run answer drawn
  let probe = -1; // flat index of the inspected cell (LCN: r·W + c; batch: the (N, C, H, W) offset)
  let playTimer = 0;
  let grids = {}; // pane name -> grid
  let runKey = "";
  let loadKey = "";

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.mode) onChange({ nmMode: b.dataset.mode });
    else if (b.dataset.input) onChange({ nmInput: b.dataset.input });
    else if (b.dataset.action === "new-batch") onChange({ nmSeed: state.nmSeed + 1 });
  });
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (!key) return;
    const field = { size: "nmSize", window: "nmWindow", c: "nmC", map: "nmMap", gamma1: "nmGamma1", beta1: "nmBeta1", gamma2: "nmGamma2", beta2: "nmBeta2" }[key];
    onChange({ [field]: Number(e.target.value) });
  });
  const unbindKeys = bindKeys(command, stage, element);
  // Cell sizes follow the room: a window moved to the projector lays out again.
  let resizeFrame = 0;
  const onResize = () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(render);
  };
  addEventListener("resize", onResize);
  // Up and down move a whole row on the LCN maps (left and right, Page Up and Page Down step one cell).
  stage.addEventListener("keydown", (e) => {
    if (!result || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
    e.preventDefault();
    const width = result.arrays.input.shape[3];
    stop();
    moveTo(probe < 0 ? 0 : probe + (e.key === "ArrowDown" ? width : -width));
  });

  function cells() {
    return result ? result.arrays.input.size / (result.meta.mode === "lcn" ? result.arrays.input.shape[1] : 1) : 0;
  }
  function moveTo(i) {
    const n = cells();
    if (!n) return;
    probe = Math.max(-1, Math.min(n - 1, i));
    render();
  }
  function command(cmd) {
    if (!cells()) return;
    if (cmd === "toggle") return playTimer ? stop() : play();
    stop();
    if (cmd === "next") moveTo(probe + 1);
    else if (cmd === "prev") moveTo(probe - 1);
    else if (cmd === "first") moveTo(0);
    else if (cmd === "last") moveTo(cells() - 1);
    else if (cmd === "reset") moveTo(-1);
  }
  function play() {
    playTimer = setInterval(() => (probe >= cells() - 1 ? stop() : moveTo(probe + 1)), STEP_MS);
  }
  function stop() {
    clearInterval(playTimer);
    playTimer = 0;
  }

  async function loadPicture() {
    const s = state;
    const key = JSON.stringify([s.nmInput, s.nmSize]);
    if (picture?.key === key) return true;
    loadKey = key;
    try {
      const p = { name: s.nmInput, height: s.nmSize, width: s.nmSize, ...(s.nmInput === "checkerboard" ? { cells: 4 } : {}) };
      const a = await socket.request("input.preset", p);
      if (loadKey !== key) return false;
      alerts.clear("input");
      picture = { key, height: a.meta.height, width: a.meta.width, values: Array.from(a.arrays.values.data) };
      return true;
    } catch (e) {
      if (!e.quiet) alerts.show(e.field, e.message, "input", "input");
      return false;
    }
  }

  function params() {
    const s = state;
    if (s.nmMode === "lcn") {
      return { mode: "lcn", input: { batch: 1, channels: 1, height: picture.height, width: picture.width, values: picture.values }, size: s.nmWindow, c: s.nmC };
    }
    return { mode: "batch", example: { ...BATCH, height: s.nmMap, width: s.nmMap, seed: s.nmSeed }, gamma: [s.nmGamma1, s.nmGamma2], beta: [s.nmBeta1, s.nmBeta2] };
  }

  async function run() {
    const p = params();
    const key = JSON.stringify(p);
    if (key === runKey) return render();
    runKey = key;
    try {
      const a = await socket.request("norm.run", p);
      alerts.clear("norm");
      if (result?.meta.mode !== a.meta.mode || result.arrays.input.size !== a.arrays.input.size) probe = -1;
      result = a;
      element.dataset.ready = "true";
    } catch (e) {
      if (e.quiet) return;
      runKey = "";
      alerts.show(e.field, e.message, "norm", ["size", "c"].includes(e.field) ? (e.field === "size" ? "window" : "c") : e.field?.startsWith("gamma") ? "gamma1" : e.field?.startsWith("beta") ? "beta1" : "general");
    }
    render();
  }

  function renderControls() {
    const s = state;
    element.querySelectorAll("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === s.nmMode)));
    element.querySelectorAll("[data-input]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.input === s.nmInput)));
    $(".nm-lcn-controls").hidden = s.nmMode !== "lcn";
    $(".nm-bn-controls").hidden = s.nmMode !== "batch";
    const values = { size: s.nmSize, window: s.nmWindow, c: s.nmC, map: s.nmMap, gamma1: s.nmGamma1, beta1: s.nmBeta1, gamma2: s.nmGamma2, beta2: s.nmBeta2 };
    for (const [key, v] of Object.entries(values)) {
      const input = element.querySelector(`[data-key="${key}"]`);
      if (!input) continue; // γ and β exist once the batch is drawn
      input.value = v;
      element.querySelector(`[data-value="${key}"]`).textContent = ["size", "window", "map"].includes(key) ? `${v}×${v}` : fmt(v);
    }
    $(".nm-seed").textContent = `seed ${s.nmSeed}`;
  }

  function render() {
    if (!state) return;
    renderControls();
    if (!result || result.meta.mode !== state.nmMode) return;
    if (result.meta.mode === "lcn") renderLcn();
    else renderBatch();
  }

  // ------------------------------------------------------------ local contrast normalization

  function lcnLayout() {
    if (stage.dataset.layout === "lcn") return;
    stage.dataset.layout = "lcn";
    stage.className = "nm-stage nm-lcn";
    stage.innerHTML = LCN_PANES.map(([name, title]) => `<figure class="pane" data-pane="${name}">
        <figcaption><span class="pane-title">${title}</span></figcaption>
        <canvas class="grid-canvas hoverable" data-grid="${name}"></canvas>
        <p class="nm-legend" data-legend="${name}"></p></figure>`).join("") +
      `<div class="pane nm-readout" aria-live="polite"></div>`;
    grids = {};
    for (const [name] of LCN_PANES) {
      const canvas = stage.querySelector(`[data-grid="${name}"]`);
      grids[name] = createGrid(canvas);
      canvas.addEventListener("pointermove", (e) => hoverLcn(grids[name].cellAt(e)));
    }
    $(".nm-math").replaceChildren(...lcnMath());
  }

  function hoverLcn(cell) {
    if (!cell || !result) return;
    stop();
    const i = cell.r * result.arrays.input.shape[3] + cell.c;
    if (i !== probe) moveTo(i);
  }

  function renderLcn() {
    lcnLayout();
    const a = result.arrays;
    const [, , h, w] = a.input.shape;
    const k = result.meta.size;
    const room = stage.clientWidth || 900;
    const paneWidth = Math.floor((room - 2 * 24) / 3);
    const below = stage.getBoundingClientRect().top + window.scrollY;
    const paneHeight = Math.floor((window.innerHeight - below - 2 * 62) / 2); // two rows, each with caption and legend
    const cell = fitCell(paneWidth, Math.max(paneHeight, 3 * h), w, h, 3, 48);
    // Input and local mean share one grey scale: the mean is a blurred copy of the picture.
    const grey = scaleFor([a.input.data, a.mean.data], "grey");
    const scales = { input: grey, mean: grey, centered: scaleFor(a.centered.data, "diverging"), sigma: scaleFor(a.sigma.data, "grey"), output: scaleFor(a.output.data, "diverging") };
    const r0 = probe >= 0 ? Math.floor(probe / w) : -1;
    const c0 = probe >= 0 ? probe % w : -1;
    for (const [name] of LCN_PANES) {
      const data = a[name].data;
      const hl = probe >= 0 ? [{ r: r0, c: c0, h: 1, w: 1 }] : [];
      // On the input the whole window is ringed: the cells the mean and σ weigh.
      if (probe >= 0 && name === "input" && k > 1) hl.unshift({ r: r0 - (k - 1) / 2, c: c0 - (k - 1) / 2, h: k, w: k, kind: "preview" });
      grids[name].draw({ rows: h, cols: w, cell, value: (r, c) => data[r * w + c], scale: scales[name], highlights: hl });
      const range = result.meta.ranges[name];
      stage.querySelector(`[data-legend="${name}"]`).textContent = `from ${fmt(range.min, 3)} to ${fmt(range.max, 3)}`;
    }
    renderLcnReadout(r0, c0, w);
  }

  function renderLcnReadout(r, c, w) {
    const box = $(".nm-readout");
    const meta = result.meta;
    $(".nm-note").innerHTML = `${meta.size}×${meta.size} Gaussian window (σ<sub>w</sub> = ${fmt(meta.sigma)}, Σw = 1), c = ${fmt(meta.c)}:
      <b>${meta.clamped} of ${meta.cells}</b> cells divide by c (a flat neighbourhood, σ &lt; c). x and its local mean share one grey scale; past the border the window sees zeros, hence the frame.`;
    if (r < 0) {
      box.innerHTML = `<p class="hint">Hover a cell, or press → (a clicker's next) to step through the cells, to see its numbers.</p>`;
      return;
    }
    const at = (name) => result.arrays[name].data[r * w + c];
    const [x, mean, v, sd, d, y] = ["input", "mean", "centered", "sigma", "divisor", "output"].map(at);
    const rows = [
      ["x", num(x)],
      ["mean = Σ w·x", num(mean)],
      ["v = x − mean", `${num(x)} − ${par(mean)} = <b>${num(v)}</b>`],
      ["σ = (Σ w·v²)<sup>½</sup>", num(sd)],
      ["max(c, σ)", `max(${num(meta.c)}, ${num(sd)}) = <b>${num(d)}</b>`],
      ["y = v / max(c, σ)", `${num(v)} / ${num(d)} = <b>${num(y)}</b>`],
    ];
    box.innerHTML = `<p class="nm-cell-title">Cell (row ${r + 1}, column ${c + 1})${sd < d ? ": c wins" : ""}</p>
      <table class="nm-steps">${rows.map(([k, t]) => `<tr><th scope="row">${k}</th><td>${t}</td></tr>`).join("")}</table>`;
  }

  // ------------------------------------------------------------ batch norm

  const STAGES = [["input", "Input x"], ["xhat", "Normalized x̂"], ["output", "y = γ x̂ + β"]];

  // Rows are the steps (x, x̂, y), columns the channels, each cell the batch's maps side by side:
  // a channel's statistics are taken across its row of examples. γ and β sit under their channel's y.
  function batchLayout(columns) {
    const [n, ch] = result.arrays.input.shape;
    const layout = `batch-${n}-${ch}-${columns}`;
    if (stage.dataset.layout === layout) return;
    stage.dataset.layout = layout;
    stage.className = "nm-stage nm-batch";
    const heads = Array.from({ length: columns === ch ? ch : 0 }, (_, c) => `<p class="nm-channel">Channel ${c + 1} · examples 1–${n}</p>`).join("");
    let body = heads;
    for (const [name, title] of STAGES) {
      body += `<p class="nm-row-head" style="grid-column: 1 / span ${columns}">${title}</p>`;
      for (let c = 0; c < ch; c++) {
        const maps = Array.from({ length: n }, (_, e) => `<canvas class="grid-canvas hoverable" data-map="${name}-${e}-${c}"
            aria-label="example ${e + 1}, channel ${c + 1}"></canvas>`).join("");
        const own = columns === ch ? "" : `<p class="nm-channel">Channel ${c + 1} · examples 1–${n}</p>`;
        const knobs = name === "output" ? `<div class="nm-knobs">${slider(uid, `gamma${c + 1}`, "γ", 'min="-3" max="3" step="0.1"')}${slider(uid, `beta${c + 1}`, "β", 'min="-3" max="3" step="0.1"')}</div>` : "";
        body += `<div class="nm-cell" data-stage="${name}" data-channel="${c}">${own}<div class="nm-maps">${maps}</div>
          <p class="nm-stats" data-stats="${name}-${c}"></p>${knobs}</div>`;
      }
    }
    stage.innerHTML = `<div class="nm-table" style="--channels: ${columns}">${body}</div>`;
    grids = {};
    stage.querySelectorAll("[data-map]").forEach((canvas) => {
      const [, e, c] = canvas.dataset.map.split("-").map(Number);
      const grid = createGrid(canvas);
      grids[canvas.dataset.map] = grid;
      canvas.addEventListener("pointermove", (ev) => {
        const cell = grid.cellAt(ev);
        if (!cell) return;
        const [, chans, h, w] = result.arrays.input.shape;
        stop();
        const i = ((e * chans + c) * h + cell.r) * w + cell.c;
        if (i !== probe) moveTo(i);
      });
    });
    $(".nm-math").replaceChildren(...bnMath(result.meta.count));
    renderControls();
  }

  const MAP_GAP = 7; // px between the maps of a channel (CSS .nm-maps gap)
  const CHANNEL_GAP = 32; // px between channel columns (CSS .nm-table column-gap)

  function renderBatch() {
    const a = result.arrays;
    const [n, ch, h, w] = a.input.shape;
    const room = (stage.clientWidth || 900) - 8;
    // Signed numbers with one decimal ("−1.4") need 43 px cells at the smallest readable size.
    const fit = (cols) => Math.floor((room - (cols - 1) * CHANNEL_GAP - cols * (n - 1) * MAP_GAP) / (cols * n * w));
    const columns = fit(ch) >= 43 ? ch : 1;
    // Height: three rows of maps, each with its heading and statistics, and the γ/β sliders.
    const top = stage.getBoundingClientRect().top + window.scrollY;
    const byHeight = Math.floor((window.innerHeight - top - 3 * 75 - 30 - 50) / ((columns === ch ? 3 : 3 * ch) * h));
    const cell = Math.max(43, Math.min(64, fit(columns), byHeight));
    batchLayout(columns);
    // x̂ and y share a scale, so γ and β visibly stretch and move the colours.
    const scales = { input: scaleFor(a.input.data, "diverging"), xhat: scaleFor([a.xhat.data, a.output.data], "diverging") };
    scales.output = scales.xhat;
    const sel = probe >= 0 ? { e: Math.floor(probe / (ch * h * w)), c: Math.floor(probe / (h * w)) % ch, r: Math.floor(probe / w) % h, col: probe % w } : null;
    for (const [name] of STAGES) {
      const data = a[name].data;
      for (let e = 0; e < n; e++) {
        for (let c = 0; c < ch; c++) {
          const off = (e * ch + c) * h * w;
          const hl = sel && sel.e === e && sel.c === c ? [{ r: sel.r, c: sel.col, h: 1, w: 1 }] : [];
          grids[`${name}-${e}-${c}`].draw({ rows: h, cols: w, cell, value: (r, q) => data[off + r * w + q], scale: scales[name], highlights: hl, decimals: 1 });
        }
      }
    }
    const st = result.meta.stats;
    for (let c = 0; c < ch; c++) {
      const stat = (name, what) => fmtCell(st[name][what][c]);
      stage.querySelector(`[data-stats="input-${c}"]`).textContent = `μ = ${stat("input", "mean")} · σ² = ${stat("input", "var")}`;
      stage.querySelector(`[data-stats="xhat-${c}"]`).textContent = `mean ${stat("xhat", "mean")} · variance ${stat("xhat", "var")}`;
      stage.querySelector(`[data-stats="output-${c}"]`).textContent = `mean ${stat("output", "mean")} · variance ${stat("output", "var")}`;
    }
    renderBatchReadout(sel);
  }

  function renderBatchReadout(sel) {
    const box = $(".nm-bn-readout");
    const a = result.arrays;
    const meta = result.meta;
    $(".nm-note").textContent = `A channel's μ and σ² are taken over all ${meta.shape[0]} examples and every cell: m = ${meta.count} values; ε = ${fmt(meta.eps)}.`;
    if (!sel) {
      box.innerHTML = `<p class="hint">Hover a cell, or press → to step through the batch, to see its numbers.</p>`;
      return;
    }
    const c = sel.c;
    const [x, xh, y] = [a.input.data[probe], a.xhat.data[probe], a.output.data[probe]];
    const [mu, v, sd] = [a.mean.data[c], a.var.data[c], a.std.data[c]];
    box.innerHTML = `<p class="nm-cell-title">Example ${sel.e + 1}, channel ${c + 1}, cell (row ${sel.r + 1}, column ${sel.col + 1})</p>
      <p class="nm-line">μ = ${num(mu)}, σ² = ${num(v)}, √(σ² + ε) = ${num(sd)}</p>
      <p class="nm-line">x̂ = (x − μ) / √(σ² + ε) = (${num(x)} − ${par(mu)}) / ${num(sd)} = <b>${num(xh)}</b></p>
      <p class="nm-line">y = γ x̂ + β = ${num(meta.gamma[c])} × ${par(xh)} + ${par(meta.beta[c])} = <b>${num(y)}</b></p>`;
  }

  async function update(next) {
    const before = state;
    state = next;
    if (before && before.nmMode !== next.nmMode) {
      stop();
      probe = -1;
    }
    renderControls();
    if (next.nmMode === "lcn" && !(await loadPicture())) return;
    if (state !== next) return; // a newer state is on its way
    await run();
  }

  return {
    update,
    destroy() {
      stop();
      unbindKeys();
      removeEventListener("resize", onResize);
      element.replaceChildren();
    },
    /** What the widget holds and shows, for tests and lessons. */
    inspect: () => ({
      mode: result?.meta.mode ?? null,
      meta: result?.meta ?? null,
      arrays: result ? Object.fromEntries(Object.entries(result.arrays).map(([k, t]) => [k, { shape: t.shape, values: Array.from(t.data) }])) : null,
      probe,
      readout: (state?.nmMode === "batch" ? $(".nm-bn-readout") : $(".nm-readout"))?.innerText ?? "",
      stats: [...stage.querySelectorAll("[data-stats]")].map((p) => ({ id: p.dataset.stats, text: p.textContent })),
      label: (name, r, c) => grids[name]?.label(r, c) ?? null,
    }),
  };
}
