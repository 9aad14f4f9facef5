// The settings panel: sliders, selects, the flip toggle, preset chips, upload and brush.
// The markup is markup.js's; this binds it. Slider bounds come from the server: its limits
// at first, then meta.ranges after every run, so a slider cannot reach a setting the engine
// would refuse.

import { pressChips } from "../../lib/chips.js";
import { showRange } from "../../lib/slider.js";

const SQUARE = { kernel: "kernel", stride: "stride", padding: "padding", dilation: "dilation" };

/** The square control's range: what both axes allow (the server ranges them per axis). */
function squareRange(ranges, name) {
  const h = ranges.height[name];
  const w = ranges.width[name];
  return { min: Math.max(h.min, w.min), max: Math.min(h.max, w.max), fits: h.fits.filter((v) => w.fits.includes(v)) };
}

function rangesFor(meta, limits) {
  const r = meta?.ranges;
  const out = {
    height: r ? r.height.size : { min: 1, max: limits.size },
    width: r ? r.width.size : { min: 1, max: limits.size },
    channels: { min: 1, max: limits.channels },
    filters: { min: 1, max: limits.filters },
  };
  for (const name of Object.keys(SQUARE)) {
    out[name] = r ? squareRange(r, name) : { min: name === "padding" ? 0 : 1, max: limits[name] };
  }
  return out;
}

export function mount(panel, { limits, onChange, onRandom, onUpload }) {
  const sliders = [...panel.querySelectorAll('input[type="range"][data-key]')];
  const selects = [...panel.querySelectorAll("select[data-key]")];
  const flip = panel.querySelector('[data-key="flip"]');
  const chips = [...panel.querySelectorAll("[data-input]")];
  const upload = panel.querySelector(".upload");
  const listeners = [];

  function on(el, type, fn) {
    el.addEventListener(type, fn);
    listeners.push(() => el.removeEventListener(type, fn));
  }

  for (const slider of sliders) {
    on(slider, "input", () => onChange({ [slider.dataset.key]: Number(slider.value) }));
  }
  for (const select of selects) on(select, "change", () => onChange({ [select.dataset.key]: select.value }));
  on(flip, "change", () => onChange({ flip: flip.checked }));
  for (const chip of chips) on(chip, "click", () => onChange({ input: chip.dataset.input }));
  on(panel.querySelector(".random-input"), "click", () => onRandom());
  on(upload, "change", () => {
    const file = upload.files?.[0];
    if (file) onUpload(file);
    upload.value = ""; // choosing the same file again still uploads it
  });

  function brush() {
    return Number(panel.querySelector(".brush input:checked")?.value ?? 1);
  }

  function update({ state, meta }) {
    const ranges = rangesFor(meta, meta?.limits ?? limits);
    for (const slider of sliders) {
      const key = slider.dataset.key;
      const range = ranges[key];
      const value = state[key];
      // Keep the current value inside the bounds even when it is the setting that failed,
      // so the slider shows what the page is asking for.
      const control = slider.closest(".control");
      showRange(control, { min: Math.min(range.min, value), max: Math.max(range.max, value), value });
      // Ticks where the output is whole; the size sliders would get a tick at every value.
      if (key in SQUARE) fillTicks(control.querySelector("datalist"), range.fits);
    }
    for (const select of selects) {
      if (select.value !== state[select.dataset.key]) select.value = state[select.dataset.key];
    }
    flip.checked = state.flip;
    pressChips(panel, "input", (name) => name === state.input);
  }

  return {
    update,
    brush,
    destroy() {
      for (const off of listeners) off();
    },
  };
}

// Tick marks under a slider at the values where the output size is whole.
function fillTicks(datalist, fits) {
  const key = (fits ?? []).join(",");
  if (datalist.dataset.fits === key) return;
  datalist.dataset.fits = key;
  datalist.replaceChildren(...(fits ?? []).map((v) => Object.assign(document.createElement("option"), { value: v })));
}
