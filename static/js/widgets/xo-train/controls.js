// The training widget's settings panel: the live settings (learning rate, momentum, batch
// size: the next batch uses them) and the run's settings (start, grid, filters, seed, the
// data's variations: changing one starts a new run). The panel holds no ranges of its own:
// it draws each slider with the engine's range (train.ready's meta.ranges) and each value as
// the run reports it. It calls onChange(patch) with URL-state keys; nothing else.

import { alertHtml } from "../../lib/alerts.js";
import { chips, pressChips } from "../../lib/chips.js";
import { fmt } from "../../lib/format.js";
import { slider as rangeSlider } from "../../lib/slider.js";

// Learning rates on a 1–2–5 ladder: a slider that moves in equal ratios, values that read well.
const LADDER = [1, 2, 5];

export const LIVE = [
  { key: "xoLr", name: "lr", label: "Learning rate", kind: "log" },
  { key: "xoMomentum", name: "momentum", label: "Momentum", kind: "num", step: 0.01 },
  { key: "xoBatch", name: "batch", label: "Batch size", kind: "int" },
];
export const RUN = [
  { key: "xoSize", name: "size", label: "Grid size", kind: "int", show: (v) => `${v} × ${v}` },
  { key: "xoFilters", name: "filters", label: "Filters", kind: "int" },
  { key: "xoKernel", name: "kernel", label: "Filter size", kind: "int", show: (v) => `${v} × ${v}` },
  { key: "xoPool", name: "pool", label: "Pooling window", kind: "int", show: (v) => `${v} × ${v}` },
  { key: "xoTrain", name: "n_train", label: "Training examples", kind: "int" },
  { key: "xoTest", name: "n_test", label: "Test examples", kind: "int" },
];
// Each variation: its "off" value and the amount a tick switches on (both as the engine reads them).
export const VARIATIONS = [
  { key: "xoShift", name: "shift", label: "Shift", kind: "int", off: 0, on: 1, show: (v) => `±${v} px` },
  {
    key: "xoScale",
    name: "scale",
    label: "Scale",
    kind: "num",
    step: 0.05,
    off: 0,
    on: 0.2,
    show: (v) => `±${fmt(v * 100, 0)}%`,
  },
  {
    key: "xoRotation",
    name: "rotation",
    label: "Rotation",
    kind: "num",
    step: 5,
    off: 0,
    on: 15,
    show: (v) => `±${fmt(v, 1)}°`,
  },
  {
    key: "xoThickness",
    name: "thickness",
    label: "Stroke thickness",
    kind: "num",
    step: 0.25,
    off: 1,
    on: 2,
    show: (v) => `≤ ${fmt(v, 2)} px`,
  },
  {
    key: "xoNoise",
    name: "noise",
    label: "Noise (pixels flipped)",
    kind: "num",
    step: 0.01,
    off: 0,
    on: 0.05,
    show: (v) => `${fmt(v * 100, 0)}%`,
  },
];

