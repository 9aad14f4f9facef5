"""The convolution playground in Chromium: what a student and an instructor do with it.

Every expected number is computed here, with the NumPy reference, from the setup the test
chose (the defaults, a link's settings, the presets written out in playground_helpers),
never read back from the page.
"""

from __future__ import annotations

import numpy as np

from ..conftest import screenshot
from ..helpers import fmt
from .playground_helpers import (
    DIAGONAL_DOWN,
    SEED002_B,
    SEED002_W,
    SEED002_X,
    X7,
    assert_output_shows,
    checkerboard,
    floats_b64,
    number,
    open_playground,
    output_cells,
    reference_output,
    step_label,
    url_has,
    wait_shape,
)

PROBLEM = "(7 − 3)/3 + 1 = 2.33: a 3×3 filter at stride 3 does not fit a 7×7 input"


def test_stride_slider_changes_output_and_formula(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    formula = page.locator("#formula")
    size_row = formula.locator('[data-axis="height"] .formula-math')
    assert size_row.text_content().endswith("7+2×0−31+1=5")  # the fraction (7 + 2×0 − 3) over 1, + 1 = 5
    assert not formula.locator(".problem").is_visible()

    stride = page.locator("#ctl-stride")
    stride.focus()
    stride.press("ArrowRight")  # a focused slider keeps its arrows: stride 2
    wait_shape(page, "3 × 3")
    stride.press("ArrowRight")  # stride 3
    wait_shape(page, "2 × 2")
    assert page.locator("#val-stride").inner_text() == "3"
    problem = formula.locator(".problem-text")
    problem.wait_for(state="visible")
    assert problem.inner_text() == PROBLEM
    assert "has-problem" in formula.get_attribute("class")
    assert formula.locator(".not-whole").text_content() == "2.33"
    url_has(page, "s=3")
    assert_output_shows(page, reference_output(X7, DIAGONAL_DOWN, stride=3)[0])
    screenshot(page, "playground-stride-problem-1280")

    # The engine's nearest fitting settings, one click each.
    buttons = formula.locator(".suggestion")
    assert sorted(buttons.all_inner_texts()) == ["kernel 4×4", "padding 1", "stride 2"]
    formula.locator('.suggestion[data-name="stride"]').click()
    wait_shape(page, "3 × 3")
    assert page.locator("#val-stride").inner_text() == "2"
    assert not formula.locator(".problem").is_visible()
    assert "has-problem" not in formula.get_attribute("class")

    stride.focus()
    stride.press("ArrowRight")
    wait_shape(page, "2 × 2")
    formula.locator('.suggestion[data-name="padding"]').click()
    wait_shape(page, "3 × 3")  # (7 + 2 − 3)/3 + 1 = 3
    assert page.locator("#val-padding").inner_text() == "1"
    assert size_row.text_content().endswith("7+2×1−33+1=3")  # (7 + 2×1 − 3) over 3, + 1 = 3
    assert_output_shows(page, reference_output(X7, DIAGONAL_DOWN, stride=3, padding=1)[0])


def test_slider_ranges_come_from_the_server(page, server_url):
    open_playground(page, server_url, "?h=5&w=5")
    wait_shape(page, "3 × 3")
    # Kernel 3 on a 5×5 input: padding reaches d(k − 1) = 2, stride may go to the limit, kernel to 5.
    ranges = page.evaluate("window.convscope.lastResult.meta.ranges")
    assert page.locator("#ctl-kernel").get_attribute("max") == str(
        min(ranges["height"]["kernel"]["max"], ranges["width"]["kernel"]["max"])
    )
    assert page.locator("#ctl-padding").get_attribute("max") == str(ranges["height"]["padding"]["max"])
    assert page.locator("#ctl-height").get_attribute("min") == str(ranges["height"]["size"]["min"])


def test_typed_kernel_value_gives_the_engines_output(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    before = output_cells(page)
    cell = page.get_by_label("Filter 1, row 2, column 3")
    cell.fill("2.5")
    page.wait_for_function("window.convscope.state.kernelPreset === 'custom'")
    page.wait_for_function(
        "before => document.querySelector('#output-table td:nth-child(1)').textContent !== before",
        arg=str(before[0][0]),
    )
    page.wait_for_function("() => window.convscope.lastResult.params.kernels.values[5] === 2.5")
    kernel = DIAGONAL_DOWN.copy()  # (3, 3)
    kernel[1, 2] = 2.5
    assert_output_shows(page, reference_output(X7, kernel)[0])
    assert output_cells(page) != before
    url_has(page, "kv=", "kp=custom")


def test_keyboard_steps_the_animation(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    page.locator("#stage").focus()
    running = page.locator("#running-sum")
    expected = reference_output(X7, DIAGONAL_DOWN)[0]  # (5, 5): step s ends on cell (s // 5, s % 5)

    def at(step: int, window: str):
        page.wait_for_function("s => document.querySelector('#step-label').dataset.step === String(s)", arg=step)
        assert step_label(page) == f"Step {step + 1} of 25"
        page.wait_for_function("w => document.querySelector('#input-view').dataset.window === w", arg=window)
        page.wait_for_function("() => document.querySelector('#running-sum').textContent !== ''")
        assert running.inner_text() == fmt(expected[divmod(step, 5)], 3)
        assert page.evaluate("window.convscope.views.outputView.grid.label(0, 0)") is not None

    page.keyboard.press("ArrowRight")
    at(0, "0,0,3,3")
    page.keyboard.press("PageDown")
    at(1, "0,1,3,3")
    page.keyboard.press("ArrowDown")
    at(2, "0,2,3,3")
    page.keyboard.press("ArrowLeft")
    at(1, "0,1,3,3")
    page.keyboard.press("PageUp")
    at(0, "0,0,3,3")
    page.keyboard.press("End")
    at(24, "4,4,3,3")
    page.keyboard.press("Home")
    at(0, "0,0,3,3")
    # Output cells fill as the steps pass: the first is shown, the rest are not yet.
    assert page.evaluate("window.convscope.views.outputView.grid.label(0, 0)") is not None
    assert page.evaluate("window.convscope.views.outputView.grid.label(0, 1)") is None
    url_has(page, "t=0")
    screenshot(page, "playground-step-1280")

    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#input-view').dataset.window === ''")
    assert step_label(page) == "Whole output · 25 steps"


def test_space_plays_and_pauses(page, server_url):
    open_playground(page, server_url, reduced_motion=False)
    wait_shape(page, "5 × 5")
    page.locator("#stage").focus()
    page.keyboard.press(" ")
    page.wait_for_function("() => window.convscope.frame.playing && window.convscope.frame.step >= 1", timeout=5000)
    page.keyboard.press(" ")
    page.wait_for_function("() => !window.convscope.frame.playing")
    stopped = page.evaluate("window.convscope.frame.step")
    page.wait_for_timeout(1500)
    assert page.evaluate("window.convscope.frame.step") == stopped


def test_mouse_on_a_slider_does_not_keep_the_clickers_keys(page, server_url):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    page.locator("#ctl-stride").scroll_into_view_if_needed()
    box = page.locator("#ctl-stride").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)  # at the slider's minimum: stride stays 1
    page.wait_for_function("() => document.activeElement.id === 'stage'")
    page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('#step-label').dataset.step === '0'")
    assert page.locator("#val-stride").inner_text() == "1"
    # The same after a mouse click on a button or a choice in a select: space plays, not re-clicks.
    page.get_by_role("button", name="Show all").click()
    page.wait_for_function("() => document.activeElement.id === 'stage'")
    page.keyboard.press(" ")
    page.wait_for_function("() => window.convscope.frame.playing")
    page.keyboard.press(" ")
    page.wait_for_function("() => !window.convscope.frame.playing")


def test_hovering_an_output_cell_shows_its_receptive_field_and_arithmetic(page, server_url):
    open_playground(page, server_url, "?s=2&p=1")
    wait_shape(page, "4 × 4")
    canvas = page.locator(".output-canvas")
    box = canvas.bounding_box()
    cell = box["width"] / 4
    page.mouse.move(box["x"] + 2.5 * cell, box["y"] + 1.5 * cell)  # row 1, column 2
    page.wait_for_function("() => document.querySelector('#input-view').dataset.preview === '2,4,3,3'")
    title = page.locator(".arith-title")
    assert title.inner_text() == "Pointed at: output row 2, column 3 (filter 1)"
    expected = reference_output(X7, DIAGONAL_DOWN, stride=2, padding=1)[0]  # (4, 4)
    line = page.locator(".arith-line").inner_text()
    assert line.endswith(f"= {fmt(expected[1, 2], 3)}")  # the page writes sums to 3 decimals
    assert line.count("×") == 9
    page.mouse.move(5, 5)
    page.wait_for_function("() => document.querySelector('#input-view').dataset.preview === ''")


def test_link_with_state_restores_the_same_setup(page, server_url):
    kernel = np.array([[0, 1, 0, 0], [1, -2, 1, 0.5], [0, 1, 0, 0], [0, 0, 0, -1]], np.float32)  # (4, 4)
    query = f"?in=checkerboard&h=10&w=10&k=4&s=2&p=1&kp=custom&kv={floats_b64(kernel.ravel())}&b=0.5&t=3"
    open_playground(page, server_url, query)
    wait_shape(page, "5 × 5")  # (10 + 2 − 4)/2 + 1 = 5
    for key, value in {
        "height": "10",
        "width": "10",
        "kernel": "4",
        "stride": "2",
        "padding": "1",
        "dilation": "1",
    }.items():
        assert page.locator(f"#ctl-{key}").input_value() == value, key
    shown = [
        [number(page.get_by_label(f"Filter 1, row {r + 1}, column {c + 1}").input_value()) for c in range(4)]
        for r in range(4)
    ]
    np.testing.assert_array_equal(np.array(shown, np.float32), kernel)
    assert number(page.locator("#bias-input").input_value()) == 0.5
    assert page.evaluate("window.convscope.state.kernelPreset") == "custom"
    page.wait_for_function("() => document.querySelector('#step-label').dataset.step === '3'")  # the step came back too
    page.keyboard.press("Escape")
    assert_output_shows(page, reference_output(checkerboard(10), kernel, [0.5], stride=2, padding=1)[0])

    # Nonsense and out-of-range values fall back to their defaults.
    open_playground(page, server_url, "?s=99&k=banana&pm=sideways&zzz=1&c=3&kv=!!")
    wait_shape(page, "5 × 5")
    state = page.evaluate("window.convscope.state")
    assert (state["stride"], state["kernel"], state["padMode"]) == (1, 3, "zeros")
    assert state["channels"] == 3


def test_seed001_true_convolution(page, server_url):
    open_playground(page, server_url)
    page.get_by_role("button", name="Seed 001: true convolution").click()
    wait_shape(page, "2 × 2")
    page.wait_for_function("() => window.convscope.state.flip")
    assert output_cells(page) == [[45, 110], [40, 40]]
    assert page.locator("#ctl-flip").is_checked()
    # The first cell's arithmetic, exactly as the seed writes it (weights turned 180°).
    page.locator(".output-canvas").click(position={"x": 10, "y": 10})
    page.locator(".arith-line").wait_for()
    assert page.locator(".arith-line").inner_text() == "1×0 + 0.5×80 + 0.25×20 + 0×40 = 45"
    assert step_label(page) == "Step 1 of 4"
    assert page.locator(".flipped").is_visible()
    screenshot(page, "playground-seed001-1280")


def test_seed002_volume_shows_channel_sums_and_bias(page, server_url):
    open_playground(page, server_url)
    page.get_by_role("button", name="Seed 002 volume").click()
    wait_shape(page, "3 × 3 × 2")
    state = page.evaluate("window.convscope.state")
    assert (state["height"], state["width"], state["channels"], state["stride"], state["padding"]) == (5, 5, 3, 2, 1)
    assert page.locator("#input-shape").inner_text() == "5 × 5 × 3, padded to 7 × 7"
    expected = reference_output(SEED002_X, SEED002_W, SEED002_B, stride=2, padding=1)  # (2, 3, 3)
    assert_output_shows(page, expected[0])
    assert page.locator('[data-axis="params"] .formula-math').text_content().endswith("=(3×3×3+1)×2=56")

    page.locator("#stage").focus()
    page.keyboard.press("ArrowRight")
    page.locator(".arith-total").wait_for()
    lines = page.locator(".arith-line").all_inner_texts()
    assert [line.split(":")[0] for line in lines] == ["Channel 1", "Channel 2", "Channel 3"]
    # Step 1's window: the top-left 3×3 of the padded volume, i.e. input rows and columns 0..1 of each channel
    # under the filter's bottom-right 2×2.
    sums = [float((SEED002_X[c, :2, :2] * SEED002_W[0, c, 1:, 1:]).sum()) for c in range(3)]
    assert sums == [1, -2, 5]  # tests/engine/test_seeds.py sums the same window by hand
    total = " + ".join(fmt(s, 3) for s in sums)
    assert page.locator(".arith-total").inner_text() == f"{total} + bias 1 = {fmt(expected[0, 0, 0], 3)}"

    page.get_by_role("button", name="Filter 2").click()  # the second filter's map and bias
    page.wait_for_function("() => window.convscope.state.filter === 1")
    assert page.locator("#bias-input").input_value() == "0"
    assert_output_shows(page, expected[1])
    screenshot(page, "playground-seed002-1280")


def test_the_landing_page_links_to_the_playground(page, server_url):
    page.goto(server_url)
    page.get_by_role("link", name="Open the convolution playground →").click()
    page.wait_for_url("**/playground")
    page.evaluate("window.convscope.ready")
    wait_shape(page, "5 × 5")


def test_every_control_has_a_label_and_is_reachable_by_keyboard(page, server_url):
    open_playground(page, server_url, "?f=2")
    wait_shape(page, "5 × 5 × 2")
    unnamed = page.evaluate("""() => [...document.querySelectorAll('input, select, button, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') &&
            !e.getAttribute('aria-labelledby')
                     && !(e.tagName === 'BUTTON' && e.textContent.trim()))
        .map(e => e.outerHTML.slice(0, 80))""")
    assert unnamed == []
    # Tab order reaches the stage, the sliders, a kernel cell and the transport.
    seen = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        seen.add(
            page.evaluate(
                "document.activeElement.id || document.activeElement.getAttribute('aria-label') || "
                "document.activeElement.textContent.trim()"
            )
        )
    assert {
        "ctl-stride",
        "ctl-kernel",
        "stage",
        "Filter 1, row 1, column 1",
        "Play (space)",
        "scrubber",
        "upload",
    } <= seen
