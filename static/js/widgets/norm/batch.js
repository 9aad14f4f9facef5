// Normalization widget, batch norm: a small seeded batch drawn as a table (rows x, x̂, y; columns
// the channels, each cell the batch's maps side by side), each channel's statistics under its
// maps, the γ and β knobs under its output, the seed's four formula lines, and the readout that
// walks one cell through x̂ and y with the numbers read from the norm.run answer. Split from
// norm-widget.js, which owns the state and the requests; `view` is its handle:
// {element, stage, uid, grids, now() -> {result, probe}, pick(i), renderControls()}.

import { scaleFor } from "../../lib/colors.js";
import { fmt, fmtCell } from "../../lib/format.js";
import { createGrid } from "../../lib/grid.js";
import { block, m, mi, mn, mo, num, par, slider, sub } from "./parts.js";

const STAGES = [
  ["input", "Input x"],
  ["xhat", "Normalized x̂"],
  ["output", "y = γ x̂ + β"],
];
const MAP_GAP = 7; // px between the maps of a channel (CSS .nm-maps gap)
const CHANNEL_GAP = 32; // px between channel columns (CSS .nm-table column-gap)

/** The seed's batch-norm lines with the batch's m. */
function bnMath(count) {
  const xi = () => sub("x", "i");
  const mu = () => sub("\u03bc", "\u212c");
  const var2 = () => m("msubsup", mi("\u03c3"), mi("\u212c"), mn("2"));
  const xhat = () => m("msub", m("mover", mi("x"), mo("^")), mi("i"));
  const avg = () => [
    m("mfrac", mn("1"), mn(String(count))),
    m("munderover", mo("\u2211"), m("mrow", mi("i"), mo("="), mn("1")), mn(String(count))),
  ];
  return [
    block(mu(), mo("="), ...avg(), xi()),
    block(var2(), mo("="), ...avg(), m("msup", m("mrow", mo("("), xi(), mo("\u2212"), mu(), mo(")")), mn("2"))),
    block(xhat(), mo("="), m("mfrac", m("mrow", xi(), mo("\u2212"), mu()), m("msqrt", var2(), mo("+"), mi("\u03b5")))),
    block(sub("y", "i"), mo("="), mi("\u03b3"), xhat(), mo("+"), mi("\u03b2")),
  ];
}

// Rows are the steps (x, x̂, y), columns the channels, each cell the batch's maps side by side:
// a channel's statistics are taken across its row of examples. γ and β sit under their channel's y.
function batchLayout(view, columns) {
  const { stage, uid } = view;
  const { result } = view.now();
  const [n, ch] = result.arrays.input.shape; // input (N, C, H, W)
  const layout = `batch-${n}-${ch}-${columns}`;
  if (stage.dataset.layout === layout) return;
  stage.dataset.layout = layout;
  stage.className = "nm-stage nm-batch";
  const heads = Array.from(
    { length: columns === ch ? ch : 0 },
    (_, c) => `<p class="nm-channel">Channel ${c + 1} · examples 1–${n}</p>`,
  ).join("");
  let body = heads;
  for (const [name, title] of STAGES) {
    body += `<p class="nm-row-head" style="grid-column: 1 / span ${columns}">${title}</p>`;
    for (let c = 0; c < ch; c++) {
      const maps = Array.from(
        { length: n },
        (_, e) => `<canvas class="grid-canvas hoverable" data-map="${name}-${e}-${c}"
            aria-label="example ${e + 1}, channel ${c + 1}"></canvas>`,
      ).join("");
      const own = columns === ch ? "" : `<p class="nm-channel">Channel ${c + 1} · examples 1–${n}</p>`;
      const knobs =
        name === "output"
          ? `<div class="nm-knobs">${slider(
              uid,
              `gamma${c + 1}`,
              "γ",
              'min="-3" max="3" ' + 'step="0.1"',
            )}${slider(uid, `beta${c + 1}`, "β", 'min="-3" max="3" step="0.1"')}</div>`
          : "";
      body += `<div class="nm-cell" data-stage="${name}" data-channel="${c}">${own}<div class="nm-maps">${maps}</div>
          <p class="nm-stats" data-stats="${name}-${c}"></p>${knobs}</div>`;
    }
  }
  stage.innerHTML = `<div class="nm-table" style="--channels: ${columns}">${body}</div>`;
  const grids = {};
  view.grids = grids;
  stage.querySelectorAll("[data-map]").forEach((canvas) => {
    const [, e, c] = canvas.dataset.map.split("-").map(Number);
    const grid = createGrid(canvas);
    grids[canvas.dataset.map] = grid;
    const pick = (ev) => {
      const cell = grid.cellAt(ev);
      if (!cell) return;
      const [, chans, h, w] = view.now().result.arrays.input.shape;
      view.pick(((e * chans + c) * h + cell.r) * w + cell.c); // the (N, C, H, W) offset
    };
    canvas.addEventListener("pointermove", pick); // a mouse hovers
    canvas.addEventListener("pointerdown", pick); // a finger taps
  });
  view.element.querySelector(".nm-math").replaceChildren(...bnMath(result.meta.count));
  view.renderControls();
}

