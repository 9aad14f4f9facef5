// The residual widget's maps: one small grid per node of the block (forward) or per gradient
// (backward), one channel each. Maps of one size share a cell size, so the same cell sits at the
// same place in each. A cell hovered or focused in any map is ringed in all of them: the same cell
// in maps of the same size, and across the stride (cell r of the output ↔ cell s·r of the input)
// where it changes. It draws the engine's arrays; the only arithmetic here is where a cell goes.

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { maxCell } from "../../lib/room.js";

// space: "in" for maps the size of x, "out" for maps the size of y.
export const MAPS = {
  forward: [
    { key: "x", title: "x", space: "in" },
    { key: "conv1", title: "conv1(x)", space: "out" },
    { key: "relu1", title: "ReLU", space: "out" },
    { key: "conv2", title: "F(x) = conv2", space: "out" },
    { key: "shortcut", title: "shortcut(x)", space: "out" },
    { key: "sum", title: "F(x) + shortcut(x)", space: "out" },
    { key: "y", title: "y = ReLU(sum)", space: "out" },
  ],
  backward: [
    { key: "grad_y", title: "∂L/∂y", space: "out" },
    { key: "grad_sum", title: "∂L/∂(sum), to both paths", space: "out" },
    { key: "grad_relu1", title: "∂L/∂ReLU (in F)", space: "out" },
    { key: "grad_conv1", title: "∂L/∂conv1 (in F)", space: "out" },
    { key: "grad_x_skip", title: "∂L/∂x along the skip", space: "in" },
    { key: "grad_x_residual", title: "∂L/∂x through F", space: "in" },
    { key: "grad_x", title: "∂L/∂x = skip + F", space: "in" },
  ],
};

const GAP = 14; // px between maps (residual.css's gap)
const MIN_NUMBER_CELL = 34; // a cell whose signed number still reads from the back of a room

/** The cell `cell` stands for in a map of `space`, at the block's stride. */
export function cellIn(cell, space, stride) {
  if (!cell || cell.space === space) return cell && { r: cell.r, c: cell.c };
  return space === "out"
    ? { r: Math.floor(cell.r / stride), c: Math.floor(cell.c / stride) }
    : { r: cell.r * stride, c: cell.c * stride };
}

/** One channel of a (C, H, W) tensor as a grid: {rows, cols, value(r, c)}; the channel clamped to C. */
function plane(t, channel) {
  const [count, rows, cols] = t.shape;
  const off = Math.min(channel, count - 1) * rows * cols;
  return { rows, cols, value: (r, c) => t.data[off + r * cols + c], channel: Math.min(channel, count - 1) };
}

