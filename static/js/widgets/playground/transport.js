// Play, pause, step, jump, a scrubber and a speed choice for the sliding-filter animation.
// The same commands come from the keyboard (keyboard.js); this is the mouse and touch face.

import { SPEEDS } from "./fields.js";

// Inline SVG icons: no icon font, no emoji font needed on a lecture-hall laptop.
const svg = (d) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="${d}" ` +
  `fill="currentColor"/></svg>`;
const ICONS = {
  first: svg("M5 4h3v16H5zM20 4v16L9 12z"),
  prev: svg("M18 4v16L6 12z"),
  play: svg("M7 4v16l13-8z"),
  pause: svg("M6 4h4v16H6zM14 4h4v16h-4z"),
  next: svg("M6 4v16l12-8z"),
  last: svg("M16 4h3v16h-3zM4 4v16l11-8z"),
};

export function mount(element, { onCommand, id = (part) => part }) {
  element.innerHTML =
    `
    <div class="transport-buttons">
      <button type="button" data-cmd="first" aria-label="First step (Home)" title="First step ` +
    `(Home)">${ICONS.first}</button>
      <button type="button" data-cmd="prev" aria-label="Step back (←)" title="Step back (← or Page ` +
    `Up)">${ICONS.prev}</button>
      <button type="button" data-cmd="toggle" class="play" aria-label="Play (space)" title="Play or pause ` +
    `(space)">${ICONS.play}</button>
      <button type="button" data-cmd="next" aria-label="Step forward (→)" title="Step forward (→ or Page ` +
    `Down)">${ICONS.next}</button>
      <button type="button" data-cmd="last" aria-label="Last step (End)" title="Last step (End)">${ICONS.last}</button>
      <select id="${id("speed")}" class="speed" aria-label="Speed" title="Speed">${SPEEDS.map(
        (s) => `<option ` + `value="${s}">${s}×</option>`,
      ).join("")}</select>
      <button type="button" data-cmd="reset" class="text-button" title="Show the whole output (Esc)">Show all</button>
    </div>
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
    if (play.dataset.playing !== String(playing)) {
      play.dataset.playing = String(playing);
      play.innerHTML = playing ? ICONS.pause : ICONS.play;
    }
    play.setAttribute("aria-label", playing ? "Pause (space)" : "Play (space)");
    play.setAttribute("aria-pressed", String(playing));
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
