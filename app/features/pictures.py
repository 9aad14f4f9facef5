"""Input images and kernels a lesson can start from: data, not math.

Kernel constants (Sobel, the X/O features, seed 002's filters) are written out
as the lectures print them. Input images are drawn with NumPy at any size, or
read from ``static/img`` with Pillow. Every generator returns float32 arrays in
the engine's layout: inputs (C, H, W), kernels (F, C, KH, KW) with bias (F,).
"""

from __future__ import annotations

import io
import math
import threading
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.errors import Problem
from ..core.paths import STATIC

IMAGES = STATIC / "img"
# An upload may be a small file that decodes to a huge image (a "decompression bomb"): these caps are read
# from the header, before any decoding. A 48-megapixel phone photo passes (JPEG decodes at 1/8 scale).
MAX_PIXELS = 50_000_000
MAX_PNG_PIXELS = 16_000_000  # a PNG decodes whole: 16 MP is 64 MB as RGBA
MAX_SIDE = 12_000
MAX_ASPECT = 20
DECODING = threading.BoundedSemaphore(2)  # decodes at once, server-wide: a burst of uploads waits, it does not pile up


def grid(rows) -> np.ndarray:
    return np.array(rows, np.float32)  # (H, W)


# ---------------------------------------------------------------- seed grids (as the lectures print them)

