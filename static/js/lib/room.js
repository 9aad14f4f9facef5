// The room a widget has: grids are sized from the width their box really has (a projector's
// row, a lesson's column, a phone), and drawn again when it changes (a window resized, turned
// sideways, presenter mode folding the panels away). The widget's element is a CSS size
// container (layers.css), so its width never depends on what the widget draws: no loop.

/** Content width (px) of `element`, less its padding; `fallback` while it is not laid out. */
export function roomWidth(element, fallback = 600) {
  if (!element) return fallback;
  const style = getComputedStyle(element);
  const width = element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return width > 0 ? width : fallback;
}

/** Height (px) a grid may take and still leave `below` px of the window for what follows it. */
export function roomHeight(below = 300, min = 240) {
  return Math.max(min, window.innerHeight - below);
}

/** Call `fn` (once a frame) whenever `element`'s width changes; returns the stop. */
export function onWidthChange(element, fn) {
  let width = element.clientWidth;
  let frame = 0;
  const observer = new ResizeObserver(() => {
    if (element.clientWidth === width) return;
    width = element.clientWidth;
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => fn(width));
  });
  observer.observe(element);
  return () => {
    observer.disconnect();
    cancelAnimationFrame(frame);
  };
}

/** Presenter mode's scale (presenter.js sets --scale on the root: 1 on a page, up to 1.6 on a projector). */
export function presenterScale() {
  return parseFloat(getComputedStyle(document.documentElement).getPropertyValue("--scale")) || 1;
}

/**
 * A grid's largest cell (px): `base` on a page; grown by presenter mode's scale, so on a projector
 * the grid the class looks at fills the stage the folded panels left, instead of a third of it.
 */
export function maxCell(base) {
  return Math.round(base * presenterScale());
}
