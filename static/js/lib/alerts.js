// Server errors shown where they belong: each error names a `field` (PROTOCOL.md,
// "Errors"), and the page has a polite live region beside each control. A message
// stays until a later answer from the same kind of request succeeds.

// Field (as the server names it) -> the alert region (data-alert) next to its control.
const REGION_OF = [
  [/^stride/, "stride"],
  [/^padding/, "padding"],
  [/^dilation/, "dilation"],
  [/^pad_mode/, "padMode"],
  [/^flip/, "flip"],
  [/^kernels\.values|^bias/, "kernelValues"],
  [/^kernels|^size$|^filters/, "kernel"],
  [/^input|^height|^width|^channels|^seed|^data/, "input"],
];

/** A polite live region for the messages about `region` ("general": the widget's catch-all). */
export const alertHtml = (region) =>
  `<p class="alert${region === "general" ? " general" : ""}" data-alert="${region}" role="status" ` +
  `aria-live="polite"></p>`;

export function createAlerts(root) {
  const shown = new Map(); // region -> source that put the message there

  function regionFor(field, fallback) {
    for (const [pattern, region] of REGION_OF) if (field && pattern.test(field)) return region;
    return fallback ?? "general";
  }

  function element(region) {
    return root.querySelector(`[data-alert="${region}"]`) ?? root.querySelector('[data-alert="general"]');
  }

  return {
    /** Show a message near the control for `field`; `source` says which request kind made it. */
    show(field, message, source, fallback) {
      const region = regionFor(field, fallback);
      const el = element(region);
      el.textContent = message;
      shown.set(el, source);
      return el;
    },
    /** Clear every message a source put up (its newest request succeeded). */
    clear(source) {
      for (const [el, from] of shown) {
        if (from === source) {
          el.textContent = "";
          shown.delete(el);
        }
      }
    },
    /** The message currently shown for a source, if any (for the stale-output note). */
    has(source) {
      return [...shown.values()].includes(source);
    },
  };
}
