// Normalization widget, the pieces both modes share: the readouts' number format, the slider
// markup (the picture controls and the batch-norm γ/β knobs), and the MathML builders the two
// modes' formulas are made of. norm-widget.js mounts the widget; norm-lcn.js and norm-batch.js
// draw one mode each. Nothing here computes a value: it formats and lays out what the engine sent.

import { fmt } from "../../lib/format.js";

const MATHML = "http://www.w3.org/1998/Math/MathML";

// Readout numbers: 3 decimals, 4 below 0.1 (so 0.0088 / 0.1 = 0.088 reads right).
export const num = (v) => fmt(v, v !== 0 && Math.abs(v) < 0.1 ? 4 : 3);
export const par = (v) => (v < 0 ? `(${num(v)})` : num(v)); // a negative operand after −, × or +

export function slider(uid, key, label, attrs) {
  return `<div class="control" data-control="${key}">
      <div class="control-head"><label for="${uid}-${key}">${label}</label><output class="control-value" data-value="${key}"></output></div>
      <input type="range" id="${uid}-${key}" data-key="${key}" ${attrs}>
      <div class="range-ends"><span>${attrs.match(/min="([^"]+)"/)[1].replace("-", "\u2212")}</span><span>${attrs.match(/max="([^"]+)"/)[1]}</span></div>
      <p class="alert" data-alert="${key}" role="status" aria-live="polite"></p>
    </div>`;
}

export function m(tag, ...kids) {
  const node = document.createElementNS(MATHML, tag);
  for (const k of kids) node.append(typeof k === "string" ? document.createTextNode(k) : k);
  return node;
}
export const mi = (s) => m("mi", s);
export const mo = (s) => m("mo", s);
export const mn = (v) => m("mn", typeof v === "number" ? fmt(v, 3) : v);
export const sub = (a, b) => m("msub", mi(a), typeof b === "string" ? mi(b) : b);
export function block(...rows) {
  const math = m("math", m("mrow", ...rows));
  math.setAttribute("display", "block");
  return math;
}
export const sum = (idx) => m("munder", mo("\u2211"), mi(idx));
