// The magnifier: when the maps' cells are too small for numbers (a 227×227 photo, a phone),
// the current window of every channel and its output cell, drawn large with their numbers.
// The numbers are the engine's trace (conv.trace: `window`, `result`); nothing is computed here.

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createReadableGrid } from "../../lib/readable-grid.js";

export function mount(element) {
  element.innerHTML = `
    <figcaption><span class="pane-title">Zoom</span> <span class="zoom-where shape"></span></figcaption>
    <div class="zoom-body">
      <div class="zoom-windows"></div>
      <span class="zoom-arrow" aria-hidden="true">→</span>
      <div class="zoom-out"><canvas class="grid-canvas"></canvas></div>
    </div>`;
  const where = element.querySelector(".zoom-where");
  const windows = element.querySelector(".zoom-windows");
  const outCanvas = element.querySelector(".zoom-out canvas");
  const outGrid = createReadableGrid(outCanvas);
  let grids = [];

  function ensure(C) {
    if (grids.length === C) return;
    windows.replaceChildren();
    grids = [];
    for (let c = 0; c < C; c++) {
      const figure = document.createElement("div");
      figure.className = "zoom-channel";
      const canvas = document.createElement("canvas");
      canvas.className = "grid-canvas";
      canvas.setAttribute("role", "img");
      figure.append(canvas);
      windows.append(figure);
      grids.push({ canvas, grid: createReadableGrid(canvas) });
    }
  }

  /** update({step, weights, cell: {r, c}, landed, width}) or update(null) to hide. */
  function update(view) {
    element.hidden = !view;
    if (!view) return;
    const { step, weights, cell, landed, width } = view;
    const [, C, KH, KW] = weights.shape;
    ensure(C);
    // As large as the width allows, up to a projector's cell; 11×11 windows get smaller cells.
    const across = C * KW + 2;
    const size = Math.max(26, Math.min(56, Math.floor((width - 60 - 14 * C) / across)));
    const scale = scaleFor(step.window);
    const per = KH * KW;
    grids.forEach(({ canvas, grid }, c) => {
      grid.draw({
        rows: KH,
        cols: KW,
        cell: size,
        scale,
        value: (r, col) => step.window[c * per + r * KW + col],
        minFont: 11,
      });
      canvas.setAttribute(
        "aria-label",
        `Window${C > 1 ? ` of channel ${c + 1}` : ""}: ` +
          Array.from(step.window.subarray(c * per, (c + 1) * per), (v) => fmt(v, 2)).join(", "),
      );
    });
    const result = step.result;
    outGrid.draw({
      rows: 1,
      cols: 1,
      cell: Math.max(size, 64),
      scale: scaleFor([result, 0]),
      value: () => result,
      filled: () => (landed ? 1 : 0),
    });
    outCanvas.setAttribute("aria-label", `Output cell: ${fmt(result, 3)}`);
    const [r, c] = step.origin;
    where.textContent = `window from row ${r + 1}, column ${c + 1} → output row ${cell.r + 1}, column ${cell.c + 1}`;
  }

  return {
    update,
    grid: (c = 0) => grids[c]?.grid,
    destroy() {
      element.replaceChildren();
    },
  };
}
