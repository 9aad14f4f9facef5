// Colour scales for grids. Signed values use a diverging purple–white–orange scale
// (ColorBrewer PuOr, safe for the common colour-vision deficiencies and in greyscale
// print): negative purple, zero near-white, positive orange-brown. Non-negative images
// use a sequential grey scale, black to white, so a photo looks like a photo.

const PUOR = ["#542788", "#998ec3", "#d8daeb", "#f7f7f7", "#fee0b6", "#f1a340", "#b35806"];
const GREY = ["#000000", "#ffffff"];
const LUT_SIZE = 256;

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function buildLut(stops) {
  const rgb = stops.map(hexToRgb);
  const lut = [];
  for (let i = 0; i < LUT_SIZE; i++) {
    const t = (i / (LUT_SIZE - 1)) * (rgb.length - 1);
    const j = Math.min(Math.floor(t), rgb.length - 2);
    const f = t - j;
    const c = rgb[j].map((a, k) => Math.round(a + (rgb[j + 1][k] - a) * f));
    lut.push({ css: `rgb(${c[0]},${c[1]},${c[2]})`, rgb: c, ink: inkFor(c) });
  }
  return lut;
}

// Text colour with the higher contrast on a cell: relative luminance per WCAG.
function inkFor([r, g, b]) {
  const lin = (v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const y = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return (y + 0.05) / 0.05 > 1.05 / (y + 0.05) ? "#111111" : "#ffffff";
}

const DIVERGING = buildLut(PUOR);
const SEQUENTIAL = buildLut(GREY);

/**
 * A scale for the values of one array (or a list of arrays): diverging when any value is negative, else grey.
 * `force` picks one ("diverging" | "grey"). Returns {kind, lo, hi, fill(v), ink(v)}.
 */
export function scaleFor(values, force = null) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const part of Array.isArray(values) ? values : [values]) {
    for (let i = 0; i < part.length; i++) {
      const v = part[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  const kind = force ?? (lo < 0 ? "diverging" : "grey");
  if (kind === "diverging") {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return makeScale(kind, -m, m, DIVERGING);
  }
  return makeScale(kind, Math.min(0, lo), hi > Math.min(0, lo) ? hi : Math.min(0, lo) + 1, SEQUENTIAL);
}

function makeScale(kind, lo, hi, lut) {
  const pick = (v) => lut[Math.max(0, Math.min(LUT_SIZE - 1, Math.round(((v - lo) / (hi - lo)) * (LUT_SIZE - 1))))];
  return {
    kind,
    lo,
    hi,
    fill: (v) => pick(v).css,
    rgb: (v) => pick(v).rgb,
    ink: (v) => pick(v).ink,
    stops: kind === "diverging" ? PUOR : GREY,
  };
}
