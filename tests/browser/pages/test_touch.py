"""A student's phone (390×844, a touch screen, a mobile browser): a finger drags a slider's thumb,
draws on the X-vs-O pad and on the playground's input, and taps the step buttons. The touches are
the browser's own touch events (CDP Input.dispatchTouchEvent), as a phone sends them."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from ..conftest import screenshot

READY_MS = 60_000


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, reduced_motion="reduce"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert not errors, errors


def open_widget(page, url: str, type_: str, query: str = ""):
    page.goto(f"{url}widget/{type_}{query}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'", timeout=READY_MS)


def box_of(page, selector: str) -> dict:
    page.locator(selector).first.scroll_into_view_if_needed()
    return page.locator(selector).first.bounding_box()


@contextmanager
def finger(page):
    """A finger on the screen: yields move(x, y) (the first call touches down); lifted at the end."""
    cdp = page.context.new_cdp_session(page)
    down = False

    def move(x: float, y: float):
        nonlocal down
        kind = "touchMove" if down else "touchStart"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        down = True

    yield move
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def stroke(page, points: list[tuple[float, float]], substeps: int = 4):
    """Drag a finger through `points`, with a few moves between each two (as a finger reports)."""
    with finger(page) as move:
        move(*points[0])
        for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
            for i in range(1, substeps + 1):
                move(x0 + (x1 - x0) * i / substeps, y0 + (y1 - y0) * i / substeps)


def test_a_finger_drags_the_playgrounds_stride_slider(phone, server_url):
    open_widget(phone, server_url, "playground")
    slider = "#widget [data-key='stride']"
    low, high = (int(phone.get_attribute(slider, a)) for a in ("min", "max"))
    assert phone.evaluate("convscopeWidget.store.get().stride") == low and high > low + 1
    box = box_of(phone, slider)
    y = box["y"] + box["height"] / 2
    start = box["x"] + 8  # the thumb, at the low end
    stroke(phone, [(start, y), (box["x"] + box["width"] - 4, y)], substeps=10)
    phone.wait_for_function(f"convscopeWidget.store.get().stride === {high}")
    assert phone.evaluate("scrollX") == 0  # the finger moved the thumb, not the page
    assert phone.input_value(slider) == str(high)


def test_a_finger_draws_on_the_playgrounds_input(phone, server_url):
    # A blank 7×7 input (all zeros), brush +1: a stroke along the top row inks cells there.
    open_widget(phone, server_url, "playground", "?in=zeros")
    page = phone
    canvas = "#widget .input-view canvas"
    box = box_of(page, canvas)
    before = page.evaluate("Array.from(convscopeWidget.widget.inspect().data.input.values)")
    assert not any(before)
    cell = box["width"] / 7
    y = box["y"] + cell / 2
    stroke(page, [(box["x"] + cell / 2, y), (box["x"] + 4.5 * cell, y)])
    page.wait_for_function("convscopeWidget.store.get().input === 'custom'")
    values = page.evaluate("Array.from(convscopeWidget.widget.inspect().data.input.values)")
    assert values[:5] == [1, 1, 1, 1, 1]  # the top row, left to right, under the finger
    assert not any(values[7:])  # nothing below it
    screenshot(page, "touch-playground-drawn-390")


def test_a_finger_draws_on_the_x_vs_o_pad(phone, server_url):
    open_widget(phone, server_url, "xo-draw", "?ds=blank")
    page = phone
    box = box_of(page, ".xo-pad")
    size = page.evaluate("convscopeWidget.widget.inspect().size")
    assert page.evaluate("convscopeWidget.widget.inspect().grid").count(1) == 0
    cell = box["width"] / size
    # A diagonal stroke from the top-left corner to the bottom-right one.
    stroke(
        page,
        [
            (box["x"] + cell / 2, box["y"] + cell / 2),
            (box["x"] + box["width"] - cell / 2, box["y"] + box["height"] - cell / 2),
        ],
    )
    page.wait_for_function("convscopeWidget.store.get().xoDrawSample === 'custom'")
    grid = page.evaluate("convscopeWidget.widget.inspect().grid")
    diagonal = [grid[i * size + i] for i in range(size)]
    assert diagonal == [1] * size  # every cell the finger crossed is ink
    assert grid.count(1) < 2 * size  # and not much else
    # The maps follow the drawing: the engine classified what was drawn.
    page.wait_for_function(
        "JSON.stringify(convscopeWidget.widget.inspect().mapsGrid) === "
        "JSON.stringify(convscopeWidget.widget.inspect().grid)"
    )
    screenshot(page, "touch-xo-drawn-390")


@pytest.mark.parametrize(
    ("type_", "button", "step"),
    [
        ("playground", "#widget .transport [data-cmd='next']", "convscopeWidget.store.get().step"),
        ("pool", "#widget [data-step='next'], #widget [data-cmd='next']", "convscopeWidget.store.get().poolStep"),
        ("conv1d", "#widget [data-step='next']", "convscopeWidget.store.get().c1Step"),
    ],
)
def test_a_tap_on_step_moves_one_step(phone, server_url, type_, button, step):
    open_widget(phone, server_url, type_)
    assert phone.evaluate(step) == -1
    phone.locator(button).first.scroll_into_view_if_needed()
    phone.locator(button).first.tap()
    phone.wait_for_function(f"{step} === 0")
    phone.locator(button).first.tap()
    phone.wait_for_function(f"{step} === 1")
