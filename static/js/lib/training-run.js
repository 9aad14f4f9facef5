// A page's training job as its widgets see it (PROTOCOL.md, "Training"): X vs O's `train.*`
// and the digits' `digits.*` messages work alike, so one run serves both (`prefix`). It starts
// runs, sends the in-order controls, keeps the run's ready frame and the newest snapshot, and
// hands snapshots to the widgets once per animation frame: the newest only, so a burst of
// frames never queues drawing work. Snapshots of an older run, or older than one already shown,
// are dropped (a pushed frame can arrive after a newer answer). It computes nothing: every
// number comes from the server's frames.
//
// The run is a function of its config and of the requests that followed (PROTOCOL.md), so the
// page keeps a journal of them in sessionStorage (run-journal.js): a reload, or a server that
// restarted, brings the run back by replaying it (resume), to the same step and the same play
// or pause. X vs O replays it request by request; the digits ask the server to replay it in
// one start (`replayOnServer`: LeNet-5's batches are too many to send one stretch at a time).

import { field } from "./schema.js";
import { createJournal } from "./run-journal.js";

// The server keeps one training job per page (per connection), so every widget on a page
// shares one run: keyed by the connection's `on`, which each widget's lane-scoped socket shares.
const shared = new WeakMap();

/** The page's run for this socket (made by `make(socket)` on first use): a lesson's widgets share it. */
export function sharedRun(socket, make) {
  if (!shared.has(socket.on)) shared.set(socket.on, make(socket));
  return shared.get(socket.on);
}

/** The most batches one `<prefix>.step` may ask for, from the server's schema. */
function stepMost(schemas, prefix) {
  try {
    return field(schemas, `${prefix}.step`, "batches").maximum ?? 1;
  } catch {
    return 1; // no schema (a test's bare socket): one batch a request is always allowed
  }
}

/**
 * The run of `prefix`'s messages: `<prefix>.start` answered by a ready frame, `.play`, `.pause`,
 * `.step`, `.set`, `.reset` by snapshots, `<prefix>.snapshot` pushed, and `<prefix>.classify`
 * taking its drawing as `classifyField`. `schemas` (the server's) give the batches one step may
 * ask for; with `replayOnServer`, `<prefix>.start` takes `resume: {step, changes}`.
 */
