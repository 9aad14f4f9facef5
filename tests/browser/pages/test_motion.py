"""Motion a person can stop, and motion a person asked not to see.

WCAG 2.2.2: whatever moves for more than 5 s can be paused. Every widget that plays (the sliding
filter, backprop, pooling and 1-D convolution steps, augmentation's epochs, normalization's walk,
X-vs-O training) stops on K, the page's one pause key, on its own page and inside a lesson.
prefers-reduced-motion (Playwright's reduced_motion="reduce"): a step lands at once (no tween,
no CSS transition); the same check without the preference sees the tween, so it can fail."""

from __future__ import annotations

import pytest

from ..conftest import open_page

READY = "document.querySelector('#widget').dataset.ready === 'true'"
W = "window.convscopeWidget"

# Per widget: how to start it playing, what moves (a JS expression), and whether it says it plays.
PLAYERS = {
    "playground": ("#widget .transport .play", f"{W}.store.get().step", f"{W}.widget.inspect().frame.playing"),
    "backprop": ("#widget .play", f"{W}.widget.inspect().step", f"{W}.widget.inspect().playing"),
    "pool": ("#widget [data-step='play']", f"{W}.store.get().poolStep", None),
    "conv1d": ("#widget [data-step='play']", f"{W}.store.get().c1Step", None),
    "augment": ("#widget .play-epochs", f"{W}.store.get().agSeed", None),
    "norm": ("space", f"{W}.widget.inspect().probe", None),
    "xo-train": ("#widget .xo-play", f"{W}.widget.inspect().meta?.step", f"{W}.widget.inspect().playing"),
}
LONGEST_STEP_MS = 3500  # augmentation's epoch under reduced motion (2 × 1.6 s), the slowest player


def start(page, how: str, moving: str):
    before = page.evaluate(moving)
    if how == "space":
        page.focus("#widget [data-stage]")
        page.keyboard.press("Space")
    else:
        page.click(how)
    page.wait_for_function(f"({moving}) !== {before!r}".replace("None", "undefined"), timeout=20_000)


def stays(page, moving: str) -> bool:
    """True when `moving` holds still for longer than the slowest widget's step."""
    before = page.evaluate(moving)
    page.wait_for_timeout(LONGEST_STEP_MS)  # a player that ignored the pause would step by then
    return page.evaluate(moving) == before


@pytest.mark.parametrize("type_", list(PLAYERS))
def test_k_pauses_every_widget_that_plays(page, server_url, type_):
    how, moving, playing = PLAYERS[type_]
    page.goto(f"{server_url}widget/{type_}")
    page.wait_for_function(READY, timeout=60_000)
    start(page, how, moving)
    page.locator("body").press("k")
    assert page.evaluate("document.documentElement.dataset.motion") == "paused"
    if playing:
        page.wait_for_function(f"!({playing})")
    assert stays(page, moving), f"{type_} moved on after K"


def test_k_pauses_a_widget_inside_a_lesson(page, server_url):
    page.goto(f"{server_url}lessons/pooling")
    page.wait_for_function("[...document.querySelectorAll('figure.lesson-widget')].every(f => f.dataset.ready)")
    figure = "figure.lesson-widget"
    page.locator(f"{figure} [data-step='play']").first.scroll_into_view_if_needed()
    cells = f"document.querySelector('{figure} .step-label').textContent"
    before = page.evaluate(cells)
    page.locator(f"{figure} [data-step='play']").first.click()
    page.wait_for_function(f"{cells} !== {before!r}")
    page.locator("body").press("k")
    assert page.locator(f"{figure} [data-step='play']").first.inner_text() == "Play"
    assert stays(page, cells)


# ---------------------------------------------------------------- reduced motion

# Every animation frame's tween progress after one step forward, for 1.2 s (longer than a tween).
PROGRESS = """async (read) => {
  const get = Function(`return ${read}`);
  const seen = [];
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => { seen.push(get()); performance.now() - t0 < 1200 ? requestAnimationFrame(tick) : resolve(); };
    requestAnimationFrame(tick);
  });
  return Math.min(...seen);
}"""
TWEENS = {"playground": f"{W}.widget.inspect().frame.progress", "backprop": f"{W}.widget.inspect().progress"}


@pytest.mark.parametrize("type_", list(TWEENS))
@pytest.mark.parametrize("reduce", [True, False], ids=["reduced", "full"])
def test_a_step_tweens_only_without_reduced_motion(browser, server_url, type_, reduce):
    with open_page(browser) as page:
        page.emulate_media(reduced_motion="reduce" if reduce else "no-preference")
        page.goto(f"{server_url}widget/{type_}")
        page.wait_for_function(READY, timeout=60_000)
        page.focus("#widget [data-stage]")
        page.keyboard.press("ArrowRight")  # step 1: a jump from the whole output
        page.wait_for_timeout(300)
        page.keyboard.press("ArrowRight")  # step 2: a step forward, the one that tweens
        lowest = page.evaluate(PROGRESS, TWEENS[type_])
        assert (lowest == 1) is reduce, lowest


# Transitions and animations the page runs (CSS), seen while a step lands.
RUNNING = """async () => {
  let most = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = () => {
      most = Math.max(most, document.getAnimations().filter((a) => a.playState === 'running').length);
      performance.now() - t0 < 500 ? requestAnimationFrame(tick) : resolve();
    };
    requestAnimationFrame(tick);
  });
  return most;
}"""


@pytest.mark.parametrize("reduce", [True, False], ids=["reduced", "full"])
def test_the_1d_window_slides_only_without_reduced_motion(browser, server_url, reduce):
    with open_page(browser) as page:
        page.emulate_media(reduced_motion="reduce" if reduce else "no-preference")
        page.goto(f"{server_url}widget/conv1d")
        page.wait_for_function(READY, timeout=60_000)
        page.click("#widget [data-step='next']")
        page.wait_for_timeout(600)  # the first step shows the window (not an assertion)
        page.evaluate("document.querySelector('#widget [data-step=\"next\"]').click()")
        running = page.evaluate(RUNNING)
        assert (running == 0) is reduce, running
