// One step of a backprop mode as the page shows it: the panes (grids with the window,
// the cells read and the cells filled so far) and the written arithmetic, both read from
// the engine's answers that backprop-modes.js kept. Only indices are handled here (which
// cell, which window); every value shown is an engine value or an input.
// describe(mode, data, {step, from, progress}) -> {panes, lines, what}

import { num, pos, sumLine, sym } from "./arith.js";

const at = (g, r, c) => g.values[r * g.cols + c];
const cell = (r, c, extra = {}) => ({ r, c, h: 1, w: 1, ...extra });

/** Where a window sits between the step it slides from and its own, as the tween runs. */
function slide(to, fromPos, progress) {
  if (!fromPos || progress >= 1) return to;
  const t = progress * progress * (3 - 2 * progress); // ease in and out
  return { ...to, r: fromPos.r + (to.r - fromPos.r) * t, c: fromPos.c + (to.c - fromPos.c) * t };
}

/** 0..1 per cell: steps before this one done, this one landing with the tween, later ones pending. */
function filledBy(stepOf, step, progress) {
  if (step < 0) return undefined; // the whole map
  return (r, c) => {
    const s = stepOf(r, c);
    return s < step ? 1 : s === step ? (progress >= 1 ? 1 : 0) : 0;
  };
}

/** The first step that fills each cell, from the engine's own index arrays: entries [r, c, step]. */
function stepIndex(entries) {
  const map = new Map();
  for (const [r, c, s] of entries) if (!map.has(`${r},${c}`)) map.set(`${r},${c}`, s);
  return (r, c) => map.get(`${r},${c}`) ?? Infinity;
}
const steps = (n, fn) => Array.from({ length: n }, (_, s) => fn(s));

const reveal = (progress, n) => ({ shown: progress >= 1 ? n : Math.floor(progress * n), done: progress >= 1 });
const pane = (key, title, g, extra = {}) => ({ key, title, rows: g.rows, cols: g.cols, values: g.values, ...extra });

/**
 * A gradient that is a sum of products, written three ways: by name (lhs = Σ a·b), by value,
 * then the products and the engine's sum. terms: [{a, av, b, bv, p}] (names, values, product).
 * ∂L/∂F and ∂L/∂X are both such sums; only which two grids they multiply differs.
 */
function productLines(lhs, terms, result, opts) {
  return [
    { kind: "symbolic", parts: sumLine([lhs, " = "], terms.map((v) => [v.a, "·", v.b]), null, opts) },
    {
      kind: "numeric",
      parts: sumLine(["= "], terms.map((v) => [num(v.av, true), "·", num(v.bv, true)]), null, opts),
    },
    { kind: "products", parts: sumLine(["= "], terms.map((v) => [num(v.p, true)]), [num(result)], opts) },
  ];
}

// ------------------------------------------------------------------ convolution: dL/dF

function weights(d, { step, from, progress }) {
  const { X, F, O, up, dF } = d.grids;
  const t = d.trace;
  const S = t.result.size;
  const [OH, OW] = [t.rows.shape[1], t.cols.shape[1]];
  const index = (s) => [t.weight_index.at(s, 2), t.weight_index.at(s, 3)];
  d.stepOf ??= stepIndex(steps(S, (s) => [...index(s), s]));
  const windowAt = (s) => ({ r: t.rows.at(s, 0), c: t.cols.at(s, 0), h: OH, w: OW });
  const panes = (s, hl) => [
    pane("X", "Input X", X, { highlights: hl.x }),
    pane("F", "Filter F", F, { highlights: hl.f }),
    pane("O", "Output O", O),
    pane("up", "Upstream ∂h", up, { highlights: hl.up }),
    pane("dF", "∂L/∂F", dF, { filled: filledBy(d.stepOf, s, progress), highlights: hl.f }),
  ];
  if (step < 0) return { panes: panes(-1, {}), lines: [], what: [] };
  const [kh, kw] = index(step);
  const win = slide(windowAt(step), from >= 0 && from !== step ? windowAt(from) : null, progress);
  const terms = [];
  for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      terms.push({
        a: sym("X", pos(t.rows.at(step, i), t.cols.at(step, j))),
        av: t.window.at(step, i, j),
        b: sym("∂h", pos(i, j)),
        bv: t.grad.at(step, i, j),
        p: t.products.at(step, i, j),
      });
    }
  }
  return {
    panes: panes(step, { x: [win], f: [cell(kh, kw)], up: [{ r: 0, c: 0, h: OH, w: OW }] }),
    what: [sym("∂L/∂F", pos(kh, kw))],
    lines: productLines(sym("∂L/∂F", pos(kh, kw)), terms, t.result.data[step], reveal(progress, terms.length)),
  };
}

// ------------------------------------------------------------------ convolution: dL/dX

