"""The pooling widget on /layers in real Chromium: shape, formula, winners, shift, stepping, painting.
Expected numbers come from the NumPy reference (tests/engine/reference.py) run on the picture each test
chose (a seeded draw or seed 003's grid, written out here); the page's data is only checked against them."""

from __future__ import annotations

import numpy as np

from app.features.pictures import input_image

from ...engine import reference
from ..conftest import screenshot
from ..helpers import assert_shows, fmt, open_layers, set_slider, wait_output_shape
from .playground_helpers import SEED003

POOL = "window.convscopeLayers.pool.inspect()"


def pool_arrays(page):
    d = page.evaluate(f"(() => {{ const p = {POOL}; return {{input: p.input, output: p.output}}; }})()")
    x = np.array(d["input"]["values"], np.float32).reshape(
        1, 1, d["input"]["height"], d["input"]["width"]
    )  # (1, 1, H, W)
    y = np.array(d["output"]["values"], np.float32).reshape(d["output"]["shape"])  # (C, OH, OW)
    return x, y


def test_stride_changes_the_output_shape_and_the_formula(page, server_url):
    open_layers(page, server_url)
    wait_output_shape(page, "4 × 4 × 1")  # 8×8 input, window 2, stride 2
    formula = page.locator(".pool-formula .formula-math")
    # W_o = (W_i − F)/S + 1, the fraction written as numerator then denominator.
    assert formula.text_content() == f"Wo=Wi−FS+1=8−22+1={(8 - 2) // 2 + 1}"
    set_slider(page, "#pool-stride", 1)
    wait_output_shape(page, "7 × 7 × 1")
    assert formula.text_content() == f"Wo=Wi−FS+1=8−21+1={(8 - 2) // 1 + 1}"
    assert "unchanged" in page.locator(".channels-note").inner_text()
    screenshot(page, "layers-stride1")
    # 7×7 input, 2×2 window at stride 2: the engine's does-not-fit sentence, output floored.
    open_layers(page, server_url, "?pn=7")
    wait_output_shape(page, "3 × 3 × 1")
    problem = page.locator(".pool-formula .problem-text").inner_text()
    size = (7 - 2) / 2 + 1
    assert problem == f"(7 − 2)/2 + 1 = {size:.2f}: a 2×2 window at stride 2 does not fit a 7×7 input"
    assert formula.text_content() == f"Wo=Wi−FS+1=7−22+1={size:.2f}"
    assert page.locator(".pool-formula").get_attribute("class").count("has-problem") == 1
    screenshot(page, "layers-does-not-fit")


def test_max_pooling_shows_each_windows_maximum_and_marks_the_winner(page, server_url):
    open_layers(page, server_url, "?pin=random&pseed=3")
    x = np.random.default_rng(3).uniform(-1, 1, (1, 1, 8, 8)).astype(np.float32)  # (1, 1, 8, 8) the seeded draw
    np.testing.assert_array_equal(pool_arrays(page)[0], x)  # the picture the link asks for
    expected, winners = reference.max_pool2d(x, (2, 2), (2, 2))  # (1, 1, 4, 4) each
    labels = page.evaluate(f"{POOL}.outputLabels")
    assert_shows(labels, expected[0, 0], what="pooled map")
    # Step to the first window: the winner cell is marked, and it is the engine's argmax.
    page.locator(".pool-stage").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 0")
    step = page.evaluate(f"{POOL}.step")
    w = x.shape[3]
    assert step["winner"] == [int(winners[0, 0, 0, 0]) // w, int(winners[0, 0, 0, 0]) % w]
    winner_cell = page.locator(".running-table td.winner")
    assert winner_cell.count() == 1
    assert winner_cell.inner_text() == fmt(expected[0, 0, 0, 0])


def test_arrow_keys_step_the_window_and_show_the_running_max(page, server_url):
    open_layers(page, server_url, "?pin=seed003")  # 6×6: 3×3 output
    page.locator(".pool-stage").focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 1")
    window = SEED003[0:2, 2:4].ravel()  # (4,) the second window, reading order: 1, 2, 8, 9
    running = page.locator(".running-table tr").nth(1).locator("td").all_inner_texts()
    assert_shows(running, np.maximum.accumulate(window), style=fmt, what="running max")
    assert page.locator(".step-label").inner_text().startswith("Step 2 of 9")
    assert page.locator(".step-result").inner_text() == f"max = {fmt(window.max())} (ringed in the input)"
    screenshot(page, "layers-step")
    page.keyboard.press("PageUp")
    page.wait_for_function(f"{POOL}.step && {POOL}.step.step === 0")
    page.keyboard.press("Escape")
    page.wait_for_function(f"{POOL}.step === null")


def test_shifting_rings_exactly_the_pooled_cells_that_stay_the_same(page, server_url):
    open_layers(page, server_url, "?pin=digit")
    x0 = input_image("digit", 8, 8, 1)[None]  # (1, 1, 8, 8) the preset the link names
    np.testing.assert_array_equal(pool_arrays(page)[0], x0)
    page.get_by_role("button", name="Shift one pixel →").click()
    page.wait_for_function(f"{POOL}.unchanged !== null")
    x1 = np.roll(x0, 1, axis=3)  # (1, 1, 8, 8) moved one pixel right, the last column coming round
    np.testing.assert_array_equal(pool_arrays(page)[0], x1)
    before, _ = reference.max_pool2d(x0, (2, 2), (2, 2))  # (1, 1, 4, 4)
    after, _ = reference.max_pool2d(x1, (2, 2), (2, 2))  # (1, 1, 4, 4)
    same = sorted(map(list, zip(*np.nonzero(before[0, 0] == after[0, 0]))))
    assert sorted(page.evaluate(f"{POOL}.unchanged")) == [[int(r), int(c)] for r, c in same]
    assert f"{len(same)} of 16" in page.locator(".shift-note").inner_text()
    labels = page.evaluate(f"{POOL}.outputLabels")
    assert_shows(labels, after[0, 0], what="pooled map after the shift")
    page.wait_for_function("location.search.includes('pin=custom')")
    screenshot(page, "layers-shift")


def test_painting_a_cell_moves_the_winner(page, server_url):
    open_layers(page, server_url, "?pin=seed003&pk=2&ps=2")
    wait_output_shape(page, "3 × 3 × 1")
    grid = page.locator('[data-grid="input"]')
    cell = grid.bounding_box()["width"] / 6
    grid.click(position={"x": 0.5 * cell, "y": 0.5 * cell})  # cell (0, 0): 3 becomes the picture's max, 9
    page.wait_for_function(f"{POOL}.input.values[0] === 9")
    painted = SEED003.copy()  # (6, 6)
    painted[0, 0] = 9
    x, y = pool_arrays(page)
    np.testing.assert_array_equal(x[0, 0], painted)
    expected, _ = reference.max_pool2d(painted[None, None], (2, 2), (2, 2))  # (1, 1, 3, 3)
    assert expected[0, 0, 0, 0] == 9  # the top-left window's winner is the painted cell now
    np.testing.assert_array_equal(y[0], expected[0, 0])
    labels = page.evaluate(f"{POOL}.outputLabels")
    assert_shows(labels, expected[0, 0], what="pooled map")
    assert "pin=custom" in page.evaluate("window.convscopeLayers.store.flush(), location.search")