export function createMaps(container, { onCell }) {
  let items = new Map(); // key -> {figure, canvas, grid, spec}
  let drawn = null; // {names, arrays, meta, channel, cell}

  function build(names) {
    const keys = names.map((n) => n.key).join(",");
    if (container.dataset.keys === keys) return;
    container.dataset.keys = keys;
    container.replaceChildren();
    items = new Map();
    for (const spec of names) {
      const figure = document.createElement("figure");
      figure.className = "pane rs-map";
      figure.dataset.map = spec.key;
      figure.innerHTML =
        `<figcaption><span class="pane-title">${spec.title}</span> <span class="shape"></span></figcaption>` +
        `<canvas class="grid-canvas hoverable" tabindex="0" role="img" data-grid="${spec.key}"></canvas>`;
      container.append(figure);
      const canvas = figure.querySelector("canvas");
      const item = { figure, canvas, grid: createGrid(canvas), spec };
      items.set(spec.key, item);
      const at = (e) => {
        const hit = item.grid.cellAt(e);
        return hit && { space: spec.space, ...hit };
      };
      // A mouse hovers; a finger taps, and its mark stays after the finger lifts.
      canvas.addEventListener("pointermove", (e) => e.pointerType !== "touch" && onCell(at(e)));
      canvas.addEventListener("pointerdown", (e) => onCell(at(e)));
      canvas.addEventListener("pointerleave", (e) => e.pointerType !== "touch" && onCell(null));
      canvas.addEventListener("focus", () => !drawn?.cell && onCell({ space: spec.space, r: 0, c: 0 }));
      canvas.addEventListener("keydown", (e) => {
        const move = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
        if (!move || !drawn) return;
        e.preventDefault(); // the key is ours: no scrolling, and no clicker step
        const { rows, cols } = plane(drawn.arrays[spec.key], 0);
        const here = cellIn(drawn.cell, spec.space, drawn.meta.stride) ?? { r: 0, c: 0 };
        const r = Math.max(0, Math.min(rows - 1, here.r + move[0]));
        const c = Math.max(0, Math.min(cols - 1, here.c + move[1]));
        onCell({ space: spec.space, r, c });
      });
    }
  }

  function draw({ names, arrays, meta, channel, width, cell }) {
    build(names);
    drawn = { names, arrays, meta, channel, cell };
    const widest = meta.input_shape[2];
    // As many columns (up to 4) as leave each cell room for a number; one column on a narrow phone.
    let columns = 4;
    while (columns > 1 && (width - GAP * (columns - 1)) / columns / widest < MIN_NUMBER_CELL) columns--;
    container.style.setProperty("--rs-columns", String(columns));
    const room = (width - GAP * (columns - 1)) / columns;
    // One cell size per map size: maps of x's size line up with x, maps of y's size with y (at stride 2
    // they are half as wide, and their cells may be larger).
    const sizeOf = (rows, cols) => fitCell(room, room, cols, rows, 8, maxCell(56));
    const scale = scaleFor(names.map((n) => arrays[n.key].data), "diverging"); // one scale: colours compare
    for (const spec of names) {
      const { figure, canvas, grid } = items.get(spec.key);
      const p = plane(arrays[spec.key], channel);
      const mark = cellIn(cell, spec.space, meta.stride);
      grid.draw({
        rows: p.rows,
        cols: p.cols,
        cell: sizeOf(p.rows, p.cols),
        value: p.value,
        scale,
        highlights: mark ? [{ r: mark.r, c: mark.c, h: 1, w: 1 }] : [],
      });
      const count = arrays[spec.key].shape[0];
      figure.querySelector(".shape").textContent =
        `${p.rows} × ${p.cols}` + (count > 1 ? `, channel ${p.channel + 1} of ${count}` : "");
      canvas.setAttribute(
        "aria-label",
        `${spec.title}: ${p.rows} by ${p.cols}` +
          (mark ? `; row ${mark.r + 1}, column ${mark.c + 1} is ${fmt(p.value(mark.r, mark.c))}` : "") +
          ". Arrow keys move the marked cell.",
      );
    }
  }

  /** The marked cell's value in every map, as one sentence. */
  function readout(names, arrays, meta, channel, cell) {
    const parts = names.map((spec) => {
      const p = plane(arrays[spec.key], channel);
      const at = cellIn(cell, spec.space, meta.stride);
      if (at.r >= p.rows || at.c >= p.cols) return null;
      return `${spec.title} ${fmt(p.value(at.r, at.c))}`;
    });
    const here = cellIn(cell, "out", meta.stride);
    const s = meta.stride;
    const place =
      s > 1
        ? `output row ${here.r + 1}, column ${here.c + 1} (input row ${here.r * s + 1}, column ${here.c * s + 1})`
        : `row ${here.r + 1}, column ${here.c + 1}`;
    return `At ${place}: ${parts.filter(Boolean).join("; ")}.`;
  }

  /** Every map's drawn numbers, row by row, for tests: {key: [[text, …], …]}. */
  function labels() {
    const out = {};
    for (const [key, { grid }] of items) {
      const { rows, cols } = grid.layout;
      out[key] = Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => grid.label(r, c)));
    }
    return out;
  }

  return { draw, readout, labels };
}
