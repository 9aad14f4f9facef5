// The training as an animated GIF (export.js): the curves and the filters as they learn. The
// run on screen is replayed from its seed (xo/run.js film()), the widget drawn at evenly spread
// steps from the first batch to the step on screen, and left there, paused: the same run, bit
// for bit, as before the GIF. The numbers in every frame are the server's, as on screen.

export const FILM_MAX_FRAMES = 30; // a GIF a slide can hold (and drawn in well under a minute)

/** The steps a film of `trained` batches stops at: 1..trained, or FILM_MAX_FRAMES evenly spread. */
export function filmSteps(trained) {
  const n = Math.min(trained, FILM_MAX_FRAMES);
  return Array.from({ length: n }, (_, k) => Math.round(((k + 1) * trained) / n));
}

/**
 * The `animation` export.js asks for: {steps(), step(), show(i)}.
 * run: the page's run (xo/run.js); pause(): Promise, the run paused; drawn(step): Promise, the
 * widget has drawn the snapshot of that step.
 */
export function filmAnimation({ run, pause, drawn }) {
  let film = null;
  let stops = [];
  return {
    label: "Animated GIF of the training so far",
    steps() {
      const trained = run.latest?.meta.step ?? 0;
      if (!trained) throw new Error("train a few batches first: the GIF shows the run from its start to here");
      return filmSteps(trained).length;
    },
    step: () => null, // the GIF ends at the step it began from: nothing to go back to
    async show(i) {
      if (i === 0) {
        await pause();
        film = run.film();
        if (!film) throw new Error("the run could not be replayed (this tab kept no record of it)");
        stops = filmSteps(film.steps);
      }
      await film.to(stops[i]);
      await drawn(stops[i]);
      if (i === stops.length - 1) await film.end();
    },
  };
}
