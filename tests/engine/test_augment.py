"""Data augmentation (engine.augment) against NumPy and PyTorch.

Flips and quarter turns against np.flip and np.rot90; rotation at any angle
against F.grid_sample on the affine grid of the same rotation; crop and scale
against F.interpolate(mode="bilinear", align_corners=False); colour jitter
against torchvision's definitions written out in torch (torchvision itself is
not a dependency). Random variants must repeat exactly for a seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import augment as A
from tests.engine import reference as ref

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")


def picture(seed: int, c: int = 3, h: int | None = None, w: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = h or int(rng.integers(3, 20))
    w = w or int(rng.integers(3, 20))
    return rng.uniform(0, 1, (c, h, w)).astype(np.float32)  # (C, H, W)


def t64(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a), dtype=torch.float64)


# ---------------------------------------------------------------- flips and quarter turns


@pytest.mark.parametrize("seed", range(6))
def test_flips_equal_np_flip(seed):
    x = picture(seed, c=1 + 2 * (seed % 2))
    np.testing.assert_array_equal(A.hflip(x), np.flip(x, axis=2))
    np.testing.assert_array_equal(A.vflip(x), np.flip(x, axis=1))
    np.testing.assert_array_equal(A.hflip(A.hflip(x)), x)


@pytest.mark.parametrize("mode", A.MODES)
@pytest.mark.parametrize(("angle", "k"), [(90, 1), (180, 2), (270, 3), (-90, -1), (360, 0)])
def test_quarter_turns_about_the_centre_equal_np_rot90(angle, k, mode):
    # Counter-clockwise about ((H−1)/2, (W−1)/2): on a square picture every pixel lands on a pixel.
    for seed, size in ((1, 8), (2, 7), (3, 1)):
        x = picture(seed, h=size, w=size)
        np.testing.assert_array_equal(A.rotate(x, angle, mode), np.rot90(x, k, axes=(1, 2)))
    # A half turn maps pixels to pixels on any rectangle.
    if angle == 180:
        x = picture(4, h=5, w=9)
        np.testing.assert_array_equal(A.rotate(x, 180, mode), np.rot90(x, 2, axes=(1, 2)))


def test_rotation_by_zero_is_the_identity():
    x = picture(5)
    for mode in A.MODES:
        np.testing.assert_array_equal(A.rotate(x, 0, mode, 0.7), x)


def test_a_positive_angle_turns_counter_clockwise():
    x = np.zeros((1, 5, 5), np.float32)  # (1, 5, 5)
    x[0, 2, 4] = 1  # a dot right of the centre
    y = A.rotate(x, 90)
    assert y[0, 0, 2] == 1 and y.sum() == 1  # now above it: counter-clockwise on screen


def torch_rotate(x: np.ndarray, angle: float, mode: str, fill: float) -> np.ndarray:
    """grid_sample on affine_grid's rotation, align_corners=False; constant fill as (x − fill) padded with zeros, +
    fill.
    """
    _, h, w = x.shape
    a = math.radians(angle)
    # Normalised coordinates run −1..1 over W (x) and H (y), so the turn's off-diagonal terms carry H/W.
    theta = torch.tensor(
        [[[math.cos(a), -math.sin(a) * h / w, 0], [math.sin(a) * w / h, math.cos(a), 0]]], dtype=torch.float64
    )
    grid = F.affine_grid(theta, (1, x.shape[0], h, w), align_corners=False)  # (1, H, W, 2)
    padding = {"constant": "zeros", "edge": "border", "reflect": "reflection"}[mode]
    shift = fill if mode == "constant" else 0.0
    out = F.grid_sample(t64(x)[None] - shift, grid, mode="bilinear", padding_mode=padding, align_corners=False) + shift
    return out[0].numpy()  # (C, H, W)


@pytest.mark.parametrize("mode", A.MODES)
@pytest.mark.parametrize("seed", range(8))
def test_rotation_equals_grid_sample_on_the_same_affine_grid(seed, mode):
    rng = np.random.default_rng(seed)
    x = picture(seed, c=int(rng.choice([1, 3])))
    angle = float(rng.uniform(-200, 200))
    fill = float(rng.uniform(0, 1))
    ref.assert_close(
        A.rotate(x, angle, mode, fill), torch_rotate(x, angle, mode, fill), 1e-5, f"rotate {angle:.1f}° {mode}"
    )


# ---------------------------------------------------------------- resize, crop and scale


@pytest.mark.parametrize("seed", range(10))
def test_resize_equals_interpolate_bilinear(seed):
    rng = np.random.default_rng(seed)
    x = picture(seed)
    oh, ow = (int(v) for v in rng.integers(1, 30, 2))  # up, down, or one of each
    expected = F.interpolate(t64(x)[None], size=(oh, ow), mode="bilinear", align_corners=False)[0]
    ref.assert_close(A.resize(x, oh, ow), expected.numpy(), 1e-5, f"{x.shape[1:]} → {(oh, ow)}")


@pytest.mark.parametrize("seed", range(10))
def test_crop_and_scale_equals_interpolate_of_the_box(seed):
    rng = np.random.default_rng(seed)
    x = picture(seed, h=int(rng.integers(6, 24)), w=int(rng.integers(6, 24)))
    _, h, w = x.shape
    bh, bw = int(rng.integers(1, h + 1)), int(rng.integers(1, w + 1))
    top, left = int(rng.integers(0, h - bh + 1)), int(rng.integers(0, w - bw + 1))
    out = (h, w) if seed % 2 else (int(rng.integers(2, 30)), int(rng.integers(2, 30)))
    box = t64(x[:, top : top + bh, left : left + bw])[None]  # (1, C, bh, bw)
    expected = F.interpolate(box, size=out, mode="bilinear", align_corners=False)[0]
    ref.assert_close(
        A.crop_and_scale(x, top, left, bh, bw, None if seed % 2 else out), expected.numpy(), 1e-5, "crop and scale"
    )


def test_the_whole_picture_as_the_box_is_the_identity():
    x = picture(3)
    np.testing.assert_allclose(A.crop_and_scale(x, 0, 0, x.shape[1], x.shape[2]), x, atol=1e-7)


@pytest.mark.parametrize("scale", [0.1, 0.33, 0.5, 0.99, 1.0])
def test_every_crop_setting_is_a_box_inside_the_picture(scale):
    for x_, y_ in [(0, 0), (1, 1), (0.5, 0.5), (0.2, 0.9)]:
        for h, w in [(64, 64), (7, 30), (1, 1)]:
            top, left, bh, bw = A.crop_box((3, h, w), scale, x_, y_)
            assert top >= 0 and top + bh <= h and left >= 0 and left + bw <= w
            assert bh == max(1, round(scale * h)) and bw == max(1, round(scale * w))
    assert A.crop_box((3, 100, 100), 0.5, 0, 1) == (50, 0, 50, 50)  # left edge, bottom edge


# ---------------------------------------------------------------- colour: torchvision's formulas in torch


def tv_grey(x: torch.Tensor) -> torch.Tensor:
    return (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2])[None] if x.shape[0] == 3 else x  # (1, H, W)


def tv_blend(a, b, ratio):
    return (ratio * a + (1.0 - ratio) * b).clamp(0, 1)


def tv_rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc, minc = torch.max(img, dim=-3).values, torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = torch.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def tv_hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def tv_hue(x, factor):
    if x.shape[0] == 1:
        return x
    h, s, v = tv_rgb2hsv(x).unbind(dim=-3)
    return tv_hsv2rgb(torch.stack(((h + factor) % 1.0, s, v), dim=-3))


TV = {
    "brightness": lambda x, f: tv_blend(x, torch.zeros_like(x), f),
    "contrast": lambda x, f: tv_blend(x, tv_grey(x).mean(), f),
    "saturation": lambda x, f: x if x.shape[0] == 1 else tv_blend(x, tv_grey(x), f),
    "hue": tv_hue,
}
OURS = {
    "brightness": A.adjust_brightness,
    "contrast": A.adjust_contrast,
    "saturation": A.adjust_saturation,
    "hue": A.adjust_hue,
}


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("op", list(TV))
@pytest.mark.parametrize("seed", range(5))
def test_colour_ops_follow_torchvisions_definitions(op, channels, seed):
    rng = np.random.default_rng(seed)
    x = picture(seed, c=channels)
    factor = (
        float(rng.uniform(-0.5, 0.5))
        if op == "hue"
        else float(rng.choice([0.0, rng.uniform(0, 1), rng.uniform(1, 2.5)]))
    )
    ref.assert_close(OURS[op](x, factor), TV[op](t64(x), factor).numpy(), 1e-5, f"{op} {factor:.2f}")


def test_jitter_is_brightness_then_contrast_then_saturation_then_hue():
    x = picture(9)
    expected = TV["hue"](TV["saturation"](TV["contrast"](TV["brightness"](t64(x), 1.3), 0.7), 1.6), -0.2)
    ref.assert_close(A.color_jitter(x, 1.3, 0.7, 1.6, -0.2), expected.numpy(), 1e-5, "jitter")
    np.testing.assert_array_equal(A.color_jitter(x), x)  # all factors neutral


def test_grey_picture_ignores_saturation_and_hue_and_jitter_keeps_it_in_range():
    g = picture(2, c=1)
    np.testing.assert_array_equal(A.adjust_saturation(g, 2.0), g)
    np.testing.assert_array_equal(A.adjust_hue(g, 0.3), g)
    y = A.color_jitter(picture(3), 3.0, 2.5, 3.0, 0.4)
    assert y.min() >= 0 and y.max() <= 1 and y.dtype == np.float32


# ---------------------------------------------------------------- ops in order, and random variants


def test_apply_runs_the_ops_in_order_and_reports_each_setting():
    x = picture(4, h=16, w=12)
    y, applied = A.apply(
        x,
        [
            {"op": "crop", "scale": 0.5, "x": 1, "y": 0},
            {"op": "hflip"},
            {"op": "rotate", "angle": 30},
            {"op": "jitter", "brightness": 1.2},
        ],
    )
    box = A.crop_box(x.shape, 0.5, 1, 0)
    expected = A.color_jitter(A.rotate(A.hflip(A.crop_and_scale(x, *box)), 30), 1.2)
    np.testing.assert_array_equal(y, expected)
    assert applied[0] == {"op": "crop", "box": list(box), "scale": 0.5, "x": 1, "y": 0}
    assert applied[2] == {"op": "rotate", "angle": 30, "mode": "constant", "fill": 0.0}
    assert applied[3] == {"op": "jitter", "brightness": 1.2, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}


OPS = ["crop", "hflip", "vflip", "rotate", "jitter"]


def test_random_variants_repeat_for_a_seed_and_differ_across_seeds():
    x = picture(6, h=20, w=20)
    a, pa = A.random_augment(x, OPS, seed=11, n=8, hue=0.1, mode="reflect")
    b, pb = A.random_augment(x, OPS, seed=11, n=8, hue=0.1, mode="reflect")
    np.testing.assert_array_equal(a, b)
    assert pa == pb and a.shape == (8, *x.shape)
    c, _ = A.random_augment(x, OPS, seed=12, n=8, hue=0.1, mode="reflect")
    assert not np.array_equal(a, c)
    assert len({v.tobytes() for v in a}) == 8  # eight different training examples
    first, _ = A.random_augment(x, OPS, seed=11, n=3, hue=0.1, mode="reflect")
    np.testing.assert_array_equal(first, a[:3])  # variant i does not depend on n


def test_each_variants_listed_ops_are_exactly_what_made_it():
    x = picture(7, h=16, w=16)
    variants, listed = A.random_augment(x, OPS, seed=3, n=6, angle=30, scale=(0.5, 0.9))
    for v, steps in zip(variants, listed):
        np.testing.assert_array_equal(A.apply(x, steps)[0], v)
        rot = next(s for s in steps if s["op"] == "rotate")
        crop = next(s for s in steps if s["op"] == "crop")
        jit = next(s for s in steps if s["op"] == "jitter")
        assert -30 <= rot["angle"] <= 30 and 0.5 <= crop["scale"] <= 0.9
        assert all(0.7 <= jit[k] <= 1.3 for k in ("brightness", "contrast", "saturation")) and jit["hue"] == 0
    flips = sum(s["op"] == "hflip" for steps in A.random_augment(x, ["hflip"], seed=0, n=64)[1] for s in steps)
    assert 16 < flips < 48  # about half


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: A.rotate(x, 400), "angle must be from -360.0 to 360.0"),
        (lambda x: A.rotate(x, 10, "wrap"), "mode must be one of 'constant', 'edge', 'reflect'"),
        (lambda x: A.rotate(x, 10, "constant", 2), "fill must be from 0.0 to 1.0"),
        (lambda x: A.crop_and_scale(x, 5, 0, 8, 8), "top must be from 0 to 2"),
        (lambda x: A.crop_and_scale(x, 0, 0, 11, 4), "height must be from 1 to 10"),
        (lambda x: A.crop_box(x.shape, 0.05), "scale must be from 0.1 to 1.0"),
        (lambda x: A.adjust_hue(x, 0.7), "hue must be from -0.5 to 0.5"),
        (lambda x: A.color_jitter(x, -1), "brightness must be from 0.0 to 5.0"),
        (
            lambda x: A.random_augment(x, ["spin"], 0, 4),
            "ops must be one of 'hflip', 'vflip', 'rotate', 'crop', 'jitter'",
        ),
        (lambda x: A.random_augment(x, ["hflip", "hflip"], 0, 4), "ops must name each op at most once"),
        (lambda x: A.random_augment(x, ["hflip"], 0, 0), "n must be from 1 to 64"),
        (lambda x: A.random_augment(x, ["crop"], 0, 2, scale=(0.9, 0.5)), "scale must be a range"),
        (lambda x: A.random_augment(x, ["crop"], 0, 2, size=3), "size is not a range of random_augment"),
        (lambda x: A.hflip(x * 2), "image must hold values from 0 to 1"),
        (lambda x: A.hflip(np.zeros((2, 4, 4))), "image must have 1 channel (grey) or 3 (RGB), got 2"),
        (lambda x: A.hflip(np.zeros((4, 4))), "image must have 3 axes (C, H, W)"),
    ],
)
def test_argument_errors_name_the_argument_and_its_range(call, message):
    x = picture(0, h=10, w=10)
    with pytest.raises(ValueError) as info:
        call(x)
    assert message in str(info.value), str(info.value)
