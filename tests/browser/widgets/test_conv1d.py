"""The 1-D convolution widget alone at /widget/conv1d in real Chromium, as a student uses it: step the
sliding dot product, type a number. Expected values are recomputed with the engine from what the page
itself sent (its inspect())."""

from __future__ import annotations

import numpy as np

from engine import conv1d, shapes

from ..helpers import open_widget, shots, store_state

W = "window.convscopeWidget"


def inspect(page) -> dict:
    return page.evaluate(f"{W}.widget.inspect()")


def state(page) -> dict:
    return store_state(page, W)


def engine_conv1d(params: dict) -> np.ndarray:
    x = np.array(params["signal"], np.float32)[None, None]  # (1, 1, L)
    w = np.array(params["kernel"], np.float32)[None, None]  # (1, 1, K)
    return conv1d(x, w, None, params["stride"], params["padding"], 1, params["flip"])[0, 0]  # (L_out,)


def test_conv1d_steps_to_seed002s_fourth_element(page, server_url):
    open_widget(page, server_url, "conv1d")
    page.focus(".c1-stage")
    for _ in range(4):  # step 0, 1, 2, 3: the 4th output value
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"{W}.widget.inspect().step === 3")
    d = inspect(page)
    assert d["params"] == {
        "signal": [3, 1, 4, 5, 6, 0, 0, 1],
        "kernel": [5, 1, 2],
        "stride": 1,
        "padding": 0,
        "flip": False,
    }
    y = engine_conv1d(d["params"])
    # Seed 002 asks for "the 4 element of f * g" and answers 5·5 + 1·6 + 0·2: the filter slides as written
    # (cross-correlation, (g * f)[n] = Σ g[n + i] f[i], no flip) and elements count from 1, so it is y[3].
    assert y[3] == 5 * 5 + 1 * 6 + 2 * 0 == 31
    assert d["output"] == y.tolist()
    assert page.locator(".c1-sum").inner_text() == "5·5 + 1·6 + 2·0 = 31"
    assert page.locator('[data-row="output"] .c1-cell.current').inner_text() == "31"
    assert (
        "Step 4 of 6" in page.locator(".step-label").inner_text()
        and "4th value" in page.locator(".step-label").inner_text()
    )
    ax = shapes.axis(8, 3)
    assert d["meta"]["length"]["formula"] == ax.formula()
    assert page.locator('[data-shape="output"]').inner_text() == f"{ax.size} values"
    shots(page, "conv1d-seed002-step4")


def test_conv1d_true_convolution_turns_the_kernel(page, server_url):
    open_widget(page, server_url, "conv1d", "?c1t=3")
    page.check("#c1-flip")
    page.wait_for_function(f"{W}.widget.inspect().params.flip === true && {W}.widget.inspect().meta.flip === true")
    d = inspect(page)
    y = engine_conv1d(d["params"])
    assert d["weights"] == [2, 1, 5] and d["output"] == y.tolist()
    assert page.locator(".c1-sum").inner_text() == f"2·5 + 1·6 + 5·0 = {y[3]:g}" == "2·5 + 1·6 + 5·0 = 16"
    assert page.locator('[data-label="kernel"]').inner_text() == "Kernel w, turned"


def test_conv1d_impulse_and_padding_and_stride(page, server_url):
    open_widget(page, server_url, "conv1d", "?c1p=impulse&c1pad=2&c1t=4")
    page.eval_on_selector(
        "#c1-stride", "el => { el.value = 2; el.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    page.wait_for_function(f"{W}.widget.inspect().params.stride === 2")
    d = inspect(page)
    ax = shapes.axis(9, 3, 2, 2)
    assert d["meta"]["output_length"] == ax.size and d["output"] == engine_conv1d(d["params"]).tolist()
    assert page.locator('[data-row="signal"] .c1-cell.pad').count() == 4  # two padding zeros at each end
    assert d["step"] == -1  # a new stride shows the whole output again
    shots(page, "conv1d-impulse-stride2-pad2")


def test_conv1d_typed_numbers_go_to_the_engine_and_bad_ones_are_explained(page, server_url):
    open_widget(page, server_url, "conv1d")
    cell = page.locator('[data-edit="signal"] input').nth(0)
    cell.fill("−2.5")  # the real minus sign reads as a number
    cell.press("Enter")
    page.wait_for_function(f"{W}.widget.inspect().params.signal[0] === -2.5")
    d = inspect(page)
    assert d["output"] == engine_conv1d(d["params"]).tolist()
    assert state(page)["c1Preset"] == "custom"
    page.evaluate(f"{W}.store.flush()")
    assert "c1x=" in page.url and "c1k=" in page.url
    bad = page.locator('[data-edit="kernel"] input').nth(1)
    bad.fill("abc")
    bad.press("Enter")
    assert bad.get_attribute("aria-invalid") == "true"
    assert "“abc” is not a number" in page.locator('[data-alert="kernel"]').inner_text()
    assert inspect(page)["params"]["kernel"] == [5, 1, 2]  # nothing was sent


def test_conv1d_server_refusal_sits_by_the_kernel(page, server_url):
    open_widget(page, server_url, "conv1d")
    for _ in range(6):  # shorten the signal to 2 values: the 3-tap kernel no longer fits
        page.click('[data-resize="signal"][data-by="-1"]')
    page.wait_for_function("document.querySelector('[data-alert=\"kernel\"]').textContent.length > 0")
    text = page.locator('[data-alert="kernel"]').inner_text()
    assert text.startswith("kernel must fit the padded input: a filter of 3 taps is longer than the input of 2")
    page.click('[data-resize="kernel"][data-by="-1"]')  # 2 taps fit: the message goes
    page.wait_for_function(f"{W}.widget.inspect().params.kernel.length === 2")
    assert page.locator('[data-alert="kernel"]').inner_text() == ""
