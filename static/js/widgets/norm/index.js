// Normalization widget: local contrast normalization (seed 001) on a picture, step by step
// (input → local mean → v = x − mean → local σ → y = v / max(c, σ)), and batch norm on a small
// seeded batch (per-channel μ and σ², x̂ with mean 0 and variance 1, y = γ x̂ + β). Every number
// and pixel comes from one norm.run answer; hovering (or stepping with the keys) shows a cell's
// own computation, read from the arrays, never evaluated here.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
// This file holds the face (fields, consistent, mount), the controls, the inspected cell and the
// requests; each mode's drawing is in norm-lcn.js and norm-batch.js, shared pieces in norm-parts.js.
//
// State fields (lessons set them by key):
//   nmMode     "lcn" | "batch"                      which normalization (default "lcn")
//   nmInput    "photo" | "checkerboard" | "x"        LCN picture, from input.preset (photo: the camera, grey)
//   nmSize     8–64                                  LCN picture side (default 64)
//   nmWindow   1–15, odd                             LCN Gaussian window side (default 7, seed 001's 7×7)
//   nmC        0.01–2                                LCN smallest divisor c (default 0.1)
//   nmSeed     0–2³¹−1                               batch-norm example batch (4 examples × 2 channels)
//   nmMap      2–4                                   batch-norm map side (default 2: every number readable at 1280×800)
//   nmGamma1, nmBeta1, nmGamma2, nmBeta2   −3–3     batch-norm scale γ and shift β per channel (1, 0)

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { fmt } from "../../lib/format.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { loadPicture } from "../../lib/pictures.js";
import { listen, mountMarkup, widgetFace } from "../../lib/widget.js";
import { renderBatch } from "./batch.js";
import { renderLcn } from "./lcn.js";
import { slider } from "./parts.js";

export const NORM_INPUTS = ["photo", "checkerboard", "x"];
const INPUT_LABELS = { photo: "Photo", checkerboard: "Checkerboard", x: "X" };
const BATCH = { batch: 4, channels: 2 };
const STEP_MS = 700;

