// The counts table of the grouped widget: every mode's weights and multiply-adds side by side, each with
// a bar as long as its share of the ordinary layer's, so a room sees "9× fewer" at a glance. Every number
// is the engine's (grouped.run's meta.layer / meta.real, from engine.grouped.costs).

/** How many times fewer, as the bar's label: "1×" for the ordinary layer itself, "8.7× fewer" else. */
function fewerText(fewer) {
  if (Math.abs(fewer - 1) < 1e-9) return "1× (the reference)";
  const digits = fewer >= 100 ? 0 : 1;
  const text = Number(fewer.toFixed(digits)).toLocaleString("en-US");
  return fewer > 1 ? `${text}× fewer` : `${Number((1 / fewer).toFixed(1))}× more`;
}

/** The table's markup for one set of counts; `mode` is the row drawn above (marked). */
export function countsTable(costs, mode) {
  const rows = Object.entries(costs.modes)
    .map(([key, c]) => {
      const share = Math.max(0.4, Math.min(100, 100 / c.fewer)); // % of the ordinary layer's bar
      const here = key === mode ? ' class="gr-here" aria-current="true"' : "";
      return `<tr data-mode="${key}"${here}>
        <th scope="row"><span class="gr-mode-name">${c.label[0].toUpperCase()}${c.label.slice(1)}</span>
          <span class="gr-formula" data-formula="${key}">${c.formula}</span></th>
        <td class="gr-num" data-label="weights" data-weights="${key}">${c.weights.toLocaleString("en-US")}</td>
        <td class="gr-num" data-label="mult-adds"><span data-madds="${key}">${c.madds.toLocaleString("en-US")}</span>
          <span class="gr-words">${c.madds >= 1e6 ? `≈ ${c.madds_words}` : ""}</span></td>
        <td class="gr-bar-cell"><span class="gr-bar" aria-hidden="true">` +
        `<span class="gr-fill" style="width: ${share}%">` +
        `</span></span><span class="gr-fewer" data-fewer="${key}">${fewerText(c.fewer)}</span></td>
      </tr>`;
    })
    .join("");
  return `<table class="gr-table">
      <thead><tr><th scope="col">Layer</th><th scope="col" class="gr-num">Weights</th>` +
    `<th scope="col" class="gr-num">Multiply-adds</th><th scope="col">Against ordinary</th></tr></thead>
      <tbody>${rows}</tbody>
    </table>`;
}

/** The line under the table: the separable layer's share, 1/C_out + 1/k², from the engine. */
export const ratioText = (costs) => `Separable ÷ ordinary = ${costs.ratio_formula}`;

/** What the counts are of, in words: "56×56 output, 256 → 256 channels, 3×3, grouped in 32". */
export function layerText(c) {
  return `${c.h_out}×${c.w_out} output, ${c.c_in} → ${c.c_out} channels, ${c.k}×${c.k}, grouped in ${c.groups}`;
}