function input(d, { step, from, progress }) {
  const { F, R, P, dX } = d.grids;
  const t = d.trace;
  const origins = d.slides.origin;
  const S = t.result.size;
  d.stepOf ??= stepIndex(steps(S, (s) => [t.in_index.at(s, 1), t.in_index.at(s, 2), s]));
  const windowAt = (s) => ({ r: origins.at(s, 0), c: origins.at(s, 1), h: R.rows, w: R.cols });
  const panes = (s, hl) => [
    pane("F", "Filter F", F),
    pane("R", "F turned 180°", R, { highlights: hl.r }),
    pane("P", "∂h padded with zeros", P, { pad: d.pad, highlights: hl.p }),
    pane("dX", "∂L/∂X", dX, { filled: filledBy(d.stepOf, s, progress), highlights: hl.x }),
  ];
  if (step < 0) return { panes: panes(-1, {}), lines: [], what: [] };
  const [h, w] = [t.in_index.at(step, 1), t.in_index.at(step, 2)];
  const win = slide(windowAt(step), from >= 0 && from !== step ? windowAt(from) : null, progress);
  const terms = [];
  for (let k = t.offsets.data[step]; k < t.offsets.data[step + 1]; k++) {
    terms.push({
      a: sym("∂h", pos(t.oh.data[k], t.ow.data[k])),
      av: t.grad.data[k],
      b: sym("F", pos(t.kh.data[k], t.kw.data[k])),
      bv: t.weight.data[k],
      p: t.product.data[k],
    });
  }
  const taps = d.slides.is_pad;
  const per = taps.shape[1] * taps.shape[2];
  const onPad = taps.data.subarray(step * per, (step + 1) * per).filter(Boolean).length;
  const lines = productLines(sym("∂L/∂X", pos(h, w)), terms, t.result.data[step], reveal(progress, terms.length));
  if (onPad)
    lines.push({
      kind: "note",
      parts: [`${onPad} of the ${per} taps of the turned filter lie on the zero border: they add 0.`],
    });
  return {
    panes: panes(step, { r: [{ r: 0, c: 0, h: R.rows, w: R.cols }], p: [win], x: [cell(h, w)] }),
    what: [sym("∂L/∂X", pos(h, w))],
    lines,
  };
}

// ------------------------------------------------------------------ bias

function bias(d, { step, progress }) {
  const { O, up, dB } = d.grids;
  const cells = steps(up.rows * up.cols, (i) => [Math.floor(i / up.cols), i % up.cols]); // reading order
  const last = step === cells.length - 1 && progress >= 1;
  const panes = [
    pane("O", "Output O", O),
    pane("up", "Upstream ∂h", up, {
      highlights: step < 0 ? [] : [cell(...cells[step], { taps: cells.slice(0, step) })],
    }),
    pane("dB", "∂L/∂b", dB, { filled: step < 0 ? undefined : () => (last ? 1 : 0) }),
  ];
  if (step < 0) return { panes, lines: [], what: [] };
  const opts = { shown: step + (progress >= 1 ? 1 : 0), done: last };
  return {
    panes,
    what: [sym("∂h", pos(...cells[step])), " added"],
    lines: [
      {
        kind: "symbolic",
        parts: sumLine(
          [sym("∂L/∂b", ""), " = "],
          cells.map(([r, c]) => [sym("∂h", pos(r, c))]),
          null,
          opts,
        ),
      },
      {
        kind: "numeric",
        parts: sumLine(
          ["= "],
          cells.map(([r, c]) => [num(at(up, r, c), true)]),
          [num(dB.values[0])],
          opts,
        ),
      },
      { kind: "note", parts: ["b is added to every cell of O, so each ∂h reaches b with weight 1."] },
    ],
  };
}

// ------------------------------------------------------------------ pooling

