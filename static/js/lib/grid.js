// Canvas grid renderer shared by every map on the page: one cell per value, numbers in
// the cells when they fit at a readable size, padding hatched and washed out with a
// dashed border, and highlight rectangles (the filter window, a receptive field).
// It draws what it is given; it never computes a value.

import { fmtCell } from "./format.js";

const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MIN_FONT = 14; // px; below this a number would not read from the back of a room
const MAX_FONT = 34;
const PENDING_RGB = [247, 247, 247]; // an output cell not computed yet: near-white with a centre dot

export function createGrid(canvas) {
  const ctx = canvas.getContext("2d");
  let layout = { rows: 0, cols: 0, cell: 0 };
  const labels = new Map(); // "r,c" -> text drawn, for tests and the accessible table

  function resize(rows, cols, cell) {
    const dpr = window.devicePixelRatio || 1;
    const w = cols * cell + 1;
    const h = rows * cell + 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    layout = { rows, cols, cell };
  }

  /**
   * spec: {rows, cols, cell, value(r, c), scale, pad?: {top, bottom, left, right}, unused?: {bottom, right},
   *        filled?(r, c) -> 0..1 (0: not computed yet), highlights?: [...], decimals?}
   */
  function draw(spec) {
    const { rows, cols, cell } = spec;
    resize(rows, cols, cell);
    labels.clear();
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const text = spec.numbers === false ? null : numberStyle(spec, rows, cols, cell);
    const alphaAt = spec.filled ?? (() => 1);

    paintCells(spec, alphaAt);
    if (spec.filled) drawPending(spec.filled, rows, cols, cell);
    if (spec.pad) drawPadding(spec.pad, rows, cols, cell);
    if (spec.unused) drawUnused(spec.unused, rows, cols, cell);
    if (text) drawNumbers(ctx, spec, text, labels);
    drawGridLines(rows, cols, cell);
    for (const h of spec.highlights ?? []) drawHighlight(h, cell);
  }

  // The cell colours as one pixel per cell, scaled up unsmoothed: one drawImage instead
  // of a fillRect per cell (a 64×64 map draws in a fraction of a millisecond).
  const pixels = document.createElement("canvas");
  const pixelCtx = pixels.getContext("2d");
  function paintCells({ rows, cols, cell, value, scale }, alphaAt) {
    if (pixels.width !== cols || pixels.height !== rows) {
      pixels.width = cols;
      pixels.height = rows;
    }
    const image = pixelCtx.createImageData(cols, rows);
    const data = image.data;
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, i += 4) {
        const alpha = alphaAt(r, c);
        const [red, green, blue] = alpha <= 0 ? PENDING_RGB : scale.rgb(value(r, c));
        const a = alpha <= 0 ? 1 : alpha; // fading in: blend towards the white page
        data[i] = red * a + 255 * (1 - a);
        data[i + 1] = green * a + 255 * (1 - a);
        data[i + 2] = blue * a + 255 * (1 - a);
        data[i + 3] = 255;
      }
    }
    pixelCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(pixels, 0, 0, cols * cell, rows * cell);
  }

  // One font size and one number of decimals for the whole grid, so it reads evenly:
  // the widest label must fit; else fewer decimals; else no numbers (the colour tells).
  function numberStyle(spec, rows, cols, cell) {
    const base = Math.min(MAX_FONT, Math.floor(cell * 0.5));
    if (base < MIN_FONT) return null;
    for (const decimals of [spec.decimals ?? 2, 1]) {
      ctx.font = `600 ${base}px ${FONT}`;
      const seen = new Set();
      let widest = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const label = fmtCell(spec.value(r, c), decimals);
          if (seen.has(label)) continue;
          seen.add(label);
          widest = Math.max(widest, ctx.measureText(label).width);
        }
      }
      const size = widest > cell - 6 ? Math.floor((base * (cell - 6)) / widest) : base;
      if (size >= MIN_FONT) return { size, decimals };
    }
    return null;
  }

  // Cells past the last window position (the formula is not whole): darkened, with a
  // black-and-white dashed edge that shows on any colour of the scale.
  function drawUnused({ bottom, right }, rows, cols, cell) {
    if (!bottom && !right) return;
    const strips = [];
    if (bottom) strips.push([0, (rows - bottom) * cell, cols * cell, bottom * cell]);
    if (right) strips.push([(cols - right) * cell, 0, right * cell, (rows - bottom) * cell]);
    ctx.save();
    ctx.fillStyle = "rgba(0, 0, 0, 0.5)";
    for (const [x, y, w, h] of strips) ctx.fillRect(x, y, w, h);
    const outline = new Path2D();
    if (bottom && right) {
      const [bx, by] = [(cols - right) * cell, (rows - bottom) * cell];
      outline.moveTo(bx + 2, 2);
      outline.lineTo(bx + 2, by + 2);
      outline.lineTo(2, by + 2);
    } else if (bottom) {
      outline.moveTo(2, (rows - bottom) * cell + 2);
      outline.lineTo(cols * cell - 2, (rows - bottom) * cell + 2);
    } else {
      outline.moveTo((cols - right) * cell + 2, 2);
      outline.lineTo((cols - right) * cell + 2, rows * cell - 2);
    }
    ctx.lineWidth = 5;
    ctx.strokeStyle = "#000000";
    ctx.stroke(outline);
    ctx.lineWidth = 2.5;
    ctx.setLineDash([7, 5]);
    ctx.strokeStyle = "#ffffff";
    ctx.stroke(outline);
    ctx.restore();
  }

  function drawPending(filled, rows, cols, cell) {
    ctx.fillStyle = "#8a8a8a";
    const radius = Math.max(1, cell / 14);
    ctx.beginPath();
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        if (filled(r, c) > 0) continue;
        ctx.moveTo((c + 0.5) * cell + radius, (r + 0.5) * cell);
        ctx.arc((c + 0.5) * cell, (r + 0.5) * cell, radius, 0, 2 * Math.PI);
      }
    }
    ctx.fill();
  }

  function drawGridLines(rows, cols, cell) {
    if (cell < 6) return;
    ctx.fillStyle = "rgba(0, 0, 0, 0.28)";
    for (let c = 0; c <= cols; c++) ctx.fillRect(c * cell, 0, 1, rows * cell + 1);
    for (let r = 0; r <= rows; r++) ctx.fillRect(0, r * cell, cols * cell + 1, 1);
  }

  // Padding: washed out, hatched, dashed cell borders; the real input gets a solid frame.
  function drawPadding(pad, rows, cols, cell) {
    const { top, bottom, left, right } = pad;
    if (!(top || bottom || left || right)) return;
    const inner = [left * cell, top * cell, (cols - left - right) * cell, (rows - top - bottom) * cell];
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, 0, cols * cell, rows * cell);
    ctx.rect(inner[0] + inner[2], inner[1], -inner[2], inner[3]); // hole, wound the other way
    ctx.clip("evenodd");
    ctx.fillStyle = "rgba(255, 255, 255, 0.62)";
    ctx.fillRect(0, 0, cols * cell, rows * cell);
    ctx.strokeStyle = "rgba(40, 40, 40, 0.35)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    const spacing = Math.max(5, Math.round(cell / 5));
    for (let d = -rows * cell; d < cols * cell; d += spacing) {
      ctx.moveTo(d, rows * cell);
      ctx.lineTo(d + rows * cell, 0);
    }
    ctx.stroke();
    if (cell >= 10) {
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = "rgba(0, 0, 0, 0.55)";
      ctx.beginPath();
      for (let c = 0; c <= cols; c++) {
        ctx.moveTo(c * cell + 0.5, 0);
        ctx.lineTo(c * cell + 0.5, rows * cell);
      }
      for (let r = 0; r <= rows; r++) {
        ctx.moveTo(0, r * cell + 0.5);
        ctx.lineTo(cols * cell, r * cell + 0.5);
      }
      ctx.stroke();
    }
    ctx.restore();
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#111111";
    ctx.strokeRect(inner[0] + 1, inner[1] + 1, inner[2] - 1, inner[3] - 1);
  }

  // Black outside, white inside: visible on black, white, purple and orange cells alike.
  function drawHighlight(h, cell) {
    const dashed = h.kind === "preview";
    ctx.save();
    if (dashed) ctx.setLineDash([8, 5]);
    const rect = [h.c * cell, h.r * cell, h.w * cell, h.h * cell];
    ctx.lineWidth = 6;
    ctx.strokeStyle = "#000000";
    ctx.strokeRect(rect[0] + 1, rect[1] + 1, rect[2] - 1, rect[3] - 1);
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = h.kind === "preview" ? "#ffffff" : "#ffd21f";
    ctx.strokeRect(rect[0] + 1, rect[1] + 1, rect[2] - 1, rect[3] - 1);
    ctx.setLineDash([]);
    // Dilated taps are apart: ring each one so the gaps show.
    for (const [tr, tc] of h.taps ?? []) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = "#000000";
      ctx.strokeRect(tc * cell + 4, tr * cell + 4, cell - 8, cell - 8);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(tc * cell + 4, tr * cell + 4, cell - 8, cell - 8);
    }
    ctx.restore();
  }

  /** The cell under a pointer event, or null outside the grid. */
  function cellAt(event) {
    const rect = canvas.getBoundingClientRect();
    const { rows, cols, cell } = layout;
    if (!cell) return null;
    // The canvas may be drawn narrower than its cells (CSS max-width in a narrow box): scale back.
    const shrink = rect.width > 0 ? rect.width / (cols * cell + 1) : 1;
    const c = Math.floor((event.clientX - rect.left) / (cell * shrink));
    const r = Math.floor((event.clientY - rect.top) / (cell * shrink));
    return r >= 0 && r < rows && c >= 0 && c < cols ? { r, c } : null;
  }

  return {
    draw,
    cellAt,
    label: (r, c) => labels.get(`${r},${c}`) ?? null,
    get layout() {
      return layout;
    },
  };
}

