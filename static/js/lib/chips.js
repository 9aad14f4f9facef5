// A row of chips: toggle buttons in a labelled group, each carrying data-<attr>="<value>" and
// aria-pressed, which shows the one chosen (or, for toggles, each one on).

/** One chip's markup. */
export const chip = (attr, value, label) =>
  `<button type="button" class="chip" data-${attr}="${value}" aria-pressed="false">${label}</button>`;

/** A group of chips: `items` as [[value, label], …] or {value: label}; `className` is added to "chips". */
export function chips(attr, items, { label, className = "" } = {}) {
  const list = Array.isArray(items) ? items : Object.entries(items);
  const group = label ? ` role="group" aria-label="${label}"` : "";
  return (
    `<div class="chips${className ? ` ${className}` : ""}"${group}>
      ${list.map(([value, text]) => chip(attr, value, text)).join("\n      ")}
    </div>`
  );
}

/** Mark each chip of `attr` inside `root` pressed when `on(value)` is true. */
export function pressChips(root, attr, on) {
  for (const b of root.querySelectorAll(`[data-${attr}]`))
    b.setAttribute("aria-pressed", String(Boolean(on(b.getAttribute(`data-${attr}`)))));
}