export function createTrainingRun(socket, { prefix, classifyField, schemas = {}, replayOnServer = false }) {
  let ready = null; // the current run's ready frame (<prefix>.ready)
  let run = 0; // the newest run the page knows (the ready frame or a reset's answer)
  let seq = 0; // the newest snapshot's seq within that run
  let latest = null; // the newest snapshot accepted
  let shown = null; // the snapshot the widgets last drew
  let frame = 0;
  let startedKey = null; // what the current run was started with (see ensure)
  let starting = null; // the <prefix>.start in flight, if any
  const listeners = new Set();
  const journal = createJournal(`convscope:${prefix}-run:${location.pathname}`, prefix);
  const most = stepMost(schemas, prefix);
  let replaying = null; // the journal entry being replayed, while its requests are on their way
  // received: snapshots that arrived; stale: of those, older than one already held; drawn: frames
  // handed to the widgets; lagMs / maxLagMs: arrival of the newest snapshot to its frame.
  // drawMs: time spent drawing, all frames together.
  const counters = { received: 0, stale: 0, drawn: 0, drawnSeq: 0, lagMs: 0, maxLagMs: 0, drawMs: 0 };
  let latestAt = 0;

  // Pushed snapshots (id null) come here; answers to controls go through accept() as well.
  socket.on(`${prefix}.snapshot`, (frame_) => accept(frame_));
  // The server ends a page's job with its connection: on a new one the run is lost, and the
  // widgets' next update starts it again (replayed from the journal) on every page alike.
  let startedOn = 0; // the connection (socket.opened) the run was started on
  socket.watch((kind) => kind === "open" && startedKey !== null && socket.opened !== startedOn && lost());

  function accept(snapshot) {
    counters.received += 1;
    const m = snapshot.meta;
    if (m.run < run || (m.run === run && m.seq <= seq)) {
      counters.stale += 1;
      return;
    }
    run = m.run;
    seq = m.seq;
    latest = snapshot;
    latestAt = performance.now();
    if (!replaying) journal.saw(m);
    schedule();
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    if (latest === shown) return;
    shown = latest;
    counters.drawn += 1;
    const t0 = performance.now();
    for (const fn of listeners) fn({ ready, snapshot: latest });
    counters.drawMs += performance.now() - t0;
    if (latest) {
      counters.drawnSeq = latest.meta.seq;
      counters.lagMs = performance.now() - latestAt; // includes the widgets' drawing
      counters.maxLagMs = Math.max(counters.maxLagMs, counters.lagMs);
    }
  }

  /** A new run with this config; resolves with its ready frame. */
  async function start(config, key = JSON.stringify(config)) {
    replaying = null; // a new run replaces one being brought back
    const answer = await begin(config, key);
    if (startedKey === key && !replaying) journal.started(config, key);
    return answer;
  }

  async function begin(config, key, resume = null) {
    const previous = startedKey;
    startedKey = key;
    startedOn = socket.opened;
    const request = socket.request(`${prefix}.start`, resume ? { config, resume } : { config });
    starting = request;
    try {
      const answer = await request;
      if (starting !== request) return answer; // a newer start is on its way
      ready = answer;
      run = answer.meta.run;
      seq = 0;
      latest = null;
      shown = null;
      for (const fn of listeners) fn({ ready, snapshot: null });
      return answer;
    } catch (error) {
      if (starting === request) startedKey = previous; // refused: the server's job is the one it had
      throw error;
    } finally {
      if (starting === request) starting = null;
    }
  }

  /**
   * Start a run unless the current one was started with the same key. A run of this key that
   * the journal holds (the page was reloaded, or the server restarted) is brought back instead.
   */
  function ensure(config, key = JSON.stringify(config)) {
    if (key === startedKey) return null;
    const saved = journal.read();
    return saved?.key === key ? resume(saved) : start(config, key);
  }

  /**
   * The journal's run again: `<prefix>.start` with its config, then one `.step` for each stretch
   * between two live changes (at most `most` batches a request, PROTOCOL.md), each change where
   * it came (or, `replayOnServer`, all of it in the start), and `.play` if it was playing.
   * Resolves with the ready frame once the run is back.
   */
  async function resume(saved) {
    replaying = saved;
    const mine = () => replaying === saved; // false once a newer start took over
    try {
      const onServer = replayOnServer && saved.step > 0 ? { step: saved.step, changes: saved.changes } : null;
      const answer = await begin(saved.config, saved.key, onServer);
      if (!onServer) await replay(saved, mine);
      if (mine() && saved.playing) await command(`${prefix}.play`);
      if (mine()) journal.restore(saved);
      return answer;
    } catch (error) {
      if (mine() && !error.quiet) journal.clear(); // a journal the server refuses is not replayed again
      throw error;
    } finally {
      if (mine()) replaying = null;
    }
  }

  /** The journal's steps and live changes, request by request, on a run begun from its config. */
  async function replay(saved, mine) {
    let step = 0;
    for (const stop of [...saved.changes, { at: saved.step }]) {
      while (mine() && step < stop.at) {
        const batches = Math.min(most, stop.at - step);
        await command(`${prefix}.step`, { batches });
        step += batches;
      }
      if (mine() && stop.set) await command(`${prefix}.set`, stop.set);
    }
  }

  /**
   * The journal's run filmed from its start, for an animated GIF: {to(step), end()}, or null with
   * nothing trained. to(step) (ascending steps) brings a replay of the run from its seed (its
   * config, each live change where it came) to `step`, the way resume() does in one go; end()
   * takes it to the step it had reached, paused, so the run is the one it was, bit for bit.
   */
  function film() {
    const saved = journal.read();
    if (!saved?.step || startedKey !== saved.key) return null;
    replaying = saved; // the journal keeps the run as it is while the replay passes through it
    const mine = () => replaying === saved;
    const changes = [...saved.changes];
    let step = -1;
    async function to(target) {
      try {
        await stepTo(target);
      } catch (error) {
        if (mine()) replaying = null; // the run stays where the replay stopped; the journal still holds it
        throw error;
      }
    }
    async function stepTo(target) {
      if (!mine()) throw new Error("the run was changed while its film was drawn");
      if (step < 0) {
        await begin(saved.config, saved.key);
        step = 0;
      }
      for (;;) {
        while (changes.length && changes[0].at <= step) await command(`${prefix}.set`, changes.shift().set);
        if (step >= target || !mine()) return;
        const next = Math.min(target, changes[0]?.at ?? target, step + most);
        await command(`${prefix}.step`, { batches: next - step });
        step = next;
      }
    }
    return {
      steps: saved.step,
      to,
      async end() {
        try {
          if (mine()) await to(saved.step);
          if (mine()) journal.restore({ ...saved, playing: false });
        } finally {
          if (mine()) replaying = null;
        }
      },
    };
  }

  /** An in-order control (`<prefix>.play`, .pause, .step, .reset, .set); its answer is a snapshot. */
  async function command(type, params = {}) {
    try {
      const answer = await socket.request(type, params);
      accept(answer);
      if (!replaying) journal.did(type, params, answer.meta);
      return answer;
    } catch (error) {
      // No job on the server (the connection was new): the next ensure() starts the run again.
      if (error.code === "invalid" && error.field === "type" && error.message.includes(`${prefix}.start`)) lost();
      throw error;
    }
  }

  function lost() {
    startedKey = null;
    starting = null;
    replaying = null;
    run = 0; // a new connection's job counts its runs from 1 again
    seq = 0;
  }

  return {
    start,
    ensure,
    command,
    /** A drawing through the network(s) (a newer drawing replaces a waiting one). */
    classify: (drawing) => socket.request(`${prefix}.classify`, { [classifyField]: drawing }),
    /** fn({ready, snapshot}) once per animation frame with news; returns an unsubscribe. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The connection dropped: the server ended the job with it, so the next ensure() starts anew. */
    lost,
    film,
    get ready() {
      return ready;
    },
    get latest() {
      return latest;
    },
    get run() {
      return run;
    },
    get startedKey() {
      return startedKey;
    },
    /** The run being brought back (a replay in progress): {step, playing, …}, or null. */
    get replaying() {
      return replaying;
    },
    /** What the journal holds: the run to bring back after a reload or a restart, or null. */
    get saved() {
      return journal.read();
    },
    counters,
  };
}
