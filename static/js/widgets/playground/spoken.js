// The stage in words, for a screen reader: a visually hidden live region that says, once a step
// has landed, where the window is, each weight × input = product, and the sum. The canvases
// are pictures to a screen reader (role="img" with their size); this is what they show. Every
// number is the engine's (the trace of conv.trace): nothing here multiplies or adds.

import { fmt } from "../../lib/format.js";

// A step of more terms than this (an 11×11 kernel on 3 channels is 363) is read as its channel
// sums: a list that long is no use heard aloud, and the arithmetic panel shows every term.
const MAX_SPOKEN_TERMS = 27;

const number = (v) => fmt(v, 3);

/**
 * The words for one step: {step, total, filter, view (a trace step), weights (F, C, KH, KW)
 * Tensor, dilation [dh, dw], padded} -> string.
 */
export function describeStep({ step, total, filter, view, weights, dilation = [1, 1], padded = false }) {
  const [, C, KH, KW] = weights.shape;
  const [, oh, ow] = view.outIndex;
  const [r0, c0] = view.origin;
  const [dh, dw] = dilation;
  const plane = padded ? "of the padded input" : "of the input";
  const rows = `rows ${r0 + 1} to ${r0 + dh * (KH - 1) + 1}`;
  const cols = `columns ${c0 + 1} to ${c0 + dw * (KW - 1) + 1}`;
  const parts = [
    `Step ${step + 1} of ${total}, filter ${filter + 1}: output row ${oh + 1}, column ${ow + 1}.`,
    `Window: ${rows}, ${cols} ${plane}${dh > 1 || dw > 1 ? `, every ${dh === dw ? dh : `${dh} by ${dw}`} cells` : ""}.`,
  ];
  const per = KH * KW;
  const n = C * per;
  if (n <= MAX_SPOKEN_TERMS) {
    for (let c = 0; c < C; c++) {
      const terms = [];
      for (let i = 0; i < per; i++) {
        const j = c * per + i;
        const w = weights.data[(filter * C + c) * per + i];
        terms.push(`${number(w)} × ${number(view.window[j])} = ${number(view.products[j])}`);
      }
      const head = C > 1 ? `Channel ${c + 1} products` : "Products";
      parts.push(`${head}: ${terms.join("; ")}.`);
    }
  } else {
    for (let c = 0; c < C; c++) parts.push(`${C > 1 ? `Channel ${c + 1}: ` : ""}${per} products.`);
  }
  const sums = Array.from(view.channelSums, number);
  const withBias = view.bias !== 0 || C > 1;
  parts.push(
    withBias
      ? `Sum: ${sums.join(" + ")} + bias ${number(view.bias)} = ${number(view.result)}.`
      : `Sum: ${number(view.result)}.`,
  );
  return parts.join(" ");
}

/** A live region appended to `element`; update() says each landed step once. */
export function mount(element) {
  const region = document.createElement("p");
  region.className = "visually-hidden spoken-step";
  region.setAttribute("aria-live", "polite");
  region.setAttribute("aria-atomic", "true");
  element.append(region);
  let said = null; // the trace step last put in words

  /** args: as describeStep's, plus `playing`; null: no step on stage (the region empties). */
  function update(args) {
    if (!args) {
      if (said) region.textContent = "";
      said = null;
      return;
    }
    if (args.view === said) return;
    said = args.view;
    // While playing, each landed step is said short, so a queue of long sentences never builds up.
    region.textContent = args.playing
      ? `Step ${args.step + 1} of ${args.total}: ${number(args.view.result)}.`
      : describeStep(args);
  }

  return {
    update,
    region,
    destroy: () => region.remove(),
  };
}
