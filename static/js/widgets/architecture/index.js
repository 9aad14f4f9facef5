// Architecture widget: a network's layer table from the engine (arch.table): LeNet-5, AlexNet,
// VGG-16, ResNet-18, GoogLeNet, ResNet-50, ResNet-152, Xception, the CS231n pattern built from N, M
// and K, or three 3×3 layers against one 7×7. Shapes C×H×W, what each row sees, parameters per layer
// with their formula and share, totals, the layer holding the most; "freeze" boxes show what transfer
// learning leaves to train (added up by the server). A network of blocks folds its runs of identical
// blocks (table.js) and draws one block as a diagram (diagram.js); a block's name in the table opens it.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (keys for a lesson's `state`; URL names in brackets):
//   arView    [arv]  a network ("lenet5", "alexnet", "vgg16", "resnet18", "googlenet", "resnet50",
//                    "resnet152", "xception") | "pattern" | "compare" (default "lenet5")
//   arFrozen  [arfz] row numbers (from 0) frozen for transfer learning, e.g. [0, 1, 2] (nets and the pattern)
//   arBlock   [arbk] the row of the block drawn as a diagram (networks of blocks; their example block when unset)
//   pattern [(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K,SOFTMAX:
//     arN [arn] 1–6 (2) · arM [arm] 1–8 (3) · arK [ark] 0–3 (1) · arPool [arpool] (true)
//     arSize [arsz] input side 4–256 (32) · arFilters [arflt] first block's filters 1–512 (16)
//   compare: arCk [arck] small kernel 2–7 (3) · arCn [arcn] layers 1–6 (3) · arCc [arcc] channels C 1–1024 (64)
//     arCbias [arcb] count biases (false)

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { field, names } from "../../lib/schema.js";
import { slider as rangeSlider, showRange } from "../../lib/slider.js";
import { keepThenRun, mountMarkup, widgetFace } from "../../lib/widget.js";
import { blockDiagram } from "./diagram.js";
import { group, layerTable, percent, shapeText } from "./table.js";

/** The views: the server's networks (arch.table's names, their labels), then the two builders. */
function views({ schemas, labels }) {
  const nets = names(field(schemas, "arch.table", "net"));
  return {
    ...Object.fromEntries(nets.map((n) => [n, labels.networks[n] ?? n])),
    pattern: "Build the pattern",
    compare: "3×3 stack vs 7×7",
  };
}
const DEPTHS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const SIZES = [4, 8, 16, 28, 32, 64, 96, 128, 224, 256];
const COMPARE_SIZE = 32; // the map both sides of the comparison run on (both shrink it by the same amount)

/** The widget's URL fields (state.js table); bounds are arch.table's (the server checks them again). */
export function fields(context) {
  // An int bounded as the request's `path` is: its minimum, maximum and default.
  const as = (path) => {
    const f = field(context.schemas, "arch.table", path);
    return { type: "int", min: f.minimum, max: f.maximum, def: f.default };
  };
  return [
    { key: "arView", url: "arv", type: "enum", options: Object.keys(views(context)), def: "lenet5" },
    { key: "arFrozen", url: "arfz", type: "list", def: null },
    { key: "arBlock", url: "arbk", ...as("block"), def: null },
    { key: "arN", url: "arn", ...as("pattern.n") },
    { key: "arM", url: "arm", ...as("pattern.m") },
    { key: "arK", url: "ark", ...as("pattern.k") },
    { key: "arPool", url: "arpool", type: "bool", def: true },
    { key: "arSize", url: "arsz", ...as("pattern.size") },
    { key: "arFilters", url: "arflt", ...as("pattern.filters") },
    { key: "arCk", url: "arck", ...as("compare.k") },
    { key: "arCn", url: "arcn", ...as("compare.n") },
    { key: "arCc", url: "arcc", ...as("compare.channels") },
    { key: "arCbias", url: "arcb", type: "bool", def: false },
  ];
}

/** Frozen rows are whole row numbers, and there are none in the comparison; builders draw no block. */
export function consistent(state) {
  const s = { ...state };
  if (s.arFrozen && (s.arView === "compare" || !Array.from(s.arFrozen).every((v) => Number.isInteger(v) && v >= 0)))
    s.arFrozen = null;
  if (s.arView === "compare" || s.arView === "pattern") s.arBlock = null;
  return s;
}