/** The widget's URL fields (state.js table), all prefixed `nm`. */
export function fields() {
  const gb = [1, 2].flatMap((c) => [
    { key: `nmGamma${c}`, url: `nmg${c}`, type: "num", min: -3, max: 3, def: 1 },
    { key: `nmBeta${c}`, url: `nmb${c}`, type: "num", min: -3, max: 3, def: 0 },
  ]);
  return [
    { key: "nmMode", url: "nm", type: "enum", options: ["lcn", "batch"], def: "lcn" },
    { key: "nmInput", url: "nmin", type: "enum", options: NORM_INPUTS, def: "photo" },
    { key: "nmSize", url: "nmn", type: "int", min: 8, max: 64, def: 64 },
    { key: "nmWindow", url: "nmk", type: "int", min: 1, max: 15, def: 7 },
    { key: "nmC", url: "nmc", type: "num", min: 0.01, max: 2, def: 0.1 },
    { key: "nmSeed", url: "nmseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "nmMap", url: "nmm", type: "int", min: 2, max: 4, def: 2 },
    ...gb,
  ];
}

/** The window is odd (centred on its cell): an even one from a link becomes the next odd size. */
export function consistent(state) {
  const s = { ...state };
  if (s.nmWindow % 2 === 0) s.nmWindow = Math.min(15, s.nmWindow + 1);
  return s;
}

/** The alert beside the control of a field norm.run refused. */
function regionOf(field) {
  if (field === "size") return "window";
  if (field === "c") return "c";
  if (field?.startsWith("gamma")) return "gamma1";
  return field?.startsWith("beta") ? "beta1" : "general";
}

export function mount(element, { socket, onChange }) {
  const uid = idScope("nm")("nm"); // element ids stay unique when a lesson mounts this widget twice
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 class="widget-title">Normalization</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("mode", { lcn: "Local contrast", batch: "Batch norm" }, { label: "Normalization" })}
        <div class="nm-lcn-controls">
          ${chips("input", INPUT_LABELS, { label: "Picture" })}
          ${slider(uid, "size", "Picture side", 'min="8" max="64" step="4"')}
          ${slider(uid, "window", "Window (Gaussian)", 'min="1" max="15" step="2"')}
          ${slider(uid, "c", "Smallest divisor c", 'min="0.01" max="2" step="0.01"')}
        </div>
        <div class="nm-bn-controls">
          <button type="button" class="chip" data-action="new-batch">New batch</button> <span class="nm-seed"></span>
          ${slider(uid, "map", "Map side", 'min="2" max="4" step="1"')}
          <p class="hint">γ and β sit under each channel's output maps.</p>
          <div class="nm-bn-readout" aria-live="polite"></div>
        </div>
        ${alertHtml("input")}
      </div>
      <div class="widget-main">
        <div class="formula nm-formula"><div class="nm-math"></div><p class="nm-note" aria-live="polite"></p></div>
        ${alertHtml("general")}
        <div class="nm-stage" tabindex="0" aria-label="Normalization steps. Arrow keys and Page Up or Page Down ` +
    `move the inspected cell; space walks through the cells; Escape clears it."></div>
      </div>
    </div>`,
  );
  const stage = $(".nm-stage");
  let state = null;
  let picture = null; // LCN: {key, height, width, values}
  let result = null; // the norm.run answer drawn
  let probe = -1; // flat index of the inspected cell (LCN: r·W + c; batch: the (N, C, H, W) offset)
  let playTimer = 0;
  const asked = askedOnce(); // the run parameters last sent
  let loadKey = "";

  // The handle the two modes' drawing works through (norm-lcn.js, norm-batch.js): it reads the
  // answer and the inspected cell at each call, and a hover picks a cell as the keys do.
  const view = {
    element,
    stage,
    uid,
    grids: {}, // pane name -> grid, set by the mode drawn last
    now: () => ({ result, probe }),
    pick(i) {
      stop();
      if (i !== probe) moveTo(i);
    },
    renderControls: () => renderControls(),
  };

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.mode) onChange({ nmMode: b.dataset.mode });
    else if (b.dataset.input) onChange({ nmInput: b.dataset.input });
    else if (b.dataset.action === "new-batch") onChange({ nmSeed: state.nmSeed + 1 });
  });
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (!key) return;
    const field = {
      size: "nmSize",
      window: "nmWindow",
      c: "nmC",
      map: "nmMap",
      gamma1: "nmGamma1",
      beta1: "nmBeta1",
      gamma2: "nmGamma2",
      beta2: "nmBeta2",
    }[key];
    onChange({ [field]: Number(e.target.value) });
  });
  const unbindKeys = bindKeys(command, stage, element);
  // Cell sizes follow the room: a window moved to the projector lays out again.
  let resizeFrame = 0;
  const unlistenResize = listen(window, "resize", () => {
    cancelAnimationFrame(resizeFrame);
    resizeFrame = requestAnimationFrame(render);
  });
  // Up and down move a whole row on the LCN maps (left and right, Page Up and Page Down step one cell).
  stage.addEventListener("keydown", (e) => {
    if (!result || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
    e.preventDefault();
    const width = result.arrays.input.shape[3];
    stop();
    moveTo(probe < 0 ? 0 : probe + (e.key === "ArrowDown" ? width : -width));
  });

  function cells() {
    return result ? result.arrays.input.size / (result.meta.mode === "lcn" ? result.arrays.input.shape[1] : 1) : 0;
  }
  function moveTo(i) {
    const n = cells();
    if (!n) return;
    probe = Math.max(-1, Math.min(n - 1, i));
    render();
  }
  function command(cmd) {
    if (!cells()) return;
    if (cmd === "toggle") return playTimer ? stop() : play();
    stop();
    if (cmd === "next") moveTo(probe + 1);
    else if (cmd === "prev") moveTo(probe - 1);
    else if (cmd === "first") moveTo(0);
    else if (cmd === "last") moveTo(cells() - 1);
    else if (cmd === "reset") moveTo(-1);
  }
  function play() {
    playTimer = setInterval(() => (probe >= cells() - 1 ? stop() : moveTo(probe + 1)), STEP_MS);
  }
  function stop() {
    clearInterval(playTimer);
    playTimer = 0;
  }

  async function loadLcnPicture() {
    const s = state;
    const key = JSON.stringify([s.nmInput, s.nmSize]);
    if (picture?.key === key) return true;
    loadKey = key;
    const p = { name: s.nmInput, height: s.nmSize, width: s.nmSize };
    if (s.nmInput === "checkerboard") p.cells = 4;
    const loaded = await loadPicture(socket, p, alerts);
    if (!loaded || loadKey !== key) return false;
    picture = { key, height: loaded.height, width: loaded.width, values: Array.from(loaded.values) };
    return true;
  }

  function params() {
    const s = state;
    if (s.nmMode === "lcn") {
      return {
        mode: "lcn",
        input: { batch: 1, channels: 1, height: picture.height, width: picture.width, values: picture.values },
        size: s.nmWindow,
        c: s.nmC,
      };
    }
    return {
      mode: "batch",
      example: { ...BATCH, height: s.nmMap, width: s.nmMap, seed: s.nmSeed },
      gamma: [s.nmGamma1, s.nmGamma2],
      beta: [s.nmBeta1, s.nmBeta2],
    };
  }

  async function run() {
    const { answer: a, error: e, quiet } = await asked.ask(params(), (p) => socket.request("norm.run", p));
    if (quiet) return;
    if (a) {
      alerts.clear("norm");
      if (result?.meta.mode !== a.meta.mode || result.arrays.input.size !== a.arrays.input.size) probe = -1;
      result = a;
      element.dataset.ready = "true";
    }
    if (e) alerts.show(e.field, e.message, "norm", regionOf(e.field));
    render();
  }

  function renderControls() {
    const s = state;
    pressChips(element, "mode", (mode) => mode === s.nmMode);
    pressChips(element, "input", (name) => name === s.nmInput);
    $(".nm-lcn-controls").hidden = s.nmMode !== "lcn";
    $(".nm-bn-controls").hidden = s.nmMode !== "batch";
    const values = {
      size: s.nmSize,
      window: s.nmWindow,
      c: s.nmC,
      map: s.nmMap,
      gamma1: s.nmGamma1,
      beta1: s.nmBeta1,
      gamma2: s.nmGamma2,
      beta2: s.nmBeta2,
    };
    for (const [key, v] of Object.entries(values)) {
      const input = element.querySelector(`[data-key="${key}"]`);
      if (!input) continue; // γ and β exist once the batch is drawn
      input.value = v;
      element.querySelector(`[data-value="${key}"]`).textContent = ["size", "window", "map"].includes(key)
        ? `${v}×${v}`
        : fmt(v);
    }
    $(".nm-seed").textContent = `seed ${s.nmSeed}`;
  }

  function render() {
    if (!state) return;
    renderControls();
    if (!result || result.meta.mode !== state.nmMode) return;
    if (result.meta.mode === "lcn") renderLcn(view);
    else renderBatch(view);
  }

  async function update(next) {
    const before = state;
    state = next;
    if (before && before.nmMode !== next.nmMode) {
      stop();
      probe = -1;
    }
    renderControls();
    if (next.nmMode === "lcn" && !(await loadLcnPicture())) return;
    if (state !== next) return; // a newer state is on its way
    await run();
  }

  return widgetFace(element, {
    update,
    stops: [stop, unbindKeys, unlistenResize],
    inspect: () => ({
      mode: result?.meta.mode ?? null,
      meta: result?.meta ?? null,
      arrays: result
        ? Object.fromEntries(
            Object.entries(result.arrays).map(([k, t]) => [k, { shape: t.shape, values: Array.from(t.data) }]),
          )
        : null,
      probe,
      readout: (state?.nmMode === "batch" ? $(".nm-bn-readout") : $(".nm-readout"))?.innerText ?? "",
      stats: [...stage.querySelectorAll("[data-stats]")].map((p) => ({ id: p.dataset.stats, text: p.textContent })),
      label: (name, r, c) => view.grids[name]?.label(r, c) ?? null,
    }),
  });
}
