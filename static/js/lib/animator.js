// Timing of the sliding-filter animation, with no DOM of its own: which step is shown,
// how far its tween has run (0..1), playing or paused, and how fast. A step forward
// tweens (the window slides, the terms add up, the sum lands in the output cell);
// jumps and steps back do not. With prefers-reduced-motion nothing tweens.

const TWEEN_MS = 600; // one step forward at 1×
const HOLD_MS = 450; // pause on a finished step while playing at 1×

export function createAnimator({ prepare, onFrame, reducedMotion, speed: initialSpeed = 1 }) {
  let step = -1; // -1: the whole output, no window
  let from = -1; // the step the window slides from
  let total = 0;
  let playing = false;
  let speed = initialSpeed;
  let progress = 1;
  let frame = 0;
  let timer = 0;
  let token = 0;

  const emit = () => onFrame({ step, from, progress, playing, speed, total });

  function stopTimers() {
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = 0;
    timer = 0;
  }

  function go(target, { tween = false } = {}) {
    if (!total) return;
    target = Math.max(0, Math.min(total - 1, target));
    stopTimers();
    const mine = ++token;
    const previous = step;
    prepare(target).then(() => {
      if (mine !== token) return; // a later command won
      from = previous;
      step = target;
      if (!tween || reducedMotion()) {
        progress = 1;
        emit();
        afterStep();
        return;
      }
      const start = performance.now();
      const duration = TWEEN_MS / speed;
      const tick = (now) => {
        progress = Math.min(1, (now - start) / duration);
        emit();
        if (progress < 1) frame = requestAnimationFrame(tick);
        else afterStep();
      };
      progress = 0;
      frame = requestAnimationFrame(tick);
    });
  }

  function afterStep() {
    if (!playing) return;
    if (step >= total - 1) {
      playing = false;
      emit();
      return;
    }
    timer = setTimeout(() => go(step + 1, { tween: true }), HOLD_MS / speed);
  }

  const commands = {
    next: () => go(step < 0 ? 0 : step + 1, { tween: step < total - 1 }),
    prev: () => go(step < 0 ? total - 1 : step - 1),
    first: () => go(0),
    last: () => go(total - 1),
    seek: (i) => go(i),
    toggle: () => (playing ? commands.pause() : commands.play()),
    play() {
      playing = true;
      if (step < 0 || step >= total - 1) go(0);
      else go(step + 1, { tween: true });
      emit();
    },
    pause() {
      playing = false;
      stopTimers();
      progress = 1;
      emit();
    },
    reset() {
      playing = false;
      stopTimers();
      token++;
      step = -1;
      from = -1;
      progress = 1;
      emit();
    },
    speed(value) {
      speed = Number(value) || 1;
      emit();
    },
  };

  return {
    command(name, arg) {
      // A person stepping by hand stops the playback first.
      if (playing && ["next", "prev", "first", "last", "seek"].includes(name)) {
        playing = false;
        stopTimers();
      }
      commands[name]?.(arg);
    },
    /** A new run: keep the step if it still exists, redraw it at once. */
    setTotal(n, { restore = null } = {}) {
      total = n;
      const wanted = restore ?? step;
      if (wanted < 0 || !n) {
        if (step >= 0) commands.reset();
        else emit();
        return;
      }
      const keep = playing;
      go(Math.min(wanted, n - 1));
      playing = keep;
    },
    get state() {
      return { step, from, progress, playing, speed, total };
    },
  };
}
