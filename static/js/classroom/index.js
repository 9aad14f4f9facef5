// The classroom on every page (templates/base.html loads this module; lib/page.js hands it the page's
// socket, so a page in a class still has one socket). A student who joined (storage.js) gets the class
// bar and follows; everyone else gets the Class button, which an instructor starts a class from.
// Pages without a socket of their own (the front page, the course's list) get one opened here.

import { connect } from "../lib/socket.js";
import { readJson } from "./dom.js";
import { member, teacher } from "./storage.js";
import { startStudent } from "./student.js";
import { startTeacher } from "./teacher.js";

let handOver;
const handed = new Promise((resolve) => (handOver = resolve));
let own = null;

/** lib/page.js gives the page's socket here as soon as it opens it. */
export function classroomSocket(socket) {
  handOver(socket);
}

/** The socket the class rides on: the page's own, or one of the classroom's when the page has none. */
export function classSocket() {
  if (document.getElementById("widget-context")) return handed; // the page's script opens one (lib/page.js)
  own ??= connect({ protocol: readJson("class-protocol") ?? {} });
  return Promise.resolve(own);
}

async function boot() {
  if (document.body.classList.contains("classroom-page")) return; // the join and teach pages run their own
  const socket = await classSocket();
  const student = !teacher() && member()?.code;
  // For tests: the student's or the instructor's side of this page.
  window.convscopeClass = student ? startStudent(socket) : startTeacher(socket);
  window.convscopeClass.role = student ? "student" : "teacher";
}

// C opens the class panel, Esc closes it (or the screen shown to the room). Listened for here, on the
// window before anything else, because this module is loaded before the page's own script: a lesson keeps
// the keys for its prose when nothing is focused, and a blanked screen's keys are the presenter's.
addEventListener(
  "keydown",
  (e) => {
    if (document.querySelector(".presenter-blank:not([hidden])")) return;
    if (window.convscopeClass?.onKey?.(e)) e.preventDefault();
  },
  true,
);

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot, { once: true });
else boot();