/**
 * The numbers of `spec`'s cells in `style` ({size px, decimals}), each remembered in `labels`
 * ("r,c" -> text): padding in italics, a pending cell faded as its colour is.
 */
export function drawNumbers(ctx, spec, style, labels) {
  const { rows, cols, cell, value, scale } = spec;
  const isPad = padTest(spec.pad, rows, cols);
  const alphaAt = spec.filled ?? (() => 1);
  ctx.save();
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const alpha = alphaAt(r, c);
      if (alpha <= 0) continue;
      const v = value(r, c);
      const label = fmtCell(v, style.decimals);
      const pad = isPad(r, c);
      labels.set(`${r},${c}`, label);
      const font = `${pad ? "italic 500" : "600"} ${style.size}px ${FONT}`;
      if (ctx.font !== font) ctx.font = font;
      ctx.globalAlpha = Math.max(alpha, 0.35);
      ctx.fillStyle = pad ? "#333333" : scale.ink(v);
      ctx.fillText(label, (c + 0.5) * cell, (r + 0.5) * cell + 1);
    }
  }
  ctx.restore();
}

function padTest(pad, rows, cols) {
  if (!pad) return () => false;
  return (r, c) => r < pad.top || r >= rows - pad.bottom || c < pad.left || c >= cols - pad.right;
}

/** The largest cell size (px) that fits `cols`×`rows` cells in a box, within [min, max]. */
export function fitCell(width, height, cols, rows, min = 4, max = 64) {
  return Math.max(min, Math.min(max, Math.floor(Math.min((width - 1) / cols, (height - 1) / rows))));
}

/** Cells from a to b, including b but not a (Bresenham): a fast drag paints every cell it crossed. */
export function cellsBetween(a, b) {
  const out = [];
  let { r, c } = a;
  const dr = Math.abs(b.r - r);
  const dc = Math.abs(b.c - c);
  const sr = r < b.r ? 1 : -1;
  const sc = c < b.c ? 1 : -1;
  let err = dc - dr;
  while (r !== b.r || c !== b.c) {
    const e2 = 2 * err;
    if (e2 > -dr) {
      err -= dr;
      c += sc;
    }
    if (e2 < dc) {
      err += dc;
      r += sr;
    }
    out.push({ r, c });
  }
  return out;
}
