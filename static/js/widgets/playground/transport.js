// Play, pause, step, jump, a scrubber and a speed choice for the sliding-filter animation.
// The same commands come from the keyboard (keyboard.js); this is the mouse and touch face.

import { showPlaying, transportButtons } from "../../lib/transport.js";
import { SPEEDS } from "./fields.js";

export function mount(element, { onCommand, id = (part) => part }) {
  const speeds = SPEEDS.map((s) => `<option value="${s}">${s}×</option>`).join("");
  const menu = `<select id="${id("speed")}" class="speed" aria-label="Speed" title="Speed">${speeds}</select>`;
  element.innerHTML = `
    ${transportButtons({ extra: menu })}
    <label class="scrubber"><span class="visually-hidden">Step</span>
      <input type="range" id="${id("scrubber")}" class="scrubber-range" min="0" max="0" value="0" step="1"></label>
    <p class="step-label" id="${id("step-label")}" aria-live="polite"></p>`;
  const play = element.querySelector(".play");
  const scrubber = element.querySelector(".scrubber-range");
  const label = element.querySelector(".step-label");
  const speed = element.querySelector(".speed");

  for (const button of element.querySelectorAll("[data-cmd]")) {
    button.addEventListener("click", () => onCommand(button.dataset.cmd));
  }
  scrubber.addEventListener("input", () => onCommand("seek", Number(scrubber.value)));
  speed.addEventListener("change", () => onCommand("speed", speed.value));

  /** update({step, total, playing, speed}) */
  function update({ step, total, playing, speed: rate }) {
    showPlaying(play, playing);
    scrubber.max = Math.max(0, total - 1);
    scrubber.value = Math.max(0, step);
    scrubber.disabled = total === 0;
    scrubber.setAttribute("aria-valuetext", step >= 0 ? `step ${step + 1} of ${total}` : "whole output");
    if (speed.value !== String(rate)) speed.value = String(rate);
    label.dataset.step = String(step);
    label.textContent =
      step >= 0 && total ? `Step ${step + 1} of ${total}` : total ? `Whole output · ${total} steps` : "";
  }

  return {
    update,
    destroy() {
      element.replaceChildren();
    },
  };
}
