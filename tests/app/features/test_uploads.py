"""image.upload under hostile files: sizes refused from the header, big photos shrunk on load, fast and small."""

from __future__ import annotations

import base64
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from ...conftest import port_of, server_rss_mb
from ..conftest import Page


def encoded(img: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    img.save(buffer, fmt, quality=90) if fmt == "JPEG" else img.save(buffer, fmt, optimize=True)
    data = buffer.getvalue()
    assert len(data) < 3 * 2**20  # under the 4 MB upload limit: only its pixels are large
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def bombs():
    """Small files that decode to huge pictures, and a large photo that is fine."""
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (60, 80, 3), np.uint8)).resize((8000, 6000), Image.Resampling.NEAREST)
    return {
        "line": encoded(Image.new("L", (40_000_000, 1), 128)),  # 40 million pixels in one row
        "palette": encoded(Image.new("P", (6000, 6000), 3)),  # 36 million pixels of a palette PNG
        "tall": encoded(Image.new("L", (100, 3000), 9)),  # 30 times as tall as wide
        "photo": encoded(photo, "JPEG"),  # 48 megapixels, as a phone takes them
    }


@pytest.mark.serial
@pytest.mark.parametrize("name, size", [("line", "40000000×1"), ("palette", "6000×6000"), ("tall", "100×3000")])
def test_a_picture_too_large_to_decode_is_refused_from_its_header(page, bombs, name, size, server_url):
    before = server_rss_mb(port_of(server_url))
    start = time.monotonic()
    answer = page.ask("image.upload", {"data": bombs[name], "height": 16, "width": 16})
    assert time.monotonic() - start < 1.0
    assert (answer.header["code"], answer.header["field"]) == ("invalid", "data")
    assert f"got {size}" in answer.header["message"] and "million pixels" in answer.header["message"]
    assert server_rss_mb(port_of(server_url)) - before < 50


@pytest.mark.serial
def test_a_48_megapixel_photo_is_answered_within_a_second_and_little_memory(page, bombs, server_url):
    before = server_rss_mb(port_of(server_url))
    start = time.monotonic()
    answer = page.ask("image.upload", {"data": bombs["photo"], "height": 48, "width": 64, "channels": 3})
    seconds = time.monotonic() - start
    assert answer.type == "input.values" and answer.arrays["values"].shape == (3, 48, 64)
    assert seconds < 1.0, seconds
    assert server_rss_mb(port_of(server_url)) - before < 200


@pytest.mark.serial
def test_uploads_at_once_from_many_pages_all_answer_and_others_are_not_stalled(ws_url, page, bombs):
    pages = [Page(ws_url) for _ in range(4)]
    times: list[float] = []

    def upload(p: Page) -> None:
        start = time.monotonic()
        assert p.ask("image.upload", {"data": bombs["photo"], "height": 32, "width": 32}).type == "input.values"
        times.append(time.monotonic() - start)

    try:
        threads = [threading.Thread(target=upload, args=(p,)) for p in pages]
        for t in threads:
            t.start()
        start = time.monotonic()
        assert page.ask("kernel.preset", {"name": "sobel_x"}).type == "kernel.values"
        other = time.monotonic() - start
        for t in threads:
            t.join(timeout=30)
        assert len(times) == 4 and max(times) < 3.0, times
        assert other < 1.0, other  # another page's request is not stuck behind the decodes
    finally:
        for p in pages:
            p.close()


# ---------------------------------------------------------------- the grid's size: chosen, aspect kept, said


