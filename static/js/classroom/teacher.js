// The instructor's side, on every page: the Class button (in the page's top bar, or a corner), and its
// panel: start a class; once teaching, the join address, the code in large type, the QR code and
// how many students are here; new polls; the answers arriving; reveal; results as CSV; the end.
// "Show on screen" puts the join address or the poll in front of the whole room (the projector).
// While teaching, whatever this page shows is put on stage for the students' pages.

import { registerKeys } from "../lib/keyboard.js";
import { composerHtml, growOptions, pollFrom } from "./composer.js";
import { element, escapeHtml } from "./dom.js";
import { readStage, watchStage } from "./stage.js";
import { setTeacher, teacher } from "./storage.js";
import { answerHtml, tallyHtml } from "./tally.js";

const REVEAL_BUTTON = '<button type="button" class="class-big-button" data-act="reveal">Reveal the answer</button>';
const STAGE_MS = 100; // at most ten stage changes a second go out; the last one always does

export function startTeacher(socket) {
  let creds = teacher();
  let info = null; // class.teaching's meta
  let poll = null;
  let tally = null;
  let count = 0;
  let screen = null; // "join" | "poll" | null
  let stopWatching = null;

  const chip = element(
    `<button type="button" class="class-chip" aria-haspopup="dialog" aria-expanded="false" data-offline-ok
      title="Your class (C)">Class</button>`,
  );
  const panel = element(`
    <aside class="class-panel" role="dialog" aria-labelledby="class-panel-title" hidden data-offline-ok>
      <header class="class-panel-head">
        <h2 id="class-panel-title">Class <span data-code></span></h2>
        <button type="button" class="class-quiet-button" data-act="close">Close (Esc)</button>
      </header>
      <div data-part="start">
        <p>Students join from their phones or laptops with a short code: no accounts, no names. Their pages
          follow yours, and they answer the polls you push.</p>
        <button type="button" class="class-big-button" data-act="start">Start a class</button>
        <p><a href="/join">Join a class as a student</a></p>
      </div>
      <div data-part="teaching" hidden>
        <div class="class-join-box">
          <img class="class-qr" alt="QR code of the join address" width="160" height="160">
          <div class="class-join-text">
            <p>Join at <strong class="class-join-url" data-join></strong></p>
            <p class="class-code-big" data-code></p>
            <p class="class-count" data-count aria-live="polite"></p>
          </div>
        </div>
        <p class="class-note" data-note role="note" hidden></p>
        <div class="class-actions">
          <button type="button" class="class-chip-button" data-act="screen-join">Show join screen</button>
          <button type="button" class="class-chip-button" data-act="csv">Results (CSV)</button>
          <button type="button" class="class-chip-button" data-act="end">End class</button>
        </div>
        <p class="class-confirm" data-part="confirm" hidden>End the class? Its code stops working and its results
          go with it (download them first).
          <button type="button" class="class-chip-button" data-act="end-now">End now</button>
          <button type="button" class="class-quiet-button" data-act="keep">Keep it</button></p>
        <section class="class-poll" data-part="poll" aria-live="polite" hidden></section>
        <div data-part="compose"></div>
      </div>
      <p class="class-error" data-part="error" role="alert"></p>
    </aside>`);
  const overlay = element(`<div class="class-screen" role="dialog" aria-label="Class, on screen" hidden data-offline-ok>
      <div class="class-screen-body"></div>
      <button type="button" class="class-quiet-button class-screen-close" data-act="screen-close">Close (Esc)</button>
    </div>`);
  const $ = (selector) => panel.querySelector(selector);

  const slot = document.querySelector("[data-presenter-slot]");
  if (slot) slot.prepend(chip);
  else document.body.append(chip);
  chip.classList.toggle("in-slot", Boolean(slot));
  document.body.append(panel, overlay);

  function say(text) {
    $('[data-part="error"]').textContent = text ?? "";
  }

  // ------------------------------------------------------------------ drawing

  function showChip() {
    chip.textContent = info ? `Class ${info.code} · ${count}` : "Class";
    chip.setAttribute("aria-label", info ? `Your class ${info.code}: ${students(count)}` : "Class");
    chip.dataset.teaching = String(Boolean(info));
  }

  const students = (n) => `${n} student${n === 1 ? "" : "s"}`;

  function showTeaching() {
    $('[data-part="start"]').hidden = Boolean(info);
    $('[data-part="teaching"]').hidden = !info;
    for (const el of panel.querySelectorAll("[data-code]")) el.textContent = info?.code ?? "";
    if (info) {
      $("[data-join]").textContent = info.join;
      $(".class-qr").src = info.qr;
      $("[data-count]").textContent = `${students(count)} here`;
      $("[data-note]").textContent = info.note ?? "";
      $("[data-note]").hidden = !info.note;
    }
    showChip();
    showPoll();
    showScreen();
  }

  function pollHtml(big = false) {
    if (!poll) return "";
    const source = poll.source && !big ? `<p class="class-hint">${escapeHtml(poll.source)}</p>` : "";
    const buttons = big
      ? ""
      : `<div class="class-actions">
          ${poll.revealed ? "" : REVEAL_BUTTON}
          <button type="button" class="class-chip-button" data-act="screen-poll">Show on screen</button>
          <button type="button" class="class-chip-button" data-act="new-poll">New poll</button>
        </div>`;
    return `<p class="class-poll-kicker">Poll ${poll.id}</p>
      <h3 class="class-poll-prompt">${escapeHtml(poll.prompt)}</h3>
      ${source}${tallyHtml(tally, { revealed: poll.revealed })}${answerHtml(poll)}${buttons}`;
  }

  function showPoll() {
    const box = $('[data-part="poll"]');
    box.hidden = !poll;
    box.innerHTML = pollHtml();
    box.dataset.revealed = String(Boolean(poll?.revealed));
    $('[data-part="compose"]').hidden = Boolean(poll && !poll.revealed);
  }

  function showScreen() {
    overlay.hidden = !screen || !info;
    if (overlay.hidden) return;
    overlay.dataset.mode = screen;
    const body = overlay.querySelector(".class-screen-body");
    body.innerHTML =
      screen === "poll" && poll
        ? `<div class="class-screen-poll">${pollHtml(true)}</div>`
        : `<div class="class-screen-join">
            <img class="class-screen-qr" src="${escapeHtml(info.qr)}" alt="QR code of the join address">
            <div><p class="class-screen-url">Join at <strong>${escapeHtml(info.join)}</strong></p>
              <p class="class-screen-code">${escapeHtml(info.code)}</p>
              <p class="class-screen-count">${students(count)} here</p></div>
          </div>`;
  }

  async function refreshComposer() {
    $('[data-part="compose"]').innerHTML = await composerHtml();
  }

  function open(on = panel.hidden) {
    panel.hidden = !on;
    chip.setAttribute("aria-expanded", String(on));
    if (on) {
      refreshComposer();
      panel.querySelector("button, a")?.focus({ preventScroll: true });
    }
  }

  // ------------------------------------------------------------------ talking to the server

  const withKey = (params = {}) => ({ code: creds.code, key: creds.key, ...params });

  async function teach() {
    if (!creds) return;
    try {
      const answer = await socket.request("class.teach", withKey({ origin: location.origin }));
      take(answer.meta);
      stopWatching ??= watchStage(stageSoon);
      stageSoon();
    } catch (e) {
      if (e.field === "code" || e.field === "key") return forget("That class has ended.");
      if (!e.quiet) say(e.message);
    }
  }

  function take(meta) {
    info = meta;
    count = meta.count;
    poll = meta.poll;
    tally = meta.tally;
    say("");
    showTeaching();
  }

  function forget(text) {
    setTeacher(null);
    creds = null;
    info = poll = tally = null;
    screen = null;
    stopWatching?.();
    stopWatching = null;
    showTeaching();
    say(text);
  }

  let lastStage = "";
  let stageTimer = 0;
  let stageAt = 0;
  function stageSoon() {
    if (stageTimer || !info) return;
    stageTimer = setTimeout(sendStage, Math.max(0, STAGE_MS - (performance.now() - stageAt)));
  }

  async function sendStage() {
    stageTimer = 0;
    const stage = readStage();
    const text = JSON.stringify(stage);
    if (text === lastStage || !socket.connected) return;
    lastStage = text;
    stageAt = performance.now();
    try {
      await socket.request("class.stage", withKey(stage));
    } catch (e) {
      if (e.field === "code" || e.field === "key") forget("That class has ended.");
      else if (e.quiet) lastStage = ""; // not sent: the next change (or reconnection) sends it
      else say(e.message);
    }
  }

  async function start() {
    try {
      const answer = await socket.request("class.start", { origin: location.origin });
      creds = { code: answer.meta.code, key: answer.meta.key };
      setTeacher(creds);
      take(answer.meta);
      stopWatching ??= watchStage(stageSoon);
      stageSoon();
      open(false); // the room sees the join screen; the panel is one press away (C, or the button)
      screen = "join";
      showScreen();
    } catch (e) {
      if (!e.quiet) say(e.message);
    }
  }

  async function ask(params) {
    try {
      const answer = await socket.request("class.poll", withKey(params));
      poll = answer.meta.poll;
      tally = answer.meta.tally;
      say("");
      showPoll();
      showScreen();
    } catch (e) {
      say(e.quiet ? "Not connected: try again in a moment." : e.message);
    }
  }

  async function reveal() {
    try {
      const answer = await socket.request("class.reveal", withKey({ poll: poll.id }));
      poll = answer.meta.poll;
      tally = answer.meta.tally;
      showPoll();
      showScreen();
    } catch (e) {
      say(e.message);
    }
  }

  async function download() {
    try {
      const response = await fetch(info.results, { headers: { "X-Class-Key": creds.key } });
      if (!response.ok) throw new Error(await response.text());
      const link = document.createElement("a");
      link.href = URL.createObjectURL(await response.blob());
      link.download = `convscope-class-${info.code}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (e) {
      say(`The results could not be downloaded: ${e.message}`);
    }
  }

  async function end() {
    try {
      await socket.request("class.end", withKey());
      forget("The class has ended; its code no longer works.");
    } catch (e) {
      say(e.message);
    }
  }

  // ------------------------------------------------------------------ wiring

  const ACTIONS = {
    close: () => open(false),
    start,
    "screen-join": () => ((screen = "join"), showScreen()),
    "screen-poll": () => ((screen = "poll"), showScreen()),
    "screen-close": () => ((screen = null), showScreen()),
    csv: download,
    end: () => ($('[data-part="confirm"]').hidden = false),
    keep: () => ($('[data-part="confirm"]').hidden = true),
    "end-now": end,
    reveal,
    "new-poll": () => {
      $('[data-part="compose"]').hidden = false;
      refreshComposer();
    },
  };

  chip.addEventListener("click", () => open());
  for (const root of [panel, overlay]) {
    root.addEventListener("click", async (e) => {
      const act = e.target.closest("[data-act]")?.dataset.act;
      if (act) return ACTIONS[act]();
      const params = await pollFrom(e);
      if (params) ask(params);
    });
  }
  panel.addEventListener("submit", async (e) => {
    e.preventDefault();
    const params = await pollFrom(e);
    if (params) ask(params);
  });
  panel.addEventListener("input", growOptions);
  registerKeys("Class", [{ keys: ["C"], does: "The class panel: start a class, its code, polls" }]);

  socket.on("class.count", (frame) => {
    count = frame.meta.count;
    showTeaching();
  });
  socket.on("class.tally", (frame) => {
    if (frame.meta.poll) poll = frame.meta.poll; // a poll pushed from another of the instructor's pages
    if (!poll || frame.meta.tally.poll !== poll.id) return;
    tally = frame.meta.tally;
    showPoll();
    showScreen();
  });
  socket.on("class.result", (frame) => {
    if (!info) return;
    poll = { ...poll, ...frame.meta.poll };
    tally = frame.meta.tally;
    showPoll();
    showScreen();
  });
  socket.on("class.closed", () => info && forget("The class has ended; its code no longer works."));
  socket.watch((status) => status === "open" && teach());
  if (socket.connected) teach();
  showTeaching();

  /** A key for the class (classroom/index.js listens before the page): true when it was taken. */
  function onKey(e) {
    const typing = e.target instanceof Element && e.target.matches("input, textarea, select, [contenteditable]");
    if (e.key === "Escape" && !overlay.hidden) ACTIONS["screen-close"]();
    else if (e.key === "Escape" && !panel.hidden) open(false);
    else if (e.key.toLowerCase() === "c" && !typing && !e.altKey && !e.ctrlKey && !e.metaKey) open();
    else return false;
    return true;
  }

  return {
    open,
    onKey,
    get state() {
      return { code: info?.code ?? null, count, poll, tally, screen, panel: !panel.hidden, join: info?.join ?? null };
    },
  };
}
