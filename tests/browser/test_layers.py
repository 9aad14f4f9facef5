"""The /layers page in real Chromium: pooling (shape, formula, winners, shift, stepping) and
activations (engine values, the curve marker). Expectations come from the engine, run on the
data the page itself holds (window.convscopeLayers)."""

from __future__ import annotations

import numpy as np

from engine import conv2d
from engine.activations import activation
from engine.pool import max_pool2d

from .conftest import screenshot
from .playground_helpers import number

POOL = "window.convscopeLayers.pool.inspect()"
ACT = "window.convscopeLayers.activation.inspect()"


def open_layers(page, server_url: str, query: str = ""):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}layers{query}")
    page.wait_for_function("document.querySelector('#pool-widget').dataset.ready && document.querySelector('#activation-widget').dataset.ready")


def shape_text(page) -> str:
    return page.locator('[data-shape="output"]').inner_text()


def wait_output_shape(page, text: str):
    page.wait_for_function("t => document.querySelector('[data-shape=\"output\"]').textContent === t", arg=text)


def set_slider(page, selector: str, value: int):
    page.eval_on_selector(selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def pool_arrays(page):
    d = page.evaluate(f"(() => {{ const p = {POOL}; return {{input: p.input, output: p.output}}; }})()")
    x = np.array(d["input"]["values"], np.float32).reshape(1, 1, d["input"]["height"], d["input"]["width"])  # (1, 1, H, W)
    y = np.array(d["output"]["values"], np.float32).reshape(d["output"]["shape"])  # (C, OH, OW)
    return x, y


def test_stride_changes_the_output_shape_and_the_formula(page, server_url):
    open_layers(page, server_url)
    wait_output_shape(page, "4 × 4 × 1")  # 8×8 input, window 2, stride 2
    formula = page.locator(".pool-formula .formula-math")
    assert "8" in formula.inner_text() and formula.inner_text().replace("\n", "").endswith("4")
    set_slider(page, "#pool-stride", 1)
    wait_output_shape(page, "7 × 7 × 1")
    assert formula.inner_text().replace("\n", "").endswith("7")
    assert "unchanged" in page.locator(".channels-note").inner_text()
    screenshot(page, "layers-stride1")
    # 7×7 input, 2×2 window at stride 2: the engine's does-not-fit sentence, output floored.
    open_layers(page, server_url, "?pn=7")
    wait_output_shape(page, "3 × 3 × 1")
    problem = page.locator(".pool-formula .problem-text").inner_text()
    assert "does not fit" in problem and "7×7" in problem, problem
    assert page.locator(".pool-formula").get_attribute("class").count("has-problem") == 1
    screenshot(page, "layers-does-not-fit")


def test_max_pooling_equals_the_engine_and_marks_the_winner(page, server_url):
    open_layers(page, server_url, "?pin=random&pseed=3")
    x, y = pool_arrays(page)
    expected, winners = max_pool2d(x, 2, 2)
    np.testing.assert_array_equal(y, expected[0])
    labels = page.evaluate(f"{POOL}.outputLabels")
    shown = np.array([[number(t) for t in row] for row in labels])
    np.testing.assert_allclose(shown, expected[0, 0], atol=0.006)
    # Step to the first window: the winner cell is marked, and it is the engine's argmax.
    page.locator(".pool-stage").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 0")
    step = page.evaluate(f"{POOL}.step")
    w = x.shape[3]
    assert step["winner"] == [int(winners[0, 0, 0, 0]) // w, int(winners[0, 0, 0, 0]) % w]
    winner_cell = page.locator(".running-table td.winner")
    assert winner_cell.count() == 1
    assert number(winner_cell.inner_text()) == round(float(expected[0, 0, 0, 0]), 2)


def test_arrow_keys_step_the_window_and_show_the_running_max(page, server_url):
    open_layers(page, server_url, "?pin=seed003")  # 6×6: 3×3 output
    page.locator(".pool-stage").focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 1")
    x, y = pool_arrays(page)
    window = x[0, 0, 0:2, 2:4].ravel()  # second window, reading order
    running = [number(t) for t in page.locator(".running-table tr").nth(1).locator("td").all_inner_texts()]
    np.testing.assert_allclose(running, np.maximum.accumulate(window), atol=0.006)
    assert page.locator(".step-label").inner_text().startswith("Step 2 of 9")
    assert "max = " in page.locator(".step-result").inner_text()
    screenshot(page, "layers-step")
    page.keyboard.press("PageUp")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 0")
    page.keyboard.press("Escape")
    page.wait_for_function(f"{POOL}.step === null")


def test_shifting_rings_exactly_the_pooled_cells_the_engine_left_unchanged(page, server_url):
    open_layers(page, server_url, "?pin=digit")
    x0, _ = pool_arrays(page)
    page.get_by_role("button", name="Shift one pixel →").click()
    page.wait_for_function(f"{POOL}.unchanged !== null")
    x1, _ = pool_arrays(page)
    np.testing.assert_array_equal(x1[0, 0], np.roll(x0[0, 0], 1, axis=1))  # the page's data, moved one pixel
    before, _ = max_pool2d(x0, 2, 2)
    after, _ = max_pool2d(x1, 2, 2)
    same = sorted(map(list, zip(*np.nonzero(before[0, 0] == after[0, 0]))))
    assert sorted(page.evaluate(f"{POOL}.unchanged")) == [[int(r), int(c)] for r, c in same]
    assert f"{len(same)} of 16" in page.locator(".shift-note").inner_text()
    page.wait_for_function("location.search.includes('pin=custom')")
    screenshot(page, "layers-shift")


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


def test_painting_a_cell_moves_the_winner_and_the_engine_agrees(page, server_url):
    open_layers(page, server_url, "?pin=seed003&pk=2&ps=2")
    wait_output_shape(page, "3 × 3 × 1")
    before, _ = pool_arrays(page)
    grid = page.locator('[data-grid="input"]')
    cell = grid.bounding_box()["width"] / 6
    grid.click(position={"x": 0.5 * cell, "y": 0.5 * cell})  # cell (0, 0): 3 becomes the picture's max, 9
    page.wait_for_function(f"{POOL}.input.values[0] === 9")
    x, y = pool_arrays(page)
    assert x[0, 0, 0, 0] == before.max() and np.array_equal(np.delete(x.ravel(), 0), np.delete(before.ravel(), 0))
    np.testing.assert_array_equal(y, max_pool2d(x, 2, 2)[0][0])
    assert y[0, 0, 0] == 9  # the top-left window's winner is the painted cell now
    assert "pin=custom" in page.evaluate("window.convscopeLayers.store.flush(), location.search")
