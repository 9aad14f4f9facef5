"""input.preset, kernel.preset and image.upload through the real server: documented sizes, the seeds' grids exactly."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from app.features import pictures as presets
from engine import conv2d

from ...engine.test_seeds import HORIZONTAL, SEED002_B, SEED002_PADDED, SEED002_W, SEED003_INPUT, VERTICAL
from ..conftest import grid_params

SEED001 = [[0, 80, 40], [20, 40, 0], [0, 0, 40]]


# ---------------------------------------------------------------- input.preset


@pytest.mark.parametrize(
    "name", ["x", "o", "digit", "vertical_edge", "horizontal_edge", "checkerboard", "photo", "random", "zeros"]
)
@pytest.mark.parametrize("c, h, w", [(1, 9, 9), (3, 20, 13), (2, 1, 256), (1, 256, 256)])
def test_input_presets_come_at_the_size_asked(page, name, c, h, w):
    answer = page.ask("input.preset", {"name": name, "height": h, "width": w, "channels": c})
    assert answer.type == "input.values"
    assert answer.meta == {"name": name, "channels": c, "height": h, "width": w}
    values = answer.arrays["values"]
    assert values.shape == (c, h, w) and values.dtype == np.float32 and np.isfinite(values).all()
    lo, hi = {
        "x": (-1, 1),
        "o": (-1, 1),
        "vertical_edge": (0, 10),
        "horizontal_edge": (0, 10),
        "checkerboard": (0, 10),
        "random": (-1, 1),
        "zeros": (0, 0),
    }.get(name, (0, 1))
    assert values.min() >= lo and values.max() <= hi


@pytest.mark.parametrize(
    "name, c, grid", [("seed001", 1, SEED001), ("seed003", 1, SEED003_INPUT), ("seed003", 3, SEED003_INPUT)]
)
def test_seed_grids_exactly_whatever_size_is_asked(page, name, c, grid):
    answer = page.ask("input.preset", {"name": name, "height": 40, "width": 50, "channels": c})
    size = len(grid)
    assert answer.meta == {"name": name, "channels": c, "height": size, "width": size}
    np.testing.assert_array_equal(answer.arrays["values"], np.broadcast_to(np.array(grid, np.float32), (c, size, size)))


def test_seed002_volume_exactly(page):
    answer = page.ask("input.preset", {"name": "seed002", "height": 9, "width": 9, "channels": 1})
    assert answer.meta == {"name": "seed002", "channels": 3, "height": 5, "width": 5}
    np.testing.assert_array_equal(answer.arrays["values"], SEED002_PADDED[:, 1:-1, 1:-1])


def test_seed003_edge_images(page):
    vertical = page.ask("input.preset", {"name": "vertical_edge", "height": 6, "width": 6}).arrays["values"][0]
    np.testing.assert_array_equal(vertical, [[10, 10, 10, 0, 0, 0]] * 6)
    board = page.ask("input.preset", {"name": "checkerboard", "height": 6, "width": 6}).arrays["values"][0]
    np.testing.assert_array_equal(board, [[10, 10, 10, 0, 0, 0]] * 3 + [[0, 0, 0, 10, 10, 10]] * 3)
    fine = page.ask("input.preset", {"name": "checkerboard", "height": 4, "width": 4, "cells": 4}).arrays["values"][0]
    np.testing.assert_array_equal(fine, [[10, 0, 10, 0], [0, 10, 0, 10]] * 2)


def test_x_and_o_are_seed002s_9x9_grids(page):
    x = page.ask("input.preset", {"name": "x"}).arrays["values"][0]
    o = page.ask("input.preset", {"name": "o"}).arrays["values"][0]
    strokes = np.full((9, 9), -1, np.float32)  # (9, 9)
    for i in range(1, 8):
        strokes[i, i] = strokes[i, 8 - i] = 1
    np.testing.assert_array_equal(x, strokes)
    assert set(np.unique(o)) == {-1, 1}
    np.testing.assert_array_equal(o, o[::-1])  # a ring is symmetric
    np.testing.assert_array_equal(o, o.T)
    assert o[4, 4] == -1 and o[1, 4] == 1 and o[4, 1] == 1 and (o[0] == -1).all()


def test_random_is_seeded_and_photo_is_the_picture(page):
    a = page.ask("input.preset", {"name": "random", "height": 5, "width": 6, "seed": 3}).arrays["values"]
    b = page.ask("input.preset", {"name": "random", "height": 5, "width": 6, "seed": 3}).arrays["values"]
    c = page.ask("input.preset", {"name": "random", "height": 5, "width": 6, "seed": 4}).arrays["values"]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    cat = page.ask("input.preset", {"name": "photo", "height": 128, "width": 128, "channels": 3}).arrays["values"]
    expected = (
        np.asarray(Image.open(presets.IMAGES / "cat.png").convert("RGB"), np.float32).transpose(2, 0, 1) / 255
    )  # (3, 128, 128)
    np.testing.assert_allclose(cat, expected, atol=1e-6)


@pytest.mark.parametrize(
    "params, field, fragment",
    [
        ({"name": "lena"}, "name", "name must be 'x', 'o', 'digit'"),
        ({"name": "x", "height": 300}, "height", "height must be from 1 to 256, got 300"),
        ({"name": "x", "channels": 0}, "channels", "channels must be from 1 to 3, got 0"),
        ({"name": "checkerboard", "cells": 33}, "cells", "cells must be from 1 to 32, got 33"),
        ({}, "name", "name is required"),
    ],
)
def test_bad_input_presets(page, params, field, fragment):
    answer = page.ask("input.preset", params)
    assert (answer.header["code"], answer.header["field"]) == ("invalid", field)
    assert fragment in answer.header["message"]
    assert page.ask("input.preset", {"name": "zeros"}).type == "input.values"


# ---------------------------------------------------------------- kernel.preset


@pytest.mark.parametrize("name", list(presets.KERNELS))
def test_every_kernel_preset_answers_with_consistent_shapes(page, name):
    size = 5 if name != "identity" else 7
    answer = page.ask("kernel.preset", {"name": name, "size": size, "channels": 2, "filters": 4})
    assert answer.type == "kernel.values"
    values, bias = answer.arrays["values"], answer.arrays["bias"]
    meta = answer.meta
    assert values.shape == (meta["filters"], meta["channels"], meta["height"], meta["width"])
    assert bias.shape == (meta["filters"],)
    fixed = name in presets.FIXED
    expected = {
        "seed002": (2, 3, 3, 3),
        "xo_set": (4, 2, 5, 5),
        "seed001": (4, 2, 2, 2),
        "seed001_detector": (4, 2, 2, 2),
    }.get(name, (4, 2, 3 if fixed else size, 3 if fixed else size))
    assert values.shape == expected


def test_seed001_feature_detector_end_to_end(page):
    """sigm(0.02·(x ∗ k) − 4) on seed 001's input: x ∗ k is 45, 110, 40, 40 (true convolution)."""
    import torch

    x = page.ask("input.preset", {"name": "seed001"}).arrays["values"]  # (1, 3, 3)
    plain = page.ask("kernel.preset", {"name": "seed001"}).arrays
    detector = page.ask("kernel.preset", {"name": "seed001_detector"}).arrays
    np.testing.assert_array_equal(plain["values"][0, 0], [[0, 0.25], [0.5, 1]])
    assert detector["bias"][0] == -4

    def conv(k):
        params = {
            "input": {"channels": 1, "height": 3, "width": 3, "values": x.ravel().tolist()},
            "kernels": {"filters": 1, "height": 2, "width": 2, "values": k["values"].ravel().tolist()},
            "bias": k["bias"].tolist(),
            "flip": True,
        }
        return page.ask("conv.run", params).arrays["output"]  # (1, 2, 2)

    np.testing.assert_array_equal(conv(plain)[0], [[45, 110], [40, 40]])
    z = conv(detector)  # (1, 2, 2)
    np.testing.assert_allclose(z[0], 0.02 * np.array([[45, 110], [40, 40]]) - 4, rtol=1e-6)
    y = page.ask(
        "activation.run",
        {"input": {"channels": 1, "height": 2, "width": 2, "values": z.ravel().tolist()}, "name": "sigmoid"},
    ).arrays["output"]
    np.testing.assert_allclose(y, torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-6)
    assert y.max() < 0.15  # even the best match (110) is a weak response: the −4 sets a high threshold


