// Keyboard first (DESIGN.md): space plays and pauses; arrows and PageUp/PageDown (what
// presentation clickers send) step; Home/End jump; Escape shows the whole output.
// Keys typed into a text field, a select, a focused slider or a radio group keep their
// usual meaning, so typing a kernel value or nudging a slider with arrows still works.
//
// Also here, for every page (lib/presenter.js reads them):
// - a registry of key bindings: registerKeys() adds a group, listKeys() lists them all (the "?"
//   overlay); bindKeys() registers its widget's step keys by itself;
// - the stage: the element bindKeys() is given as `home` carries data-stage; with nothing focused,
//   a clicker's PageUp/PageDown goes to the widget used last if it is still in view, else to the
//   widget most in view (on /layers or a lesson, the one the class is looking at);
// - focus discipline: <html data-keyboard-nav> while the keyboard navigates (Tab), removed on any
//   pointer press; presenter.css shows no focus box on a [data-stage] without it;
// - the global pause (motion.js's pauseAll()) is sent to every bound widget as the command "pause".

import { PAUSE_EVENT } from "./motion.js";

const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown"]);
const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);

function ownsKeys(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable || target.closest("dialog[open]")) return true; // a dialog's keys are its own (Esc)
  return target.matches('input:not([type="checkbox"]):not([type="button"]):not([type="file"]), textarea, select');
}

// ---------------------------------------------------------------- the registry of bindings

// [{id, group, bindings: [{keys: ["B", "."], does: "Blank the screen"}]}], in registration order.
const groups = [];
let nextGroup = 0;

/**
 * Add a group of key bindings to the list "?" shows: `group` names where they work ("Presenter",
 * a widget's title), each binding {keys: [...labels], does: "what it does"}; groups with a larger
 * `order` come later (the page-wide presenter keys: 1). Returns an unregister.
 */
export function registerKeys(group, bindings, { order = 0 } = {}) {
  const entry = { id: nextGroup++, group, bindings, order };
  groups.push(entry);
  document.dispatchEvent(new CustomEvent("convscope:keys"));
  return () => {
    const i = groups.indexOf(entry);
    if (i >= 0) groups.splice(i, 1);
  };
}

/** Every registered group: [{group, bindings}], by `order`, then as registered (widgets in mount order). */
export function listKeys() {
  return [...groups]
    .sort((a, b) => a.order - b.order || a.id - b.id)
    .map(({ group, bindings }) => ({ group, bindings: bindings.map((b) => ({ ...b })) }));
}

/** The keys bindKeys() gives a widget; a widget passes its own list when it does less or more. */
export const STEP_BINDINGS = [
  { keys: ["Space"], does: "Play or pause" },
  { keys: ["→", "↓", "Page Down"], does: "Step forward (a clicker's next)" },
  { keys: ["←", "↑", "Page Up"], does: "Step back (a clicker's previous)" },
  { keys: ["Home", "End"], does: "First step, last step" },
  { keys: ["Esc"], does: "Show the whole result" },
];

function groupName(scope) {
  if (scope === document.body) return document.title.split(" · ")[0] || "This page";
  const label = scope.getAttribute("aria-label");
  if (label) return label;
  const labelledBy = scope.getAttribute("aria-labelledby");
  // A widget's title (.widget-title), never the first heading of its controls (the playground's "Sliding").
  const heading = (labelledBy && document.getElementById(labelledBy)) || scope.querySelector(".widget-title, h1");
  return heading?.textContent.trim() || document.title.split(" · ")[0] || "This widget";
}

// ---------------------------------------------------------------- focus discipline

const root = document.documentElement;
document.addEventListener(
  "keydown",
  (e) => {
    if (e.key === "Tab") root.dataset.keyboardNav = "";
  },
  true,
);
document.addEventListener("pointerdown", () => delete root.dataset.keyboardNav, true);

// ---------------------------------------------------------------- widgets' step keys

// Every widget that listens for keys, in mount order. A key pressed inside a widget goes to
// that widget; a key pressed elsewhere (a clicker's key with nothing focused) goes to the
// widget used last, so one press never steps two widgets on a page (a lesson, /layers).
const bound = [];
let lastUsed = null;

/** How much of `el` is in the window, in px² (0 when scrolled away or hidden), and of the most it could be. */
function visibility(el) {
  const r = el.getBoundingClientRect();
  const w = Math.min(r.right, innerWidth) - Math.max(r.left, 0);
  const h = Math.min(r.bottom, innerHeight) - Math.max(r.top, 0);
  const area = w > 0 && h > 0 ? w * h : 0;
  return { area, share: area / Math.max(1, Math.min(r.width * r.height, innerWidth * innerHeight)) };
}
const visibleArea = (el) => visibility(el).area;

