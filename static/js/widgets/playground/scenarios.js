// The seeds' worked examples, one click each. These are setups (state patches), not
// math: the engine computes everything they show.

export const SCENARIOS = {
  // Seed 001: a 3×3 input and the 2×2 kernel [[0, 0.25], [0.5, 1]] in true convolution
  // (turned 180° before multiplying): 45, 110, 40, 40.
  seed001: {
    input: "seed001",
    channels: 1,
    kernelPreset: "custom",
    kernel: 2,
    filters: 1,
    kernelValues: Float32Array.from([0, 0.25, 0.5, 1]),
    bias: null,
    flip: true,
    stride: 1,
    padding: 0,
    dilation: 1,
    padMode: "zeros",
    filter: 0,
    step: -1, // an example opens on its whole output, not on the step shown before
  },
  // Seed 002: the 5×5×3 volume padded to 7×7×3, two 3×3×3 filters, biases 1 and 0,
  // stride 2, giving a 3×3×2 output.
  seed002: {
    input: "seed002",
    channels: 3,
    kernelPreset: "seed002",
    kernel: 3,
    filters: 2,
    bias: null,
    flip: false,
    stride: 2,
    padding: 1,
    dilation: 1,
    padMode: "zeros",
    filter: 0,
    step: -1, // an example opens on its whole output, not on the step shown before
  },
  // Seed 003: a 6×6 picture with a vertical edge and the [[1, 0, −1]]×3 edge filter.
  seed003: {
    input: "seed003",
    channels: 1,
    kernelPreset: "vertical_edge",
    kernel: 3,
    filters: 1,
    bias: null,
    flip: false,
    stride: 1,
    padding: 0,
    dilation: 1,
    padMode: "zeros",
    filter: 0,
    step: -1, // an example opens on its whole output, not on the step shown before
  },
};
