// A network's layer table as arch.table sends it: per row the layer in words, its output (C × H × W),
// the input patch it sees, its parameters with their share of all and their formula, a freeze box.
// Runs of identical blocks (the server's folds: ResNet-152's layer3.1 to layer3.35) show as one row
// "× 35" that opens into its rows. In a narrow box (a phone, a lesson column) each row becomes a small
// card instead of a row of columns, so nothing scrolls sideways (architecture.css).

export const group = (n) => n.toLocaleString("en-US");
export const shapeText = (shape) => shape.map(group).join(" × ");
export const percent = (share) =>
  share === 0 ? "" : share < 0.001 ? "<0.1%" : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
const sees = (f) => (f ? `${group(f)}×${group(f)}` : "all");

/** A row's part of all the parameters: a bar and its percentage (inside the parameters cell). */
function shareHtml(share, label = "") {
  return (
    `<span class="ar-share"><span class="ar-bar" aria-hidden="true"><span ` +
    `style="width:${(100 * share).toFixed(2)}%"></span></span>` +
    `<span class="ar-pct">${percent(share) || "0%"}${label}</span></span>`
  );
}

/** A framework's name, free to break after its dots and underscores (block14_sepconv1_bn) in a narrow cell. */
const breakable = (name) => name.replace(/([._])/g, "$1<wbr>");

function rowHtml(row, i, { freeze, field, share, drawn }) {
  // A block's name opens its diagram (data-block); the name stays the cell's whole text.
  const current = i === drawn ? ' aria-current="true"' : "";
  const name = row.block
    ? `<button type="button" class="ar-open" data-block="${i}"${current} title="Draw ${row.name} as a diagram">` +
      `${breakable(row.name)}</button>`
    : breakable(row.name);
  const freezeBox = row.params
    ? `<input type="checkbox" data-row="${i}" aria-label="Freeze ${row.name}" ${row.frozen ? "checked" : ""}>`
    : "";
  return (
    `<th scope="row" role="rowheader" class="ar-name">${name}</th>` +
    `<td class="what" role="cell">${row.layer}</td>` +
    outCell(shapeText(row.shape), field ? sees(row.receptive_field) : null) +
    `<td class="num params-cell" role="cell"><span class="params">${group(row.params)}</span>` +
    (share && row.params ? shareHtml(row.share) : "") +
    (row.formula ? `<span class="formula-cell">${row.formula}</span>` : "") +
    `</td>` +
    (freeze ? `<td class="freeze" role="cell">${freezeBox}</td>` : "")
  );
}

/** A row's output shape, and under it the side of the input patch one of its outputs sees. */
function outCell(shape, seen) {
  const reach = seen === null ? "" : `<span class="sees">${seen}</span>`;
  return `<td class="num out-cell" role="cell"><span class="shape-cell">${shape}</span>${reach}</td>`;
}

/** The summary row of a fold: the run's first and last names, the count, one block's numbers. */
function foldHtml(rows, { start, count }, open, { freeze, field, share }) {
  const first = rows[start];
  const last = rows[start + count - 1];
  const reach = field ? `${sees(first.receptive_field)} → ${sees(last.receptive_field)}` : null;
  return (
    `<th scope="row" role="rowheader" class="ar-name"><button type="button" class="ar-fold-toggle" ` +
    `data-fold="${start}" aria-expanded="${open}">${breakable(first.name)} – ${breakable(last.name)}</button></th>` +
    `<td class="what" role="cell"><b class="ar-times">× ${count}</b> ${first.layer}</td>` +
    outCell(shapeText(first.shape), reach) +
    `<td class="num params-cell" role="cell"><span class="params">${group(first.params)} each</span>` +
    (share ? shareHtml(first.share, " each") : "") +
    `</td>` +
    (freeze ? `<td class="freeze" role="cell"></td>` : "")
  );
}

/**
 * The table element. `folds` [{start, count}] and `open` (a Set of fold starts shown opened) fold runs
 * of rows; `largest` marks the row holding the most parameters, `drawn` the block the diagram shows.
 */
export function layerTable(
  rows,
  { freeze = false, largest = null, field = true, share = true, folds = [], open, drawn = null } = {},
) {
  const el = document.createElement("table");
  el.className = "ar-table";
  el.setAttribute("role", "table");
  const head = (text, cls = "") => `<th scope="col" role="columnheader"${cls ? ` class="${cls}"` : ""}>${text}</th>`;
  el.innerHTML =
    `<thead><tr role="row">${head("Layer")}${head("What it does")}${head(field ? "Output, sees" : "Output", "num")}` +
    `${head(share ? "Parameters, share" : "Parameters", "num")}` +
    `${freeze ? head("Freeze", "freeze") : ""}</tr></thead><tbody></tbody>`;
  const body = el.querySelector("tbody");
  const foldAt = new Map(folds.map((f) => [f.start, f]));
  let foldEnd = -1; // the last row of the fold being drawn
  let closed = false; // its rows stay in the table, hidden, while it is closed
  const opts = { freeze, field, share, drawn };
  rows.forEach((row, i) => {
    const fold = foldAt.get(i);
    if (fold) {
      closed = !open?.has(i);
      foldEnd = i + fold.count - 1;
      const tr = document.createElement("tr");
      tr.className = "ar-fold";
      tr.setAttribute("role", "row");
      tr.innerHTML = foldHtml(rows, fold, !closed, opts);
      body.append(tr);
    }
    const tr = document.createElement("tr");
    tr.dataset.kind = row.kind;
    tr.dataset.index = i;
    tr.setAttribute("role", "row");
    tr.classList.toggle("largest", row.name === largest);
    tr.classList.toggle("frozen", row.frozen);
    tr.classList.toggle("in-fold", i <= foldEnd);
    tr.hidden = i <= foldEnd && closed;
    tr.innerHTML = rowHtml(row, i, opts);
    body.append(tr);
  });
  return el;
}
