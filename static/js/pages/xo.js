// The /xo page: X vs O trained live. One store (the URL), one socket, one training job
// shared by two widgets: the training view and "Classify your own". The page routes state
// and the connection; the widgets send the requests and draw the engine's answers.

import { connect } from "../lib/socket.js";
import { createStore } from "../lib/state.js";
import * as drawWidget from "../widgets/xo-draw/index.js";
import { runFor } from "../widgets/xo/run.js";
import * as trainWidget from "../widgets/xo-train/index.js";

const $ = (selector) => document.querySelector(selector);
const limits = JSON.parse($("#limits").textContent);
const samples = JSON.parse($("#xo-samples").textContent);
const ctx = { limits, samples };

const WIDGETS = [
  { name: "train", module: trainWidget },
  { name: "draw", module: drawWidget },
];
const FIELDS = WIDGETS.flatMap((w) => w.module.fields(ctx));
const consistent = (state) => WIDGETS.reduce((s, w) => w.module.consistent(s, ctx), { ...state });
const store = createStore(limits, location.search, { fields: FIELDS, consistent });

const status = $("#status");
let everOpen = false;
const socket = connect({
  onStatus(kind) {
    status.textContent = kind === "open" ? "" : "Reconnecting to the server…";
    status.classList.toggle("reconnecting", kind !== "open");
  },
  onOpen({ reconnected }) {
    // The server ends a page's job with its connection: after a reconnect the run starts
    // again from step 0 with the same settings (and so the same numbers).
    if (reconnected || everOpen) {
      run.lost();
      status.textContent = "Reconnected: the run started again from step 0.";
    }
    everOpen = true;
    widgets.forEach((w) => w.update(store.get()));
  },
  onStrayError: (e) => {
    status.textContent = e.message;
  },
});
const run = runFor(socket);
const onChange = (patch) => store.set(patch);
const widgets = WIDGETS.map((w) => w.module.mount($(`#${w.name}-widget`), { socket, run, samples, onChange }));
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