function pooling(d, { step, from, progress }, isMax) {
  const { x, y, up, dx } = d.grids;
  const t = d.trace;
  const [KH, KW] = [t.window.shape[1], t.window.shape[2]];
  const S = t.result.size;
  const windowAt = (s) => ({ r: t.origin.at(s, 0), c: t.origin.at(s, 1), h: KH, w: KW });
  const cellsOf = (s) =>
    Array.from({ length: KH * KW }, (_, i) => [t.origin.at(s, 0) + Math.floor(i / KW), t.origin.at(s, 1) + (i % KW)]);
  d.stepOf ??= stepIndex(steps(S, (s) => cellsOf(s).map(([r, c]) => [r, c, s])).flat());
  const winner = (s) => [t.winner.at(s, 0), t.winner.at(s, 1)];
  if (step < 0) {
    const rings = isMax ? steps(S, (s) => cell(...winner(s))) : [];
    return {
      panes: [
        pane("x", "Input x", x, { highlights: rings }),
        pane("y", "Pooled y", y),
        pane("up", "Upstream ∂h", up),
        pane("dx", "∂L/∂x", dx, { highlights: rings }),
      ],
      lines: [],
      what: [],
    };
  }
  const [oh, ow] = [t.out_index.at(step, 1), t.out_index.at(step, 2)];
  const win = slide(windowAt(step), from >= 0 && from !== step ? windowAt(from) : null, progress);
  // The winner gets its own frame (and a ring) once the window has landed on it.
  const hl = [win, ...(isMax && progress >= 1 ? [cell(...winner(step), { taps: [winner(step)] })] : [])];
  const panes = [
    pane("x", "Input x", x, { highlights: hl }),
    pane("y", "Pooled y", y, { highlights: [cell(oh, ow)] }),
    pane("up", "Upstream ∂h", up, { highlights: [cell(oh, ow)] }),
    pane("dx", "∂L/∂x", dx, { filled: filledBy(d.stepOf, step, progress), highlights: hl }),
  ];
  const h = pos(oh, ow);
  const done = progress >= 1;
  const cells = cellsOf(step);
  if (isMax) {
    const [wr, wc] = winner(step);
    const others = cells.filter(([r, c]) => r !== wr || c !== wc);
    return {
      panes,
      what: [sym("∂h", h), " to its window"],
      lines: [
        {
          kind: "lead",
          parts: [
            "The window's max is ",
            sym("x", pos(wr, wc)),
            " = ",
            num(at(y, oh, ow)),
            ": only it passed forward.",
          ],
        },
        {
          kind: "symbolic",
          parts: [
            sym("∂L/∂x", pos(wr, wc)),
            " = ",
            sym("∂h", h),
            " = ",
            { term: [num(at(dx, wr, wc))], pending: !done, result: true },
          ],
        },
        {
          kind: "others",
          parts: [
            "The other cells get nothing: ",
            ...others.flatMap(([r, c], i) => [
              i ? ", " : "",
              { term: [sym("∂L/∂x", pos(r, c)), " = ", num(at(dx, r, c))], pending: !done },
            ]),
          ],
        },
      ],
    };
  }
  return {
    panes,
    what: [sym("∂h", h), " spread over its window"],
    lines: [
      {
        kind: "symbolic",
        parts: [
          sym("∂L/∂x", "window"),
          " = ",
          sym("∂h", h),
          " · 1/m²   with m × m = ",
          num(KH),
          " × ",
          num(KW),
          " = ",
          num(cells.length),
          " cells",
        ],
      },
      {
        kind: "numeric",
        parts: sumLine(
          ["= "],
          [[num(at(up, oh, ow)), " · 1/", num(cells.length)]],
          [num(at(dx, ...cells[0]))],
          reveal(progress, 1),
        ),
      },
      {
        kind: "others",
        parts: cells.flatMap(([r, c], i) => [
          i ? ", " : "",
          { term: [sym("∂L/∂x", pos(r, c)), " = ", num(at(dx, r, c))], pending: !done },
        ]),
      },
    ],
  };
}

// ------------------------------------------------------------------ ReLU

function relu(d, { step, progress }) {
  const { x, mask, up, dx } = d.grids;
  const [r, c] = step < 0 ? [-1, -1] : [Math.floor(step / x.cols), step % x.cols];
  const stepOf = (rr, cc) => rr * x.cols + cc; // one step per cell, in reading order
  const hl = step < 0 ? [] : [cell(r, c)];
  const panes = [
    pane("x", "Pre-activation x", x, { highlights: hl }),
    pane("mask", "Mask [x > 0]", mask, { highlights: hl }),
    pane("up", "Upstream ∂h", up, { highlights: hl }),
    pane("dx", "∂L/∂x = ∂h · mask", dx, { filled: filledBy(stepOf, step, progress), highlights: hl }),
  ];
  if (step < 0) return { panes, lines: [], what: [] };
  const p = pos(r, c);
  const open = at(mask, r, c) > 0; // the engine's f'(x): 1 where x > 0
  return {
    panes,
    what: [sym("x", p)],
    lines: [
      {
        kind: "lead",
        parts: [
          sym("x", p),
          " = ",
          num(at(x, r, c)),
          open ? " > 0, so the mask is " : " ≤ 0, so the mask is ",
          num(at(mask, r, c)),
        ],
      },
      { kind: "symbolic", parts: [sym("∂L/∂x", p), " = ", sym("∂h", p), " · [", sym("x", p), " > 0]"] },
      {
        kind: "numeric",
        parts: sumLine(
          ["= "],
          [[num(at(up, r, c)), " · ", num(at(mask, r, c))]],
          [num(at(dx, r, c))],
          reveal(progress, 1),
        ),
      },
    ],
  };
}

export const DESCRIBE = {
  dw: weights,
  dx: input,
  bias,
  max: (d, f) => pooling(d, f, true),
  avg: (d, f) => pooling(d, f, false),
  relu,
};