function ladder(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of LADDER) {
      const v = Number((m * 10 ** e).toPrecision(2));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** A setting's value as the panel writes it ("±10°", "9 × 9"). */
function shown(spec, value) {
  if (value == null) return "";
  if (spec.off !== undefined && value === spec.off) return "off";
  return spec.show ? spec.show(value) : fmt(value, 4);
}

function sliderHtml(spec, prefix) {
  return rangeSlider({
    id: `${prefix}-${spec.name}`,
    control: spec.name,
    label: spec.label,
    input: `data-field="${spec.key}"`,
    output: `data-value="${spec.name}"`,
  });
}

function variationHtml(spec) {
  return (
    `<div class="control variation" data-control="${spec.name}">
      <div class="control-head"><label class="toggle"><input type="checkbox" data-toggle="${spec.key}"> ` +
    `${spec.label}</label>
        <output class="control-value" data-value="${spec.name}"></output></div>
      <input type="range" id="xo-var-${spec.name}" data-field="${spec.key}" aria-label="${spec.label} amount">
      ${alertHtml(spec.name)}
    </div>`
  );
}

export function mountControls(element, { onChange }) {
  element.innerHTML =
    `
    <div class="group"><h3>Training</h3>
      <p class="hint">Used from the next batch on.</p>
      ${LIVE.map((s) => sliderHtml(s, "xo")).join("")}
    </div>
    <div class="group"><h3>The run</h3>
      <p class="hint">A change starts a new run from step 0.</p>
      ${chips("init", { hand: "Hand-designed filters", random: "Random filters" }, { label: "Start from" })}
      ${alertHtml("init")}
      <div class="control seed-control" data-control="seed">
        <label for="xo-seed">Seed</label>
        <div class="seed-row"><input type="number" id="xo-seed" min="0" step="1" inputmode="numeric" ` +
    `data-field="xoSeed">
          <button type="button" class="chip" data-action="next-seed">Next seed</button></div>
        ${alertHtml("seed")}
      </div>
      ${RUN.map((s) => sliderHtml(s, "xo")).join("")}
    </div>
    <div class="group"><h3>Variations in the data</h3>
      ${VARIATIONS.map(variationHtml).join("")}
      <label class="toggle control" data-control="distorted"><input type="checkbox" data-toggle="xoDistorted"> ` +
    `Distorted X's (the seed's wobbly X)</label>
      ${alertHtml("distorted")}
      ${alertHtml("variations")}
    </div>`;
  const all = [...LIVE, ...RUN, ...VARIATIONS];
  const specOf = (key) => all.find((s) => s.key === key);
  let view = null; // the last render's {ranges, values}: sliders map positions through it

  // A slider's position ↔ the value it stands for (the ladder for the learning rate).
  function valueAt(spec, input) {
    const pos = Number(input.value);
    if (spec.kind === "log") return ladder(...view.ranges[spec.name])[pos];
    return spec.kind === "int" ? Math.round(pos) : Number(pos.toFixed(4));
  }

  // Live settings go as the slider moves; run settings on release (or per key press), so a
  // drag across the size slider starts one run, not ten.
  element.addEventListener("input", (e) => {
    const spec = specOf(e.target.dataset.field);
    if (!spec || !view) return;
    const value = valueAt(spec, e.target);
    element.querySelector(`[data-value="${spec.name}"]`).textContent = shown(spec, value);
    if (LIVE.includes(spec)) onChange({ [spec.key]: value });
  });
  element.addEventListener("change", (e) => {
    const t = e.target;
    if (t.dataset.toggle) return toggle(t);
    const spec = specOf(t.dataset.field);
    if (spec && view && !LIVE.includes(spec)) onChange({ [spec.key]: valueAt(spec, t) });
    if (t.dataset.field === "xoSeed") {
      const n = Number(t.value);
      if (t.value !== "" && Number.isInteger(n)) onChange({ xoSeed: n });
    }
  });
  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.init) onChange({ xoInit: b.dataset.init });
    else if (b.dataset.action === "next-seed" && view) onChange({ xoSeed: (view.values.seed ?? 0) + 1 });
  });

  function toggle(box) {
    if (box.dataset.toggle === "xoDistorted") return onChange({ xoDistorted: box.checked });
    const spec = specOf(box.dataset.toggle);
    onChange({ [spec.key]: box.checked ? spec.on : spec.off });
  }

  function place(spec, range, value) {
    const box = element.querySelector(`[data-control="${spec.name}"]`);
    const input = box.querySelector('input[type="range"]');
    if (!range) {
      input.disabled = true;
      return;
    }
    let [lo, hi] = range;
    if (spec.kind === "log") {
      const steps = ladder(lo, hi);
      let best = 0;
      steps.forEach((v, i) => Math.abs(Math.log(v / value)) < Math.abs(Math.log(steps[best] / value)) && (best = i));
      Object.assign(input, { min: 0, max: steps.length - 1, step: 1 });
      input.value = best;
      [lo, hi] = [steps[0], steps[steps.length - 1]];
    } else {
      Object.assign(input, { min: lo, max: hi, step: spec.kind === "int" ? 1 : spec.step });
      if (document.activeElement !== input || input.dataset.shown !== String(value)) input.value = value;
    }
    input.dataset.shown = String(value);
    input.disabled = false;
    box.querySelector(`[data-value="${spec.name}"]`).textContent = shown(spec, value);
    const ends = box.querySelectorAll("[data-end]");
    if (ends.length) {
      ends[0].textContent = fmt(lo, 4);
      ends[1].textContent = fmt(hi, 4);
    }
  }

  /** ranges: {field or "variations.field": [lo, hi]}; values: the settings in use (engine names). */
  function render(ranges, values) {
    view = { ranges, values };
    for (const spec of [...LIVE, ...RUN]) place(spec, ranges[spec.name], values[spec.name]);
    for (const spec of VARIATIONS) {
      const v = values.variations?.[spec.name];
      place(spec, ranges[`variations.${spec.name}`], v);
      const box = element.querySelector(`[data-toggle="${spec.key}"]`);
      box.checked = v != null && v !== spec.off;
      element.querySelector(`#xo-var-${spec.name}`).classList.toggle("off", !box.checked);
    }
    element.querySelector('[data-toggle="xoDistorted"]').checked = Boolean(values.variations?.distorted);
    pressChips(element, "init", (init) => init === values.init);
    const seed = element.querySelector("#xo-seed");
    if (ranges.seed) Object.assign(seed, { min: ranges.seed[0], max: ranges.seed[1] });
    if (document.activeElement !== seed) seed.value = values.seed ?? "";
  }

  return { render };
}
