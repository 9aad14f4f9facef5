// One widget alone on a page (/widget/<type>): its state in the URL, its own socket. The
// same steps a lesson takes to mount a widget, so a widget that works here works there.

import { connect, scoped } from "../lib/socket.js";
import { createStore } from "../lib/state.js";

const $ = (selector) => document.querySelector(selector);
const config = JSON.parse($("#widget-config").textContent);
const context = JSON.parse($("#widget-context").textContent);
const status = $("#status");

const module = await import(config.module);
const fields = module.fields(context);
const store = createStore(context.limits, location.search, { fields, consistent: (s) => module.consistent(s, context) });
let widget = null;
const socket = connect({
  onStatus(kind) {
    status.textContent = kind === "open" ? "" : "Reconnecting to the server…";
    status.classList.toggle("reconnecting", kind !== "open");
  },
  onOpen: () => widget?.update(store.get()), // (re)send the state on every connection
  onStrayError: (e) => (status.textContent = e.message),
});
widget = module.mount($("#widget"), { ...context, socket: scoped(socket, config.type), onChange: (patch) => store.set(patch) });
store.subscribe((state) => widget.update(state));
if (socket.connected) widget.update(store.get());

// Tests read the widget back from here.
window.convscopeWidget = { store, widget, type: config.type };