/** Draws the batch-norm answer: every map, each channel's statistics, and the inspected cell's readout. */
export function renderBatch(view) {
  const { stage } = view;
  const { result, probe } = view.now();
  const a = result.arrays;
  const [n, ch, h, w] = a.input.shape; // input (N, C, H, W)
  const room = (stage.clientWidth || 900) - 8;
  // Signed numbers with one decimal ("−1.4") need 43 px cells at the smallest readable size.
  const fit = (cols) => Math.floor((room - (cols - 1) * CHANNEL_GAP - cols * (n - 1) * MAP_GAP) / (cols * n * w));
  const columns = fit(ch) >= 43 ? ch : 1;
  // Height: three rows of maps, each with its heading and statistics, and the γ/β sliders.
  const top = stage.getBoundingClientRect().top + window.scrollY;
  const byHeight = Math.floor((window.innerHeight - top - 3 * 75 - 30 - 50) / ((columns === ch ? 3 : 3 * ch) * h));
  const cell = Math.max(43, Math.min(64, fit(columns), byHeight));
  batchLayout(view, columns);
  const { grids } = view;
  // x̂ and y share a scale, so γ and β visibly stretch and move the colours.
  const scales = {
    input: scaleFor(a.input.data, "diverging"),
    xhat: scaleFor([a.xhat.data, a.output.data], "diverging"),
  };
  scales.output = scales.xhat;
  const sel =
    probe >= 0
      ? {
          e: Math.floor(probe / (ch * h * w)),
          c: Math.floor(probe / (h * w)) % ch,
          r: Math.floor(probe / w) % h,
          col: probe % w,
        }
      : null;
  for (const [name] of STAGES) {
    const data = a[name].data;
    for (let e = 0; e < n; e++) {
      for (let c = 0; c < ch; c++) {
        const off = (e * ch + c) * h * w;
        const hl = sel && sel.e === e && sel.c === c ? [{ r: sel.r, c: sel.col, h: 1, w: 1 }] : [];
        grids[`${name}-${e}-${c}`].draw({
          rows: h,
          cols: w,
          cell,
          value: (r, q) => data[off + r * w + q],
          scale: scales[name],
          highlights: hl,
          decimals: 1,
        });
      }
    }
  }
  const st = result.meta.stats;
  for (let c = 0; c < ch; c++) {
    const stat = (name, what) => fmtCell(st[name][what][c]);
    stage.querySelector(`[data-stats="input-${c}"]`).textContent =
      `μ = ${stat("input", "mean")} · σ² = ${stat("input", "var")}`;
    stage.querySelector(`[data-stats="xhat-${c}"]`).textContent =
      `mean ${stat("xhat", "mean")} · variance ${stat("xhat", "var")}`;
    stage.querySelector(`[data-stats="output-${c}"]`).textContent =
      `mean ${stat("output", "mean")} · variance ${stat("output", "var")}`;
  }
  renderBatchReadout(view, result, probe, sel);
}

function renderBatchReadout(view, result, probe, sel) {
  const $ = (q) => view.element.querySelector(q);
  const box = $(".nm-bn-readout");
  const a = result.arrays;
  const meta = result.meta;
  $(".nm-note").textContent =
    `A channel's μ and σ² are taken over all ${meta.shape[0]} examples and every cell: m = ${meta.count} values; ε ` +
    `= ${fmt(meta.eps)}.`;
  if (!sel) {
    box.innerHTML = `<p class="hint">Hover a cell, or press → to step through the batch, to see its numbers.</p>`;
    return;
  }
  const c = sel.c;
  const [x, xh, y] = [a.input.data[probe], a.xhat.data[probe], a.output.data[probe]];
  const [mu, v, sd] = [a.mean.data[c], a.var.data[c], a.std.data[c]];
  box.innerHTML =
    `<p class="nm-cell-title">Example ${sel.e + 1}, channel ${c + 1}, cell (row ${sel.r + 1}, column ` +
    `${sel.col + 1})</p>
      <p class="nm-line">μ = ${num(mu)}, σ² = ${num(v)}, √(σ² + ε) = ${num(sd)}</p>
      <p class="nm-line">x̂ = (x − μ) / √(σ² + ε) = (${num(x)} − ${par(mu)}) / ${num(sd)} = <b>${num(xh)}</b></p>
      <p class="nm-line">y = γ x̂ + β = ${num(meta.gamma[c])} × ${par(xh)} + ${par(meta.beta[c])} = ` +
    `<b>${num(y)}</b></p>`;
}
