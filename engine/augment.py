"""Data augmentation (seed 003) on one picture: flips, rotation, crop and scale, colour jitter.

Images are (C, H, W) float32 with values from 0 to 1, C = 1 (grey) or 3 (RGB).
Every op returns a new image of the same shape (seed 003: "always preserve the
image size").

Geometry. Pixel (i, j) has its centre at (i, j); the image's centre is
((H − 1)/2, (W − 1)/2), the convention of PyTorch's ``align_corners=False``.
Sampling between pixels is bilinear (one Numba kernel, ``_bilinear``, does it for
rotation and resizing alike). Where a sample falls outside the picture,
``mode`` decides what it sees: ``"constant"`` the value ``fill`` (the picture
padded with ``fill``, zero by default), ``"edge"`` the nearest border pixel,
``"reflect"`` the picture mirrored about its outer edge (PyTorch grid_sample's
"zeros" on x − fill then + fill, "border" and "reflection").

- rotate(θ): counter-clockwise by θ degrees about the centre, as torchvision
  does; output pixel (y, x) relative to the centre reads the input at
  (sin θ·x + cos θ·y, cos θ·x − sin θ·y). On a square picture, 90° is np.rot90.
- crop_and_scale: the box (top, left, height, width) in whole pixels, resized
  to the output size by F.interpolate's bilinear rule (align_corners=False):
  output index i reads box coordinate max(0, (i + ½)·in/out − ½), clamped to the box.

Colour (torchvision's definitions; each result clipped to 0..1):

- brightness b:  b·x                        (blend with black)
- contrast c:    c·x + (1 − c)·mean(grey(x)) (blend with the picture's mean grey)
- saturation s:  s·x + (1 − s)·grey(x)      (blend with the greyscale picture)
- hue h:         hue turned by h of a full turn (−½ to ½) in HSV
- grey(x) = 0.2989 R + 0.587 G + 0.114 B (a grey picture is its own grey). Saturation and
  hue leave a grey picture as it is.
"""

from __future__ import annotations

import math

import numpy as np

from . import checks
from .errors import ArgumentError
from .jit import kernel, twin_of

MODES = ("constant", "edge", "reflect")
OPS = ("hflip", "vflip", "rotate", "crop", "jitter")
GREY_WEIGHTS = (0.2989, 0.587, 0.114)  # ITU-R 601, as torchvision rounds them


def check_image(image) -> np.ndarray:
    """(C, H, W) float32, C 1 or 3, values from 0 to 1."""
    x = checks.array("image", image, 3, "(C, H, W)")
    if x.shape[0] not in (1, 3):
        raise ArgumentError("image", f"image must have 1 channel (grey) or 3 (RGB), got {x.shape[0]}")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:
        raise ArgumentError(
            "image", f"image must hold values from 0 to 1 (a picture scaled to 0..1), got values from {lo:g} to {hi:g}"
        )
    return x


# ---------------------------------------------------------------- sampling


MODE_CODES = {"constant": 0, "edge": 1, "reflect": 2}


@kernel
def _reflect(coord, n):
    """A coordinate mirrored about the picture's outer edges −½ and n − ½ (grid_sample "reflection")."""
    d = abs(coord + 0.5)  # distance from the edge at −½
    flips = math.floor(d / n)  # how many times the ray crossed an edge
    extra = d - flips * n
    return extra - 0.5 if flips % 2 == 0 else n - extra - 0.5


@kernel
def _bilinear(image, ys, xs, mode, fill, out):
    # One output pixel at a time: its four taps, each read from the picture or, outside it, the fill.
    c, h, w = image.shape
    oh, ow = ys.shape
    for i in range(oh):
        for j in range(ow):
            y, x = ys[i, j], xs[i, j]
            if mode == 2:
                y, x = _reflect(y, h), _reflect(x, w)
            if mode >= 1:  # edge and reflect: clamp to the outermost pixel centres
                y, x = min(max(y, 0.0), h - 1.0), min(max(x, 0.0), w - 1.0)
            y0, x0 = math.floor(y), math.floor(x)
            fy, fx = y - y0, x - x0
            iy, ix = int(y0), int(x0)
            for k in range(c):
                acc = 0.0
                for dy in range(2):
                    wy = fy if dy == 1 else 1.0 - fy
                    yy = iy + dy
                    for dx in range(2):
                        wx = fx if dx == 1 else 1.0 - fx
                        xx = ix + dx
                        # Outside the picture a tap sees the fill (constant);
                        # edge and reflect get there only with weight 0.
                        v = image[k, yy, xx] if 0 <= yy < h and 0 <= xx < w else (fill if mode == 0 else 0.0)
                        acc += wy * wx * v
                out[k, i, j] = acc


