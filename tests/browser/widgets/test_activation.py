"""The activation widget on /layers in real Chromium: the numbers in both maps and the curve marker.
Expected values are computed here in NumPy from the input each test chose (the seeded random map,
seed 001's detector), never from what the page reports."""

from __future__ import annotations

import numpy as np

from ..conftest import screenshot
from ..helpers import assert_shows, fmt, open_layers, wait_output_shape

ACT = "window.convscopeLayers.activation.inspect()"
# The default feature map: "random" with seed 0, values from −3 to 3 at one decimal, 6×6.
RANDOM_MAP = np.random.default_rng(0).uniform(-3, 3, (6, 6)).round(1).astype(np.float32)  # (6, 6)


def sigmoid(z):
    return 1 / (1 + np.exp(-np.asarray(z, np.float64)))


def assert_maps_show(page, before, after, decimals=2):
    """Both grids' numbers, every cell, as the page writes them (``decimals`` as in assert_shows)."""
    for name, expected in (("before", before), ("after", after)):
        h, w = expected.shape
        labels = page.evaluate(
            f"Array.from({{length: {h}}}, (_, r) => Array.from({{length: {w}}}, (_, c) => {ACT}.{name}Label(r, c)))"
        )
        assert_shows(labels, expected, decimals=decimals, what=f"{name} map")


def test_sigmoid_output_equals_the_engine_and_hover_marks_the_curve(page, server_url):
    open_layers(page, server_url)
    page.select_option("#act-name", "sigmoid")
    page.wait_for_function(f"{ACT}.meta.name === 'sigmoid'")
    x = RANDOM_MAP
    expected = sigmoid(x)  # (6, 6)
    assert_maps_show(page, x, expected)
    np.testing.assert_allclose(page.evaluate(f"{ACT}.output"), expected.ravel(), atol=1e-6)
    assert page.locator('[data-control="param"]').is_hidden()
    # Hover the input cell (2, 3): the curve marker sits at that cell's input and output.
    grid = page.locator('[data-grid="before"]')
    cell = grid.bounding_box()["width"] / 6
    grid.hover(position={"x": 3.5 * cell, "y": 2.5 * cell})  # scrolls the grid into view first
    page.wait_for_function(f"{ACT}.marker !== null")
    marker = page.evaluate(f"{ACT}.marker")
    assert (marker["r"], marker["c"]) == (2, 3)
    assert abs(marker["x"] - x[2, 3]) < 1e-6 and abs(marker["y"] - expected[2, 3]) < 1e-6
    assert page.locator(".marker-label").inner_text() == f"x = {fmt(x[2, 3])} → y = {fmt(expected[2, 3])}"
    page.wait_for_function("location.search.includes('a=sigmoid')")
    screenshot(page, "layers-sigmoid-hover")


def test_seed001_detector_and_the_keyboard_marker(page, server_url):
    """sigm(0.02·(x ∗ k) − 4) on seed 001's input, computed here; arrows walk the curve marker."""
    open_layers(page, server_url)
    page.locator('[data-act-input="seed001"]').click()
    page.wait_for_function(f"{ACT}.meta.name === 'sigmoid' && {ACT}.input.height === 2")
    # Seed 001's x ∗ k is 45, 110, 40, 40; the detector scales by 0.02 and adds −4.
    z = 0.02 * np.array([[45, 110], [40, 40]]) - 4  # (2, 2) −3.1, −1.8, −3.2, −3.2
    assert_maps_show(page, z, sigmoid(z))
    np.testing.assert_allclose(page.evaluate(f"{ACT}.output"), sigmoid(z).ravel(), atol=1e-6)
    assert page.locator(".act-detector").is_visible()
    page.locator('[data-grid="before"]').focus()
    page.keyboard.press("ArrowRight")  # the first press marks the top-left cell
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{ACT}.marker && {ACT}.marker.c === 1")
    marker = page.evaluate(f"{ACT}.marker")
    assert (marker["r"], marker["c"]) == (0, 1) and abs(marker["y"] - sigmoid(z)[0, 1]) < 1e-6
    assert page.evaluate("window.convscopeLayers.store.get().poolStep") == -1  # the arrows did not step the pooling
    screenshot(page, "layers-seed001-detector")


def test_leaky_relu_shows_its_slope_slider_and_a_bad_link_falls_back(page, server_url):
    open_layers(page, server_url, "?a=leaky_relu&ap=0.2&pk=99")
    page.wait_for_function(f"{ACT}.meta.param === 0.2")
    assert page.locator('[data-control="param"]').is_visible()
    assert page.locator('#activation-widget [data-act="param-val"]').inner_text() == "0.2"
    wait_output_shape(page, "4 × 4 × 1")  # pk=99 is out of range: the default window 2
    # Slope 0.2 below 0; "−0.56" is too wide for these cells, so this map reads at one decimal.
    assert_maps_show(page, RANDOM_MAP, np.where(RANDOM_MAP > 0, RANDOM_MAP, 0.2 * RANDOM_MAP), decimals="fit")
