// Inline SVG icons: no icon font, no emoji font needed on a lecture-hall laptop.

/** A 24×24 icon of one filled path, hidden from screen readers (its button carries the name). */
export const icon = (d) =>
  `<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="${d}" ` +
  `fill="currentColor"/></svg>`;

export const ICONS = {
  first: icon("M5 4h3v16H5zM20 4v16L9 12z"),
  prev: icon("M18 4v16L6 12z"),
  play: icon("M7 4v16l13-8z"),
  pause: icon("M6 4h4v16H6zM14 4h4v16h-4z"),
  next: icon("M6 4v16l12-8z"),
  last: icon("M16 4h3v16h-3zM4 4v16l11-8z"),
};
