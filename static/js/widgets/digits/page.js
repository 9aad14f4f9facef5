// The /digits page: LeNet-5 learns MNIST live. One store (the URL), one socket, one widget (the
// training view and the drawing pad, sharing a run). The page routes state and the connection;
// the widget sends the requests and draws the engine's answers.

import { connectPage, joinTables, readJson } from "../../lib/page.js";
import { createStore } from "../../lib/state.js";
import * as digits from "./index.js";
import { runFor } from "./run.js";

const $ = (selector) => document.querySelector(selector);
const context = readJson("widget-context");
const WIDGETS = { digits };
const store = createStore(context.limits, location.search, joinTables(Object.values(WIDGETS), context));
const status = $("#status");
let everOpen = false;
const socket = connectPage({
  context,
  status,
  onOpen({ reconnected }) {
    // The server ended the page's run with the old connection: the run comes back by replay (run.js).
    if (reconnected || everOpen) status.textContent = "Reconnected";
    everOpen = true;
    widgets.forEach((w) => w.update(store.get()));
  },
  onStrayError: (e) => {
    status.textContent = e.message;
  },
});
const run = runFor(socket);
const onChange = (patch) => store.set(patch);
const widgets = Object.entries(WIDGETS).map(([name, module]) =>
  module.mount($(`#${name}-widget`), { ...context, socket, run, onChange }),
);
store.subscribe((state) => widgets.forEach((w) => w.update(state)));

// Tests and the benchmark read the page from here.
window.convscopeDigits = {
  store,
  run,
  get meta() {
    return run.latest?.meta ?? null;
  },
  train: widgets[0].parts.train,
  draw: widgets[0].parts.draw,
};
