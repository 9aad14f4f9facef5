// Keyboard first (DESIGN.md): space plays and pauses; arrows and PageUp/PageDown (what
// presentation clickers send) step; Home/End jump; Escape shows the whole output.
// Keys typed into a text field, a select, a focused slider or a radio group keep their
// usual meaning, so typing a kernel value or nudging a slider with arrows still works.

const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown"]);
const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);

function ownsKeys(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return target.matches('input:not([type="checkbox"]):not([type="button"]):not([type="file"]), textarea, select');
}

// Every widget that listens for keys, in mount order. A key pressed inside a widget goes to
// that widget; a key pressed elsewhere (a clicker's key with nothing focused) goes to the
// widget used last, so one press never steps two widgets on a page (a lesson, /layers).
const bound = [];
let lastUsed = null;

function owner(target) {
  const inside = bound.find((b) => target instanceof Node && b.scope.contains(target));
  return inside ?? lastUsed ?? bound[0];
}

document.addEventListener(
  "pointerdown",
  (e) => {
    lastUsed = bound.find((b) => b.scope.contains(e.target)) ?? lastUsed;
  },
  true,
);
document.addEventListener("focusin", (e) => {
  lastUsed = bound.find((b) => b.scope.contains(e.target)) ?? lastUsed;
});

/**
 * After a mouse or touch use of a slider, toggle, button or select inside `scope`, give the
 * keys back to `home` (the stage), so a presenter's clicker steps the animation instead of
 * nudging the last control touched. Keyboard users keep their focus where they put it.
 */
function giveKeysBackAfterPointer(scope, home) {
  let pointer = false;
  const giveBack = () => setTimeout(() => home.focus({ preventScroll: true }), 0);
  const mine = (e) => e.target instanceof Element && scope.contains(e.target);
  const onPointerDown = () => (pointer = true);
  const onKeyDown = () => (pointer = false);
  const onPointerUp = (e) => {
    if (mine(e) && e.target.matches('input[type="range"], input[type="checkbox"], input[type="radio"]')) giveBack();
  };
  const onClick = (e) => {
    if (e.detail > 0 && mine(e) && e.target.closest("button")) giveBack();
  };
  const onChange = (e) => {
    if (pointer && mine(e) && e.target.matches("select")) giveBack();
  };
  const listeners = [
    ["pointerdown", onPointerDown, true],
    ["keydown", onKeyDown, true],
    ["pointerup", onPointerUp, false],
    ["click", onClick, false],
    ["change", onChange, false],
  ];
  for (const [type, fn, capture] of listeners) document.addEventListener(type, fn, capture);
  return () => listeners.forEach(([type, fn, capture]) => document.removeEventListener(type, fn, capture));
}

/**
 * Call `onCommand("toggle" | "next" | "prev" | "first" | "last" | "reset")` for the keys this
 * widget owns: those pressed inside `scope` (default: the whole page), or anywhere when it was
 * the widget used last. Returns an unbind function.
 */
export function bindKeys(onCommand, home, scope = document.body) {
  const entry = { scope };
  bound.push(entry);
  const stopGiving = giveKeysBackAfterPointer(scope, home);
  function handle(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (ownsKeys(target) || owner(target) !== entry) return;
    const isButton = target instanceof Element && target.matches("button, a, summary, label, input");
    let command = null;
    if (event.key === " " || event.key === "Spacebar") {
      if (isButton) return; // space presses the focused button, as everywhere else
      command = "toggle";
    } else if (NEXT.has(event.key)) command = "next";
    else if (PREV.has(event.key)) command = "prev";
    else if (event.key === "Home") command = "first";
    else if (event.key === "End") command = "last";
    else if (event.key === "Escape") command = "reset";
    if (!command) return;
    event.preventDefault(); // no page scroll under the presenter
    onCommand(command);
  }
  document.addEventListener("keydown", handle);
  return () => {
    document.removeEventListener("keydown", handle);
    stopGiving();
    bound.splice(bound.indexOf(entry), 1);
    if (lastUsed === entry) lastUsed = null;
  };
}
