"""How the playground looks on a projector: screenshots at 1280×800 and 1920×1080 (to look
at, under screenshots/), plus the layout promises that can be checked: the formula and
the grids on screen without scrolling, numbers at least 16 px, nothing spilling sideways, and the
numbers each setup shows (computed here from the setup, with the NumPy reference)."""

from __future__ import annotations

import pytest

from app.features.pictures import input_image

from ..conftest import screenshot
from ..helpers import fmt
from .playground_helpers import (
    DIAGONAL_DOWN,
    SEED002_B,
    SEED002_W,
    SEED002_X,
    SOBEL_X,
    X7,
    assert_output_shows,
    open_playground,
    reference_output,
    wait_shape,
)

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
    expected = reference_output(X7, DIAGONAL_DOWN)[0]  # (5, 5)
    assert_output_shows(page, expected)
    # Step 2 is output cell (0, 1): the window of rows 0..2, columns 1..3, its nine products and their sum.
    terms = " + ".join(
        f"{fmt(w, 3)}×{fmt(x, 3) if x >= 0 else f'({fmt(x, 3)})'}"
        for w, x in zip(DIAGONAL_DOWN.ravel(), X7[0:3, 1:4].ravel())
    )
    assert page.locator(".arith-line").inner_text() == f"{terms} = {fmt(expected[0, 1], 3)}"
    assert page.locator("#running-sum").inner_text() == fmt(expected[0, 1], 3)
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
    assert_output_shows(page, reference_output(input_image("photo", 16, 16, 1), SOBEL_X, padding=1)[0])
    screenshot(page, f"playground-photo-sobel-{size}")


@pytest.mark.parametrize("size", SIZES)
def test_seed002_volume(page, server_url, size):
    w, h = SIZES[size]
    page.set_viewport_size({"width": w, "height": h})
    open_playground(page, server_url, "?in=seed002&h=5&w=5&c=3&kp=seed002&f=2&s=2&p=1&t=4")
    wait_shape(page, "3 × 3 × 2")
    page.locator(".arith-total").wait_for()
    _layout_checks(page, h)
    expected = reference_output(SEED002_X, SEED002_W, SEED002_B, stride=2, padding=1)  # (2, 3, 3)
    assert_output_shows(page, expected[0])
    # Step 5 is output cell (1, 1): padded rows and columns 2..4, input rows and columns 1..3.
    sums = [float((SEED002_X[c, 1:4, 1:4] * SEED002_W[0, c]).sum()) for c in range(3)]
    total = " + ".join(fmt(v, 3) for v in sums)
    assert page.locator(".arith-total").inner_text() == f"{total} + bias 1 = {fmt(expected[0, 1, 1], 3)}"
    screenshot(page, f"playground-seed002-{size}")


def test_large_input_and_a_problem(page, server_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_playground(page, server_url, "?in=photo&h=64&w=64&k=5&s=2&kp=gaussian&d=2")
    wait_shape(page, "28 × 29".replace("29", "28"))  # (64 − 2×4 − 1)/2 + 1 = 28.5 → 28
    page.locator(".problem-text").wait_for()
    _layout_checks(page, 1080)
    # The numbers this setup shows: the formula's, worked out here; a 28×28 map's cells are too small for theirs.
    size = (64 + 2 * 0 - 2 * (5 - 1) - 1) / 2 + 1
    assert size == 28.5
    assert page.locator(".problem-text").inner_text() == (
        f"(64 − 2×(5 − 1) − 1)/2 + 1 = {size:.2f}: a 5×5 filter at stride 2 does not fit a 64×64 input"
    )
    formula = page.locator("#formula")
    assert (
        formula.locator('[data-axis="height"] .formula-math').text_content().endswith(f"64+2×0−2×(5−1)−12+1={size:.2f}")
    )
    assert formula.locator('[data-axis="params"] .formula-math').text_content().endswith(f"=(5×5×1+1)×1={5 * 5 + 1}")
    assert page.locator("#zoom-note").inner_text().startswith("Cells too small for numbers")
    screenshot(page, "playground-photo64-dilated-1920")


def test_error_state(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    page.get_by_label("Filter 1, row 2, column 2").fill("5e8")
    page.locator('[data-alert="kernelValues"]').wait_for(state="visible")
    _layout_checks(page, 800)
    assert_output_shows(page, reference_output(X7, DIAGONAL_DOWN)[0])  # the last good picture stays
    screenshot(page, "playground-error-1280")
