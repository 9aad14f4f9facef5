// The face every widget returns from mount(): update(state), destroy(), inspect(). destroy()
// stops what the widget started (a stepper's timer, its keys, listeners) and empties its element.

/** {update, inspect} with a destroy() that calls each of `stops` and then clears `element`. */
export function widgetFace(element, { update, inspect, stops = [] }) {
  return {
    update,
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
