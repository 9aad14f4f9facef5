// Layer pipeline, the blocks' side. One block is conv → activation → pool; this module holds what
// belongs to a block: its URL fields, the controls on its three cards and their slider ranges,
// the kernel cap every block must stay under, the kernels themselves (assembled from kernel.preset
// answers into the (F, C, K, K) a conv stage takes) and the pipeline.run request built from them.
// pipeline-widget.js mounts the widget and routes state; pipeline-view.js draws the answer. Kept
// apart so each file stays short; no value is computed here, only requests are put together.

import { slider as rangeSlider } from "../../lib/slider.js";

export const KINDS = ["conv", "act", "pool"]; // the stages of one block, in order
export const MAX_BLOCKS = 4; // 12 stages: the most pipeline.run takes
const KERNEL_LABELS = { xo_set: "X/O set", random: "Random" };

/** Block b's URL fields (state.js table), prefixed `pl{b}`. */
export function blockFields(b, choices) {
  const first = b === 1; // block 1 starts as the lecture's X/O layer; later blocks as a "same" 3×3 conv of 4 filters
  return [
    {
      key: `pl${b}Kernels`,
      url: `plkp${b}`,
      type: "enum",
      options: Object.keys(KERNEL_LABELS),
      def: first ? "xo_set" : "random",
    },
    { key: `pl${b}Size`, url: `plk${b}`, type: "int", min: 1, max: "kernel", def: 3 },
    { key: `pl${b}Filters`, url: `plf${b}`, type: "int", min: 1, max: "filters", def: first ? 3 : 4 },
    { key: `pl${b}Stride`, url: `plcs${b}`, type: "int", min: 1, max: "stride", def: 1 },
    { key: `pl${b}Pad`, url: `plp${b}`, type: "int", min: 0, max: "padding", def: first ? 0 : 1 },
    { key: `pl${b}Act`, url: `pla${b}`, type: "enum", options: choices.map((c) => c.name), def: "relu" },
    { key: `pl${b}Mode`, url: `plm${b}`, type: "enum", options: ["max", "avg"], def: "max" },
    // Block 1's 7×7 maps take a 3×3 window at stride 2 exactly ((7 − 3)/2 + 1 = 3), so the page
    // opens on a pipeline that fits; a 2×2 window would floor 3.5 and open on a warning.
    { key: `pl${b}Window`, url: `plw${b}`, type: "int", min: 1, max: "stride", def: first ? 3 : 2 },
    { key: `pl${b}PoolStride`, url: `plps${b}`, type: "int", min: 1, max: "stride", def: 2 },
  ];
}

// pipeline.run takes kernels of at most filters·channels·kernel² numbers (the protocol's KernelGrid cap).
export const valuesCap = (limits) => limits.filters * limits.channels * limits.kernel ** 2;
export const maxKernel = (limits, c, f) => Math.min(limits.kernel, Math.floor(Math.sqrt(valuesCap(limits) / (c * f))));

export const slider = (key, label) =>
  rangeSlider({
    id: `pl-${key}`,
    control: key,
    label,
    className: "pl-control",
    input: `data-key="${key}" step="1"`,
    output: `data-value="${key}"`,
    alert: false,
  });

/** The controls on block b's card of the given kind (conv, act or pool). */
export function controlsFor(kind, b, choices) {
  if (kind === "conv") {
    return `<div class="chips" role="group" aria-label="Block ${b} kernels">${Object.entries(KERNEL_LABELS)
      .map(
        ([k, t]) =>
          `<button type="button" class="chip" data-block="${b}" data-kernels="${k}" aria-pressed="false">${t}</button>`,
      )
      .join("")}</div>
      ${slider(
        `pl${b}Size`,
        "Kernel " + "size",
      )}${slider(`pl${b}Filters`, "Filters")}${slider(`pl${b}Stride`, "Stride")}${slider(`pl${b}Pad`, "Padding")}`;
  }
  if (kind === "act") {
    return `<div class="control pl-control"><label for="pl-pl${b}Act">Function</label>
      <select id="pl-pl${b}Act" data-key="pl${b}Act">${choices
        .map((c) => `<option ` + `value="${c.name}">${c.label ?? c.name}</option>`)
        .join("")}</select></div>`;
  }
  return `<div class="chips" role="group" aria-label="Block ${b} pooling">
      <button type="button" class="chip" data-block="${b}" data-mode="max" aria-pressed="false">Max</button>
      <button type="button" class="chip" data-block="${b}" data-mode="avg" aria-pressed="false">Average</button></div>
    ${slider(`pl${b}Window`, "Window")}${slider(`pl${b}PoolStride`, "Stride")}`;
}

export function setSlider(element, key, min, max, value, disabled = false) {
  const el = element.querySelector(`#pl-${key}`);
  if (!el) return;
  Object.assign(el, { min, max, disabled });
  el.value = value;
  element.querySelector(`[data-value="${key}"]`).textContent = value;
  const ends = el.parentElement.querySelector(".range-ends");
  ends.querySelector('[data-end="min"]').textContent = min;
  ends.querySelector('[data-end="max"]').textContent = max;
}

