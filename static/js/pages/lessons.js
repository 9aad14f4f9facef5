// The course index: each lesson's badge from the progress kept in this browser, and the
// "Reset my progress" button (asks first).

import { progressOf, resetAll, standing } from "./lesson/progress.js";

function showBadges() {
  for (const item of document.querySelectorAll(".course-item")) {
    const total = Number(item.dataset.questions);
    const { kind, text } = standing(progressOf(item.dataset.slug), total);
    const badge = item.querySelector(".badge");
    badge.dataset.progress = kind;
    badge.textContent = text;
    item.dataset.progress = kind;
  }
}

showBadges();
// Coming back with the browser's Back button shows the page from its cache: read again.
addEventListener("pageshow", showBadges);

const reset = document.querySelector("#reset-progress");
reset?.addEventListener("click", () => {
  if (!confirm("Forget every answer and all progress in this course, in this browser?")) return;
  const said = document.querySelector("#reset-status");
  said.textContent = resetAll() ? "Your progress was reset." : "This browser does not let the page keep progress.";
  showBadges();
});
