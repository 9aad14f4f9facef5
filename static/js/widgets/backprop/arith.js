// The written arithmetic of one backprop step, and each mode's rule in MathML. A line is a
// list of parts: text, a symbol with its subscript ({sym, sub}: "X₁₂", written X<sub>12</sub>
// so it reads "X12" as text), a number ({num}: an engine value, formatted only) or a term
// ({term: parts, pending}) that the animation reveals. Nothing here computes a value.

import { m, math, mi, mo, sub } from "../../lib/mathml.js";
import { fmt } from "../../lib/format.js";

export const sym = (name, sub) => ({ sym: name, sub: String(sub) });
/** An engine number; `factor` brackets a negative one ("2·(−1)", not "2·−1"). */
export const num = (v, factor = false) => ({ num: v, factor });
export const pos = (r, c) => `${r + 1}${c + 1}`; // 0-based engine index -> the seed's 1-based subscript

/**
 * `lead` term + term + … = `tail`: the first `shown` terms are written, the rest wait
 * (pending), and the tail (the result) lands when `done`, as in the forward pass's arithmetic.
 */
export function sumLine(lead, terms, tail, { shown = terms.length, done = true } = {}) {
  const parts = [...lead];
  terms.forEach((t, i) => {
    if (i > 0) parts.push(" + ");
    parts.push({ term: t, pending: i >= shown });
  });
  if (tail) parts.push(" = ", { term: tail, pending: !done, result: true });
  return parts;
}

function node(part) {
  if (typeof part === "string") return document.createTextNode(part);
  if (part.sym !== undefined) {
    const s = document.createElement("span");
    s.className = "bp-sym";
    const sub = document.createElement("sub");
    sub.textContent = part.sub;
    s.append(part.sym, sub);
    return s;
  }
  if (part.num !== undefined) {
    const text = fmt(part.num, 3);
    return document.createTextNode(part.factor && part.num < 0 ? `(${text})` : text);
  }
  const s = document.createElement("span");
  s.className = `bp-term${part.pending ? " pending" : ""}${part.result ? " bp-result" : ""}`;
  s.append(...part.term.map(node));
  return s;
}

/** Draw `lines` ([{kind, parts}]) into `box`; returns the lines' texts (for tests). */
export function drawLines(box, lines) {
  box.replaceChildren(
    ...lines.map(({ kind, parts }) => {
      const p = document.createElement("p");
      p.className = `bp-line ${kind ?? ""}`;
      p.dataset.kind = kind ?? "";
      p.append(...parts.map(node));
      return p;
    }),
  );
  return [...box.children].map((p) => p.textContent);
}

// ------------------------------------------------------------------ rules in MathML

const msub = sub;
const d = (top, bottom) => m("mfrac", m("mrow", mo("∂"), top), m("mrow", mo("∂"), bottom)); // ∂top/∂bottom

const RULES = {
  dw: () => [
    d(mi("L"), msub("F", "ij")),
    mo("="),
    m("munder", mo("∑"), m("mrow", mi("m"), mo(","), mi("n"))),
    m(
      "msub",
      mi("X"),
      m(
        "mrow",
        mi("i"),
        mo("+"),
        mi("m"),
        mo("−"),
        m("mn", "1"),
        mo(","),
        mi("j"),
        mo("+"),
        mi("n"),
        mo("−"),
        m("mn", "1"),
      ),
    ),
    mo("·"),
    msub("∂h", "mn"),
  ],
  dx: () => [d(mi("L"), mi("X")), mo("="), mi("∂h"), mo("∗"), m("msup", mi("F"), m("mn", "180°"))],
  bias: () => [
    d(mi("L"), mi("b")),
    mo("="),
    m("munder", mo("∑"), m("mrow", mi("m"), mo(","), mi("n"))),
    msub("∂h", "mn"),
  ],
  max: () => [
    d(mi("L"), msub("x", "ij")),
    mo("="),
    msub("∂h", "window"),
    mo("·"),
    mo("["),
    msub("x", "ij"),
    mo("="),
    mi("max"),
    mo("]"),
  ],
  avg: () => [
    d(mi("L"), msub("x", "ij")),
    mo("="),
    msub("∂h", "window"),
    mo("·"),
    m("mfrac", m("mn", "1"), m("msup", mi("m"), m("mn", "2"))),
  ],
  relu: () => [
    d(mi("L"), msub("x", "ij")),
    mo("="),
    msub("∂h", "ij"),
    mo("·"),
    mo("["),
    msub("x", "ij"),
    mo(">"),
    m("mn", "0"),
    mo("]"),
  ],
};

/** The mode's rule as a display formula. */
export function ruleMath(mode) {
  return math(RULES[mode](), { block: true, displaystyle: true });
}
