// What each backprop mode asks the engine and how one of its steps reads. `load` sends
// the requests (PROTOCOL.md: backward.run/.trace, conv.run/.trace, pool.*, activation.backward)
// and keeps the answers; `describe` (backprop-steps.js) turns one step of them into panes
// and written arithmetic. The example grids below are inputs, like a typed kernel: every
// value derived from them comes back from the engine.

const MAX_STEPS = 4096; // the protocol's page size; a count past the last step stops there

// Seed 002 draws the backward pass in symbols only (X₁₁…X₃₃, ∂h₁₁…∂h₂₂); these small
// integers are our example numbers for it, chosen so the four ∂L/∂F cells all differ.
const CONV = {
  x: { rows: 3, cols: 3, values: [1, 2, 0, 3, 1, 2, 0, 4, 1] },
  f: { rows: 2, cols: 2, values: [1, -1, 2, 1] },
};
// One clear maximum in every 2×2 window, so each window has a single winner.
const POOL = { x: { rows: 4, cols: 4, values: [1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 7, 2, 3, 2, 1, 6] }, window: 2 };
// Negative, positive and exactly zero values: ReLU's gradient at 0 is 0, as in PyTorch.
const RELU = { x: { rows: 4, cols: 4, values: [-2, 1, 0, 3, 4, -1, 2, 0, -3, 0, 1, -2, 2, -4, 3, 1] } };

/** The upstream gradient each group starts from ("Example"); its shape is the layer's output. */
export const EXAMPLES = {
  conv: { rows: 2, cols: 2, values: [2, -1, 1, 3] },
  pool: { rows: 2, cols: 2, values: [4, -2, 1, 8] },
  relu: { rows: 4, cols: 4, values: [1, 2, -1, 3, -2, 1, 4, 2, 3, -1, 2, 1, 2, 5, -3, 4] },
};

export const MODES = {
  dw: { label: "Convolution: dL/dW", group: "conv", load: loadWeights },
  dx: { label: "Convolution: dL/dX", group: "conv", load: loadInput },
  bias: { label: "Bias", group: "conv", load: loadBias },
  max: { label: "Max pool", group: "pool", load: (s, up) => loadPool(s, up, "max") },
  avg: { label: "Average pool", group: "pool", load: (s, up) => loadPool(s, up, "avg") },
  relu: { label: "ReLU", group: "relu", load: loadRelu },
};

export const NOTES = {
  conv: "Seed 002 draws this backward pass in symbols only: the numbers in X, F and ∂h are example numbers.",
  pool: "Example numbers: a 4 × 4 map with one clear maximum in each 2 × 2 window (stride 2).",
  relu: "Example numbers, with exact zeros: ReLU passes no gradient at x = 0, as in PyTorch.",
};

const inputGrid = (g) => ({ channels: 1, height: g.rows, width: g.cols, values: Array.from(g.values) });
/** The last two axes of an engine array as a grid we keep (a copy: the frame's buffer is shared). */
const grid = (t) => ({ rows: t.shape.at(-2) ?? 1, cols: t.shape.at(-1), values: Float32Array.from(t.data) });
const own = (g) => ({ rows: g.rows, cols: g.cols, values: Float32Array.from(g.values) });

function convParams() {
  return {
    input: inputGrid(CONV.x),
    kernels: { filters: 1, height: CONV.f.rows, width: CONV.f.cols, values: CONV.f.values },
  };
}

async function loadWeights(socket, up) {
  const base = convParams();
  const upstream = { values: Array.from(up.values) };
  const [forward, back, trace] = await Promise.all([
    socket.request("conv.run", base),
    socket.request("backward.run", { ...base, upstream }),
    socket.request("backward.trace", { ...base, upstream, which: "weights", count: MAX_STEPS }),
  ]);
  return {
    total: trace.meta.steps_total,
    grids: {
      X: own(CONV.x),
      F: own(CONV.f),
      O: grid(forward.arrays.output),
      up: own(up),
      dF: grid(back.arrays.grad_weights),
    },
    trace: trace.arrays,
  };
}

// dL/dX is the full convolution of ∂h with F turned 180°: the engine runs exactly that
// (conv.run with flip on ∂h padded by the kernel size − 1), so the page can show the padded
// ∂h and the turned kernel as the engine multiplied them, beside backward.run's own dL/dX.
async function loadInput(socket, up) {
  const base = convParams();
  const upstream = { values: Array.from(up.values) };
  const [kh, kw] = [CONV.f.rows - 1, CONV.f.cols - 1];
  const full = { input: inputGrid(up), kernels: base.kernels, padding: [kh, kh, kw, kw], flip: true };
  const [back, trace, conv, steps] = await Promise.all([
    socket.request("backward.run", { ...base, upstream }),
    socket.request("backward.trace", { ...base, upstream, which: "input", count: MAX_STEPS }),
    socket.request("conv.run", full),
    socket.request("conv.trace", { ...full, count: MAX_STEPS }),
  ]);
  return {
    total: trace.meta.steps_total,
    pad: { top: kh, bottom: kh, left: kw, right: kw },
    grids: {
      F: own(CONV.f),
      R: grid(conv.arrays.weights),
      P: grid(conv.arrays.padded),
      up: own(up),
      dX: grid(back.arrays.grad_input),
      full: grid(conv.arrays.output),
    },
    trace: trace.arrays,
    slides: steps.arrays,
  };
}

async function loadBias(socket, up) {
  const base = convParams();
  const [forward, back] = await Promise.all([
    socket.request("conv.run", base),
    socket.request("backward.run", { ...base, upstream: { values: Array.from(up.values) } }),
  ]);
  const [, oh, ow] = forward.meta.output_shape;
  return {
    total: oh * ow, // one step per ∂h cell added
    grids: {
      O: grid(forward.arrays.output),
      up: own(up),
      dB: { rows: 1, cols: 1, values: Float32Array.from(back.arrays.grad_bias.data) },
    },
  };
}

async function loadPool(socket, up, mode) {
  const params = {
    input: inputGrid(POOL.x),
    mode,
    kernel: [POOL.window, POOL.window],
    stride: [POOL.window, POOL.window],
  };
  const [forward, trace, back] = await Promise.all([
    socket.request("pool.run", params),
    socket.request("pool.trace", { ...params, count: MAX_STEPS }),
    socket.request("pool.backward", { ...params, upstream: { values: Array.from(up.values) } }),
  ]);
  return {
    total: trace.meta.steps_total,
    grids: { x: own(POOL.x), y: grid(forward.arrays.output), up: own(up), dx: grid(back.arrays.grad_input) },
    trace: trace.arrays,
  };
}

async function loadRelu(socket, up) {
  const a = await socket.request("activation.backward", {
    input: inputGrid(RELU.x),
    name: "relu",
    upstream: { values: Array.from(up.values) },
  });
  return {
    total: a.arrays.grad.size,
    grids: {
      x: own(RELU.x),
      mask: grid(a.arrays.derivative),
      up: own(up),
      dx: grid(a.arrays.grad),
      y: grid(a.arrays.output),
    },
  };
}
