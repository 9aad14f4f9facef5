// Presenter mode, on every page (templates/base.html loads this module): for an instructor at a
// projector. P (or the "Present" button) folds the side panels and the site's bars away, lets the
// stage fill the window, scales the type (--scale on :root) and switches to a high-contrast
// projector palette (T: the dark one); F full screen; B or "." blanks the screen and again shows
// it; ? lists every key binding on the page (keyboard.js's registry); K pauses all motion
// (motion.js). Presenter mode and the theme are in the URL (?present=1&theme=dark), so a link in
// a slide opens the page the same way; lib/state.js keeps them when a page rewrites its URL.
//
// The contract a page or widget follows to cooperate (nothing else is needed):
// - its stage: the element given to keyboard.js's bindKeys(onCommand, stage, scope) as `stage`
//   (marked data-stage by bindKeys; a widget without bindKeys sets data-stage itself). A clicker's
//   PageUp/PageDown steps the widget on stage; no focus box on it unless the keyboard navigates.
// - panels that fold away in presenter mode: data-presenter-fold on the element (presenter.css
//   also folds today's .topbar, .lesson-bar, .lesson-pager and the playground's settings panel).
//   S shows the folded panels again while presenting.
// - sizes: read var(--scale) (1 outside presenter mode) in CSS, or `scale()` / the
//   `convscope:presenter` event (detail {present, theme, scale}) in JS; a window `resize` event
//   follows every change, so widgets that lay out on resize need nothing more.
// - colors: use the site's custom properties (--bg, --fg, --muted, --rule, --accent, --accent-soft,
//   --warn-bg, --warn-edge, --error, --focus, --surface); presenter.css redefines them per theme.
// - extra keys: registerKeys(group, [{keys, does}]) from keyboard.js, so "?" lists them.
// - motion: motion.js: reducedMotion() before starting a tween; onPause(fn) (the `convscope:pause`
//   event on document, sent by K and the bar's pause button) stops whatever plays, trains or loops.
//   Widgets bound with bindKeys() also receive onCommand("pause").
// - the bar's place: a page may offer one in its own top bar with an empty element marked
//   data-presenter-slot; otherwise the bar sits in the window's corner (at the page's end on a phone).

import { registerKeys, listKeys } from "./keyboard.js";
import { motionPaused, pauseAll, resumeAll } from "./motion.js";
import { keepInUrl } from "./state.js";

const PRESENT = "present";
const THEME = "theme";
const THEMES = ["projector", "dark"];
keepInUrl(PRESENT, THEME);

const root = document.documentElement;
const params = new URLSearchParams(location.search);
let present = params.get(PRESENT) === "1";
let theme = THEMES.includes(params.get(THEME)) ? params.get(THEME) : null; // null: the page's own palette
let blanked = false;

/** The type and grid scale presenter mode asks for: 1 outside it, up to 1.6 on a large projector. */
export function scale() {
  if (!present) return 1;
  const fit = Math.min(innerWidth / 1024, innerHeight / 768);
  return innerWidth < 700 ? 1 : Math.round(Math.min(1.6, Math.max(1.1, fit * 1.15)) * 100) / 100;
}

export function isPresenting() {
  return present;
}

function writeUrl() {
  const query = new URLSearchParams(location.search);
  if (present) query.set(PRESENT, "1");
  else query.delete(PRESENT);
  if (theme) query.set(THEME, theme);
  else query.delete(THEME);
  const search = query.toString();
  history.replaceState(history.state, "", `${location.pathname}${search ? `?${search}` : ""}${location.hash}`);
}

let lastScale = 0;
function apply({ relayout = true } = {}) {
  const s = scale();
  root.toggleAttribute("data-present", present);
  const palette = theme ?? (present ? "projector" : null);
  if (palette) root.dataset.theme = palette;
  else delete root.dataset.theme;
  root.style.setProperty("--scale", String(s));
  if (!present) delete root.dataset.panels;
  syncBar();
  document.dispatchEvent(new CustomEvent("convscope:presenter", { detail: { present, theme: palette, scale: s } }));
  if (relayout) dispatchEvent(new Event("resize")); // widgets lay out again for the room they now have
  lastScale = s;
}

// ---------------------------------------------------------------- actions

function togglePresent() {
  present = !present;
  writeUrl();
  apply();
  if (present) enterFullscreen({ quiet: true });
  else if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  say(present ? "Presenter mode: P leaves it, ? lists the keys" : "Presenter mode off");
}

