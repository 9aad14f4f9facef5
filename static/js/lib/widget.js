// The face every widget returns from mount(): update(state), destroy(), inspect(). destroy()
// stops what the widget started (a stepper's timer, its keys, listeners) and empties its element.

import { createAlerts } from "./alerts.js";

/**
 * Put a widget's markup in its element: `$` finds a part inside it, `alerts` shows the
 * server's sentences in the element's alert regions (alerts.js).
 */
export function mountMarkup(element, html) {
  element.innerHTML = html;
  return { $: (selector) => element.querySelector(selector), alerts: createAlerts(element) };
}

/** {update, inspect} with a destroy() that calls each of `stops` and then clears `element`. */
export function widgetFace(element, { update, inspect, stops = [], ...more }) {
  return {
    update,
    ...more,
    destroy() {
      for (const stop of stops) stop();
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
