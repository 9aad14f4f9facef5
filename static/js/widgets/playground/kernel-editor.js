// The kernel as a small grid of text fields per channel, one filter at a time (tabs
// choose the filter), plus that filter's bias. A field that does not read as a number
// is marked and explained here, and nothing is sent; a number out of range goes to the
// server, whose sentence is shown beside the grid. A cell being typed in is never
// overwritten by a redraw.

import { scaleFor } from "../../lib/colors.js";
import { fmt, fmtCell, parseNumber } from "../../lib/format.js";

export function mount(element, { onValue, onBias, onSelect, onInvalid, onCommit, id = (part) => part }) {
  element.innerHTML =
    `
    <div class="filter-tabs" role="radiogroup" aria-label="Filter to show and animate"></div>
    <div class="kernel-channels"></div>
    <p class="kernel-readout" aria-hidden="true" hidden></p>
    <div class="bias-row"><label for="${id("bias-input")}">Bias</label>
      <input id="${id("bias-input")}" class="kcell bias" type="text" inputmode="decimal" autocomplete="off" ` +
    `spellcheck="false"></div>
    <div class="flipped" hidden><p class="flipped-title">Multiplied turned 180°</p><div ` +
    `class="flipped-grids"></div></div>`;
  const tabs = element.querySelector(".filter-tabs");
  const channels = element.querySelector(".kernel-channels");
  const biasInput = element.querySelector(".bias");
  const flipped = element.querySelector(".flipped");
  const readout = element.querySelector(".kernel-readout");
  let decimals = 3; // shown in a field; fewer when the fields are narrow (an 11×11 kernel)
  let pointed = null; // the field under the pointer or focused: its full value is read out
  let shapeKey = "";
  let cells = [];
  let current = null;
  let flagged = -1; // the weight the server refused (the last one typed), or -1

  // Typing: send numbers as they are typed; explain anything else when the field is left.
  function readField(input, send) {
    const value = parseNumber(input.value);
    input.setAttribute("aria-invalid", String(value === null));
    if (value !== null) send(value);
    return value;
  }
  function commitField(input) {
    if (parseNumber(input.value) === null)
      onInvalid(`“${input.value}” is not a number: type a value such as 0.5 or −1.`);
  }

  function build(kernel, selected) {
    const { filters, channels: C, height, width } = kernel;
    tabs.replaceChildren();
    tabs.hidden = filters < 2;
    pointed = null;
    for (let f = 0; f < filters; f++) {
      const label = document.createElement("label");
      label.className = "filter-tab";
      label.innerHTML = `<input type="radio" name="${id("filter-tab")}" value="${f}"> Filter ${f + 1}`;
      const radio = label.querySelector("input");
      radio.checked = f === selected;
      radio.addEventListener("change", () => onSelect(f));
      tabs.append(label);
    }
    channels.replaceChildren();
    channels.style.setProperty("--kcols", C);
    cells = [];
    for (let c = 0; c < C; c++) {
      const group = document.createElement("fieldset");
      group.className = "kernel-channel";
      group.innerHTML = `<legend>${C > 1 ? `Channel ${c + 1}` : "Weights"}</legend>`;
      // Its size, for a screen reader (the fields then say each weight).
      const which = `Kernel of filter ${selected + 1}${C > 1 ? `, channel ${c + 1}` : ""}`;
      group.setAttribute("aria-label", `${which}: ${height} by ${width} weights`);
      const grid = document.createElement("div");
      grid.className = "kgrid";
      grid.style.setProperty("--cols", width);
      grid.dataset.size = width > 7 ? "small" : width > 4 ? "medium" : C > 1 ? "compact" : "large";
      const where = `${C > 1 ? `channel ${c + 1}, ` : ""}row `;
      for (let r = 0; r < height; r++) {
        for (let col = 0; col < width; col++) {
          const input = document.createElement("input");
          input.type = "text";
          input.inputMode = "decimal";
          input.autocomplete = "off";
          input.spellcheck = false;
          input.className = "kcell";
          input.dataset.c = c;
          input.dataset.r = r;
          input.dataset.col = col;
          input.setAttribute(
            "aria-label",
            `Filter ${selected + 1}${C > 1 ? `, channel ${c + 1}` : ""}, row ${r + 1}, column ${col + 1}`,
          );
          const offset = ((selected * C + c) * height + r) * width + col;
          input.addEventListener("input", () => readField(input, (v) => onValue(offset, v)));
          input.addEventListener("change", () => commitField(input));
          const point = () => {
            pointed = { input, offset, label: `${where}${r + 1}, column ${col + 1}` };
            showReadout();
          };
          input.addEventListener("focus", point);
          input.addEventListener("pointerenter", point);
          input.addEventListener("keydown", (e) => {
            if (e.key === "Enter") {
              commitField(input);
              onCommit(); // hand the keys back to the stage, ready for the clicker
            }
          });
          grid.append(input);
          cells.push({ input, offset });
        }
      }
      group.append(grid);
      channels.append(group);
    }
  }

  biasInput.addEventListener("input", () => readField(biasInput, (v) => onBias(current.selected, v)));
  biasInput.addEventListener("change", () => commitField(biasInput));
  biasInput.addEventListener("keydown", (e) => e.key === "Enter" && (commitField(biasInput), onCommit()));

  // Narrow fields show fewer decimals; the field pointed at or focused is read out in full.
  function showReadout() {
    readout.hidden = decimals >= 3 || !pointed;
    if (readout.hidden || !current) return;
    const value = current.values[pointed.offset];
    readout.textContent = `Filter ${current.selected + 1}, ${pointed.label}: ${fmt(value, 4)}`;
  }

  function show(input, offset, value, scale) {
    if (document.activeElement !== input) {
      input.value = decimals >= 3 ? fmt(value, 3) : fmtCell(value, decimals);
      input.setAttribute("aria-invalid", String(offset === flagged));
    }
    input.style.backgroundColor = scale.fill(value);
    input.style.color = scale.ink(value);
  }

  let shown = [];
  function update({ kernel, bias, selected, weights, flip, kcell = 68 }) {
    if (!kernel) return;
    const now = [kernel, bias, selected, flip ? weights : null, kcell];
    if (now.every((v, i) => v === shown[i])) return; // nothing new to show
    shown = now;
    current = { selected, values: kernel.values };
    decimals = kcell >= 60 ? 3 : kcell >= 40 ? 2 : 1; // what fits at 0.27 of the field, 10 px at least (CSS)
    element.dataset.decimals = String(decimals);
    const key = `${kernel.filters}/${kernel.channels}/${kernel.height}/${kernel.width}/${selected}`;
    if (key !== shapeKey) {
      shapeKey = key;
      build(kernel, selected);
    }
    const per = kernel.channels * kernel.height * kernel.width;
    const mine = kernel.values.subarray(selected * per, (selected + 1) * per);
    const scale = scaleFor(mine, "diverging");
    for (const { input, offset } of cells) show(input, offset, kernel.values[offset], scale);
    const b = bias?.[selected] ?? 0;
    if (document.activeElement !== biasInput) biasInput.value = fmt(b, 3);
    biasInput.setAttribute("aria-label", `Bias of filter ${selected + 1}`);
    renderFlipped(flip && weights, selected);
    showReadout();
  }

  // In true-convolution mode, show the weights the engine actually multiplied (turned 180°).
  function renderFlipped(weights, selected) {
    flipped.hidden = !weights;
    if (!weights) return;
    const [, C, KH, KW] = weights.shape;
    const grids = [];
    for (let c = 0; c < C; c++) {
      const grid = document.createElement("div");
      grid.className = "kgrid readonly";
      grid.style.setProperty("--cols", KW);
      for (let i = 0; i < KH * KW; i++) {
        const cell = document.createElement("span");
        cell.className = "kcell";
        cell.textContent = fmt(weights.data[(selected * C + c) * KH * KW + i], 3);
        grid.append(cell);
      }
      grids.push(grid);
    }
    element.querySelector(".flipped-grids").replaceChildren(...grids);
  }

  /** Mark the weight at `offset` as refused by the server (-1: none). */
  function flag(offset) {
    flagged = offset;
    for (const cell of cells) {
      if (cell.offset === offset) cell.input.setAttribute("aria-invalid", "true");
      else if (parseNumber(cell.input.value) !== null) cell.input.setAttribute("aria-invalid", "false");
    }
  }

  return {
    update,
    flag,
    destroy() {
      element.replaceChildren();
    },
  };
}
