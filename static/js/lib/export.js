// Export for slides: a widget's "Export" menu. PNG of what the widget shows, drawn at 2× so it
// stays sharp on a projector; an animated GIF of its steps (the sliding filter, the pooling
// windows, backprop, training) when the widget says how to step; and an embed snippet, an
// iframe opening /widget/<type> with the widget's state in its URL. The pixels come from
// vendored, well-kept code: modern-screenshot draws the element (canvases, text, MathML) onto
// a canvas, the browser's canvas.toBlob writes the PNG, gifenc quantizes and writes the GIF.
//
// attachExport(element, {type, state, animation, slot}) -> {destroy(), png(), gif(), embed()}
//   type: the widget's name in the feature table (found from the page when left out)
//   state(): the widget's current state (its fields' values), for the embed link
//   animation: {steps(): n, step(): i, show(i): Promise once step i is drawn, label?} for the GIF, or null
//   slot: an element inside the widget to hold the menu in its flow (default: the widget's
//     top right corner, over whatever is there)
//   redraw(): Promise, the widget drawn again as it is; with it, canvases are drawn at 2× for
//     the files (devicePixelRatio reads 2 meanwhile) on a screen of 1×, as a projector laptop is

const SCALE = 2; // PNG pixels per CSS pixel
const GIF_MAX_PIXELS = 1_200_000; // a GIF frame's budget: 2× while it fits, less for a large widget
// A GIF frame copies only these computed properties of each element: what the widgets' layouts,
// boxes, type and colours use. Reading all ~350 per element takes seconds for a large widget
// (~2 s for the playground), too slow for 25 frames; the PNG, drawn once, copies them all.
const FRAME_PROPERTIES = [
  ...["display", "position", "top", "left", "right", "bottom", "z-index", "box-sizing", "float", "clear"],
  ...["width", "height", "min-width", "min-height", "max-width", "max-height", "overflow-x", "overflow-y"],
  ...["top", "right", "bottom", "left"].flatMap((side) => [`margin-${side}`, `padding-${side}`]),
  ...["top", "right", "bottom", "left"].flatMap((s) => [`border-${s}-width`, `border-${s}-style`, `border-${s}-color`]),
  ...["top-left", "top-right", "bottom-left", "bottom-right"].map((corner) => `border-${corner}-radius`),
  ...["color", "background-color", "background-image", "opacity", "visibility", "transform", "box-shadow"],
  ...["outline-style", "outline-width", "outline-color", "outline-offset", "accent-color", "appearance"],
  ...["font-family", "font-size", "font-weight", "font-style", "font-variant-numeric", "line-height"],
  ...["letter-spacing", "text-align", "text-decoration-line", "text-transform", "text-overflow", "white-space"],
  ...["word-break", "overflow-wrap", "vertical-align", "direction", "writing-mode", "list-style-type"],
  ...["flex-direction", "flex-wrap", "flex-grow", "flex-shrink", "flex-basis", "order", "row-gap", "column-gap"],
  ...["align-items", "align-self", "align-content", "justify-content", "justify-items", "justify-self"],
  ...["grid-template-columns", "grid-template-rows", "grid-template-areas", "grid-auto-flow"],
  ...["grid-column-start", "grid-column-end", "grid-row-start", "grid-row-end"],
  ...["table-layout", "border-collapse", "border-spacing", "math-style", "math-depth", "math-shift"],
  ...["object-fit", "image-rendering", "cursor"],
];
const GIF_STEP_MS = 700; // each step's frame in the GIF
const GIF_LAST_MS = 2000; // the finished picture holds before the loop starts again
// A 227×227 photo has 3,025 steps: a GIF of them all would take minutes to draw and make a file
// no slide wants. Past this many, the GIF shows this many steps evenly spread, first and last included.
const GIF_MAX_FRAMES = 100;

/** The steps a GIF of `n` steps shows: all of them, or GIF_MAX_FRAMES spread evenly. */
export function gifSteps(n) {
  if (n <= GIF_MAX_FRAMES) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: GIF_MAX_FRAMES }, (_, k) => Math.round((k * (n - 1)) / (GIF_MAX_FRAMES - 1)));
}
const MENU = "export-menu";

