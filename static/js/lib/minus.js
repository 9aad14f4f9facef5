// lib/format.js's numbers with EVERY minus a real minus sign: format.js replaces only the first
// "-", so a small negative reads "−3.3e-4" and a small positive "4.1e−4" (issue 12). The
// playground reads its numbers from here; the fix belongs in format.js itself
// (`.replace(/-/g, "\u2212")`), after which this file can go.

import * as format from "./format.js";

const minus = (s) => s.replace(/-/g, "\u2212");

/** format.fmt with every minus sign a real one ("−3.3e−4", "4.1e−4"). */
export const fmt = (v, decimals) => minus(format.fmt(v, decimals));

/** format.fmtCell with every minus sign a real one. */
export const fmtCell = (v, decimals) => minus(format.fmtCell(v, decimals));

export const { parseNumber } = format;
