// The step buttons of an animation (first, back, play/pause, forward, last, "Show all"), as
// the playground and the backprop widget show them; the keyboard sends the same commands
// (keyboard.js). Each widget keeps its own scrubber and step label around them.

import { ICONS } from "./icons.js";

const BUTTONS = [
  ["first", "First step (Home)"],
  ["prev", "Step back (← or Page Up)"],
  ["toggle", "Play (space)", "Play or pause (space)"],
  ["next", "Step forward (→ or Page Down)"],
  ["last", "Last step (End)"],
];

/**
 * The buttons' markup; each carries data-<attr>="<command>". `extra` goes between the step
 * buttons and "Show all" (the playground's speed menu); `whole` names what "Show all" shows.
 */
export function transportButtons({ attr = "cmd", extra = "", whole = "output" } = {}) {
  const buttons = BUTTONS.map(
    ([cmd, label, title = label]) =>
      `<button type="button" data-${attr}="${cmd}"${cmd === "toggle" ? ' class="play"' : ""} ` +
      `aria-label="${label}" title="${title}">${ICONS[cmd === "toggle" ? "play" : cmd]}</button>`,
  ).join("\n      ");
  return (
    `<div class="transport-buttons">
      ${buttons}
      ${extra}
      <button type="button" data-${attr}="reset" class="text-button" title="Show the whole ${whole} (Esc)">Show ` +
    `all</button>
    </div>`
  );
}

/** The play button shows what a press would do: the pause icon while playing. */
export function showPlaying(button, playing) {
  if (button.dataset.playing !== String(playing)) {
    button.dataset.playing = String(playing);
    button.innerHTML = playing ? ICONS.pause : ICONS.play;
  }
  button.setAttribute("aria-label", playing ? "Pause (space)" : "Play (space)");
  button.setAttribute("aria-pressed", String(playing));
}
