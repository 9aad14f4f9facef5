// Normalization widget, the pieces both modes share: the readouts' number format, the slider
// markup (the picture controls and the batch-norm γ/β knobs), and the MathML builders the two
// modes' formulas are made of. norm-widget.js mounts the widget; norm-lcn.js and norm-batch.js
// draw one mode each. Nothing here computes a value: it formats and lays out what the engine sent.

import { fmt } from "../../lib/format.js";
import * as mathml from "../../lib/mathml.js";
import { slider as rangeSlider } from "../../lib/slider.js";

// Readout numbers: 3 decimals, 4 below 0.1 (so 0.0088 / 0.1 = 0.088 reads right).
export const num = (v) => fmt(v, v !== 0 && Math.abs(v) < 0.1 ? 4 : 3);
export const par = (v) => (v < 0 ? `(${num(v)})` : num(v)); // a negative operand after −, × or +

export function slider(uid, key, label, attrs) {
  const [min, max] = ["min", "max"].map((end) => attrs.match(new RegExp(`${end}="([^"]+)"`))[1]);
  return rangeSlider({
    id: `${uid}-${key}`,
    control: key,
    label,
    input: `data-key="${key}" ${attrs}`,
    output: `data-value="${key}"`,
    ends: [min.replace("-", "\u2212"), max],
  });
}

export { m, mi, mo, sub } from "../../lib/mathml.js";
export const mn = (v) => mathml.mn(typeof v === "number" ? fmt(v, 3) : v);
export const block = (...rows) => mathml.math(rows, { block: true });
export const sum = (idx) => mathml.m("munder", mathml.mo("\u2211"), mathml.mi(idx));
