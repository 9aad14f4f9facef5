// The softmax widget's chart: one column per class, its logit as a bar above or below zero (drag
// it, or focus it and press ↑/↓: 0.1 a press, 1 with Shift or Page Up/Down; ←/→ go to the next
// bar), its probability as a bar from the engine's answer below, and its name as a button that
// makes it the true class. The logits are the learner's input, so their bars follow the pointer at
// once; every probability is the engine's.

import { fmt, fmtCell } from "../../lib/format.js";

const STEP = 0.1;
const BIG_STEP = 1;
const MIN_SCALE = 3; // a logit bar's half height means at least ±3: small logits still show

/** A logit rounded to the widget's grain (0.1), without float noise. */
export const grain = (v) => Math.round(v * 10) / 10;

/** The half-height of the logit axis for these logits: the largest |z|, rounded up, at least 3. */
export const axisFor = (logits) => Math.max(MIN_SCALE, Math.ceil(Math.max(...logits.map(Math.abs))));

// Row names at the left of the chart (the bars say the same to a screen reader by their labels).
const LEGEND =
  '<div class="sm-legend" aria-hidden="true"><span></span><span>z</span><span>p</span><span></span>' +
  '<span class="sm-legend-y">y</span></div>';

function columnHtml(i) {
  return `<div class="sm-col" data-class="${i}">
      <span class="sm-logit-value" data-logit-value="${i}"></span>
      <div class="sm-track sm-logit-track" data-track="${i}">
        <span class="sm-zero"></span>
        <span class="sm-logit-bar" data-logit="${i}" role="slider" tabindex="0" aria-orientation="vertical"></span>
      </div>
      <div class="sm-track sm-prob-track"><span class="sm-prob-bar" data-prob="${i}"></span></div>
      <span class="sm-prob-value" data-prob-value="${i}"></span>
      <button type="button" class="sm-name" data-label="${i}" aria-pressed="false"></button>
    </div>`;
}

/**
 * The chart in `element`. onLogit(i, value) asks for a logit to change (rounded to 0.1, within
 * ±max); onLabel(i) makes class i the true one; onFocus(i) says which bar was last touched;
 * onMark(i) which class the pointer or the focus is on now (null: none), to light its row of the table.
 * Returns {draw({logits, names, label, probs, predicted}), focus(i), destroy()}.
 */
