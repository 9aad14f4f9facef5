// The output map of the chosen filter, filling cell by cell while the animation steps,
// small maps of every filter to switch between, and a hidden table of the numbers for
// screen readers. Hovering a cell previews its receptive field; clicking jumps the
// animation to it (step index = row · width + column, PROTOCOL.md conv.trace).

import { scaleFor } from "../../lib/colors.js";
import { fmtCell } from "../../lib/format.js";
import { createGrid } from "../../lib/grid.js";
import { createReadableGrid } from "../../lib/readable-grid.js";

const TABLE_MAX_CELLS = 400;

// `thumbs`: the element for the filters' small maps (a strip across the stage, so 16 filters
// never widen the output's column).
export function mount(element, { onHover, onPick, onSelectFilter, thumbs, id = (part) => part }) {
  element.innerHTML = `
    <canvas class="grid-canvas output-canvas" role="img"></canvas>
    <div class="visually-hidden"><table id="${id("output-table")}"><caption></caption><tbody></tbody></table></div>`;
  const canvas = element.querySelector(".output-canvas");
  const grid = createReadableGrid(canvas);
  thumbs.setAttribute("role", "group");
  thumbs.setAttribute("aria-label", "Output of each filter");
  const table = element.querySelector("table");
  let shape = [0, 0, 0];
  let hovered = null;
  let thumbGrids = [];

  const stepAt = (e) => {
    const cell = grid.cellAt(e);
    return cell ? cell.r * shape[2] + cell.c : null;
  };
  canvas.addEventListener("pointermove", (e) => {
    const step = stepAt(e);
    if (step !== hovered) {
      hovered = step;
      onHover(step);
    }
  });
  canvas.addEventListener("pointerleave", () => {
    hovered = null;
    onHover(null);
  });
  canvas.addEventListener("click", (e) => {
    const step = stepAt(e);
    if (step !== null) onPick(step);
  });

  function ensureThumbs(filters, selected) {
    if (thumbGrids.length !== filters) {
      thumbs.replaceChildren();
      thumbGrids = [];
      if (filters > 1) {
        for (let f = 0; f < filters; f++) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "thumb";
          const name = filters > 4 ? String(f + 1) : `Filter ${f + 1}`; // 16 names in two rows at 1024 px
          button.innerHTML = `<canvas class="grid-canvas"></canvas><span>${name}</span>`;
          button.setAttribute("aria-label", `Filter ${f + 1}`);
          button.addEventListener("click", () => onSelectFilter(f));
          thumbs.append(button);
          thumbGrids.push({ button, grid: createGrid(button.querySelector("canvas")) });
        }
      }
    }
    thumbGrids.forEach(({ button }, f) => button.setAttribute("aria-pressed", String(f === selected)));
    thumbs.hidden = filters < 2;
  }

  /**
   * update({output, selected, cell, thumbCell, filled, current, preview})
   * filled: null (all shown) or {upTo, alpha}: cells before upTo are shown, upTo fades in.
   * current / preview: {r, c} output cells to ring.
   */
  let thumbsFor = null; // the output whose thumbnails are drawn (they change only with a new result)
  /** Draws; returns true when the cells hold their numbers. */
  function update({ output, selected, cell, thumbCell, filled, current, preview }) {
    shape = output.shape;
    const [F, OH, OW] = shape;
    const plane = OH * OW;
    const base = selected * plane;
    const mine = output.data.subarray(base, base + plane);
    const scale = scaleFor(mine);
    const highlights = [];
    if (current) highlights.push({ r: current.r, c: current.c, h: 1, w: 1, kind: "window" });
    if (preview) highlights.push({ r: preview.r, c: preview.c, h: 1, w: 1, kind: "preview" });
    const { numbers } = grid.draw({
      rows: OH,
      cols: OW,
      cell,
      scale,
      value: (r, c) => mine[r * OW + c],
      filled:
        filled &&
        ((r, c) => {
          const i = r * OW + c;
          return i < filled.upTo ? 1 : i === filled.upTo ? filled.alpha : 0;
        }),
      highlights,
    });
    canvas.setAttribute("aria-label", `Output of filter ${selected + 1}: ${OH} by ${OW}`);
    element.dataset.step = current ? String(current.r * OW + current.c) : "";

    ensureThumbs(F, selected);
    const thumbKey = `${thumbCell}`;
    if (thumbsFor?.output !== output || thumbsFor.key !== thumbKey) {
      thumbsFor = { output, key: thumbKey };
      drawThumbs(output, F, OH, OW, plane, thumbCell);
    }
    fillTable(output, mine, OH, OW, selected);
    return numbers;
  }

  function drawThumbs(output, F, OH, OW, plane, thumbCell) {
    thumbGrids.forEach(({ grid: g }, f) => {
      const values = output.data.subarray(f * plane, (f + 1) * plane);
      g.draw({
        rows: OH,
        cols: OW,
        cell: thumbCell,
        scale: scaleFor(values),
        value: (r, c) => values[r * OW + c],
        numbers: false,
      });
    });
  }

  // The numbers as a table for screen readers (and tests); rebuilt only when they change.
  let tableFor = null;
  let tableFilter = -1;
  function fillTable(output, values, OH, OW, selected) {
    if (tableFor === output && tableFilter === selected) return;
    tableFor = output;
    tableFilter = selected;
    table.querySelector("caption").textContent = `Output of filter ${selected + 1}`;
    const body = table.querySelector("tbody");
    if (OH * OW > TABLE_MAX_CELLS) {
      body.replaceChildren();
      return;
    }
    if (body.rows.length !== OH || body.rows[0]?.cells.length !== OW) {
      body.replaceChildren(
        ...Array.from({ length: OH }, () => {
          const tr = document.createElement("tr");
          for (let c = 0; c < OW; c++) tr.append(document.createElement("td"));
          return tr;
        }),
      );
    }
    for (let r = 0; r < OH; r++) {
      const cells = body.rows[r].cells;
      for (let c = 0; c < OW; c++) cells[c].textContent = fmtCell(values[r * OW + c]);
    }
  }

  return {
    update,
    grid,
    destroy() {
      element.replaceChildren();
      thumbs.replaceChildren();
    },
  };
}
