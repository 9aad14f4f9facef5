// A grid (lib/grid.js) whose numbers follow a projector's rule instead of grid.js's: the
// largest font that fits the widest label, up to 0.56 of a cell, and a floor under which the
// grid draws no numbers at all and SAYS so (draw() returns {numbers: false}, the canvas
// carries data-number-px="0"), so a page can offer a zoom instead of numbers vanishing
// silently. The colours, padding, highlights and hit-testing are grid.js's.

import { fmtCell } from "./format.js";
import { createGrid, drawNumbers } from "./grid.js";

const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MAX_FONT = 34;
const SHARE = 0.56; // of a cell's side; "−1" at 0.56 still leaves a margin either side
export const MIN_NUMBER_PX = 12; // below this a number is noise, even on a phone held close

export function createReadableGrid(canvas) {
  const base = createGrid(canvas);
  const ctx = canvas.getContext("2d");
  const labels = new Map();

  /** grid.js's spec plus minFont (px). Returns {numbers: boolean, size (px, 0 when none)}. */
  function draw(spec) {
    base.draw({ ...spec, numbers: false });
    labels.clear();
    const style = spec.numbers === false ? null : numberStyle(spec);
    canvas.dataset.numberPx = style ? String(style.size) : "0";
    if (!style) return { numbers: false, size: 0 };
    drawNumbers(ctx, spec, style, labels);
    return { numbers: true, size: style.size };
  }

  // One size and one number of decimals for the whole grid, so it reads evenly: the widest
  // label must fit; else fewer decimals; else none (and the caller says so).
  function numberStyle(spec) {
    const { rows, cols, cell, value } = spec;
    const floor = spec.minFont ?? MIN_NUMBER_PX;
    const top = Math.min(MAX_FONT, Math.floor(cell * SHARE));
    if (top < floor || rows * cols > 4096) return null; // 64×64 cells of numbers is already a wall
    for (const decimals of [spec.decimals ?? 2, 1]) {
      ctx.font = `600 ${top}px ${FONT}`;
      const seen = new Set();
      let widest = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const label = fmtCell(value(r, c), decimals);
          if (seen.has(label)) continue;
          seen.add(label);
          widest = Math.max(widest, ctx.measureText(label).width);
        }
      }
      const size = widest > cell - 6 ? Math.floor((top * (cell - 6)) / widest) : top;
      if (size >= floor) return { size, decimals };
    }
    return null;
  }

  return {
    draw,
    cellAt: base.cellAt,
    label: (r, c) => labels.get(`${r},${c}`) ?? null,
    get layout() {
      return base.layout;
    },
  };
}
