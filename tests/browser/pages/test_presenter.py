"""Presenter mode (static/js/lib/presenter.js) on the pages, as an instructor at a projector uses it:
P and the URL, the panels folded and a larger stage, the palettes, blank, the key list, the focus box,
a clicker's keys going to the widget in view, pausing motion, and reduced motion."""

from __future__ import annotations

import re

import pytest

from ..conftest import open_page, screenshot

PANEL = ".playground-widget > .panel"


def open_playground(page, server_url: str, query: str = ""):
    page.goto(f"{server_url}playground{query}")
    page.wait_for_function("window.convscope && window.convscopePresenter")
    page.wait_for_selector("[data-stage]", state="attached")


def stage_width(page) -> float:
    return page.eval_on_selector("[data-stage]", "el => el.getBoundingClientRect().width")


def presenting(page) -> bool:
    return page.evaluate("document.documentElement.hasAttribute('data-present')")


def test_p_turns_presenter_mode_on_keeps_it_in_the_url_and_a_reload_keeps_it(page, server_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_playground(page, server_url, "?s=2")
    assert page.locator(PANEL).is_visible()
    assert page.locator(".topbar").is_visible()
    before = stage_width(page)
    root_font = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")

    page.keyboard.press("p")
    assert presenting(page)
    assert "present=1" in page.url and "s=2" in page.url
    assert not page.locator(PANEL).is_visible()  # the settings panel folds away
    assert not page.locator(".topbar .home").is_visible()  # and the site's bar
    assert stage_width(page) > before + 200  # the stage takes the room
    scale = float(page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--scale')"))
    assert scale > 1
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") > root_font

    # The page writes its own state to the URL (lib/state.js): presenter mode stays in it.
    page.evaluate("window.convscope.store.set({padding: 1}); window.convscope.store.flush()")
    assert "p=1" in page.url and "present=1" in page.url

    page.reload()
    page.wait_for_function("window.convscopePresenter")
    assert presenting(page)
    assert not page.locator(PANEL).is_visible()
    assert page.evaluate("window.convscopePresenter.state.present")
    page.wait_for_timeout(300)  # the widget lays out for the room it has (not an assertion)
    assert stage_width(page) > before + 200

    # S brings the folded panels back while presenting; P leaves presenter mode and the URL says so.
    page.keyboard.press("s")
    assert page.locator(PANEL).is_visible()
    page.keyboard.press("s")
    page.keyboard.press("p")
    assert not presenting(page)
    assert "present=" not in page.url and "p=1" in page.url
    assert page.locator(PANEL).is_visible()


def test_the_present_button_does_what_p_does(page, server_url):
    page.goto(f"{server_url}layers")
    page.wait_for_function("window.convscopePresenter")
    button = page.locator('.presenter-bar [data-presenter="present"]')
    assert button.is_visible()
    button.click()
    assert presenting(page) and "present=1" in page.url
    assert button.get_attribute("aria-pressed") == "true"
    assert not page.locator(".topbar .home").is_visible()


def test_f_asks_for_full_screen_and_says_what_to_do_when_refused(page, server_url):
    open_playground(page, server_url, "?present=1")
    fullscreen = "Boolean(document.fullscreenElement)"
    page.keyboard.press("f")
    page.wait_for_function(fullscreen)
    page.keyboard.press("f")
    page.wait_for_function(f"!{fullscreen}")
    # A browser (a kiosk, an embedding frame) may refuse: presenting goes on in the window, and the page says so.
    page.evaluate("() => { Element.prototype.requestFullscreen = () => Promise.reject(new TypeError('refused')); }")
    page.keyboard.press("f")
    page.wait_for_function("document.documentElement.dataset.fullscreen === 'refused'")
    assert "F11" in page.locator(".presenter-note").inner_text()
    assert presenting(page)


def colors(page, selector="body"):
    return page.eval_on_selector(selector, "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]")


def test_the_theme_is_in_the_url_and_applied(page, server_url):
    page.goto(f"{server_url}?theme=dark")
    page.wait_for_function("window.convscopePresenter")
    assert colors(page) == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == "dark"

    page.goto(f"{server_url}?present=1")  # presenting: the projector palette, black on white
    page.wait_for_function("window.convscopePresenter")
    assert page.evaluate("document.documentElement.dataset.theme") == "projector"
    assert colors(page) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]
    page.keyboard.press("t")
    assert "theme=dark" in page.url
    assert colors(page) == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    page.reload()
    page.wait_for_function("window.convscopePresenter")
    assert colors(page) == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    page.keyboard.press("t")
    assert "theme=" not in page.url
    assert colors(page) == ["rgb(255, 255, 255)", "rgb(0, 0, 0)"]

    page.goto(f"{server_url}?theme=nonsense")  # an unknown theme is the page's own palette
    page.wait_for_function("window.convscopePresenter")
    assert page.evaluate("document.documentElement.dataset.theme") is None


@pytest.mark.parametrize("key", ["b", "."])
def test_b_or_dot_blanks_the_screen_and_again_shows_it(page, server_url, key):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_playground(page, server_url, "?present=1")
    blank = page.locator(".presenter-blank")
    assert not blank.is_visible()
    page.keyboard.press(key)
    assert blank.is_visible()
    box = blank.bounding_box()
    assert box["width"] >= 1024 and box["height"] >= 768
    assert page.evaluate("document.elementFromPoint(512, 384).classList.contains('presenter-blank')")
    assert page.eval_on_selector(".presenter-blank", "el => getComputedStyle(el).backgroundColor") == "rgb(0, 0, 0)"
    step = page.evaluate("window.convscope.store.get().step")
    page.keyboard.press("PageDown")  # a clicker's press while blank shows the page, and steps nothing
    assert not blank.is_visible()
    assert page.evaluate("window.convscope.store.get().step") == step
    page.keyboard.press(key)
    assert blank.is_visible()
    page.keyboard.press(key)
    assert not blank.is_visible()


def test_question_mark_lists_every_key_binding_the_page_registered(page, server_url):
    page.goto(f"{server_url}layers")
    page.wait_for_function("window.convscopePresenter")
    page.keyboard.press("?")
    dialog = page.locator("dialog.presenter-help")
    assert dialog.is_visible()
    text = dialog.inner_text()
    for words in ("Presenter", "Blank the screen", "Full screen", "Pause everything that moves", "Step forward"):
        assert words in text, words
    # The page's own bindings: one group per widget that bound keys (pooling, backprop, ...).
    groups = page.evaluate("window.convscopePresenter.state.keys.map(g => g.group)")
    assert len(groups) >= 3, groups
    for group in groups:
        assert group in text
    assert any(re.search("pool", g, re.I) for g in groups), groups
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    page.locator('.presenter-bar [data-presenter="keys"]').click()
    assert dialog.is_visible()
    page.keyboard.press("?")
    assert not dialog.is_visible()


def outline(page, selector="[data-stage]"):
    return page.eval_on_selector(
        selector, "el => [getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]"
    )


def test_no_focus_box_on_the_stage_after_a_click_but_one_after_tab(page, server_url):
    open_playground(page, server_url, "?present=1")
    stage = page.locator("[data-stage]")
    box = stage.bounding_box()
    page.mouse.click(box["x"] + 4, box["y"] + 4)  # the stage's corner: no control there
    page.keyboard.press("PageDown")  # a clicker: keys, but not navigation
    assert page.evaluate("document.activeElement.hasAttribute('data-stage')")
    assert outline(page)[0] == "none"

    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.hasAttribute('data-stage')")
    style, width = outline(page)
    assert style != "none" and float(width.removesuffix("px")) >= 2


def test_a_clickers_page_down_steps_the_widget_in_view(page, server_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{server_url}layers?present=1")
    page.wait_for_function(
        "window.convscopeLayers && document.querySelector('#pool-widget').dataset.ready && "
        "document.querySelector('#backprop-widget').dataset.ready"
    )
    state = "window.convscopeLayers.store.get()"
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{state}.poolStep === 0")
    page.eval_on_selector("#backprop-widget", "el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(100)  # the scroll settles (not an assertion)
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{state}.bpStep >= 0")
    assert page.evaluate(f"{state}.poolStep") == 0  # pooling, scrolled away, did not move


def test_a_clicker_reaches_the_pipeline_and_the_activation_and_help_lists_their_keys(page, server_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers?present=1")
    page.wait_for_function(
        "window.convscopeLayers && document.querySelector('#pipeline-widget').dataset.ready && "
        "document.querySelector('#activation-widget').dataset.ready"
    )
    layers = "window.convscopeLayers"
    page.eval_on_selector("#activation-widget", "el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(100)  # the scroll settles (not an assertion)
    page.keyboard.press("PageDown")
    page.wait_for_function(
        f"{layers}.activation.inspect().marker?.r === 0 && {layers}.activation.inspect().marker?.c === 0"
    )
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{layers}.activation.inspect().marker?.c === 1")
    page.eval_on_selector("#pipeline-widget", "el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(100)
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{layers}.pipeline.inspect().open === 1")
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{layers}.pipeline.inspect().open === 2")
    assert page.evaluate(f"{layers}.store.get().poolStep") == -1  # pooling, scrolled away, did not move
    page.keyboard.press("?")
    text = page.locator("dialog.presenter-help").inner_text()
    assert "Open the next stage" in text and "Move the marked cell" in text


def test_k_pauses_what_plays_and_says_so(page, server_url):
    open_playground(page, server_url)
    page.evaluate("window.paused = 0; document.addEventListener('convscope:pause', () => window.paused++)")
    play = page.locator(".transport .play")
    page.wait_for_function(
        "document.querySelector('.transport .play') && !document.querySelector('.transport .play').disabled"
    )
    play.click()
    page.wait_for_function("document.querySelector('.transport .play').getAttribute('aria-pressed') === 'true'")
    page.keyboard.press("k")
    assert page.evaluate("window.paused") == 1
    page.wait_for_function("document.querySelector('.transport .play').getAttribute('aria-pressed') === 'false'")
    assert page.evaluate("document.documentElement.dataset.motion") == "paused"
    assert page.locator('.presenter-bar [data-presenter="pause"]').get_attribute("aria-pressed") == "true"
    page.keyboard.press("k")
    assert page.evaluate("document.documentElement.dataset.motion") is None


def test_reduced_motion_leaves_no_css_animation_running(page, server_url):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}?present=1")
    page.wait_for_function("window.convscopePresenter")
    # Any animation a sheet may start, however long: under reduced motion it ends at once.
    page.evaluate(
        """() => {
          const style = document.createElement('style');
          style.textContent = '@keyframes cs-spin { to { transform: rotate(1turn); } } ' +
            '.cs-spinner { animation: cs-spin 2s linear infinite; transition: opacity 3s; }';
          document.head.append(style);
          const el = document.createElement('div');
          el.className = 'cs-spinner';
          el.textContent = 'spinning';
          document.body.append(el);
        }"""
    )
    page.wait_for_timeout(100)  # a frame for the animation to start and end (not an assertion)
    running = page.evaluate("document.getAnimations().filter(a => a.playState === 'running').length")
    assert running == 0
    assert page.evaluate("import('/static/js/lib/motion.js').then(m => m.reducedMotion())")


def test_presenter_mode_at_the_projector_and_on_a_phone(browser, server_url):
    """Screenshots to look at: the playground, /layers, /xo and a lesson presenting, 1024×768 and 390×844."""
    for width, height in ((1024, 768), (390, 844)):
        with open_page(browser) as pg:
            pg.set_viewport_size({"width": width, "height": height})
            for name, path in (
                ("playground", "playground?present=1"),
                ("playground-dark", "playground?present=1&theme=dark"),
                ("layers", "layers?present=1"),
                ("xo", "xo?present=1"),
                ("lesson", "lessons/pooling?present=1"),
            ):
                pg.goto(f"{server_url}{path}")
                pg.wait_for_function("window.convscopePresenter")
                pg.wait_for_timeout(800)  # the first answers drawn (the screenshot only; nothing asserted on it)
                assert presenting(pg)
                assert not pg.locator(".topbar .home, .lesson-bar .lesson-home").first.is_visible()
                # the bar's one button stays, in the window's corner
                assert pg.evaluate("getComputedStyle(document.querySelector('.presenter-bar')).position") == "fixed"
                screenshot(pg, f"presenter-{name}-{width}")


# ---------------------------------------------------------------- grids that grow on a projector

# The grid the class looks at in each widget. A square grid must take at least 40% of a 1920×1080
# window's height (432 px: a 9×9 grid's cells are then 48 px, its numbers as large as the page's
# headings, and the formula, the transport and the other panes keep the rest of the screen); a
# grid of one row (1-D convolution's signal) at least half the window's width.
MAIN_GRIDS = {
    # The playground's stage also keeps a step's whole arithmetic on screen, clear of the corner buttons
    # (test_a_step_s_arithmetic_is_on_screen_and_clear_of_the_corner_buttons): 7 rows of 61 px.
    "playground": (".input-view canvas", "height", 0.39),
    "pool": ("[data-grid='input']", "height", 0.4),
    "backprop": (".bp-pane canvas", "height", 0.4),
    "conv1d": ("[data-row='signal'] .c1-cell", "width", 0.5),
    "xo-draw": (".xo-pad", "height", 0.4),
    "augment": (".ag-result", "height", 0.4),
    "activation": ("[data-grid='before']", "height", 0.4),
}
# The union of the boxes of what `selector` finds first (or, for cells, all of them).
EXTENT = """(s) => {
  const all = [...document.querySelectorAll('#widget ' + s)];
  const els = s.endsWith('.c1-cell') ? all : all.slice(0, 1);
  const boxes = els.map((e) => e.getBoundingClientRect());
  return {
    width: Math.max(...boxes.map((b) => b.right)) - Math.min(...boxes.map((b) => b.left)),
    height: Math.max(...boxes.map((b) => b.bottom)) - Math.min(...boxes.map((b) => b.top)),
  };
}"""


@pytest.mark.parametrize("type_", list(MAIN_GRIDS))
def test_the_main_grid_fills_a_share_of_the_projectors_stage(browser, server_url, type_):
    selector, side, share = MAIN_GRIDS[type_]
    with open_page(browser) as page:
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.emulate_media(reduced_motion="reduce")
        extents = {}
        for query in ("", "?present=1"):
            page.goto(f"{server_url}widget/{type_}{query}")
            page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'", timeout=60_000)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            extents[query] = page.evaluate(EXTENT, selector)
        screenshot(page, f"presenter-grid-{type_}-1920")
    window = {"width": 1920, "height": 1080}[side]
    grown = extents["?present=1"][side]
    assert grown >= share * window, f"{type_}: {grown:.0f} px of {window} ({grown / window:.0%})"
    assert grown >= extents[""][side]  # presenting never makes it smaller than on the page


# Whether what `a` shows (its text, line by line, and its pictures) meets the box of `b`. The arithmetic's
# blocks span the stage's width; only their ink may not be covered.
OVERLAP = """([a, b]) => {
  const y = document.querySelector(b).getBoundingClientRect();
  const meets = (x) => x.width > 0 && x.left < y.right && y.left < x.right && x.top < y.bottom && y.top < x.bottom;
  const ink = [];
  for (const el of document.querySelectorAll(a)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(n);
      ink.push(...range.getClientRects());
    }
    for (const pic of el.querySelectorAll('canvas, svg, button, input, img')) ink.push(pic.getBoundingClientRect());
  }
  return ink.some(meets);
}"""


@pytest.mark.parametrize("size", [(1024, 768), (1366, 768), (1920, 1080)])
def test_a_step_s_arithmetic_is_on_screen_and_clear_of_the_corner_buttons(browser, server_url, size):
    """Presenting, stepping the filter: the grids leave room for the transport and the whole arithmetic
    (the window's values and every product), and the Class and presenter buttons cover none of it."""
    with open_page(browser) as page:
        page.set_viewport_size({"width": size[0], "height": size[1]})
        open_playground(page, server_url, "?present=1&t=3")
        page.locator(".arith-line").first.wait_for()
        page.wait_for_selector(".class-chip")
        height = page.evaluate("innerHeight")
        for part in (".arith-head", ".arith-body", "section.transport"):
            box = page.locator(part).first.bounding_box()
            assert box is not None and box["y"] + box["height"] <= height, f"{part} runs off the screen"
            for corner in (".class-chip", ".presenter-bar"):
                assert not page.evaluate(OVERLAP, [part, corner]), f"{corner} covers {part}"
        # The grids still fill their share: numbers in every cell (tests/browser/widgets/test_playground_fit.py).
        assert page.evaluate("window.convscope.views.inputView.grid(0).layout.cell") >= 33
        screenshot(page, f"presenter-playground-step-{size[0]}")
