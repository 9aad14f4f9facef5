// A page's state: one declarative table of fields (each widget declares its own), read
// from and written to the URL so every setup is a link an instructor can put in a slide.
// Unknown keys are ignored; a value out of range, of the wrong type, or inconsistent with
// the rest falls back to its default. Bounds named by a string ("size", "kernel", ...) are
// the server's limits, handed to the page by the template, so the browser keeps no ranges
// of its own. A table is {fields, consistent(state)}.

import { decodeFloats, decodeList, encodeFloats, encodeList } from "./codec.js";

export function defaults(fields) {
  return Object.fromEntries(fields.map((f) => [f.key, f.def]));
}

function bound(value, limits) {
  return typeof value === "string" ? limits[value] : value;
}

function parseField(field, raw, limits) {
  switch (field.type) {
    case "int": {
      if (!/^-?\d+$/.test(raw)) return undefined;
      const n = Number(raw);
      return n >= bound(field.min, limits) && n <= bound(field.max, limits) ? n : undefined;
    }
    case "num": {
      const n = Number(raw);
      return raw !== "" && Number.isFinite(n) && n >= bound(field.min, limits) && n <= bound(field.max, limits)
        ? n
        : undefined;
    }
    case "bool":
      return raw === "1" || raw === "true" ? true : raw === "0" || raw === "false" ? false : undefined;
    case "enum":
      return field.options.includes(raw) ? raw : undefined;
    case "floats": {
      const values = decodeFloats(raw);
      return values && values.length && values.every(Number.isFinite) ? values : undefined;
    }
    case "list":
      return decodeList(raw) ?? undefined;
    default:
      return undefined;
  }
}

/** State from a query string; anything unknown, out of range or inconsistent is the default. */
// `table` lets another page (e.g. /layers) keep its own fields and consistency rule.
export function readUrl(search, limits, table) {
  const params = new URLSearchParams(search);
  const state = defaults(table.fields);
  for (const field of table.fields) {
    if (!params.has(field.url)) continue;
    const value = parseField(field, params.get(field.url), limits);
    if (value !== undefined) state[field.key] = value;
  }
  return table.consistent(state);
}

/** The query string for a state: only what differs from the defaults. */
export function writeQuery(state, table) {
  const params = new URLSearchParams();
  const base = defaults(table.fields);
  for (const field of table.fields) {
    const value = state[field.key];
    if (value === base[field.key] || value == null) continue;
    if (field.type === "floats") params.set(field.url, encodeFloats(value));
    else if (field.type === "list") params.set(field.url, encodeList(value));
    else if (field.type === "bool") params.set(field.url, value ? "1" : "0");
    else params.set(field.url, String(value));
  }
  return params.toString();
}

// Keys the page's shell owns beside the widgets' state (presenter mode and theme, lib/presenter.js):
// a rewrite of the URL keeps them (after the state's keys).
const shellKeys = new Set();

/** Keep `keys` in the URL when the store rewrites it (they are never read into the state). */
export function keepInUrl(...keys) {
  for (const key of keys) shellKeys.add(key);
}

function withShellKeys(query) {
  const current = new URLSearchParams(location.search);
  const params = new URLSearchParams(query);
  for (const key of shellKeys) {
    params.delete(key);
    if (current.has(key)) params.set(key, current.get(key));
  }
  return params.toString();
}

// history.replaceState is a (same-document) navigation: a few milliseconds of work in the
// page and the browser process each time. While a slider is dragged the URL is written
// once the hand rests, not on every step; a pending write is flushed before the page goes.
const URL_DELAY_MS = 250;

/** A patch with "floats" fields given as plain lists (a lesson's reveal) turned into Float32Arrays. */
export function asTyped(patch, fields) {
  const out = { ...patch };
  for (const f of fields) {
    if (f.type === "floats" && Array.isArray(out[f.key])) out[f.key] = Float32Array.from(out[f.key]);
  }
  return out;
}

/**
 * The page's store: get(), set(patch) and subscribe(fn). The URL follows every change
 * (written URL_DELAY_MS after the last one; flush() writes it at once).
 */
export function createStore(limits, search, table) {
  let urlTimer = 0;

  function writeUrlNow() {
    clearTimeout(urlTimer);
    urlTimer = 0;
    const query = withShellKeys(writeQuery(store.get(), table));
    const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
  }

  function writeUrlSoon() {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(writeUrlNow, URL_DELAY_MS);
  }
  addEventListener("pagehide", () => urlTimer && writeUrlNow());

  const store = memoryStore(readUrl(search, limits, table), table);
  store.subscribe(writeUrlSoon);
  /** Write the URL now (tests and "copy link" read it straight after a change). */
  return { ...store, flush: writeUrlNow };
}

/**
 * A store kept in memory only: get(), set(patch), subscribe(fn) -> unsubscribe. Every change
 * passes the same rules as a link does, whoever sent it (a control, a lesson's reveal).
 */
export function memoryStore(initial, table) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      const before = state;
      state = table.consistent({ ...state, ...asTyped(patch, table.fields) });
      for (const fn of listeners) fn(state, before);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
}
