// Element ids unique per mount, so a page (a lesson) can hold two of the same widget.
// The first mount of a kind keeps the plain ids that links, labels and tests name; the
// second gets "-2" after each, and so on.

const mounts = new Map(); // kind -> how many have been mounted

/** A function giving this mount's id for a part: ids("pool")("stride") -> "stride", then "stride-2". */
export function idScope(kind) {
  const n = (mounts.get(kind) ?? 0) + 1;
  mounts.set(kind, n);
  const suffix = n === 1 ? "" : `-${n}`;
  return (part) => `${part}${suffix}`;
}
