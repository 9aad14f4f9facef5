// A training run's journal, kept in sessionStorage (one per tab and page, so a reload keeps it
// and another tab has its own): the config the run started with, each live change of the
// learning rate, momentum or batch size with the step it came before, the steps trained and
// whether it was playing. The server's run is a function of exactly these (PROTOCOL.md,
// "Training"), so replaying them brings back the same numbers. Speed and the example shown do
// not change the weights; the page's URL holds them. Shared by X vs O (`train.*`) and the
// digits (`digits.*`): `prefix` names the messages.

const VERSION = 1;
const HYPER = ["lr", "momentum", "batch"];

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const isStep = (v) => Number.isInteger(v) && v >= 0;

/** An entry as written by this version, or null (hand-edited, older, or cut short). */
function checked(entry) {
  const ok =
    isObject(entry) &&
    entry.v === VERSION &&
    typeof entry.key === "string" &&
    isObject(entry.config) &&
    isStep(entry.step) &&
    typeof entry.playing === "boolean" &&
    Array.isArray(entry.changes) &&
    entry.changes.every((c, i, all) => isStep(c?.at) && c.at <= entry.step && (!i || all[i - 1].at <= c.at));
  return ok && entry.changes.every((c) => isObject(c.set)) ? entry : null;
}

export function createJournal(storageKey, prefix) {
  let entry = null; // the run on screen, once it started or was brought back

  function save() {
    try {
      if (entry) sessionStorage.setItem(storageKey, JSON.stringify(entry));
      else sessionStorage.removeItem(storageKey);
    } catch {
      // storage full or switched off: the page works, it only forgets the run on a reload
    }
  }

  return {
    /** The saved run, or null. */
    read() {
      try {
        return checked(JSON.parse(sessionStorage.getItem(storageKey)));
      } catch {
        return null;
      }
    },
    /** A new run started with `config` (its identity `key`): nothing trained yet, paused. */
    started(config, key) {
      entry = { v: VERSION, key, config, changes: [], step: 0, playing: false };
      save();
    },
    /** A snapshot of this run: how far it got and whether it plays. */
    saw(meta) {
      if (!entry || (entry.step === meta.step && entry.playing === meta.playing)) return;
      entry.step = meta.step;
      entry.playing = meta.playing;
      save();
    },
    /** A control the server answered (meta: its snapshot's): live changes and resets are kept. */
    did(type, params, meta) {
      if (!entry) return;
      if (type === `${prefix}.set`) {
        const set = Object.fromEntries(HYPER.filter((k) => params[k] != null).map((k) => [k, params[k]]));
        if (!Object.keys(set).length) return;
        const last = entry.changes.at(-1);
        if (last?.at === meta.step) Object.assign(last.set, set);
        else entry.changes.push({ at: meta.step, set });
      } else if (type === `${prefix}.reset`) {
        // The server starts the run again with the settings in use: the config with the live changes.
        entry.config = { ...entry.config, ...Object.fromEntries(HYPER.map((k) => [k, meta[k]])) };
        entry.changes = [];
      } else return;
      save();
    },
    /** The saved run was brought back: it goes on from there. */
    restore(saved) {
      entry = structuredClone(saved);
      save();
    },
    /** Forget the run (the server refused to bring it back). */
    clear() {
      entry = null;
      save();
    },
  };
}
