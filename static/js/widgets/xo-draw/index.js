// "Classify your own": draw on a grid of the run's size (+1 ink, −1 paper, as in the seed) and
// see every map and the class scores of both networks as you draw: the lecture's hand-designed
// filters beside the filters the run has learned, on the same input (train.classify). The
// seed's examples are one click away. The drawing is the page's own data; every map and score
// is the engine's. A new snapshot (the network changed) re-classifies, at most ten times a second.
// Face: mount(element, {socket, run, samples, onChange(patch)}) -> {update(state), destroy(), inspect()}.

import { alertHtml } from "../../lib/alerts.js";
import { chip, chips, pressChips } from "../../lib/chips.js";
import { scaleFor } from "../../lib/colors.js";
import { cellsBetween, createGrid, fitCell } from "../../lib/grid.js";
import { presenterScale, roomWidth } from "../../lib/room.js";
import { listen, mountMarkup, widgetFace } from "../../lib/widget.js";
import { mountNetView } from "../xo/net-view.js";
import { runFor } from "../xo/run.js";

const SAMPLE_LABELS = { seed_x: "The seed's X", seed_distorted_x: "“Would you classify this as an X?”", o: "An O" };
const RECLASSIFY_MS = 100; // at most ten classifications a second follow the training
const ALONE_MS = 1000; // no run started by then: no training widget on the page
const INK = 1; // the seed's pixel values: +1 ink, −1 paper
const PAPER = -1;

/** URL fields: the drawing (a named sample, or "custom" with its values). */
export function fields({ samples = [] } = {}) {
  return [
    {
      key: "xoDrawSample",
      url: "ds",
      type: "enum",
      options: [...samples, "blank", "custom"],
      def: samples[0] ?? "blank",
    },
    { key: "xoDrawn", url: "dx", type: "floats", def: null },
  ];
}

/** A custom drawing needs its values; without them the default sample shows. */
export function consistent(state, { samples = [] } = {}) {
  const s = { ...state };
  if (s.xoDrawSample === "custom" && !s.xoDrawn?.length) s.xoDrawSample = samples[0] ?? "blank";
  if (s.xoDrawSample !== "custom") s.xoDrawn = null;
  return s;
}

