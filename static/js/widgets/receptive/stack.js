// The receptive-field widget's stack: its presets, how a stack travels in the URL (five numbers a
// layer: kind, k, s, p, d), and the compact editor of its layers. No arithmetic of the network here:
// what a layer does is the engine's (receptive.run).

export const KINDS = ["conv", "maxpool", "avgpool"];
const KIND_LABELS = { conv: "conv", maxpool: "max pool", avgpool: "avg pool" };
export const LIMITS = { n: 32, layers: 6, k: 7, s: 3, p: 4, d: 8 }; // receptive.run's caps (its models)

const conv = (k, more = {}) => ({ kind: "conv", k, s: 1, p: 0, d: 1, ...more });
const pool = (kind, k, s) => ({ kind, k, s, p: 0, d: 1 });

export const RF_PRESETS = {
  three: { label: "Three 3×3", n: 16, layers: [conv(3), conv(3), conv(3)] },
  pooled: { label: "3×3, pool 2×2, 3×3", n: 16, layers: [conv(3), pool("maxpool", 2, 2), conv(3)] },
  strided: { label: "5×5 stride 2, then 3×3", n: 17, layers: [conv(5, { s: 2 }), conv(3)] },
  dilated: {
    label: "Dilated 1, 2, 4",
    n: 16,
    layers: [conv(3, { p: 1 }), conv(3, { d: 2, p: 2 }), conv(3, { d: 4, p: 4 })],
  },
  wavenet: {
    label: "Dilated 1, 2, 4, 8",
    n: 32,
    layers: [conv(3), conv(3, { d: 2 }), conv(3, { d: 4 }), conv(3, { d: 8 })],
  },
  gridding: { label: "3×3 at d = 2, twice", n: 16, layers: [conv(3, { d: 2, p: 2 }), conv(3, { d: 2, p: 2 })] },
  seed000: { label: "Seed 000: 2×2, 2×2", n: 8, layers: [conv(2), conv(2)] },
};

/** The layers a state describes: its preset's, or its own (custom). */
export function layersOf(state) {
  if (state.rfPreset !== "custom") return RF_PRESETS[state.rfPreset].layers;
  const out = [];
  for (let i = 0; i + 4 < state.rfLayers.length; i += 5) {
    const [kind, k, s, p, d] = Array.from(state.rfLayers.slice(i, i + 5));
    out.push({ kind: KINDS[kind], k, s, p, d });
  }
  return out;
}

/** Five numbers a layer, for the URL's list. */
export const encodeLayers = (layers) => layers.flatMap((l) => [KINDS.indexOf(l.kind), l.k, l.s, l.p, l.d]);

/** A list from the URL is a stack when it holds 1–6 layers of whole numbers within the caps. */
export function validList(list) {
  if (!list || list.length % 5 !== 0 || list.length < 5 || list.length > 5 * LIMITS.layers) return false;
  const ranges = [
    [0, KINDS.length - 1],
    [1, LIMITS.k],
    [1, LIMITS.s],
    [0, LIMITS.p],
    [1, LIMITS.d],
  ];
  return Array.from(list).every((v, i) => Number.isInteger(v) && v >= ranges[i % 5][0] && v <= ranges[i % 5][1]);
}

/** The preset whose stack and input side these are, or null. */
export function presetOf(n, layers) {
  const same = (a, b) => a.length === b.length && a.every((l, i) => sameLayer(l, b[i]));
  return Object.keys(RF_PRESETS).find((key) => RF_PRESETS[key].n === n && same(RF_PRESETS[key].layers, layers)) ?? null;
}

const sameLayer = (a, b) => ["kind", "k", "s", "p", "d"].every((f) => a[f] === b[f]);

function number(field, i, label, min, max) {
  return (
    `<label class="rf-num"><span>${label}</span><input type="number" inputmode="numeric" data-field="${field}" ` +
    `data-index="${i}" min="${min}" max="${max}" step="1" aria-label="Layer ${i + 1} ${label}"></label>`
  );
}

function row(i) {
  const options = KINDS.map((k) => `<option value="${k}">${KIND_LABELS[k]}</option>`).join("");
  return (
    `<li class="rf-layer" data-index="${i}"><span class="rf-layer-name" aria-hidden="true">${i + 1}</span>` +
    `<select data-field="kind" data-index="${i}" aria-label="Layer ${i + 1} kind">${options}</select>` +
    number("k", i, "k", 1, LIMITS.k) +
    number("s", i, "s", 1, LIMITS.s) +
    number("p", i, "p", 0, LIMITS.p) +
    number("d", i, "d", 1, LIMITS.d) +
    `<button type="button" class="rf-remove" data-rf-remove="${i}" aria-label="Remove layer ${i + 1}">×</button></li>`
  );
}

/**
 * The layer editor in `list` (an <ol>): rows are built only when the count changes, so a field
 * being typed in keeps its focus; each edit calls onEdit(newLayers).
 */
export function layerEditor(list, addButton, onEdit) {
  let layers = [];
  list.addEventListener("change", (e) => {
    const el = e.target.closest("[data-field]");
    if (!el) return;
    const i = Number(el.dataset.index);
    const field = el.dataset.field;
    const value = field === "kind" ? el.value : Math.round(Number(el.value));
    if (field !== "kind" && !Number.isFinite(value)) return;
    const next = layers.map((l, j) => (j === i ? { ...l, [field]: value } : l));
    onEdit(next);
  });
  list.addEventListener("click", (e) => {
    const b = e.target.closest("[data-rf-remove]");
    if (!b || layers.length <= 1) return;
    onEdit(layers.filter((_, j) => j !== Number(b.dataset.rfRemove)));
  });
  addButton.addEventListener("click", () => {
    if (layers.length < LIMITS.layers) onEdit([...layers, conv(3)]);
  });

  return {
    show(next) {
      layers = next;
      if (list.children.length !== layers.length) list.innerHTML = layers.map((_, i) => row(i)).join("");
      layers.forEach((l, i) => {
        for (const el of list.children[i].querySelectorAll("[data-field]")) {
          const v = String(l[el.dataset.field]);
          if (el.value !== v && document.activeElement !== el) el.value = v;
        }
        list.children[i].querySelector(".rf-remove").disabled = layers.length <= 1;
      });
      addButton.disabled = layers.length >= LIMITS.layers;
    },
  };
}
