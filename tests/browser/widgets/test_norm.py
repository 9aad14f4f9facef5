"""The normalization widget alone at /widget/norm in real Chromium: local contrast and batch norm, the
engine's numbers on the page's own data (window.convscopeWidget.widget.inspect())."""

from __future__ import annotations

import numpy as np
import pytest

from engine.norm_steps import batch_norm_steps, channel_stats, lcn_steps

from ..conftest import screenshot
from ..helpers import number, open_widget, set_slider

INSPECT = "window.convscopeWidget.widget.inspect()"


def arrays(page) -> dict[str, np.ndarray]:
    got = page.evaluate(f"{INSPECT}.arrays")
    return {name: np.array(a["values"], np.float32).reshape(a["shape"]) for name, a in got.items()}


def shown(text: str) -> float:
    """The last number of a readout line, as the page writes it."""
    return number(text.split("=")[-1].strip())


def channel_texts(page, name: str) -> list[str]:
    return [s["text"] for s in page.evaluate(f"{INSPECT}.stats") if s["id"].startswith(f"{name}-")]


def test_lcn_maps_are_the_engines_and_the_window_slider_recomputes_them(page, server_url):
    open_widget(page, server_url, "norm", "?nmin=checkerboard&nmn=16&nmk=5")
    a = arrays(page)
    steps = lcn_steps(a["input"], 5, None, 0.1)
    for name in ("mean", "centered", "sigma", "divisor", "output"):
        np.testing.assert_allclose(a[name], getattr(steps, name), atol=1e-6, err_msg=name)
    set_slider(page, '[data-key="window"]', 3)
    page.wait_for_function(f"{INSPECT}.meta.size === 3")
    a = arrays(page)
    np.testing.assert_allclose(a["output"], lcn_steps(a["input"], 3, None, 0.1).output, atol=1e-6)
    set_slider(page, '[data-key="c"]', 2)  # flat squares (σ < 2) now divide by c, edges (σ up to 5) by σ
    page.wait_for_function(f"{INSPECT}.meta.c === 2")
    a = arrays(page)
    expected = lcn_steps(a["input"], 3, None, 2.0)
    np.testing.assert_allclose(a["output"], expected.output, atol=1e-6)
    assert page.evaluate(f"{INSPECT}.meta.clamped") == expected.clamped()
    assert f"{expected.clamped()} of 256" in page.locator(".nm-note").inner_text()


def test_stepping_a_cell_shows_its_own_computation(page, server_url):
    open_widget(page, server_url, "norm", "?nmn=24")  # the photo, grey, 24×24
    page.locator(".nm-stage").focus()
    for _ in range(3):
        page.keyboard.press("PageDown")  # a clicker's "next"
    page.keyboard.press("ArrowDown")  # one row down
    page.wait_for_function(f"{INSPECT}.probe === 2 + 24")
    a = arrays(page)
    steps = lcn_steps(a["input"], 7, None, 0.1)
    r, c = 1, 2
    rows = {tr.split("\t")[0]: tr.split("\t")[1] for tr in page.locator(".nm-steps tr").all_inner_texts()}
    assert abs(shown(rows["v = x − mean"]) - steps.centered[0, 0, r, c]) < 6e-4
    assert abs(shown(rows["max(c, σ)"]) - steps.divisor[0, 0, r, c]) < 6e-4
    assert abs(shown(rows["y = v / max(c, σ)"]) - steps.output[0, 0, r, c]) < 6e-4
    assert "Cell (row 2, column 3)" in page.evaluate(f"{INSPECT}.readout")
    page.keyboard.press("Escape")
    page.wait_for_function(f"{INSPECT}.probe === -1")


def test_batch_norm_maps_have_mean_0_and_variance_1_per_channel_as_shown(page, server_url):
    open_widget(page, server_url, "norm", "?nm=batch")
    a = arrays(page)
    s = batch_norm_steps(a["input"], eps=1e-5)
    np.testing.assert_allclose(a["xhat"], s.xhat, atol=1e-6)
    np.testing.assert_allclose(a["mean"], s.mean, atol=1e-6)
    stats = channel_stats(s.xhat)
    for c, text in enumerate(channel_texts(page, "xhat")):
        assert text == "mean 0 · variance 1", text
        assert abs(stats["mean"][c]) < 5e-3 and abs(stats["var"][c] - 1) < 5e-3  # what "0" and "1" round
    # The numbers in the normalised maps are the engine's, one decimal.
    label = page.evaluate(f"{INSPECT}.label('xhat-1-0', 0, 1)")
    assert number(label) == pytest.approx(round(float(s.xhat[1, 0, 0, 1]), 1), abs=1e-9)
    inputs = channel_texts(page, "input")
    before = channel_stats(a["input"])
    assert number(inputs[0].split("·")[0].split("=")[1]) == pytest.approx(before["mean"][0], abs=6e-3)


def test_gamma_and_beta_scale_and_shift_one_channel(page, server_url):
    open_widget(page, server_url, "norm", "?nm=batch")
    set_slider(page, '[data-key="gamma1"]', 2)
    page.wait_for_function(f"{INSPECT}.meta.gamma[0] === 2")
    set_slider(page, '[data-key="beta1"]', -1)
    page.wait_for_function(f"{INSPECT}.meta.beta[0] === -1")
    a = arrays(page)
    s = batch_norm_steps(a["input"], np.array([2, 1], np.float32), np.array([-1, 0], np.float32))
    np.testing.assert_allclose(a["output"], s.output, atol=1e-6)
    out = channel_stats(s.output)
    assert round(out["mean"][0], 2) == -1 and round(out["var"][0], 2) == 4  # mean β, variance γ²
    assert channel_texts(page, "output") == ["mean \u22121 · variance 4", "mean 0 · variance 1"]  # channel 2 untouched
    assert "nmg1=2" in page.evaluate("window.convscopeWidget.store.flush(), location.search")


def test_new_batch_is_a_new_seed(page, server_url):
    open_widget(page, server_url, "norm", "?nm=batch")
    first = arrays(page)["input"]
    page.get_by_role("button", name="New batch").click()
    page.wait_for_function(f"v => {INSPECT}.arrays.input.values.some((x, i) => x !== v[i])", arg=first.ravel().tolist())
    assert page.locator(".nm-seed").inner_text() == "seed 1"
    second = arrays(page)
    assert not np.array_equal(first, second["input"])
    np.testing.assert_allclose(second["xhat"], batch_norm_steps(second["input"]).xhat, atol=1e-6)


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_screenshots(page, server_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_widget(page, server_url, "norm")
    page.locator('[data-grid="output"]').hover(position={"x": 100, "y": 90})
    page.wait_for_function(f"{INSPECT}.probe >= 0")
    screenshot(page, f"course-b-norm-lcn-{width}x{height}")
    open_widget(page, server_url, "norm", "?nm=batch&nmg1=2&nmb1=-1" + ("&nmm=3" if width > 1280 else ""))
    page.locator('[data-map="xhat-1-0"]').hover(position={"x": 20, "y": 20})
    page.wait_for_function(f"{INSPECT}.probe >= 0")
    screenshot(page, f"course-b-norm-batch-{width}x{height}")
    # Nothing spills sideways: the page is no wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