function toggleTheme() {
  theme = theme === "dark" ? null : "dark"; // back to the page's own palette (projector while presenting)
  writeUrl();
  apply({ relayout: false });
  say(theme === "dark" ? "Dark theme" : present ? "Projector theme" : "Light theme");
}

async function enterFullscreen({ quiet = false } = {}) {
  if (document.fullscreenElement) return;
  try {
    if (!document.fullscreenEnabled) throw new Error("no fullscreen");
    await root.requestFullscreen({ navigationUI: "hide" });
    delete root.dataset.fullscreen;
  } catch {
    // Refused (no user gesture, an embedding frame, a kiosk): the stage already fills the window.
    if (!quiet) say("The browser kept its window: press F11 (or ⌃⌘F on a Mac) for full screen");
    root.dataset.fullscreen = "refused";
  }
}

function toggleFullscreen() {
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  else enterFullscreen();
}

let focusedBeforeBlank = null;
function setBlank(on) {
  if (on === blanked) return;
  blanked = on;
  blank.hidden = !on;
  if (on) {
    focusedBeforeBlank = document.activeElement;
    blank.focus({ preventScroll: true });
  } else if (focusedBeforeBlank instanceof HTMLElement && focusedBeforeBlank.isConnected) {
    focusedBeforeBlank.focus({ preventScroll: true }); // the clicker's keys go where they went before
  }
  syncBar();
}

function togglePanels() {
  if (!present) return;
  root.toggleAttribute("data-panels");
  dispatchEvent(new Event("resize"));
  syncBar();
}

function togglePause() {
  if (motionPaused()) {
    resumeAll();
    say("Motion may run again: press play");
  } else {
    pauseAll();
    say("Everything that moved is paused");
  }
  syncBar();
}

// ---------------------------------------------------------------- the parts on the page

const bar = document.createElement("div");
bar.className = "presenter-bar";
bar.dataset.offlineOk = ""; // presenting needs no server: its keys stay on while the server is away
bar.setAttribute("role", "toolbar");
bar.setAttribute("aria-label", "Presenter");
bar.innerHTML = `
  <button type="button" data-presenter="present" aria-pressed="false" aria-label="Presenter mode"
    title="Presenter mode (P)">
    <span aria-hidden="true">▣</span><span class="presenter-label"> Present</span></button>
  <button type="button" data-presenter="fullscreen" data-when="present" aria-pressed="false"
    title="Full screen (F)">Full screen</button>
  <button type="button" data-presenter="theme" data-when="present" aria-pressed="false"
    title="Dark theme (T)">Dark</button>
  <button type="button" data-presenter="blank" data-when="present" title="Blank the screen (B or .)">Blank</button>
  <button type="button" data-presenter="panels" data-when="present" aria-pressed="false"
    title="Show the side panels (S)">Panels</button>
  <button type="button" data-presenter="pause" aria-pressed="false" aria-label="Pause motion"
    title="Pause all motion (K)">
    <span aria-hidden="true">❚❚</span><span class="presenter-label"> Pause motion</span></button>
  <button type="button" data-presenter="keys" aria-haspopup="dialog" title="Keyboard shortcuts (?)">
    <span aria-hidden="true">?</span><span class="visually-hidden">Keyboard shortcuts</span></button>`;

const blank = document.createElement("div");
blank.className = "presenter-blank";
blank.hidden = true;
blank.tabIndex = -1;
blank.setAttribute("role", "dialog");
blank.setAttribute("aria-label", "Screen blanked: press B or . to show it again");

const note = document.createElement("p");
note.className = "presenter-note";
note.setAttribute("role", "status");
note.setAttribute("aria-live", "polite");

const help = document.createElement("dialog");
help.className = "presenter-help";
help.setAttribute("aria-labelledby", "presenter-help-title");

let noteTimer = 0;
function say(text) {
  note.textContent = text;
  note.classList.add("shown");
  clearTimeout(noteTimer);
  noteTimer = setTimeout(() => note.classList.remove("shown"), 3500);
}

