// The backprop widget's row of grids: one captioned canvas per pane (grid.js draws it),
// rebuilt only when the mode's set of panes changes, all at one cell size that fits the row.

import { scaleFor } from "../../lib/colors.js";
import { createGrid } from "../../lib/grid.js";
import { maxCell, onWidthChange, roomHeight, roomWidth } from "../../lib/room.js";

const GAP = 24; // px between panes: the CSS column gap of .bp-panes
const CAPTION = 130; // px: a pane's narrowest (backprop.css .bp-pane figcaption min-width 6.5rem)
const CAPTION_HEIGHT = 56; // px: a pane's caption, its title over its shape
const LINE_GAP = 12; // px between wrapped lines of panes (.bp-panes row-gap 0.6rem)
const CELL = { min: 36, max: 96 }; // 36px still holds a 16px "−0.5"; 96px (a 34px number) reads from the back row

export function createPanes(box) {
  let key = "";
  const panes = new Map(); // key -> {grid, caption, shape, spec}

  function build(specs) {
    panes.clear();
    box.replaceChildren(
      ...specs.map((spec) => {
        const figure = document.createElement("figure");
        figure.className = "pane bp-pane";
        figure.dataset.pane = spec.key;
        figure.innerHTML =
          `<figcaption><span class="pane-title"></span> <span class="shape ` +
          `bp-shape"></span></figcaption>
        <canvas class="grid-canvas"></canvas>`;
        panes.set(spec.key, {
          grid: createGrid(figure.querySelector("canvas")),
          caption: figure.querySelector(".pane-title"),
          shape: figure.querySelector(".bp-shape"),
        });
        return figure;
      }),
    );
  }

  /**
   * The largest cell size at which the panes, wrapped into lines as the flex box wraps them (a
   * pane at least as wide as its caption, backprop.css), fit the box's width and leave the
   * transport in view: one line on a projector, two at 1024 px, more on a phone.
   */
  function cellSize(specs) {
    const room = roomWidth(box, 600);
    const budget = roomHeight(330, 200);
    const fits = (cell) => {
      let [line, height, tallest] = [-GAP, 0, 0];
      for (const s of specs) {
        const w = Math.max(s.cols * cell + 1, CAPTION) + 2;
        if (w > room) return false;
        if (line + GAP + w > room) [line, height, tallest] = [-GAP, height + tallest + LINE_GAP, 0];
        line += GAP + w;
        tallest = Math.max(tallest, s.rows * cell + 1 + CAPTION_HEIGHT);
      }
      return height + tallest <= budget;
    };
    let cell = maxCell(CELL.max);
    while (cell > CELL.min && !fits(cell)) cell--;
    return cell;
  }

  let last = null; // the specs drawn, drawn again when the box's width changes
  onWidthChange(box, () => last && draw(last));

  function draw(specs) {
    last = specs;
    const next = specs.map((s) => s.key).join("|");
    if (next !== key) {
      key = next;
      build(specs);
    }
    const cell = cellSize(specs);
    for (const spec of specs) {
      const p = panes.get(spec.key);
      p.spec = spec;
      p.caption.textContent = spec.title;
      p.shape.textContent = `${spec.rows} × ${spec.cols}`;
      const { rows, cols, values } = spec;
      p.grid.draw({
        rows,
        cols,
        cell,
        scale: scaleFor(values, "diverging"),
        value: (r, c) => values[r * cols + c],
        highlights: spec.highlights ?? [],
        filled: spec.filled,
        pad: spec.pad,
      });
    }
  }

  return {
    draw,
    /** The text drawn in every cell of every pane (null where a cell is still pending). */
    labels() {
      return Object.fromEntries(
        [...panes].map(([k, p]) => [
          k,
          Array.from({ length: p.spec?.rows ?? 0 }, (_, r) =>
            Array.from({ length: p.spec.cols }, (_, c) => p.grid.label(r, c)),
          ),
        ]),
      );
    },
  };
}
