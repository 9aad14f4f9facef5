"""Shared steps for the playground's browser tests: open a setup, read what the page shows, and the
expected maps computed here, from the setup the test chose, with the slow NumPy reference
(tests/engine/reference.py), never from what the page reports about itself."""

from __future__ import annotations

import base64

import numpy as np

from ...engine import reference
from ..helpers import assert_shows, number

# ---------------------------------------------------------------- presets, written out as the page must get them

# The default picture ("x" at 7×7): −1 everywhere, +1 on the two diagonals inside a one-cell margin.
X7 = np.array(
    [
        [-1, -1, -1, -1, -1, -1, -1],
        [-1, +1, -1, -1, -1, +1, -1],
        [-1, -1, +1, -1, +1, -1, -1],
        [-1, -1, -1, +1, -1, -1, -1],
        [-1, -1, +1, -1, +1, -1, -1],
        [-1, +1, -1, -1, -1, +1, -1],
        [-1, -1, -1, -1, -1, -1, -1],
    ],
    np.float32,
)  # (7, 7)
# The default kernel ("diagonal_down" at 3×3): seed 002's "\" feature.
DIAGONAL_DOWN = np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], np.float32)  # (3, 3)
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)  # (3, 3)
VERTICAL_EDGE = np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]], np.float32)  # (3, 3) seed 003
HORIZONTAL_EDGE = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], np.float32)  # (3, 3) seed 003
# Seed 003's 6×6 picture, as the lecture prints it.
SEED003 = np.array(
    [
        [3, 0, 1, 2, 7, 4],
        [1, 5, 8, 9, 3, 1],
        [2, 7, 2, 5, 1, 3],
        [0, 1, 3, 1, 7, 8],
        [4, 2, 1, 6, 2, 8],
        [2, 4, 5, 2, 3, 9],
    ],
    np.float32,
)  # (6, 6)


# Seed 002's CS231n volume as the lecture prints it: the 5×5×3 input (inside its ring of zero padding),
# two 3×3×3 filters, biases 1 and 0. (Its printed output is not this volume's: an animated slide's
# other draw. The expected maps are computed from these numbers, as tests/engine/test_seeds.py does.)
SEED002_X = np.array(
    [
        [[1, 0, 2, 1, 1], [0, 0, 2, 2, 1], [1, 0, 0, 0, 2], [2, 1, 0, 2, 0], [2, 0, 2, 2, 0]],
        [[0, 1, 2, 1, 1], [1, 2, 2, 1, 1], [1, 0, 1, 0, 2], [0, 2, 0, 1, 0], [1, 0, 0, 0, 0]],
        [[2, 1, 1, 2, 2], [2, 2, 2, 2, 0], [0, 0, 1, 1, 0], [0, 2, 0, 1, 2], [2, 2, 1, 1, 1]],
    ],
    np.float32,
)  # (3, 5, 5)
SEED002_W = np.array(
    [
        [
            [[0, -1, 1], [0, 1, 1], [-1, 0, -1]],
            [[-1, -1, 0], [1, -1, 1], [1, -1, -1]],
            [[-1, -1, 1], [0, 1, 1], [-1, 1, 0]],
        ],
        [
            [[-1, 0, 0], [0, 0, 1], [1, -1, 1]],
            [[-1, 1, -1], [-1, 0, 0], [-1, 0, -1]],
            [[1, -1, 0], [-1, 1, -1], [1, -1, 0]],
        ],
    ],
    np.float32,
)  # (2, 3, 3, 3)
SEED002_B = np.array([1, 0], np.float32)  # (2,)


def checkerboard(n: int) -> np.ndarray:
    """The "checkerboard" preset on an n×n grid (n even): 2×2 squares, 10 at the top left, 0 beside it."""
    half = n // 2
    return np.kron(np.array([[10, 0], [0, 10]], np.float32), np.ones((half, half), np.float32))  # (n, n)


def reference_output(x, w, b=None, stride=1, padding=0, dilation=1, flip=False, pad_mode="zeros") -> np.ndarray:
    """The expected output maps (F, OH, OW) in float64, for x (H, W) or (C, H, W) and w (KH, KW) or (F, C, KH, KW)."""
    x = np.asarray(x, np.float64)
    x = x[None] if x.ndim == 2 else x  # (C, H, W)
    w = np.asarray(w, np.float64)
    w = w[None, None] if w.ndim == 2 else w  # (F, C, KH, KW)
    if pad_mode != "zeros":  # the reference pads with zeros only: pad here, then slide unpadded
        x = np.pad(
            x, ((0, 0), (padding, padding), (padding, padding)), {"reflect": "reflect", "replicate": "edge"}[pad_mode]
        )  # (C, Hp, Wp)
        padding = 0
    return reference.conv2d(
        x[None], w, b, stride=(stride, stride), padding=(padding,) * 4, dilation=(dilation, dilation), flip=flip
    )[0]  # (F, OH, OW)


# ---------------------------------------------------------------- the page


def open_playground(page, server_url: str, query: str = "", reduced_motion: bool = True):
    """Load /playground with a query string; wait for the first answer (result or error)."""
    if reduced_motion:
        page.emulate_media(reduced_motion="reduce")
    page.goto(f"{server_url}playground{query}")
    page.wait_for_function("window.convscope !== undefined")
    page.evaluate("window.convscope.ready")


def output_texts(page, scope: str = "") -> list[list[str]]:
    """The output map of the shown filter, each cell's text as the page writes it (its table of numbers)."""
    return page.eval_on_selector_all(
        f"{scope} .output-view table tbody tr".strip(), "rows => rows.map(r => Array.from(r.cells, c => c.textContent))"
    )


def output_cells(page, scope: str = "") -> list[list[float]]:
    """The shown output map, as numbers."""
    return [[number(t) for t in row] for row in output_texts(page, scope)]


def assert_output_shows(page, expected, scope: str = ""):
    """Every number of the shown output map is ``expected`` (OH, OW), rounded as the page rounds a cell."""
    assert_shows(output_texts(page, scope), expected, what="output map")


def page_input(page) -> np.ndarray:
    """The picture the page holds (C, H, W): to check what a stroke or an upload did to it."""
    d = page.evaluate(
        "(() => { const i = window.convscope.data.input;"
        " return {c: i.channels, h: i.height, w: i.width, values: Array.from(i.values)}; })()"
    )
    return np.array(d["values"], np.float32).reshape(d["c"], d["h"], d["w"])  # (C, H, W)


def floats_b64(values) -> str:
    """The URL encoding of edited arrays: base64url of little-endian float32, no padding."""
    raw = np.asarray(values, "<f4").tobytes()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def wait_shape(page, text: str):
    page.wait_for_function("t => document.querySelector('#output-shape').textContent === t", arg=text)


def step_label(page) -> str:
    return page.locator("#step-label").inner_text()


def url_has(page, *parts: str):
    """Wait until the page's link holds every part (the page writes it once a change settles)."""
    page.wait_for_function("parts => parts.every(p => location.search.includes(p))", arg=list(parts))
