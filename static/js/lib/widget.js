// The face every widget returns from mount(): update(state), destroy(), inspect(). destroy()
// stops what the widget started (a stepper's timer, its keys, listeners) and empties its element.
// widgetFace also gives the widget its Export menu (export.js): a PNG and an embed link always,
// an animated GIF when the widget passes `animation`.

import { createAlerts } from "./alerts.js";
import { attachExport } from "./export.js";

/**
 * Put a widget's markup in its element: `$` finds a part inside it, `alerts` shows the
 * server's sentences in the element's alert regions (alerts.js).
 */
export function mountMarkup(element, html) {
  element.innerHTML = html;
  return { $: (selector) => element.querySelector(selector), alerts: createAlerts(element) };
}

/**
 * {update, inspect} with a destroy() that calls each of `stops` and then clears `element`.
 * Export (all optional): `animation` {steps() -> n, step() -> i, show(i)} makes the menu offer
 * a GIF of steps 0..n-1 (a stepper's total, getStep and setStep fit as they are: after show(i)
 * the GIF waits for the update() it caused); `exportAs` {type, slot} names the widget when the
 * page cannot tell and places the menu (export.js), or is false for no menu.
 */
export function widgetFace(element, { update, inspect, stops = [], animation = null, exportAs = {}, ...more }) {
  let shown = null; // the state last drawn: the embed link's
  let drawing = null; // the newest update()'s promise (or value)
  const steps = animation && {
    label: animation.label,
    steps: () => animation.steps(),
    step: () => animation.step?.() ?? null,
    async show(i) {
      await animation.show(i);
      await drawing; // a step set through the store has called update() by now
    },
  };
  const exported =
    exportAs === false
      ? null
      : attachExport(element, {
          type: exportAs.type,
          slot: exportAs.slot,
          state: () => shown,
          animation: steps,
          redraw: async () => shown && (await (drawing = update(shown))),
        });
  return {
    update(state) {
      shown = state;
      drawing = update(state);
      return drawing;
    },
    ...more,
    destroy() {
      for (const stop of stops) stop();
      exported?.destroy();
      element.replaceChildren();
    },
    /** What the widget holds and shows, for tests and lessons. */
    inspect,
  };
}

/** update() of a widget whose every change is one run: keep the state (`keep(next)`), then run. */
export function keepThenRun(keep, run) {
  return async (next) => {
    keep(next); // the store has applied consistent() (lib/state.js)
    await run();
  };
}

/** Listen to `type` on `target` (the window, for a resize) until the returned stop is called. */
export function listen(target, type, fn) {
  target.addEventListener(type, fn);
  return () => target.removeEventListener(type, fn);
}