@twin_of(_bilinear)
def _bilinear_numpy(image, ys, xs, mode, fill, out):
    c, h, w = image.shape
    y, x = ys, xs  # (oh, ow) each
    if mode == 2:
        y, x = _reflect_numpy(y, h), _reflect_numpy(x, w)
    if mode >= 1:
        y, x = np.clip(y, 0.0, h - 1.0), np.clip(x, 0.0, w - 1.0)
    y0, x0 = np.floor(y), np.floor(x)  # (oh, ow) each
    fy, fx = y - y0, x - x0
    iy, ix = y0.astype(np.int64), x0.astype(np.int64)
    acc = np.zeros(out.shape)  # (C, oh, ow) float64, as the kernel sums
    for dy in range(2):
        wy = fy if dy == 1 else 1.0 - fy
        yy = iy + dy
        for dx in range(2):
            wx = fx if dx == 1 else 1.0 - fx
            xx = ix + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)  # (oh, ow)
            v = image[:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]  # (C, oh, ow)
            acc += wy * wx * np.where(inside, v, np.float64(fill if mode == 0 else 0.0))
    out[...] = acc


def _reflect_numpy(coord, n):
    d = np.abs(coord + 0.5)
    flips = np.floor(d / n)
    extra = d - flips * n
    return np.where(flips % 2 == 0, extra - 0.5, n - extra - 0.5)


def sample(image: np.ndarray, ys: np.ndarray, xs: np.ndarray, mode: str = "constant", fill: float = 0.0) -> np.ndarray:
    """Bilinear samples of ``image`` (C, H, W) at fractional pixel coordinates ys, xs (both (h, w))."""
    ys = np.ascontiguousarray(ys, np.float64)  # (h, w)
    xs = np.ascontiguousarray(xs, np.float64)  # (h, w)
    out = np.empty((image.shape[0], *ys.shape), np.float32)  # (C, h, w)
    _bilinear(np.ascontiguousarray(image, np.float32), ys, xs, MODE_CODES[mode], float(fill), out)
    return out  # (C, h, w)


def _bilinear_source(out: int, n: int) -> np.ndarray:
    """Where output index i of an n → out resize reads: F.interpolate's rule, align_corners=False."""
    return np.maximum(0.0, (np.arange(out) + 0.5) * (n / out) - 0.5)  # (out,)


# ---------------------------------------------------------------- geometry


def hflip(image) -> np.ndarray:
    """Mirror left to right."""
    return np.ascontiguousarray(check_image(image)[:, :, ::-1])  # (C, H, W)


def vflip(image) -> np.ndarray:
    """Mirror top to bottom."""
    return np.ascontiguousarray(check_image(image)[:, ::-1, :])  # (C, H, W)


def _check_mode(mode: str, fill) -> float:
    checks.choice("mode", mode, MODES)
    return checks.number("fill", fill, 0.0, 1.0)


def rotate(image, angle: float, mode: str = "constant", fill: float = 0.0) -> np.ndarray:
    """Turn counter-clockwise by ``angle`` degrees (−360 to 360) about the centre; bilinear."""
    x = check_image(image)
    angle = checks.number("angle", angle, -360.0, 360.0)
    fill = _check_mode(mode, fill)
    _, h, w = x.shape
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    # Whole quarter turns are exact: cos 90° is 6e-17 in floating point, which would blur nothing but is not 0.
    if angle % 90 == 0:
        cos, sin = round(cos), round(sin)
    oy = np.arange(h, dtype=np.float64)[:, None] - (h - 1) / 2  # (H, 1) output row, from the centre
    ox = np.arange(w, dtype=np.float64)[None, :] - (w - 1) / 2  # (1, W) output column, from the centre
    ys = sin * ox + cos * oy + (h - 1) / 2  # (H, W) input row read
    xs = cos * ox - sin * oy + (w - 1) / 2  # (H, W) input column read
    return sample(x, ys, xs, mode, fill)  # (C, H, W)