let vendor = null; // the two vendored modules, loaded when first used
function loadVendor() {
  vendor ??= Promise.all([
    import("../../vendor/modern-screenshot/modern-screenshot.js"),
    import("../../vendor/gifenc/gifenc.js"),
  ]).then(([shot, gif]) => ({ shot, gif }));
  return vendor;
}

function addStyleSheet() {
  if (document.querySelector("link[data-export-css]")) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = new URL("../../css/export.css", import.meta.url).href;
  link.dataset.exportCss = "";
  document.head.append(link);
}

function readJsonScript(id) {
  const el = document.getElementById(id);
  try {
    return el ? JSON.parse(el.textContent) : null;
  } catch {
    return null;
  }
}

/** The widget's type from the page around it: /widget/<type>, a lesson's figure, /layers' and /xo's sections. */
export function findType(element) {
  const widgets = readJsonScript("widget-context")?.widgets ?? {};
  if (element.dataset.type) return element.dataset.type;
  const mount = element.closest("[data-mount]")?.dataset.mount;
  const lesson = mount && readJsonScript("lesson-data")?.widgets;
  if (lesson) {
    const spec = Array.isArray(lesson) ? lesson.find((w) => w.id === mount) : lesson[mount];
    if (spec?.type) return spec.type;
  }
  const name = element.id.replace(/-widget$/, "");
  if (name in widgets) return name;
  if (`xo-${name}` in widgets) return `xo-${name}`;
  return null;
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}

function background(element) {
  for (let el = element; el; el = el.parentElement) {
    const colour = getComputedStyle(el).backgroundColor;
    if (colour && colour !== "transparent" && !/rgba\(.*,\s*0\)$/.test(colour)) return colour;
  }
  return "#ffffff";
}

/** The element's box in whole CSS pixels (the PNG is SCALE times this). */
export function cssSize(element) {
  const box = element.getBoundingClientRect();
  return { width: Math.ceil(box.width), height: Math.ceil(box.height) };
}

/** A <select> is drawn from its options' `selected` attributes: make them say what is chosen now. */
function pinSelections(element) {
  for (const option of element.querySelectorAll("option")) {
    if (option.selected !== option.defaultSelected) option.defaultSelected = option.selected;
  }
}

/**
 * A table's computed height counts its caption, but a height set on a table sizes only its rows:
 * copied as it is, it stretches the rows by the caption's height and the table spills over what
 * lies below it. Such a table takes the height of its rows, as it does on the page.
 */
function unpinCaptionedTable(clone) {
  // By tag, not instanceof: the clone may belong to another document.
  if (clone.tagName === "TABLE" && clone.querySelector(":scope > caption")) clone.style.setProperty("height", "auto");
}

async function draw(element, scale, { fast = false, size = cssSize(element) } = {}) {
  const { shot } = await loadVendor();
  pinSelections(element);
  const { width, height } = size;
  return shot.domToCanvas(element, {
    scale,
    includeStyleProperties: fast ? FRAME_PROPERTIES : null,
    width,
    height,
    backgroundColor: background(element),
    filter: (node) => !(node.classList && node.classList.contains(MENU)),
    onCloneEachNode: unpinCaptionedTable,
    drawImageInterval: 10, // the decode workaround's pause between redraws; 100 ms is slow for a GIF's frames
    timeout: 10_000,
  });
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileName(type, ext) {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, "-");
  return `convscope-${type || "widget"}-${stamp}.${ext}`;
}

/**
 * Run `fn` with the widget's canvases drawn at SCALE device pixels per CSS pixel: a canvas
 * copied into a 2× picture from a 1× screen would be blown up and soft. The page's
 * devicePixelRatio reads SCALE while the widget redraws and `fn` runs, then the widget
 * redraws at the screen's own.
 */
