// One widget alone on a page (/widget/<type>): its state in the URL, its own socket. The
// same steps a lesson takes to mount a widget, so a widget that works here works there.

import { connectPage, joinTables, readJson } from "../lib/page.js";
import { scoped } from "../lib/socket.js";
import { createStore } from "../lib/state.js";

const config = readJson("widget-config");
const context = readJson("widget-context");
const status = document.getElementById("status");

const module = await import(config.module);
const store = createStore(context.limits, location.search, joinTables([module], context));
let widget = null;
const socket = connectPage({
  context,
  status,
  onOpen: () => widget?.update(store.get()), // (re)send the state on every connection
  onStrayError: (e) => (status.textContent = e.message),
});
const onChange = (patch) => store.set(patch);
widget = module.mount(document.getElementById("widget"), { ...context, socket: scoped(socket, config.type), onChange });
store.subscribe((state) => widget.update(state));
if (socket.connected) widget.update(store.get());

// Tests read the widget back from here.
window.convscopeWidget = { store, widget, type: config.type };