function slider(key, label, stops = null) {
  const input = `data-key="${key}" ${stops ? `data-stops="${stops}"` : ""} step="1"`;
  return rangeSlider({ id: `ar-${key}`, control: key, label, input, output: `id="ar-val-${key}"` });
}

export function mount(element, { socket, onChange, ...context }) {
  const VIEWS = views(context);
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 class="widget-title">Architectures: where the parameters live</h2>
    <div class="widget-body">
      <div class="widget-controls">
        ${chips("view", VIEWS, { label: "Network", className: "ar-views" })}
        <div class="ar-group" data-group="pattern" hidden>
          <p class="ar-pattern-text">[(CONV-RELU)×N-POOL?]×M-(FC-RELU)×K, SOFTMAX</p>
          ${slider("arN", "N, convs per block")}${slider("arM", "M, blocks")}${slider("arK", "K, hidden FC layers")}
          <label class="toggle"><input type="checkbox" data-bool="arPool"> <span>POOL after each block (2×2 ` +
    `max)</span></label>
          ${slider("arSize", "Input side", "sizes")}${slider(
            "arFilters",
            "Filters in block 1 (doubled " + "after)",
            "filters",
          )}
        </div>
        <div class="ar-group" data-group="compare" hidden>
          ${slider("arCk", "Small kernel k")}${slider("arCn", "Stacked layers n")}${slider(
            "arCc",
            "Channels C (in " + "and out)",
            "depths",
          )}
          <label class="toggle"><input type="checkbox" data-bool="arCbias"> <span>Count the biases too</span></label>
        </div>
        <div class="ar-group" data-group="freeze" hidden>
          <p class="ar-freeze-title">Transfer learning</p>
          <p class="hint">Reuse a network trained on ImageNet: freeze its early layers, which find edges and ` +
    `textures in any photo, and train only what is new.</p>
          <div class="chips">
            <button type="button" class="chip" data-freeze="none">Train everything</button>
            <button type="button" class="chip" data-freeze="head">Train only the last layer</button>
          </div>
        </div>
      </div>
      <div class="widget-main">
        ${alertHtml("general")}
        <div class="ar-head"><h3 class="ar-title"></h3><span class="shape ar-input"></span></div>
        <p class="ar-source" hidden></p>
        <div class="ar-summary" aria-live="polite"></div>
        <div class="ar-block"></div>
        <div class="ar-body"></div>
      </div>
    </div>`,
  );
  let state = null;
  let result = null;
  let sent = null;
  let opened = new Set(); // folds the reader opened (first rows); a new table starts folded
  let drawnBlock = null; // the row the diagram shows, to bring a newly chosen one into view
  const asked = askedOnce(); // the run parameters last sent

  const STOPS = { depths: DEPTHS, filters: DEPTHS.filter((d) => d <= 512), sizes: SIZES };
  const stopsOf = (el) => STOPS[el.dataset.stops] ?? null;
  const frozen = () => (state.arFrozen ? Array.from(state.arFrozen) : []);

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.view) onChange({ arView: b.dataset.view, arFrozen: null, arBlock: null });
    else if (b.dataset.fold) {
      const start = Number(b.dataset.fold);
      opened = new Set(opened);
      if (!opened.delete(start)) opened.add(start);
      render();
      element.querySelector(`[data-fold="${start}"]`)?.focus(); // the table was redrawn under the keyboard
    } else if (b.dataset.block) onChange({ arBlock: Number(b.dataset.block) });
    else if (b.dataset.freeze && result) {
      // "Train only the last layer": every row but the last one with parameters (the classifier to replace).
      const rows = result.rows;
      const last = rows.map((r) => r.params > 0).lastIndexOf(true);
      onChange({
        arFrozen:
          b.dataset.freeze === "none" ? null : rows.map((_, i) => i).filter((i) => i !== last && rows[i].params > 0),
      });
    }
  });
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (!key) return;
    const stops = stopsOf(e.target);
    onChange({
      [key]: stops ? stops[Number(e.target.value)] : Number(e.target.value),
      ...(state.arView === "pattern" ? { arFrozen: null } : {}),
    });
  });
  element.addEventListener("change", (e) => {
    if (e.target.dataset?.bool)
      onChange({
        [e.target.dataset.bool]: e.target.checked,
        ...(e.target.dataset.bool === "arPool" ? { arFrozen: null } : {}),
      });
    else if (e.target.dataset?.row != null) {
      const i = Number(e.target.dataset.row);
      const rest = frozen().filter((r) => r !== i);
      onChange({ arFrozen: e.target.checked ? [...rest, i].sort((a, b) => a - b) : rest.length ? rest : null });
    }
  });

  const FIELD_KEYS = {
    "pattern.n": "arN",
    "pattern.m": "arM",
    "pattern.k": "arK",
    "pattern.size": "arSize",
    "pattern.filters": "arFilters",
    "compare.k": "arCk",
    "compare.n": "arCn",
    "compare.channels": "arCc",
    "compare.size": "arCn",
  };

  function params() {
    const s = state;
    if (s.arView === "pattern") {
      return {
        pattern: { n: s.arN, m: s.arM, k: s.arK, pool: s.arPool, size: s.arSize, filters: s.arFilters },
        frozen: frozen(),
      };
    }
    if (s.arView === "compare")
      return { compare: { k: s.arCk, n: s.arCn, channels: s.arCc, size: COMPARE_SIZE, bias: s.arCbias } };
    return { net: s.arView, frozen: frozen(), ...(s.arBlock != null ? { block: s.arBlock } : {}) };
  }

  async function run() {
    const p = params();
    const { answer, error: e, quiet } = await asked.ask(p, () => socket.request("arch.table", p));
    if (quiet) return;
    if (answer) {
      alerts.clear("table");
      if (answer.meta.title !== result?.title) opened = new Set();
      result = answer.meta;
      sent = p;
      element.dataset.ready = "true";
    }
    if (e) alerts.show(null, e.message, "table", FIELD_KEYS[e.field]);
    render();
  }

  function renderControls() {
    const view = state.arView;
    pressChips(element, "view", (name) => name === view);
    $('[data-group="pattern"]').hidden = view !== "pattern";
    $('[data-group="compare"]').hidden = view !== "compare";
    $('[data-group="freeze"]').hidden = view === "compare" || view === "pattern";
    element.querySelectorAll("[data-bool]").forEach((box) => (box.checked = state[box.dataset.bool]));
    // M stops where the pooling would shrink the map away (the server's range); the rest are the protocol's.
    const mMax = result?.mode === "pattern" ? result.ranges.m.max : 8;
    const ranges = { arN: [1, 6], arM: [1, Math.max(mMax, state.arM)], arK: [0, 3], arCk: [2, 7], arCn: [1, 6] };
    for (const el of element.querySelectorAll("input[type=range][data-key]")) {
      const key = el.dataset.key;
      const stops = stopsOf(el);
      const control = $(`[data-control="${key}"]`);
      if (!stops) {
        showRange(control, { min: ranges[key][0], max: ranges[key][1], value: state[key] });
        continue;
      }
      // A slider over stops: positions 0…n−1, the value and the ends in the stops' own numbers.
      const nearest = stops.reduce(
        (best, v, i) => (Math.abs(Math.log(v / state[key])) < Math.abs(Math.log(stops[best] / state[key])) ? i : best),
        0,
      );
      showRange(control, { min: 0, max: stops.length - 1, value: nearest, text: state[key] });
      control.querySelector('[data-end="min"]').textContent = stops[0];
      control.querySelector('[data-end="max"]').textContent = stops[stops.length - 1];
    }
  }

  function render() {
    renderControls();
    if (!result) return;
    const r = result;
    $(".ar-title").textContent = r.title;
    $(".ar-input").textContent = `input ${shapeText(r.input_shape)} (C × H × W)`;
    renderSource(r);
    renderBlock(r.block);
    if (r.mode === "compare") return renderCompare(r.compare);
    const t = r.totals;
    const largest = r.rows.find((row) => row.name === r.largest);
    const kinds = [
      ["dense", "fully connected layers"],
      ["conv", "convolutions"],
      ["other", "norms"],
    ].filter(([k]) => r.by_kind[k] > 0);
    $(".ar-summary").innerHTML = `
      <p class="ar-total"><b>${group(t.params)}</b> parameters <span>≈ ${t.words}</span></p>
      <p class="ar-where">${kinds
        .map(([k, name]) => `${name} hold <b>${percent(r.by_kind_share[k])}</b>`)
        .join(
          " · " + "",
        )}${largest ? ` · the largest layer: <b>${largest.name}</b>, ${percent(largest.share)}` : ""}</p>
      ${
        t.frozen
          ? `<p class="ar-train">Trainable <b>${group(t.trainable)}</b> · frozen ` + `<b>${group(t.frozen)}</b></p>`
          : ""
      }`;
    $(".ar-body").replaceChildren(
      layerTable(r.rows, { freeze: true, largest: r.largest, folds: r.folds, open: opened, drawn: r.block?.row }),
    );
  }

  /** Which framework's model the table follows, and the count that framework prints when it differs. */
  function renderSource(r) {
    const source = $(".ar-source");
    source.hidden = !r.source;
    if (!r.source) return;
    const keras =
      r.framework_params !== r.totals.params
        ? ` It prints <b>${group(r.framework_params)}</b> parameters: these ${group(r.totals.params)} learned ones ` +
          `and batch norm's ${group(r.statistics)} running means and variances, which it counts as non-trainable.`
        : "";
    source.innerHTML = `After ${r.source}.${keras}`;
  }

  function renderBlock(block) {
    const box = $(".ar-block");
    if (!block) {
      box.replaceChildren();
      drawnBlock = null;
      return;
    }
    box.replaceChildren(blockDiagram(block));
    const chosen = drawnBlock !== null && drawnBlock !== block.row;
    drawnBlock = block.row;
    if (chosen) {
      const smooth = !matchMedia("(prefers-reduced-motion: reduce)").matches;
      box.scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "nearest" });
    }
  }

  function renderCompare(c) {
    const side = (s, title) => {
      const box = document.createElement("section");
      box.className = "ar-side";
      box.innerHTML = `<h4>${title}</h4>`;
      box.append(layerTable(s.rows, { field: true, share: false })); // each side's total is in its title
      return box;
    };
    const sq = (v) => `${v}×${v}`;
    const bias = sent.compare.bias;
    $(".ar-summary").innerHTML =
      `<div class="ar-cards">
        <div class="ar-card"><span>Receptive field</span><b>${sq(c.stack.receptive_field)}</b> <i>=</i> ` +
      `<b>${sq(c.single.receptive_field)}</b></div>
        <div class="ar-card"><span>Parameters${bias ? " (with biases)" : ""}</span><b>${group(c.stack.params)}</b> ` +
      `<i>vs</i> <b>${group(c.single.params)}</b>
          ${bias ? "" : `<small>${c.stack.per_c2}C² vs ${c.single.per_c2}C², with C = ${c.channels}</small>`}</div>
        <div class="ar-card"><span>Non-linearities</span><b>${c.stack.nonlinearities}</b> <i>vs</i> ` +
      `<b>${c.single.nonlinearities}</b></div>
      </div>
      <p class="ar-where">Both see a ${sq(c.big)} patch of the input and shrink a ${COMPARE_SIZE}×${COMPARE_SIZE} ` +
      `map alike; the stack spends fewer weights and puts a ReLU after every layer.</p>`;
    $(".ar-body").replaceChildren(
      side(c.stack, `${c.n} × conv ${sq(c.k)}: ${c.stack.formula} = ${group(c.stack.params)}`),
      side(c.single, `1 × conv ${sq(c.big)}: ${c.single.formula} = ${group(c.single.params)}`),
    );
  }

  return widgetFace(element, {
    update: keepThenRun((next) => (state = next), run),
    inspect: () => ({
      params: sent,
      meta: result,
      total: $(".ar-total b")?.textContent ?? null,
      // Every layer row, shown or folded away; the folds' own summary rows are in `folds`.
      rows: [...element.querySelectorAll(".ar-body tbody tr[data-index]")].map((tr) => ({
        name: tr.querySelector("th").textContent,
        shape: tr.querySelector(".shape-cell").textContent,
        params: tr.querySelector(".params").textContent,
        sees: tr.querySelector(".sees")?.textContent ?? null,
        hidden: tr.hidden,
      })),
      folds: [...element.querySelectorAll(".ar-fold")].map((tr) => ({
        names: tr.querySelector("th").textContent,
        what: tr.querySelector(".what").textContent,
        open: tr.querySelector("button").getAttribute("aria-expanded") === "true",
      })),
      diagram: element.querySelector(".ar-diagram")
        ? {
            row: Number(element.querySelector(".ar-diagram").dataset.block),
            branches: [...element.querySelectorAll(".ar-branch")].map((br) => ({
              label: br.querySelector(".ar-branch-label").textContent,
              boxes: [...br.querySelectorAll(".ar-box")].map((box) => box.dataset.part),
              text: br.textContent,
            })),
            merge: element.querySelector(".ar-merge").textContent,
            separable: element.querySelector(".ar-sep")?.textContent ?? null,
          }
        : null,
    }),
  });
}