def resize(image, height: int, width: int) -> np.ndarray:
    """Bilinear resize to (height, width), F.interpolate(mode="bilinear", align_corners=False)."""
    x = check_image(image)
    height = checks.integer("height", height, 1, 1024)
    width = checks.integer("width", width, 1, 1024)
    _, h, w = x.shape
    ys = np.broadcast_to(_bilinear_source(height, h)[:, None], (height, width))  # (h', w')
    xs = np.broadcast_to(_bilinear_source(width, w)[None, :], (height, width))  # (h', w')
    return sample(x, ys, xs, "edge")  # (C, h', w')


def crop_box(shape, scale: float, x: float = 0.5, y: float = 0.5) -> tuple[int, int, int, int]:
    """(top, left, height, width) of a box keeping ``scale`` (0.1 to 1) of each side.

    ``x`` and ``y`` (0 to 1) place it: 0 against the left (top) edge, 1 against
    the right (bottom) edge, ½ centred. Every setting is a box inside the picture.
    """
    _, h, w = shape
    scale = checks.number("scale", scale, 0.1, 1.0)
    x = checks.number("x", x, 0.0, 1.0)
    y = checks.number("y", y, 0.0, 1.0)
    bh, bw = max(1, round(scale * h)), max(1, round(scale * w))
    return round(y * (h - bh)), round(x * (w - bw)), bh, bw


def crop_and_scale(
    image, top: int, left: int, height: int, width: int, out_size: tuple[int, int] | None = None
) -> np.ndarray:
    """The box (top, left, height, width) resized back to ``out_size`` (default: the picture's size)."""
    x = check_image(image)
    _, h, w = x.shape
    height = checks.integer("height", height, 1, h)
    width = checks.integer("width", width, 1, w)
    top = checks.integer("top", top, 0, h - height)
    left = checks.integer("left", left, 0, w - width)
    oh, ow = (h, w) if out_size is None else checks.pair("out_size", out_size, 1, 1024)
    box = np.ascontiguousarray(x[:, top : top + height, left : left + width])  # (C, height, width)
    return resize(box, oh, ow)  # (C, oh, ow)


# ---------------------------------------------------------------- colour


def _grey(x: np.ndarray) -> np.ndarray:
    if x.shape[0] == 1:
        return x.copy()  # (1, H, W) a grey picture is its own grey
    r, g, b = GREY_WEIGHTS
    return (r * x[0:1] + g * x[1:2] + b * x[2:3]).astype(np.float32)  # (1, H, W)


def grey(image) -> np.ndarray:
    """(1, H, W) luminance: 0.2989 R + 0.587 G + 0.114 B, or the picture itself when grey."""
    return _grey(check_image(image))  # (1, H, W)


def _blend(x: np.ndarray, other, factor: float) -> np.ndarray:
    return np.clip(factor * x + (1 - factor) * other, 0, 1).astype(np.float32)  # like x


def _brightness(x: np.ndarray, factor: float) -> np.ndarray:
    return _blend(x, 0.0, factor)  # (C, H, W)


def _contrast(x: np.ndarray, factor: float) -> np.ndarray:
    return _blend(x, np.float32(_grey(x).mean()), factor)  # (C, H, W)


def _saturation(x: np.ndarray, factor: float) -> np.ndarray:
    return x.copy() if x.shape[0] == 1 else _blend(x, _grey(x), factor)  # (C, H, W)


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    r, g, b = x  # (H, W) each
    maxc, minc = x.max(axis=0), x.min(axis=0)  # (H, W) each
    flat = maxc == minc  # (H, W) grey pixels: no hue
    spread = maxc - minc  # (H, W)
    s = spread / np.where(flat, 1, maxc)  # (H, W)
    d = np.where(flat, 1, spread)  # (H, W)
    rc, gc, bc = (maxc - r) / d, (maxc - g) / d, (maxc - b) / d  # (H, W) each
    hue = np.where(maxc == r, bc - gc, np.where(maxc == g, 2 + rc - bc, 4 + gc - rc))  # (H, W) sixths of a turn
    return np.stack([np.fmod(hue / 6 + 1, 1), s, maxc])  # (3, H, W)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv  # (H, W) each
    i = np.floor(h * 6)  # (H, W) which sixth of the wheel
    f = h * 6 - i  # (H, W) how far into it
    p, q, t = (np.clip(v * (1 - s * k), 0, 1) for k in (1, f, 1 - f))  # (H, W) each
    sector = i.astype(np.int64) % 6  # (H, W)
    table = np.stack(
        [np.stack(row) for row in ((v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q))]
    )  # (3, 6, H, W)
    return np.take_along_axis(table, sector[None, None], axis=1)[:, 0]  # (3, H, W)