export function mount(element, { socket, samples = [], onChange, ...context }) {
  const run = context.run ?? runFor(socket, context);
  const examples = samples.map((s) => [s, SAMPLE_LABELS[s] ?? s]);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 id="h-draw" class="widget-title">Classify your own</h2>
    <div class="xo-draw">
      <div class="xo-draw-input">
        <canvas class="grid-canvas drawable xo-pad" tabindex="0" role="img"
          aria-label="Drawing grid. Click or drag to draw, right-click to erase; arrow keys move the cursor and ` +
    `space flips a pixel."></canvas>
        <div class="chips" role="group" aria-label="Brush">
          ${chip("brush", "ink", "Draw +1")}
          ${chip("brush", "paper", "Erase −1")}
          <button type="button" class="chip" data-action="clear">Clear</button>
        </div>
        ${chips("sample", examples, { label: "Examples from the lecture", className: "xo-samples" })}
        <p class="hint">Drag to draw; right-click or Erase paints −1. Keys: arrows move, space flips a pixel.</p>
        ${alertHtml("grid")}
        ${alertHtml("general")}
      </div>
      <div class="xo-draw-nets">
        <div class="xo-draw-net" data-net="hand"></div>
        <div class="xo-draw-net" data-net="trained"></div>
      </div>
    </div>`,
  );
  pressChips(element, "brush", (brush) => brush === "ink");
  const canvas = $(".xo-pad");
  const pad = createGrid(canvas);
  // On a page: sized so the drawing and both networks sit side by side from 1280 px wide up.
  // Presenting (arrange()): the pad and the maps grow to the stage the folded page leaves.
  const big = innerWidth >= 1700;
  const presenting = () => presenterScale() > 1;
  // (Presenting, the filters are drawn as large as the maps: the rows then fit the screen's height.)
  const sizes = presenting()
    ? { filterPx: 120, mapPx: 120 }
    : big
      ? { filterPx: 168, mapPx: 120 }
      : { filterPx: 132, mapPx: 77 };
  let arranged = { pad: null, net: null, maps: null }; // arrange()'s, once the views are in place
  const fit = () => (presenting() ? arranged.maps : null);
  const views = {
    hand: mountNetView($('[data-net="hand"]'), {
      title: "Hand-designed filters (the lecture's)",
      name: "hand",
      ...sizes,
      fit,
    }),
    trained: mountNetView($('[data-net="trained"]'), { title: "Learned filters", name: "trained", ...sizes, fit }),
  };
  const input = $(".xo-draw-input");
  arranged = arrange();
  place();

  /**
   * Presenting: the pad takes 42% of the window's height (the grid the class looks at); the
   * networks share the width beside it, both in one row while their maps keep three quarters of
   * their size, else one beside the pad and one under. Their maps grow up to presenter mode's
   * scale, as far as the width allows and the three rows of maps fit half the window's height.
   * {pad, net (px), maps (factor)}, or nulls on a page (its own sizes).
   */
  function arrange() {
    if (!presenting()) return { pad: null, net: null, maps: null };
    const style = (selector) => getComputedStyle(element.querySelector(selector));
    const px = (value) => parseFloat(value) || 0;
    const width = roomWidth(element, 1000);
    const side = Math.min(width, Math.max(290, Math.min(560, Math.round(0.42 * innerHeight))));
    // A view's own px beside its maps: its padding and border, the gaps between its four columns.
    const view = style(".xo-draw-net");
    const frame =
      px(view.paddingLeft) + px(view.paddingRight) + px(view.borderLeftWidth) + px(view.borderRightWidth) +
      3 * px(style(".xo-net-grid").columnGap) + 8;
    const maps = sizes.filterPx + 3 * sizes.mapPx; // px of a row's four maps at factor 1
    const beside = width - side - px(style(".xo-draw").columnGap) - 4;
    const two = Math.floor((beside - px(style(".xo-draw-nets").columnGap)) / 2);
    const net = two >= 0.75 * maps + frame ? two : beside >= 0.6 * maps + frame ? beside : width;
    const byHeight = (0.5 * innerHeight) / (3 * sizes.filterPx);
    // `net`: each view's width (its title wraps in it, rather than pushing the view to the next line).
    return { pad: side, net, maps: Math.max(0.4, Math.min(presenterScale(), byHeight, (net - frame) / maps)) };
  }

  function place() {
    input.style.width = arranged.pad ? `${arranged.pad}px` : "";
    for (const view of element.querySelectorAll(".xo-draw-net"))
      view.style.width = arranged.net ? `${arranged.net}px` : "";
  }
  let state = null;
  let size = 0;
  let grid = null; // Float32Array (S·S), the drawing
  let gridKey = "";
  let erase = false;
  let cursor = { r: 0, c: 0 };
  let stroke = null; // {last, value}
  let maps = null; // the newest train.maps answer
  let mapsGrid = null; // the drawing those maps are of
  let inFlight = false;
  let again = false;
  let lastSent = 0;
  let timer = 0;
  let classified = 0;
  let sentFor = ""; // the network (run and step) the newest classification asked about
  const networkId = (snapshot) => (snapshot ? `${snapshot.meta.run}:${snapshot.meta.step}` : "");

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.brush) {
      erase = b.dataset.brush === "paper";
      pressChips(element, "brush", (brush) => brush === b.dataset.brush);
    } else if (b.dataset.action === "clear") commit(new Float32Array(size * size).fill(PAPER));
    else if (b.dataset.sample) onChange({ xoDrawSample: b.dataset.sample, xoDrawn: null });
  });

  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  canvas.addEventListener("pointerdown", (e) => {
    if (!grid || (e.button !== 0 && e.button !== 2)) return;
    canvas.setPointerCapture(e.pointerId);
    stroke = { last: null, value: e.button === 2 || erase ? PAPER : INK, grid: Float32Array.from(grid) };
    paintTo(pad.cellAt(e));
    e.preventDefault();
  });
  canvas.addEventListener("pointermove", (e) => stroke && paintTo(pad.cellAt(e)));
  const endStroke = () => (stroke = null);
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("keydown", (e) => {
    if (!grid || e.altKey || e.ctrlKey || e.metaKey) return;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key in moves) {
      const [dr, dc] = moves[e.key];
      cursor = { r: Math.max(0, Math.min(size - 1, cursor.r + dr)), c: Math.max(0, Math.min(size - 1, cursor.c + dc)) };
      drawPad();
    } else if (e.key === " " || e.key === "Enter") {
      const next = Float32Array.from(grid);
      const i = cursor.r * size + cursor.c;
      next[i] = next[i] > 0 ? PAPER : INK;
      commit(next);
    } else return;
    e.preventDefault(); // the keys draw here; they do not step the training
  });
  canvas.addEventListener("focus", () => drawPad());
  canvas.addEventListener("blur", () => drawPad());

  // Every cell on the line from the last one, so a fast stroke leaves no gaps.
  function paintTo(cell) {
    if (!cell) return;
    const cells = stroke.last ? cellsBetween(stroke.last, cell) : [cell];
    stroke.last = cell;
    let changed = false;
    for (const { r, c } of cells) {
      if (stroke.grid[r * size + c] !== stroke.value) {
        stroke.grid[r * size + c] = stroke.value;
        changed = true;
      }
    }
    if (changed) commit(Float32Array.from(stroke.grid));
  }

  // The drawing shows at once (it is the page's own data); the maps follow from the engine.
  function commit(values) {
    grid = values;
    gridKey = `custom:${Array.from(values).join(",")}`;
    drawPad();
    classify();
    onChange({ xoDrawSample: "custom", xoDrawn: values });
  }

  function drawPad() {
    if (!grid) return;
    const side = arranged.pad ?? (big ? 400 : 290);
    const cell = fitCell(side, side, size, size, 12, arranged.pad ? 96 : 48);
    const focused = document.activeElement === canvas;
    pad.draw({
      rows: size,
      cols: size,
      cell,
      value: (r, c) => grid[r * size + c],
      scale: scaleFor([grid, [INK, PAPER]], "diverging"),
      highlights: focused ? [{ r: cursor.r, c: cursor.c, h: 1, w: 1 }] : [],
    });
    canvas.dataset.ink = String(grid.reduce((n, v) => n + (v > 0 ? 1 : 0), 0));
  }

  // One classification in flight; the newest drawing follows its answer (the server would
  // replace a waiting one anyway). Snapshots ask again at most every RECLASSIFY_MS.
  async function classify() {
    if (!grid || !run.ready) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    again = false;
    lastSent = performance.now();
    sentFor = networkId(run.latest);
    const values = Array.from(grid);
    try {
      const answer = await run.classify({ height: size, width: size, values });
      alerts.clear("classify");
      maps = answer;
      mapsGrid = values;
      classified += 1;
      render();
    } catch (e) {
      if (!e.quiet) alerts.show(null, e.message, "classify", e.field?.startsWith("grid") ? "grid" : "general");
    } finally {
      inFlight = false;
    }
    if (again) classify();
  }

  const unsubscribe = run.subscribe(({ ready, snapshot }) => {
    if (ready && ready.meta.config.size !== size) {
      size = ready.meta.config.size;
      gridKey = "";
      cursor = { r: 0, c: 0 };
    }
    if (state) loadGrid();
    if (!snapshot || networkId(snapshot) === sentFor) return; // the same network: nothing new to show
    clearTimeout(timer);
    const wait = RECLASSIFY_MS - (performance.now() - lastSent);
    if (wait <= 0) classify();
    else timer = setTimeout(classify, wait);
  });

  // The drawing the state names: a sample of this run's size, or the custom values.
  function loadGrid() {
    const ready = run.ready;
    if (!ready) return;
    const name = state.xoDrawSample;
    let key = `${name}:${ready.meta.run}`;
    let values;
    if (name === "custom" && state.xoDrawn?.length === size * size) {
      key = `custom:${Array.from(state.xoDrawn).join(",")}`;
      values = state.xoDrawn;
    } else if (ready.arrays[`sample_${name}`]) values = ready.arrays[`sample_${name}`].data;
    else values = new Float32Array(size * size).fill(PAPER);
    pressChips(element, "sample", (sample) => sample === name);
    for (const b of element.querySelectorAll("[data-sample]")) b.disabled = !ready.arrays[`sample_${b.dataset.sample}`];
    if (key === gridKey) return;
    gridKey = key;
    grid = Float32Array.from(values);
    drawPad();
    classify();
  }

  function render() {
    const a = maps.arrays;
    const classes = maps.meta.classes;
    views.hand.update({
      filters: a.hand_filters,
      conv: a.hand_conv,
      relu: a.hand_relu,
      pool: a.hand_pool,
      probs: a.hand_probs,
      scores: a.hand_scores,
      classes,
    });
    views.trained.update({
      filters: a.trained_filters,
      conv: a.trained_conv,
      relu: a.trained_relu,
      pool: a.trained_pool,
      probs: a.trained_probs,
      scores: a.trained_scores,
      classes,
    });
    $('[data-net="trained"] .xo-net-title').textContent = `Learned filters, after ${maps.meta.step} batches`;
    element.dataset.ready = "true";
  }

  // Alone on a page (no training widget to start a run), the drawing starts the default run.
  const alone = setTimeout(() => {
    if (run.startedKey !== null || run.ready) return;
    run.ensure({})?.catch((e) => e.quiet || alerts.show(null, e.message, "classify", "general"));
  }, ALONE_MS);

  // Presenter mode on or off, or a new window: arranged again (presenter.js sends a resize).
  const unlistenResize = listen(window, "resize", () => {
    const next = arrange();
    if (next.pad === arranged.pad && next.maps === arranged.maps && next.net === arranged.net) return;
    arranged = next;
    place();
    drawPad();
    if (maps) render();
  });

  return widgetFace(element, {
    update(next) {
      state = next;
      if (run.ready) loadGrid();
    },
    stops: [() => clearTimeout(timer), () => clearTimeout(alone), unsubscribe, unlistenResize],
    inspect: () => ({
      size,
      grid: grid && Array.from(grid),
      mapsGrid,
      classified,
      meta: maps?.meta ?? null,
      hand: views.hand.inspect(),
      trained: views.trained.inspect(),
    }),
  });
}
