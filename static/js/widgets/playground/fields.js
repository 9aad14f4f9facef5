// The playground's settings: one declarative table (lib/state.js reads and writes it to the
// URL, so every setup is a link). The preset names and the padding modes are the server's
// (its request schemas); the bounds named by a string ("size", "kernel", …) are its limits.

import { field, names } from "../../lib/schema.js";

// Playback speeds the transport offers (a UI choice: the server never sees them).
export const SPEEDS = [0.25, 0.5, 1, 2, 4];

export const inputPresets = (context) => names(field(context.schemas, "input.preset", "name"));
export const kernelPresets = (context) => names(field(context.schemas, "kernel.preset", "name"));
export const padModes = (context) => names(field(context.schemas, "conv.run", "pad_mode"));

// key: name in code; url: name in the link; def: default. Arrays ("floats") are written
// only when the user edited them (input "custom", kernel "custom", bias edited).
export function fields(context) {
  return [
    { key: "input", url: "in", type: "enum", options: [...inputPresets(context), "custom"], def: "x" },
    { key: "height", url: "h", type: "int", min: 1, max: "size", def: 7 },
    { key: "width", url: "w", type: "int", min: 1, max: "size", def: 7 },
    { key: "channels", url: "c", type: "int", min: 1, max: "channels", def: 1 },
    { key: "seed", url: "seed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    {
      key: "kernelPreset",
      url: "kp",
      type: "enum",
      options: [...kernelPresets(context), "custom"],
      def: "diagonal_down",
    },
    { key: "kernel", url: "k", type: "int", min: 1, max: "kernel", def: 3 },
    { key: "filters", url: "f", type: "int", min: 1, max: "filters", def: 1 },
    { key: "stride", url: "s", type: "int", min: 1, max: "stride", def: 1 },
    { key: "padding", url: "p", type: "int", min: 0, max: "padding", def: 0 },
    { key: "dilation", url: "d", type: "int", min: 1, max: "dilation", def: 1 },
    { key: "flip", url: "flip", type: "bool", def: false },
    { key: "padMode", url: "pm", type: "enum", options: padModes(context), def: "zeros" },
    { key: "inputValues", url: "x", type: "floats", def: null },
    { key: "kernelValues", url: "kv", type: "floats", def: null },
    { key: "bias", url: "b", type: "list", def: null },
    { key: "filter", url: "sf", type: "int", min: 0, max: "filters", def: 0 },
    { key: "step", url: "t", type: "int", min: -1, max: 2 ** 31 - 1, def: -1 },
    { key: "speed", url: "v", type: "enum", options: SPEEDS.map(String), def: "1" },
  ];
}

/** Drop edited arrays whose length does not match the sizes beside them. */
export function consistent(state, context) {
  const s = { ...state };
  const base = Object.fromEntries(fields(context).map((f) => [f.key, f.def]));
  if (s.input === "custom" && s.inputValues?.length !== s.channels * s.height * s.width) s.input = base.input;
  if (s.input !== "custom") s.inputValues = null;
  if (s.kernelPreset === "custom" && s.kernelValues?.length !== s.filters * s.channels * s.kernel * s.kernel) {
    s.kernelPreset = base.kernelPreset;
  }
  if (s.kernelPreset !== "custom") s.kernelValues = null;
  if (s.bias && s.bias.length !== s.filters) s.bias = null;
  if (s.filter >= s.filters) s.filter = 0;
  return s;
}
