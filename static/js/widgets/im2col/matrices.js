// The im2col widget's tables: small maps (the input's channels, the output's maps) and the matrix
// product laid out as it is computed by hand, the columns on top, the weight matrix at the left and
// the product under the columns, so each product cell has its row of weights on its left and its
// column above it. Cells are table cells (a screen reader reads them as a table; a test reads their
// text); every number is an engine value, written with format.js. The only arithmetic here is where
// a cell goes.

import { fmt } from "../../lib/format.js";

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

function cellHtml(v, scale, attrs, extra = "") {
  const style = `background-color:${scale.fill(v)};color:${scale.ink(v)}`;
  return `<td ${attrs} style="${style}"${extra}>${fmt(v)}</td>`;
}

/** A (rows × cols) plane of `data` at `offset` as a table; `attrs(r, c)` marks each cell. */
export function mapTable({ data, offset = 0, rows, cols, scale, caption, attrs, cls = "" }) {
  let html = `<table class="ic-map ${cls}"><caption>${esc(caption)}</caption><tbody>`;
  for (let r = 0; r < rows; r++) {
    html += "<tr>";
    for (let c = 0; c < cols; c++) html += cellHtml(data[offset + r * cols + c], scale, attrs(r, c));
    html += "</tr>";
  }
  return `${html}</tbody></table>`;
}

/**
 * The product laid out as it is computed: a CSS grid of cells, one label column then the matrices
 *   weight matrix (C_out × R), its columns named by the weight they hold
 *   ×  columns (R × L), each column headed by the output position of its window
 *   =  product (C_out × L), each column under the column it came from.
 * A product cell's row of weights is above, in the weight matrix; its column straight above it.
 */
export function productGrid({ meta, arrays, scales, outWidth }) {
  const [R, L] = meta.shapes.columns;
  const F = meta.shapes.weights[0];
  const taps = arrays.taps.data; // (R, 3)
  const many = meta.shapes.input[0] > 1;
  const tapName = (r) => `${many ? `ch${taps[3 * r]} ` : ""}(${taps[3 * r + 1]},${taps[3 * r + 2]})`;
  const posName = (l) => `(${Math.floor(l / outWidth)},${l % outWidth})`;
  const [cols, src, w, prod] = [arrays.columns.data, arrays.sources.data, arrays.weights.data, arrays.product.data];
  let row = 1;
  const parts = [];
  const at = (r, c, text, attrs = "", cls = "", style = "") =>
    parts.push(`<div class="ic-g ${cls}" style="grid-row:${r};grid-column:${c};${style}" ${attrs}>${text}</div>`);
  // A matrix's title row: the sign that joins it to the one above (×, =), its name and its shape; the text
  // stays at the left of the box while a wide product scrolls.
  const title = (sign, name, key) => {
    const shape = meta.formulas[key].split(" = ").pop();
    const mark = sign ? `<span class="ic-sign" aria-hidden="true">${sign}</span> ` : "";
    at(row++, `1 / span ${1 + Math.max(R, L)}`, `<span class="ic-title-text">${mark}${name} ` +
      `<span class="shape" data-shape="${key}">${shape}</span></span>`, "", "ic-title");
  };

  title("", "Weight matrix", "weights");
  for (let o = 0; o < F; o++, row++) {
    at(row, 1, `filter ${o + 1}`, `data-o="${o}"`, "ic-head ic-filter");
    for (let r = 0; r < R; r++) {
      const v = w[o * R + r];
      at(row, 2 + r, fmt(v), `data-o="${o}" data-r="${r}"`, "ic-cell ic-w", fill(scales.w, v));
    }
  }
  title("×", "Columns", "columns");
  for (let l = 0; l < L; l++)
    at(row, 2 + l, posName(l), `data-l="${l}" role="button" tabindex="-1" ` +
      `aria-label="window ${l + 1} of ${L}, output ${posName(l)}"`, "ic-head ic-colhead");
  row++;
  for (let r = 0; r < R; r++, row++) {
    at(row, 1, tapName(r), `data-r="${r}"`, "ic-head ic-rowhead");
    for (let l = 0; l < L; l++) {
      const v = cols[r * L + l];
      const from = src[r * L + l];
      const cls = `ic-cell ic-col${from < 0 ? " ic-pad" : ""}`;
      at(row, 2 + l, fmt(v), `data-l="${l}" data-r="${r}" data-src="${from}"`, cls, fill(scales.x, v));
    }
  }
  title("=", "Product", "product");
  for (let o = 0; o < F; o++, row++) {
    at(row, 1, `filter ${o + 1}`, `data-o="${o}"`, "ic-head ic-filter");
    for (let l = 0; l < L; l++) {
      const v = prod[o * L + l];
      at(row, 2 + l, fmt(v), `data-o="${o}" data-l="${l}"`, "ic-cell ic-prod", fill(scales.y, v));
    }
  }
  return `<div class="ic-gemm" aria-label="Weight matrix times columns equals product" role="group" ` +
    `style="--cells:${Math.max(R, L)}">${parts.join("")}</div>`;
}

const fill = (scale, v) => `background-color:${scale.fill(v)};color:${scale.ink(v)}`;

const SUB = "₀₁₂₃₄₅₆₇₈₉";
export const sub = (n) => String(n).replace(/\d/g, (d) => SUB[d]);
