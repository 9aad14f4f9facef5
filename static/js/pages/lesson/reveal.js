// A reveal changes a widget that may sit far up the page: bring it into view (smoothly, or at once
// for a reader who asked for less motion), and offer a way back to the question, whose feedback
// is where the answer is explained. The way back is one button fixed at the foot of the window; it
// goes once the question is in view again.

import { reducedMotion } from "../../lib/motion.js";

const MARGIN = 8; // px between the sticky bar and the widget's top

/** The height the lesson's bar covers at the top of the window (0 when it scrolls away). */
function barBottom() {
  const bar = document.querySelector(".lesson-bar");
  if (!bar || getComputedStyle(bar).position !== "sticky") return 0;
  return Math.max(0, bar.getBoundingClientRect().bottom);
}

/**
 * Scroll so `figure` is in view: centred when it fits under the bar, else its top under the bar. When
 * its controls come first and fill a third of the window or more (a phone stacks them above the rest),
 * the top of its main column goes under the bar instead: that is where the widget draws what the
 * reveal changed.
 */
export function bringIntoView(figure) {
  const top = barBottom();
  const room = innerHeight - top;
  const r = figure.getBoundingClientRect();
  const visible = r.top >= top - 1 && r.bottom <= innerHeight + 1;
  if (visible) return false;
  let at = r.top;
  let offset = top + (room - r.height) / 2;
  if (r.height + 2 * MARGIN > room) {
    const main = figure.querySelector(".widget-main, [data-stage]")?.getBoundingClientRect();
    if (main && main.top - r.top >= room / 3) at = main.top;
    offset = top + MARGIN;
  }
  scrollTo({ top: scrollY + at - offset, behavior: reducedMotion() ? "auto" : "smooth" });
  return true;
}

let back = null; // the one "Back to the question" button, with its observer

function hideBack() {
  if (!back) return;
  back.observer.disconnect();
  back.button.remove();
  back = null;
}

/** A button at the foot of the window that returns to `section`; gone once `section` is in view. */
export function offerWayBack(section) {
  hideBack();
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lesson-button lesson-back-to-question";
  button.textContent = "↓ Back to the question";
  Object.assign(button.style, {
    position: "fixed",
    left: "50%",
    bottom: "1rem",
    transform: "translateX(-50%)",
    zIndex: "6",
    boxShadow: "0 2px 8px rgb(0 0 0 / 30%)",
  });
  button.addEventListener("click", () => {
    section.scrollIntoView({ block: "center", behavior: reducedMotion() ? "auto" : "smooth" });
    section.querySelector(".question-feedback")?.focus?.({ preventScroll: true });
    hideBack();
  });
  // Shown once the question has left the window, hidden when it comes back.
  let left = false;
  const observer = new IntersectionObserver(([entry]) => {
    if (!entry.isIntersecting) left = true;
    else if (left) hideBack();
  });
  observer.observe(section);
  document.body.append(button);
  back = { button, observer };
}
