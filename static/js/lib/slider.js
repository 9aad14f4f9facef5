// One labelled range slider, as every widget's settings show it: the label and the value
// above, the range, its two ends below, and a polite live region for the server's sentence
// about this setting. Widgets differ only in the names they give the parts, so each passes
// its own; the markup and its look are this one.

import { alertHtml } from "./alerts.js";

/**
 * slider({id, label, control, input, output, ends, ticks, alert, className}) -> HTML
 * id: the range's id (its label points at it); control: data-control (default: id);
 * input: extra attributes of the range (data-key, min, max, step …);
 * output: attributes of the value shown (an id, or data-value);
 * ends: false for none, [lo, hi] for fixed text, {id?} for ends filled in later (data-end);
 * ticks: a datalist id for tick marks; alert: the data-alert key, or false for none.
 */
export function slider({
  id,
  label,
  control = id,
  input = "",
  output = "",
  ends = {},
  ticks = null,
  alert = control,
  className = "",
}) {
  const list = ticks ? ` list="${ticks}"` : "";
  const described = ends && ends.id ? ` aria-describedby="${ends.id}"` : "";
  return (
    `<div class="control${className ? ` ${className}` : ""}" data-control="${control}">
      <div class="control-head"><label for="${id}">${label}</label><output class="control-value" ` +
    `${output}></output></div>
      <input type="range" id="${id}" ${input}${list}${described}>
      ${ticks ? `<datalist id="${ticks}"></datalist>` : ""}${endsHtml(ends)}
      ${alert === false ? "" : alertHtml(alert)}
    </div>`
  );
}

function endsHtml(ends) {
  if (!ends) return "";
  if (Array.isArray(ends)) return `<div class="range-ends"><span>${ends[0]}</span><span>${ends[1]}</span></div>`;
  const id = ends.id ? ` id="${ends.id}"` : "";
  return `<div class="range-ends"${id}><span data-end="min"></span><span data-end="max"></span></div>`;
}

/** Show a slider's range and value: bounds, position, the value text and the two ends. */
export function showRange(control, { min, max, value, text = value }) {
  const input = control.querySelector('input[type="range"]');
  if (input.min !== String(min)) input.min = min;
  if (input.max !== String(max)) input.max = max;
  if (input.value !== String(value)) input.value = value;
  setText(control.querySelector(".control-value"), text);
  const ends = control.querySelector(".range-ends");
  if (ends) {
    setText(ends.querySelector('[data-end="min"]'), min);
    setText(ends.querySelector('[data-end="max"]'), max);
  }
}

/** Write text only when it changed (no needless layout while a slider is dragged). */
export function setText(el, value) {
  if (el && el.textContent !== String(value)) el.textContent = String(value);
}