function syncBar() {
  const pressed = {
    present,
    fullscreen: Boolean(document.fullscreenElement),
    theme: root.dataset.theme === "dark",
    panels: root.hasAttribute("data-panels"),
    pause: motionPaused(),
  };
  for (const [name, on] of Object.entries(pressed)) {
    bar.querySelector(`[data-presenter="${name}"]`)?.setAttribute("aria-pressed", String(on));
  }
  const panels = bar.querySelector('[data-presenter="panels"]');
  if (panels) panels.hidden = !document.querySelector(FOLDED);
}

// What folds away in presenter mode (presenter.css hides the same).
const FOLDED = "[data-presenter-fold], .playground-widget > .panel, .widget-controls, .xo-panel";

const escapeHtml = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function showHelp() {
  const groups = listKeys();
  help.innerHTML = `
    <div class="presenter-help-head">
      <h2 id="presenter-help-title">Keyboard shortcuts</h2>
      <button type="button" class="presenter-help-close" data-presenter="close-help">Close (Esc)</button>
    </div>
    ${groups
      .map(
        ({ group, bindings }) => `<section>
      <h3>${escapeHtml(group)}</h3>
      <dl>${bindings
        .map(
          (b) => `<div><dt>${b.keys.map((k) => `<kbd>${escapeHtml(k)}</kbd>`).join(" ")}</dt>
        <dd>${escapeHtml(b.does)}</dd></div>`,
        )
        .join("")}</dl>
    </section>`,
      )
      .join("")}`;
  help.showModal();
}

function toggleHelp() {
  if (help.open) help.close();
  else showHelp();
}

const ACTIONS = {
  present: togglePresent,
  fullscreen: toggleFullscreen,
  theme: toggleTheme,
  blank: () => setBlank(!blanked),
  panels: togglePanels,
  pause: togglePause,
  keys: toggleHelp,
  "close-help": () => help.close(),
};

registerKeys("Presenter (every page)", [
  { keys: ["P"], does: "Presenter mode on or off: panels fold away, the stage fills the screen, larger type" },
  { keys: ["F"], does: "Full screen on or off" },
  { keys: ["B", "."], does: "Blank the screen; the same key shows it again" },
  { keys: ["T"], does: "Dark theme on or off" },
  { keys: ["S"], does: "Show or fold the side panels while presenting" },
  { keys: ["K"], does: "Pause everything that moves" },
  { keys: ["Page Down", "Page Up"], does: "A clicker's next and previous: step what is on stage" },
  { keys: ["?"], does: "This list" },
], { order: 1 });

const KEYS = { p: "present", f: "fullscreen", t: "theme", b: "blank", ".": "blank", s: "panels", k: "pause" };

function typing(target) {
  return (
    target instanceof Element &&
    (target.isContentEditable || target.matches('input:not([type="checkbox"]):not([type="radio"]), textarea, select'))
  );
}

// While the screen is blank every key is the presenter's: B, "." or Esc shows the page again, and
// a clicker's press only brings the page back (it does not step something the class cannot see).
document.addEventListener(
  "keydown",
  (e) => {
    if (!blanked || ["Shift", "Control", "Alt", "Meta"].includes(e.key)) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    setBlank(false);
  },
  true,
);

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
  if (e.key === "?") {
    e.preventDefault();
    toggleHelp();
    return;
  }
  const action = KEYS[e.key.toLowerCase()];
  if (!action || (action === "panels" && !present)) return;
  e.preventDefault();
  ACTIONS[action]();
});

bar.addEventListener("click", (e) => {
  const button = e.target.closest("[data-presenter]");
  if (button) ACTIONS[button.dataset.presenter]();
});
help.addEventListener("click", (e) => {
  if (e.target === help || e.target.closest('[data-presenter="close-help"]')) help.close(); // the backdrop
});
blank.addEventListener("click", () => setBlank(false));
document.addEventListener("fullscreenchange", syncBar);
addEventListener("resize", () => {
  if (present && scale() !== lastScale) apply({ relayout: false });
});

function place() {
  const slot = document.querySelector("[data-presenter-slot]");
  if (slot) slot.append(bar);
  else document.body.append(bar);
  bar.classList.toggle("in-slot", Boolean(slot));
  document.body.append(note, help, blank);
  apply({ relayout: false });
}
if (document.body) place();
else document.addEventListener("DOMContentLoaded", place, { once: true });

// For tests: the state and the actions.
window.convscopePresenter = {
  get state() {
    return { present, theme: root.dataset.theme ?? null, blanked, scale: scale(), keys: listKeys() };
  },
  act: (name) => ACTIONS[name](),
};
