// Stepping through an animation whose position lives in the widget's state: -1 is "the whole
// output", 0..total-1 the steps. The keyboard commands of keyboard.js map onto it, and a play
// timer advances one step every `intervalMs` until the end. Used by widgets that keep no
// tween of their own (pooling, 1-D convolution).

export function createStepper({ getStep, setStep, total, intervalMs, onPlaying = () => {} }) {
  let timer = 0;

  function stop() {
    clearInterval(timer);
    timer = 0;
    onPlaying(false);
  }

  function play() {
    if (getStep() >= total() - 1) setStep(-1);
    const tick = () => (getStep() >= total() - 1 ? stop() : setStep(getStep() + 1));
    tick();
    timer = setInterval(tick, intervalMs);
    onPlaying(true);
  }

  /** "toggle" | "next" | "prev" | "first" | "last" | "reset" (keyboard.js's commands). */
  function command(cmd) {
    const n = total();
    if (!n) return;
    if (cmd === "toggle") return timer ? stop() : play();
    stop();
    const step = getStep();
    if (cmd === "next") setStep(Math.min(n - 1, step + 1));
    else if (cmd === "prev") setStep(Math.max(-1, step - 1));
    else if (cmd === "first") setStep(0);
    else if (cmd === "last") setStep(n - 1);
    else if (cmd === "reset") setStep(-1);
  }

  return {
    command,
    play,
    stop,
    get playing() {
      return timer !== 0;
    },
  };
}
