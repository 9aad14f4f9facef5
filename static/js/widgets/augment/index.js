// Data augmentation widget (seed 003): one picture, a row of controls (flips, rotation with its
// fill, crop and scale, colour jitter), the result large, and a strip of eight seeded random
// augmentations of the same picture with each one's settings: "the same cat, eight training
// examples". Every pixel comes from one augment.run answer; the widget draws and routes settings.
// Face: mount(element, {socket, onChange(patch)}) -> {update(state), destroy(), inspect()}.
//
// State fields (lessons set them by key):
//   agImage    "cat" | "camera" | "digit"     the picture (input.preset photo in colour or grey, or the 7)
//   agHflip, agVflip   true | false           mirror left–right, top–bottom
//   agAngle    −180–180                       rotation in degrees, counter-clockwise
//   agFill     "zeros" | "edge" | "reflect"   what a rotation shows beyond the picture's edge
//   agScale    0.3–1                          crop: the share of each side kept (1: no crop)
//   agX, agY   0–1                            crop: where the box sits (0 left/top, 1 right/bottom)
//   agBright, agContrast, agSat   0–2         colour jitter factors (1: unchanged)
//   agHue      −0.5–0.5                       hue turn, a share of the colour wheel
//   agSeed     0–2³¹−1                        the random strip's seed
//   agRand     1–31                           ops the strip draws: 1 flip H, 2 flip V, 4 rotate, 8 crop, 16 jitter

import { alertHtml } from "../../lib/alerts.js";
import { askedOnce } from "../../lib/asked.js";
import { chips, pressChips } from "../../lib/chips.js";
import { fmt } from "../../lib/format.js";
import { idScope } from "../../lib/ids.js";
import { bindKeys } from "../../lib/keyboard.js";
import { field, names } from "../../lib/schema.js";
import { slider as rangeSlider } from "../../lib/slider.js";
import { mountMarkup, widgetFace } from "../../lib/widget.js";

const SIZE = 128; // the picture's side in pixels: a photo still reads as a cat, eight of them fit a row
const STRIP = 8;
const RAND_OPS = [
  ["hflip", 1, "Flip ↔"],
  ["vflip", 2, "Flip ↕"],
  ["rotate", 4, "Rotate"],
  ["crop", 8, "Crop"],
  ["jitter", 16, "Colour"],
];
// The ops a random strip may draw are augment.run's; crop goes first, as by hand (the box is on the original).
const opOrder = ({ schemas }) => {
  const ops = names(field(schemas, "augment.run", "random.ops.0"));
  return ["crop", ...ops.filter((op) => op !== "crop")];
};
const IMAGES = {
  cat: { preset: "photo", channels: 3 },
  camera: { preset: "photo", channels: 1 },
  digit: { preset: "digit", channels: 1 },
};
const IMAGE_LABELS = { cat: "Cat", camera: "Camera", digit: "Digit 7" };
const FILLS = { zeros: "Zeros", edge: "Edge", reflect: "Mirror" };
// rotate's mode for a fill: the link says "zeros" where the server says "constant"; the others agree.
const modeOf = (fill) => (fill === "zeros" ? "constant" : fill);
const EPOCH_MS = 1600;

