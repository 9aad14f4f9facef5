"""The normalization and data augmentation widgets in real Chromium, each alone at /widget/<type>.

A student acts (a slider, a toggle, a key, a button) and the page must show the engine's
numbers and pixels: expectations are recomputed here with the engine on the page's own data
(window.convscopeWidget.widget.inspect()).
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import augment
from engine.norm_steps import batch_norm_steps, channel_stats, lcn_steps

from .conftest import screenshot
from .playground_helpers import number

INSPECT = "window.convscopeWidget.widget.inspect()"


def open_widget(page, server_url: str, type_: str, query: str = ""):
    page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}widget/{type_}{query}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready === 'true'")


def set_slider(page, selector: str, value: float):
    page.eval_on_selector(selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def arrays(page) -> dict[str, np.ndarray]:
    got = page.evaluate(f"{INSPECT}.arrays")
    return {name: np.array(a["values"], np.float32).reshape(a["shape"]) for name, a in got.items()}


def shown(text: str) -> float:
    """The last number of a readout line, as the page writes it."""
    return number(text.split("=")[-1].strip())


# ---------------------------------------------------------------- normalization: local contrast


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


# ---------------------------------------------------------------- normalization: batch norm


def channel_texts(page, name: str) -> list[str]:
    return [s["text"] for s in page.evaluate(f"{INSPECT}.stats") if s["id"].startswith(f"{name}-")]


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


# ---------------------------------------------------------------- data augmentation


def picture(page, key: str = "output") -> np.ndarray:
    got = page.evaluate(f"{INSPECT}.{key}")
    return np.array(got["values"], np.float32).reshape(got["shape"])


def canvas_pixels(page, selector: str) -> np.ndarray:
    """The canvas's RGB pixels (H, W, 3), as drawn."""
    data = page.eval_on_selector(selector, """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        return {w: c.width, h: c.height, px: Array.from(d.data)}; }""")
    return np.array(data["px"], np.uint8).reshape(data["h"], data["w"], 4)[:, :, :3]


def test_flip_h_shows_the_mirrored_picture(page, server_url):
    open_widget(page, server_url, "augment", "?agi=camera")
    page.get_by_role("button", name="Flip ↔").first.click()
    page.wait_for_function(f"{INSPECT}.meta.applied.some(op => op.op === 'hflip')")
    image, out = picture(page, "image"), picture(page)
    np.testing.assert_array_equal(out, np.flip(image, axis=2))
    np.testing.assert_array_equal(out, augment.hflip(image))
    # The big canvas shows exactly those pixels (grey: the same value in R, G and B).
    drawn = canvas_pixels(page, ".ag-result")
    np.testing.assert_array_equal(drawn[:, :, 0], np.round(255 * out[0]).astype(np.uint8))
    assert "flip ↔" in page.locator(".ag-steps").inner_text()


def test_rotation_with_zero_fill_is_the_engines_and_is_called_wrong(page, server_url):
    open_widget(page, server_url, "augment")
    set_slider(page, '[data-key="angle"]', 30)
    page.get_by_role("button", name="Zeros").click()
    page.wait_for_function(f"{INSPECT}.meta.applied.some(op => op.op === 'rotate' && op.mode === 'constant' && op.angle === 30)")
    image, out = picture(page, "image"), picture(page)
    np.testing.assert_allclose(out, augment.rotate(image, 30, "constant"), atol=1e-6)
    assert out[:, 0, 0].max() == 0  # a black corner that was never in the picture
    assert "wrong" in page.locator(".ag-fill-note").inner_text()
    page.get_by_role("button", name="Mirror").click()
    page.wait_for_function(f"{INSPECT}.meta.applied.some(op => op.mode === 'reflect')")
    np.testing.assert_allclose(picture(page), augment.rotate(image, 30, "reflect"), atol=1e-6)
    assert page.locator(".ag-fill-note").inner_text() == ""