# ---------------------------------------------------------------- kernel values, as the textbooks write them

# Edge kernels take seed 003's sign: a bright-to-dark step from left to right (top to bottom)
# answers positively. Seed 003 prints the two Prewitt kernels as its vertical and horizontal
# edge detectors; seed 002 prints Sobel y on its "convolutions as filters" slide.
SEED002_SOBEL_Y = [[1, 2, 1], [0, 0, 0], [-1, -2, -1]]
SOBEL_X = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]  # Sobel y turned a quarter: the same smoothing across the edge
LAPLACIAN = [[0, 1, 0], [1, -4, 1], [0, 1, 0]]  # the 4-neighbour second difference, ∂²/∂x² + ∂²/∂y²
SHARPEN = [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]  # the picture less its Laplacian
EMBOSS = [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]  # a diagonal difference over the picture itself
SEED001_K = [[0, 0.25], [0.5, 1]]  # seed 001's kernel
# Pascal's triangle, row K − 1, over 2^(K−1): the binomial weights a Gaussian blur is made of.
PASCAL = {1: [1], 2: [1, 1], 3: [1, 2, 1], 5: [1, 4, 6, 4, 1], 11: [1, 10, 45, 120, 210, 252, 210, 120, 45, 10, 1]}


def centre_one(k: int) -> np.ndarray:
    plane = np.zeros((k, k))  # (K, K)
    plane[k // 2, k // 2] = 1
    return plane


DIAGONAL_DOWN = {
    3: [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]],  # seed 002's "\" stroke of an X
    5: [[1, -1, -1, -1, -1], [-1, 1, -1, -1, -1], [-1, -1, 1, -1, -1], [-1, -1, -1, 1, -1], [-1, -1, -1, -1, 1]],
}
DIAGONAL_UP = {k: np.fliplr(plane) for k, plane in DIAGONAL_DOWN.items()}  # the "/" stroke
CROSS = {
    3: [[1, -1, 1], [-1, 1, -1], [1, -1, 1]],  # seed 002's small x
    4: [[1, -1, -1, 1], [-1, 1, 1, -1], [-1, 1, 1, -1], [1, -1, -1, 1]],
    5: [[1, -1, -1, -1, 1], [-1, 1, -1, 1, -1], [-1, -1, 1, -1, -1], [-1, 1, -1, 1, -1], [1, -1, -1, -1, 1]],
}
FIXED_3X3 = {
    "sharpen": SHARPEN,
    "sobel_x": SOBEL_X,
    "sobel_y": SEED002_SOBEL_Y,
    "prewitt_x": VERTICAL,
    "prewitt_y": HORIZONTAL,
    "laplacian": LAPLACIAN,
    "emboss": EMBOSS,
    "vertical_edge": VERTICAL,
    "horizontal_edge": HORIZONTAL,
}
# name -> {size asked: (the planes of filters 0, 1, ..., filter 0's bias)}; a plane fills every channel.
TEXTBOOK = {
    **{name: {3: ([plane], 0), 7: ([plane], 0)} for name, plane in FIXED_3X3.items()},  # 3×3 whatever the size
    "identity": {k: ([centre_one(k)], 0) for k in (1, 3, 5, 11)},
    "box_blur": {k: ([np.full((k, k), 1 / k**2)], 0) for k in (1, 2, 3, 5, 11)},  # the mean of the window
    "gaussian": {k: ([np.outer(row, row) / sum(row) ** 2], 0) for k, row in PASCAL.items()},
    "diagonal_down": {k: ([plane], 0) for k, plane in DIAGONAL_DOWN.items()},
    "diagonal_up": {k: ([plane], 0) for k, plane in DIAGONAL_UP.items()},
    "cross": {k: ([plane], 0) for k, plane in CROSS.items()},
    "xo_set": {k: ([DIAGONAL_DOWN[k], CROSS[k], DIAGONAL_UP[k]], 0) for k in (3, 5)},
    "seed001": {3: ([SEED001_K], 0)},  # 2×2 whatever the size
    # Seed 001's detector sigm(0.02·(x ∗ k) − 4) as one layer: weights 0.02·k, bias −4.
    "seed001_detector": {3: ([[[0, 0.005], [0.01, 0.02]]], -4)},
}


