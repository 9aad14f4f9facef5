// Write a digit with mouse, pen or finger on a 28×28 pad: every layer's maps and the ten
// probabilities follow as you draw (digits.classify, at most one request in flight; the newest
// drawing follows its answer). "Saliency" colours each pixel by gradient × input: how much its
// ink pushed the chosen digit's score up (orange) or down (purple). Pointing at (or focusing)
// any unit of any layer rings its receptive field on the pad, from the engine's table.
// Face: mount(element, {socket, run?}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { scaleFor } from "../../lib/colors.js";
import { fmt } from "../../lib/format.js";
import { createGrid } from "../../lib/grid.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { runFor } from "./run.js";
import { drawDigit, mountBars, mountMaps } from "./views.js";

const SIDE = 28;
const BRUSH = 1.6; // pixels: the pen's radius, about MNIST's stroke
const ALONE_MS = 1000;
const LAYERS = [
  ["conv1", "Conv 1"],
  ["pool1", "Pool 1"],
  ["conv2", "Conv 2"],
  ["pool2", "Pool 2"],
];

export const fields = () => [];
export const consistent = (state) => ({ ...state });

export function mount(element, { socket, ...context }) {
  const run = context.run ?? runFor(socket);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-digits-draw" class="widget-title">Write a digit</h2>
    <div class="digits-draw">
      <div class="digits-pad-box">
        <canvas class="grid-canvas digits-pad" tabindex="0" role="img"
          aria-label="Drawing pad, 28 by 28. Draw with the mouse, a pen or a finger."></canvas>
        <div class="digits-pad-tools">
          <button type="button" data-action="clear">Clear</button>
          <button type="button" data-action="sample">Copy the test digit shown</button>
          <label class="toggle"><input type="checkbox" data-action="saliency"> Saliency (gradient × input)</label>
        </div>
        <p class="digits-verdict" role="status" aria-live="polite">
          <span class="digits-big" data-verdict="label">–</span>
          <span data-verdict="confidence"></span></p>
        <p class="hint">Point at any map's cell to see the part of the pad it looks at.</p>
        ${alertHtml("general")}
      </div>
      <div class="digits-draw-maps">
        ${LAYERS.map(([name]) => `<div data-layer="${name}"></div>`).join("")}
        <div class="digits-draw-probs"></div>
      </div>
    </div>`,
  );
  const pad = $(".digits-pad");
  const grid = createGrid(pad);
  let values = new Float32Array(SIDE * SIDE);
  let maps = null;
  let inFlight = false;
  let again = false;
  let stroke = null;
  let field = null; // the highlighted receptive field {r, c, h, w}
  let showSaliency = false;
  let classified = 0;
  const onUnit = (name, f, r, c) => {
    const table = run.ready?.arrays[`field_${name}`];
    if (r == null || !table) field = null;
    else {
      const w = table.shape[1];
      const at = (r * w + c) * 4;
      const [top, left, bottom, right] = table.data.slice(at, at + 4);
      field = { r: top, c: left, h: bottom - top + 1, w: right - left + 1 };
    }
    element.dataset.field = field ? `${field.r},${field.c},${field.h},${field.w}` : "";
    drawPad();
  };
  const layers = Object.fromEntries(
    LAYERS.map(([name, title]) => [name, mountMaps($(`[data-layer="${name}"]`), { name, title, px: 60, onUnit })]),
  );
  const probs = mountBars($(".digits-draw-probs"), { labels: [..."0123456789"], title: "Probabilities" });

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "clear") commit(new Float32Array(SIDE * SIDE));
    else if (b.dataset.action === "sample") copySample();
  });
  $('[data-action="saliency"]').addEventListener("change", (e) => {
    showSaliency = e.target.checked;
    drawPad();
  });

  // A round pen with a soft edge, painted along the segment from the last point, so a fast stroke has no gaps.
  function paint(x, y) {
    const next = stroke.values;
    const from = stroke.last ?? { x, y };
    const steps = Math.max(1, Math.ceil(Math.hypot(x - from.x, y - from.y) / 0.5));
    for (let s = 1; s <= steps; s++) {
      const px = from.x + ((x - from.x) * s) / steps;
      const py = from.y + ((y - from.y) * s) / steps;
      for (let r = Math.floor(py - BRUSH - 1); r <= py + BRUSH + 1; r++) {
        for (let c = Math.floor(px - BRUSH - 1); c <= px + BRUSH + 1; c++) {
          if (r < 0 || c < 0 || r >= SIDE || c >= SIDE) continue;
          const d = Math.hypot(c + 0.5 - px, r + 0.5 - py);
          const ink = Math.max(0, Math.min(1, BRUSH + 0.5 - d));
          if (ink > next[r * SIDE + c]) next[r * SIDE + c] = ink;
        }
      }
    }
    stroke.last = { x, y };
    commit(Float32Array.from(next));
  }
  const where = (e) => {
    const rect = pad.getBoundingClientRect();
    return { x: ((e.clientX - rect.left) / rect.width) * SIDE, y: ((e.clientY - rect.top) / rect.height) * SIDE };
  };
  pad.addEventListener("pointerdown", (e) => {
    pad.setPointerCapture(e.pointerId);
    stroke = { values: Float32Array.from(values), last: null };
    const p = where(e);
    paint(p.x, p.y);
    e.preventDefault();
  });
  pad.addEventListener("pointermove", (e) => {
    if (!stroke) return;
    const p = where(e);
    paint(p.x, p.y);
  });
  const end = () => (stroke = null);
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);

  function copySample() {
    const ready = run.ready;
    const m = run.latest?.meta;
    if (!ready || !m) return;
    const x = ready.arrays.test_x.data;
    commit(Float32Array.from(x.subarray(m.sample * 784, (m.sample + 1) * 784), (v) => v / 255));
  }

  function commit(next) {
    values = next;
    drawPad();
    classify();
  }

  function drawPad() {
    const cell = Math.max(6, Math.min(14, Math.floor((Math.min(element.clientWidth || 400, 420) - 8) / SIDE)));
    const highlights = field ? [field] : [];
    if (showSaliency && maps) {
      const s = maps.arrays.saliency.data;
      grid.draw({
        rows: SIDE,
        cols: SIDE,
        cell,
        value: (r, c) => s[r * SIDE + c],
        scale: scaleFor(s, "diverging"),
        numbers: false,
        highlights,
      });
    } else drawDigit(pad, values, 0, cell, { max: 1, highlights });
    pad.dataset.ink = String(values.reduce((n, v) => n + (v > 0 ? 1 : 0), 0));
  }

  async function classify() {
    if (!run.ready) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    again = false;
    const sent = Array.from(values);
    try {
      maps = await run.classify(sent);
      classified += 1;
      alerts.clear("classify");
      render();
    } catch (e) {
      if (!e.quiet) alerts.show(null, e.message, "classify", "general");
    } finally {
      inFlight = false;
    }
    if (again) classify();
  }

  function render() {
    const a = maps.arrays;
    const scale = scaleFor([a.conv1.data, a.conv2.data], "diverging");
    for (const [name] of LAYERS) layers[name].draw(a[name], scale);
    probs.draw(a.probs.data);
    $('[data-verdict="label"]').textContent = maps.meta.label;
    const step = maps.meta.step;
    const after = `after ${step} ${step === 1 ? "batch" : "batches"}`;
    $('[data-verdict="confidence"]').textContent = `${fmt(maps.meta.confidence * 100, 1)}% sure, ${after}`;
    element.dataset.label = maps.meta.label;
    element.dataset.ready = "true";
    drawPad();
  }

  // A new network (a snapshot of another step) reads the drawing again, at most every 300 ms.
  let lastKey = "";
  let timer = 0;
  const unsubscribe = run.subscribe(({ snapshot }) => {
    const key = snapshot ? `${snapshot.meta.run}:${snapshot.meta.shown_step}` : "";
    if (!snapshot || key === lastKey) return;
    lastKey = key;
    clearTimeout(timer);
    timer = setTimeout(classify, 300);
  });
  const alone = setTimeout(() => {
    if (run.startedKey === null && !run.ready)
      run.ensure({}, JSON.stringify({ optimizer: null, seed: null, shift: null, decay: null }))?.catch(() => {});
  }, ALONE_MS);
  drawPad();

  return widgetFace(element, {
    update() {
      drawPad();
    },
    stops: [unsubscribe, () => clearTimeout(timer), () => clearTimeout(alone)],
    inspect: () => ({
      ink: values.reduce((n, v) => n + (v > 0 ? 1 : 0), 0),
      classified,
      label: maps?.meta.label ?? null,
      probs: maps ? Array.from(maps.arrays.probs.data) : null,
      field,
    }),
  });
}
