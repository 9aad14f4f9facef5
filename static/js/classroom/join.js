// /join: a student types the code from the screen (or scans the QR code, which fills it in and joins
// at once), adds a nickname if they like, and goes to the page the class is on.

import { classSocket } from "./index.js";
import { deviceId, setFollowed, setMember } from "./storage.js";

const form = document.querySelector(".class-join-form");
const status = document.querySelector(".class-join-status");
const code = form.elements.code;
const nickname = form.elements.nickname;
const socket = await classSocket();

code.addEventListener("input", () => {
  code.value = code.value.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 5);
});

async function join() {
  const typed = code.value.trim().toUpperCase();
  if (!/^[A-Z0-9]{5}$/.test(typed)) {
    status.textContent = "The code is 5 letters and digits, as the screen shows it.";
    code.focus();
    return;
  }
  status.textContent = "Joining…";
  try {
    const params = { code: typed, device: deviceId() };
    if (nickname.value.trim()) params.nickname = nickname.value.trim();
    const answer = await socket.request("class.join", params);
    setMember({ code: typed, nickname: params.nickname ?? "", exploring: false });
    const stage = answer.meta.stage;
    if (stage) {
      setFollowed(stage.path);
      location.assign(`${stage.path}${stage.query ? `?${stage.query}` : ""}`);
    } else {
      setFollowed("/");
      status.textContent = "You are in. Your page will follow your instructor's as soon as they open one.";
      setTimeout(() => location.assign("/"), 1500);
    }
  } catch (e) {
    status.textContent = e.quiet ? "Not connected to the server yet: try again in a moment." : e.message;
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  join();
});

const given = new URLSearchParams(location.search).get("code");
if (given) {
  code.value = given.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 5);
  // A QR code scanned: join at once (once the socket is open).
  let asked = false;
  const once = () => asked || ((asked = true), join());
  if (socket.connected) once();
  else socket.watch((s) => s === "open" && once());
} else {
  code.focus();
}
window.convscopeJoin = { join };
