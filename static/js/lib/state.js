// The playground's page state: one declarative table, read from and written to the URL
// so every setup is a link an instructor can put in a slide. Unknown keys are ignored;
// a value out of range, of the wrong type, or inconsistent with the rest falls back to
// its default. Bounds named by a string ("size", "kernel", ...) are the server's
// limits, handed to the page by the template, so the browser keeps no ranges of its own.

import { decodeFloats, decodeList, encodeFloats, encodeList } from "./codec.js";

export const INPUT_PRESETS = [
  "x", "o", "digit", "vertical_edge", "horizontal_edge", "checkerboard",
  "seed001", "seed002", "seed003", "photo", "random", "zeros",
];
export const KERNEL_PRESETS = [
  "identity", "box_blur", "gaussian", "sharpen", "sobel_x", "sobel_y", "prewitt_x", "prewitt_y",
  "laplacian", "emboss", "vertical_edge", "horizontal_edge", "diagonal_down", "diagonal_up",
  "cross", "xo_set", "seed002", "random",
];
export const PAD_MODES = ["zeros", "reflect", "replicate"];
export const SPEEDS = [0.25, 0.5, 1, 2, 4];

// key: name in code; url: name in the link; def: default. Arrays ("floats") are written
// only when the user edited them (input "custom", kernel "custom", bias edited).
export const FIELDS = [
  { key: "input", url: "in", type: "enum", options: [...INPUT_PRESETS, "custom"], def: "x" },
  { key: "height", url: "h", type: "int", min: 1, max: "size", def: 7 },
  { key: "width", url: "w", type: "int", min: 1, max: "size", def: 7 },
  { key: "channels", url: "c", type: "int", min: 1, max: "channels", def: 1 },
  { key: "seed", url: "seed", type: "int", min: 0, max: 2 ** 31 - 1, def: 0 },
  { key: "kernelPreset", url: "kp", type: "enum", options: [...KERNEL_PRESETS, "custom"], def: "diagonal_down" },
  { key: "kernel", url: "k", type: "int", min: 1, max: "kernel", def: 3 },
  { key: "filters", url: "f", type: "int", min: 1, max: "filters", def: 1 },
  { key: "stride", url: "s", type: "int", min: 1, max: "stride", def: 1 },
  { key: "padding", url: "p", type: "int", min: 0, max: "padding", def: 0 },
  { key: "dilation", url: "d", type: "int", min: 1, max: "dilation", def: 1 },
  { key: "flip", url: "flip", type: "bool", def: false },
  { key: "padMode", url: "pm", type: "enum", options: PAD_MODES, def: "zeros" },
  { key: "inputValues", url: "x", type: "floats", def: null },
  { key: "kernelValues", url: "kv", type: "floats", def: null },
  { key: "bias", url: "b", type: "list", def: null },
  { key: "filter", url: "sf", type: "int", min: 0, max: "filters", def: 0 },
  { key: "step", url: "t", type: "int", min: -1, max: 2 ** 31 - 1, def: -1 },
  { key: "speed", url: "v", type: "enum", options: SPEEDS.map(String), def: "1" },
];

export function defaults(fields = FIELDS) {
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
      return raw !== "" && Number.isFinite(n) && n >= bound(field.min, limits) && n <= bound(field.max, limits) ? n : undefined;
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
export function readUrl(search, limits, table = PLAYGROUND) {
  const params = new URLSearchParams(search);
  const state = defaults(table.fields);
  for (const field of table.fields) {
    if (!params.has(field.url)) continue;
    const value = parseField(field, params.get(field.url), limits);
    if (value !== undefined) state[field.key] = value;
  }
  return table.consistent(state);
}

/** Drop edited arrays whose length does not match the sizes beside them. */
export function consistent(state) {
  const s = { ...state };
  if (s.input === "custom" && s.inputValues?.length !== s.channels * s.height * s.width) {
    s.input = defaults().input;
  }
  if (s.input !== "custom") s.inputValues = null;
  if (s.kernelPreset === "custom" && s.kernelValues?.length !== s.filters * s.channels * s.kernel * s.kernel) {
    s.kernelPreset = defaults().kernelPreset;
  }
  if (s.kernelPreset !== "custom") s.kernelValues = null;
  if (s.bias && s.bias.length !== s.filters) s.bias = null;
  if (s.filter >= s.filters) s.filter = 0;
  return s;
}

const PLAYGROUND = { fields: FIELDS, consistent };

/** The query string for a state: only what differs from the defaults. */
export function writeQuery(state, table = PLAYGROUND) {
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
export function createStore(limits, search = location.search, table = PLAYGROUND) {
  let state = readUrl(search, limits, table);
  const listeners = new Set();
  let urlTimer = 0;

  function writeUrlNow() {
    clearTimeout(urlTimer);
    urlTimer = 0;
    const query = writeQuery(state, table);
    const url = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
  }

  function writeUrlSoon() {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(writeUrlNow, URL_DELAY_MS);
  }
  addEventListener("pagehide", () => urlTimer && writeUrlNow());

  return {
    get: () => state,
    set(patch) {
      const before = state;
      // Every change passes the same rules as a link does, whoever sent it (a control, a lesson's reveal).
      state = table.consistent({ ...state, ...asTyped(patch, table.fields) });
      writeUrlSoon();
      for (const fn of listeners) fn(state, before);
    },
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** Write the URL now (tests and "copy link" read it straight after a change). */
    flush: writeUrlNow,
  };
}