/**
 * The widget on stage: the one used last while it is mostly in view, else the one most in view; none
 * when several widgets share the page and none is in view (a clicker never steps what nobody sees).
 */
export function onStage() {
  if (bound.length < 2) return bound[0] ?? null;
  if (lastUsed && visibility(lastUsed.scope).share >= 0.3) return lastUsed;
  let best = null;
  let bestArea = 0;
  for (const b of bound) {
    const area = visibleArea(b.scope);
    if (area > bestArea) [best, bestArea] = [b, area];
  }
  return best;
}

// Every bound widget asks who owns a key press: the answer is worked out once per event.
let asked = { event: null, entry: null };
function owner(event) {
  if (asked.event === event) return asked.entry;
  const target = event.target;
  const inside = bound.find((b) => target instanceof Node && b.scope.contains(target));
  asked = { event, entry: inside ?? onStage() };
  return asked.entry;
}

document.addEventListener(PAUSE_EVENT, () => bound.forEach((b) => b.onCommand("pause")));

document.addEventListener(
  "pointerdown",
  (e) => {
    lastUsed = bound.find((b) => b.scope.contains(e.target)) ?? lastUsed;
  },
  true,
);
document.addEventListener("focusin", (e) => {
  lastUsed = bound.find((b) => b.scope.contains(e.target)) ?? lastUsed;
});

/**
 * After a mouse or touch use of a slider, toggle, button or select inside `scope`, give the
 * keys back to `home` (the stage), so a presenter's clicker steps the animation instead of
 * nudging the last control touched. Keyboard users keep their focus where they put it.
 */
function giveKeysBackAfterPointer(scope, home) {
  let pointer = false;
  const giveBack = () => setTimeout(() => home.focus({ preventScroll: true }), 0);
  const mine = (e) => e.target instanceof Element && scope.contains(e.target);
  const onPointerDown = () => (pointer = true);
  const onKeyDown = () => (pointer = false);
  const onPointerUp = (e) => {
    if (mine(e) && e.target.matches('input[type="range"], input[type="checkbox"], input[type="radio"]')) giveBack();
  };
  const onClick = (e) => {
    if (e.detail > 0 && mine(e) && e.target.closest("button")) giveBack();
  };
  const onChange = (e) => {
    if (pointer && mine(e) && e.target.matches("select")) giveBack();
  };
  const listeners = [
    ["pointerdown", onPointerDown, true],
    ["keydown", onKeyDown, true],
    ["pointerup", onPointerUp, false],
    ["click", onClick, false],
    ["change", onChange, false],
  ];
  for (const [type, fn, capture] of listeners) document.addEventListener(type, fn, capture);
  return () => listeners.forEach(([type, fn, capture]) => document.removeEventListener(type, fn, capture));
}

/**
 * Call `onCommand("toggle" | "next" | "prev" | "first" | "last" | "reset")` for the keys this
 * widget owns: those pressed inside `scope` (default: the whole page), or anywhere when it is the
 * widget on stage (onStage()); and onCommand("pause") when the page pauses all motion. `home` is
 * the stage (marked data-stage). `label` and `bindings` are what the "?" overlay lists (default:
 * the scope's heading and STEP_BINDINGS). Returns an unbind function.
 */
export function bindKeys(onCommand, home, scope = document.body, { label, bindings = STEP_BINDINGS } = {}) {
  const entry = { scope, onCommand };
  bound.push(entry);
  home.dataset.stage = "";
  const unregister = registerKeys(label ?? groupName(scope), bindings);
  const stopGiving = giveKeysBackAfterPointer(scope, home);
  function handle(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (ownsKeys(target) || owner(event) !== entry) return;
    const isButton = target instanceof Element && target.matches("button, a, summary, label, input");
    let command = null;
    if (event.key === " " || event.key === "Spacebar") {
      if (isButton) return; // space presses the focused button, as everywhere else
      command = "toggle";
    } else if (NEXT.has(event.key)) command = "next";
    else if (PREV.has(event.key)) command = "prev";
    else if (event.key === "Home") command = "first";
    else if (event.key === "End") command = "last";
    else if (event.key === "Escape") command = "reset";
    if (!command) return;
    event.preventDefault(); // no page scroll under the presenter
    onCommand(command);
  }
  document.addEventListener("keydown", handle);
  return () => {
    document.removeEventListener("keydown", handle);
    stopGiving();
    unregister();
    bound.splice(bound.indexOf(entry), 1);
    if (lastUsed === entry) lastUsed = null;
  };
}
