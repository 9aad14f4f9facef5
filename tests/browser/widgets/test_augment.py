"""The data augmentation widget alone at /widget/augment in real Chromium: every picture is the
engine's, run on the page's own settings (window.convscopeWidget.widget.inspect())."""

from __future__ import annotations

import numpy as np
import pytest

from engine import augment

from ..conftest import screenshot
from ..helpers import open_widget, set_slider

INSPECT = "window.convscopeWidget.widget.inspect()"


def picture(page, key: str = "output") -> np.ndarray:
    got = page.evaluate(f"{INSPECT}.{key}")
    return np.array(got["values"], np.float32).reshape(got["shape"])


def canvas_pixels(page, selector: str) -> np.ndarray:
    """The canvas's RGB pixels (H, W, 3), as drawn."""
    data = page.eval_on_selector(
        selector,
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        return {w: c.width, h: c.height, px: Array.from(d.data)}; }""",
    )
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
    page.wait_for_function(
        f"{INSPECT}.meta.applied.some(op => op.op === 'rotate' && op.mode === 'constant' && op.angle === 30)"
    )
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
    assert table["turn"][0] == f"{next(op['angle'] for op in listed[0] if op['op'] == 'rotate'):g}°".replace(
        "-", "\u2212"
    )
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


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_screenshots(page, server_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    open_widget(page, server_url, "augment", "?agh=1&aga=25&agf=zeros&ags=0.7&agx=0.2&agb=1.3&agsat=1.6")
    screenshot(page, f"course-b-augment-{width}x{height}")
    # Nothing spills sideways: the page is no wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