def test_crop_and_colour_sliders_give_the_engines_picture(page, server_url):
    open_widget(page, server_url, "augment", "?ags=0.5&agx=1&agy=0")
    set_slider(page, '[data-key="sat"]', 1.5)
    page.wait_for_function(f"{INSPECT}.meta.applied.some(op => op.op === 'jitter' && op.saturation === 1.5)")
    image, out = picture(page, "image"), picture(page)
    box = augment.crop_box(image.shape, 0.5, 1, 0)
    expected = augment.color_jitter(augment.crop_and_scale(image, *box), 1, 1, 1.5, 0)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert page.evaluate(f"{INSPECT}.meta.applied[0].box") == list(box)


def test_dragging_the_crop_box_moves_it(page, server_url):
    open_widget(page, server_url, "augment", "?ags=0.5")
    assert page.evaluate(f"{INSPECT}.meta.applied[0].box") == [32, 32, 64, 64]  # centred
    canvas = page.locator(".ag-original").bounding_box()
    middle = (canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.mouse.move(*middle)
    page.mouse.down()
    page.mouse.move(middle[0] + canvas["width"], middle[1] - canvas["height"], steps=4)  # far right and up: the corner
    page.mouse.up()
    page.wait_for_function(f"{INSPECT}.meta.applied[0].box[1] === 64 && {INSPECT}.meta.applied[0].box[0] === 0")
    image, out = picture(page, "image"), picture(page)
    np.testing.assert_allclose(out, augment.crop_and_scale(image, 0, 64, 64, 64), atol=1e-6)
    assert "agx=1" in page.evaluate("window.convscopeWidget.store.flush(), location.search")


def test_the_random_strip_is_eight_seeded_variants_with_their_settings(page, server_url):
    open_widget(page, server_url, "augment")
    strip = page.evaluate(f"{INSPECT}.strip")
    image = picture(page, "image")
    ranges = page.evaluate(f"{INSPECT}.meta.ranges")  # the ranges the server used, e.g. scale [0.6, 1]
    assert ranges["angle"] == 20 and ranges["mode"] == "reflect"
    assert strip["shape"] == [8, 3, 128, 128] and strip["seed"] == 0
    ops = ["crop", "hflip", "rotate", "jitter"]  # the default draws, in the order applied
    variants, listed = augment.random_augment(image, ops, 0, 8, **ranges)
    np.testing.assert_array_equal(np.array(strip["values"], np.float32).reshape(8, 3, 128, 128), variants)
    assert strip["variants"] == listed
    # The table under the pictures lists each one's drawn settings.
    table = dict(page.evaluate(f"{INSPECT}.table"))
    assert table["turn"][0] == f"{next(op['angle'] for op in listed[0] if op['op'] == 'rotate'):g}°".replace("-", "\u2212")
    assert page.locator(".ag-thumb canvas").count() == 8
    # A new seed: eight new training examples, again the engine's.
    page.get_by_role("button", name="New seed").click()
    page.wait_for_function(f"{INSPECT}.strip.seed === 1")
    again = np.array(page.evaluate(f"{INSPECT}.strip.values"), np.float32).reshape(8, 3, 128, 128)
    np.testing.assert_array_equal(again, augment.random_augment(image, ops, 1, 8, **ranges)[0])
    assert "nothing is stored" in page.locator(".ag-note").inner_text()


def test_space_plays_epochs_and_arrows_step_the_seed(page, server_url):
    open_widget(page, server_url, "augment", "?agseed=5")
    page.locator(".ag-strip-box").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"{INSPECT}.strip.seed === 4")
    page.keyboard.press("PageDown")
    page.wait_for_function(f"{INSPECT}.strip.seed === 5")
    page.keyboard.press(" ")
    page.wait_for_function(f"{INSPECT}.playing && {INSPECT}.strip.seed >= 6")
    page.keyboard.press(" ")
    page.wait_for_function(f"!{INSPECT}.playing")


# ---------------------------------------------------------------- how they look


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
    open_widget(page, server_url, "augment", "?agh=1&aga=25&agf=zeros&ags=0.7&agx=0.2&agb=1.3&agsat=1.6")
    screenshot(page, f"course-b-augment-{width}x{height}")
    # Nothing spills sideways: the page is no wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
