// A lesson page: its widgets mounted (lesson-widgets.js), its questions asked
// (lesson-questions.js), the learner's answers and place kept in this browser
// (lesson-progress.js), the progress bar kept up to date.

import { choiceOrders, learnerSeed } from "./lesson/choices.js";
import { mountQuestion } from "./lesson/questions.js";
import { bringIntoView, offerWayBack } from "./lesson/reveal.js";
import { lessonProgress } from "./lesson/progress.js";
import { mountWidget } from "./lesson/widgets.js";
import { connectPage, readJson } from "../lib/page.js";

const $ = (selector) => document.querySelector(selector);
const data = readJson("lesson-data");
const context = readJson("widget-context");
const status = $("#status");
const progress = lessonProgress(data.slug);
const saved = progress.get(); // as the learner left it, read before this visit is recorded
progress.visit();

// ------------------------------------------------------------------ widgets

const widgets = new Map();
const socket = connectPage({
  context,
  status,
  onOpen: () => widgets.forEach((w) => w.resend()), // (re)send every widget's state on each connection
  scope: "figure.lesson-widget, section.question[data-needs-server]", // the rest of a lesson reads offline
});
for (const figure of document.querySelectorAll("figure.lesson-widget")) {
  const id = figure.dataset.widget;
  widgets.set(id, mountWidget(figure, data.widgets[id], { id, context, socket, base: data.static }));
}

// The widgets' states as one store, by widget id: what a class follows (classroom/stage.js). A state
// set for a widget still loading is applied once it has loaded.
const changed = new Set();
for (const w of widgets.values()) w.loaded.then(() => w.store?.subscribe(() => changed.forEach((fn) => fn())));
const lessonStore = {
  get: () => Object.fromEntries([...widgets].filter(([, w]) => w.store).map(([id, w]) => [id, w.store.get()])),
  set(states) {
    for (const [id, state] of Object.entries(states ?? {})) {
      const w = widgets.get(id);
      w?.loaded.then(() => w.store?.set(state));
    }
  },
  subscribe(fn) {
    changed.add(fn);
    return () => changed.delete(fn);
  },
};

// ------------------------------------------------------------------ questions

const questions = new Map(data.questions.map((q) => [q.id, q]));
const done = new Set(saved.done.filter((id) => questions.has(id)));
const orders = choiceOrders(
  data.choicePlan,
  new Map(data.questions.filter((q) => q.kind === "choice").map((q) => [`${data.slug}/${q.id}`, q.answer])),
  learnerSeed(),
);

function showProgress() {
  const total = questions.size;
  $("#progress-bar").value = done.size;
  $("#progress-label").textContent = `${done.size} of ${total} question${total === 1 ? "" : "s"} done`;
  $("#lesson-progress").classList.toggle("complete", total > 0 && done.size === total);
}

for (const section of document.querySelectorAll("section.question")) {
  const q = questions.get(section.dataset.question);
  const widget = q.kind === "predict" ? widgets.get(q.widget) : null;
  if (widget) section.dataset.needsServer = ""; // its answer is the engine's
  mountQuestion(section, q, {
    saved: saved.answers[q.id],
    done: done.has(q.id),
    widgetTitle: q.kind === "predict" ? data.widgets[q.widget].title.toLowerCase() : "",
    order: orders.get(`${data.slug}/${q.id}`),
    // Without `read`, the value shown is the check's (the engine's) once the widget has answered.
    reveal: async () => {
      // The widget may be far up the page: show it changing, and offer the way back here.
      const figure = document.getElementById(`widget-${q.widget}`);
      if (bringIntoView(figure)) offerWayBack(section);
      const value = await widget.reveal(q.set, q.read ?? null);
      bringIntoView(figure); // the change may have moved its parts (a phone's controls above its drawing)
      return q.read ? value : q.answer;
    },
    onAnswer(given, right, value) {
      progress.answer(q.id, given, right, value);
      if (right) done.add(q.id);
      showProgress();
    },
  });
}
showProgress();

// ------------------------------------------------------------------ the place reached

// The section a learner reads is the last heading, widget or question whose top has passed
// a third of the way down the window. It is kept as they scroll, and on their return the
// page opens there (a link with its own #section wins).
const landmarks = [
  ...document.querySelectorAll(".lesson-prose :is(h2[id], h3[id], figure.lesson-widget, section.question)"),
];
let placeTimer = 0;
addEventListener(
  "scroll",
  () => {
    clearTimeout(placeTimer);
    placeTimer = setTimeout(() => {
      const line = innerHeight / 3;
      const passed = landmarks.filter((el) => el.getBoundingClientRect().top < line);
      progress.place(passed.length ? passed[passed.length - 1].id : null, scrollY);
    }, 300);
  },
  { passive: true },
);

let moved = false; // the learner scrolled or used the keys: stop putting them back
for (const type of ["wheel", "touchstart", "keydown", "pointerdown"])
  addEventListener(type, () => (moved = true), { once: true, passive: true });
function returnToPlace() {
  if (moved || location.hash || !saved.section) return;
  document.getElementById(saved.section)?.scrollIntoView({ block: "start" });
}
returnToPlace();
// Widgets grow as they draw their first answer; keep the place until they all have.
for (const w of widgets.values()) w.ready.then(returnToPlace);

// ------------------------------------------------------------------ keys

// Keys pressed with nothing focused belong to the page (arrows and PageDown scroll the prose)
// until the learner uses a widget; from then on they step that widget (keyboard.js).
let inWidget = false;
const insideWidget = (target) => target instanceof Element && Boolean(target.closest(".lesson-widget"));
document.addEventListener("pointerdown", (e) => (inWidget = insideWidget(e.target)), true);
document.addEventListener("focusin", (e) => (inWidget = insideWidget(e.target)));
addEventListener(
  "keydown",
  (e) => {
    const nothingFocused = e.target === document.body || e.target === document.documentElement;
    if (nothingFocused && !inWidget) e.stopImmediatePropagation();
  },
  true,
);

// For a class (the widgets' states, `store`) and for tests: the widgets by id, the page data and the
// order each choice question shows its choices in.
window.convscopeLesson = { data, widgets, progress, orders, store: lessonStore };
