// Loss and accuracy curves of a training run, drawn on a canvas from the snapshot's history
// arrays (the engine's numbers; the page only plots them). Train and test differ in colour
// (Okabe–Ito blue and vermilion, safe for the common colour-vision deficiencies) and in line
// style (solid and dashed), so they stay apart in greyscale and on a washed-out projector.

import { fmt } from "../../lib/format.js";
import { palette } from "../../lib/palette.js";

// Each series' colour is the palette's (lib/palette.js): lighter on the dark theme.
export const SERIES = {
  train: { label: "train", colour: (p) => p.train, dash: [] },
  test: { label: "test", colour: (p) => p.testEdge, dash: [12, 7] },
};
const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";

/** A "nice" upper bound and tick step for values up to `max` (1, 2 or 5 times a power of ten). */
function niceAxis(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

/**
 * A chart on `canvas`: draw({steps, train, test}) with typed arrays of equal length.
 * kind "loss" (from 0 to the largest value) or "accuracy" (0 to 100 %).
 */
const LEGEND_LINE = 26; // px: the legend's own line under the title, when they do not fit side by side

export function createChart(canvas, { title, kind }) {
  const ctx = canvas.getContext("2d");
  let size = { w: 0, h: 0 };
  let last = null;

  // `extra`: px for the legend's own line, so the plot keeps its height under it.
  function fit(extra = 0) {
    const w = Math.max(240, Math.floor(canvas.parentElement.clientWidth));
    const h = Math.round(Math.min(300, Math.max(190, w * 0.42))) + extra;
    const dpr = window.devicePixelRatio || 1;
    // A new pixel ratio (an export draws at 2×) needs a new backing store as much as a new size.
    if (w !== size.w || h !== size.h || dpr !== size.dpr) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
      size = { w, h, dpr };
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }

  function draw(data) {
    last = data;
    // The legend sits on the title's line when both fit, else on a line of its own under it.
    const width = Math.max(240, Math.floor(canvas.parentElement.clientWidth));
    ctx.font = `700 19px ${FONT}`;
    const twoLines = 4 + ctx.measureText(title).width + 24 + legendWidth() > width - 16;
    fit(twoLines ? LEGEND_LINE : 0);
    const { w: W, h: H } = size;
    const { steps, train, test } = data;
    const n = steps.length;
    const percent = kind === "accuracy";
    const scaleY = percent ? 100 : 1;
    let top = 1;
    let step = 0.25;
    if (percent) [top, step] = [100, 25];
    else {
      let max = 0;
      for (let i = 0; i < n; i++) max = Math.max(max, train[i], test[i]);
      ({ top, step } = niceAxis(max));
    }
    const x0 = n ? steps[0] : 0;
    const x1 = n > 1 ? steps[n - 1] : x0 + 1;
    const m = { l: 64, r: 16, t: 40 + (twoLines ? LEGEND_LINE : 0), b: 52 };
    const px = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
    const py = (v) => H - m.b - ((v * scaleY) / top) * (H - m.t - m.b);
    ctx.clearRect(0, 0, W, H);
    const p = palette();
    canvas.dataset.ground = "page"; // drawn in the page's own colours: no paper under it on the dark theme

    ctx.font = `700 19px ${FONT}`;
    ctx.fillStyle = p.fg;
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(title, 4, 24);

    // Horizontal rules with the value axis, then the step axis with a few round ticks.
    ctx.font = `600 16px ${FONT}`;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let v = 0; v <= top + 1e-9; v += step) {
      const y = py(v / scaleY);
      ctx.strokeStyle = v === 0 ? p.fg : p.rule;
      ctx.beginPath();
      ctx.moveTo(m.l, Math.round(y) + 0.5);
      ctx.lineTo(W - m.r, Math.round(y) + 0.5);
      ctx.stroke();
      ctx.fillStyle = p.muted;
      ctx.fillText(percent ? `${fmt(v, 0)}%` : fmt(v, 3), m.l - 8, y);
    }
    const xStep = Math.max(1, niceAxis(x1 - x0).step); // steps are whole batches
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillStyle = p.muted;
    for (let v = Math.ceil(x0 / xStep) * xStep; v <= x1 + 1e-9; v += xStep) {
      ctx.fillText(fmt(v, 0), px(v), H - m.b + 6);
    }
    ctx.fillText("step (batches trained)", m.l + (W - m.l - m.r) / 2, H - 24);

    for (const [name, values] of [
      ["train", train],
      ["test", test],
    ]) {
      if (!n) break;
      const s = SERIES[name];
      ctx.strokeStyle = s.colour(p);
      ctx.lineWidth = 3.5;
      ctx.setLineDash(s.dash);
      ctx.lineJoin = "round";
      ctx.beginPath();
      for (let i = 0; i < n; i++) {
        const [x, y] = [px(steps[i]), py(values[i])];
        if (i) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
      }
      if (n === 1) ctx.lineTo(px(steps[0]) + 2, py(values[0])); // one point: a visible dot
      ctx.stroke();
      ctx.setLineDash([]);
    }
    drawLegend(W - m.r, twoLines ? 50 : 22, p);
  }

  function legendWidth() {
    ctx.font = `700 17px ${FONT}`;
    return ["test", "train"].reduce((sum, name) => sum + ctx.measureText(SERIES[name].label).width + 70, -18);
  }

  // Line samples with their names, right-aligned (on the title's line when there is room).
  function drawLegend(right, y, p) {
    ctx.font = `700 17px ${FONT}`;
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    let x = right;
    for (const name of ["test", "train"]) {
      const s = SERIES[name];
      x -= ctx.measureText(s.label).width;
      ctx.fillStyle = p.fg;
      ctx.fillText(s.label, x, y);
      x -= 52;
      ctx.strokeStyle = s.colour(p);
      ctx.lineWidth = 3.5;
      ctx.setLineDash(s.dash);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 44, y);
      ctx.stroke();
      ctx.setLineDash([]);
      x -= 18;
    }
  }

  return {
    draw,
    /** Draw the last data again at the canvas's new width (after a resize). */
    redraw: () => last && draw(last),
  };
}
