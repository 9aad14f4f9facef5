// The playground's markup: the settings panel (sliders, the kernel and padding menus, the
// input chips) and the main column (formula, stage, transport, arithmetic). The names of
// presets and padding modes and their labels are the server's (context.labels); ids are
// this mount's (`id`), so two playgrounds can share a lesson page.

import { alertHtml } from "../../lib/alerts.js";
import { chip } from "../../lib/chips.js";
import { slider } from "../../lib/slider.js";
import { kernelPresets, padModes } from "./fields.js";

// The two 2×2 kernels of seed 001 come with its worked example (the "Seed 001" chip), which
// also turns the flip on; the menu keeps them for a link that names them but does not list them.
const UNLISTED_KERNELS = new Set(["seed001", "seed001_detector"]);

function control(id, key, label) {
  return slider({
    id: id(`ctl-${key}`),
    label,
    control: key,
    input: `data-key="${key}" step="1"`,
    output: `id="${id(`val-${key}`)}" for="${id(`ctl-${key}`)}"`,
    ends: { id: id(`ends-${key}`) },
    ticks: id(`fits-${key}`),
  });
}

const option = (value, label, attrs = "") => `<option value="${value}"${attrs}>${label}</option>`;

function kernelOptions(context) {
  const labels = context.labels.kernels;
  const presets = kernelPresets(context);
  // The menu follows the labels' order (the server's), which groups the filters by kind.
  const ordered = Object.keys(labels).filter((name) => presets.includes(name));
  return (
    ordered.map((name) => option(name, labels[name], UNLISTED_KERNELS.has(name) ? " hidden" : "")).join("") +
    option("custom", "Custom (edited)", " disabled")
  );
}

function inputChips(context) {
  // "random" is the "Random values" button: each press draws a new seed.
  const labels = context.labels.inputs;
  return Object.entries(labels)
    .filter(([name]) => name !== "random")
    .map(([name, label]) => chip("input", name, label))
    .join("");
}

export function panelHtml(id, context) {
  const pads = context.labels.pad_modes;
  return (
    `
    <section class="group" aria-labelledby="${id("h-slide")}">
      <h2 id="${id("h-slide")}">Sliding</h2>
      ${control(id, "stride", "Stride")}
      ${control(id, "padding", "Padding")}
      ${control(id, "dilation", "Dilation")}
      <div class="control">
        <label for="${id("ctl-padMode")}">Padding fills with</label>
        <select id="${id("ctl-padMode")}" data-key="padMode">
          ${padModes(context)
            .map((mode) => option(mode, pads[mode] ?? mode))
            .join("")}
        </select>
        ${alertHtml("padMode")}
      </div>
    </section>
    <section class="group" aria-labelledby="${id("h-kernel")}">
      <h2 id="${id("h-kernel")}">Kernel</h2>
      <div class="control">
        <label for="${id("kernel-preset")}">Kernel preset</label>
        <select id="${id("kernel-preset")}" data-key="kernelPreset">${kernelOptions(context)}</select>
      </div>
      ${control(id, "kernel", "Kernel size")}
      ${control(id, "filters", "Filters")}
      <div class="control toggle">
        <input type="checkbox" id="${id("ctl-flip")}" data-key="flip">
        <label for="${id("ctl-flip")}">True convolution <span class="hint-inline">(turn the kernel 180°)</span></label>
        ${alertHtml("flip")}
      </div>
    </section>

    <section class="group" aria-labelledby="${id("h-input")}">
      <h2 id="${id("h-input")}">Input</h2>
      <div class="chips" role="group" aria-label="Input picture">${inputChips(context)}</div>
      <div class="button-row">
        <button type="button" id="${id("random-input")}" class="chip ` +
    `random-input">${context.labels.inputs.random}</button>
        <input type="file" id="${id("upload")}" accept="image/png,image/jpeg" class="visually-hidden upload">
        <label for="${id("upload")}" class="chip upload-label">Upload image…</label>
      </div>
      <fieldset class="brush">
        <legend>Draw on the input with</legend>
        <label><input type="radio" name="${id("brush")}" value="1" checked> 1</label>
        <label><input type="radio" name="${id("brush")}" value="0"> 0</label>
        <label><input type="radio" name="${id("brush")}" value="-1"> −1</label>
      </fieldset>
      <p class="hint">Drag on the input grid to paint; right button or Shift erases to 0.</p>
      ${alertHtml("input")}
      ${control(id, "height", "Input height")}
      ${control(id, "width", "Input width")}
      ${control(id, "channels", "Channels")}
    </section>
`
  );
}

export function mainHtml(id) {
  return (
    `
    <section id="${id("formula")}" class="formula" aria-label="Output size and parameter count"></section>
    ${alertHtml("general")}

    <section id="${id("stage")}" class="stage" tabindex="0"
             aria-label="Convolution. Space plays or pauses; arrow keys and Page Up or Page Down step; Home and End ` +
    `jump.">
      <figure class="pane pane-input">
        <figcaption><span class="pane-title">Input</span> <span id="${id("input-shape")}" class="shape ` +
    `input-shape"></span></figcaption>
        <div id="${id("input-view")}" class="grids input-view"></div>
        <p class="unused-note" id="${id("unused-note")}" hidden><span class="swatch" ` +
    `aria-hidden="true"></span>darkened: cells no window reaches</p>
        <p class="zoom-note" id="${id("zoom-note")}" role="status" hidden><span class="zoom-note-text"></span> ` +
    `<button type="button" class="chip zoom-button">Zoom on a window</button></p>
      </figure>
      <div class="pane pane-kernel">
        <h2 class="pane-title">Kernel</h2>
        <div id="${id("kernel-editor")}" class="kernel-editor"></div>
        ${alertHtml("kernelValues")}
      </div>
      <figure class="pane pane-output">
        <figcaption><span class="pane-title">Output</span> <span id="${id("output-shape")}" class="shape ` +
    `output-shape"></span></figcaption>
        <div id="${id("output-view")}" class="grids output-view"></div>
        <p class="stale-note" id="${id("stale-note")}" hidden>Showing the last output that worked.</p>
      </figure>
      <div class="thumbs" id="${id("thumbs")}" hidden></div>
    </section>

    <section id="${id("transport")}" class="transport" aria-label="Animation controls"></section>
    <figure class="pane pane-zoom" id="${id("zoom")}" hidden></figure>
    <section id="${id("arithmetic")}" class="arithmetic" aria-label="Arithmetic of one output cell" ` +
    `aria-live="off"></section>
`
  );
}