async function atScale(redraw, fn) {
  if (!redraw || (window.devicePixelRatio || 1) >= SCALE) return fn();
  const own = Object.getOwnPropertyDescriptor(window, "devicePixelRatio");
  Object.defineProperty(window, "devicePixelRatio", { configurable: true, get: () => SCALE });
  try {
    await redraw();
    await nextFrame();
    return await fn();
  } finally {
    if (own) Object.defineProperty(window, "devicePixelRatio", own);
    else delete window.devicePixelRatio;
    await redraw();
  }
}

/** The widget as a PNG Blob at 2× its CSS size. */
export async function toPng(element) {
  const canvas = await draw(element, SCALE);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the picture could not be written"))), "image/png"),
  );
}

/** The scale of a GIF frame: 2× while a frame stays within GIF_MAX_PIXELS, less for a large widget. */
export function gifScale(element) {
  const { width, height } = cssSize(element);
  return Math.min(SCALE, Math.sqrt(GIF_MAX_PIXELS / Math.max(1, width * height)));
}

/**
 * Every step of `animation` as one GIF frame (a Blob), then the widget back at the step it
 * showed. `progress(i, n)` is told as each frame is drawn.
 */
export async function toGif(element, animation, progress = () => {}) {
  const { gif } = await loadVendor();
  const n = animation.steps();
  if (!n) throw new Error("there are no steps to animate yet");
  const steps = gifSteps(n);
  const before = animation.step?.() ?? null;
  const scale = gifScale(element);
  // Every frame the size of the widget as it was asked for: a GIF has one size, while a widget's
  // height may follow its numbers (a line that wraps at one step and not at the next).
  const size = cssSize(element);
  const encoder = gif.GIFEncoder();
  try {
    for (const [i, step] of steps.entries()) {
      progress(i, steps.length);
      await animation.show(step);
      await nextFrame();
      const canvas = await draw(element, scale, { fast: true, size });
      const { width, height } = canvas;
      const rgba = canvas.getContext("2d").getImageData(0, 0, width, height).data;
      const palette = gif.quantize(rgba, 256);
      const index = gif.applyPalette(rgba, palette);
      const delay = i === steps.length - 1 ? GIF_LAST_MS : GIF_STEP_MS;
      encoder.writeFrame(index, width, height, { palette, delay, repeat: 0 });
    }
  } finally {
    if (before !== null && before !== undefined) await animation.show(before);
  }
  encoder.finish();
  return new Blob([encoder.bytes()], { type: "image/gif" });
}

/** The URL of /widget/<type> holding `state`, written with the widget's own URL fields. */
export async function embedUrl(type, state) {
  const context = readJsonScript("widget-context");
  const spec = context?.widgets?.[type];
  let query = "";
  if (spec && state) {
    const [module, { writeQuery }] = await Promise.all([
      import(new URL(`../../${spec.module}`, import.meta.url).href),
      import("./state.js"),
    ]);
    query = writeQuery(state, { fields: module.fields(context), consistent: (s) => module.consistent(s, context) });
  }
  return `${location.origin}/widget/${encodeURIComponent(type)}${query ? `?${query}` : ""}`;
}

function escapeAttr(text) {
  return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}

/** The iframe a course website pastes: the widget's page at the widget's size on this screen. */
export async function embedCode(element, type, state) {
  const url = await embedUrl(type, state);
  const title = readJsonScript("widget-context")?.widgets?.[type]?.title ?? type;
  const { width, height } = cssSize(element);
  const w = Math.max(320, Math.min(1280, width + 32));
  const h = Math.max(240, Math.min(1200, height + 120)); // room for the page's bar above the widget
  return (
    `<iframe src="${escapeAttr(url)}" title="${escapeAttr(`${title} · Convscope`)}" ` +
    `width="${w}" height="${h}" style="border:0;max-width:100%" loading="lazy"></iframe>`
  );
}

function menuHtml(gifLabel) {
  const hint = "Save this widget for a slide, or embed it in a web page";
  return `<summary class="export-toggle" title="${hint}">Export</summary>
    <div class="export-items">
      <button type="button" class="export-png">PNG picture (2×)</button>
      ${gifLabel ? `<button type="button" class="export-gif">${gifLabel}</button>` : ""}
      <button type="button" class="export-embed">Copy embed code</button>
      <textarea class="export-code" readonly rows="4" aria-label="Embed code" hidden></textarea>
      <p class="export-status" role="status" aria-live="polite"></p>
    </div>`;
}