def photo(width: int, height: int, fmt: str = "PNG", orientation: int | None = None) -> str:
    """A picture of width × height pixels: a bright left half on a dark right half (to see a stretch)."""
    pixels = np.zeros((height, width), np.uint8)  # (H, W)
    pixels[:, : width // 2] = 255
    img = Image.fromarray(pixels)
    buffer = io.BytesIO()
    if orientation is None:
        img.save(buffer, fmt)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation  # Orientation: 6 is "turn 90° clockwise to view"
        img.save(buffer, fmt, exif=exif)
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_600_by_400_photo_at_size_42_is_a_42_by_28_grid_and_says_so(page):
    answer = page.ask("image.upload", {"data": photo(600, 400), "size": 42})
    assert answer.type == "input.values"
    assert answer.meta == {
        "name": "upload",
        "channels": 1,
        "height": 28,
        "width": 42,
        "source_height": 400,
        "source_width": 600,
        "aspect_kept": True,
    }
    values = answer.arrays["values"]
    assert values.shape == (1, 28, 42)
    np.testing.assert_allclose(values[0, :, :20], 1, atol=0.02)  # the bright half stays a half
    np.testing.assert_allclose(values[0, :, 22:], 0, atol=0.02)


@pytest.mark.parametrize(
    "size, width, height, grid",
    [
        (7, 600, 400, (5, 7)),
        (256, 600, 400, (171, 256)),  # up to the limit; a grid may have more cells than the picture has pixels
        (16, 40, 60, (16, 11)),  # a tall picture: the height is the longer side
        (256, 1000, 50, (13, 256)),  # 20 times as wide as tall, the widest a picture may be
        (5, 1000, 50, (1, 5)),  # never a side of no cells
        (1, 30, 30, (1, 1)),
    ],
)
def test_size_is_the_longer_side_and_the_other_follows_the_picture(page, size, width, height, grid):
    answer = page.ask("image.upload", {"data": photo(width, height), "size": size, "channels": 3})
    assert (answer.meta["height"], answer.meta["width"]) == grid
    assert answer.arrays["values"].shape == (3, *grid)
    assert (answer.meta["source_height"], answer.meta["source_width"], answer.meta["aspect_kept"]) == (
        height,
        width,
        True,
    )


def test_a_phone_photo_turned_by_its_exif_is_sized_upright(page):
    # Stored 600 wide and 400 tall, shown turned a quarter: a portrait 400 wide and 600 tall.
    answer = page.ask("image.upload", {"data": photo(600, 400, "JPEG", orientation=6), "size": 30})
    assert (answer.meta["height"], answer.meta["width"]) == (30, 20)
    assert (answer.meta["source_height"], answer.meta["source_width"]) == (600, 400)


def test_without_size_the_picture_is_stretched_and_the_answer_says_the_shape_was_not_kept(page):
    answer = page.ask("image.upload", {"data": photo(600, 400), "height": 7, "width": 7})
    assert (answer.meta["height"], answer.meta["width"]) == (7, 7)
    assert answer.meta["aspect_kept"] is False
    assert (answer.meta["source_height"], answer.meta["source_width"]) == (400, 600)
    same = page.ask("image.upload", {"data": photo(600, 400), "height": 20, "width": 30})
    assert same.meta["aspect_kept"] is True  # asked for the picture's own shape


@pytest.mark.parametrize(
    "params, message",
    [
        ({"size": 0}, "size must be from 1 to 256, got 0"),
        ({"size": 257}, "size must be from 1 to 256, got 257"),
        ({"size": 4.5}, "size must be a whole number from 1 to 256, got 4.5"),
        ({"size": 32, "height": 20}, "size sets the longer side and keeps the picture's shape, so it cannot come "),
        ({"size": 32, "width": 20}, "send size alone (1 to 256), or height and width to stretch the picture"),
    ],
)
def test_a_bad_size_is_refused_naming_size_and_its_range(page, params, message):
    answer = page.ask("image.upload", {"data": photo(60, 40), **params})
    assert (answer.header["code"], answer.header["field"]) == ("invalid", "size")
    assert message in answer.header["message"], answer.header["message"]
    ok = page.ask("image.upload", {"data": photo(60, 40), "size": 3})  # the socket stays open
    assert (ok.meta["height"], ok.meta["width"]) == (2, 3)
