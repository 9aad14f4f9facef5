// The block as a diagram: x → conv → ReLU → conv → ⊕ → ReLU → y, with the shortcut from x to ⊕.
// Left to right on a wide stage; top to bottom on a phone, where a row of seven boxes would shrink
// its words below reading size. In the backward view the arrows turn round: the gradient flows
// from y to x along both paths. Text and lines take the page's colours (residual.css).

const ARROW = 30; // px of arrow between two boxes, left to right
const GAP_DOWN = 20; // and between two rows, top to bottom

function nodes(meta) {
  const k = meta.kernel_size;
  const stride = meta.stride > 1 ? `, s = ${meta.stride}` : "";
  return [
    ["x", 50],
    [`conv ${k}×${k}${stride}`, meta.stride > 1 ? 168 : 104],
    ["ReLU", 74],
    [`conv ${k}×${k}`, 104],
    ["+", 38],
    ["ReLU", 74],
    ["y", 50],
  ];
}

/** Draw the block into `svg`; `uid` keeps the arrowhead's id unique on a page with two of these. */
export function drawDiagram(svg, { meta, back, uid, narrow }) {
  const skip = meta.shortcut === "identity" ? "identity: x itself" : `1×1 conv, s = ${meta.stride}`;
  const head = `marker-end="url(#${uid}-head)"`;
  const list = nodes(meta);
  const placed = [];
  let at = 4;
  for (const [label, w] of list) {
    // Wide: boxes along x, centred on y = 40. Narrow: boxes down the page, centred on x = 100.
    placed.push(narrow ? { label, w, cx: 100, cy: at + 18 } : { label, w, cx: at + w / 2, cy: 40 });
    at += (narrow ? 36 + GAP_DOWN : w + ARROW);
  }
  const box = ({ label, w, cx, cy }) =>
    label === "+"
      ? `<circle cx="${cx}" cy="${cy}" r="19" class="rs-node"/><text x="${cx}" y="${cy + 9}" class="rs-plus">+</text>`
      : `<rect x="${cx - w / 2}" y="${cy - 18}" width="${w}" height="36" rx="6" ` +
        `class="rs-node${w <= 50 ? " rs-io" : ""}"/><text x="${cx}" y="${cy + 6}">${label}</text>`;
  const edge = (n, towards) => {
    const half = n.label === "+" ? 19 : narrow ? 18 : n.w / 2;
    return narrow ? [n.cx, n.cy + towards * half] : [n.cx + towards * half, n.cy];
  };
  const arrows = placed.slice(1).map((to, i) => {
    let [a, b] = [edge(placed[i], 1), edge(to, -1)];
    if (back) [a, b] = [b, a];
    const axis = narrow ? 1 : 0; // the arrow stops 3 px short of the box, so its head touches the edge
    const end = [...b];
    end[axis] -= 3 * Math.sign(b[axis] - a[axis]);
    return `<line x1="${a[0]}" y1="${a[1]}" x2="${end[0]}" y2="${end[1]}" class="rs-arrow" ${head}/>`;
  });
  const [x0, , , , plus] = placed;
  let route;
  let label;
  let width;
  let height;
  if (narrow) {
    const lane = 215; // the skip runs down the right-hand side
    route = [[x0.cx + 25, x0.cy], [lane, x0.cy], [lane, plus.cy], [plus.cx + 22, plus.cy]];
    const mid = (x0.cy + plus.cy) / 2;
    const identity = meta.shortcut === "identity";
    const lines = identity ? ["shortcut:", "identity,", "x itself"] : ["shortcut:", "1×1 conv,", `s = ${meta.stride}`];
    label = lines
      .map((t, i) => `<text x="${lane + 8}" y="${mid - 14 + 20 * i}" class="rs-skip-label rs-start">${t}</text>`)
      .join("");
    width = 340;
    height = at - GAP_DOWN + 4;
  } else {
    route = [[x0.cx, 58], [x0.cx, 104], [plus.cx, 104], [plus.cx, 62]];
    const mid = (x0.cx + plus.cx) / 2;
    const text = `shortcut: ${skip}`;
    const ground = Math.round(text.length * 8.8 + 16); // the label's width at 16 px, so the line stops at its ends
    label =
      `<rect x="${mid - ground / 2}" y="93" width="${ground}" height="22" class="rs-skip-label-ground"/>` +
      `<text x="${mid}" y="110" class="rs-skip-label">${text}</text>`;
    width = at - ARROW + 4;
    height = 124;
  }
  if (back) route.reverse();
  const path = `<path d="M ${route.map((p) => p.join(" ")).join(" L ")}" class="rs-arrow rs-skip" ${head}/>`;
  const f = placed[2];
  const fLabel = narrow
    ? `<text x="${f.cx - 62}" y="${f.cy + 5}" class="rs-path-label">F(x)</text>`
    : // A bracket over conv, ReLU, conv: the layers F(x) names.
      `<path d="M ${placed[1].cx - placed[1].w / 2} 24 V 19 H ${placed[3].cx + placed[3].w / 2} V 24" ` +
      `class="rs-brace"/>` +
      `<text x="${f.cx}" y="14" class="rs-path-label">F(x)${back ? ": ∂L/∂x through F ←" : ""}</text>`;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.style.maxWidth = `${Math.round(width * (narrow ? 1 : 1.15))}px`;
  svg.innerHTML =
    `<title id="${uid}-diagram-title">${words(meta, back)}</title>` +
    `<defs><marker id="${uid}-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" ` +
    `orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="rs-head"/></marker></defs>` +
    arrows.join("") +
    path +
    label +
    fLabel +
    placed.map(box).join("");
}

function words(meta, back) {
  const skip = meta.shortcut === "identity" ? "the identity" : `a 1 by 1 convolution at stride ${meta.stride}`;
  const way = back ? " The gradient runs backwards, from y to x, along both paths." : "";
  return (
    `Residual block: x goes through a convolution, a ReLU and a second convolution (F of x); the shortcut, ` +
    `${skip}, carries x around them; the two are added and a ReLU gives y.${way}`
  );
}
