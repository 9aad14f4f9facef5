// Backprop widget: follow the gradient back through one layer, one step at a time, from a
// chosen upstream gradient ∂h. Modes: a convolution's ∂L/∂F (seed 002's X ⋆ ∂h) and ∂L/∂X
// (the full convolution with F turned 180°), its bias, max and average pooling, ReLU.
// Every number comes from the engine (backprop-modes.js sends the requests); this module
// owns the state, the stepping (animator.js) and the drawing.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { createAnimator } from "../../lib/animator.js";
import { chips, pressChips } from "../../lib/chips.js";
import { bindKeys } from "../../lib/keyboard.js";
import { showPlaying, transportButtons } from "../../lib/transport.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { drawLines, ruleMath } from "./arith.js";
import { EXAMPLES, MODES, NOTES } from "./modes.js";
import { createPanes } from "./panes.js";
import { DESCRIBE } from "./steps.js";
import { LIMIT, mount as mountUpstream } from "./upstream.js";

const PRESETS = { example: "Example", ones: "All ones", onehot: "One-hot", random: "Random" };
const RANDOM = { spread: 5, decimals: 0 }; // whole numbers from −5 to 5, drawn and rounded by the server
const KEYS = ["bpMode", "bpStep", "bpUpstream", "bpValues", "bpHot", "bpSeed"];
const WHY = {
  dw: "∂h slides over X like a filter: each weight's gradient adds up the X values it multiplied, times ∂h.",
  dx: "Each input cell collects ∂h times the weights it met: ∂h padded with zeros, convolved with F turned 180°.",
  bias: "b was added to every output cell, so its gradient is the sum of all of ∂h.",
  max: "Only the window's maximum passed forward, so only it gets the gradient; the other cells get 0.",
  avg: "Every cell of an m × m window counted 1/m² in the mean, so each gets ∂h / m².",
  relu: "ReLU passed x where x > 0 and blocked it elsewhere: the gradient flows back through the same mask.",
};