/** The widget's URL fields (state.js table), all prefixed `ag`. */
export function fields() {
  return [
    { key: "agImage", url: "agi", type: "enum", options: Object.keys(IMAGES), def: "cat" },
    { key: "agHflip", url: "agh", type: "bool", def: false },
    { key: "agVflip", url: "agv", type: "bool", def: false },
    { key: "agAngle", url: "aga", type: "num", min: -180, max: 180, def: 0 },
    { key: "agFill", url: "agf", type: "enum", options: Object.keys(FILLS), def: "reflect" },
    { key: "agScale", url: "ags", type: "num", min: 0.3, max: 1, def: 1 },
    { key: "agX", url: "agx", type: "num", min: 0, max: 1, def: 0.5 },
    { key: "agY", url: "agy", type: "num", min: 0, max: 1, def: 0.5 },
    { key: "agBright", url: "agb", type: "num", min: 0, max: 2, def: 1 },
    { key: "agContrast", url: "agc", type: "num", min: 0, max: 2, def: 1 },
    { key: "agSat", url: "agsat", type: "num", min: 0, max: 2, def: 1 },
    { key: "agHue", url: "aghue", type: "num", min: -0.5, max: 0.5, def: 0 },
    { key: "agSeed", url: "agseed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
    { key: "agRand", url: "agr", type: "int", min: 1, max: 31, def: 1 + 4 + 8 + 16 },
  ];
}

export function consistent(state) {
  return { ...state };
}

const SLIDERS = [
  ["angle", "agAngle", "Rotate", -180, 180, 1, (v) => `${fmt(v)}°`],
  ["scale", "agScale", "Keep", 0.3, 1, 0.01, (v) => `${Math.round(v * 100)}%`],
  ["x", "agX", "Box x", 0, 1, 0.01, (v) => fmt(v)],
  ["y", "agY", "Box y", 0, 1, 0.01, (v) => fmt(v)],
  ["bright", "agBright", "Brightness", 0, 2, 0.05, (v) => fmt(v)],
  ["contrast", "agContrast", "Contrast", 0, 2, 0.05, (v) => fmt(v)],
  ["sat", "agSat", "Saturation", 0, 2, 0.05, (v) => fmt(v)],
  ["hue", "agHue", "Hue", -0.5, 0.5, 0.01, (v) => fmt(v)],
];
const FIELD_OF = Object.fromEntries(SLIDERS.map(([key, field]) => [key, field]));

function slider(uid, [key, , label, min, max, step]) {
  return rangeSlider({
    id: `${uid}-${key}`,
    control: key,
    label,
    className: "ag-slider",
    output: `data-value="${key}"`,
    ends: false,
    input: `data-key="${key}" min="${min}" max="${max}" step="${step}"`,
  });
}

// The strip's table: one row per setting drawn, one column per variant.
const ROWS = {
  crop: [["crop", (op) => `${Math.round(op.scale * 100)}%`]],
  hflip: [["flip ↔", () => "yes"]],
  vflip: [["flip ↕", () => "yes"]],
  rotate: [["turn", (op) => `${fmt(op.angle, 1)}°`]],
  jitter: [
    ["bright.", (op) => fmt(op.brightness)],
    ["contrast", (op) => fmt(op.contrast)],
    ["satur.", (op) => fmt(op.saturation)],
  ],
};

/** Rows of the strip's table: [label, [text per variant]] for each op drawn, in the order applied. */
export function stripRows(names, variants) {
  return names.flatMap((name) =>
    ROWS[name].map(([label, show]) => [
      label,
      variants.map((ops) => {
        const op = ops.find((o) => o.op === name);
        return op ? show(op) : "–";
      }),
    ]),
  );
}

/** Draw a (C, H, W) picture from 0 to 1 at its own resolution; CSS scales the canvas. */
function paint(canvas, tensor, offset = 0) {
  const [c, h, w] = tensor.shape.slice(-3);
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  const d = tensor.data;
  const plane = h * w;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = Math.round(255 * d[offset + (c === 3 ? k * plane : 0) + i]);
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

export function mount(element, { socket, onChange, ...context }) {
  const ORDER = opOrder(context); // the order the ops are applied in, by hand and at random
  const uid = idScope("ag")("ag"); // element ids stay unique when a lesson mounts this widget twice
  const { $, alerts } = mountMarkup(
    element,
    `
    <h2 class="widget-title">Data augmentation</h2>
    <div class="widget-body ag-body">
      <div class="widget-controls ag-controls">
        ${chips("image", IMAGE_LABELS, { label: "Picture" })}
        ${chips("toggle", { agHflip: "Flip ↔", agVflip: "Flip ↕" }, { label: "Flips" })}
        ${slider(uid, SLIDERS[0])}
        <p class="ag-group-label">Rotation fill, beyond the edge</p>
        ${chips("fill", FILLS, { label: "Rotation fill, beyond the edge", className: "ag-fill" })}
        <p class="ag-group-label">Crop and scale back</p>
        ${SLIDERS.slice(1, 4)
          .map((s) => slider(uid, s))
          .join("")}
        <p class="ag-group-label">Colour jitter</p>
        ${SLIDERS.slice(4)
          .map((s) => slider(uid, s))
          .join("")}
        <button type="button" class="chip" data-action="reset">Undo all</button>
        <p class="ag-group-label">The random batch draws</p>
        ${chips(
          "bit",
          RAND_OPS.map(([, bit, label]) => [bit, label]),
          { label: "What the random batch draws", className: "ag-rand" },
        )}
        ${alertHtml("input")}
      </div>
      <div class="widget-main">
        ${alertHtml("general")}
        <div class="ag-top">
          <figure class="pane"><figcaption><span class="pane-title">Original</span> <span class="shape" ` +
    `data-shape="image"></span></figcaption>
            <canvas class="ag-original" aria-label="The original picture; the crop box is drawn on it and can be ` +
    `dragged"></canvas></figure>
          <figure class="pane"><figcaption><span class="pane-title">Augmented</span> <span class="shape">same ` +
    `size</span></figcaption>
            <canvas class="ag-result" aria-label="The augmented picture"></canvas></figure>
          <div class="ag-applied"><p class="ag-group-label">Applied, in order</p><ol class="ag-steps"></ol>
            <p class="ag-fill-note"></p></div>
        </div>
        <section class="ag-strip-box" tabindex="0" aria-label="Random batch. Space plays epochs, each with a new ` +
    `seed; arrow keys and Page Up or Page Down change the seed.">
          <div class="ag-strip-head">
            <h3 class="ag-strip-title">Random batch: ${STRIP} training examples</h3>
            <button type="button" class="chip" data-action="new-seed">New seed</button>
            <button type="button" class="chip play-epochs" data-action="play">Play epochs</button>
            <span class="ag-seed" aria-live="polite"></span>
          </div>
          <div class="ag-strip"></div>
          <p class="ag-ranges"></p>
          <p class="ag-note"><b>On the fly, training only:</b> each mini-batch is augmented as it is loaded; ` +
    `nothing is stored,
            every epoch sees new variants, and test images are never augmented.</p>
        </section>
      </div>
    </div>`,
  );
  const original = $(".ag-original");
  const resultCanvas = $(".ag-result");
  const stripBox = $(".ag-strip-box");
  let state = null;
  let answer = null; // the newest augment.run answer drawn
  let strip = null; // {key, variants: Tensor, meta}
  let playTimer = 0;
  const asked = askedOnce(); // the run parameters last sent

  const set = (patch) => onChange(patch);
  element.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.image) set({ agImage: b.dataset.image });
    else if (b.dataset.toggle) set({ [b.dataset.toggle]: !state[b.dataset.toggle] });
    else if (b.dataset.fill) set({ agFill: b.dataset.fill });
    else if (b.dataset.bit) {
      const next = state.agRand ^ Number(b.dataset.bit);
      if (next) set({ agRand: next }); // at least one op stays drawn
    } else if (b.dataset.action === "new-seed") command("next");
    else if (b.dataset.action === "play") command("toggle");
    else if (b.dataset.action === "reset") {
      set(
        Object.fromEntries(
          fields()
            .filter((f) => !["agImage", "agSeed", "agRand"].includes(f.key))
            .map((f) => [f.key, f.def]),
        ),
      );
    }
  });
  element.addEventListener("input", (e) => {
    const key = e.target.dataset?.key;
    if (key) set({ [FIELD_OF[key]]: Number(e.target.value) });
  });
  const unbindKeys = bindKeys(command, stripBox, element);

  function command(cmd) {
    if (!state) return;
    if (cmd === "toggle") return playTimer ? stop() : play();
    stop();
    if (cmd === "next") set({ agSeed: state.agSeed + 1 });
    else if (cmd === "prev") set({ agSeed: Math.max(0, state.agSeed - 1) });
    else if (cmd === "first") set({ agSeed: 0 });
  }
  // An epoch: the same pictures drawn afresh. Reduced motion still steps, just more slowly.
  function play() {
    const slow = matchMedia("(prefers-reduced-motion: reduce)").matches;
    playTimer = setInterval(() => set({ agSeed: state.agSeed + 1 }), slow ? 2 * EPOCH_MS : EPOCH_MS);
    $(".play-epochs").textContent = "Pause";
    $(".play-epochs").setAttribute("aria-pressed", "true");
  }
  function stop() {
    clearInterval(playTimer);
    playTimer = 0;
    $(".play-epochs").textContent = "Play epochs";
    $(".play-epochs").setAttribute("aria-pressed", "false");
  }

  // Dragging the crop box moves it: the page turns the pointer's travel into the box's x and y
  // (0 to 1 of the free room), and the engine places the box from them.
  let drag = null;
  original.addEventListener("pointerdown", (e) => {
    const box = cropBox();
    if (!box || state.agScale >= 1) return;
    original.setPointerCapture(e.pointerId);
    drag = { x: e.clientX, y: e.clientY, start: [state.agX, state.agY], box };
  });
  original.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const [, h, w] = answer.meta.shape;
    const scale = original.getBoundingClientRect().width / w;
    const [, , bh, bw] = drag.box;
    const clamp = (v) => Math.round(Math.max(0, Math.min(1, v)) * 100) / 100;
    set({
      agX: w > bw ? clamp(drag.start[0] + (e.clientX - drag.x) / scale / (w - bw)) : 0.5,
      agY: h > bh ? clamp(drag.start[1] + (e.clientY - drag.y) / scale / (h - bh)) : 0.5,
    });
  });
  original.addEventListener("pointerup", () => (drag = null));

  function cropBox() {
    return answer?.meta.applied.find((op) => op.op === "crop")?.box ?? null;
  }

  function ops() {
    const s = state;
    const list = [];
    if (s.agScale < 1) list.push({ op: "crop", scale: s.agScale, x: s.agX, y: s.agY });
    if (s.agHflip) list.push({ op: "hflip" });
    if (s.agVflip) list.push({ op: "vflip" });
    if (s.agAngle) list.push({ op: "rotate", angle: s.agAngle, mode: modeOf(s.agFill) });
    if (s.agBright !== 1 || s.agContrast !== 1 || s.agSat !== 1 || s.agHue) {
      list.push({ op: "jitter", brightness: s.agBright, contrast: s.agContrast, saturation: s.agSat, hue: s.agHue });
    }
    return list;
  }

  function randomParams() {
    const s = state;
    const names = ORDER.filter((name) => s.agRand & RAND_OPS.find(([n]) => n === name)[1]);
    return {
      ops: names,
      seed: s.agSeed,
      n: STRIP,
      angle: 20,
      scale: [0.6, 1],
      brightness: 0.3,
      contrast: 0.3,
      saturation: 0.3,
      hue: 0,
      mode: modeOf(s.agFill),
    };
  }

  async function run() {
    const s = state;
    const image = { ...IMAGES[s.agImage], height: SIZE, width: SIZE };
    const random = randomParams();
    const stripKey = JSON.stringify([image, random]);
    // The strip travels only when it changed: a slider drag sends one picture, not nine.
    const params = { image, ops: ops(), ...(strip?.key === stripKey ? {} : { random }) };
    const { answer: a, error: e } = await asked.ask(params, (p) => socket.request("augment.run", p));
    if (a) {
      alerts.clear("augment");
      answer = a;
      if (a.arrays.variants) strip = { key: stripKey, variants: a.arrays.variants, meta: a.meta, names: random.ops };
      element.dataset.ready = "true";
    }
    if (e) alerts.show(e.field, e.message, "augment", "general");
    if (a || e) render(); // the same params: the picture on screen stands
  }

  function renderControls() {
    const s = state;
    pressChips(element, "image", (name) => name === s.agImage);
    pressChips(element, "toggle", (key) => s[key]);
    pressChips(element, "fill", (fill) => fill === s.agFill);
    pressChips(element, "bit", (bit) => (s.agRand & Number(bit)) !== 0);
    for (const [key, field, , , , , show] of SLIDERS) {
      element.querySelector(`[data-key="${key}"]`).value = s[field];
      element.querySelector(`[data-value="${key}"]`).textContent = show(s[field]);
    }
    const grey = IMAGES[s.agImage].channels === 1;
    for (const key of ["sat", "hue"])
      element.querySelector(`[data-control="${key}"]`).classList.toggle("ag-idle", grey);
    for (const key of ["x", "y"])
      element.querySelector(`[data-control="${key}"]`).classList.toggle("ag-idle", s.agScale >= 1);
    $(".ag-seed").textContent = `seed ${s.agSeed}`;
  }

  function render() {
    renderControls();
    if (!answer) return;
    const [c, h, w] = answer.meta.shape;
    paint(original, answer.arrays.image);
    paint(resultCanvas, answer.arrays.output);
    $('[data-shape="image"]').textContent = `${h} × ${w} × ${c}`;
    drawBox();
    const steps = answer.meta.applied;
    $(".ag-steps").innerHTML = steps.length
      ? steps.map((op) => `<li>${describeLong(op)}</li>`).join("")
      : "<li class='ag-none'>nothing yet: the picture as it is</li>";
    const rotate = steps.find((op) => op.op === "rotate");
    $(".ag-fill-note").textContent =
      rotate?.mode === "constant"
        ? "Zeros paint black corners that were never in the picture: seed 003 calls that wrong. Try Mirror."
        : "";
    renderStrip();
  }

  function describeLong(op) {
    if (op.op === "crop")
      return (
        `crop ${Math.round(op.scale * 100)}%: the ${op.box[2]}×${op.box[3]} box at (${op.box[1]}, ` +
        `${op.box[0]}), scaled back`
      );
    if (op.op === "rotate")
      return (
        `turn ${fmt(op.angle, 1)}°, ` +
        `${FILLS[Object.keys(FILLS).find((k) => modeOf(k) === op.mode)].toLowerCase()} beyond the edge`
      );
    if (op.op === "jitter")
      return `colour: b ${fmt(op.brightness)}, c ${fmt(op.contrast)}, s ${fmt(op.saturation)}, h ${fmt(op.hue)}`;
    return op.op === "hflip" ? "flip ↔" : "flip ↕";
  }

  // The crop box on the original, in its own pixels (the canvas is the picture's size).
  function drawBox() {
    const box = cropBox();
    if (!box) return;
    const [top, left, bh, bw] = box;
    const ctx = original.getContext("2d");
    ctx.save();
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#000";
    ctx.strokeRect(left + 0.5, top + 0.5, bw - 1, bh - 1);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#ffd21f";
    ctx.strokeRect(left + 0.5, top + 0.5, bw - 1, bh - 1);
    ctx.restore();
  }

  function renderStrip() {
    const box = $(".ag-strip");
    if (!strip) return;
    const n = strip.variants.shape[0];
    const rows = stripRows(strip.names, strip.meta.variants);
    const shape = JSON.stringify([n, rows.map(([label]) => label)]);
    if (box.dataset.shape !== shape) {
      box.dataset.shape = shape;
      box.style.setProperty("--n", n);
      const thumbs = Array.from(
        { length: n },
        (_, i) => `<figure class="ag-thumb"><span class="ag-thumb-n">${i + 1}</span>
        <canvas aria-label="variant ${i + 1}"></canvas></figure>`,
      ).join("");
      const table = rows
        .map(([label]) => `<span class="ag-row-label">${label}</span>${'<span class="ag-val"></span>'.repeat(n)}`)
        .join("");
      box.innerHTML = `<span class="ag-row-label"></span>${thumbs}${table}`;
    }
    const per = strip.variants.size / n;
    box.querySelectorAll("canvas").forEach((canvas, i) => paint(canvas, strip.variants, i * per));
    const cells = box.querySelectorAll(".ag-val");
    rows.forEach(([, texts], r) => texts.forEach((t, i) => (cells[r * n + i].textContent = t)));
    const r = strip.meta.ranges;
    $(".ag-ranges").textContent =
      `Drawn: flips with probability ½, turns up to ±${fmt(r.angle)}°, crops keeping ` +
      `${Math.round(r.scale[0] * 100)}–${Math.round(r.scale[1] * 100)}% of each side, ` +
      `colour factors 1 ± ${fmt(r.brightness)}${r.hue ? `, hue ±${fmt(r.hue)}` : ""}.`;
  }

  async function update(next) {
    state = next;
    renderControls();
    await run();
  }

  return widgetFace(element, {
    update,
    stops: [stop, unbindKeys],
    inspect: () => ({
      meta: answer?.meta ?? null,
      image: answer && { shape: answer.arrays.image.shape, values: Array.from(answer.arrays.image.data) },
      output: answer && { shape: answer.arrays.output.shape, values: Array.from(answer.arrays.output.data) },
      strip: strip && {
        shape: strip.variants.shape,
        values: Array.from(strip.variants.data),
        variants: strip.meta.variants,
        seed: strip.meta.seed,
      },
      table: strip ? stripRows(strip.names, strip.meta.variants) : null,
      playing: playTimer !== 0,
    }),
  });
}
