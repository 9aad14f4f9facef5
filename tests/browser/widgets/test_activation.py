"""The activation widget on /layers in real Chromium: the engine's values and the curve marker.
Expectations come from the engine, run on the data the page itself holds (window.convscopeLayers)."""

from __future__ import annotations

import numpy as np

from engine import conv2d
from engine.activations import activation

from ..conftest import screenshot
from ..helpers import number, open_layers, wait_output_shape

ACT = "window.convscopeLayers.activation.inspect()"


def test_sigmoid_output_equals_the_engine_and_hover_marks_the_curve(page, server_url):
    open_layers(page, server_url)
    page.select_option("#act-name", "sigmoid")
    page.wait_for_function(f"{ACT}.meta.name === 'sigmoid'")
    d = page.evaluate(f"{ACT}.input")
    x = np.array(d["values"], np.float32).reshape(d["height"], d["width"])
    expected = activation("sigmoid", x)
    assert number(page.evaluate(f"{ACT}.afterLabel(2, 3)")) == round(float(expected[2, 3]), 2)
    assert number(page.evaluate(f"{ACT}.beforeLabel(2, 3)")) == round(float(x[2, 3]), 1)  # numbers in both maps
    np.testing.assert_allclose(page.evaluate(f"{ACT}.output"), expected.ravel(), atol=1e-6)
    assert page.locator('[data-control="param"]').is_hidden()
    # Hover the input cell (2, 3): the curve marker sits at that cell's input and output.
    grid = page.locator('[data-grid="before"]')
    cell = grid.bounding_box()["width"] / d["width"]
    grid.hover(position={"x": 3.5 * cell, "y": 2.5 * cell})  # scrolls the grid into view first
    page.wait_for_function(f"{ACT}.marker !== null")
    marker = page.evaluate(f"{ACT}.marker")
    assert (marker["r"], marker["c"]) == (2, 3)
    assert abs(marker["x"] - x[2, 3]) < 1e-6 and abs(marker["y"] - expected[2, 3]) < 1e-6
    assert page.locator(".marker-label").inner_text().startswith("x = ")
    page.wait_for_function("location.search.includes('a=sigmoid')")
    screenshot(page, "layers-sigmoid-hover")


def test_seed001_detector_and_the_keyboard_marker(page, server_url):
    """sigm(0.02·(x ∗ k) − 4) on seed 001's input, all from the engine; arrows walk the curve marker."""
    open_layers(page, server_url)
    page.locator('[data-act-input="seed001"]').click()
    page.wait_for_function(f"{ACT}.meta.name === 'sigmoid' && {ACT}.input.height === 2")
    d = page.evaluate(f"{ACT}.input")
    z = np.array(d["values"], np.float32).reshape(2, 2)  # (2, 2) the pre-activation the page shows
    x = np.array([[0, 80, 40], [20, 40, 0], [0, 0, 40]], np.float32)[None, None]  # (1, 1, 3, 3) seed 001
    k = np.array([[0, 0.25], [0.5, 1]], np.float32)[None, None]  # (1, 1, 2, 2)
    np.testing.assert_allclose(z, conv2d(x, 0.02 * k, np.array([-4], np.float32), flip=True)[0, 0], rtol=1e-6)
    np.testing.assert_allclose(page.evaluate(f"{ACT}.output"), activation("sigmoid", z).ravel(), atol=1e-6)
    assert page.locator(".act-detector").is_visible()
    page.locator('[data-grid="before"]').focus()
    page.keyboard.press("ArrowRight")  # the first press marks the top-left cell
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{ACT}.marker && {ACT}.marker.c === 1")
    marker = page.evaluate(f"{ACT}.marker")
    assert (marker["r"], marker["c"]) == (0, 1) and abs(marker["y"] - activation("sigmoid", z)[0, 1]) < 1e-6
    assert page.evaluate("window.convscopeLayers.store.get().poolStep") == -1  # the arrows did not step the pooling
    screenshot(page, "layers-seed001-detector")


def test_leaky_relu_shows_its_slope_slider_and_a_bad_link_falls_back(page, server_url):
    open_layers(page, server_url, "?a=leaky_relu&ap=0.2&pk=99")
    page.wait_for_function(f"{ACT}.meta.param === 0.2")
    assert page.locator('[data-control="param"]').is_visible()
    assert page.locator('#activation-widget [data-act="param-val"]').inner_text() == "0.2"
    wait_output_shape(page, "4 × 4 × 1")  # pk=99 is out of range: the default window 2
