// Keyboard first (DESIGN.md): space plays and pauses; arrows and PageUp/PageDown (what
// presentation clickers send) step; Home/End jump; Escape shows the whole output.
// Keys typed into a text field, a select, a focused slider or a radio group keep their
// usual meaning, so typing a kernel value or nudging a slider with arrows still works.

const NEXT = new Set(["ArrowRight", "ArrowDown", "PageDown"]);
const PREV = new Set(["ArrowLeft", "ArrowUp", "PageUp"]);

function ownsKeys(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return target.matches(
    'input:not([type="checkbox"]):not([type="button"]):not([type="file"]), textarea, select',
  );
}

/**
 * After a mouse or touch use of a slider, toggle, button or select, give the keys back to
 * `home` (the stage), so a presenter's clicker steps the animation instead of nudging
 * the last control touched. Keyboard users keep their focus where they put it.
 */
function giveKeysBackAfterPointer(home) {
  let pointer = false;
  const giveBack = () => setTimeout(() => home.focus({ preventScroll: true }), 0);
  document.addEventListener("pointerdown", () => (pointer = true), true);
  document.addEventListener("keydown", () => (pointer = false), true);
  document.addEventListener("pointerup", (e) => {
    if (e.target instanceof Element && e.target.matches('input[type="range"], input[type="checkbox"], input[type="radio"]')) giveBack();
  });
  document.addEventListener("click", (e) => {
    if (e.detail > 0 && e.target instanceof Element && e.target.closest("button")) giveBack();
  });
  document.addEventListener("change", (e) => {
    if (pointer && e.target instanceof Element && e.target.matches("select")) giveBack();
  });
}

export function bindKeys(onCommand, home) {
  giveKeysBackAfterPointer(home);
  function handle(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (ownsKeys(target)) return;
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
  return () => document.removeEventListener("keydown", handle);
}
