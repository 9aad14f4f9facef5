// Parameter-counting widget: an image as a vector, and three ways to connect it to the next layer,
// fully connected, locally connected and shared filters (convolution), each with its formula, the
// count with thousands separators, a reading ("≈ 1.6 billion, about 2 billion") and a log-scale bar;
// then a 1×1 convolution calculator. Every count and reading comes from the engine (params.count,
// engine.counts); the widget formats and draws.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   pcPreset   [pcp]  "seed001" | "seed000" | "cifar" | "custom" (default "seed001"); a preset sets the six
// numbers below
//   pcHeight   [pch]  image height, 1–1024      pcWidth [pcw] image width, 1–1024
//   pcChannels [pcc]  1–4                       pcUnits [pcu] hidden units or classes, 1–1,000,000
//   pcWindow   [pck]  a unit's window side, 1–64 (at most the image's smaller side)
//   pcFilters  [pcf]  shared filters, 1–4096
//   pcBias     [pcb]  count biases too (default false: the seeds' counts leave them out)
//   pcCin [pci], pcCout [pco]  a 1×1 convolution's channels in and filters, 1–4096 (default 64 → 32)
//   pcMap      [pcm]  the side of the map it slides over, 1–1024 (default 56: seed 004's 56×56×64 volume)

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { m } from "../../lib/mathml.js";
import { field } from "../../lib/schema.js";
import { keepThenRun, mountMarkup, widgetFace } from "../../lib/widget.js";

export const PC_PRESETS = {
  seed001: {
    label: "200×200, 40K hidden (seed 001)",
    pcHeight: 200,
    pcWidth: 200,
    pcChannels: 1,
    pcUnits: 40000,
    pcWindow: 10,
    pcFilters: 100,
  },
  seed000: {
    label: "256×256 → 1024 classes (seed 000)",
    pcHeight: 256,
    pcWidth: 256,
    pcChannels: 1,
    pcUnits: 1024,
    pcWindow: 10,
    pcFilters: 100,
  },
  cifar: {
    label: "32×32×3 → 10 classes",
    pcHeight: 32,
    pcWidth: 32,
    pcChannels: 3,
    pcUnits: 10,
    pcWindow: 5,
    pcFilters: 10,
  },
};
const IMAGE_KEYS = ["pcHeight", "pcWidth", "pcChannels", "pcUnits", "pcWindow", "pcFilters"];
// Each number's parameter in params.count: its bounds are that model's (the server's schema).
const PARAM_OF = {
  pcHeight: "height",
  pcWidth: "width",
  pcChannels: "channels",
  pcUnits: "units",
  pcWindow: "window",
  pcFilters: "filters",
  pcCin: "c_in",
  pcCout: "c_out",
  pcMap: "map_height",
};

/** The largest value of each number, as params.count accepts it. */
export function bounds({ schemas }) {
  return Object.fromEntries(
    Object.entries(PARAM_OF).map(([key, name]) => [key, field(schemas, "params.count", name).maximum]),
  );
}

/** The widget's URL fields (state.js table). */
export function fields(context) {
  const max = bounds(context);
  return [
    { key: "pcPreset", url: "pcp", type: "enum", options: [...Object.keys(PC_PRESETS), "custom"], def: "seed001" },
    { key: "pcHeight", url: "pch", type: "int", min: 1, max: max.pcHeight, def: 200 },
    { key: "pcWidth", url: "pcw", type: "int", min: 1, max: max.pcWidth, def: 200 },
    { key: "pcChannels", url: "pcc", type: "int", min: 1, max: max.pcChannels, def: 1 },
    { key: "pcUnits", url: "pcu", type: "int", min: 1, max: max.pcUnits, def: 40000 },
    { key: "pcWindow", url: "pck", type: "int", min: 1, max: max.pcWindow, def: 10 },
    { key: "pcFilters", url: "pcf", type: "int", min: 1, max: max.pcFilters, def: 100 },
    { key: "pcBias", url: "pcb", type: "bool", def: false },
    { key: "pcCin", url: "pci", type: "int", min: 1, max: max.pcCin, def: 64 },
    { key: "pcCout", url: "pco", type: "int", min: 1, max: max.pcCout, def: 32 },
    { key: "pcMap", url: "pcm", type: "int", min: 1, max: max.pcMap, def: 56 },
  ];
}

