// A poll's answers as the projector shows them: one bar per option (or per value given), its count;
// once revealed, the right bar marked, the share right, the most common wrong answers with their
// counts, and the engine's working. Bars are plain HTML (no canvas), so they scale with the type.

import { escapeHtml, minus } from "./dom.js";

const RIGHT_MARK = ' <span aria-label="right">✓</span>';
const percent = (share) => `${Math.round(share * 100)}%`;

/** The histogram's markup for `tally` ({total, right, share_right, bars, other, wrong}). */
export function tallyHtml(tally, { revealed = false } = {}) {
  if (!tally) return "";
  const most = Math.max(1, ...tally.bars.map((b) => b.count), tally.other);
  const bar = (label, count, right) => `
    <li class="class-bar${revealed && right ? " right" : ""}">
      <span class="class-bar-label">${escapeHtml(minus(label))}${revealed && right ? RIGHT_MARK : ""}</span>
      <span class="class-bar-track"><span class="class-bar-fill" style="width:${(100 * count) / most}%"></span></span>
      <span class="class-bar-count">${count}</span>
    </li>`;
  const bars = tally.bars.map((b) => bar(b.label, b.count, b.right)).join("");
  const other = tally.other ? bar("others", tally.other, false) : "";
  const answers = `${tally.total} answer${tally.total === 1 ? "" : "s"}`;
  const summary = revealed
    ? `<p class="class-share"><strong>${percent(tally.share_right)}</strong> right · ${answers}</p>`
    : `<p class="class-share">${answers} so far</p>`;
  const wrong =
    revealed && tally.wrong.length
      ? `<p class="class-wrong">Most common wrong answers: ${tally.wrong
          .map((w) => `<strong>${escapeHtml(minus(w.label))}</strong> (${w.count})`)
          .join(", ")}</p>`
      : "";
  const state = revealed ? " revealed" : "";
  return `${summary}<ol class="class-bars${state}" aria-label="Answers">${bars}${other}</ol>${wrong}`;
}

/** The revealed answer and the engine's working. */
export function answerHtml(poll) {
  if (!poll?.revealed) return "";
  const working = poll.working ? `<p class="class-working">${escapeHtml(poll.working)}</p>` : "";
  return `<p class="class-answer">Answer: <strong>${escapeHtml(minus(poll.answer_text))}</strong></p>${working}`;
}
