// The channel diagram of the grouped widget: input channels stacked on the left, output channels on
// the right (for a separable layer the depthwise maps in between), and a line for every input channel
// an output channel reads, coloured by its group. The connections come from the engine's answer
// (grouped.run's `connections`, `in_groups`, `out_groups`); this module only places and draws them.

import { scaleFor } from "../../lib/colors.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { presenterScale } from "../../lib/room.js";

const SVG = "http://www.w3.org/2000/svg";
export const GROUP_COLOURS = 8; // --gr-g0 … --gr-g7 in grouped.css (Okabe–Ito, lighter on the dark theme)

/** One column's markup: a heading and a stack of small maps, one per channel (numbered from 1). */
function column(name, title, count) {
  const maps = Array.from(
    { length: count },
    (_, i) =>
      `<figure class="gr-map" data-${name}="${i}"><canvas class="grid-canvas" role="img"></canvas>` +
      `<figcaption>${i + 1}</figcaption></figure>`,
  ).join("");
  const head = `<p class="gr-col-title">${title}</p>`;
  return `<div class="gr-col" data-col="${name}">${head}<div class="gr-maps">${maps}</div></div>`;
}

const links = (n) => `<svg class="gr-links" data-links="${n}" aria-hidden="true" focusable="false"></svg>`;

/**
 * Build the diagram inside `host` for an answer: columns of maps and the link layers between them.
 * Returns {draw(focus), maps(name) -> [figure]}; draw() places the lines (after layout) with the
 * output channel `focus` and what it reads lit.
 */
export function createDiagram(host, { meta, arrays }) {
  const separable = meta.mode === "separable";
  const [cIn] = meta.input_shape;
  const [cOut] = meta.output_shape;
  const middleTitle = `Depthwise ${meta.k}×${meta.k} <span class="gr-dim">(${cIn})</span>`;
  host.classList.toggle("gr-separable", separable);
  host.innerHTML =
    column("input", `Input <span class="gr-dim">C<sub>in</sub> = ${cIn}</span>`, cIn) +
    links(1) +
    (separable ? column("middle", middleTitle, cIn) + links(2) : "") +
    column("output", `Output <span class="gr-dim">C<sub>out</sub> = ${cOut}</span>`, cOut);
  const figures = (name) => [...host.querySelectorAll(`[data-${name}]`)];
  const scale = scaleFor([arrays.input.data, arrays.output.data, ...(separable ? [arrays.middle.data] : [])]);
  // A column of maps stays about 360px tall (more on a projector), however many channels it stacks.
  const side = Math.max(24, Math.min(64, Math.floor((360 * presenterScale()) / Math.max(cIn, cOut)) - 8));

  function paint(name, tensor) {
    const [, rows, cols] = tensor.shape;
    const cell = fitCell(side, side, cols, rows, 2, Math.round(12 * presenterScale()));
    figures(name).forEach((figure, c) => {
      const plane = tensor.data.subarray(c * rows * cols, (c + 1) * rows * cols);
      const canvas = figure.querySelector("canvas");
      canvas.setAttribute("aria-label", `${name} channel ${c + 1}, ${rows} × ${cols}`);
      createGrid(canvas).draw({ rows, cols, cell, value: (r, k) => plane[r * cols + k], scale, numbers: false });
    });
  }
  paint("input", arrays.input);
  if (separable) paint("middle", arrays.middle);
  paint("output", arrays.output);
  // Each map's frame in its group's colour (a separable layer's middle maps: one filter each, like its inputs).
  const groupOf = { input: arrays.in_groups.data, middle: arrays.in_groups.data, output: arrays.out_groups.data };
  for (const [name, groups] of Object.entries(groupOf))
    figures(name).forEach((figure, c) => figure.classList.add(`gr-g${groups[c] % GROUP_COLOURS}`));

  // [left column, right column, matrix (rows: right channels, cols: left channels), colour of each line]
  const layers = separable
    ? [
        ["input", "middle", arrays.connections_depthwise, (r) => r % GROUP_COLOURS],
        ["middle", "output", arrays.connections, () => 0],
      ]
    : [["input", "output", arrays.connections, (r) => arrays.out_groups.data[r] % GROUP_COLOURS]];

  function draw(focus) {
    const lit = { output: new Set([focus]), middle: new Set(), input: new Set() };
    // What the focused output reads, traced back through each layer of links.
    for (let i = layers.length - 1; i >= 0; i--) {
      const [from, to, m] = layers[i];
      const [rows, cols] = m.shape;
      for (let r = 0; r < rows; r++) {
        if (!lit[to].has(r)) continue;
        for (let c = 0; c < cols; c++) if (m.data[r * cols + c]) lit[from].add(c);
      }
    }
    layers.forEach(([from, to, m, colour], i) => {
      const svg = host.querySelector(`[data-links="${i + 1}"]`);
      const box = svg.getBoundingClientRect();
      const centre = (fig) => {
        const r = fig.querySelector("canvas").getBoundingClientRect();
        return r.top + r.height / 2 - box.top;
      };
      const left = figures(from).map(centre);
      const right = figures(to).map(centre);
      // The lines run from the maps' edges (a column may be wider than its maps), past the svg's box if need be.
      const x1 = Math.max(...figures(from).map((f) => f.getBoundingClientRect().right)) - box.left + 1;
      const x2 = Math.min(...figures(to).map((f) => f.getBoundingClientRect().left)) - box.left - 1;
      const [rows, cols] = m.shape;
      svg.setAttribute("viewBox", `0 0 ${box.width} ${box.height}`);
      const lines = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if (!m.data[r * cols + c]) continue;
          const on = lit[to].has(r) && lit[from].has(c);
          const line = document.createElementNS(SVG, "line");
          line.setAttribute("x1", x1);
          line.setAttribute("x2", x2);
          line.setAttribute("y1", left[c]);
          line.setAttribute("y2", right[r]);
          line.setAttribute("class", `gr-line gr-g${colour(r)}${on ? " lit" : ""}`);
          lines.push([on, line]);
        }
      }
      lines.sort((a, b) => a[0] - b[0]); // the lit lines on top
      svg.replaceChildren(...lines.map(([, line]) => line));
    });
    for (const [name, set] of Object.entries(lit))
      figures(name).forEach((figure, c) => figure.classList.toggle("lit", set.has(c)));
    return lit;
  }

  return { draw, figures };
}
