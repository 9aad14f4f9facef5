"""How the playground looks on a projector: screenshots at 1280×800 and 1920×1080 (to look
at, under screenshots/), plus the layout promises that can be checked: the formula and
the grids on screen without scrolling, numbers at least 16 px, nothing spilling sideways."""

from __future__ import annotations

import pytest

from ..conftest import screenshot
from .playground_helpers import open_playground, wait_shape

SIZES = {"1280": (1280, 800), "1920": (1920, 1080)}


def _layout_checks(page, height: int):
    page.wait_for_timeout(100)
    formula = page.locator("#formula").bounding_box()
    assert formula["y"] + formula["height"] <= height, "the formula is below the fold"
    grids = page.locator("#stage").bounding_box()
    assert grids["y"] + grids["height"] <= height, "the grids do not fit on screen"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    # The smallest text on the page (controls, notes, labels) is at least 16 px.
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('body *')]
        .filter(e => e.offsetParent && e.childNodes.length &&
            [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .filter(e => !e.closest('.visually-hidden, math'))
        .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 16, f"text as small as {smallest}px"


@pytest.mark.parametrize("size", SIZES)
def test_default_setup(page, server_url, size):
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    page.locator("#stage").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#running-sum').textContent !== ''")
    _layout_checks(page, h)
    assert page.locator(".arith-line").bounding_box()["y"] < h, "the arithmetic is below the fold"
    screenshot(page, f"playground-default-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_photo_with_sobel_and_padding(page, server_url, size):
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    open_playground(page, server_url, "?in=photo&h=16&w=16&kp=sobel_x&p=1&t=40")
    wait_shape(page, "16 × 16")
    page.wait_for_function("() => document.querySelector('#step-label').dataset.step === '40'")
    page.mouse.move(0, 0)
    _layout_checks(page, h)
    screenshot(page, f"playground-photo-sobel-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_seed002_volume(page, server_url, size):
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    open_playground(page, server_url, "?in=seed002&h=5&w=5&c=3&kp=seed002&f=2&s=2&p=1&t=4")
    wait_shape(page, "3 × 3 × 2")
    page.locator(".arith-total").wait_for()
    _layout_checks(page, h)
    screenshot(page, f"playground-seed002-{size}")


def test_large_input_and_a_problem(page, server_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_playground(page, server_url, "?in=photo&h=64&w=64&k=5&s=2&kp=gaussian&d=2")
    wait_shape(page, "28 × 29".replace("29", "28"))  # (64 − 2×4 − 1)/2 + 1 = 28.5 → 28
    page.locator(".problem-text").wait_for()
    _layout_checks(page, 1080)
    screenshot(page, "playground-photo64-dilated-1920")


def test_error_state(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    page.get_by_label("Filter 1, row 2, column 2").fill("5e8")
    page.locator('[data-alert="kernelValues"]').wait_for(state="visible")
    _layout_checks(page, 800)
    screenshot(page, "playground-error-1280")
