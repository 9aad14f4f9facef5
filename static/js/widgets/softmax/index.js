// Softmax and cross-entropy widget: a bar per class for its logit (drag it, or focus it and use
// ↑/↓, Shift for steps of 1; or type the number), the probabilities the engine computes from them,
// the true class (a class's name button), the temperature and label smoothing, and a table of
// every step with the loss written out and the gradient per class. Every number computed from
// the logits comes from the engine (softmax.run); the widget draws.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   smPreset [smp]  "xo" | "three" | "confident" | "confused" | "wrong" | "untrained"   (default "three")
//   smLogits [smz]  the logits, one per class of the preset (default: the preset's own)
//   smLabel  [smy]  the true class, from 0; −1: the preset's own (default −1)
//   smTemp   [smt]  the temperature T, 0.05–20 (default 1)
//   smSmooth [sme]  label smoothing ε, 0–0.5 (default 0)
// inspect(): {state, meta, logits, probs, shifted, exps, grad, loss, label, predicted} (read paths
// for a lesson's predict questions: "probs.0", "loss", "grad.2", "predicted").

import { alertHtml } from "../../lib/alerts.js";
import { askShown, askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { fmt, parseNumber } from "../../lib/format.js";
import { idScope } from "../../lib/ids.js";
import { registerKeys } from "../../lib/keyboard.js";
import { field } from "../../lib/schema.js";
import { slider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { createChart } from "./chart.js";
import { drawSteps, markRow } from "./steps.js";

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
// Example scores, inputs like a typed kernel: everything computed from them is the engine's.
export const SM_PRESETS = {
  xo: { label: "X vs O", names: ["X", "O"], logits: [1.5, -0.5], y: 0 },
  three: { label: "3 classes", names: ["cat", "dog", "fox"], logits: [2, 1, 0.1], y: 0 },
  confident: {
    label: "Digits: confident",
    names: DIGITS,
    logits: [-1.2, 0.3, 1.1, 7.5, -2, 2.2, -0.7, 0.9, 1.6, 0.4],
    y: 3,
  },
  confused: {
    label: "Digits: confused",
    names: DIGITS,
    logits: [0.2, -0.5, 1.1, 2.3, -1, 2.1, 0, 0.8, 1.9, 0.5],
    y: 3,
  },
  wrong: {
    label: "Digits: sure and wrong",
    names: DIGITS,
    logits: [-1, 0.2, 0.5, 1, -1.5, 0.8, -0.3, 0.1, 6.5, 0.3],
    y: 3,
  },
  untrained: { label: "Digits: untrained", names: DIGITS, logits: Array(10).fill(0), y: 3 },
};

/** softmax.run's bounds, from the server's schema (it checks them again and explains). */
export function bounds({ schemas }) {
  const of = (name) => field(schemas, "softmax.run", name);
  return {
    logit: of("logits").items.maximum,
    classes: of("logits").maxItems,
    tMin: of("temperature").minimum,
    tMax: of("temperature").maximum,
    smooth: of("smoothing").maximum,
  };
}

/** The widget's URL fields (state.js table). */
export function fields(context) {
  const b = bounds(context);
  return [
    { key: "smPreset", url: "smp", type: "enum", options: Object.keys(SM_PRESETS), def: "three" },
    { key: "smLogits", url: "smz", type: "list", def: null },
    { key: "smLabel", url: "smy", type: "int", min: -1, max: b.classes - 1, def: -1 },
    { key: "smTemp", url: "smt", type: "num", min: b.tMin, max: b.tMax, def: 1 },
    { key: "smSmooth", url: "sme", type: "num", min: 0, max: b.smooth, def: 0 },
  ];
}

/** Logits only as many as the preset has classes; a true class among them. */
export function consistent(state) {
  const s = { ...state };
  const n = SM_PRESETS[s.smPreset].names.length;
  if (s.smLogits && s.smLogits.length !== n) s.smLogits = null;
  if (s.smLabel >= n) s.smLabel = -1;
  return s;
}

// The temperature slider is logarithmic: T = tMax^(v/100) for v from −100 to 100 (0.05 to 20, 1 in the middle).
const tempOf = (v, tMax) => Number((tMax ** (v / 100)).toPrecision(2));
const sliderOf = (t, tMax) => Math.round((100 * Math.log(t)) / Math.log(tMax));

export function mount(element, { socket, onChange, ...context }) {
  const b = bounds(context);
  const uid = idScope("softmax")("softmax");
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Softmax and cross-entropy</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("sm-preset", Object.entries(SM_PRESETS).map(([k, v]) => [k, v.label]), { label: "Example" })}
        ${slider({
          id: `${uid}-temp`,
          control: "temp",
          label: "Temperature T",
          input: 'min="-100" max="100" step="1"',
          ends: [fmt(b.tMin), fmt(b.tMax)],
        })}
        ${slider({
          id: `${uid}-smooth`,
          control: "smooth",
          label: "Label smoothing ε",
          input: `min="0" max="${b.smooth}" step="0.05"`,
          ends: ["0", fmt(b.smooth)],
        })}
        ${alertHtml("general")}
      </div>
      <div class="widget-main sm-main">
        <p class="sm-help" id="${uid}-help">Drag a logit bar, or focus it and press ↑/↓ (Shift: steps of 1);
          ←/→ move between bars. Press a class's name to make it the true class.</p>
        <div class="sm-chart" role="group" aria-label="Logits and probabilities, one column per class"
          aria-describedby="${uid}-help"></div>
        <div class="sm-edit"><label for="${uid}-z">Logit of <span class="sm-edit-name"></span></label>
          <input id="${uid}-z" class="sm-edit-input" type="text" inputmode="decimal" autocomplete="off" size="7">
          <span class="sm-edit-range">−${b.logit} to ${b.logit}</span></div>
        <div class="sm-steps"></div>
        <div class="sm-notes">
          <p class="sm-note sm-loss" data-note="loss"></p>
          <p class="sm-note" data-note="lse"></p>
          <p class="sm-note" data-note="uniform"></p>
          <p class="sm-note sm-guess" data-note="guess"></p>
        </div>
        <p class="visually-hidden" aria-live="polite" data-spoken></p>
      </div>
    </div>`,
  );
  let state = null;
  let result = null; // {meta, arrays}
  let editing = 0; // the class the number field edits: the bar touched last
  let marked = null; // the class under the pointer or the focus: its column and row are lit
  const asked = askedOnce();
  const set = (patch) => onChange(patch);

  const preset = (s = state) => SM_PRESETS[s.smPreset];
  const logitsOf = (s = state) => (s.smLogits ? Array.from(s.smLogits) : preset(s).logits);
  const labelOf = (s = state) => (s.smLabel >= 0 ? s.smLabel : preset(s).y);

  function setLogit(i, value) {
    const logits = logitsOf();
    if (logits[i] === value) return;
    logits[i] = value;
    set({ smLogits: logits });
  }

  const chart = createChart($(".sm-chart"), {
    max: b.logit,
    onLogit: setLogit,
    onLabel: (i) => set({ smLabel: i }),
    onFocus: (i) => {
      editing = i;
      showEdit();
    },
    onMark: (i) => {
      marked = i;
      chart.mark(i);
      markRow($(".sm-steps"), i);
    },
  });

  // The "?" overlay lists them (the bars handle their own keys: a clicker's pages step nothing here).
  const unregisterKeys = registerKeys("Softmax and cross-entropy", [
    { keys: ["↑", "↓"], does: "Raise or lower the focused logit by 0.1" },
    { keys: ["Shift+↑", "Shift+↓", "Page Up", "Page Down"], does: "Raise or lower it by 1" },
    { keys: ["←", "→"], does: "Focus the previous or next class's bar" },
    { keys: ["Home"], does: "Set the focused logit to 0" },
  ]);

  const input = $(".sm-edit-input");
  function showEdit() {
    if (!state) return;
    $(".sm-edit-name").textContent = preset().names[editing] ?? "";
    if (document.activeElement !== input) input.value = fmt(logitsOf()[editing] ?? 0, 3);
  }
  input.addEventListener("change", () => {
    const v = parseNumber(input.value);
    if (v === null) {
      const text = `Type a number for the logit of ${preset().names[editing]}, such as 1.5 or −2`;
      alerts.show("logits", text, "softmax", "general");
      return;
    }
    setLogit(editing, v); // out of range: the engine's refusal says the range
  });

  element.addEventListener("click", (e) => {
    const chip = e.target.closest("[data-sm-preset]");
    if (chip) set({ smPreset: chip.dataset.smPreset, smLogits: null, smLabel: -1 });
  });
  element.addEventListener("input", (e) => {
    const control = e.target.closest("[data-control]")?.dataset.control;
    if (control === "temp") set({ smTemp: tempOf(Number(e.target.value), b.tMax) });
    else if (control === "smooth") set({ smSmooth: Number(e.target.value) });
  });

  function params(s) {
    return {
      logits: logitsOf(s),
      names: preset(s).names,
      label: labelOf(s),
      temperature: s.smTemp,
      smoothing: s.smSmooth,
    };
  }

  async function run(s) {
    const p = params(s);
    const ask = { socket, alerts, element, type: "softmax.run", params: p, region: "softmax" };
    const shown = await askShown(asked, ask);
    if (shown !== undefined) result = shown;
  }

  function spoken({ meta, arrays }) {
    const parts = meta.names.map(
      (n, i) =>
        `${n}: logit ${fmt(arrays.logits.data[i])}, probability ${fmt(arrays.probs.data[i], 3)}` +
        (i === meta.label ? " (true class)" : ""),
    );
    return `${parts.join("; ")}. Loss ${fmt(meta.loss, 3)}; an equal guess would lose ${fmt(meta.loss_uniform, 3)}.`;
  }

  function render() {
    pressChips(element, "sm-preset", (v) => v === state.smPreset);
    const temp = { min: -100, max: 100, value: sliderOf(state.smTemp, b.tMax), text: fmt(state.smTemp) };
    showRange($('[data-control="temp"]'), temp);
    const smooth = { min: 0, max: b.smooth, value: state.smSmooth, text: fmt(state.smSmooth) };
    showRange($('[data-control="smooth"]'), smooth);
    const logits = logitsOf();
    const label = labelOf();
    editing = Math.min(editing, logits.length - 1);
    const probs = result?.arrays.probs.data ?? null;
    const top = result?.meta.top ?? [];
    chart.draw({ logits, names: preset().names, label, probs, predicted: top.length === 1 ? top[0] : -1 });
    chart.mark(marked);
    showEdit();
    $(".sm-steps").hidden = !result;
    $(".sm-notes").hidden = !result;
    if (!result) return;
    drawSteps($(".sm-steps"), $(".sm-notes"), result);
    markRow($(".sm-steps"), marked);
    $("[data-spoken]").textContent = spoken(result);
  }

  async function update(next) {
    state = next;
    render(); // the bars follow the hand at once; the engine's numbers follow its answer
    await run(next);
    render();
  }

  const list = (name) => (result ? Array.from(result.arrays[name].data) : null);
  return widgetFace(element, {
    update,
    stops: [() => chart.destroy(), unregisterKeys],
    /** The state drawn and the engine's answer, for tests and lessons. */
    inspect: () => ({
      state,
      meta: result?.meta ?? null,
      logits: list("logits"),
      probs: list("probs"),
      shifted: list("shifted"),
      exps: list("exps"),
      grad: list("grad"),
      loss: result?.meta.loss ?? null,
      label: result?.meta.label ?? null,
      predicted: result?.meta.predicted ?? null,
    }),
  });
}
