// A lesson's questions: numeric (type a number, Check or Enter), choice (a radio group, in the
// learner's own order: choices.js) and predict (type a prediction, Reveal sets the widget and shows
// the engine's value). The right answers and their working come from the server, computed by the
// engine; the page only compares and fills the author's explanation with the learner's own numbers.
// A whole answer is graded exactly; any other within the question's stated tolerance.

import { fmt, parseNumber } from "../../lib/format.js";

const KIND_LABEL = { numeric: "Your answer", predict: "Your prediction" };
// A widget's value arrives as float32 (−1.8 reads −1.7999999523): compared with the check only
// to warn an author, never to grade.
const FLOAT32_MARGIN = 1e-6;
// Digit groups a person may type: 1,600,000 and 1 600 000 (any space, thin or not, or an apostrophe).
const GROUPED = /^[+\-\u2212]?\d{1,3}(?:([,'\u00a0\u2009\u202f ])\d{3})(?:\1\d{3})*(\.\d+)?$/;

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/** A number as typed by a person: "1,200" and "1 200" read as 1200 (one separator throughout), "−3" and
 * "0,5" as usual. */
export function readNumber(text) {
  const t = String(text).trim();
  if (GROUPED.test(t)) return parseNumber(t.replace(/[,'\u00a0\u2009\u202f ]/g, ""));
  return parseNumber(t);
}

/** Text of a shape or other text answer, for comparing: no spaces, x and * read as ×. */
function plain(text) {
  return String(text)
    .toLowerCase()
    .replace(/\s+|by/g, "")
    .replace(/[x*]/g, "×");
}

/** An engine value for the page: a shape as "7 × 7 × 1", a whole number as it is, others short. */
export function showValue(value) {
  if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value).map(showValue).join(" × ");
  if (typeof value === "number") return Number.isInteger(value) ? String(value).replace("-", "\u2212") : fmt(value, 4);
  return String(value);
}

/** Is `given` (what was typed) the `answer`? null when it cannot be read as one. */
function judge(given, answer, tolerance) {
  if (typeof answer === "string" || Array.isArray(answer) || ArrayBuffer.isView(answer)) {
    const text = typeof answer === "string" ? answer : showValue(answer);
    return given.trim() ? plain(given) === plain(text) : null;
  }
  const n = readNumber(given);
  if (n === null) return null;
  if (Number.isInteger(answer) && !tolerance) return n === answer;
  return Math.abs(n - answer) <= tolerance;
}

function agrees(value, answer, tolerance) {
  if (typeof value === "number" && typeof answer === "number")
    return Math.abs(value - answer) <= tolerance + FLOAT32_MARGIN * Math.max(1, Math.abs(answer));
  return plain(showValue(value)) === plain(showValue(answer));
}

function fill(template, values) {
  return template.replace(/\{(given|answer|work)\}/g, (_, name) => values[name]);
}

/**
 * Build the controls of one question inside its placeholder `section`.
 * options: {saved: {given, right, value?} | undefined, done: bool, onAnswer(given, right, value?),
 *           reveal(): Promise<engine value>, widgetTitle, order: the choices' indices as shown}
 */
export function mountQuestion(section, q, { saved, done, onAnswer, reveal, widgetTitle, order }) {
  const form = document.createElement("form");
  form.className = "question-form";
  form.noValidate = true;
  const inputId = `q-${q.id}-input`;
  if (q.kind === "choice") {
    form.innerHTML = `<fieldset class="question-choices"><legend class="visually-hidden">Choices</legend>
      ${(order ?? q.choices.map((_, i) => i))
        .map(
          (i) =>
            `<label class="question-choice"><input type="radio" name="q-${q.id}" value="${i}"> ` +
            `<span>${q.choices[i]}</span></label>`,
        )
        .join("")}
      </fieldset><button type="submit" class="lesson-button">Check</button>`;
  } else {
    const button = q.kind === "predict" ? "Reveal" : "Check";
    const where =
      q.kind === "predict"
        ? `<p class="question-note">Reveal sets the ${escapeHtml(widgetTitle)} above and reads the engine's answer ` +
          `there.</p>`
        : "";
    form.innerHTML =
      `<div class="question-entry"><label for="${inputId}">${KIND_LABEL[q.kind]}</label>
      <input id="${inputId}" class="question-input" type="text" inputmode="decimal" autocomplete="off" ` +
      `spellcheck="false">
      <button type="submit" class="lesson-button">${button}</button></div>${where}`;
  }
  const feedback = document.createElement("div");
  feedback.className = "question-feedback";
  feedback.setAttribute("role", "status");
  feedback.setAttribute("aria-live", "polite");
  feedback.tabIndex = -1; // the way back from a revealed widget lands here
  const mark = document.createElement("p");
  mark.className = "question-done";
  mark.textContent = "✓ Done";
  mark.hidden = true;
  section.append(form, feedback, mark);
  const input = form.querySelector(".question-input");
  // Selection follows focus, as the arrow keys already have it: a keyboard learner who moves into
  // choices with none picked yet has the focused one picked, whatever order the choices are in.
  form.addEventListener("focusin", (event) => {
    const radio = event.target;
    if (radio instanceof HTMLInputElement && radio.type === "radio" && !form.querySelector("input:checked"))
      radio.checked = true;
  });

  function setDone(on) {
    section.classList.toggle("done", on);
    mark.hidden = !on;
  }

  function show(given, right, value) {
    const answer = q.kind === "predict" ? escapeHtml(showValue(value)) : q.answer_html;
    const givenHtml = q.kind === "choice" ? q.choices[given] : escapeHtml(given);
    const verdict = right ? "Right." : "Not quite.";
    let html = `<p class="question-verdict">${verdict}</p>`;
    if (q.kind === "predict")
      html +=
        `<p class="question-engine">The engine computed <strong>${answer}</strong>; you predicted ` +
        `<strong>${givenHtml}</strong>.</p>`;
    html +=
      `<div ` +
      `class="question-explain">${fill(q.explain, { given: givenHtml, answer, work: escapeHtml(q.work) })}</div>`;
    if (!right && q.hint_wrong)
      html +=
        `<div class="question-hint"><span ` +
        `class="question-hint-label">Hint</span>` +
        `${fill(q.hint_wrong, { given: givenHtml, answer, work: escapeHtml(q.work) })}</div>`;
    feedback.className = `question-feedback ${right ? "right" : "wrong"}`;
    feedback.innerHTML = html;
  }

  /** The verdict shown, the answer kept (with the engine's value, for a prediction), done when right. */
  function answered(given, right, value) {
    show(given, right, value);
    if (value === undefined) onAnswer(given, right);
    else onAnswer(given, right, typeof value === "number" || typeof value === "string" ? value : showValue(value));
    if (right) setDone(true);
  }

  function say(text) {
    feedback.className = "question-feedback ask";
    feedback.textContent = text;
  }

  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    if (q.kind === "choice") {
      const picked = form.querySelector("input:checked");
      if (!picked) return say("Pick one of the choices first.");
      const given = Number(picked.value);
      const right = given === q.answer;
      answered(given, right);
      return;
    }
    const given = input.value.trim();
    const expected = typeof q.answer === "string" ? "" : "a number";
    if (!given || (expected && readNumber(given) === null))
      return say(`Type ${expected || "an answer"} first${given ? ` (“${given}” is not ${expected})` : ""}.`);
    if (q.kind === "numeric") {
      const right = judge(given, q.answer, q.tolerance);
      answered(given, right);
      return;
    }
    busy = true;
    say("Asking the engine…");
    try {
      const value = await reveal();
      if (value === undefined) throw new Error(`the widget has no value at “${q.read}”`);
      if (q.read && !agrees(value, q.answer, q.tolerance)) {
        // Settings moved by hand before the reveal, or a lesson whose `read` points at another number.
        console.warn(
          `Question “${q.id}”: the widget shows ${showValue(value)} at “${q.read}”, the check gives ` +
            `${showValue(q.answer)}.`,
        );
      }
      const right = Boolean(judge(given, value, q.tolerance));
      answered(given, right, value);
    } catch (error) {
      say(`Nothing to reveal: ${error.message}.`);
      console.error(`Question “${q.id}”: ${error.message}`);
    } finally {
      busy = false;
    }
  });

  // Coming back: the last answer, its feedback and the done mark, as they were left.
  // A lesson edited since may no longer offer the saved choice.
  const usable = saved && saved.given !== undefined && (q.kind !== "choice" || saved.given in q.choices);
  if (usable) {
    if (q.kind === "choice") {
      const radio = form.querySelector(`input[value="${Number(saved.given)}"]`);
      if (radio) radio.checked = true;
    } else {
      input.value = saved.given;
    }
    if (q.kind !== "predict" || saved.value !== undefined) show(saved.given, saved.right, saved.value);
  }
  setDone(Boolean(done));
}
