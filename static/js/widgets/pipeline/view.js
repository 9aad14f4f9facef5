// Layer pipeline, the drawing side: the stage cards in the row (one conv, act and pool card per
// block), each card's label, output shape, parameter count and formula from the engine's meta,
// its channels as an offset stack, and the expanded stage with every channel at a size a projector
// can read. It draws the last pipeline.run answer and nothing else; pipeline-widget.js owns the
// state and the requests, and hands this module a now() that returns {state, result}.

import { alertHtml } from "../../lib/alerts.js";
import { scaleFor } from "../../lib/colors.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { KINDS, controlsFor } from "./blocks.js";

const STACK_BOX = 100; // px: the front map of a card's stack
const READABLE_CELL = 34; // px: numbers at 17px in an expanded channel (grid.js prints from 28px)

export const shapeText = (shape) => shape.join(" × ");
export const plural = (n, word) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

function stageCard(i, choices) {
  const kind = KINDS[(i - 1) % 3];
  return `<li class="pl-card" data-stage="${i}" data-kind="${kind}">
    <div class="pl-arrow" aria-hidden="true"><span class="pl-op"></span><span class="pl-head">→</span></div>
    <div class="pl-box">
      <h3 class="pl-label" id="pl-label-${i}">Stage ${i}</h3>
      <p class="pl-shape" data-shape="${i}"></p>
      <p class="pl-params" data-params="${i}"></p>
      <button type="button" class="pl-stack" data-stack="${i}" aria-expanded="false" aria-controls="pl-open"></button>
      <p class="pl-formula" data-formula="${i}"></p>
      <p class="pl-note" data-note="${i}"></p>
      <div class="pl-controls">${controlsFor(kind, Math.ceil(i / 3), choices)}</div>
      ${alertHtml(`stage-${i}`)}
    </div></li>`;
}

