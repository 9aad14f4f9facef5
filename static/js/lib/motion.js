// Motion a person can stop (WCAG 2.2.2) and motion a person asked not to see (prefers-reduced-motion).
//
// Contract for widgets (also in lib/presenter.js's header):
// - reducedMotion() is true while the reader asks for less motion (the OS setting, or an emulation
//   in a test); read it each time a tween would start, or follow changes with onReducedMotion(fn).
// - pauseAll() (the "Pause motion" button, key K) dispatches `convscope:pause` on `document`.
//   Every widget that plays, trains or loops for more than 5 s stops on it: onPause(fn) listens.
//   Widgets bound with keyboard.js's bindKeys() are also sent the command "pause" by keyboard.js,
//   so a widget whose command() stops on "pause" (the animator, the stepper) needs nothing else.
// - CSS animations and transitions stop by themselves under reduced motion and while
//   <html data-motion="paused"> (presenter.css): pauseAll() sets it, resumeAll() (the same button
//   or key again) clears it. Widgets' own loops do not restart by themselves: the reader presses play.

const query = matchMedia("(prefers-reduced-motion: reduce)");

/** True while the reader asks for less motion. */
export function reducedMotion() {
  return query.matches;
}

/** Call fn(reduced) whenever the preference changes; returns a stop function. */
export function onReducedMotion(fn) {
  const listener = () => fn(query.matches);
  query.addEventListener("change", listener);
  return () => query.removeEventListener("change", listener);
}

export const PAUSE_EVENT = "convscope:pause";

/** True between pauseAll() and resumeAll(): a widget should not start playing on its own. */
export function motionPaused() {
  return document.documentElement.dataset.motion === "paused";
}

/** Stop everything that moves on the page: widgets listening, and CSS animations until resumeAll(). */
export function pauseAll(reason = "user") {
  document.documentElement.dataset.motion = "paused";
  document.dispatchEvent(new CustomEvent(PAUSE_EVENT, { detail: { reason } }));
}

/** CSS animations may run again (widgets stay paused until their play is pressed). */
export function resumeAll() {
  delete document.documentElement.dataset.motion;
}

/** Call fn(detail) when the page asks everything to stop moving; returns a stop function. */
export function onPause(fn) {
  const listener = (e) => fn(e.detail ?? {});
  document.addEventListener(PAUSE_EVENT, listener);
  return () => document.removeEventListener(PAUSE_EVENT, listener);
}
