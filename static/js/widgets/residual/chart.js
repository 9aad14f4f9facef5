// The depth chart: ‖∂L/∂x_l‖ at every layer's input of a plain and a residual chain, on a log
// scale, both lines labelled at their ends. The values are the engine's (residual.run's
// plain_log10 / residual_log10); this file only places them. Drawn on the page's own ground
// (data-ground="page"), with the theme's ink (lib/palette.js).

import { fmt } from "../../lib/format.js";
import { palette } from "../../lib/palette.js";
import { presenterScale } from "../../lib/room.js";

const FAMILY = "system-ui, -apple-system, 'Segoe UI', sans-serif";

/** "10⁻¹⁷" for a power of ten. */
export function power(k) {
  const sup = "⁰¹²³⁴⁵⁶⁷⁸⁹";
  return k === 0 ? "1" : `10${String(k).replace(/[-0-9]/g, (ch) => (ch === "-" ? "⁻" : sup[ch]))}`;
}

/** A norm as the chart's readout writes it: 1.39, 0.042, 6.1 × 10⁻¹⁷ (from its base-10 logarithm). */
export function normText(log10) {
  if (log10 === -Infinity) return "0";
  if (log10 >= -2 && log10 < 4) return fmt(10 ** log10, log10 < -1 ? 3 : 2);
  const k = Math.floor(log10);
  const mantissa = 10 ** (log10 - k);
  return `${fmt(mantissa, 1)} × ${power(k)}`;
}

/**
 * Draw `lines` ([{name, label, log10: Float32Array (L + 1), colour, dash}]) on `canvas`, `width` px
 * wide; `mark`: a layer to ring on every line, or null. Returns the layer under an x (for hover).
 */
export function drawChart(canvas, { width, lines, mark = null }) {
  const p = palette();
  const grow = presenterScale(); // a projector's type is larger: so are the chart's words
  const FONT = `600 ${Math.round(16 * grow)}px ${FAMILY}`;
  const SMALL = `500 ${Math.round(14 * grow)}px ${FAMILY}`;
  const height = Math.round(Math.max(200, Math.min(300, width * 0.5)));
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.dataset.ground = "page";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const depth = lines[0].log10.length - 1;
  const finite = lines.flatMap((l) => Array.from(l.log10).filter(Number.isFinite));
  let lo = Math.floor(Math.min(0, ...finite));
  let hi = Math.ceil(Math.max(0, ...finite));
  if (hi - lo < 2) [lo, hi] = [lo - 1, hi + 1];
  const m = { l: Math.round(60 * grow), r: 16, t: 14, b: Math.round(42 * grow) };
  const px = (l) => m.l + (depth ? (l / depth) * (width - m.l - m.r) : 0);
  const py = (v) => height - m.b - ((v - lo) / (hi - lo)) * (height - m.t - m.b);

  ctx.font = SMALL;
  ctx.lineWidth = 1;
  ctx.strokeStyle = p.rule;
  ctx.fillStyle = p.muted;
  ctx.textAlign = "right";
  const stepY = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let k = lo; k <= hi; k += stepY) {
    ctx.beginPath();
    ctx.moveTo(m.l, py(k));
    ctx.lineTo(width - m.r, py(k));
    ctx.stroke();
    ctx.fillText(power(k), m.l - 6, py(k) + 4);
  }
  ctx.textAlign = "center";
  const stepX = depth <= 10 ? 1 : depth <= 25 ? 5 : 10;
  for (let l = 0; l <= depth; l += stepX) ctx.fillText(String(l), px(l), height - m.b + 17 * grow);
  ctx.fillText("layer l (0: the input, " + depth + ": the output)", m.l + (width - m.l - m.r) / 2, height - 6);
  // The upstream's size: the line a gradient that reaches the input undiminished stays on.
  ctx.strokeStyle = p.fg;
  ctx.setLineDash([2, 4]);
  ctx.beginPath();
  ctx.moveTo(m.l, py(0));
  ctx.lineTo(width - m.r, py(0));
  ctx.stroke();
  ctx.setLineDash([]);

  const ends = [];
  for (const line of lines) {
    ctx.strokeStyle = line.colour;
    ctx.lineWidth = 3.5;
    ctx.setLineDash(line.dash ?? []);
    ctx.beginPath();
    let open = false;
    line.log10.forEach((v, l) => {
      if (!Number.isFinite(v)) return void (open = false); // nothing gets through: the line stops
      if (open) ctx.lineTo(px(l), py(v));
      else ctx.moveTo(px(l), py(v));
      open = true;
    });
    ctx.stroke();
    ctx.setLineDash([]);
    const first = line.log10.findIndex(Number.isFinite);
    if (first >= 0) ends.push({ line, y: py(line.log10[first]), x: px(first) });
    if (mark !== null && Number.isFinite(line.log10[mark])) {
      ctx.beginPath();
      ctx.arc(px(mark), py(line.log10[mark]), 6, 0, 2 * Math.PI);
      ctx.fillStyle = line.colour;
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = p.fg;
      ctx.stroke();
    }
  }
  // Each line is named at its layer-0 end, where they differ most (at the output both are the upstream's 1).
  ctx.font = FONT;
  ctx.textAlign = "left";
  const within = (y) => Math.max(m.t + 14, Math.min(height - m.b - 6, y));
  const labels = ends.map(({ line, x, y }) => ({ line, x: x + 8, y: within(y - 10) }));
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) labels[i].y = Math.max(labels[i].y, labels[i - 1].y + 20);
  for (const { line, x, y } of labels) {
    ctx.lineWidth = 4;
    ctx.strokeStyle = p.bg; // a halo of the page's ground, so the name reads over the grid lines
    ctx.strokeText(line.label, x, y);
    ctx.fillStyle = line.colour;
    ctx.fillText(line.label, x, y);
  }
  return (clientX) => {
    const rect = canvas.getBoundingClientRect();
    const x = ((clientX - rect.left) * width) / rect.width;
    if (x < m.l - 10 || x > width - m.r + 10 || !depth) return null;
    return Math.max(0, Math.min(depth, Math.round(((x - m.l) / (width - m.l - m.r)) * depth)));
  };
}