def _hue(x: np.ndarray, shift: float) -> np.ndarray:
    if x.shape[0] == 1 or shift == 0:
        return x.copy()  # (C, H, W) a grey picture has no hue to turn
    hsv = _rgb_to_hsv(x.astype(np.float64))  # (3, H, W)
    hsv[0] = np.mod(hsv[0] + shift, 1.0)
    return _hsv_to_rgb(hsv).astype(np.float32)  # (3, H, W)


def adjust_brightness(image, factor: float) -> np.ndarray:
    """factor·x, clipped: 0 is black, 1 the picture, 2 twice as bright."""
    return _brightness(check_image(image), checks.number("brightness", factor, 0.0, 5.0))  # (C, H, W)


def adjust_contrast(image, factor: float) -> np.ndarray:
    """Blend with the picture's mean grey: 0 is flat grey, 1 the picture."""
    return _contrast(check_image(image), checks.number("contrast", factor, 0.0, 5.0))  # (C, H, W)


def adjust_saturation(image, factor: float) -> np.ndarray:
    """Blend with the greyscale picture: 0 is grey, 1 the picture, 2 more vivid."""
    return _saturation(check_image(image), checks.number("saturation", factor, 0.0, 5.0))  # (C, H, W)


def adjust_hue(image, shift: float) -> np.ndarray:
    """Turn every colour's hue by ``shift`` of a full turn (−½ to ½)."""
    return _hue(check_image(image), checks.number("hue", shift, -0.5, 0.5))  # (C, H, W)


def color_jitter(
    image, brightness: float = 1.0, contrast: float = 1.0, saturation: float = 1.0, hue: float = 0.0
) -> np.ndarray:
    """Brightness, then contrast, then saturation, then hue: one fixed order, so one setting is one picture.

    (torchvision's ColorJitter shuffles the order on every call.)
    """
    x = check_image(image)
    b = checks.number("brightness", brightness, 0.0, 5.0)
    c = checks.number("contrast", contrast, 0.0, 5.0)
    s = checks.number("saturation", saturation, 0.0, 5.0)
    h = checks.number("hue", hue, -0.5, 0.5)
    return _hue(_saturation(_contrast(_brightness(x, b), c), s), h)  # (C, H, W)


# ---------------------------------------------------------------- a list of ops, and random ones


def _apply_one(x: np.ndarray, step: dict) -> tuple[np.ndarray, dict]:
    """One op on x (C, H, W); returns the new picture and the op with every setting it used."""
    name = checks.choice("op", step.get("op"), OPS)
    if name == "hflip":
        return hflip(x), {"op": name}
    if name == "vflip":
        return vflip(x), {"op": name}
    if name == "rotate":
        used = {
            "op": name,
            "angle": step.get("angle", 0.0),
            "mode": step.get("mode", "constant"),
            "fill": step.get("fill", 0.0),
        }
        return rotate(x, used["angle"], used["mode"], used["fill"]), used
    if name == "crop":
        if step.get("box") is not None:
            top, left, height, width = step["box"]
            used = {"op": name}
        else:
            used = {"op": name, "scale": step.get("scale", 1.0), "x": step.get("x", 0.5), "y": step.get("y", 0.5)}
            top, left, height, width = crop_box(x.shape, used["scale"], used["x"], used["y"])
        used["box"] = [int(top), int(left), int(height), int(width)]
        return crop_and_scale(x, top, left, height, width), used
    used = {
        "op": name,
        **{k: step.get(k, d) for k, d in (("brightness", 1.0), ("contrast", 1.0), ("saturation", 1.0), ("hue", 0.0))},
    }
    return color_jitter(x, used["brightness"], used["contrast"], used["saturation"], used["hue"]), used


def apply(image, steps: list[dict]) -> tuple[np.ndarray, list[dict]]:
    """The ops in order, e.g. [{"op": "crop", "scale": 0.7}, {"op": "rotate", "angle": 15}].

    Returns (picture (C, H, W), the ops as applied: every default filled in, a crop's box in pixels).
    """
    x = check_image(image)
    applied = []
    for step in steps:
        x, used = _apply_one(x, step)  # (C, H, W)
        applied.append(used)
    return x, applied


