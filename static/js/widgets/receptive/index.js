// Receptive-field widget: a stack of window layers (convolutions, max or average pools, each with
// k, s, p, d) drawn as maps side by side, the input first. Hover or keyboard-focus any unit of any
// layer: its patch lights up on every map below it, the input's cells shaded by how many paths
// lead from each to the unit (the effective receptive field), and the growth r = 1 + Σ d·(k − 1)·j
// is written out under the stack. Every number comes from the engine (receptive.run: map sizes, r,
// the jump, every unit's box on every map below it, the focused unit's path counts); the widget draws.
// Every box comes with each answer, so the outline follows the pointer at once; the counts of a
// newly focused unit follow one round trip.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   rfPreset [rfp]  "three" | "pooled" | "strided" | "dilated" | "wavenet" | "gridding" | "seed000" | "custom"
//   rfLayers [rfl]  only with "custom": five numbers a layer, kind (0 conv, 1 max pool, 2 avg pool), k, s, p, d
//   rfN      [rfn]  the input's side, 1–32 (default 16; a preset sets its own)
//   rfLevel  [rfv]  the focused unit's layer, 1–6; 0: the last (default)
//   rfRow    [rfr]  its row, −1: the centre (default)     rfCol [rfc] its column, −1: the centre

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { drawNumbers, fitCell } from "../../lib/grid.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { createReadableGrid } from "../../lib/readable-grid.js";
import { maxCell, onWidthChange, roomHeight, roomWidth } from "../../lib/room.js";
import { slider, showRange } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";
import { LIMITS, RF_PRESETS, encodeLayers, layerEditor, layersOf, presetOf, validList } from "./stack.js";

/** The widget's URL fields (state.js table). */
export function fields() {
  return [
    { key: "rfPreset", url: "rfp", type: "enum", options: [...Object.keys(RF_PRESETS), "custom"], def: "three" },
    { key: "rfLayers", url: "rfl", type: "list", def: null },
    { key: "rfN", url: "rfn", type: "int", min: 1, max: LIMITS.n, def: 16 },
    { key: "rfLevel", url: "rfv", type: "int", min: 0, max: LIMITS.layers, def: 0 },
    { key: "rfRow", url: "rfr", type: "int", min: -1, max: LIMITS.n - 1, def: -1 },
    { key: "rfCol", url: "rfc", type: "int", min: -1, max: LIMITS.n - 1, def: -1 },
  ];
}

/** Edited layers only with "custom", and only a list the server could take; a focus inside the stack. */
export function consistent(state) {
  const s = { ...state };
  if (s.rfPreset === "custom" && !validList(s.rfLayers)) s.rfPreset = "three";
  if (s.rfPreset !== "custom") s.rfLayers = null;
  if (s.rfLevel > layersOf(s).length) s.rfLevel = 0;
  return s;
}

// Path counts: white for none (a hole), then light to deep orange (one hue: safe for colour-blind eyes).
const STOPS = [
  [255, 255, 255],
  [254, 224, 182],
  [241, 163, 64],
  [179, 88, 6],
  [90, 40, 0],
];
function countScale(max) {
  const rgb = (v) => {
    if (!(v > 0)) return STOPS[0];
    const t = 1 + (Math.min(v, max) / (max || 1)) * (STOPS.length - 2) - 1e-9; // 1 path: the lightest orange
    const i = Math.max(1, Math.min(STOPS.length - 2, Math.floor(t)));
    const f = Math.min(1, t - i);
    return STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  };
  const ink = (v) => {
    const [r, g, b] = rgb(v);
    return 0.299 * r + 0.587 * g + 0.114 * b > 150 ? "#111111" : "#ffffff";
  };
  return { kind: "count", lo: 0, hi: max, rgb, ink, fill: (v) => `rgb(${rgb(v).join(",")})` };
}

const FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif";
const MIN_NUMBER_PX = 12; // lib/readable-grid.js's floor: smaller numbers are noise
/** The font for counts up to `most` in `cell`-px cells: 0.56 of a cell, shrunk to fit; null below the floor. */
function countStyle(canvas, cell, most) {
  const ctx = canvas.getContext("2d");
  const top = Math.min(34, Math.floor(cell * 0.56));
  if (top < MIN_NUMBER_PX) return null;
  ctx.font = `600 ${top}px ${FONT}`;
  const widest = ctx.measureText(String(most)).width;
  const size = widest > cell - 6 ? Math.floor((top * (cell - 6)) / widest) : top;
  return size >= MIN_NUMBER_PX ? { size, decimals: 0 } : null;
}

const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

const SYMBOLIC =
  "r<sub>l</sub> = r<sub>l−1</sub> + d<sub>l</sub>·(k<sub>l</sub> − 1)·j<sub>l−1</sub>, &nbsp; " +
  "j<sub>l</sub> = j<sub>l−1</sub>·s<sub>l</sub>, &nbsp; r<sub>0</sub> = j<sub>0</sub> = 1";

export function mount(element, { socket, onChange }) {
  const uid = idScope("receptive")("receptive");
  const nSlider = slider({
    id: `${uid}-n`,
    control: "n",
    label: "Input side n",
    input: `data-key="n" step="1"`,
    output: `id="${uid}-val-n"`,
  });
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-${uid}" class="widget-title">Receptive fields</h2>
    <div class="widget-body">
      <div class="widget-controls rf-controls">
        ${chips("rf-preset", Object.entries(RF_PRESETS).map(([k, v]) => [k, v.label]), { label: "Stack" })}
        ${nSlider}
        <fieldset class="rf-editor"><legend>Layers, input first</legend>
          <ol class="rf-layers"></ol>
          <button type="button" class="rf-add">Add a layer</button>
        </fieldset>
        ${alertHtml("general")}
      </div>
      <div class="widget-main rf-main">
        <div class="formula rf-formula">
          <p class="formula-line rf-symbolic"><span>${SYMBOLIC}</span></p>
          <p class="formula-line rf-terms" data-formula="terms"></p>
          <p class="formula-line rf-growth" data-formula="growth"></p>
        </div>
        <div class="rf-stage" tabindex="0" aria-label="Receptive fields. Tab to a layer's map; arrow keys move ` +
      `the unit in focus, and its patch lights up on every map below it. Page Up or Page Down: the previous or ` +
      `next unit.">
          <div class="rf-maps"></div>
          <p class="rf-legend"><span class="rf-swatch" aria-hidden="true"></span> paths to the unit: white none, ` +
      `darker more; <span class="rf-box-key" aria-hidden="true"></span> its patch; hatched: padding</p>
        </div>
        <p class="rf-focus" aria-live="polite"></p>
        <p class="rf-probe" aria-live="polite"></p>
        <div class="rf-table-box"><table class="rf-table">
          <caption>Layer by layer</caption>
          <thead><tr><th scope="col">map</th><th scope="col">window</th><th scope="col">side</th>` +
      `<th scope="col">d·(k − 1)·j</th><th scope="col">r</th><th scope="col">j</th></tr></thead><tbody></tbody>
        </table></div>
      </div>
    </div>`,
  );
  const stage = $(".rf-stage");
  const mapsBox = $(".rf-maps");
  let state = null;
  let result = null; // {meta, arrays}
  let pending = null; // {level, row, col} a focus asked for, drawn (its box) before its counts arrive
  let probe = null; // {r, c} an input cell the pointer or keyboard reads
  let maps = []; // [{figure, canvas, grid, margin: [before, after]}] per level
  const asked = askedOnce();

  const editor = layerEditor($(".rf-layers"), $(".rf-add"), (layers) => {
    const preset = presetOf(state.rfN, layers);
    onChange({
      rfPreset: preset ?? "custom",
      rfLayers: preset ? null : encodeLayers(layers),
      rfLevel: 0,
      rfRow: -1,
      rfCol: -1,
    });
  });
  element.addEventListener("click", (e) => {
    const b = e.target.closest("[data-rf-preset]");
    if (!b) return;
    const key = b.dataset.rfPreset;
    onChange({ rfPreset: key, rfLayers: null, rfN: RF_PRESETS[key].n, rfLevel: 0, rfRow: -1, rfCol: -1 });
  });
  element.addEventListener("input", (e) => {
    if (e.target.dataset?.key !== "n") return;
    const layers = layersOf(state);
    const preset = presetOf(Number(e.target.value), layers);
    onChange({
      rfN: Number(e.target.value),
      rfPreset: preset ?? "custom",
      rfLayers: preset ? null : encodeLayers(layers),
      rfRow: -1,
      rfCol: -1,
    });
  });

  // ------------------------------------------------------------ focus: pointer, keys, clicker
  const focus = () => result?.meta.focus ?? null;
  const sizeOf = (level) => result?.meta.levels[level]?.size ?? 0;
  function setFocus(level, r, c) {
    const f = pending ?? focus();
    if (f && f.level === level && f.row === r && f.col === c && state.rfLevel) return;
    pending = { level, row: r, col: c };
    drawMaps(); // the box moves now, from the table every answer carries; the counts follow their answer
    onChange({ rfLevel: level, rfRow: r, rfCol: c });
  }
  function setProbe(cell) {
    probe = cell;
    renderProbe();
    drawMaps();
  }
  function onCell(level, cell) {
    if (!result) return;
    if (level === 0) return setProbe(cell);
    if (cell) setFocus(level, cell.r, cell.c);
  }
  function moveFrom(level, dr, dc) {
    const size = sizeOf(level);
    if (level === 0) {
      const at = probe ?? { r: 0, c: 0 };
      return setProbe({ r: clamp(at.r + dr, size), c: clamp(at.c + dc, size) });
    }
    const f = pending ?? focus(); // keys pressed faster than the answers come move on from the last one asked
    const at = f && f.level === level ? { r: f.row, c: f.col } : { r: 0, c: 0 };
    setFocus(level, clamp(at.r + dr, size), clamp(at.c + dc, size));
  }
  const clamp = (v, size) => Math.max(0, Math.min(size - 1, v));

  function buildMaps(count) {
    if (maps.length === count) return;
    mapsBox.replaceChildren();
    maps = [];
    for (let level = 0; level < count; level++) {
      const figure = document.createElement("figure");
      figure.className = "pane rf-map";
      figure.dataset.level = String(level);
      figure.innerHTML =
        `<figcaption><span class="pane-title">${level ? `Layer ${level}` : "Input"}</span> ` +
        `<span class="shape"></span> <span class="rf-map-label"></span></figcaption>` +
        `<canvas class="grid-canvas" tabindex="0" role="img" data-map="${level}"></canvas>`;
      mapsBox.append(figure);
      const canvas = figure.querySelector("canvas");
      const grid = createReadableGrid(canvas);
      const entry = { figure, canvas, grid, margin: [0, 0], labels: new Map() };
      const inMap = (e) => {
        const cell = grid.cellAt(e);
        if (!cell) return null;
        const [before] = entry.margin;
        const size = sizeOf(level);
        const r = cell.r - before;
        const c = cell.c - before;
        return r >= 0 && c >= 0 && r < size && c < size ? { r, c } : null;
      };
      canvas.addEventListener("pointermove", (e) => onCell(level, inMap(e)));
      canvas.addEventListener("pointerdown", (e) => onCell(level, inMap(e)));
      canvas.addEventListener("pointerleave", (e) => level === 0 && e.pointerType !== "touch" && setProbe(null));
      canvas.addEventListener("focus", () => {
        if (level === 0) return !probe && setProbe({ r: 0, c: 0 });
        const f = focus();
        if (f && f.level !== level) setFocus(level, (sizeOf(level) - 1) >> 1, (sizeOf(level) - 1) >> 1);
      });
      canvas.addEventListener("keydown", (e) => {
        const move = MOVES[e.key];
        if (!move || !result) return;
        e.preventDefault(); // the key is ours: no scrolling, and no other widget steps on it
        moveFrom(level, move[0], move[1]);
      });
      maps.push(entry);
    }
  }

  // A clicker (this widget on stage) walks the focused unit in reading order on its layer.
  const unbindKeys = bindKeys(
    (cmd) => {
      const f = focus();
      if (!f) return;
      const size = sizeOf(f.level);
      const at = f.row * size + f.col;
      const n = size * size;
      const to = { next: Math.min(n - 1, at + 1), prev: Math.max(0, at - 1), first: 0, last: n - 1 }[cmd];
      if (cmd === "reset") return onChange({ rfLevel: 0, rfRow: -1, rfCol: -1 });
      if (to !== undefined) setFocus(f.level, Math.floor(to / size), to % size);
    },
    stage,
    element,
    {
      bindings: [
        { keys: ["Tab"], does: "Go to a layer's map" },
        { keys: ["←", "↑", "→", "↓"], does: "Move the unit in focus; its patch lights up below" },
        { keys: ["Page Down", "Page Up"], does: "Next unit, previous unit (a clicker)" },
        { keys: ["Home", "End"], does: "First unit, last unit" },
        { keys: ["Esc"], does: "Back to the centre unit of the last layer" },
      ],
    },
  );
  const stopWidth = onWidthChange(element, () => drawMaps());

  // ------------------------------------------------------------ the engine
  function params(s) {
    return { n: s.rfN, layers: layersOf(s), level: s.rfLevel, row: s.rfRow, col: s.rfCol };
  }

  async function run(s) {
    const p = params(s);
    const { answer, error: e, quiet } = await asked.ask(p, () => socket.request("receptive.run", p));
    if (quiet) return;
    pending = null; // answered, refused, or already on screen
    if (answer) {
      alerts.clear("receptive");
      result = { meta: answer.meta, arrays: answer.arrays };
      element.dataset.ready = "true";
    }
    if (e) {
      if (["row", "col", "level"].includes(e.field) && (s.rfRow >= 0 || s.rfCol >= 0 || s.rfLevel)) {
        onChange({ rfLevel: 0, rfRow: -1, rfCol: -1 }); // a focus the new stack has no unit for: its centre
        return;
      }
      result = null;
      alerts.show(e.field, e.message, "receptive", "general");
      element.dataset.ready = "true"; // the refusal is the answer drawn
    }
  }

  // ------------------------------------------------------------ drawing
  /** How far any unit's box reaches past map `on`'s edges: [before, after] cells of padding to draw. */
  function margins(on) {
    const { arrays } = result;
    const size = sizeOf(on);
    let before = 0;
    let after = 0;
    for (let level = on + 1; level < result.meta.levels.length; level++) {
      const t = arrays[`boxes${level}`]; // (level, S, 4)
      const [, units] = t.shape;
      for (let i = 0; i < units; i++) {
        const at = (on * units + i) * 4;
        before = Math.max(before, -t.data[at]);
        after = Math.max(after, t.data[at + 1] - (size - 1));
      }
    }
    return [before, after];
  }

  /** The focused unit's box on map `on` ([first row, last row, first col, last col]), from the engine's table. */
  function boxOn(f, on) {
    const t = result.arrays[`boxes${f.level}`];
    const [, units] = t.shape;
    const at = (i) => (on * units + i) * 4;
    return [t.data[at(f.row)], t.data[at(f.row) + 1], t.data[at(f.col)], t.data[at(f.col) + 1]];
  }

  function pathsOn(on) {
    const t = result.arrays[`paths${on}`];
    return t ? { size: t.shape[0], data: t.data } : null;
  }

  function drawMaps() {
    if (!result || !maps.length) return;
    const levels = result.meta.levels;
    const f = pending ?? focus();
    const box = roomWidth(stage, 600);
    const wide = box >= 600;
    // The maps' gap, as the style sheet sets it (1rem, larger when presenting), plus a map's border.
    const gap = (parseFloat(getComputedStyle(mapsBox).columnGap) || 16) + 2;
    const high = roomHeight(360, 180);
    const cap = maxCell(44);
    maps.forEach((m, level) => {
      m.margin = margins(level);
      const size = levels[level].size;
      const cells = size + m.margin[0] + m.margin[1];
      // On a wide stage the input (where the path counts are read) takes half the row and up to three
      // layers share the other half, so a stack of three (the usual lesson) is one row and the unit in
      // focus, on the last map, is in view on a projector; more wrap below. On a phone: the input the
      // whole row, each layer half of it.
      const layers = Math.min(3, levels.length - 1);
      const share = !wide ? (level === 0 ? 1 : 0.5) : level === 0 ? 0.5 : 0.5 / layers;
      const width = Math.max(60, box * share - gap);
      const cell = fitCell(width, level === 0 ? high : Math.min(high, width), cells, cells, 4, cap);
      const paths = level < f.level ? pathsOn(level) : null;
      const [before, after] = m.margin;
      let most = 0;
      if (paths) for (const v of paths.data) most = Math.max(most, v);
      const scale = countScale(most);
      const value = (r, c) => {
        const rr = r - before;
        const cc = c - before;
        if (rr < 0 || cc < 0 || rr >= size || cc >= size) return 0;
        if (paths) return paths.data[rr * size + cc];
        return level === f.level && rr === f.row && cc === f.col ? 1 : 0;
      };
      const highlights = [];
      if (level < f.level) {
        const [r0, r1, c0, c1] = boxOn(f, level);
        highlights.push({ r: r0 + before, c: c0 + before, h: r1 - r0 + 1, w: c1 - c0 + 1 });
      } else if (level === f.level) {
        highlights.push({ r: f.row + before, c: f.col + before, h: 1, w: 1 });
      }
      if (level === 0 && probe) {
        highlights.push({ r: probe.r + before, c: probe.c + before, h: 1, w: 1, kind: "preview" });
      }
      m.grid.draw({
        rows: cells,
        cols: cells,
        cell,
        value,
        scale: level === f.level && !paths ? countScale(1) : scale,
        pad: { top: before, left: before, bottom: after, right: after },
        highlights,
        numbers: false,
      });
      m.labels.clear();
      if (paths && level < f.level) {
        // Counts only inside the unit's box (a 0 there is a hole); outside it every cell is 0 and says nothing.
        const [r0, r1, c0, c1] = boxOn(f, level);
        const inBox = (r, c) => (r >= r0 + before && r <= r1 + before && c >= c0 + before && c <= c1 + before ? 1 : 0);
        const style = countStyle(m.canvas, cell, most);
        const spec = { rows: cells, cols: cells, cell, value, scale, filled: inBox };
        if (style) drawNumbers(m.canvas.getContext("2d"), spec, style, m.labels);
        m.canvas.dataset.numberPx = style ? String(style.size) : "0";
      }
      // The figure is as wide as its share, so a long caption wraps instead of pushing a map to the next row.
      m.figure.style.width = wide ? `${Math.floor(width)}px` : "";
      m.figure.classList.toggle("rf-in-focus", level === f.level);
      m.figure.classList.toggle("rf-above", level > f.level);
      m.figure.querySelector(".shape").textContent = `${size} × ${size}`;
      m.figure.querySelector(".rf-map-label").textContent = level ? levels[level].label : "";
      const what = level
        ? `Layer ${level}, ${levels[level].label}, a ${size} by ${size} map`
        : `Input, ${size} by ${size} cells`;
      m.canvas.setAttribute("aria-label", level < f.level ? `${what}; shaded by paths to the unit in focus` : what);
    });
  }

  function renderText() {
    const { meta } = result;
    const f = meta.focus;
    const lv = meta.levels[f.level];
    $('[data-formula="terms"]').textContent = lv.terms.length
      ? `r${sub(f.level)} = 1 + ${lv.terms.join(" + ")}`
      : "";
    $('[data-formula="growth"]').textContent = `r${sub(f.level)} = ${lv.growth}`;
    const [r0, r1, c0, c1] = f.box;
    const padded = r0 < 0 || c0 < 0 || r1 >= meta.n || c1 >= meta.n;
    const holes = f.in_box - f.reached;
    $(".rf-focus").textContent =
      `Unit (${f.row}, ${f.col}) of layer ${f.level} (${lv.label}) sees input rows ${r0} to ${r1} and columns ` +
      `${c0} to ${c1}: ${/^(8|11|18)/.test(String(lv.field)) ? "an" : "a"} ${lv.field} × ${lv.field} patch` +
      `${padded ? ", part of it in the padding" : ""}. ` +
      `${f.reached} of the ${f.in_box} image cells in it reach the unit` +
      (holes ? ` (${holes} ${holes === 1 ? "hole" : "holes"})` : "") +
      `, along ${f.paths.toLocaleString("en-US")} paths; the busiest cell has ${f.most.toLocaleString("en-US")}.`;
    const body = $(".rf-table tbody");
    body.innerHTML = meta.levels
      .map((l, i) =>
        i === 0
          ? `<tr><th scope="row">input</th><td></td><td>${l.size}</td><td></td><td>1</td><td>1</td></tr>`
          : `<tr${i === f.level ? ' class="rf-in-focus"' : ""}><th scope="row">layer ${i}</th><td>${l.label}</td>` +
            `<td title="${l.formula}">${l.size}</td>` +
            `<td>${l.terms[i - 1]} = ${l.field - meta.levels[i - 1].field}</td>` +
            `<td>${l.field}</td><td>${l.jump}</td></tr>`,
      )
      .join("");
    renderProbe();
  }

  function renderProbe() {
    const el = $(".rf-probe");
    const paths = result && pathsOn(0);
    if (!probe || !paths) {
      el.textContent = "";
      return;
    }
    const v = paths.data[probe.r * paths.size + probe.c];
    const f = result.meta.focus;
    el.textContent =
      `Input cell (${probe.r}, ${probe.c}): ${v.toLocaleString("en-US")} ${v === 1 ? "path" : "paths"} to unit ` +
      `(${f.row}, ${f.col}) of layer ${f.level}.`;
  }

  const sub = (i) => String(i).replace(/\d/g, (d) => "₀₁₂₃₄₅₆₇₈₉"[d]);

  function render() {
    pressChips(element, "rf-preset", (v) => v === state.rfPreset);
    showRange($('[data-control="n"]'), { min: 1, max: LIMITS.n, value: state.rfN });
    editor.show(layersOf(state));
    stage.hidden = !result;
    for (const el of element.querySelectorAll(".rf-formula, .rf-table-box, .rf-focus, .rf-probe")) el.hidden = !result;
    if (!result) return;
    buildMaps(result.meta.levels.length);
    if (probe && (probe.r >= result.meta.n || probe.c >= result.meta.n)) probe = null;
    renderText();
    drawMaps();
  }

  async function update(next) {
    state = next;
    await run(next);
    render();
  }

  return widgetFace(element, {
    update,
    stops: [unbindKeys, stopWidth],
    /** The state drawn and the engine's answer, for tests and lessons. */
    inspect: () => ({
      state,
      meta: result?.meta ?? null,
      focus: result?.meta.focus ?? null,
      sides: result ? result.meta.levels.map((l) => l.size) : null,
      field: result ? result.meta.levels[result.meta.focus.level].field : null,
      /** Path counts on map `on` below the focus, as drawn: rows of numbers. */
      paths: (on) => {
        const p = result && pathsOn(on);
        if (!p) return null;
        return Array.from({ length: p.size }, (_, r) => Array.from(p.data.slice(r * p.size, (r + 1) * p.size)));
      },
      /** The count drawn in cell (r, c) of map `level` (map coordinates; only inside the box), or null. */
      label: (level, r, c) => {
        const m = maps[level];
        return m?.labels.get(`${r + m.margin[0]},${c + m.margin[0]}`) ?? null;
      },
      /** The highlighted box on map `level`, in map coordinates: [first row, last row, first col, last col]. */
      box: (level) => (result && level < result.meta.focus.level ? boxOn(result.meta.focus, level) : null),
      margin: (level) => maps[level]?.margin ?? null,
      probe: () => probe,
    }),
  });
}