/** The row's cards and the expanded stage; now() -> {state, result} is read at every draw. */
export function createPipelineView(element, row, choices, now) {
  const $ = (sel) => element.querySelector(sel);
  let built = 0; // blocks whose cards are in the row
  let hover = null; // {r, c} under the pointer in the expanded view
  let openGrids = [];
  const stacks = new Map(); // stage -> {count, grids}
  const stageMeta = (i) => now().result?.meta.stages[i - 1] ?? null;

  // Three cards per block: add the missing blocks' cards, remove the removed blocks' ones.
  function syncCards(blocks) {
    for (; built < blocks; built++)
      row.insertAdjacentHTML("beforeend", [1, 2, 3].map((j) => stageCard(3 * built + j, choices)).join(""));
    for (; built > blocks; built--) {
      for (let j = 0; j < 3; j++) {
        stacks.delete(3 * built - j);
        row.querySelector(`[data-stage="${3 * built - j}"]`).remove();
      }
    }
  }

  function renderCard(i) {
    const { state, result } = now();
    const card = row.querySelector(`[data-stage="${i}"]`);
    const m = stageMeta(i);
    card.querySelector(".pl-op").textContent = m?.op ?? "";
    card.querySelector(".pl-label").textContent = m?.label ?? `Stage ${i}`;
    card.querySelector(".pl-shape").textContent = m ? shapeText(m.shape) : "…";
    card.querySelector(".pl-params").textContent = m
      ? plural(m.params, "parameter") + (m.params_formula ? ` = ${m.params_formula}` : "")
      : "";
    const f = m?.formula;
    // The output-size formula; when it is not whole, the engine's sentence says it (with the formula) instead.
    card.querySelector(".pl-formula").textContent =
      !f || m.problem
        ? ""
        : f.height.formula === f.width.formula
          ? f.width.formula
          : `${f.height.formula} · ${f.width.formula}`;
    card.querySelector(".pl-note").textContent = m?.problem ? `Floored: ${m.problem}` : "";
    const button = card.querySelector(".pl-stack");
    const open = state.plOpen === i;
    button.setAttribute("aria-expanded", String(open));
    button.classList.toggle("open", open);
    const map = result?.maps[i]; // (C, H, W)
    if (!m || !map) {
      button.setAttribute("aria-label", `Stage ${i}: not computed yet`);
      return;
    }
    const [C, H, W] = map.shape;
    button.setAttribute(
      "aria-label",
      `Stage ${i} output: ${plural(C, "channel")} of ${H} × ${W}. ${
        open ? "Press to close" : "Press to show every " + "channel"
      }.`,
    );
    drawStack(i, button, map);
  }

  // The channels as an offset stack: channel 1 in front, the others peeking out behind it.
  function drawStack(i, button, map) {
    const [C, H, W] = map.shape;
    let stack = stacks.get(i);
    if (!stack || stack.count !== C) {
      const canvases = Array.from({ length: C }, () => document.createElement("canvas"));
      button.replaceChildren(...canvases.slice().reverse()); // the last channel first, so channel 1 is on top
      stack = { count: C, canvases, grids: canvases.map((c) => createGrid(c)) };
      stacks.set(i, stack);
    }
    const cell = fitCell(STACK_BOX, STACK_BOX, W, H, 2, 32);
    const step = C > 1 ? Math.max(3, Math.min(10, Math.floor(60 / (C - 1)))) : 0;
    const scale = scaleFor(map.data, "diverging"); // one scale per stage: its channels compare by colour
    stack.grids.forEach((grid, c) => {
      const plane = map.data.subarray(c * H * W, (c + 1) * H * W); // (H, W)
      grid.draw({
        rows: H,
        cols: W,
        cell,
        value: (r, cc) => plane[r * W + cc],
        scale,
        numbers: c === 0 ? undefined : false,
      });
      Object.assign(stack.canvases[c].style, { left: `${c * step}px`, top: `${(C - 1 - c) * step}px` });
    });
    button.style.width = `${W * cell + 1 + (C - 1) * step}px`;
    button.style.height = `${H * cell + 1 + (C - 1) * step}px`;
  }

  // The expanded stage: every channel side by side, as large as the width allows and large
  // enough for numbers when the maps are small.
  function renderOpen() {
    const { state, result } = now();
    const box = $(".pl-open");
    const i = state.plOpen;
    const m = i ? stageMeta(i) : null;
    const map = m && result.maps[i]; // (C, H, W)
    box.hidden = !map;
    if (!map) {
      openGrids = [];
      return;
    }
    const [C, H, W] = map.shape;
    $(".pl-open-title").textContent = `Stage ${i} · ${m.label} · ${shapeText(m.shape)} · every channel`;
    $(".pl-open-formula").textContent = m.formula ? `Output size: ${m.formula.width.formula}` : "";
    const holder = $(".pl-channels");
    if (holder.children.length !== C) {
      holder.replaceChildren(
        ...Array.from({ length: C }, (_, c) => {
          const fig = document.createElement("figure");
          fig.className = "pane";
          fig.innerHTML = `<figcaption>Channel ${c + 1}</figcaption><canvas class="grid-canvas hoverable"></canvas>`;
          return fig;
        }),
      );
      openGrids = Array.from(holder.querySelectorAll("canvas"), (canvas) => {
        const grid = createGrid(canvas);
        canvas.addEventListener("pointermove", (e) => showHover(grid.cellAt(e)));
        canvas.addEventListener("pointerleave", () => showHover(null));
        return grid;
      });
    }
    const gap = 16;
    const room = Math.max(200, holder.clientWidth || box.clientWidth);
    const want = W <= 12 ? READABLE_CELL : 8;
    let perRow = C;
    while (perRow > 1 && ((room + gap) / perRow - gap) / W < want) perRow--;
    const cell = Math.max(4, Math.min(56, Math.floor(((room + gap) / perRow - gap) / W), Math.floor(480 / H)));
    const scale = scaleFor(map.data, "diverging");
    const hl = hover && hover.r < H && hover.c < W ? [{ r: hover.r, c: hover.c, h: 1, w: 1 }] : [];
    openGrids.forEach((grid, c) => {
      const plane = map.data.subarray(c * H * W, (c + 1) * H * W); // (H, W)
      grid.draw({ rows: H, cols: W, cell, value: (r, cc) => plane[r * W + cc], scale, highlights: hl });
    });
  }

  // The same position in every channel: what one spot of the image looks like to each filter.
  function showHover(cell) {
    if (cell?.r === hover?.r && cell?.c === hover?.c) return;
    hover = cell;
    renderOpen();
  }

  /** The numbers printed in each expanded channel, row by row (for inspect()). */
  const openLabels = () =>
    openGrids.map((g) => {
      const { rows, cols } = g.layout;
      return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => g.label(r, c)));
    });

  return { syncCards, renderCard, renderOpen, openLabels };
}
