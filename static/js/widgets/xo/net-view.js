// One network's view of one input: a row per filter (the filter, its convolution map, the
// map after ReLU, the max-pooled map) and the class probabilities with the verdict in large
// type. The maps of a network share one diverging scale (zero is near-white), so a cell keeps
// its colour through ReLU and pooling and the negatives ReLU removes turn white.
// Used by the training widget (the chosen test example) and "Classify your own" (both nets).

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid, fitCell } from "../../lib/grid.js";
import { onWidthChange, presenterScale, roomWidth } from "../../lib/room.js";

const COLUMN_GAP = 14; // px between a row's maps (xo.css .xo-net-grid column-gap)
const FRAME = 36; // px of a view's border and padding inside a narrow widget (xo.css .xo-draw-net)

const STAGES = [
  { key: "conv", title: "Conv" },
  { key: "relu", title: "ReLU" },
  { key: "pool", title: "Max pool" },
];

/**
 * A probability or accuracy as a percentage ("97.3%"); the value is the engine's. Near the
 * ends it says "> 99.9%" rather than rounding to a certainty the network does not have.
 */
export function percent(p) {
  if (p === 1 || p === 0) return `${p * 100}%`;
  if (p > 0.999) return "> 99.9%";
  if (p < 0.001) return "< 0.1%";
  return `${fmt(p * 100, 1)}%`;
}

/**
 * mount(element, {title, filterPx, mapPx, fit}) -> {update(view), inspect()}
 * fit(natural): the factor for the maps' sizes, given the px the four maps of a row take at
 *   filterPx and mapPx; null (or no fit) for the default: 1, less when the widget is narrower.
 * view: {filters: Tensor (F, k, k), conv, relu: Tensor (F, H1, W1), pool: Tensor (F, H2, W2),
 *        probs: Tensor (2,), scores?: Tensor (2,), classes: ["X", "O"]}
 */
export function mountNetView(element, { title, filterPx = 96, mapPx = 120, name = "net", fit = null }) {
  element.classList.add("xo-net");
  element.innerHTML =
    `
    <h3 class="xo-net-title">${title}</h3>
    <div class="xo-net-body">
      <div class="xo-net-grid"></div>
      <div class="xo-verdict" role="status" aria-live="polite">
        <p class="xo-verdict-label"><span class="xo-big" data-verdict="label">–</span>
          <span class="xo-conf" data-verdict="confidence"></span></p>
        <table class="xo-probs"><thead><tr><th scope="col">class</th><th scope="col">probability</th><th ` +
    `scope="col" class="xo-score-col">score</th></tr></thead>
          <tbody></tbody></table>
      </div>
    </div>`;
  const gridBox = element.querySelector(".xo-net-grid");
  const probsBody = element.querySelector(".xo-probs tbody");
  let rows = []; // per filter: {filter, conv, relu, pool} grids
  let shown = null;

  function build(count) {
    if (rows.length === count) return;
    gridBox.replaceChildren();
    const head = ["Filter", ...STAGES.map((s) => s.title)];
    for (const text of head) {
      const cap = document.createElement("span");
      cap.className = "xo-cap";
      cap.textContent = text;
      gridBox.append(cap);
    }
    rows = [];
    for (let f = 0; f < count; f++) {
      const row = {};
      for (const key of ["filter", ...STAGES.map((s) => s.key)]) {
        const canvas = document.createElement("canvas");
        canvas.className = "grid-canvas";
        canvas.dataset.map = `${name}-${key}-${f}`;
        canvas.setAttribute("role", "img");
        gridBox.append(canvas);
        row[key] = { canvas, grid: createGrid(canvas) };
      }
      rows.push(row);
    }
  }

  // The four maps of a row share the width the view has: on a phone they shrink together
  // (the verdict goes under them, xo.css), never past the screen's edge.
  // Measured on the widget (a size container), not on the view, whose width follows its maps.
  const room = element.closest(".widget") ?? element.parentElement;
  // Presenting, they grow with the type (up to presenter mode's scale) as far as the width allows.
  function shrink() {
    const natural = filterPx + 3 * mapPx + 3 * COLUMN_GAP + 4;
    return fit?.(natural) ?? Math.min(presenterScale(), (roomWidth(room, natural + FRAME) - FRAME) / natural);
  }

  function drawMap(target, tensor, f, px, scale, label) {
    const [, h, w] = tensor.shape;
    const plane = h * w;
    const data = tensor.data;
    const cell = fitCell(px, px, w, h, 4, 64);
    target.grid.draw({ rows: h, cols: w, cell, value: (r, c) => data[f * plane + r * w + c], scale });
    target.canvas.setAttribute("aria-label", `${label}, filter ${f + 1}: ${h} by ${w}`);
  }

  function update(view) {
    shown = view;
    const { filters, conv, relu, pool } = view;
    const count = filters.shape[0];
    build(count);
    const filterScale = scaleFor(filters.data, "diverging");
    const mapScale = scaleFor(conv.data, "diverging"); // ReLU and pooling keep or drop conv's values: one scale
    const k = shrink();
    rows.forEach((row, f) => {
      drawMap(row.filter, filters, f, filterPx * k, filterScale, "Filter");
      drawMap(row.conv, conv, f, mapPx * k, mapScale, "Convolution map");
      drawMap(row.relu, relu, f, mapPx * k, mapScale, "After ReLU");
      drawMap(row.pool, pool, f, mapPx * k, mapScale, "After max pooling");
    });
    renderVerdict(view);
  }

  function renderVerdict({ probs, scores, classes }) {
    const p = probs.data;
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    element.querySelector('[data-verdict="label"]').textContent = classes[best];
    element.querySelector('[data-verdict="confidence"]').textContent = percent(p[best]);
    element.dataset.label = classes[best];
    element.classList.toggle("has-scores", Boolean(scores));
    if (probsBody.rows.length !== classes.length) {
      probsBody.replaceChildren(
        ...classes.map(() => {
          const tr = document.createElement("tr");
          tr.innerHTML =
            `<th scope="row"></th><td><span class="xo-bar"><span ` +
            `class="xo-bar-fill"></span></span><span class="xo-p"></span></td><td class="xo-score-col"></td>`;
          return tr;
        }),
      );
    }
    classes.forEach((name, i) => {
      const tr = probsBody.rows[i];
      tr.cells[0].textContent = name;
      tr.querySelector(".xo-bar-fill").style.width = `${Math.max(0, Math.min(1, p[i])) * 100}%`;
      tr.querySelector(".xo-p").textContent = fmt(p[i], 3);
      tr.cells[2].textContent = scores ? fmt(scores.data[i], 2) : "";
      tr.classList.toggle("best", i === best);
    });
  }

  onWidthChange(room, () => shown && update(shown)); // lives as long as the widget

  return {
    update,
    inspect: () =>
      shown && {
        label: element.dataset.label,
        probs: Array.from(shown.probs.data),
        scores: shown.scores ? Array.from(shown.scores.data) : null,
        filters: Array.from(shown.filters.data),
        shapes: { filters: shown.filters.shape, conv: shown.conv.shape, pool: shown.pool.shape },
      },
  };
}
