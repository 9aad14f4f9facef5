// The page's palette for what a canvas draws: site.css's custom properties, which presenter.css
// redefines per theme, read when a chart is drawn, so its ink follows the theme as the page's text
// does. A canvas drawn this way is marked data-ground="page" (the dark theme then gives it no paper).

const FALLBACK = {
  fg: "#111111",
  muted: "#4a4a4a",
  rule: "#c8c8c8",
  bg: "#ffffff",
  accent: "#3b2a8c",
  train: "#0072b2",
  "test-edge": "#d55e00",
};

/** {fg, muted, rule, bg, accent, train, testEdge}: the colours in use now. */
export function palette() {
  const style = getComputedStyle(document.documentElement);
  const read = (name) => style.getPropertyValue(`--${name}`).trim() || FALLBACK[name];
  return {
    fg: read("fg"),
    muted: read("muted"),
    rule: read("rule"),
    bg: read("bg"),
    accent: read("accent"),
    train: read("train"),
    testEdge: read("test-edge"),
  };
}

/** Call fn() whenever the theme changes (presenter.js's event); returns the stop. */
export function onThemeChange(fn) {
  let theme = document.documentElement.dataset.theme ?? "";
  const listener = () => {
    const now = document.documentElement.dataset.theme ?? "";
    if (now === theme) return;
    theme = now;
    fn();
  };
  document.addEventListener("convscope:presenter", listener);
  return () => document.removeEventListener("convscope:presenter", listener);
}
