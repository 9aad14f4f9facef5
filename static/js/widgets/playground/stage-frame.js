// One frame of the stage as plain data for the widgets: cell sizes, the window on the
// input (slid between steps for the tween), which output cells are filled, and the
// arithmetic to show. Window positions come from the trace's `origin`; the browser only
// interpolates between two of them.

const SLIDE_END = 0.3; // the window slides during the first 30% of a step's tween
const TERMS_END = 0.8; // then the terms add up; the sum lands in the output in the rest

const clamp01 = (x) => Math.max(0, Math.min(1, x));
const ease = (t) => t * t * (3 - 2 * t);

/**
 * One playground's frame maker: stageFrame({state, data, result, frame, hover, traces, sizes, room}).
 * It remembers, per mount, the last step view drawn and the padded input already shown.
 */
export function createStageFrame() {
  const memory = { lastView: null, padded: null, paddedFor: "" };
  return (picture) => stageFrame(picture, memory);
}

function stageFrame({ state, data, result, frame, hover, traces, sizes, room }, memory) {
  const input = data.input;
  const p = state.padding;
  const pad = { top: p, bottom: p, left: p, right: p };
  const padded = result?.padded;
  const matches =
    padded &&
    result.params.padding[0] === p &&
    result.params.pad_mode === state.padMode &&
    padded.shape[0] === input.channels &&
    padded.shape[1] === input.height + 2 * p &&
    padded.shape[2] === input.width + 2 * p;
  const outShape = result?.meta.output_shape;
  const output = outShape ? { filters: outShape[0], rows: outShape[1], cols: outShape[2] } : null;
  const layout = sizes({
    room,
    input: { channels: input.channels, rows: input.height + 2 * p, cols: input.width + 2 * p },
    output,
    kernel: data.kernel ? { size: data.kernel.height, channels: data.kernel.channels } : null,
  });
  const { cellIn, cellOut, columns, thumbCell } = layout;

  const filter = Math.min(state.filter, (outShape?.[0] ?? 1) - 1);
  const step = frame.step;
  let view = step >= 0 ? traces.peek(filter, step) : null;
  // The last step view drawn is kept while the next run's trace is on its way.
  if (!view && memory.lastView?.index === step) view = memory.lastView;
  if (view) memory.lastView = view;
  const fromView = frame.from >= 0 && frame.progress < 1 ? traces.peek(filter, frame.from) : null;
  const done = frame.progress >= 1;
  const slide = done ? 1 : ease(clamp01(frame.progress / SLIDE_END));
  const terms = done ? 1 : clamp01((frame.progress - SLIDE_END) / (TERMS_END - SLIDE_END));
  const land = done ? 1 : clamp01((frame.progress - TERMS_END) / (1 - TERMS_END));

  const shapeOf = result ? windowShape(result) : null;
  const highlight = view && shapeOf ? windowAt(view.origin, fromView?.origin, slide, shapeOf) : null;
  const preview = hover?.view && shapeOf ? windowAt(hover.view.origin, null, 1, shapeOf) : null;

  const OW = outShape?.[2] ?? 1;
  const cellOf = (i) => ({ r: Math.floor(i / OW), c: i % OW });
  // A step view kept from the run before (while this run's trace is on its way) may hold
  // another kernel's window (a 3×3 view with 4×4 weights): its arithmetic waits for the new one.
  const taps = result ? result.weights.shape[1] * result.weights.shape[2] * result.weights.shape[3] : 0;
  const fits = (v) => v && v.products.length === taps;
  const arithmetic =
    hover?.view && result && fits(hover.view)
      ? { step: hover.view, weights: result.weights, filter, progress: 1, label: "Pointed at:" }
      : view && result && step >= 0 && fits(view)
        ? { step: view, weights: result.weights, filter, progress: terms, label: `Step ${step + 1}:` }
        : null;
  // The magnifier: the window on screen (pointed at, else the step) with its numbers.
  const shown = hover?.view && fits(hover.view) ? hover.view : step >= 0 && fits(view) ? view : null;
  const magnifier =
    shown && result
      ? {
          step: shown,
          weights: result.weights,
          cell: shown === hover?.view ? cellOf(hover.step) : cellOf(step),
          landed: shown === hover?.view || land >= 1,
        }
      : null;

  // In words (spoken.js): the step once it has landed; null with no step; undefined while it tweens.
  const spoken =
    step < 0 || !result
      ? null
      : done && fits(view)
        ? {
            step,
            total: frame.total,
            filter,
            view,
            weights: result.weights,
            dilation: [result.meta.axes.height.d, result.meta.axes.width.d],
            padded: p > 0,
            playing: frame.playing,
          }
        : undefined;

  return {
    layout,
    magnifier,
    spoken,
    columns,
    // The cells no window reaches, as the engine counts them (meta.axes[...].leftover).
    input: {
      input,
      padded: matches ? samePadded(padded, input, state, memory) : null,
      pad,
      cell: cellIn,
      highlight,
      preview,
      unused:
        matches && !result.meta.fits
          ? { bottom: result.meta.axes.height.leftover, right: result.meta.axes.width.leftover }
          : null,
    },
    inputShape:
      `${input.height} × ${input.width}${input.channels > 1 ? ` × ${input.channels}` : ""}` +
      (matches && p ? `, padded to ${padded.shape[1]} × ${padded.shape[2]}` : ""),
    unusedNote: matches && !result.meta.fits,
    outputShape: outShape ? `${outShape[1]} × ${outShape[2]}${outShape[0] > 1 ? ` × ${outShape[0]}` : ""}` : "",
    output: result && {
      output: result.output,
      selected: filter,
      cell: cellOut,
      thumbCell,
      filled: step >= 0 ? { upTo: step, alpha: land } : null,
      current: step >= 0 ? cellOf(step) : null,
      preview: hover ? cellOf(hover.step) : null,
    },
    arithmetic,
    transport: {
      step,
      total: frame.total,
      playing: frame.playing,
      speed: frame.speed,
      cell: step >= 0 ? cellOf(step) : null,
    },
  };
}

// The padded input is sent with every answer; for the same input, padding and mode its
// values are the same, so keep the first copy and let the input view skip redrawing.
let keptPadded = null;
let keptFor = "";
function samePadded(padded, input, state, memory) {
  const key = `${state.padding}/${state.padMode}`;
  if (keptPadded?.input !== input || keptFor !== key) {
    keptPadded = { input, padded };
    keptFor = key;
  }
  return keptPadded.padded;
}

// The window's extent in padded cells and its tap spacing (dilation), from the result.
function windowShape(result) {
  const [, , kh, kw] = result.weights.shape;
  return { kh, kw, dh: result.meta.axes.height.d, dw: result.meta.axes.width.d };
}

function windowAt(origin, fromOrigin, t, { kh, kw, dh, dw }) {
  const r = fromOrigin ? fromOrigin[0] + (origin[0] - fromOrigin[0]) * t : origin[0];
  const c = fromOrigin ? fromOrigin[1] + (origin[1] - fromOrigin[1]) * t : origin[1];
  const rect = { r, c, h: dh * (kh - 1) + 1, w: dw * (kw - 1) + 1, at: origin };
  if (dh > 1 || dw > 1) {
    rect.taps = [];
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) rect.taps.push([r + i * dh, c + j * dw]);
  }
  return rect;
}
