// Shared pieces of the digits widgets: a layer's maps as a row of small grids, a bar list
// (probabilities, per-digit accuracy), the confusion matrix and a digit's picture. They draw
// the engine's arrays; the only arithmetic here is where a pixel goes.

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";

/** A (F, H, W) tensor's plane f as a grid value function. */
const plane = (t, f) => {
  const [, h, w] = t.shape;
  const off = f * h * w;
  return (r, c) => t.data[off + r * w + c];
};

/**
 * A layer's maps, one small grid each: mount(element, {name, title, px}) -> {draw(tensor, scale?), grids}.
 * onUnit(name, f, r, c | null) is called as the pointer (or focus) moves over a unit.
 */
export function mountMaps(element, { name, title, px = 64, onUnit = null }) {
  element.classList.add("digits-layer");
  element.innerHTML = `<h4 class="digits-layer-title">${title}</h4><div class="digits-maps"></div>`;
  const box = element.querySelector(".digits-maps");
  let items = [];
  let shape = null;

  function build(count) {
    if (items.length === count) return;
    box.replaceChildren();
    items = [];
    for (let f = 0; f < count; f++) {
      const canvas = document.createElement("canvas");
      canvas.className = "grid-canvas";
      canvas.dataset.map = `${name}-${f}`;
      canvas.tabIndex = onUnit ? 0 : -1;
      canvas.setAttribute("role", "img");
      box.append(canvas);
      const grid = createGrid(canvas);
      items.push({ canvas, grid });
      if (!onUnit) continue;
      canvas.addEventListener("pointermove", (e) => {
        const cell = grid.cellAt(e);
        onUnit(name, f, cell ? cell.r : null, cell ? cell.c : null);
      });
      canvas.addEventListener("pointerleave", () => onUnit(name, f, null, null));
      canvas.addEventListener("focus", () => onUnit(name, f, 0, 0));
      canvas.addEventListener("blur", () => onUnit(name, f, null, null));
    }
  }

  function draw(t, scale = scaleFor(t.data, "diverging"), highlight = null) {
    const [count, h, w] = t.shape;
    shape = t.shape;
    build(count);
    const cell = fitCell(px, px, w, h, 2, 24);
    items.forEach(({ canvas, grid }, f) => {
      const highlights = highlight && highlight.f === f ? [{ r: highlight.r, c: highlight.c, h: 1, w: 1 }] : [];
      grid.draw({ rows: h, cols: w, cell, value: plane(t, f), scale, numbers: false, highlights });
      canvas.setAttribute("aria-label", `${title}, map ${f + 1} of ${count}: ${h} by ${w}`);
    });
  }

  return {
    draw,
    get shape() {
      return shape;
    },
    items: () => items,
  };
}

/** Ten labelled bars: values in [0, 1] shown as percentages; the largest is marked. */
export function mountBars(element, { labels, title, caption = (v) => `${fmt(v * 100, 1)}%` }) {
  element.classList.add("digits-bars");
  element.innerHTML =
    `<h4 class="digits-layer-title">${title}</h4><ol class="digits-bar-list">` +
    labels
      .map(
        (l) =>
          `<li><span class="digits-bar-label">${l}</span><span class="digits-bar"><span class="digits-bar-fill">` +
          `</span></span><span class="digits-bar-value"></span></li>`,
      )
      .join("") +
    "</ol>";
  const rows = [...element.querySelectorAll("li")];
  return {
    draw(values) {
      let best = 0;
      for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
      rows.forEach((li, i) => {
        const v = values[i];
        li.querySelector(".digits-bar-fill").style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
        li.querySelector(".digits-bar-value").textContent = caption(v);
        li.classList.toggle("best", i === best);
      });
      element.dataset.best = labels[best];
    },
  };
}

/** A 28×28 digit (uint8 0–255 or floats 0–1) on a canvas, ink dark on paper, as MNIST is usually shown. */
export function drawDigit(canvas, data, offset, cell, { max = 255, highlights = [] } = {}) {
  const grid = canvas._grid ?? (canvas._grid = createGrid(canvas));
  grid.draw({
    rows: 28,
    cols: 28,
    cell,
    value: (r, c) => max - data[offset + r * 28 + c],
    scale: GREY_0_TO[max] ?? (GREY_0_TO[max] = scaleFor([[0, max]], "grey")),
    numbers: false,
    highlights,
  });
  return grid;
}
const GREY_0_TO = {};

/**
 * The confusion matrix: a 10×10 table of buttons (row: the true digit, column: the predicted one).
 * onCell(truth, predicted) when a cell is pressed.
 */
export function mountConfusion(element, { classes, onCell }) {
  element.classList.add("digits-confusion");
  const head = classes.map((c) => `<th scope="col">${c}</th>`).join("");
  const body = classes
    .map(
      (t, i) =>
        `<tr><th scope="row">${t}</th>` +
        classes
          .map(
            (p, j) => `<td><button type="button" data-true="${i}" data-pred="${j}" class="digits-cell"></button></td>`,
          )
          .join("") +
        "</tr>",
    )
    .join("");
  element.innerHTML =
    `<table><caption>Rows: the true digit. Columns: what the network read. Press a cell to see its ` +
    `digits.</caption><thead><tr><th scope="col">true ↓ read →</th>${head}</tr>` +
    `</thead><tbody>${body}</tbody></table>`;
  element.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-true]");
    if (b) onCell(Number(b.dataset.true), Number(b.dataset.pred));
  });
  const cells = [...element.querySelectorAll("button[data-true]")];
  return {
    draw(confusion, chosen) {
      const n = classes.length;
      let top = 1;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (i !== j) top = Math.max(top, confusion.data[i * n + j]);
      cells.forEach((b) => {
        const i = Number(b.dataset.true);
        const j = Number(b.dataset.pred);
        const v = confusion.data[i * n + j];
        b.textContent = String(v);
        const right = i === j;
        // Right answers in blue by count out of 100; mistakes in orange by how common they are.
        const level = right ? v / 100 : v / top;
        b.style.setProperty("--level", String(Math.min(1, level)));
        b.classList.toggle("right", right);
        b.classList.toggle("wrong", !right && v > 0);
        b.setAttribute("aria-pressed", String(chosen?.[0] === i && chosen?.[1] === j));
        b.setAttribute("aria-label", `${v} test digits that are ${classes[i]} read as ${classes[j]}`);
      });
    },
  };
}
