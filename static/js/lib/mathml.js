// MathML built as DOM nodes (Chromium, Firefox and Safari render it natively), and the one
// output-size formula every widget writes with the engine's numbers substituted.

const MATHML = "http://www.w3.org/1998/Math/MathML";

/** An element `tag` holding `kids` (strings become text). */
export function m(tag, ...kids) {
  const node = document.createElementNS(MATHML, tag);
  for (const k of kids) node.append(typeof k === "string" ? document.createTextNode(k) : k);
  return node;
}
export const mi = (s) => m("mi", s);
export const mo = (s) => m("mo", s);
export const mn = (v) => m("mn", String(v));
/** base with a subscript; a string subscript is an identifier. */
export const sub = (base, index) => m("msub", mi(base), typeof index === "string" ? mi(index) : index);

/**
 * A <math> of `rows`. block: on a line of its own; displaystyle: fractions keep their numbers
 * full size instead of shrinking them.
 */
export function math(rows, { block = false, displaystyle = false } = {}) {
  const node = m("math", m("mrow", ...rows));
  if (block) node.setAttribute("display", "block");
  if (displaystyle) node.setAttribute("displaystyle", "true");
  return node;
}

/**
 * One axis's output size written out: [lhs =] symbolic/stride + 1 = numeric/s + 1 = size. `axis`
 * is the engine's (meta.axes: s, whole, size, formula); the size is written as the engine wrote
 * it, marked when it is not whole. `symbolic` and `numeric` are the numerator's terms.
 */
export function outputSize(axis, { lhs = null, symbolic, numeric, stride, ...style }) {
  const value = mn(axis.whole ? axis.size : axis.formula.split("=").pop().trim());
  if (!axis.whole) value.setAttribute("class", "not-whole");
  const fraction = (terms, under) => [m("mfrac", m("mrow", ...terms), under), mo("+"), mn(1)];
  const rows = [...fraction(symbolic, stride), mo("="), ...fraction(numeric, mn(axis.s)), mo("="), value];
  return math(lhs ? [lhs, mo("="), ...rows] : rows, style);
}
