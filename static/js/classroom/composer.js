// The instructor's new poll: a multiple choice, a number, a lesson's own question, or "predict, then
// reveal" on the widget on stage. For a prediction the page only says what is on stage (the
// playground's settings and data, the drawing on /xo); the server's engine computes the answer.

import { escapeHtml } from "./dom.js";

const MAX_OPTIONS = 8;

/** The playground on stage (its inspect() view: state, data, lastResult), or null. */
function playground() {
  if (window.convscope?.data && window.convscope?.state) return window.convscope;
  const w = window.convscopeWidget;
  return w?.type === "playground" ? w.widget.inspect() : null;
}

/** The X-vs-O drawing on stage ({size, grid}), or null. */
function drawing() {
  const alone = window.convscopeWidget?.type === "xo-draw" ? window.convscopeWidget.widget : null;
  const view = window.convscopeXO?.draw ?? alone;
  const found = view?.inspect?.();
  return found?.grid?.length ? { size: found.size, grid: found.grid } : null;
}

/** The lesson on stage and its questions, or null. */
function lesson() {
  const data = window.convscopeLesson?.data;
  return data?.questions?.length ? data : null;
}

const text = (html) => {
  const div = document.createElement("div");
  div.innerHTML = html;
  return div.textContent.trim();
};

/** The predictions the widget on stage offers: [{label, predict: async () => params}]. */
async function predictions() {
  const out = [];
  const view = playground();
  if (view) {
    const { runParams } = await import("../widgets/playground/model.js");
    const s = view.state;
    out.push({
      label: "The output's width",
      params: () => ({ output_size: { n: s.width, k: s.kernel, s: s.stride, p: s.padding, d: s.dilation } }),
    });
    out.push({
      label: "The next output cell's value",
      params: () => {
        const { input, kernel, bias } = view.data;
        const cells = view.lastResult?.meta?.output_shape ?? [1, 1, 1];
        const cell = Math.min(s.step + 1, cells[1] * cells[2] - 1);
        return { next_value: { conv: runParams(s, input, kernel, bias), filter: s.filter, cell } };
      },
    });
  }
  const drawn = drawing();
  if (drawn) out.push({ label: "The network's pick for this drawing", params: () => ({ network_pick: drawn }) });
  return out;
}

/** The composer's markup for what is on stage now. */
export async function composerHtml() {
  const predict = await predictions();
  const current = lesson();
  const predictButtons = predict.length
    ? predict.map(
        (p, i) => `<button type="button" class="class-chip-button" data-predict="${i}">${escapeHtml(p.label)}</button>`,
      )
    : ['<p class="class-hint">Open the playground or X vs O to ask for a prediction on it.</p>'];
  const lessonPart = current
    ? `<label>One of this lesson's questions
        <select name="question">${current.questions
          .map((q) => `<option value="${escapeHtml(q.id)}">${escapeHtml(text(q.prompt)).slice(0, 90)}</option>`)
          .join("")}</select></label>
       <button type="button" class="class-chip-button" data-ask="lesson">Ask it</button>`
    : '<p class="class-hint">On a lesson page its questions are one tap away.</p>';
  const options = Array.from(
    { length: MAX_OPTIONS },
    (_, i) => `<li${i >= 4 ? " data-extra hidden" : ""}>
      <input type="radio" name="right" value="${i}" aria-label="Option ${i + 1} is right"${i === 0 ? " checked" : ""}>
      <input name="option" maxlength="120" aria-label="Option ${i + 1}" placeholder="Option ${i + 1}"></li>`,
  ).join("");
  return `
    <section class="class-compose" aria-label="A new poll">
      <h3>Predict, then reveal</h3>
      <div class="class-compose-row">${predictButtons.join("")}</div>
      <h3>Lesson question</h3>
      <div class="class-compose-row">${lessonPart}</div>
      <details class="class-compose-own">
        <summary>Your own question</summary>
        <form data-form="choice">
          <label>Question <input name="prompt" maxlength="500" required></label>
          <ol class="class-compose-options">${options}</ol>
          <p class="class-hint">Mark the right option; empty options are left out.</p>
          <button type="submit" class="class-chip-button">Ask multiple choice</button>
        </form>
        <form data-form="number">
          <label>Question <input name="prompt" maxlength="500" required></label>
          <label>Answer <input name="value" inputmode="decimal" required></label>
          <label>Counts as right within ± <input name="tolerance" inputmode="decimal" value="0"></label>
          <button type="submit" class="class-chip-button">Ask for a number</button>
        </form>
      </details>
    </section>`;
}

const number = (raw) => Number(String(raw).trim().replace("\u2212", "-").replace(",", "."));

/** The class.poll params (without code and key) for a press or a submit in the composer, or null. */
export async function pollFrom(event) {
  const predict = event.target.closest?.("[data-predict]");
  if (predict) {
    const choice = (await predictions())[Number(predict.dataset.predict)];
    return choice ? { kind: "predict", predict: choice.params() } : null;
  }
  if (event.target.closest?.('[data-ask="lesson"]')) {
    const select = event.target.closest("section").querySelector('select[name="question"]');
    return { kind: "lesson", lesson: { slug: lesson().slug, question: select.value } };
  }
  if (event.type !== "submit") return null;
  const form = event.target;
  const prompt = form.elements.prompt.value.trim();
  if (form.dataset.form === "number") {
    const { value, tolerance } = form.elements;
    return { kind: "number", prompt, value: number(value.value), tolerance: number(tolerance.value || 0) };
  }
  const fields = [...form.querySelectorAll('input[name="option"]')];
  const right = Number(form.querySelector('input[name="right"]:checked')?.value ?? 0);
  const kept = fields.map((f, i) => [f.value.trim(), i]).filter(([v]) => v);
  const options = kept.map(([v]) => v);
  return { kind: "choice", prompt, options, answer: Math.max(0, kept.findIndex(([, i]) => i === right)) };
}

/** Show a fifth option field once the fourth is filled in, and so on. */
export function growOptions(event) {
  const list = event.target.closest?.(".class-compose-options");
  if (!list) return;
  const hidden = list.querySelector("li[hidden]");
  const filled = [...list.querySelectorAll("li:not([hidden]) input[name='option']")].every((f) => f.value.trim());
  if (hidden && filled) hidden.hidden = false;
}
