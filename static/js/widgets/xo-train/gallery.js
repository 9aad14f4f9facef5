// Every test example as a small picture, ringed by whether the network's prediction is right
// (a solid green ring and ✓, or a dashed red ring and ✗: the mark and the line style tell the
// two apart without colour), with the probability of X under it. The pictures are drawn once
// per run; a snapshot only changes rings and numbers. Clicking an example (or Enter on it)
// picks it as the sample whose maps the training view shows. Arrow keys move between examples.

import { scaleFor } from "../../lib/colors.js";
import { createGrid } from "../../lib/grid.js";

const CELL = 6; // px per pixel of a thumbnail (a 9×9 example is 55 px)

export function mountGallery(element, { onPick }) {
  element.classList.add("xo-gallery");
  element.setAttribute("role", "group");
  let items = []; // {button, mark, prob, truth}
  let classes = ["X", "O"];
  let state = { right: 0, total: 0, predictions: [] };
  let focusIndex = 0;

  element.addEventListener("click", (e) => {
    const b = e.target.closest("button[data-index]");
    if (b) onPick(Number(b.dataset.index));
  });
  element.addEventListener("keydown", (e) => {
    const b = e.target.closest("button[data-index]");
    if (!b || !items.length) return;
    const i = Number(b.dataset.index);
    const perRow = Math.max(1, Math.round(element.clientWidth / Math.max(1, b.offsetWidth)));
    const moves = {
      ArrowRight: 1,
      ArrowLeft: -1,
      ArrowDown: perRow,
      ArrowUp: -perRow,
      Home: -i,
      End: items.length - 1 - i,
    };
    if (!(e.key in moves)) return;
    e.preventDefault(); // the arrows move here, they do not step the training
    focusAt(Math.max(0, Math.min(items.length - 1, i + moves[e.key])));
  });

  function focusAt(i) {
    items[focusIndex]?.button.setAttribute("tabindex", "-1");
    focusIndex = i;
    items[i].button.setAttribute("tabindex", "0");
    items[i].button.focus();
  }

  /** New run: the test split (x: Tensor (N, S, S), y: Tensor (N,) class indices). */
  function setExamples(x, y, classNames) {
    classes = classNames;
    const [n, h, w] = x.shape;
    const scale = scaleFor(x.data, "diverging");
    element.replaceChildren();
    items = [];
    focusIndex = 0;
    for (let i = 0; i < n; i++) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "xo-thumb";
      button.dataset.index = i;
      button.setAttribute("tabindex", i === 0 ? "0" : "-1");
      button.innerHTML =
        `<canvas class="grid-canvas"></canvas><span class="xo-thumb-text"><span class="xo-mark" ` +
        `aria-hidden="true"></span><span class="xo-thumb-p"></span></span>`;
      const grid = createGrid(button.querySelector("canvas"));
      const plane = h * w;
      grid.draw({
        rows: h,
        cols: w,
        cell: CELL,
        value: (r, c) => x.data[i * plane + r * w + c],
        scale,
        numbers: false,
      });
      element.append(button);
      items.push({
        button,
        mark: button.querySelector(".xo-mark"),
        prob: button.querySelector(".xo-thumb-p"),
        truth: y.data[i],
        shown: "",
      });
    }
    element.setAttribute("aria-label", `The ${n} test examples`);
  }

  /** A snapshot: probs Tensor (N, 2), the chosen sample index. */
  function update(probs, sample) {
    let right = 0;
    const predictions = [];
    items.forEach((item, i) => {
      const pX = probs.data[2 * i];
      const predicted = pX >= probs.data[2 * i + 1] ? 0 : 1;
      const ok = predicted === item.truth;
      right += ok ? 1 : 0;
      predictions.push(predicted);
      const text = pX.toFixed(2); // fixed width: the labels line up under the pictures
      const key = `${ok}|${text}|${i === sample}`;
      if (key === item.shown) return; // nothing changed for this example: leave its DOM alone
      item.shown = key;
      item.button.classList.toggle("right", ok);
      item.button.classList.toggle("wrong", !ok);
      item.button.setAttribute("aria-pressed", String(i === sample));
      item.mark.textContent = ok ? "✓" : "✗";
      item.prob.textContent = `X ${text}`;
      item.button.setAttribute(
        "aria-label",
        `Example ${i + 1}, a true ${classes[item.truth]}: predicted ${classes[predicted]}` +
          ` (${ok ? "right" : "wrong"}), probability of X ${text}`,
      );
    });
    state = { right, total: items.length, predictions };
  }

  return {
    setExamples,
    update,
    inspect: () => ({
      total: state.total,
      right: state.right,
      predictions: state.predictions,
      rightCount: element.querySelectorAll(".xo-thumb.right").length,
      wrongCount: element.querySelectorAll(".xo-thumb.wrong").length,
    }),
  };
}
