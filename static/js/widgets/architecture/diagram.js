// One block of a deeper network drawn as a small diagram, from arch.table's `block`: its branches
// side by side (Inception's four, a bottleneck's main path beside its shortcut), a box per
// convolution with its output shape, parameters (its batch norm's beside them) and multiply-adds,
// and how the branches meet. A block with separable convolutions also shows its first one against
// the ordinary convolution it replaces. Every number is the server's; this only lays them out.

import { group, shapeText } from "./table.js";

/** Multiply-adds read at a glance: "102.8 million", "1.72 billion". */
export function compact(n) {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} billion`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  return group(n);
}

// What each block's boxes leave out, in words: where the ReLUs go.
const NOTES = {
  bottleneck: "ReLU after the first two norms, and after the sum.",
  inception: "Every convolution has batch norm and a ReLU; the pool keeps the map's size (stride 1).",
  xception: "A ReLU before each separable convolution.",
  sepconv: "No bias: batch norm follows.",
};

/** Boxes of a branch: each convolution (or pool) with the batch norm after it folded in; a depthwise
 * convolution and the pointwise one after it make one separable box. */
function boxes(parts) {
  const out = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.kind === "batchnorm" && last) last.norm = p;
    else if (last?.parts[0].kind === "depthwise" && last.parts.length === 1) last.parts.push(p);
    else out.push({ parts: [p], norm: null });
  }
  return out;
}

function boxHtml({ parts, norm }) {
  const [first, second] = parts;
  const last = parts[parts.length - 1];
  const layer = second
    ? `separable ${first.layer.replace(/^depthwise /, "").split(",")[0]} → ${group(second.shape[0])}`
    : first.layer;
  const named = (p) => (second ? ` ${p.kind === "depthwise" ? "depthwise" : "pointwise"}` : "");
  const params = parts.map((p) => `<b>${group(p.params)}</b>${named(p)}`).join(" + ");
  const madds = parts.map((p) => compact(p.madds)).join(" + ");
  return (
    `<li class="ar-box" data-kind="${second ? "separable" : first.kind}" ` +
    `data-part="${parts.map((p) => p.name).join(" ")}">` +
    `<span class="ar-box-layer">${layer}</span><span class="ar-box-shape">${shapeText(last.shape)}</span>` +
    (first.params ? `<span class="ar-box-params">${params}${norm ? ` + ${group(norm.params)} norm` : ""}</span>` : "") +
    (first.madds ? `<span class="ar-box-madds">${madds} multiply-adds</span>` : "") +
    `</li>`
  );
}

function branchHtml(branch, input) {
  const list = branch.parts.length
    ? `<ol class="ar-boxes">${boxes(branch.parts).map(boxHtml).join("")}</ol>`
    : `<p class="ar-identity">the input as it is, ${shapeText(input)}</p>`;
  return `<div class="ar-branch"><p class="ar-branch-label">${branch.label}</p>${list}</div>`;
}

function mergeHtml(b) {
  const out = shapeText(b.shape);
  if (b.merge === "concat") {
    const channels = b.branches.map((br) => group(br.parts[br.parts.length - 1].shape[0])).join(" + ");
    return `<p class="ar-merge">Concatenate the channels: ${channels} → <b>${out}</b></p>`;
  }
  if (b.merge === "add") return `<p class="ar-merge">Add the two paths, then ReLU → <b>${out}</b></p>`;
  return `<p class="ar-merge">→ <b>${out}</b></p>`;
}

function separableHtml(s) {
  // The multiply-adds at a glance in large type; every digit of them beside their formula.
  const digits = (n) => group(n).replace(/,/g, ",<wbr>");
  const side = (title, cost) =>
    `<section class="ar-sep-side"><h5>${title}</h5>` +
    `<p><span class="ar-sep-what">parameters</span> <span class="formula-cell">${cost.formula}</span> ` +
    `<b class="ar-sep-params">${group(cost.params)}</b></p>` +
    `<p><span class="ar-sep-what">multiply-adds</span> <span class="formula-cell">${cost.madds_formula} = ` +
    `${digits(cost.madds)}</span> <b class="ar-sep-madds">${compact(cost.madds)}</b></p></section>`;
  const k = `${s.k}×${s.k}`;
  return (
    `<div class="ar-sep"><p class="ar-sep-title">Its first separable ${k} convolution, ${group(s.c_in)} → ` +
    `${group(s.c_out)} channels on ${s.h} × ${s.w}, against the ordinary ${k} convolution it replaces</p>` +
    `<div class="ar-sep-sides">${side(`Depthwise-separable: ${k} per channel, then 1×1`, s.separable)}` +
    `${side(`Ordinary ${k} convolution`, s.ordinary)}</div>` +
    `<p class="ar-sep-ratio">The ordinary one needs <b>${s.params_ratio.toFixed(1)}×</b> the parameters and ` +
    `<b>${s.madds_ratio.toFixed(1)}×</b> the multiply-adds.</p></div>`
  );
}

/** The diagram of `b` (arch.table's meta.block) as an element. */
export function blockDiagram(b) {
  const el = document.createElement("section");
  el.className = "ar-diagram";
  el.dataset.block = b.row;
  el.dataset.kind = b.kind;
  el.setAttribute("aria-label", `${b.name} as a diagram`);
  el.innerHTML =
    `<h4 class="ar-diagram-title">${b.name}, opened</h4>` +
    `<p class="ar-diagram-io">${shapeText(b.input_shape)} in · <b>${group(b.params)}</b> parameters · ` +
    `${compact(b.madds)} multiply-adds · ${NOTES[b.kind] ?? ""}</p>` +
    `<div class="ar-branches" data-branches="${b.branches.length}" data-merge="${b.merge}" ` +
    `style="--branches: ${b.branches.length}">` +
    `${b.branches.map((br) => branchHtml(br, b.input_shape)).join("")}</div>` +
    mergeHtml(b) +
    (b.separable ? separableHtml(b.separable) : "");
  return el;
}
