// The /layers page: one store (its own URL table), one socket, two widgets. The page
// only routes state to the widgets; each widget asks the engine for its numbers.

import { mount as mountActivation, ACT_INPUTS } from "./activation-widget.js";
import { mount as mountPool, POOL_PRESETS } from "./pool-widget.js";
import { connect } from "./socket.js";
import { createStore } from "./state.js";

const $ = (selector) => document.querySelector(selector);
const limits = JSON.parse($("#limits").textContent);
const choices = JSON.parse($("#activations").textContent);

// URL names are short so a setup fits in a slide's link; pool window and stride share the stride cap (PROTOCOL.md).
const FIELDS = [
  { key: "poolMode", url: "pm", type: "enum", options: ["max", "avg"], def: "max" },
  { key: "poolWindow", url: "pk", type: "int", min: 1, max: "stride", def: 2 },
  { key: "poolStride", url: "ps", type: "int", min: 1, max: "stride", def: 2 },
  { key: "poolSize", url: "pn", type: "int", min: 1, max: "size", def: 8 },
  { key: "poolInput", url: "pin", type: "enum", options: [...POOL_PRESETS, "custom"], def: "x" },
  { key: "poolSeed", url: "pseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
  { key: "poolValues", url: "px", type: "floats", def: null },
  { key: "poolStep", url: "pt", type: "int", min: -1, max: 2 ** 31 - 1, def: -1 },
  { key: "actName", url: "a", type: "enum", options: choices.map((c) => c.name), def: "relu" },
  { key: "actParam", url: "ap", type: "num", min: 0, max: 10, def: null }, // the engine checks the exact range per function
  { key: "actInput", url: "ain", type: "enum", options: ACT_INPUTS, def: "random" },
  { key: "actSeed", url: "aseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
];

function consistent(state) {
  const s = { ...state };
  if (s.poolInput === "custom" && s.poolValues?.length !== s.poolSize * s.poolSize) s.poolInput = "x";
  if (s.poolInput !== "custom") s.poolValues = null;
  if (!choices.find((c) => c.name === s.actName)?.param) s.actParam = null;
  return s;
}

const store = createStore(limits, location.search, { fields: FIELDS, consistent });
const status = $("#status");
const socket = connect({
  onStatus(kind) {
    status.textContent = kind === "open" ? "" : "Reconnecting to the server…";
    status.classList.toggle("reconnecting", kind !== "open");
  },
  onOpen: () => widgets.forEach((w) => w.update(store.get())), // (re)send the state on every connection
});
// The server lets a newer request of a type supersede an older one from the same page, so
// the two widgets' input.preset requests would cancel each other: send those one at a time.
let presetChain = Promise.resolve();
const shared = {
  request(type, params) {
    if (type !== "input.preset") return socket.request(type, params);
    const answer = presetChain.then(() => socket.request(type, params));
    presetChain = answer.catch(() => {});
    return answer;
  },
};
const onChange = (patch) => store.set(patch);
const pool = mountPool($("#pool-widget"), { socket: shared, limits, onChange });
const activation = mountActivation($("#activation-widget"), { socket: shared, choices, onChange });
const widgets = [pool, activation];
store.subscribe((state) => widgets.forEach((w) => w.update(state)));

// Tests and lessons read the page's data back from here.
window.convscopeLayers = { store, pool, activation };
