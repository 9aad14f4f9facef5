"""The playground on a projector and a phone: it fits each of the six screens
without sideways scrolling, its grids grow with the room, numbers are 18 px at 1024×768,
cells too small for numbers say so and offer the zoom, and touch draws, drags and steps."""

from __future__ import annotations

import pytest

from app.features.pictures import input_image

from ..conftest import screenshot
from ..helpers import assert_shows
from .playground_helpers import floats_b64, open_playground, step_label, wait_shape

SCREENS = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080), (390, 844), (844, 390)]
PHOTO227 = "?in=photo&h=227&w=227&k=11&s=4&kp=random"
VOLUME = "?in=photo&h=227&w=227&k=11&s=4&kp=random&c=3&f=16"

# What sticks out on the right of the window (hidden screen-reader tables aside), and the page's width.
OVERFLOW = """() => ({
  scrollWidth: document.documentElement.scrollWidth,
  width: window.innerWidth,
  out: [...document.querySelectorAll('body *')]
    .filter(e => !e.closest('.visually-hidden') && e.getClientRects().length)
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map(e => e.tagName.toLowerCase() + '.' + e.className).slice(0, 5),
})"""


def assert_fits(page, where: str):
    page.wait_for_timeout(150)  # a resize redraws on the next frame
    fit = page.evaluate(OVERFLOW)
    assert fit["scrollWidth"] <= fit["width"], f"{where}: {fit}"
    assert not fit["out"], f"{where}: {fit['out']} stick out"


def number_px(page, selector: str) -> float:
    return float(page.locator(selector).first.get_attribute("data-number-px"))


