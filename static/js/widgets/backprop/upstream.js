// The upstream gradient ∂h as a small grid of text fields. A typed value from −LIMIT to
// LIMIT is sent as it is typed; anything else is marked on its cell and explained in the
// alert under the grid, and nothing is sent. A field being typed in is never overwritten.

import { scaleFor } from "../../lib/colors.js";
import { fmt, parseNumber } from "../../lib/format.js";

export const LIMIT = 100; // keeps every sum the widget writes short enough to read from the back row

export function mount(element, { onValue, onInvalid, onCommit }) {
  let shape = "";
  let inputs = [];

  function check(input, i, cols) {
    const value = parseNumber(input.value);
    const ok = value !== null && Math.abs(value) <= LIMIT;
    input.setAttribute("aria-invalid", String(!ok));
    if (ok) return onValue(i, value);
    const [r, c] = [Math.floor(i / cols) + 1, (i % cols) + 1];
    const name = `∂h${r}${c} (row ${r}, column ${c})`;
    const got = input.value.trim() === "" ? "it is empty" : `got “${input.value.trim()}”`;
    onInvalid(`${name} must be a number from −${LIMIT} to ${LIMIT}; ${got}.`);
  }

  function build(rows, cols) {
    element.style.setProperty("--cols", cols);
    element.dataset.size = cols > 3 ? "small" : "large";
    inputs = Array.from({ length: rows * cols }, (_, i) => {
      const input = document.createElement("input");
      Object.assign(input, {
        type: "text",
        inputMode: "decimal",
        autocomplete: "off",
        spellcheck: false,
        className: "kcell bp-cell",
      });
      const [r, c] = [Math.floor(i / cols) + 1, (i % cols) + 1];
      input.setAttribute("aria-label", `Upstream gradient ∂h${r}${c}, row ${r}, column ${c}`);
      input.dataset.index = i;
      input.addEventListener("input", () => check(input, i, cols));
      input.addEventListener("keydown", (e) => e.key === "Enter" && onCommit());
      return input;
    });
    element.replaceChildren(...inputs);
  }

  /** Show {rows, cols, values}; a field with focus keeps what is being typed. */
  function update({ rows, cols, values }) {
    if (`${rows}x${cols}` !== shape) {
      shape = `${rows}x${cols}`;
      build(rows, cols);
    }
    const scale = scaleFor(values, "diverging");
    inputs.forEach((input, i) => {
      if (document.activeElement !== input) {
        input.value = fmt(values[i], 3);
        input.setAttribute("aria-invalid", "false");
      }
      input.style.backgroundColor = scale.fill(values[i]);
      input.style.color = scale.ink(values[i]);
    });
  }

  return { update };
}