SEED001 = grid([[0, 80, 40], [20, 40, 0], [0, 0, 40]])  # (3, 3) seed 001's input
SEED003 = grid(
    [
        [3, 0, 1, 2, 7, 4],
        [1, 5, 8, 9, 3, 1],
        [2, 7, 2, 5, 1, 3],
        [0, 1, 3, 1, 7, 8],
        [4, 2, 1, 6, 2, 8],
        [2, 4, 5, 2, 3, 9],
    ]
)  # (6, 6) seed 003's input
# Seed 002's CS231n volume: the 5×5×3 input inside its printed ring of zero padding.
SEED002_INPUT = np.array(
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

# ---------------------------------------------------------------- fixed 3×3 kernels
# Edge signs follow seed 003: a bright-to-dark step from left to right (or top to bottom) responds positively.

FIXED = {
    "sharpen": grid([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "sobel_x": grid([[1, 0, -1], [2, 0, -2], [1, 0, -1]]),
    "sobel_y": grid([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]),
    "prewitt_x": grid([[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
    "prewitt_y": grid([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),
    "laplacian": grid([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "emboss": grid([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
    "vertical_edge": grid([[1, 0, -1], [1, 0, -1], [1, 0, -1]]),  # seed 003
    "horizontal_edge": grid([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]),  # seed 003
}


# ---------------------------------------------------------------- kernels of any size


def _identity(k: int) -> np.ndarray:
    if k % 2 == 0:
        raise Problem(
            "invalid", "size", f"size must be odd for identity (it needs a centre cell): 1, 3, 5, 7, 9 or 11, got {k}"
        )
    plane = np.zeros((k, k), np.float32)  # (K, K)
    plane[k // 2, k // 2] = 1
    return plane


def _box_blur(k: int) -> np.ndarray:
    return np.full((k, k), 1 / k**2, np.float32)  # (K, K) an average: weights sum to 1


def _gaussian(k: int) -> np.ndarray:
    row = np.array([math.comb(k - 1, i) for i in range(k)], np.float64) / 2 ** (k - 1)  # (K,) binomial ≈ Gaussian
    return np.outer(row, row).astype(np.float32)  # (K, K) sums to 1


def _diagonal_down(k: int) -> np.ndarray:
    return np.where(np.eye(k, dtype=bool), 1, -1).astype(np.float32)  # (K, K) seed 002's "\" feature


def _diagonal_up(k: int) -> np.ndarray:
    return _diagonal_down(k)[:, ::-1].copy()  # (K, K) "/"


def _cross(k: int) -> np.ndarray:
    both = np.eye(k, dtype=bool) | np.eye(k, dtype=bool)[:, ::-1]  # (K, K) the small "x" of seed 002
    return np.where(both, 1, -1).astype(np.float32)  # (K, K)


SIZED = {
    "identity": _identity,
    "box_blur": _box_blur,
    "gaussian": _gaussian,
    "diagonal_down": _diagonal_down,
    "diagonal_up": _diagonal_up,
    "cross": _cross,
}
# Seed 001's 2×2 kernel, meant for true convolution (flip): x ∗ k gives 45, 110, 40, 40 on its input.
SEED001_K = np.array([[0, 0.25], [0.5, 1]], np.float32)  # (2, 2)
# Seed 001's feature detector sigm(0.02·(x ∗ k) − 4): the pre-activation as one layer, weights 0.02·k and bias −4.
DETECTOR_SCALE, DETECTOR_BIAS = 0.02, -4.0
KERNELS = (*SIZED, *FIXED, "xo_set", "seed001", "seed001_detector", "seed002", "random")


def kernel(name: str, size: int, channels: int, filters: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Weights (F, C, K, K) and bias (F,) of a named kernel.

    One pattern fills filter 0, repeated in every channel (a filter spans them
    all); other filters are zeros. Sets fill several filters: ``xo_set`` needs
    3 (filters is raised to 3), ``seed002`` is exactly 2 filters of 3×3×3.
    Fixed kernels are 3×3 whatever ``size`` asks.
    """
    if name == "seed002":
        return SEED002_W.copy(), SEED002_B.copy()  # (2, 3, 3, 3), (2,)
    if name in ("seed001", "seed001_detector"):
        detector = name == "seed001_detector"
        w = np.zeros((filters, channels, 2, 2), np.float32)  # (F, C, 2, 2)
        w[0] = SEED001_K * (DETECTOR_SCALE if detector else 1)  # float32 products, as the engine would form them
        b = np.zeros(filters, np.float32)  # (F,)
        b[0] = DETECTOR_BIAS if detector else 0
        return w, b
    if name == "random":
        w = (
            np.random.default_rng(seed).uniform(-1, 1, (filters, channels, size, size)).astype(np.float32)
        )  # (F, C, K, K)
        return w, np.zeros(filters, np.float32)  # (F,)
    if name == "xo_set":
        planes = [_diagonal_down(size), _cross(size), _diagonal_up(size)]
        filters = max(filters, 3)
    else:
        planes = [FIXED[name] if name in FIXED else SIZED[name](size)]
    k = planes[0].shape[0]
    w = np.zeros((filters, channels, k, k), np.float32)  # (F, C, K, K)
    for f, plane in enumerate(planes):
        w[f] = plane  # broadcast over channels
    return w, np.zeros(filters, np.float32)  # (F,)


# ---------------------------------------------------------------- input images


def _index(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(h)[:, None], np.arange(w)[None, :]  # (H, 1), (1, W)


def _stroke(h: int, w: int) -> tuple[int, int]:
    """Margin and stroke width in cells: one each on seed 002's 9×9 grid, growing with the image."""
    t = max(1, round(min(h, w) / 9))
    return (t if min(h, w) >= 5 else 0), t


def _x(h: int, w: int, **_) -> np.ndarray:
    """An X of ±1 cells (+1 on the strokes), the X of seed 002's X-vs-O grids at 9×9."""
    m, t = _stroke(h, w)
    r, c = _index(h, w)  # (H, 1), (1, W)
    u = (r - m) / max(1, h - 1 - 2 * m)  # (H, 1) 0 at the top margin, 1 at the bottom one
    down = np.abs(c - (m + u * (w - 1 - 2 * m))) < t / 2  # (H, W)
    up = np.abs(c - (w - 1 - m - u * (w - 1 - 2 * m))) < t / 2  # (H, W)
    inside = (r >= m) & (r <= h - 1 - m)  # (H, 1)
    return np.where((down | up) & inside, 1, -1).astype(np.float32)  # (H, W)


def _o(h: int, w: int, **_) -> np.ndarray:
    """A ring of +1 cells on −1, the O of seed 002 at 9×9."""
    m, t = _stroke(h, w)
    r, c = _index(h, w)  # (H, 1), (1, W)
    ry, rx = max(0.5, (h - 1) / 2 - m), max(0.5, (w - 1) / 2 - m)
    e = np.sqrt(((r - (h - 1) / 2) / ry) ** 2 + ((c - (w - 1) / 2) / rx) ** 2)  # (H, W) 1 on the ellipse
    return np.where(np.abs(e - 1) * min(ry, rx) < t / 2, 1, -1).astype(np.float32)  # (H, W)


def _segment_distance(py, px, a, b) -> np.ndarray:
    """Distance from points (py, px) to the segment a–b, in the same units."""
    (ay, ax), (by, bx) = a, b
    dy, dx = by - ay, bx - ax
    t = np.clip(((py - ay) * dy + (px - ax) * dx) / (dy * dy + dx * dx), 0, 1)  # broadcast (H, W)
    return np.hypot(py - (ay + t * dy), px - (ax + t * dx))  # (H, W)


def _digit(h: int, w: int, **_) -> np.ndarray:
    """A handwritten-style 7, ink 1 on paper 0, with soft (anti-aliased) edges."""
    py, px = (np.arange(h)[:, None] + 0.5) / h, (np.arange(w)[None, :] + 0.5) / w  # (H, 1), (1, W) cell centres in 0..1
    bar = _segment_distance(py, px, (0.2, 0.22), (0.17, 0.8))  # (H, W) the top bar, slightly tilted
    leg = _segment_distance(py, px, (0.17, 0.8), (0.86, 0.4))  # (H, W) the slanted stroke
    cell = 1 / min(h, w)
    half = max(0.07, 0.6 * cell)  # never thinner than about a cell, or a small 7 vanishes
    return np.clip((half - np.minimum(bar, leg)) / cell + 0.5, 0, 1).astype(np.float32)  # (H, W)


def _vertical_edge(h: int, w: int, **_) -> np.ndarray:
    _, c = _index(h, w)
    return np.broadcast_to(np.where(c < (w + 1) // 2, 10, 0), (h, w)).astype(np.float32)  # (H, W) seed 003's 10|0


def _horizontal_edge(h: int, w: int, **_) -> np.ndarray:
    r, _ = _index(h, w)
    return np.broadcast_to(np.where(r < (h + 1) // 2, 10, 0), (h, w)).astype(np.float32)  # (H, W) 10 over 0


def _checkerboard(h: int, w: int, cells: int = 2, **_) -> np.ndarray:
    """10/0 squares, ``cells`` along each side; 2 gives seed 003's second edge image at 6×6."""
    r, c = _index(h, w)
    return np.where((r * cells // h + c * cells // w) % 2 == 0, 10, 0).astype(np.float32)  # (H, W)


@lru_cache(maxsize=2)
def _picture(name: str) -> Image.Image:
    with Image.open(IMAGES / name) as img:
        img.load()
        return img.copy()


def to_grid(img: Image.Image, h: int, w: int, channels: int) -> np.ndarray:
    """A picture as (C, H, W) in 0..1: grey or RGB, resized with Lanczos."""
    img = img.convert("L" if channels == 1 else "RGB").resize((w, h), Image.Resampling.LANCZOS)
    pixels = np.asarray(img, np.float32) / 255  # (H, W) or (H, W, 3)
    return np.ascontiguousarray(pixels[None] if channels == 1 else pixels.transpose(2, 0, 1))  # (C, H, W)


def _photo(h: int, w: int, channels: int) -> np.ndarray:
    if channels == 3:
        return to_grid(_picture("cat.png"), h, w, 3)  # (3, H, W)
    return np.repeat(to_grid(_picture("camera.png"), h, w, 1), channels, axis=0)  # (C, H, W)


PLANES = {
    "x": _x,
    "o": _o,
    "digit": _digit,
    "vertical_edge": _vertical_edge,
    "horizontal_edge": _horizontal_edge,
    "checkerboard": _checkerboard,
}
# Grids whose size the seeds fix, whatever size is asked for.
SEED_PLANES = {"seed003": SEED003, "seed001": SEED001}
INPUTS = (*PLANES, *SEED_PLANES, "seed002", "photo", "random", "zeros")


def input_image(
    name: str,
    height: int,
    width: int,
    channels: int,
    seed: int = 0,
    cells: int = 2,
    spread: float = 1.0,
    decimals: int | None = None,
) -> np.ndarray:
    """A named input (C, H, W); seed grids force their own size (seed002 its channels too).

    ``random`` draws seeded values from −spread to spread, rounded to ``decimals`` places if given.
    """
    if name == "seed002":
        return SEED002_INPUT.copy()  # (3, 5, 5)
    if name == "photo":
        return _photo(height, width, channels)  # (C, H, W)
    if name == "random":
        values = np.random.default_rng(seed).uniform(-spread, spread, (channels, height, width))  # (C, H, W)
        return (values if decimals is None else values.round(decimals)).astype(np.float32)  # (C, H, W)
    if name == "zeros":
        return np.zeros((channels, height, width), np.float32)  # (C, H, W)
    plane = SEED_PLANES[name] if name in SEED_PLANES else PLANES[name](height, width, cells=cells)  # (H, W)
    return np.repeat(plane[None], channels, axis=0)  # (C, H, W) the same picture in every channel


def _check_size(img: Image.Image) -> None:
    """Refuse, from the file's header alone, a picture too large to decode safely."""
    w, h = img.size
    most = MAX_PIXELS if img.format == "JPEG" else MAX_PNG_PIXELS  # a JPEG decodes at 1/8 scale when asked, a PNG never
    if w * h > most or max(w, h) > MAX_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
        raise Problem(
            "invalid",
            "data",
            f"data must be a picture of at most {most // 10**6} million pixels, at most {MAX_SIDE:,} pixels on a side "
            f"and at most {MAX_ASPECT} times as wide as tall (or tall as wide), got {w}×{h}; "
            "save a smaller copy and try again",
        )


def kept_aspect(source: tuple[int, int], size: int) -> tuple[int, int]:
    """(H, W) of a grid whose longer side is ``size`` cells, in the shape of a ``source`` (H, W) picture."""
    h, w = source
    long = max(h, w)
    return max(1, round(size * h / long)), max(1, round(size * w / long))


def same_shape(grid: tuple[int, int], source: tuple[int, int]) -> bool:
    """Whether a grid has the picture's shape, to within the rounding of one cell on either side."""
    return kept_aspect(source, max(grid)) == grid


def upload(
    data: bytes, height: int, width: int, channels: int, size: int | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """An uploaded PNG or JPEG as (C, H, W) in 0..1, and the picture's own (H, W); Problem naming data if it
    is not one. With ``size`` the grid's longer side is ``size`` and its shape the picture's; without it the
    picture is stretched to height × width.

    The size is checked before decoding, a JPEG decodes straight to a reduced scale, the
    picture shrinks to a few times the grid before resampling, and at most two decode at
    once: an upload costs well under a second and a few tens of MB, whatever the file says.
    """
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("PNG", "JPEG"):
            raise Problem("invalid", "data", f"data must be a PNG or JPEG picture, got a {img.format} file")
        _check_size(img)
        source = _upright_size(img)  # (H, W) as the photo is seen, read from the header
        if size is not None:
            height, width = kept_aspect(source, size)
        room = 4 * max(height, width, 64)  # enough pixels for a sharp resample to the grid
        with DECODING:
            img.draft("L" if channels == 1 else "RGB", (room, room))  # JPEG: decode at a reduced scale when it can
            img.thumbnail((room, room), reducing_gap=2.0)  # a whole-pixel reduce first, then one resample
            img = ImageOps.exif_transpose(img)  # phone photos store their rotation separately
            if img.mode in ("RGBA", "LA", "P", "PA"):
                # Transparent areas show as white, as they do on the page.
                img = Image.alpha_composite(Image.new("RGBA", img.size, "white"), img.convert("RGBA"))
            return to_grid(img, height, width, channels), source  # (C, H, W), (H, W)
    except Problem:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError) as exc:
        raise Problem(
            "invalid", "data", f"data must be a PNG or JPEG picture; this file could not be read ({type(exc).__name__})"
        ) from None


# EXIF orientations 5 to 8 turn the picture a quarter: its upright height is the stored width.
_QUARTER_TURNS = {5, 6, 7, 8}


def _upright_size(img: Image.Image) -> tuple[int, int]:
    w, h = img.size
    try:
        turned = img.getexif().get(0x0112) in _QUARTER_TURNS  # 0x0112: Orientation
    except Exception:  # noqa: BLE001 (a broken EXIF block: the picture is read as stored, as exif_transpose does)
        turned = False
    return (w, h) if turned else (h, w)
