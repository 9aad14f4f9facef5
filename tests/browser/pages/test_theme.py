"""The projector palette and the dark theme, complete: on the pages an instructor shows, every visible
text meets WCAG AA contrast against what is behind it (4.5:1, or 3:1 for large text: 24 px, or 18.66 px
bold), and the dark theme shows no light panel (only the accent, the step's highlight and the pictures
and grids, whose colours are data, stay light). Every page in the dark theme at 1024×768 is saved
under screenshots/dark/ to look at."""

from __future__ import annotations

import pytest

from app.features import TABLE

from ..conftest import SCREENSHOTS
from .test_every_screen import ALL_READY, LESSONS

# Colour arithmetic (WCAG 2.x relative luminance) and what is behind an element: its background and
# its ancestors', composited over the page's. A gradient behind text is not judged (none is used for text).
COLOUR = r"""
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, bottom) => {
  const a = top.a + bottom.a * (1 - top.a);
  const mix = (k) => (a ? (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a : 0);
  return { r: mix('r'), g: mix('g'), b: mix('b'), a };
};
const lum = ({ r, g, b }) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const behind = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.backgroundImage !== 'none' && !s.backgroundImage.startsWith('url')) return null;
    const c = parse(s.backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let bg = over(parse(getComputedStyle(document.documentElement).backgroundColor) ?? { r: 255, g: 255, b: 255, a: 0 },
                { r: 255, g: 255, b: 255, a: 1 });
  for (const layer of layers.reverse()) bg = over(layer, bg);
  return bg;
};
const shown = (el) => {
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return s.visibility === 'visible' && s.display !== 'none' && r.width >= 1 && r.height >= 1;
};
const faded = (el) => {
  for (let e = el; e; e = e.parentElement) if (parseFloat(getComputedStyle(e).opacity) < 1) return true;
  return false;
};
const SKIP = 'script, style, template, .visually-hidden, svg, math, [hidden], [disabled], ' +
  '[aria-disabled="true"], option';
// A custom property's colour as rgb, read through an element that uses it.
const cssColour = (property) => {
  const probe = document.createElement('div');
  probe.style.color = `var(${property})`;
  document.body.append(probe);
  const colour = parse(getComputedStyle(probe).color);
  probe.remove();
  return colour;
};
const rgb = (c) => `${Math.round(c.r)},${Math.round(c.g)},${Math.round(c.b)}`;
const name = (el) => `${el.tagName.toLowerCase()}.${String(el.className).trim().split(/\s+/).join('.')}` +
  ` "${el.textContent.trim().replace(/\s+/g, ' ').slice(0, 30)}"`;
"""

# Text too faint for its background. Faded controls (opacity < 1: a setting not in use) are exempt, as
# WCAG exempts inactive controls.
LOW_CONTRAST = (
    "() => {"
    + COLOUR
    + r"""
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest(SKIP) || !shown(el) || faded(el)) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    const bg = behind(el);
    if (!fg || !bg) continue;
    const size = parseFloat(s.fontSize);
    const need = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700) ? 3 : 4.5;
    const got = ratio(over(fg, bg), bg);
    if (got < need) out.push(`${name(el)}: ${got.toFixed(2)} < ${need} (${s.color} on ${rgb(bg)})`);
  }
  return out;
}"""
)

# Light boxes on the dark theme: an element larger than a chip whose own background is light. What
# is light on purpose is left out: the accent (a pressed chip, the main button), the highlight, data
# coloured inline (a kernel's fields), a chart's empty marks (a bar's fill), pictures and canvases.
LIGHT_PANELS = (
    "() => {"
    + COLOUR
    + r"""
  const allowed = ['--accent', '--highlight'].map(cssColour);
  const same = (a, b) => Math.abs(a.r - b.r) + Math.abs(a.g - b.g) + Math.abs(a.b - b.b) < 6;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest(SKIP) || el.matches('canvas, img, video') || el.style.backgroundColor || !shown(el)) continue;
    if (!el.children.length && !el.textContent.trim()) continue; // an empty mark (a bar's fill): a chart, not a panel
    const c = parse(getComputedStyle(el).backgroundColor);
    if (!c || c.a < 0.5 || allowed.some((a) => same(a, c))) continue;
    const r = el.getBoundingClientRect();
    if (r.width * r.height < 3000 || lum(c) < 0.3) continue;
    out.push(`${name(el)}: ${getComputedStyle(el).backgroundColor}, ${Math.round(r.width)}×${Math.round(r.height)} px`);
  }
  return out;
}"""
)

PAGES = ["", "playground", "layers", "xo", "lessons", "lessons/pooling", "lessons/x-vs-o", "widget/architecture"]


def open_themed(browser, url: str, path: str, query: str):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{url}{path}{query}")
    page.wait_for_function(ALL_READY, timeout=60_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return context, page


@pytest.mark.parametrize("path", PAGES, ids=[p or "index" for p in PAGES])
@pytest.mark.parametrize("query", ["?present=1", "?theme=dark"], ids=["projector", "dark"])
def test_every_text_meets_aa_contrast(browser, server_url, path, query):
    context, page = open_themed(browser, server_url, path, query)
    try:
        theme = "dark" if query.endswith("dark") else "projector"
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        faint = page.evaluate(LOW_CONTRAST)
        light = page.evaluate(LIGHT_PANELS) if query.endswith("dark") else []
    finally:
        context.close()
    assert not faint, f"/{path}{query}: " + "; ".join(faint[:10])
    assert not light, f"/{path}{query} shows light panels: " + "; ".join(light[:10])


ALL_PAGES = ["", "layers", "xo", "lessons", "playground"]
ALL_PAGES += [f"lessons/{slug}" for slug in LESSONS] + [f"widget/{t}" for t in TABLE.widgets]


def test_every_page_in_the_dark_theme_has_no_light_panel(browser, server_url):
    """Every page once, dark, at 1024×768: saved to look at, and checked for light panels."""
    folder = SCREENSHOTS / "dark"
    folder.mkdir(parents=True, exist_ok=True)
    found = {}
    for path in ALL_PAGES:
        context, page = open_themed(browser, server_url, path, "?theme=dark")
        try:
            page.screenshot(path=str(folder / f"{path.replace('/', '-') or 'index'}.png"), full_page=True)
            light = page.evaluate(LIGHT_PANELS)
        finally:
            context.close()
        if light:
            found[path] = light[:5]
    assert not found, found
