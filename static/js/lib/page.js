// What every page does the same way: read the data the template embedded, open the one
// socket with the server's request table (and hand it to the classroom), keep the status
// badge and the offline note, join its widgets' tables.

import { classroomSocket } from "../classroom/index.js";
import { createOfflineNote } from "./offline.js";
import { connect } from "./socket.js";

/** The JSON the template put in <script type="application/json" id="…">. */
export function readJson(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/**
 * The page's socket (context.protocol is the server's request table), its state shown in
 * `status`: `connected()` (empty unless the page says more) while connected, `away` while
 * it reconnects by itself. While the server is unreachable the offline note (offline.js)
 * says so and switches off the controls in `scope`.
 */
export function connectPage({
  context,
  status,
  onOpen,
  onStrayError,
  away = "Reconnecting to the server…",
  connected = () => "",
  scope = "#content",
}) {
  const note = createOfflineNote({ scope });
  const socket = connect({
    protocol: context.protocol,
    onStatus(kind, detail) {
      status.textContent = kind === "open" ? connected() : kind === "full" ? "The server is full" : away;
      status.classList.toggle("reconnecting", kind !== "open");
      if (kind === "open") note.back();
      else note.away(kind === "full" ? detail?.message || "the server has no room for another page" : null);
    },
    onOpen,
    onStrayError,
  });
  classroomSocket(socket); // a page in a class follows it on this same socket (classroom/index.js)
  return socket;
}

/** One state table for several widgets on a page: their fields joined, each one's rules applied in turn. */
export function joinTables(modules, context) {
  return {
    fields: modules.flatMap((m) => m.fields(context)),
    consistent: (state) => modules.reduce((s, m) => m.consistent(s, context), { ...state }),
  };
}
