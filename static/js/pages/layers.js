// The /layers page: one store (its own URL table), one socket, four widgets. The page
// only routes state to the widgets; each widget asks the engine for its numbers.

import * as activationWidget from "../widgets/activation/index.js";
import * as backpropWidget from "../widgets/backprop/index.js";
import * as pipelineWidget from "../widgets/pipeline/index.js";
import * as poolWidget from "../widgets/pool/index.js";
import { connect, scoped } from "../lib/socket.js";
import { createStore } from "../lib/state.js";

const $ = (selector) => document.querySelector(selector);
const limits = JSON.parse($("#limits").textContent);
const choices = JSON.parse($("#activations").textContent);

// Each widget owns its URL fields (short names, so a setup fits in a slide's link) and its
// consistency rule; the page joins them. Field keys are prefixed per widget, so they never clash.
const WIDGETS = [
  { name: "pool", module: poolWidget, context: { limits } },
  { name: "activation", module: activationWidget, context: { choices } },
  { name: "pipeline", module: pipelineWidget, context: { limits, choices } },
  { name: "backprop", module: backpropWidget, context: { limits, choices } },
];
const FIELDS = WIDGETS.flatMap((w) => w.module.fields({ limits, choices }));
const consistent = (state) => WIDGETS.reduce((s, w) => w.module.consistent(s, { limits, choices }), { ...state });

const store = createStore(limits, location.search, { fields: FIELDS, consistent });
const status = $("#status");
const socket = connect({
  onStatus(kind) {
    status.textContent = kind === "open" ? "" : "Reconnecting to the server…";
    status.classList.toggle("reconnecting", kind !== "open");
  },
  onOpen: () => widgets.forEach((w) => w.update(store.get())), // (re)send the state on every connection
});
const onChange = (patch) => store.set(patch);
// Each widget mounts in the section #<name>-widget and sends its requests in its own lane.
const widgets = WIDGETS.map((w) => w.module.mount($(`#${w.name}-widget`), { ...w.context, socket: scoped(socket, w.name), onChange }));
store.subscribe((state) => widgets.forEach((w) => w.update(state)));

// Tests and lessons read the page's data back from here.
window.convscopeLayers = { store, ...Object.fromEntries(WIDGETS.map((w, i) => [w.name, widgets[i]])) };