/** The widget's URL fields (state.js table), all prefixed "bp". */
export function fields() {
  return [
    { key: "bpMode", url: "bpm", type: "enum", options: Object.keys(MODES), def: "dw" },
    { key: "bpStep", url: "bpt", type: "int", min: -1, max: 2 ** 31 - 1, def: -1 },
    { key: "bpUpstream", url: "bpg", type: "enum", options: [...Object.keys(PRESETS), "custom"], def: "example" },
    { key: "bpValues", url: "bpx", type: "floats", def: null },
    { key: "bpHot", url: "bph", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "bpSeed", url: "bps", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
  ];
}

const shapeOf = (mode) => EXAMPLES[MODES[mode].group];

/** Typed values must fit the mode's ∂h and the typing bound; the one-hot cell must exist. */
export function consistent(state) {
  const s = { ...state };
  const { rows, cols } = shapeOf(s.bpMode);
  const fits = s.bpValues?.length === rows * cols && Array.from(s.bpValues).every((v) => Math.abs(v) <= LIMIT);
  if (s.bpUpstream === "custom" && !fits) s.bpUpstream = "example";
  if (s.bpUpstream !== "custom") s.bpValues = null;
  if (s.bpHot >= rows * cols) s.bpHot = 0;
  return s;
}

export function mount(element, { socket, onChange }) {
  const modes = Object.entries(MODES).map(([k, m]) => [k, m.label]);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-backprop" class="widget-title">Backpropagation, step by step</h2>
    ${chips("bp-mode", modes, { label: "Gradient to follow", className: "bp-modes" })}
    <div class="widget-body">
      <div class="widget-controls bp-controls">
        <p class="bp-controls-title">Upstream gradient <span class="bp-sym">∂h = <span class="bp-of"></span></span></p>
        ${chips("bp-preset", PRESETS, { label: "Upstream gradient" })}
        <div class="bp-upstream kgrid" role="group" aria-label="Upstream gradient values"></div>
        <p class="hint">Type a number from −${LIMIT} to ${LIMIT} in a cell.</p>
        ${alertHtml("upstream")}
        <p class="bp-example-note"></p>
      </div>
      <div class="widget-main">
        <div class="formula bp-formula"><span class="bp-rule"></span><p class="bp-why"></p></div>
        ${alertHtml("general")}
        <div class="bp-stage" tabindex="0" aria-label="Backpropagation steps. Space plays or pauses; arrow keys and ` +
      `Page Up or Page Down step; Escape shows the whole map.">
          <div class="bp-panes"></div>
          <div class="transport bp-transport" data-offline-ok>
            ${transportButtons({ attr: "bp-cmd", whole: "map" })}
            <label class="scrubber"><span class="visually-hidden">Step</span>
              <input type="range" class="bp-scrubber" min="0" max="0" value="0" step="1"></label>
            <p class="bp-step-label" aria-live="polite"></p>
          </div>
          <div class="bp-arith"></div>
        </div>
      </div>
    </div>`,
  );
  const stage = $(".bp-stage");
  const panes = createPanes($(".bp-panes"));
  const scrubber = $(".bp-scrubber");
  const motion = matchMedia("(prefers-reduced-motion: reduce)");
  let state = null;
  let data = null; // the loaded mode: {mode, key, total, grids, trace?, ...}
  let wanted = ""; // the key of the data being loaded or shown
  let frame = { step: -1, from: -1, progress: 1, playing: false, total: 0 };
  let shown = { lines: [], what: "" };

  const set = (patch) => {
    const next = consistent({ ...state, ...patch });
    onChange(Object.fromEntries(KEYS.filter((k) => next[k] !== state[k]).map((k) => [k, next[k]])));
  };
  const upstreamEditor = mountUpstream($(".bp-upstream"), {
    onValue(i, v) {
      alerts.clear("typing");
      const same = data && MODES[data.mode].group === MODES[state.bpMode].group; // the ∂h on screen has this shape
      const values = Float32Array.from(same ? data.grids.up.values : shapeOf(state.bpMode).values);
      values[i] = v;
      set({ bpUpstream: "custom", bpValues: values });
    },
    onInvalid: (message) => alerts.show(null, message, "typing", "upstream"),
    onCommit: () => stage.focus({ preventScroll: true }),
  });

  const animator = createAnimator({
    prepare: () => Promise.resolve(), // every step's numbers came with the mode's answers
    reducedMotion: () => motion.matches,
    onFrame(next) {
      frame = next;
      if (state.bpStep !== next.step) onChange({ bpStep: next.step });
      render();
    },
  });
  const command = (name, arg) => data && animator.command(name, arg);
  const unbindKeys = bindKeys(command, stage, element);

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.bpMode) set({ bpMode: b.dataset.bpMode, bpStep: -1 });
    else if (b.dataset.bpCmd) command(b.dataset.bpCmd);
    else if (b.dataset.bpPreset) pickPreset(b.dataset.bpPreset);
  });
  scrubber.addEventListener("input", () => command("seek", Number(scrubber.value)));

  // Pressing One-hot again moves the 1 to the next cell; Random again draws new numbers.
  function pickPreset(name) {
    const again = state.bpUpstream === name;
    const { rows, cols } = shapeOf(state.bpMode);
    set({
      bpUpstream: name,
      bpValues: null,
      ...(again && name === "onehot" ? { bpHot: (state.bpHot + 1) % (rows * cols) } : {}),
      ...(again && name === "random" ? { bpSeed: state.bpSeed + 1 } : {}),
    });
  }

  /** ∂h for a state: an example, a pattern, the server's random numbers, or typed values. */
  async function upstreamFor(s) {
    const { rows, cols, values } = shapeOf(s.bpMode);
    const grid = (v) => ({ rows, cols, values: Float32Array.from(v) });
    if (s.bpUpstream === "custom") return grid(s.bpValues);
    if (s.bpUpstream === "ones") return grid(values.map(() => 1));
    if (s.bpUpstream === "onehot") return grid(values.map((_, i) => (i === s.bpHot ? 1 : 0)));
    if (s.bpUpstream === "random") {
      const a = await socket.request("input.preset", {
        name: "random",
        height: rows,
        width: cols,
        seed: s.bpSeed,
        ...RANDOM,
      });
      return grid(a.arrays.values.data);
    }
    return grid(values);
  }

  const keyOf = (s) =>
    JSON.stringify([
      s.bpMode,
      s.bpUpstream,
      s.bpUpstream === "custom" ? Array.from(s.bpValues) : null,
      s.bpUpstream === "onehot" ? s.bpHot : null,
      s.bpUpstream === "random" ? s.bpSeed : null,
    ]);

  async function load(s, key) {
    wanted = key;
    try {
      const up = await upstreamFor(s);
      const loaded = await MODES[s.bpMode].load(socket, up);
      if (wanted !== key) return;
      alerts.clear("load");
      data = { ...loaded, mode: s.bpMode, key };
      animator.setTotal(data.total, { restore: state.bpStep });
      render();
      element.dataset.ready = "true";
    } catch (e) {
      if (wanted !== key) return;
      if (e.quiet) {
        wanted = ""; // the connection dropped: the reconnect's update loads it again
        return;
      }
      alerts.show(e.field, e.message, "load", e.field?.startsWith("upstream") ? "upstream" : "general");
    }
  }

  function renderControls() {
    const s = state;
    pressChips(element, "bp-mode", (mode) => mode === s.bpMode);
    pressChips(element, "bp-preset", (name) => name === s.bpUpstream);
    $(".bp-example-note").textContent = NOTES[MODES[s.bpMode].group];
    const conv = MODES[s.bpMode].group === "conv";
    $(".bp-of").textContent = conv ? "∂L/∂O" : "∂L/∂y"; // the layer's output, as the seed names it
    $('[data-bp-preset="example"]').textContent = conv ? "Seed 002 example" : "Example";
    if ($(".bp-rule").dataset.mode !== s.bpMode) {
      $(".bp-rule").dataset.mode = s.bpMode;
      $(".bp-rule").replaceChildren(ruleMath(s.bpMode));
      $(".bp-why").textContent = WHY[s.bpMode];
    }
    if (data && data.mode === s.bpMode) upstreamEditor.update(data.grids.up);
  }

  function render() {
    if (!state) return;
    renderControls();
    if (!data) return;
    const view = DESCRIBE[data.mode](data, frame);
    panes.draw(view.panes);
    const hint = [
      {
        kind: "hint",
        parts: [`The whole map. Press → or Page Down to step through its ${data.total} steps; space plays.`],
      },
    ];
    shown = { lines: drawLines($(".bp-arith"), view.lines.length ? view.lines : hint), what: view.what };
    const { step, total, playing } = frame;
    showPlaying($(".play"), playing);
    scrubber.max = Math.max(0, total - 1);
    scrubber.value = Math.max(0, step);
    scrubber.setAttribute("aria-valuetext", step >= 0 ? `step ${step + 1} of ${total}` : "whole map");
    const label = $(".bp-step-label");
    label.dataset.step = String(step);
    label.textContent = step >= 0 ? `Step ${step + 1} of ${total}` : `Whole map · ${total} steps`;
  }

  function update(next) {
    const before = state;
    state = next;
    const key = keyOf(next);
    if (key !== wanted) {
      // a new setting, or a load the dropped connection lost
      renderControls();
      return load(next, key);
    }
    const changed = before ? KEYS.filter((k) => before[k] !== next[k]) : KEYS;
    if (!changed.length) return; // another widget's change
    if (!data || data.key !== key) return; // still loading
    if (next.bpStep !== frame.step)
      animator.setTotal(data.total, { restore: next.bpStep }); // a link or the URL moved it
    else if (changed.some((k) => k !== "bpStep")) render(); // the step itself was drawn by onFrame
  }

  const plain = (g) => ({ shape: [g.rows, g.cols], values: Array.from(g.values) });
  // For the GIF: step i, resolved once its frame is drawn to the end (the animator tweens).
  const drawn = (i) =>
    new Promise((resolve) => {
      const check = () => (frame.step === i && frame.progress === 1 ? resolve() : requestAnimationFrame(check));
      check();
    });
  return widgetFace(element, {
    update,
    animation: {
      steps: () => frame.total,
      step: () => frame.step,
      show: (i) => (set({ bpStep: i }), drawn(i)),
    },
    stops: [() => animator.command("pause"), unbindKeys],
    /** The mode, the step, the arrays shown and the step's written arithmetic, for tests and lessons. */
    inspect: () => ({
      mode: data?.mode ?? null,
      step: frame.step,
      total: data?.total ?? 0,
      progress: frame.progress,
      playing: frame.playing,
      arrays: data && Object.fromEntries(Object.entries(data.grids).map(([k, g]) => [k, plain(g)])),
      lines: shown.lines,
      labels: panes.labels(),
    }),
  });
}
