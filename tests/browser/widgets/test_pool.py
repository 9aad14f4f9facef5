"""The pooling widget on /layers in real Chromium: shape, formula, winners, shift, stepping, painting.
Expectations come from the engine, run on the data the page itself holds (window.convscopeLayers)."""

from __future__ import annotations

import numpy as np

from engine.pool import max_pool2d

from ..conftest import screenshot
from ..helpers import number, open_layers, set_slider, wait_output_shape

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
