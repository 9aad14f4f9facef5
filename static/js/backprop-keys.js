// Keys for the backprop widget, with keyboard.js's meaning (space plays and pauses; arrows
// and PageUp/PageDown, what presentation clickers send, step; Home/End jump; Escape shows
// the whole map), but heard only inside the widget. keyboard.js listens on the whole
// document for the widget that bound it first (the pooling widget on /layers); a key
// handled here is marked handled (preventDefault) before it reaches the document, so one
// press never steps two widgets.

const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown"]);
const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);
const FIELD = 'input:not([type="checkbox"]):not([type="button"]):not([type="file"]), textarea, select';

function commandFor(event) {
  const target = event.target;
  if (!(target instanceof Element) || target.isContentEditable || target.matches(FIELD)) return null; // typing keeps its keys
  if (event.key === " " || event.key === "Spacebar") return target.matches("button, a, summary, label") ? null : "toggle";
  if (NEXT.has(event.key)) return "next";
  if (PREV.has(event.key)) return "prev";
  return { Home: "first", End: "last", Escape: "reset" }[event.key] ?? null;
}

/**
 * Step on keys pressed inside `element`; after a mouse click on one of its buttons or a drag
 * of its scrubber, focus goes back to `home` (the stage), so the clicker keeps stepping.
 * Returns an unbind function.
 */
export function bindWidgetKeys(element, home, onCommand) {
  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const command = commandFor(event);
    if (!command) return;
    event.preventDefault(); // no page scroll under the presenter, and no second widget stepping
    onCommand(command);
  }
  // keyboard.js gives focus to its own stage after any click on the page, from a timeout;
  // ours is queued one turn later, so the stage of the widget clicked wins.
  const giveBack = () => setTimeout(() => setTimeout(() => home.focus({ preventScroll: true }), 0), 0);
  function onClick(event) {
    if (event.detail > 0 && element.contains(event.target) && event.target.closest("button")) giveBack();
  }
  function onPointerUp(event) {
    if (element.contains(event.target) && event.target.matches('input[type="range"]')) giveBack();
  }
  element.addEventListener("keydown", onKey);
  document.addEventListener("click", onClick);
  document.addEventListener("pointerup", onPointerUp);
  return () => {
    element.removeEventListener("keydown", onKey);
    document.removeEventListener("click", onClick);
    document.removeEventListener("pointerup", onPointerUp);
  };
}
