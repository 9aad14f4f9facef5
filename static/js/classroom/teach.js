// /class/teach: the instructor's link (#code=…&key=…). The key is read from after the '#' (the browser
// never sends that part), kept in this browser, taken off the address at once (a projector may be
// showing it), checked with the server, and the instructor goes on to the page the class is on.

import { classSocket } from "./index.js";
import { setTeacher } from "./storage.js";

const status = document.querySelector(".class-join-status");
const given = new URLSearchParams(location.hash.slice(1));
history.replaceState(null, "", location.pathname); // the key leaves the address bar before anything else

const code = given.get("code");
const key = given.get("key");
const socket = await classSocket();

async function check() {
  try {
    const answer = await socket.request("class.teach", { code, key, origin: location.origin });
    setTeacher({ code, key });
    const stage = answer.meta.stage;
    location.replace(stage ? `${stage.path}${stage.query ? `?${stage.query}` : ""}` : "/");
  } catch (e) {
    if (e.quiet) return; // not connected yet: tried again when the socket opens
    document.querySelector("h1").textContent = "This link does not open a class";
    status.textContent = `${e.message}. Start a new class from any page's Class button, or with convscope --class.`;
  }
}

if (!code || !key) {
  document.querySelector("h1").textContent = "This link does not open a class";
  status.textContent = "It has no class code and key: copy the whole link convscope --class printed.";
} else {
  socket.watch((s) => s === "open" && check());
  if (socket.connected) check();
}
