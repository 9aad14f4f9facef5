"""Every page at every screen of a lecture hall: a 1024×768 projector, the
common laptop and desktop sizes, and a phone upright and sideways. At each size every page and
every widget page opens, draws its engine answers, and then:

- the page never scrolls sideways (document width ≤ window width);
- no visible element reaches past either edge of the window, except inside a box that scrolls
  sideways on purpose (a wide table, the arithmetic), which must itself fit;
- no text is cut with an ellipsis ("0 of 4 questions d…");
- nothing is written to the console as an error.

Pages are found the way a visitor finds them: the lessons from the links of /lessons (checked
against the course on disk, which parametrizes the tests), the widgets from the feature table.
One browser context per size is reused for all its pages, so the 190-odd checks stay quick.
Full-page screenshots at 1024×768 and 390×844 land in screenshots/every-screen/ to look at.
Last, touch on a phone: a slider dragged by a finger, the X-vs-O grid drawn on, a cell tapped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.features import TABLE
from app.lessons.course import FILE_NAME, lesson_files

from ..conftest import SCREENSHOTS

ROOT = Path(__file__).resolve().parents[3]
LESSONS = [FILE_NAME.match(p.name).group(2) for p in lesson_files(ROOT / "lessons")]
SIZES = {
    "1024x768": (1024, 768),
    "1280x720": (1280, 720),
    "1366x768": (1366, 768),
    "1920x1080": (1920, 1080),
    "390x844": (390, 844),
    "844x390": (844, 390),
}
SHOT_SIZES = {"1024x768", "390x844"}
READY_MS = 60_000  # a cold engine compiles its kernels on the first request

PAGES = [
    pytest.param("", id="index"),
    pytest.param("layers", id="layers"),
    pytest.param("xo", id="xo"),
    pytest.param("lessons", id="lessons"),
    pytest.param("glossary", id="glossary"),
    pytest.param("digits", id="digits"),
    pytest.param("join", id="join"),
    *(pytest.param(f"lessons/{slug}", id=f"lesson-{slug}") for slug in LESSONS),
    *(pytest.param(f"widget/{t}", id=f"widget-{t}") for t in TABLE.widgets),
    pytest.param("playground", id="playground"),
]


def test_every_page_the_app_serves_is_checked_here():
    """A page added to the app without a place in PAGES fails here, not silently unchecked."""
    from fastapi.responses import HTMLResponse

    from app.pages import create_app

    checked = {p.values[0] for p in PAGES}
    served = {
        r.path.strip("/")
        for r in create_app().routes
        if getattr(r, "response_class", None) is HTMLResponse and "{" not in r.path
    }
    assert served - {"class/teach"} <= checked, served - checked  # class/teach needs an instructor's secret


# Every widget on the page has drawn its first answer (or said it could not load).
ALL_READY = """() => [...document.querySelectorAll('section.widget, figure.lesson-widget')]
    .every(w => w.dataset.ready || w.dataset.failed)"""

# What sticks out sideways: visible elements reaching past the screen's left or right edge, and
# text cut with an ellipsis. Inside a box that scrolls (or clips) sideways on purpose only the box
# itself counts. Screen-reader-only text and the skip link (off-screen until focused) are left out.
# The width is the screen's: a phone browser widens its window to a page too wide for it, so
# innerWidth would hide the very overflow looked for.
PROBLEMS = r"""(width) => {
  const out = [];
  const name = (e) => {
    const id = e.id ? '#' + e.id : '';
    const cls = typeof e.className === 'string' && e.className.trim()
      ? '.' + e.className.trim().split(/\s+/).join('.') : '';
    const text = (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `${e.tagName.toLowerCase()}${id}${cls}` + (text ? ` "${text}"` : '');
  };
  const scrollsSideways = (e) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
  const walk = (e) => {
    for (const child of e.children) {
      if (child.matches('script, style, template, .visually-hidden, .skip-link, math *')) continue;
      const style = getComputedStyle(child);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const r = child.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        if (r.right > width + 1) out.push(`${name(child)} reaches ${Math.round(r.right)} px (window ${width})`);
        if (r.left < -1) out.push(`${name(child)} starts at ${Math.round(r.left)} px`);
        if (style.textOverflow === 'ellipsis' && child.scrollWidth > child.clientWidth + 1)
          out.push(`${name(child)} is cut short`);
      }
      if (!scrollsSideways(child)) walk(child);
    }
  };
  walk(document.body);
  return out;
}"""


@pytest.fixture(scope="module")
def url(server_url):
    return server_url


@pytest.fixture(scope="module")
def contexts(browser):
    """One browser context per screen size, made on first use and kept for the module."""
    made: dict[str, object] = {}

    def get(size: str):
        if size not in made:
            w, h = SIZES[size]
            phone = w < 600 or h < 600
            made[size] = browser.new_context(
                viewport={"width": w, "height": h}, has_touch=phone, is_mobile=phone, reduced_motion="reduce"
            )
        return made[size]

    yield get
    for context in made.values():
        context.close()


def test_the_lessons_are_those_the_course_page_links(browser, url):
    """The lessons checked below are the ones /lessons offers a visitor."""
    page = browser.new_page()
    page.goto(url + "lessons")
    links = page.locator("a.course-link").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    page.close()
    assert [re.sub(r"^/lessons/", "", h) for h in links] == LESSONS


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("size", SIZES)
def test_the_page_fits_the_screen(contexts, url, size, path):
    w = SIZES[size][0]
    page = contexts(size).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        response = page.goto(url + path)
        assert response.status == 200, path
        page.wait_for_function(ALL_READY, timeout=READY_MS)
        # Two frames: grids sized by a ResizeObserver redraw after the first answer lands.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        if size in SHOT_SIZES:
            folder = SCREENSHOTS / "every-screen"
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / f"{size}-{path.replace('/', '-') or 'index'}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        problems = page.evaluate(PROBLEMS, w)
        # The presenter's bar ("Present ❚❚ ?") sits in the page's top bar, covering nothing.
        bar = page.evaluate(
            "(() => { const b = document.querySelector('.presenter-bar'); "
            "return b && [b.classList.contains('in-slot'), getComputedStyle(b).position]; })()"
        )
    finally:
        page.close()
    assert width <= w, f"/{path} at {size} scrolls sideways: {width} px wide. " + "; ".join(problems[:8])
    assert not problems, f"/{path} at {size}: " + "; ".join(problems[:12])
    assert not errors, f"/{path} at {size} reported errors: {errors}"
    if path:  # every page but the front one has a top bar
        assert bar == [True, "static"], f"/{path} at {size}: the presenter bar is {bar}, over the page"


# ---------------------------------------------------------------- touch on a phone


def _ready(page, url: str, type_: str):
    page.goto(f"{url}widget/{type_}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready", timeout=READY_MS)


def _centre(page, selector: str) -> tuple[float, float, dict]:
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    return box["x"], box["y"] + box["height"] / 2, box


def test_a_finger_drags_a_slider_draws_on_the_x_vs_o_grid_and_picks_a_cell(contexts, url):
    page = contexts("390x844").new_page()
    try:
        # A slider's thumb dragged by a finger (touch events, as a phone sends them).
        _ready(page, url, "pool")
        x, y, box = _centre(page, '[data-key="stride"]')
        start = x + box["width"] / 7  # the thumb at 2 of 1…8
        cdp = page.context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": start, "y": y}]})
        for i in range(1, 11):
            point = {"x": start + i * box["width"] * 0.06, "y": y}
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        page.wait_for_function("convscopeWidget.store.get().poolStride >= 5")
        assert page.evaluate("scrollX") == 0  # the drag moved the thumb, not the page
        # A tap on the X-vs-O drawing grid inks the cell under the finger.
        _ready(page, url, "xo-draw")
        x, y, box = _centre(page, ".xo-pad")
        assert page.evaluate("convscopeWidget.store.get().xoDrawn") is None
        page.touchscreen.tap(x + box["width"] * 0.05, box["y"] + box["height"] * 0.05)
        page.wait_for_function("convscopeWidget.store.get().xoDrawn?.[0] === 1")
        # A tap on a map picks its cell (a mouse hovers), and the mark stays after the finger lifts.
        _ready(page, url, "activation")
        x, y, box = _centre(page, '[data-grid="before"]')
        page.touchscreen.tap(x + 5, box["y"] + 5)
        page.wait_for_timeout(100)  # the finger has lifted (pointerleave) before the check
        assert page.evaluate("convscopeWidget.widget.inspect().marker") is not None
    finally:
        page.close()
