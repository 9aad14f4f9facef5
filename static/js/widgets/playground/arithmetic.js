// The arithmetic of one output cell, from the engine's trace (conv.trace): the
// element-wise products as a small grid per channel, the written sum weight × input per
// channel, the channel sums plus the bias, and the running sum as the terms are added.
// `progress` (0..1) reveals the terms for the animation; 1 shows everything.

import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid } from "../../lib/grid.js";

const MAX_TERMS_PER_LINE = 49;

export function mount(element, { id = (part) => part } = {}) {
  element.innerHTML = `
    <div class="arith-head"><span class="arith-title"></span>
      <span class="running">running sum <output id="${id("running-sum")}" class="running-sum"></output></span></div>
    <div class="arith-body">
      <div class="products" aria-hidden="true"></div>
      <div class="arith-lines"></div>
    </div>`;
  const title = element.querySelector(".arith-title");
  const productsBox = element.querySelector(".products");
  const lines = element.querySelector(".arith-lines");
  const running = element.querySelector(".running-sum");
  const runningRow = element.querySelector(".running");
  let builtFor = null;
  let terms = [];
  let productGrids = [];
  let totalLine = null;

  function build(step, weights, f) {
    const [, C, KH, KW] = weights.shape;
    const per = KH * KW;
    lines.replaceChildren();
    terms = [];
    for (let c = 0; c < C; c++) {
      const p = document.createElement("p");
      p.className = "arith-line";
      if (C > 1) p.append(span("ch", `Channel ${c + 1}: `));
      for (let i = 0; i < per; i++) {
        const j = c * per + i;
        if (i === MAX_TERMS_PER_LINE) {
          p.append(span("more", ` + … ${per - i} more terms`));
          break;
        }
        const w = weights.data[(f * C + c) * per + i];
        const x = step.window[j];
        // A negative second factor in brackets: "1×(−1)" reads better than "1×−1".
        const term = span(step.isPad[i] ? "term pad" : "term", `${fmt(w, 3)}×${x < 0 ? `(${fmt(x, 3)})` : fmt(x, 3)}`);
        term.title = `weight ${fmt(w, 4)} × input ${fmt(x, 4)} = ${fmt(step.products[j], 4)}`;
        if (i > 0) p.append(" + ");
        p.append(term);
        terms[j] = term;
      }
      p.append(" = ", span("sum", fmt(step.channelSums[c], 3)));
      lines.append(p);
    }
    totalLine = null;
    if (C > 1 || step.bias !== 0) {
      totalLine = document.createElement("p");
      totalLine.className = "arith-total";
      const sums = Array.from(step.channelSums, (s) => fmt(s, 3)).join(" + ");
      totalLine.append(`${sums} + bias ${fmt(step.bias, 3)} = `, span("result", fmt(step.result, 3)));
      lines.append(totalLine);
    }
    productGrids = [];
    productsBox.replaceChildren();
    for (let c = 0; c < C; c++) {
      const canvas = document.createElement("canvas");
      canvas.className = "grid-canvas";
      productsBox.append(canvas);
      productGrids.push(createGrid(canvas));
    }
  }

  /** update({step, weights, filter, progress, label}) or update(null) to show the hint. */
  function update(args) {
    if (!args?.step) {
      builtFor = null;
      title.textContent = "Step with → or click an output cell to see its arithmetic.";
      lines.replaceChildren();
      productsBox.replaceChildren();
      running.textContent = "";
      runningRow.hidden = true;
      return;
    }
    const { step, weights, filter, progress, label } = args;
    if (builtFor !== step) {
      build(step, weights, filter);
      builtFor = step;
    }
    const [, oh, ow] = step.outIndex;
    title.textContent = `${label} output row ${oh + 1}, column ${ow + 1} (filter ${filter + 1})`;
    const n = step.products.length;
    const shown = progress >= 1 ? n : Math.floor(progress * n);
    terms.forEach((t, j) => {
      t.classList.toggle("pending", j >= shown);
      t.classList.toggle("current", j === shown - 1 && progress < 1);
    });
    lines.classList.toggle("complete", shown >= n);
    runningRow.hidden = false;
    running.textContent = shown ? fmt(step.runningSum[shown - 1], 3) : "0";
    drawProducts(step, weights, shown);
  }

  function drawProducts(step, weights, shown) {
    const [, C, KH, KW] = weights.shape;
    const per = KH * KW;
    const scale = scaleFor(step.products, "diverging");
    const cell = KW > 7 ? 22 : KW > 4 ? 28 : 34;
    productGrids.forEach((grid, c) => {
      grid.draw({
        rows: KH,
        cols: KW,
        cell,
        scale,
        value: (r, col) => step.products[c * per + r * KW + col],
        filled: (r, col) => (c * per + r * KW + col < shown ? 1 : 0.15),
      });
    });
  }

  return {
    update,
    destroy() {
      element.replaceChildren();
    },
  };
}

function span(className, text) {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = text;
  return s;
}
