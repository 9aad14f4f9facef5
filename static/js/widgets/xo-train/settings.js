// The training widget's URL state (state.js field table) and how it maps onto the engine's
// run config. Run settings default to null, "the engine's default": the link then holds only
// what an instructor changed, and the page shows the values train.ready reports. The URL's
// bounds are loose on purpose; the engine checks the real ranges and names a refused field,
// and the widget then falls back (see xo-train-widget.js), so the page keeps no ranges.

import { LIVE, RUN, VARIATIONS } from "./controls.js";

export const SPEEDS = ["2", "5", "30", "100", "0"]; // batches a second; "0" = as fast as the machine goes
const URL_NAMES = {
  xoLr: "lr",
  xoMomentum: "mom",
  xoBatch: "bs",
  xoSize: "n",
  xoFilters: "f",
  xoKernel: "k",
  xoPool: "pool",
  xoTrain: "ntrain",
  xoTest: "ntest",
  xoShift: "shift",
  xoScale: "scale",
  xoRotation: "rot",
  xoThickness: "thick",
  xoNoise: "noise",
};
const INT_MAX = 2 ** 31 - 1;

/** Every state key that belongs to the run's config (a change to any but the live three starts a new run). */
export const RUN_KEYS = [...RUN, ...VARIATIONS].map((s) => s.key).concat(["xoInit", "xoSeed", "xoDistorted"]);

export function fields() {
  const numeric = [...LIVE, ...RUN, ...VARIATIONS].map((s) => ({
    key: s.key,
    url: URL_NAMES[s.key],
    type: s.kind === "int" ? "int" : "num",
    min: 0,
    max: s.kind === "int" ? INT_MAX : 1e6,
    def: null,
  }));
  return [
    ...numeric,
    { key: "xoInit", url: "init", type: "enum", options: ["hand", "random"], def: null },
    { key: "xoSeed", url: "seed", type: "int", min: 0, max: INT_MAX, def: null },
    { key: "xoDistorted", url: "dist", type: "bool", def: null },
    // 30/s: one snapshot per batch, curves easy to follow.
    { key: "xoSpeed", url: "speed", type: "enum", options: SPEEDS, def: "30" },
    { key: "xoSample", url: "ex", type: "int", min: 0, max: INT_MAX, def: 0 },
  ];
}

/** Nothing to reconcile before the engine answers: it checks the settings against each other. */
export function consistent(state) {
  return { ...state };
}

/** {config, key}: the train.start config (only the fields set) and the run's identity without the live settings. */
export function configOf(state) {
  const config = {};
  for (const s of [...RUN, ...LIVE]) if (state[s.key] != null) config[s.name] = state[s.key];
  if (state.xoInit != null) config.init = state.xoInit;
  if (state.xoSeed != null) config.seed = state.xoSeed;
  const variations = {};
  for (const s of VARIATIONS) if (state[s.key] != null) variations[s.name] = state[s.key];
  if (state.xoDistorted != null) variations.distorted = state.xoDistorted;
  if (Object.keys(variations).length) config.variations = variations;
  const identity = { ...config };
  for (const s of LIVE) delete identity[s.name];
  return { config, key: JSON.stringify(identity) };
}

/** What the page wants the running job to use now (null: whatever the run uses). */
export function liveWanted(state) {
  return {
    lr: state.xoLr,
    momentum: state.xoMomentum,
    batch: state.xoBatch,
    speed: Number(state.xoSpeed),
    sample: state.xoSample,
  };
}

const NAME_TO_KEY = Object.fromEntries(
  [...LIVE, ...RUN, ...VARIATIONS]
    .map((s) => [s.name, s.key])
    .concat([
      ["init", "xoInit"],
      ["seed", "xoSeed"],
      ["distorted", "xoDistorted"],
      ["sample", "xoSample"],
      ["speed", "xoSpeed"],
    ]),
);

/** The setting a server error names ("config.variations.rotation" → "rotation"), or null. */
function settingOf(field) {
  if (!field) return null;
  const name = field
    .replace(/^config\./, "")
    .replace(/^variations\./, "")
    .split(".")[0];
  return name in NAME_TO_KEY ? name : null;
}

/** The alert region (data-alert) beside the control of a named field. */
export function regionOf(field) {
  const name = settingOf(field);
  return name && name !== "speed" ? name : "general";
}

/** The URL-state key of a named field, or null. */
export function stateKeyOf(field) {
  const name = settingOf(field);
  return name ? NAME_TO_KEY[name] : null;
}