/** A preset decides the image's numbers. (A window larger than the image is the server's to explain.) */
export function consistent(state) {
  const s = { ...state };
  const preset = PC_PRESETS[s.pcPreset];
  if (preset) for (const key of IMAGE_KEYS) s[key] = preset[key];
  return s;
}

// Slider stops for the wide ranges (the number box beside each takes any whole number).
const NICE = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1024, 2000, 5000, 10000, 20000, 40000, 50000, 100000, 200000, 500000,
  1000000,
];
const DEPTHS = [1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const LOG_MAX = 12; // the bars run from 10^0 to 10^12
const TICKS = [
  [0, "1"],
  [3, "1 thousand"],
  [6, "1 million"],
  [9, "1 billion"],
  [12, "1 trillion"],
];
const ROWS = [
  ["fully", "Fully connected", "every unit sees every pixel of every channel"],
  ["local", "Locally connected", "each unit sees its own window, with its own weights"],
  ["shared", "Shared filters (convolution)", "each filter's window of weights is used at every position"],
];
const pow2 = (e) => m("msup", m("mn", "2"), m("mn", String(e)));
const group = (n) => n.toLocaleString("en-US");

function control(BOUNDS, key, label, stops = null) {
  return (
    `<div class="control pc-control" data-control="${key}">
      <div class="control-head"><label for="pc-${key}">${label}</label>
        <input type="number" class="pc-box" id="pc-${key}" data-key="${key}" min="1" max="${BOUNDS[key]}" ` +
    `step="1"></div>
      <input type="range" data-range="${key}" ${stops ? `data-stops="${stops}"` : ""} step="1" aria-label="${label}">
      ${alertHtml(key)}
    </div>`
  );
}

export function mount(element, { socket, onChange, ...context }) {
  const BOUNDS = bounds(context);
  const presets = Object.entries(PC_PRESETS).map(([k, p]) => [k, p.label]);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 class="widget-title">Counting parameters: why images need convolution</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("preset", presets, { label: "Example", className: "pc-presets" })}
        ${control(BOUNDS, "pcHeight", "Image height")}${control(
          BOUNDS,
          "pcWidth",
          "Image " + "width",
        )}${control(BOUNDS, "pcChannels", "Channels")}
        ${control(BOUNDS, "pcUnits", "Hidden units", "nice")}${control(
          BOUNDS,
          "pcWindow",
          "Window " + "side",
        )}${control(BOUNDS, "pcFilters", "Shared filters", "nice")}
        <label class="toggle pc-bias"><input type="checkbox" id="pc-bias"> <span>Count the biases too</span></label>
      </div>
      <div class="widget-main">
        ${alertHtml("general")}
        <div class="pc-vector"><span class="pc-vector-label">The image as a vector</span>
          <span class="pc-vector-value" data-out="inputs"></span><span class="pc-pow" ` +
    `data-out="inputs-pow"></span></div>
        <div class="pc-rows">
          ${ROWS.map(
            ([key, name, what]) =>
              `<div class="pc-row" data-row="${key}">
            <div class="pc-name"><b>${name}</b><span>${what}</span></div>
            <div class="pc-count"><span class="pc-formula" data-out="${key}-formula"></span>
              <span class="pc-total" data-out="${key}-total"></span>
              <span class="pc-words" data-out="${key}-words"></span><span class="pc-pow" ` +
              `data-out="${key}-pow"></span></div>
            <div class="pc-bar" aria-hidden="true"><span class="pc-fill" data-out="${key}-bar"></span></div>
          </div>`,
          ).join("")}
          <div class="pc-scale" aria-hidden="true"><span></span><div ` +
    `class="pc-ticks">${TICKS.map(([p, t]) => `<span ` + `style="left:${(100 * p) / LOG_MAX}%">${t}</span>`).join(
      "",
    )}</div></div>
        </div>
        <section class="pc-pointwise" aria-labelledby="pc-pw-title">
          <h3 id="pc-pw-title">A 1×1 convolution</h3>
          <div class="pc-pw-controls">
            ${control(
              BOUNDS,
              "pcCin",
              "Channels " + "in",
              "depth",
            )}${control(BOUNDS, "pcCout", "Filters", "depth")}${control(BOUNDS, "pcMap", "Map side")}
          </div>
          <p class="pc-pw-shape" data-out="pw-shape"></p>
          <p class="pc-pw-note" data-out="pw-note"></p>
          <p class="pc-pw-params" data-out="pw-params"></p>
        </section>
      </div>
    </div>`,
  );
  const out = (name) => element.querySelector(`[data-out="${name}"]`);
  let state = null;
  let result = null;
  let sent = null;
  const asked = askedOnce(); // the run parameters last sent

  const stopsOf = (el) => (el.dataset.stops === "nice" ? NICE : el.dataset.stops === "depth" ? DEPTHS : null);
  const custom = (patch) => ({
    ...Object.fromEntries(IMAGE_KEYS.map((k) => [k, state[k]])),
    pcPreset: "custom",
    ...patch,
  });

  element.addEventListener("click", (e) => {
    const b = e.target.closest("[data-preset]");
    if (b)
      onChange({
        pcPreset: b.dataset.preset,
        ...Object.fromEntries(IMAGE_KEYS.map((k) => [k, PC_PRESETS[b.dataset.preset][k]])),
      });
  });
  $("#pc-bias").addEventListener("change", (e) => onChange({ pcBias: e.target.checked }));
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.range;
    if (!key) return;
    const stops = stopsOf(e.target);
    const value = stops ? stops[Number(e.target.value)] : Number(e.target.value);
    onChange(IMAGE_KEYS.includes(key) ? custom({ [key]: value }) : { [key]: value });
  });
  // A number box commits on Enter or when left; anything but a whole number stays put and is explained.
  element.addEventListener("change", (e) => {
    const key = e.target.dataset?.key;
    if (!key) return;
    const value = Number(e.target.value);
    if (!Number.isInteger(value) || e.target.value === "") {
      showError(key, `${e.target.labels?.[0]?.textContent ?? key}: “${e.target.value}” is not a whole number.`);
      return;
    }
    onChange(IMAGE_KEYS.includes(key) ? custom({ [key]: value }) : { [key]: value });
  });

  // The server names fields by their protocol names; each has an alert under its control.
  const FIELD_KEYS = {
    height: "pcHeight",
    width: "pcWidth",
    channels: "pcChannels",
    units: "pcUnits",
    window: "pcWindow",
    filters: "pcFilters",
    c_in: "pcCin",
    c_out: "pcCout",
    map_height: "pcMap",
    map_width: "pcMap",
  };
  // Every message stays until the next count the server answers.
  const showError = (key, message) => alerts.show(null, message, "count", key);

  async function run() {
    const s = state;
    const params = {
      height: s.pcHeight,
      width: s.pcWidth,
      channels: s.pcChannels,
      units: s.pcUnits,
      window: s.pcWindow,
      filters: s.pcFilters,
      bias: s.pcBias,
      c_in: s.pcCin,
      c_out: s.pcCout,
      map_height: s.pcMap,
      map_width: s.pcMap,
    };
    const { answer, error: e, quiet } = await asked.ask(params, (p) => socket.request("params.count", p));
    if (quiet) return;
    if (answer) {
      alerts.clear("count");
      result = answer.meta;
      sent = params;
      element.dataset.ready = "true";
    }
    if (e) showError(FIELD_KEYS[e.field] ?? "general", e.message);
    render();
  }

  function renderControls() {
    pressChips(element, "preset", (name) => name === state.pcPreset);
    $("#pc-bias").checked = state.pcBias;
    for (const box of element.querySelectorAll(".pc-box")) {
      const key = box.dataset.key;
      if (document.activeElement !== box) box.value = state[key];
      const range = element.querySelector(`[data-range="${key}"]`);
      const stops = stopsOf(range);
      if (stops) {
        Object.assign(range, { min: 0, max: stops.length - 1 });
        let best = 0;
        stops.forEach((v, i) =>
          Math.abs(Math.log(v) - Math.log(state[key])) < Math.abs(Math.log(stops[best]) - Math.log(state[key]))
            ? (best = i)
            : 0,
        );
        range.value = best;
      } else {
        // A window lies inside the image: its slider stops at the smaller side (the server says the same).
        const max = key === "pcWindow" ? Math.min(BOUNDS.pcWindow, state.pcHeight, state.pcWidth) : BOUNDS[key];
        Object.assign(range, { min: 1, max });
        range.value = state[key];
      }
    }
  }

  function renderCount(key, c, bias) {
    out(`${key}-formula`).textContent = `${c.formula} =`;
    out(`${key}-total`).textContent = group(c.total);
    const roughly = c.rough !== c.words ? `, about ${c.rough}` : "";
    out(`${key}-words`).textContent =
      `≈ ${c.words}${roughly}${bias && c.bias ? ` · ${group(c.bias)} of them biases` : ""}`;
    out(`${key}-bar`).style.width = `${Math.min(100, (100 * c.log10) / LOG_MAX)}%`;
    out(`${key}-pow`).replaceChildren();
  }

  function render() {
    renderControls();
    if (!result) return;
    const r = result;
    out("inputs").textContent = `${r.inputs_formula} = ${group(r.inputs)} numbers`;
    out("inputs-pow").replaceChildren(
      ...(r.inputs_power_of_two != null ? [m("math", m("mo", "="), pow2(r.inputs_power_of_two))] : []),
    );
    for (const [key] of ROWS) renderCount(key, r[key], sent.bias);
    // Seed 000: 2^16 pixels × 2^10 classes = 2^26 weights, when every factor is a power of two.
    const f = r.fully;
    if (f.power_of_two != null && r.inputs_power_of_two != null && r.units_power_of_two != null && !sent.bias) {
      out("fully-pow").replaceChildren(
        m(
          "math",
          m(
            "mrow",
            m("mo", "="),
            pow2(r.inputs_power_of_two),
            m("mo", "×"),
            pow2(r.units_power_of_two),
            m("mo", "="),
            pow2(f.power_of_two),
          ),
        ),
      );
    }
    const pw = r.pointwise;
    const [ci, h, w] = pw.shape_in;
    const [co] = pw.shape_out;
    out("pw-shape").textContent = `${ci} × ${h} × ${w}  →  1×1 conv, ${co} filters  →  ${pw.shape_out.join(" × ")}`;
    out("pw-note").textContent =
      `Each filter is 1×1×${ci}: at every one of the ${h}×${w} positions it takes a ${pw.dot_length}-number dot ` +
      `product across the channels. The height and width stay; only the depth changes, ${ci} → ${co}.`;
    out("pw-params").textContent = `Parameters: ${pw.params.formula} = ${group(pw.params.total)}`;
  }

  return widgetFace(element, {
    update: keepThenRun((next) => (state = next), run),
    inspect: () => ({
      params: sent,
      meta: result,
      shown: Object.fromEntries(
        ROWS.map(([key]) => [key, { total: out(`${key}-total`).textContent, words: out(`${key}-words`).textContent }]),
      ),
    }),
  });
}