const attached = new WeakMap();

/** Put the Export menu in `element` (once; a second call changes its options). */
export function attachExport(element, { type = null, state = () => null, animation = null, slot = null, redraw } = {}) {
  const known = attached.get(element);
  if (known) {
    known.set({ type, state, animation, redraw });
    return known.face;
  }
  addStyleSheet();
  let options = { type, state, animation, redraw };
  const menu = document.createElement("details");
  menu.className = slot ? `${MENU} export-inline` : MENU;
  if (!slot && getComputedStyle(element).position === "static") element.classList.add("export-anchor");
  const $ = (s) => menu.querySelector(s);
  let busy = false;

  function render() {
    menu.innerHTML = menuHtml(options.animation && (options.animation.label ?? "Animated GIF of the steps"));
    $(".export-png").addEventListener("click", () => run("png"));
    $(".export-gif")?.addEventListener("click", () => run("gif"));
    $(".export-embed").addEventListener("click", () => run("embed"));
  }
  const say = (text) => ($(".export-status").textContent = text);
  const widgetType = () => options.type || findType(element) || "widget";

  async function png() {
    const blob = await atScale(options.redraw, () => toPng(element));
    const name = fileName(widgetType(), "png");
    download(blob, name);
    const { width, height } = cssSize(element);
    say(`Saved ${name} (${width * SCALE}×${height * SCALE} pixels).`);
    return blob;
  }

  async function gif() {
    if (!options.animation) throw new Error("this widget has no steps to animate");
    const progress = (i, n) => say(`Drawing step ${i + 1} of ${n}…`);
    const blob = await atScale(options.redraw, () => toGif(element, options.animation, progress));
    const name = fileName(widgetType(), "gif");
    download(blob, name);
    const n = options.animation.steps();
    const frames = gifSteps(n).length;
    say(`Saved ${name} (${frames} frames${frames < n ? `: ${frames} of the ${n} steps, evenly spread` : ""}).`);
    return blob;
  }

  async function embed() {
    const code = await embedCode(element, widgetType(), options.state());
    const box = $(".export-code");
    box.hidden = false;
    box.value = code;
    box.select();
    let copied = false;
    try {
      await navigator.clipboard.writeText(code);
      copied = true;
    } catch {
      copied = document.execCommand?.("copy") ?? false; // pages served over plain http on a LAN
    }
    say(copied ? "Embed code copied." : "Select the code above and copy it (Ctrl+C).");
    return code;
  }

  async function run(kind) {
    if (busy) return;
    busy = true;
    menu.setAttribute("aria-busy", "true");
    for (const b of menu.querySelectorAll("button")) b.disabled = true;
    say(kind === "embed" ? "" : "Drawing…");
    try {
      return await { png, gif, embed }[kind]();
    } catch (error) {
      say(`Could not export: ${error.message || error}.`);
      return null;
    } finally {
      busy = false;
      menu.removeAttribute("aria-busy");
      for (const b of menu.querySelectorAll("button")) b.disabled = false;
    }
  }

  // Keys pressed in the menu work the menu (a button's Space, the code box's arrows), not the widget's steps.
  const OWN_KEYS = new Set([" ", "Enter", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"]);
  const onKey = (e) => {
    if (OWN_KEYS.has(e.key)) e.stopPropagation();
    if (e.key === "Escape" && menu.open) {
      e.stopPropagation();
      menu.open = false;
      $(".export-toggle").focus();
    }
  };
  menu.addEventListener("keydown", onKey);
  render();
  (slot ?? element).append(menu);

  const face = {
    png: () => run("png"),
    gif: () => run("gif"),
    embed: () => run("embed"),
    destroy() {
      menu.remove();
      element.classList.remove("export-anchor");
      attached.delete(element);
    },
  };
  attached.set(element, {
    face,
    set(next) {
      const hadGif = Boolean(options.animation);
      options = next;
      if (hadGif !== Boolean(next.animation)) render();
    },
  });
  return face;
}
