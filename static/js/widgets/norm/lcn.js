// Normalization widget, local contrast normalization (seed 001): the five panes (input, local
// mean, v = x − mean, local σ, output), the seed's three formula lines, and the readout that
// walks one cell through the steps with the numbers read from the norm.run answer. Split from
// norm-widget.js, which owns the state and the requests; `view` is its handle:
// {element, stage, grids, now() -> {result, probe}, pick(i)}.

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { block, m, mi, mn, mo, num, par, sub, sum } from "./parts.js";

const LCN_PANES = [
  ["input", "Input x"],
  ["mean", "Local mean"],
  ["centered", "v = x − mean"],
  ["sigma", "Local σ"],
  ["output", "Output y = v / max(c, σ)"],
];

/** Seed 001's three lines: the subtractive step, the local σ, the divisive step. */
function lcnMath() {
  const x = sub("x", "ijk");
  return [
    block(
      sub("v", "ijk"),
      mo("="),
      x,
      mo("\u2212"),
      sum("ipq"),
      sub("w", "pq"),
      sub("x", m("mrow", mi("i"), mo(","), mi("j+p"), mo(","), mi("k+q"))),
    ),
    block(
      sub("\u03c3", "jk"),
      mo("="),
      m(
        "msup",
        m("mrow", mo("("), sum("ipq"), sub("w", "pq"), m("msubsup", mi("v"), mi("i,j+p,k+q"), mn("2")), mo(")")),
        m("mn", "\u00bd"),
      ),
    ),
    block(
      sub("y", "ijk"),
      mo("="),
      sub("v", "ijk"),
      mo("/"),
      mi("max"),
      mo("("),
      mi("c"),
      mo(","),
      sub("\u03c3", "jk"),
      mo(")"),
    ),
  ];
}

function lcnLayout(view) {
  const { stage } = view;
  if (stage.dataset.layout === "lcn") return;
  stage.dataset.layout = "lcn";
  stage.className = "nm-stage nm-lcn";
  stage.innerHTML =
    LCN_PANES.map(
      ([name, title]) => `<figure class="pane" data-pane="${name}">
        <figcaption><span class="pane-title">${title}</span></figcaption>
        <canvas class="grid-canvas hoverable" data-grid="${name}"></canvas>
        <p class="nm-legend" data-legend="${name}"></p></figure>`,
    ).join("") + `<div class="pane nm-readout" aria-live="polite"></div>`;
  const grids = {};
  view.grids = grids;
  for (const [name] of LCN_PANES) {
    const canvas = stage.querySelector(`[data-grid="${name}"]`);
    grids[name] = createGrid(canvas);
    // A mouse hovers; a finger taps (a touch sends no move without a drag).
    for (const type of ["pointermove", "pointerdown"])
      canvas.addEventListener(type, (e) => hoverLcn(view, grids[name].cellAt(e)));
  }
  view.element.querySelector(".nm-math").replaceChildren(...lcnMath());
}

function hoverLcn(view, cell) {
  const { result } = view.now();
  if (!cell || !result) return;
  view.pick(cell.r * result.arrays.input.shape[3] + cell.c);
}

const NARROW = 560; // px of stage (norm.css switches at a widget of 580 px)

/** Draws the LCN answer: every pane, its legend, and the inspected cell's readout. */
export function renderLcn(view) {
  lcnLayout(view);
  const { stage, grids } = view;
  const { result, probe } = view.now();
  const a = result.arrays;
  const [, , h, w] = a.input.shape; // input (1, 1, H, W)
  const k = result.meta.size;
  const room = stage.clientWidth || 900;
  // Three panes a row; two in a phone's width (norm.css switches the grid at the same width).
  const columns = room < NARROW ? 2 : 3;
  const paneWidth = Math.floor((room - (columns - 1) * 24) / columns);
  const below = stage.getBoundingClientRect().top + window.scrollY;
  const paneHeight = Math.floor((window.innerHeight - below - 2 * 62) / 2); // two rows, each with caption and legend
  const cell = fitCell(paneWidth, Math.max(paneHeight, 3 * h), w, h, 3, 48);
  // Input and local mean share one grey scale: the mean is a blurred copy of the picture.
  const grey = scaleFor([a.input.data, a.mean.data], "grey");
  const scales = {
    input: grey,
    mean: grey,
    centered: scaleFor(a.centered.data, "diverging"),
    sigma: scaleFor(a.sigma.data, "grey"),
    output: scaleFor(a.output.data, "diverging"),
  };
  const r0 = probe >= 0 ? Math.floor(probe / w) : -1;
  const c0 = probe >= 0 ? probe % w : -1;
  for (const [name] of LCN_PANES) {
    const data = a[name].data;
    const hl = probe >= 0 ? [{ r: r0, c: c0, h: 1, w: 1 }] : [];
    // On the input the whole window is ringed: the cells the mean and σ weigh.
    if (probe >= 0 && name === "input" && k > 1)
      hl.unshift({ r: r0 - (k - 1) / 2, c: c0 - (k - 1) / 2, h: k, w: k, kind: "preview" });
    grids[name].draw({ rows: h, cols: w, cell, value: (r, c) => data[r * w + c], scale: scales[name], highlights: hl });
    const range = result.meta.ranges[name];
    stage.querySelector(`[data-legend="${name}"]`).textContent = `from ${fmt(range.min, 3)} to ${fmt(range.max, 3)}`;
  }
  renderLcnReadout(view, result, r0, c0, w);
}

function renderLcnReadout(view, result, r, c, w) {
  const $ = (sel) => view.element.querySelector(sel);
  const box = $(".nm-readout");
  const meta = result.meta;
  $(".nm-note").innerHTML =
    `${meta.size}×${meta.size} Gaussian window (σ<sub>w</sub> = ${fmt(meta.sigma)}, Σw = 1), c = ${fmt(meta.c)}:
      <b>${meta.clamped} of ${meta.cells}</b> cells divide by c (a flat neighbourhood, σ &lt; c). x and its local ` +
    `mean share one grey scale; past the border the window sees zeros, hence the frame.`;
  if (r < 0) {
    box.innerHTML =
      `<p class="hint">Hover a cell, or press → (a clicker's next) to step through the cells, to see ` +
      `its numbers.</p>`;
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
      <table class="nm-steps">${rows
        .map(([k, t]) => `<tr><th ` + `scope="row">${k}</th><td>${t}</td></tr>`)
        .join("")}</table>`;
}
