"""image.upload under hostile files: sizes refused from the header, big photos shrunk on load, fast and small."""

from __future__ import annotations

import base64
import io
import threading
import time

import numpy as np
import pytest
from PIL import Image

from ...conftest import server_rss_mb
from ..conftest import Page

SESSION_PORT = 8901  # the suite's server (tests/conftest.py)


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


@pytest.mark.parametrize("name, size", [("line", "40000000×1"), ("palette", "6000×6000"), ("tall", "100×3000")])
def test_a_picture_too_large_to_decode_is_refused_from_its_header(page, bombs, name, size):
    before = server_rss_mb(SESSION_PORT)
    start = time.monotonic()
    answer = page.ask("image.upload", {"data": bombs[name], "height": 16, "width": 16})
    assert time.monotonic() - start < 1.0
    assert (answer.header["code"], answer.header["field"]) == ("invalid", "data")
    assert f"got {size}" in answer.header["message"] and "million pixels" in answer.header["message"]
    assert server_rss_mb(SESSION_PORT) - before < 50


def test_a_48_megapixel_photo_is_answered_within_a_second_and_little_memory(page, bombs):
    before = server_rss_mb(SESSION_PORT)
    start = time.monotonic()
    answer = page.ask("image.upload", {"data": bombs["photo"], "height": 48, "width": 64, "channels": 3})
    seconds = time.monotonic() - start
    assert answer.type == "input.values" and answer.arrays["values"].shape == (3, 48, 64)
    assert seconds < 1.0, seconds
    assert server_rss_mb(SESSION_PORT) - before < 200


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
