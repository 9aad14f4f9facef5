// The page's X-vs-O training job as the widgets see it (PROTOCOL.md, "Training (X vs O)").
// It starts runs, sends the in-order controls, keeps the run's train.ready and the newest
// snapshot, and hands snapshots to the widgets once per animation frame: the newest only,
// so a burst of frames never queues drawing work. Snapshots of an older run, or older than
// one already shown, are dropped (a pushed frame can arrive after a newer answer).
// It computes nothing: every number comes from the server's frames.

export function createRun(socket) {
  let ready = null; // the current run's train.ready frame
  let run = 0; // the newest run the page knows (train.ready or a reset's answer)
  let seq = 0; // the newest snapshot's seq within that run
  let latest = null; // the newest snapshot accepted
  let shown = null; // the snapshot the widgets last drew
  let frame = 0;
  let startedKey = null; // what the current run was started with (see ensure)
  let starting = null; // the train.start in flight, if any
  const listeners = new Set();
  const counters = { received: 0, stale: 0, drawn: 0 };

  // Pushed snapshots (id null) come here; answers to controls go through accept() as well.
  socket.on("train.snapshot", (frame_) => accept(frame_));

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
    for (const fn of listeners) fn({ ready, snapshot: latest });
  }

  /** A new run with this config; resolves with train.ready. */
  async function start(config, key = JSON.stringify(config)) {
    const previous = startedKey;
    startedKey = key;
    const request = socket.request("train.start", { config });
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

  /** Start a run unless the current one was started with the same key. */
  function ensure(config, key = JSON.stringify(config)) {
    return key === startedKey ? null : start(config, key);
  }

  /** An in-order control (train.play, .pause, .step, .reset, .set); its answer is a snapshot. */
  async function command(type, params = {}) {
    const answer = await socket.request(type, params);
    accept(answer);
    return answer;
  }

  return {
    start,
    ensure,
    command,
    /** Every map of a drawn grid through both networks (a newer drawing replaces a waiting one). */
    classify: (grid) => socket.request("train.classify", { grid }),
    /** fn({ready, snapshot}) once per animation frame with news; returns an unsubscribe. */
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** The connection dropped: the server ended the job with it, so the next ensure() starts anew. */
    lost() {
      startedKey = null;
      starting = null;
    },
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
    counters,
  };
}
