// How numbers read on screen: short, with a real minus sign, no float32 noise
// (0.1f shows as 0.1, 44.99999 as 45). Formatting only: values come from the engine.

export function fmt(v, decimals = 2) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  let s;
  if (a !== 0 && (a >= 1e5 || a < 10 ** -decimals / 2)) s = v.toExponential(1);
  else s = String(Number(v.toFixed(a >= 1000 ? 0 : a >= 100 ? 1 : decimals)));
  if (s === "-0") s = "0";
  return s.replace(/-/g, "\u2212");
}

/** A number in a grid cell: fixed decimals, tiny values shown as 0 (the colour still differs). */
export function fmtCell(v, decimals = 2) {
  if (!Number.isFinite(v) || Math.abs(v) >= 1e5) return fmt(v, decimals);
  let s = String(Number(v.toFixed(Math.abs(v) >= 1000 ? 0 : Math.abs(v) >= 100 ? 1 : decimals)));
  if (s === "-0") s = "0";
  return s.replace(/-/g, "\u2212");
}

/** Parse what a person typed: accepts the real minus sign and a decimal comma. */
export function parseNumber(text) {
  const t = String(text)
    .trim()
    .replace(/\u2212/g, "-")
    .replace(",", ".");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return null;
  return Number(t);
}