export function createChart(element, { max, onLogit, onLabel, onFocus, onMark }) {
  let count = 0;
  let shown = null; // the last drawn {logits, …}
  let dragAxis = null; // the axis frozen while a bar is dragged, so the bar does not run away

  const clamp = (v) => Math.max(-max, Math.min(max, grain(v)));

  function valueAt(track, clientY, axis) {
    const box = track.getBoundingClientRect();
    const middle = box.top + box.height / 2;
    return clamp(((middle - clientY) / (box.height / 2)) * axis);
  }

  function onPointerDown(e) {
    const track = e.target.closest("[data-track]");
    if (!track || !shown || e.button > 0) return;
    const i = Number(track.dataset.track);
    e.preventDefault();
    track.setPointerCapture?.(e.pointerId);
    dragAxis = axisFor(shown.logits);
    element.querySelector(`[data-logit="${i}"]`).focus({ preventScroll: true });
    onFocus(i);
    onLogit(i, valueAt(track, e.clientY, dragAxis));
    const move = (ev) => onLogit(i, valueAt(track, ev.clientY, dragAxis));
    const up = () => {
      dragAxis = null;
      track.removeEventListener("pointermove", move);
      track.removeEventListener("pointerup", up);
      track.removeEventListener("pointercancel", up);
      if (shown) draw(shown); // the axis may now fit the new logits
    };
    track.addEventListener("pointermove", move);
    track.addEventListener("pointerup", up);
    track.addEventListener("pointercancel", up);
  }

  function onKeyDown(e) {
    const bar = e.target.closest("[data-logit]");
    if (!bar || !shown) return;
    const i = Number(bar.dataset.logit);
    const big = e.shiftKey ? BIG_STEP : STEP;
    const moves = { ArrowUp: big, ArrowDown: -big, PageUp: BIG_STEP, PageDown: -BIG_STEP };
    if (e.key in moves) onLogit(i, clamp(shown.logits[i] + moves[e.key]));
    else if (e.key === "Home") onLogit(i, 0);
    else if (e.key === "ArrowLeft") focus((i + count - 1) % count);
    else if (e.key === "ArrowRight") focus((i + 1) % count);
    else return;
    e.preventDefault(); // the page does not scroll, and no other widget steps
    e.stopPropagation();
  }

  function onClick(e) {
    const b = e.target.closest("[data-label]");
    if (b) onLabel(Number(b.dataset.label));
  }

  const onFocusIn = (e) => {
    const bar = e.target.closest("[data-logit]");
    if (!bar) return;
    onFocus(Number(bar.dataset.logit));
    onMark(Number(bar.dataset.logit));
  };
  const onFocusOut = () => onMark(null);
  const onPointerOver = (e) => {
    const col = e.target.closest("[data-class]");
    if (col) onMark(Number(col.dataset.class));
  };
  const onPointerLeave = () => {
    const bar = element.querySelector("[data-logit]:focus");
    onMark(bar ? Number(bar.dataset.logit) : null);
  };

  element.addEventListener("pointerdown", onPointerDown);
  element.addEventListener("keydown", onKeyDown);
  element.addEventListener("click", onClick);
  element.addEventListener("focusin", onFocusIn);
  element.addEventListener("focusout", onFocusOut);
  element.addEventListener("pointerover", onPointerOver);
  element.addEventListener("pointerleave", onPointerLeave);

  function focus(i) {
    element.querySelector(`[data-logit="${i}"]`)?.focus();
    onFocus(i);
  }

  function build(n) {
    count = n;
    element.style.setProperty("--classes", n);
    element.toggleAttribute("data-many", n > 5);
    element.innerHTML = LEGEND + Array.from({ length: n }, (_, i) => columnHtml(i)).join("");
  }

  /** Light column i (null: none), as its row of the table is lit. */
  function mark(i) {
    for (const col of element.querySelectorAll("[data-class]")) {
      col.classList.toggle("sm-mark", Number(col.dataset.class) === i);
    }
  }

  function draw(view) {
    shown = view;
    const { logits, names, label, probs, predicted } = view;
    if (logits.length !== count) build(logits.length);
    const axis = dragAxis ?? axisFor(logits);
    element.dataset.axis = String(axis);
    for (let i = 0; i < count; i++) {
      const z = logits[i];
      const bar = element.querySelector(`[data-logit="${i}"]`);
      const half = Math.min(1, Math.abs(z) / axis) * 50; // % of the track
      bar.style.top = z >= 0 ? `${50 - half}%` : "50%";
      bar.style.height = `${half}%`;
      bar.classList.toggle("negative", z < 0);
      bar.setAttribute("aria-valuemin", String(-max));
      bar.setAttribute("aria-valuemax", String(max));
      bar.setAttribute("aria-valuenow", String(z));
      bar.setAttribute("aria-valuetext", `logit ${fmt(z)}`);
      bar.setAttribute("aria-label", `Logit z of class ${names[i]}`);
      element.querySelector(`[data-logit-value="${i}"]`).textContent = fmt(z);
      const p = probs ? probs[i] : null;
      element.querySelector(`[data-prob="${i}"]`).style.height = p == null ? "0" : `${p * 100}%`;
      // Two decimals under a bar (tiny ones as 0); the table has the digits.
      element.querySelector(`[data-prob-value="${i}"]`).textContent = p == null ? "" : fmtCell(p);
      const name = element.querySelector(`[data-label="${i}"]`);
      name.textContent = names[i];
      name.setAttribute("aria-pressed", String(i === label));
      name.setAttribute("aria-label", `${names[i]}${i === label ? ", the true class" : ": make it the true class"}`);
      const col = element.querySelector(`[data-class="${i}"]`);
      col.classList.toggle("true-class", i === label);
      col.classList.toggle("predicted", i === predicted);
    }
  }

  return {
    draw,
    focus,
    mark,
    destroy() {
      element.removeEventListener("pointerdown", onPointerDown);
      element.removeEventListener("keydown", onKeyDown);
      element.removeEventListener("click", onClick);
      element.removeEventListener("focusin", onFocusIn);
      element.removeEventListener("focusout", onFocusOut);
      element.removeEventListener("pointerover", onPointerOver);
      element.removeEventListener("pointerleave", onPointerLeave);
    },
  };
}
