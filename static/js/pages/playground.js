// The /playground page: the top bar (worked examples, the engine's status, "copy link") and
// the playground widget, its state in the URL so every setup is a link for a slide.

import { connectPage, readJson } from "../lib/page.js";
import { createStore } from "../lib/state.js";
import * as playground from "../widgets/playground/index.js";
import { SCENARIOS } from "../widgets/playground/scenarios.js";

const context = readJson("widget-context");
const status = document.getElementById("status");
const table = { fields: playground.fields(context), consistent: (s) => playground.consistent(s, context) };
const store = createStore(context.limits, location.search, table);

let widget = null;
let lastUpdate = Promise.resolve();
const warming = () => (status.dataset.engineReady === "true" ? "" : "Warming up the engine…");
const socket = connectPage({
  context,
  status,
  away: "Reconnecting…",
  scope: "#content, [data-scenario]", // the worked examples in the top bar set what the server computes
  connected: warming,
  onOpen: () => (lastUpdate = widget.update(store.get())), // (re)send the state on every connection
  onStrayError: (e) => widget.showStray(e),
});
widget = playground.mount(document.getElementById("content"), {
  ...context,
  socket,
  onChange: (patch) => store.set(patch),
  onAnswer() {
    status.dataset.engineReady = "true";
    if (socket.connected) status.textContent = "";
  },
});
store.subscribe((state) => (lastUpdate = widget.update(state)));
if (socket.connected) lastUpdate = widget.update(store.get());

for (const chip of document.querySelectorAll("[data-scenario]")) {
  chip.addEventListener("click", () => store.set(SCENARIOS[chip.dataset.scenario]));
}
document.getElementById("copy-link").addEventListener("click", async () => {
  store.flush();
  try {
    await navigator.clipboard.writeText(location.href);
    status.textContent = "Link copied";
  } catch {
    status.textContent = "Copy the address bar to share this setup";
  }
  setTimeout(() => (status.textContent = socket.connected ? warming() : "Reconnecting…"), 2500);
});

// For tests and the benchmark: the store, the widget's data (its inspect()), and apply(patch),
// which resolves once the engine has answered the change.
const view = widget.inspect();
window.convscope = Object.defineProperties(
  {
    store,
    socket,
    apply(patch) {
      store.set(patch);
      return lastUpdate;
    },
  },
  Object.getOwnPropertyDescriptors(view),
);
