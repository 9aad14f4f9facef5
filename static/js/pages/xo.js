// The /xo page: X vs O trained live. One store (the URL), one socket, one training job
// shared by two widgets: the training view and "Classify your own". The page routes state
// and the connection; the widgets send the requests and draw the engine's answers.

import { connectPage, joinTables, readJson } from "../lib/page.js";
import { createStore } from "../lib/state.js";
import * as draw from "../widgets/xo-draw/index.js";
import * as train from "../widgets/xo-train/index.js";
import { runFor } from "../widgets/xo/run.js";

const $ = (selector) => document.querySelector(selector);
const context = readJson("widget-context");
const WIDGETS = { train, draw };
const store = createStore(context.limits, location.search, joinTables(Object.values(WIDGETS), context));

const status = $("#status");
let everOpen = false;
const socket = connectPage({
  context,
  status,
  onOpen({ reconnected }) {
    // The server ended the page's job with the old connection: the widgets start the run again,
    // and its journal replays it to where it was (xo/run.js).
    if (reconnected || everOpen) status.textContent = "Reconnected";
    everOpen = true;
    widgets.forEach((w) => w.update(store.get()));
  },
  onStrayError: (e) => {
    status.textContent = e.message;
  },
});
const run = runFor(socket, context);
const onChange = (patch) => store.set(patch);
const widgets = Object.entries(WIDGETS).map(([name, module]) =>
  module.mount($(`#${name}-widget`), { ...context, socket, run, onChange }),
);
store.subscribe((state) => widgets.forEach((w) => w.update(state)));

// Tests and the benchmark read the page from here: the counters say how many snapshots
// arrived and how many were drawn (once per animation frame, the newest only).
window.convscopeXO = {
  store,
  run,
  counters: run.counters,
  get meta() {
    return run.latest?.meta ?? null;
  },
  train: widgets[0],
  draw: widgets[1],
};
