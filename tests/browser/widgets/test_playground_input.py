"""Changing the input picture in the playground: drawing on it and uploading a file."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .playground_helpers import (
    DIAGONAL_DOWN,
    assert_output_shows,
    floats_b64,
    open_playground,
    output_cells,
    page_input,
    reference_output,
    url_has,
    wait_shape,
)


def _cell_center(page, r: int, c: int, channel: int = 0):
    box = page.locator(f'#input-view canvas[data-channel="{channel}"]').bounding_box()
    cell = page.evaluate(f"window.convscope.views.inputView.grid({channel}).layout.cell")
    return box["x"] + (c + 0.5) * cell, box["y"] + (r + 0.5) * cell


def test_drawing_on_the_input_changes_it_and_the_output(page, server_url):
    open_playground(page, server_url, "?in=zeros&p=1")
    wait_shape(page, "7 × 7")
    assert not np.any(page_input(page))
    # Padded by 1: input cell (2, 3) is padded cell (3, 4). Paint it and drag to (2, 5).
    page.mouse.move(*_cell_center(page, 3, 4))
    page.mouse.down()
    page.mouse.move(*_cell_center(page, 3, 6), steps=4)
    page.mouse.up()
    page.wait_for_function("() => window.convscope.state.input === 'custom'")
    drawn = np.zeros((7, 7), np.float32)  # (7, 7) what the stroke must have painted
    drawn[2, 3:6] = 1  # no gap in a fast stroke
    np.testing.assert_array_equal(page_input(page)[0], drawn)
    page.wait_for_function("() => window.convscope.lastResult.params.input.values.filter(v => v === 1).length === 3")
    assert_output_shows(page, reference_output(drawn, DIAGONAL_DOWN, padding=1)[0])
    url_has(page, "in=custom", "x=")

    # Another brush value, and shift erases.
    page.get_by_label("−1").check()
    page.mouse.click(*_cell_center(page, 1, 1))
    page.wait_for_function("() => window.convscope.data.input.values[0] === -1")
    page.keyboard.down("Shift")
    page.mouse.click(*_cell_center(page, 3, 4))
    page.keyboard.up("Shift")
    page.wait_for_function("() => window.convscope.data.input.values[2 * 7 + 3] === 0")
    page.wait_for_function("() => window.convscope.lastResult.params.input.values[2 * 7 + 3] === 0")
    drawn[0, 0], drawn[2, 3] = -1, 0
    np.testing.assert_array_equal(page_input(page)[0], drawn)
    assert_output_shows(page, reference_output(drawn, DIAGONAL_DOWN, padding=1)[0])

    # Padding cells are not the picture: painting there changes nothing.
    page.mouse.click(*_cell_center(page, 0, 0))
    page.wait_for_timeout(200)
    np.testing.assert_array_equal(page_input(page)[0], drawn)

    # The drawing is in the link: reloading it brings the same picture back.
    url_has(page, "x=" + floats_b64(drawn.ravel()))
    page.reload()
    page.evaluate("window.convscope.ready")
    np.testing.assert_array_equal(page_input(page)[0], drawn)
    assert_output_shows(page, reference_output(drawn, DIAGONAL_DOWN, padding=1)[0])


def test_uploading_a_png_replaces_the_input(page, server_url, tmp_path):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    before = output_cells(page)
    # 7×7, left three columns black, the rest white: no resampling ambiguity at 7×7.
    pixels = np.full((7, 7), 255, np.uint8)
    pixels[:, :3] = 0
    path = tmp_path / "edge.png"
    Image.fromarray(pixels, "L").save(path)
    page.set_input_files("#upload", str(path))
    page.wait_for_function("() => window.convscope.state.input === 'custom'")
    np.testing.assert_allclose(page_input(page)[0], pixels / 255.0, atol=1e-6)
    page.wait_for_function("() => window.convscope.lastResult.params.input.values[0] === 0")
    assert output_cells(page) != before
    assert_output_shows(page, reference_output(pixels / 255.0, DIAGONAL_DOWN)[0])
    assert page.evaluate("window.convscope.views.inputView.grid(0).label(0, 0)") == "0"
    assert page.evaluate("window.convscope.views.inputView.grid(0).label(0, 6)") == "1"


def test_an_unreadable_upload_is_explained_and_the_picture_kept(page, server_url, tmp_path):
    open_playground(page, server_url)
    wait_shape(page, "5 × 5")
    before = page_input(page)
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is not a picture")
    page.set_input_files("#upload", str(path))
    alert = page.locator('[data-alert="input"]')
    alert.wait_for(state="visible")
    assert "PNG or JPEG" in alert.inner_text()
    np.testing.assert_array_equal(page_input(page), before)
    page.get_by_role("button", name="O", exact=True).click()
    page.wait_for_function("() => window.convscope.state.input === 'o'")
    page.wait_for_function("() => document.querySelector('[data-alert=\"input\"]').textContent === ''")
