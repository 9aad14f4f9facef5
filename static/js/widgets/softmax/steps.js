// The softmax widget's table of steps, one row per class and one column per step, every number
// from the engine's answer (softmax.run): z, z/T when T is not 1, z − max, e^(z − max), p = e/Σ,
// the target when labels are smoothed, and ∂L/∂z with its sign and the way a gradient step moves
// that logit. Under it, the loss written with its numbers, the log-sum-exp form, ln C and the guess.

import { fmt } from "../../lib/format.js";

const DECIMALS = 3;
const num = (v) => fmt(v, DECIMALS);
const signed = (v) => (v > 0 ? `+${num(v)}` : num(v)); // fmt writes the minus sign itself

/** The columns shown for this answer: [key, heading HTML]. */
function columns(meta) {
  const scaled = meta.temperature !== 1;
  const z = scaled ? "z/T" : "z";
  return [
    ["logits", "z"],
    ...(scaled ? [["scaled", "z/T"]] : []),
    ["shifted", `${z} − max`],
    ["exps", `e<sup>${z} − max</sup>`],
    ["probs", "p = e/Σ"],
    ...(meta.smoothing > 0 ? [["target", "target"]] : []),
    ["grad", scaled || meta.smoothing > 0 ? "∂L/∂z" : "∂L/∂z = p − y"],
  ];
}

/** The table's HTML (built as text: every name is the server's, set with textContent below). */
function tableHtml(meta, cols) {
  const head = cols.map(([key, h]) => `<th scope="col" data-col="${key}">${h}</th>`).join("");
  const rows = meta.names
    .map(
      (_, i) =>
        `<tr data-row="${i}"${i === meta.label ? ' class="true-class"' : ""}><th scope="row"></th>` +
        cols.map(([key]) => `<td data-col="${key}"></td>`).join("") +
        "</tr>",
    )
    .join("");
  const sum = cols.map(([key]) => `<td data-sum="${key}"></td>`).join("");
  return (
    `<table class="sm-table"><caption class="visually-hidden">Softmax and cross-entropy, step by step</caption>` +
    `<thead><tr><th scope="col">class</th>${head}</tr></thead><tbody>${rows}</tbody>` +
    `<tfoot><tr><th scope="row">Σ</th>${sum}</tr></tfoot></table>`
  );
}

/** Light the row of class `i` (the bar pointed at or focused); null: none. */
export function markRow(element, i) {
  for (const tr of element.querySelectorAll("tbody tr")) tr.classList.toggle("sm-mark", Number(tr.dataset.row) === i);
}

/** Draw the steps of `answer` ({meta, arrays}) into `element` (the table) and `notes` (the lines under it). */
export function drawSteps(element, notes, { meta, arrays }) {
  const cols = columns(meta);
  const key = cols.map(([k]) => k).join(",") + `|${meta.classes}|${meta.label}`;
  if (element.dataset.layout !== key) {
    element.innerHTML = tableHtml(meta, cols);
    element.dataset.layout = key;
  }
  const rows = element.querySelectorAll("tbody tr");
  rows.forEach((tr, i) => {
    tr.querySelector("th").textContent = i === meta.label ? `${meta.names[i]} ✓` : meta.names[i];
    for (const [col] of cols) {
      const v = arrays[col].data[i];
      const cell = tr.querySelector(`td[data-col="${col}"]`);
      if (col === "grad") {
        cell.textContent = `${signed(v)} ${v < 0 ? "▲" : v > 0 ? "▼" : ""}`.trim();
        cell.title = v < 0 ? "a gradient step raises this logit" : v > 0 ? "a gradient step lowers it" : "";
      } else cell.textContent = num(v);
    }
  });
  element.querySelector('td[data-sum="exps"]').textContent = num(meta.total);

  const y = meta.label;
  const c = meta.classes;
  const name = meta.names[y];
  const py = arrays.probs.data[y];
  const zy = arrays.scaled.data[y];
  const lines = notes.querySelectorAll("[data-note]");
  const byName = Object.fromEntries([...lines].map((p) => [p.dataset.note, p]));
  byName.loss.textContent =
    meta.smoothing > 0
      ? `L = −Σ t·ln p = ${num(meta.loss)} (label smoothing ε = ${fmt(meta.smoothing)})`
      : `L = −ln p(${name}) = −ln ${num(py)} = ${num(meta.loss)}`;
  // −ln p_y from the log-sum-exp form, never through p (which can round to 0): the engine's ln p.
  const z = meta.temperature !== 1 ? "z/T" : "z";
  byName.lse.textContent =
    `−ln p(${name}) without p: ln Σ e^${meta.temperature !== 1 ? "(z/T)" : "z"} − ${z}(${name}) = ` +
    `${num(meta.logsumexp)} − ${num(zy)} = ${num(-arrays.log_probs.data[y])}`;
  byName.uniform.textContent = `An equal guess over ${c} classes: ln ${c} = ${num(meta.loss_uniform)}`;
  const guess = meta.names[meta.predicted];
  const tie = meta.top.length > 1;
  const p = num(arrays.probs.data[meta.predicted]);
  byName.guess.textContent = tie
    ? `No prediction: ${meta.top.length === c ? `all ${c} classes` : meta.top.map((i) => meta.names[i]).join(", ")}` +
      ` tie at p = ${p}`
    : `Predicted: ${guess} (p = ${p})` + (meta.predicted === y ? ", right" : `, but the true class is ${name}`);
  byName.guess.classList.toggle("wrong", !tie && meta.predicted !== y);
}
