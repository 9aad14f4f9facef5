// The output-size formula per axis and the parameter count, in MathML, with the
// engine's numbers substituted (meta.axes, meta.params). When an axis is not whole the
// box turns amber, shows the engine's sentence (meta.problem) and one button per
// nearby setting that fits (meta.suggestions). Nothing here is computed: every number
// is read from the server's answer.

import { m, math, mi as id, mn, mo as op, sub } from "../../lib/mathml.js";

const num = (v) => mn(String(v).replace("-", "\u2212"));

/** The numerator's terms, symbolic or with numbers, for one axis. */
function numerator(axis, names, withNumbers) {
  const v = (value, symbol) => (withNumbers ? num(value) : symbol);
  const terms = [v(axis.n, id("n"))];
  const uneven = axis.pad_before !== axis.pad_after;
  if (uneven) {
    terms.push(op("+"), v(axis.pad_before, sub("p", names[0])), op("+"), v(axis.pad_after, sub("p", names[1])));
  } else {
    terms.push(op("+"), num(2), op(withNumbers ? "×" : "\u2062"), v(axis.pad_before, id("p")));
  }
  if (axis.d === 1) {
    terms.push(op("\u2212"), v(axis.k, id("k")));
  } else {
    terms.push(
      op("\u2212"),
      v(axis.d, id("d")),
      op(withNumbers ? "×" : "\u2062"),
      op("("),
      v(axis.k, id("k")),
      op("\u2212"),
      num(1),
      op(")"),
      op("\u2212"),
      num(1),
    );
  }
  return terms;
}

// Two <math> elements, symbolic and with numbers, so a phone wraps the line between them.
function axisMath(axis, names) {
  const [symbolic, numeric] = [numerator(axis, names, false), numerator(axis, names, true)];
  const value = mn(axis.whole ? axis.size : axis.formula.split("=").pop().trim());
  if (!axis.whole) value.setAttribute("class", "not-whole");
  const fraction = (terms, under) => [m("mfrac", m("mrow", ...terms), under), op("+"), mn(1)];
  const style = { displaystyle: true };
  return [
    math([...fraction(symbolic, id("s")), op("=")], style),
    math([...fraction(numeric, num(axis.s)), op("="), value], style),
  ];
}

function paramsMath(meta, channelsIn) {
  const [kh, kw] = [meta.axes.height.k, meta.axes.width.k];
  const cOut = meta.output_shape[0];
  const times = () => op("×");
  const sym = m(
    "mrow",
    op("("),
    sub("k", "h"),
    times(),
    sub("k", "w"),
    times(),
    sub("c", "in"),
    op("+"),
    num(1),
    op(")"),
    times(),
    sub("c", "out"),
  );
  const val = m(
    "mrow",
    op("("),
    num(kh),
    times(),
    num(kw),
    times(),
    num(channelsIn),
    op("+"),
    num(1),
    op(")"),
    times(),
    num(cOut),
  );
  const style = { displaystyle: true };
  return [math([sym, op("=")], style), math([val, op("="), num(meta.params.total)], style)];
}

function sameAxis(a, b) {
  return ["n", "k", "s", "pad_before", "pad_after", "d"].every((key) => a[key] === b[key]);
}

export function mount(element, { onSuggest }) {
  element.innerHTML =
    `
    <div class="formula-rows">
      <div class="formula-row" data-axis="height"><span class="formula-label"></span><span ` +
    `class="formula-math"></span><span class="formula-note"></span></div>
      <div class="formula-row" data-axis="width"><span class="formula-label">Output width</span><span ` +
    `class="formula-math"></span><span class="formula-note"></span></div>
      <div class="formula-row" data-axis="params"><span class="formula-label">Parameters</span><span ` +
    `class="formula-math"></span><span class="formula-note"></span></div>
    </div>
    <div class="problem" role="status" aria-live="polite">
      <p class="problem-text"></p>
      <div class="suggestions" aria-label="Nearest settings that fit"></div>
    </div>`;
  const rows = {
    height: element.querySelector('[data-axis="height"]'),
    width: element.querySelector('[data-axis="width"]'),
    params: element.querySelector('[data-axis="params"]'),
  };
  const problem = element.querySelector(".problem");
  const problemText = element.querySelector(".problem-text");
  const suggestions = element.querySelector(".suggestions");
  let suggestionKey = "";

  function fillAxis(row, axis, names, label) {
    row.querySelector(".formula-label").textContent = label;
    row.querySelector(".formula-math").replaceChildren(...axisMath(axis, names));
    row.querySelector(".formula-note").textContent = axis.whole
      ? ""
      : `not whole: ${axis.leftover} ${axis.leftover === 1 ? "cell" : "cells"} left over, so the output has ` +
        `${axis.size}`;
    row.classList.toggle("bad", !axis.whole);
  }

  let shownKey = "";
  function update({ meta, channelsIn }) {
    if (!meta) return;
    const key = JSON.stringify([meta.axes, meta.params, meta.problem, meta.suggestions, meta.output_shape, channelsIn]);
    if (key === shownKey) return; // the same numbers: keep the MathML as it is
    shownKey = key;
    const { height, width } = meta.axes;
    const merged = sameAxis(height, width);
    fillAxis(rows.height, height, ["top", "bottom"], merged ? "Output size" : "Output height");
    rows.width.hidden = merged;
    if (!merged) fillAxis(rows.width, width, ["left", "right"], "Output width");
    rows.params.querySelector(".formula-math").replaceChildren(...paramsMath(meta, channelsIn));
    rows.params.querySelector(".formula-note").textContent =
      `${meta.params.weights} weights + ${meta.params.bias} ${meta.params.bias === 1 ? "bias" : "biases"}`;
    element.classList.toggle("has-problem", !meta.fits);
    problemText.textContent = meta.problem ?? "";
    problem.hidden = !meta.problem;
    renderSuggestions(meta.suggestions ?? {});
  }

  // One button per distinct setting; a square control applies it to both axes.
  function renderSuggestions(byAxis) {
    const seen = new Map();
    for (const fixes of Object.values(byAxis)) {
      for (const [name, value] of Object.entries(fixes)) seen.set(`${name}=${value}`, { name, value });
    }
    const key = [...seen.keys()].join("&");
    if (key === suggestionKey) return;
    suggestionKey = key;
    suggestions.replaceChildren();
    if (!seen.size) return;
    const intro = document.createElement("span");
    intro.textContent = "Settings that fit:";
    suggestions.append(intro);
    for (const { name, value } of seen.values()) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.dataset.name = name;
      button.dataset.value = value;
      button.textContent = name === "kernel" ? `kernel ${value}×${value}` : `${name} ${value}`;
      button.addEventListener("click", () => onSuggest({ [name]: value }));
      suggestions.append(button);
    }
  }

  return {
    update,
    destroy() {
      element.replaceChildren();
    },
  };
}
