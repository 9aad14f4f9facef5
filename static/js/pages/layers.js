// The /layers page: one store (its own URL table), one socket, four widgets. The page
// only routes state to the widgets; each widget asks the engine for its numbers.

import { connectPage, joinTables, readJson } from "../lib/page.js";
import { scoped } from "../lib/socket.js";
import { createStore } from "../lib/state.js";
import * as activation from "../widgets/activation/index.js";
import * as backprop from "../widgets/backprop/index.js";
import * as pipeline from "../widgets/pipeline/index.js";
import * as pool from "../widgets/pool/index.js";

const context = readJson("widget-context");

// Each widget owns its URL fields (short names, so a setup fits in a slide's link) and its
// consistency rule; the page joins them. Field keys are prefixed per widget, so they never clash.
const WIDGETS = { pool, activation, pipeline, backprop };
const store = createStore(context.limits, location.search, joinTables(Object.values(WIDGETS), context));
const socket = connectPage({
  context,
  status: document.getElementById("status"),
  onOpen: () => widgets.forEach((w) => w.update(store.get())), // (re)send the state on every connection
});
const onChange = (patch) => store.set(patch);
// Each widget mounts in the section #<name>-widget and sends its requests in its own lane.
const widgets = Object.entries(WIDGETS).map(([name, module]) =>
  module.mount(document.getElementById(`${name}-widget`), { ...context, socket: scoped(socket, name), onChange }),
);
store.subscribe((state) => widgets.forEach((w) => w.update(state)));

// Tests and lessons read the page's data back from here.
window.convscopeLayers = { store, ...Object.fromEntries(Object.keys(WIDGETS).map((name, i) => [name, widgets[i]])) };