// Slider ranges: the engine's (meta.ranges of the last answer, via stageMeta) within the server's limits.
export function renderBlockControls(element, s, limits, stageMeta) {
  const cap = valuesCap(limits);
  for (let b = 1; b <= s.plBlocks; b++) {
    const c = b === 1 ? 1 : s[`pl${b - 1}Filters`];
    const [k, f, xo] = [s[`pl${b}Size`], s[`pl${b}Filters`], s[`pl${b}Kernels`] === "xo_set"];
    const conv = stageMeta(3 * b - 2)?.ranges.width;
    const pool = stageMeta(3 * b)?.ranges.width;
    // This block's filters are the next block's channels: both kernels must stay under the cap.
    const next = b < s.plBlocks ? Math.floor(cap / (s[`pl${b + 1}Filters`] * s[`pl${b + 1}Size`] ** 2)) : Infinity;
    setSlider(element, `pl${b}Size`, 1, Math.min(conv?.kernel.max ?? limits.kernel, maxKernel(limits, c, f)), k);
    setSlider(
      element,
      `pl${b}Filters`,
      xo ? 3 : 1,
      xo ? 3 : Math.min(limits.filters, Math.floor(cap / (c * k * k)), next),
      f,
      xo,
    );
    setSlider(element, `pl${b}Stride`, 1, conv?.stride.max ?? limits.stride, s[`pl${b}Stride`]);
    setSlider(element, `pl${b}Pad`, 0, conv?.padding.max ?? limits.padding, s[`pl${b}Pad`]);
    setSlider(element, `pl${b}Window`, 1, pool?.kernel.max ?? limits.stride, s[`pl${b}Window`]);
    setSlider(element, `pl${b}PoolStride`, 1, pool?.stride.max ?? limits.stride, s[`pl${b}PoolStride`]);
    element.querySelector(`#pl-pl${b}Act`).value = s[`pl${b}Act`];
    element
      .querySelectorAll(`[data-block="${b}"]`)
      .forEach((btn) =>
        btn.setAttribute(
          "aria-pressed",
          String(
            btn.dataset.kernels ? btn.dataset.kernels === s[`pl${b}Kernels`] : btn.dataset.mode === s[`pl${b}Mode`],
          ),
        ),
      );
  }
}

// kernel.preset makes kernels over at most limits.channels channels (the input's cap), but a block
// after a 4-filter block gets 4 channels: its filters are assembled from several seeded draws,
// channels side by side (F, C, K, K). Seeds differ per block and per draw. Returns loadKernels(s, b):
// block b's kernels, or null after showing why on the block's conv card.
export function createKernelLoader(socket, limits, alerts) {
  const kernelCache = new Map(); // request key -> {filters, height, width, values}
  return async function loadKernels(s, b) {
    const name = s[`pl${b}Kernels`];
    const spec = {
      name,
      size: s[`pl${b}Size`],
      filters: s[`pl${b}Filters`],
      seed: name === "random" ? s.plKernelSeed * 1000 + b * 10 : 0,
    };
    const channels = b === 1 ? 1 : s[`pl${b - 1}Filters`];
    const key = JSON.stringify([spec, channels]);
    if (kernelCache.has(key)) return kernelCache.get(key);
    try {
      const parts = [];
      for (let c0 = 0, j = 0; c0 < channels; c0 += limits.channels, j++) {
        const c = Math.min(limits.channels, channels - c0);
        const a = await socket.request("kernel.preset", { ...spec, channels: c, seed: spec.seed + j });
        parts.push({ c, values: a.arrays.values.data, meta: a.meta }); // values: (F, c, K, K) flat
      }
      const { filters, height, width } = parts[0].meta;
      const taps = height * width;
      const values = new Float32Array(filters * channels * taps); // (F, C, K, K) flat
      let at = 0;
      for (let f = 0; f < filters; f++) {
        for (const p of parts) {
          values.set(p.values.subarray(f * p.c * taps, (f + 1) * p.c * taps), at);
          at += p.c * taps;
        }
      }
      alerts.clear(`kernel-${b}`);
      if (kernelCache.size > 64) kernelCache.clear();
      kernelCache.set(key, { filters, height, width, values });
      return kernelCache.get(key);
    } catch (e) {
      if (!e.quiet) alerts.show(null, e.message, `kernel-${b}`, `stage-${3 * b - 2}`);
      return null;
    }
  };
}

/** The pipeline.run request: the input grid, then conv, act and pool for each block's kernels. */
export function pipelineParams(s, kernels, input) {
  const stages = kernels.flatMap((k, i) => {
    const b = i + 1;
    const [st, p, w, ps] = [s[`pl${b}Stride`], s[`pl${b}Pad`], s[`pl${b}Window`], s[`pl${b}PoolStride`]];
    return [
      {
        kind: "conv",
        kernels: { filters: k.filters, height: k.height, width: k.width, values: Array.from(k.values) },
        stride: [st, st],
        padding: [p, p, p, p],
      },
      { kind: "act", name: s[`pl${b}Act`] },
      { kind: "pool", mode: s[`pl${b}Mode`], kernel: [w, w], stride: [ps, ps] },
    ];
  });
  return { input: { channels: 1, height: input.size, width: input.size, values: Array.from(input.values) }, stages };
}
