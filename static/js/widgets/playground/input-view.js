// The (padded) input, one grid per channel, with the filter window or a receptive field
// highlighted. Padding values are the engine's (`padded` from conv.run); the input cells
// are the page's own values, so a stroke shows at once, before the server answers.
// Pointer events paint: left button paints the brush value, right button or Shift erases.

import { scaleFor } from "../../lib/colors.js";
import { cellsBetween } from "../../lib/grid.js";
import { createReadableGrid } from "../../lib/readable-grid.js";

export function mount(element, { onPaint, onPaintEnd }) {
  let grids = [];
  let view = null; // the last update's arguments, for hit-testing strokes
  let stroke = null; // {channel, last: {r, c}, erase}

  function ensureGrids(count) {
    if (grids.length === count) return;
    element.replaceChildren();
    grids = [];
    for (let c = 0; c < count; c++) {
      const figure = document.createElement("div");
      figure.className = "channel";
      const caption = document.createElement("div");
      caption.className = "channel-label";
      caption.textContent = count > 1 ? `Channel ${c + 1}` : "";
      caption.hidden = count < 2;
      const canvas = document.createElement("canvas");
      canvas.className = "grid-canvas drawable";
      canvas.setAttribute("role", "img");
      canvas.dataset.channel = c;
      figure.append(caption, canvas);
      element.append(figure);
      const grid = createReadableGrid(canvas);
      bindPointer(canvas, grid, c);
      grids.push({ canvas, grid });
    }
  }

  // Input coordinates of a padded cell, or null on the padding.
  function toInput(cell) {
    if (!cell || !view) return null;
    const { pad, input } = view;
    const r = cell.r - pad.top;
    const c = cell.c - pad.left;
    return r >= 0 && r < input.height && c >= 0 && c < input.width ? { r, c } : null;
  }

  function bindPointer(canvas, grid, channel) {
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 && e.button !== 2) return;
      canvas.setPointerCapture(e.pointerId);
      stroke = { channel, last: null, erase: e.button === 2 || e.shiftKey };
      paintTo(toInput(grid.cellAt(e)));
      e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!stroke || stroke.channel !== channel) return;
      paintTo(toInput(grid.cellAt(e)));
    });
    const end = () => {
      if (!stroke) return;
      stroke = null;
      onPaintEnd();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  // Paint every cell on the line from the last one, so a fast stroke leaves no gaps.
  function paintTo(cell) {
    if (!cell) return;
    const cellsOnLine = stroke.last ? cellsBetween(stroke.last, cell) : [cell];
    stroke.last = cell;
    if (cellsOnLine.length) onPaint(stroke.channel, cellsOnLine, stroke.erase);
  }

  /**
   * update({input, padded, pad, highlight, preview, cell})
   * input: {channels, height, width, values}; padded: Tensor (C, Hp, Wp) or null;
   * pad: {top, bottom, left, right}; highlight/preview: {r, c, h, w, taps} in padded cells;
   * unused: {bottom, right} rows and columns no window reaches, or null.
   */
  let drawnKey = "";
  let numbers = true; // the last draw put numbers in the cells
  /** Draws; returns true when the cells hold their numbers (false: too small, the page says so). */
  function update(next) {
    view = next;
    const { input, padded, pad, cell } = next;
    // Skip a redraw that would draw the same thing (a stride change leaves the input as it was).
    const key = [
      idOf(input),
      idOf(padded),
      next.padKey,
      pad.top,
      pad.bottom,
      pad.left,
      pad.right,
      cell,
      JSON.stringify(next.highlight),
      JSON.stringify(next.preview),
      JSON.stringify(next.unused),
    ].join("|");
    if (key === drawnKey) return numbers;
    drawnKey = key;
    ensureGrids(input.channels);
    const rows = input.height + pad.top + pad.bottom;
    const cols = input.width + pad.left + pad.right;
    const usePadded =
      padded && padded.shape[1] === rows && padded.shape[2] === cols && padded.shape[0] === input.channels;
    const scale = scaleFor(usePadded ? [input.values, padded.data] : [input.values]);
    const plane = input.height * input.width;
    const highlights = [
      next.highlight && { ...next.highlight, kind: "window" },
      next.preview && { ...next.preview, kind: "preview" },
    ].filter(Boolean);
    grids.forEach(({ canvas, grid }, ch) => {
      const value = (r, c) => {
        const ir = r - pad.top;
        const ic = c - pad.left;
        if (ir >= 0 && ir < input.height && ic >= 0 && ic < input.width)
          return input.values[ch * plane + ir * input.width + ic];
        return usePadded ? padded.data[(ch * rows + r) * cols + c] : 0;
      };
      numbers = grid.draw({ rows, cols, cell, value, scale, pad, highlights, unused: next.unused }).numbers;
      canvas.setAttribute(
        "aria-label",
        `Input channel ${ch + 1}: ${input.height} by ${input.width}` +
          (pad.top + pad.bottom + pad.left + pad.right ? `, padded to ${rows} by ${cols}` : ""),
      );
    });
    const target = next.highlight ?? null;
    // Where the window is going (not where the tween has it): for tests and assistive tech.
    const describe = (h) => (h ? `${h.at[0]},${h.at[1]},${h.h},${h.w}` : "");
    element.dataset.window = describe(target);
    element.dataset.preview = describe(next.preview);
    return numbers;
  }

  return {
    update,
    grid: (channel = 0) => grids[channel]?.grid,
    destroy() {
      element.replaceChildren();
    },
  };
}

// A number per object, for change keys (the same padded values come back in every answer
// for the same input and padding, so callers pass a stable stand-in for those).
const ids = new WeakMap();
let nextId = 1;
function idOf(object) {
  if (!object) return 0;
  if (!ids.has(object)) ids.set(object, nextId++);
  return ids.get(object);
}