def test_every_kernel_preset_has_its_values_written_here():
    assert set(presets.KERNELS) == set(TEXTBOOK) | {"seed002", "random"}


@pytest.mark.parametrize("channels, filters", [(1, 1), (3, 4)])
@pytest.mark.parametrize("name, size", [(name, size) for name, table in TEXTBOOK.items() for size in table])
def test_kernel_preset_values_are_the_textbooks(page, name, size, channels, filters):
    """Filter 0 (a set: filters 0, 1, ...) holds the kernel in every channel; the other filters are zeros."""
    planes, bias0 = TEXTBOOK[name][size]
    answer = page.ask("kernel.preset", {"name": name, "size": size, "channels": channels, "filters": filters}).arrays
    k = np.shape(planes[0])[0]
    expected = np.zeros((max(filters, len(planes)), channels, k, k))  # (F, C, K, K) a set raises the filters
    expected[: len(planes)] = np.array(planes, np.float64)[:, None]  # (P, 1, K, K) over every channel
    bias = np.zeros(len(expected))  # (F,)
    bias[0] = bias0
    np.testing.assert_allclose(answer["values"], expected, rtol=1e-6, atol=0)
    np.testing.assert_allclose(answer["bias"], bias, rtol=1e-6, atol=0)


@pytest.mark.parametrize("size, channels, filters", [(3, 3, 2), (7, 1, 1), (5, 2, 16)])
def test_seed002_filters_whatever_is_asked(page, size, channels, filters):
    answer = page.ask("kernel.preset", {"name": "seed002", "size": size, "channels": channels, "filters": filters})
    np.testing.assert_array_equal(answer.arrays["values"], SEED002_W)
    np.testing.assert_array_equal(answer.arrays["bias"], SEED002_B)