RANDOM_RANGES = {"angle": 20.0, "scale": (0.6, 1.0), "brightness": 0.3, "contrast": 0.3, "saturation": 0.3, "hue": 0.0}


def _check_random(ops, n, seed, ranges: dict) -> dict:
    if isinstance(ops, str) or not all(isinstance(o, str) for o in ops):
        raise ArgumentError("ops", f"ops must be a list of op names from {', '.join(OPS)}, got {ops!r}")
    for name in ops:
        checks.choice("ops", name, OPS)
    if len(set(ops)) != len(ops):
        raise ArgumentError("ops", f"ops must name each op at most once, got {list(ops)}")
    checks.integer("n", n, 1, 64)
    checks.integer("seed", seed, 0, 2**31 - 1)
    unknown = set(ranges) - set(RANDOM_RANGES) - {"mode", "fill"}
    if unknown:
        raise ArgumentError(
            min(unknown),
            f"{min(unknown)} is not a range of random_augment; it takes {', '.join([*RANDOM_RANGES, 'mode', 'fill'])}",
        )
    r = {**RANDOM_RANGES, "mode": "constant", "fill": 0.0, **ranges}
    checks.number("angle", r["angle"], 0.0, 180.0)
    lo, hi = (checks.number("scale", v, 0.1, 1.0) for v in r["scale"])
    if lo > hi:
        raise ArgumentError(
            "scale", f"scale must be a range (smallest, largest) from 0.1 to 1, smallest first, got {tuple(r['scale'])}"
        )
    for name in ("brightness", "contrast", "saturation"):
        checks.number(name, r[name], 0.0, 1.0)
    checks.number("hue", r["hue"], 0.0, 0.5)
    _check_mode(r["mode"], r["fill"])
    return r


def random_steps(ops, rng: np.random.Generator, r: dict) -> list[dict]:
    """One variant's ops with drawn settings, rounded to what the page prints, so the list is what was applied.

    A flip is drawn with probability ½ and left out of the list when not drawn; a
    rotation turns by up to ±angle; a crop keeps scale[0] to scale[1] of each side,
    anywhere in the picture; jitter draws each factor from 1 − b to 1 + b (hue ±hue).
    Every draw is made whether or not it is used, so one op never shifts another's.
    """
    steps = []
    for name in ops:
        if name in ("hflip", "vflip"):
            if rng.random() < 0.5:
                steps.append({"op": name})
        elif name == "rotate":
            angle = round(float(rng.uniform(-r["angle"], r["angle"])), 1) + 0.0  # + 0.0: no "−0°"
            steps.append({"op": name, "angle": angle, "mode": r["mode"], "fill": r["fill"]})
        elif name == "crop":
            scale, x, y = (round(float(v), 2) for v in (rng.uniform(*r["scale"]), rng.random(), rng.random()))
            steps.append({"op": name, "scale": scale, "x": x, "y": y})
        else:
            b, c, s = (
                round(float(rng.uniform(1 - r[k], 1 + r[k])), 2) for k in ("brightness", "contrast", "saturation")
            )
            h = round(float(rng.uniform(-r["hue"], r["hue"])), 2) + 0.0
            steps.append({"op": name, "brightness": b, "contrast": c, "saturation": s, "hue": h})
    return steps


def random_augment(image, ops, seed: int, n: int, **ranges) -> tuple[np.ndarray, list[list[dict]]]:
    """n seeded random variants of one picture: (variants (n, C, H, W), each variant's ops as applied).

    ``ops`` names the ops to draw, in the order they are applied (e.g. ["crop",
    "hflip", "rotate", "jitter"]); ``ranges`` may override RANDOM_RANGES and set the
    rotation's ``mode`` and ``fill``. Variant i draws from its own generator
    seeded (seed, i): the same seed gives the same pictures, and the first
    variants do not depend on n.
    """
    x = check_image(image)
    r = _check_random(ops, n, seed, ranges)
    variants = np.empty((n, *x.shape), np.float32)  # (n, C, H, W)
    applied = []
    for i in range(n):
        variants[i], used = apply(x, random_steps(ops, np.random.default_rng([seed, i]), r))  # (C, H, W)
        applied.append(used)
    return variants, applied