@pytest.mark.parametrize(("w", "h"), SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_default_fits_every_screen(page, server_url, w, h):
    page.set_viewport_size({"width": w, "height": h})
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    assert_fits(page, f"default at {w}×{h}")
    # The default's numbers stay in the cells everywhere, so no zoom is offered.
    assert number_px(page, ".input-view canvas") >= 12
    assert page.locator("#zoom-note").is_hidden()


@pytest.mark.parametrize("query", [PHOTO227, VOLUME], ids=["photo227", "volume227x3x16"])
def test_large_setups_fit_every_screen(page, server_url, query):
    open_playground(page, server_url, query)
    page.wait_for_function("() => window.convscope.lastResult !== null")
    widths = {}
    for w, h in SCREENS:
        page.set_viewport_size({"width": w, "height": h})
        page.wait_for_timeout(200)
        assert_fits(page, f"{query} at {w}×{h}")
        box_in = page.locator(".input-view canvas").first.bounding_box()
        box_out = page.locator(".output-canvas").bounding_box()
        # Input and output at comparable scale: neither map is a speck beside the other.
        assert 0.5 <= box_out["width"] / box_in["width"] <= 2, (w, h, box_in, box_out)
        widths[(w, h)] = box_in["width"]
        # Too small for numbers: said, with the zoom offered.
        assert page.locator("#zoom-note").is_visible()
    # The maps grow with the room.
    assert widths[(1920, 1080)] > widths[(1024, 768)] > 120
    if "f=16" in query:
        thumbs = page.locator("#thumbs .thumb")
        assert thumbs.count() == 16
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_timeout(200)
        assert page.locator("#thumbs").bounding_box()["width"] <= 1024
    # A step: the zoom, the arithmetic and its 11×11 products still fit, on the projector and the phone.
    page.locator("#stage").focus()
    page.keyboard.press("ArrowRight")
    page.locator("#zoom").wait_for(state="visible")
    page.locator(".arith-line").first.wait_for()
    for w, h in [(1024, 768), (390, 844)]:
        page.set_viewport_size({"width": w, "height": h})
        assert_fits(page, f"{query}, step 1, at {w}×{h}")


def test_widget_page_fits_every_screen(page, server_url):
    page.goto(f"{server_url}widget/playground")
    page.wait_for_function("() => document.querySelector('#output-shape')?.textContent === '5 × 5'")
    for w, h in SCREENS:
        page.set_viewport_size({"width": w, "height": h})
        assert_fits(page, f"/widget/playground at {w}×{h}")


def test_numbers_are_18px_at_1024_and_grow_on_a_bigger_screen(page, server_url):
    page.set_viewport_size({"width": 1024, "height": 768})
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    assert number_px(page, ".input-view canvas") >= 18
    assert number_px(page, ".output-canvas") >= 18
    cell_1024 = page.evaluate("window.convscope.views.inputView.grid(0).layout.cell")
    # The formula's note stays inside its box.
    box = page.locator("#formula").bounding_box()
    note = page.locator('[data-axis="params"] .formula-note').bounding_box()
    assert note["x"] + note["width"] <= box["x"] + box["width"]
    screenshot(page, "playground-fit-default-1024x768")
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(200)
    assert page.evaluate("window.convscope.views.inputView.grid(0).layout.cell") > cell_1024


def test_numbers_never_vanish_silently(page, server_url):
    """Each map either draws its numbers or the page says they are too small and offers the zoom."""
    page.set_viewport_size({"width": 1280, "height": 800})
    open_playground(page, server_url, "?in=random&h=5&w=5&p=2")
    wait_shape(page, "7 × 7")
    drawn = min(number_px(page, ".input-view canvas"), number_px(page, ".output-canvas"))
    assert drawn >= 12 or page.locator("#zoom-note").is_visible()
    assert page.evaluate("window.convscope.views.inputView.grid(0).label(0, 0)") == "0"  # the padding's zeros

    open_playground(page, server_url, PHOTO227)
    wait_shape(page, "55 × 55")
    note = page.locator("#zoom-note")
    note.wait_for(state="visible")
    assert "too small for numbers" in note.inner_text()
    assert number_px(page, ".input-view canvas") == 0
    page.locator(".zoom-button").click()  # the zoom: the first window and its output cell, with numbers
    zoom = page.locator("#zoom")
    zoom.wait_for(state="visible")
    page.wait_for_function("() => window.convscope.views.magnifier.grid(0)?.label(0, 0) != null")
    window = input_image("photo", 227, 227, 1)[0, :11, :11]  # (11, 11) the preset's top-left, step 0's window
    shown = page.evaluate(
        "() => { const g = window.convscope.views.magnifier.grid(0);"
        " return Array.from({length: 11}, (_, r) => Array.from({length: 11}, (_, c) => g.label(r, c))); }"
    )
    assert_shows(shown, window, what="magnified window")
    assert number_px(page, "#zoom canvas") >= 11
    # The 11×11 kernel's fields are narrow: the one pointed at is read out in full.
    page.get_by_label("Filter 1, row 6, column 6").hover()
    readout = page.locator(".kernel-readout")
    readout.wait_for(state="visible")
    assert readout.inner_text().startswith("Filter 1, row 6, column 6: ")


def test_every_step_key_is_applied_in_order(page, server_url):
    open_playground(page, server_url, VOLUME)
    wait_shape(page, "55 × 55 × 16")
    page.locator("#stage").focus()
    for key in ["ArrowRight", "ArrowRight", "ArrowLeft", "ArrowRight", "ArrowRight", "ArrowRight", "ArrowRight"]:
        page.keyboard.press(key)
        page.wait_for_timeout(50)
    # −1 → 0, 1, 0, 1, 2, 3, 4
    page.wait_for_function("() => window.convscope.frame.step === 4 && window.convscope.frame.progress === 1")
    page.wait_for_timeout(300)
    assert page.evaluate("window.convscope.frame.step") == 4
    assert step_label(page) == f"Step 5 of {55 * 55}"


def test_kernel_slider_on_a_chosen_step_reports_no_error(page, server_url):
    """/playground?t=8, the kernel-size slider focused, → : the arithmetic follows, no TypeError."""
    open_playground(page, server_url, "?t=8")
    page.wait_for_function("() => document.querySelectorAll('.arith-line .term').length === 9")
    slider = page.locator("#ctl-kernel")
    slider.focus()
    slider.press("ArrowRight")
    wait_shape(page, "4 × 4")
    page.wait_for_function("() => document.querySelectorAll('.arith-line .term').length === 16")
    slider.press("ArrowRight")
    wait_shape(page, "3 × 3")
    page.wait_for_function("() => document.querySelectorAll('.arith-line .term').length === 25")


def test_an_example_opens_on_its_whole_output(page, server_url):
    open_playground(page, server_url, "?t=6")
    page.wait_for_function("() => document.querySelector('#step-label').textContent === 'Step 7 of 25'")
    page.locator('[data-scenario="seed002"]').click()
    wait_shape(page, "3 × 3 × 2")
    page.wait_for_function("() => document.querySelector('#step-label').textContent === 'Whole output · 9 steps'")
    assert page.evaluate("window.convscope.state.step") == -1


def test_touch_on_a_phone(browser, server_url):
    """390×844 with touch: a tap paints the input, a drag moves a slider, a tap on ▶| steps."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        open_playground(page, server_url)
        wait_shape(page, "5 × 5")
        assert_fits(page, "phone")
        screenshot(page, "playground-fit-default-390x844")
        canvas = page.locator(".input-view canvas").first
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        cell = box["width"] / 7
        before = page.evaluate("window.convscope.data.input.values[0]")
        assert before == -1
        page.touchscreen.tap(box["x"] + cell / 2, box["y"] + cell / 2)  # row 1, column 1 → the brush's 1
        page.wait_for_function("() => window.convscope.data.input.values[0] === 1")

        slider = page.locator("#ctl-stride")
        slider.scroll_into_view_if_needed()
        s = slider.bounding_box()
        cdp = context.new_cdp_session(page)
        y = s["y"] + s["height"] / 2
        touch = lambda kind, x: cdp.send(  # noqa: E731
            "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [] if kind == "touchEnd" else [{"x": x, "y": y}]}
        )
        touch("touchStart", s["x"] + 4)
        for i in range(1, 11):
            touch("touchMove", s["x"] + 4 + i * (s["width"] * 0.3) / 10)
        touch("touchEnd", 0)
        page.wait_for_function("() => window.convscope.state.stride > 1")

        nxt = page.locator('.transport [data-cmd="next"]')
        nxt.scroll_into_view_if_needed()
        nxt.tap()
        page.wait_for_function("() => document.querySelector('#step-label').textContent.startsWith('Step 1 of')")
        assert not errors, errors
    finally:
        context.close()


def test_small_numbers_use_one_minus_sign(page, server_url):
    """ "−3.3e−4" and "4.1e−4", never "−3.3e-4" beside "4.1e−4"."""
    kernel = [-0.00033, 0.00041, 0, 0, 1, 0, 0, 0, 0]
    open_playground(page, server_url, f"?kp=custom&kv={floats_b64(kernel)}&t=0")
    page.wait_for_function("() => document.querySelectorAll('.arith-line .term').length === 9")
    line = page.locator(".arith-line").first.inner_text()
    assert "\u22123.3e\u22124\u00d7(\u22121)" in line, line
    assert "4.1e\u22124\u00d7(\u22121)" in line, line
    assert "-" not in line, line
    assert page.get_by_label("Filter 1, row 1, column 1").input_value() == "\u22123.3e\u22124"