def test_random_kernels_are_seeded_uniform_and_fill_every_filter(page):
    def ask(seed):
        return page.ask("kernel.preset", {"name": "random", "seed": seed, "size": 5, "channels": 3, "filters": 4})

    first, again, other = ask(1).arrays, ask(1).arrays, ask(2).arrays
    np.testing.assert_array_equal(first["values"], again["values"])
    assert not np.array_equal(first["values"], other["values"])
    values = first["values"]  # (4, 3, 5, 5)
    assert values.shape == (4, 3, 5, 5) and np.abs(values).max() <= 1
    assert len(np.unique(values)) == values.size  # every weight its own draw, no channel or filter repeated
    assert values.min() < -0.5 and values.max() > 0.5  # spread over the range, not squeezed near zero
    np.testing.assert_array_equal(first["bias"], np.zeros(4))


def test_presets_reproduce_seed003_through_conv_run(page):
    x = page.ask("input.preset", {"name": "seed003"}).arrays["values"]  # (1, 6, 6)
    w = page.ask("kernel.preset", {"name": "vertical_edge"}).arrays["values"]  # (1, 1, 3, 3)
    y = page.ask("conv.run", grid_params(x, w)).arrays["output"][0]  # (4, 4)
    np.testing.assert_array_equal(y, [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])
    xs = page.ask("input.preset", {"name": "seed002"}).arrays["values"]  # (3, 5, 5)
    k = page.ask("kernel.preset", {"name": "seed002"}).arrays
    out = page.ask("conv.run", grid_params(xs, k["values"], k["bias"], stride=[2, 2], padding=[1, 1, 1, 1])).arrays[
        "output"
    ]
    np.testing.assert_array_equal(out, conv2d(xs[None], SEED002_W, SEED002_B, stride=2, padding=1)[0])
    assert out[0, 0, 0] == 5


def test_bad_kernel_presets(page):
    even = page.ask("kernel.preset", {"name": "identity", "size": 4}).header
    assert (even["code"], even["field"]) == ("invalid", "size")
    assert even["message"] == "size must be odd for identity (it needs a centre cell): 1, 3, 5, 7, 9 or 11, got 4"
    big = page.ask("kernel.preset", {"name": "box_blur", "size": 12}).header
    assert big["message"] == "size must be from 1 to 11, got 12"
    many = page.ask("kernel.preset", {"name": "box_blur", "filters": 17}).header
    assert many["message"] == "filters must be from 1 to 16, got 17"
    assert page.ask("kernel.preset", {"name": "identity"}).type == "kernel.values"


# ---------------------------------------------------------------- image.upload


