// The im2col widget's example inputs and filter banks: inputs, as a typed grid would be. Everything
// computed from them (the columns, the weight matrix, the product, the sizes) is the engine's.

const grid = (h, w, f) => Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => f(r, c)));

/** Named inputs, each a list of channels (rows of numbers); the chip shows `label`. */
export const IC_INPUTS = {
  small: { label: "3×3: 1…9", channels: [grid(3, 3, (r, c) => 3 * r + c + 1)] },
  ramp: { label: "4×4: 1…16", channels: [grid(4, 4, (r, c) => 4 * r + c + 1)] },
  edge: { label: "6×6 edge", channels: [grid(6, 6, (r, c) => (c < 3 ? 10 : 0))] },
  two: {
    label: "2 channels, 4×4",
    channels: [grid(4, 4, (r, c) => 4 * r + c + 1), grid(4, 4, (r, c) => ((r + c) % 2 ? -1 : 1))],
  },
  rgb: {
    label: "3 channels, 5×5",
    channels: [0, 1, 2].map((ch) => grid(5, 5, (r, c) => ((r * 5 + c * 3 + ch * 7) % 5) - 2)),
  },
  cross: { label: "8×8 X", channels: [grid(8, 8, (r, c) => (r === c || r + c === 7 ? 1 : 0))] },
};

const sign = (v) => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** Named filter banks: weight (o, c, a, b) of filter o, channel c, tap (a, b) of a k×k kernel. */
export const IC_FILTERS = {
  edges: {
    label: "Edges, box, centre",
    // Filter 1 a vertical edge, 2 a horizontal one, 3 a box of ones, 4 the centre tap alone.
    weight: (o, c, a, b, k) => {
      const mid = (k - 1) / 2;
      if (k === 1) return 1;
      if (o % 4 === 0) return sign(b - mid);
      if (o % 4 === 1) return sign(a - mid);
      if (o % 4 === 2) return 1;
      return a === Math.floor(mid) && b === Math.floor(mid) ? 1 : 0;
    },
  },
  mixed: { label: "Small integers", weight: (o, c, a, b) => ((o * 7 + c * 5 + a * 3 + b * 2 + 1) % 5) - 2 },
  ones: { label: "All ones", weight: () => 1 },
};

/** The weights of `filters` k×k filters over `channels` channels, (C_out, C_in, k, k) order, flat. */
export function filterValues(name, filters, channels, k) {
  const out = [];
  for (let o = 0; o < filters; o++)
    for (let c = 0; c < channels; c++)
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) out.push(IC_FILTERS[name].weight(o, c, a, b, k));
  return out;
}