def encoded(img: Image.Image, fmt: str = "PNG") -> str:
    buffer = io.BytesIO()
    img.save(buffer, fmt)
    return base64.b64encode(buffer.getvalue()).decode()


def test_upload_of_a_grey_png_at_its_own_size_is_its_pixels(page):
    pixels = (np.arange(48).reshape(6, 8) * 5).astype(np.uint8)  # (6, 8)
    answer = page.ask(
        "image.upload", {"data": encoded(Image.fromarray(pixels)), "height": 6, "width": 8, "channels": 1}
    )
    assert answer.type == "input.values"
    assert answer.meta == {
        "name": "upload",
        "channels": 1,
        "height": 6,
        "width": 8,
        "source_height": 6,
        "source_width": 8,
        "aspect_kept": True,
    }
    np.testing.assert_allclose(answer.arrays["values"][0], pixels / 255, atol=1e-7)


def test_upload_rgb_resized_and_as_data_url(page):
    rgb = np.zeros((40, 30, 3), np.uint8)  # (H, W, 3)
    rgb[..., 0] = 255  # pure red
    data = "data:image/png;base64," + encoded(Image.fromarray(rgb))
    answer = page.ask("image.upload", {"data": data, "height": 10, "width": 12, "channels": 3})
    values = answer.arrays["values"]
    assert values.shape == (3, 10, 12) and answer.meta["channels"] == 3
    np.testing.assert_allclose(values[0], 1, atol=1e-6)
    np.testing.assert_allclose(values[1:], 0, atol=1e-6)
    grey = page.ask("image.upload", {"data": data, "height": 4, "width": 4, "channels": 1}).arrays["values"]
    np.testing.assert_allclose(grey, round(0.299 * 255) / 255, atol=1e-6)  # Pillow's L = 0.299 R + ...


def test_upload_jpeg(page):
    img = Image.fromarray(np.full((64, 64, 3), 128, np.uint8))
    answer = page.ask("image.upload", {"data": encoded(img, "JPEG"), "height": 16, "width": 16, "channels": 3})
    assert answer.arrays["values"].shape == (3, 16, 16)
    np.testing.assert_allclose(answer.arrays["values"], 128 / 255, atol=3 / 255)


@pytest.mark.parametrize(
    "data, fragment",
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"plain text, not a picture").decode(), "must be a PNG or JPEG picture"),
        (encoded(Image.new("L", (4, 4)), "GIF"), "must be a PNG or JPEG picture, got a GIF file"),
        (base64.b64encode(b"\0" * (4 * 2**20 + 1)).decode(), "data must be a file of at most 4 MB, got 4.0 MB"),
        ("A" * (5_600_000), "data must be at most 5592472 characters long"),
    ],
)
def test_bad_uploads(page, data, fragment):
    answer = page.ask("image.upload", {"data": data, "height": 8, "width": 8})
    assert (answer.header["code"], answer.header["field"]) == ("invalid", "data")
    assert fragment in answer.header["message"], answer.header["message"]
    ok = page.ask("image.upload", {"data": encoded(Image.new("L", (3, 3), 255)), "height": 2, "width": 2})
    np.testing.assert_allclose(ok.arrays["values"], 1)


def test_upload_channels_must_be_grey_or_rgb(page):
    answer = page.ask("image.upload", {"data": encoded(Image.new("L", (3, 3))), "channels": 2})
    assert answer.header["field"] == "channels" and answer.header["message"] == "channels must be 1 or 3, got 2"


def test_random_input_spread_and_rounding(page):
    plain = page.ask("input.preset", {"name": "random", "height": 6, "width": 6, "seed": 3})
    wide = page.ask("input.preset", {"name": "random", "height": 6, "width": 6, "seed": 3, "spread": 3, "decimals": 1})
    # Same seeded draw, stretched by the spread, then rounded to one decimal place.
    np.testing.assert_allclose(
        wide.arrays["values"], np.round(plain.arrays["values"].astype(np.float64) * 3, 1), atol=1e-6
    )
    assert np.abs(wide.arrays["values"]).max() <= 3
    bad = page.ask("input.preset", {"name": "random", "height": 6, "width": 6, "spread": 0})
    assert bad.type == "error" and bad.header["field"] == "spread" and "0.001" in bad.header["message"]
