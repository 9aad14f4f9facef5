"""How many numbers a layer learns when its input is an image: the argument for convolution.

An image of H×W pixels with C channels is a vector of H·W·C numbers. Three ways
to connect it to the next layer, each with fewer learned numbers than the last
(seed 001's 200×200 image with 40,000 hidden units, seed 000's 256×256 image
and 1024 classes):

* fully connected: every unit sees every input, ``inputs × units``
  (200·200 × 40,000 = 1.6·10⁹, "~2B"; 2¹⁶ × 2¹⁰ = 2²⁶);
* locally connected: every unit sees a window² patch of every channel, with
  its own weights, ``units × window² × channels`` (40,000 × 10·10 = 4M);
* shared filters (convolution): the units of a feature map share one window
  of weights, ``filters × window² × channels`` (100 × 10·10 = 10K).

Biases are optional (``bias=True`` adds one per unit, or one per filter), so
the seeds' counts, which leave them out, come out exactly. A 1×1 convolution
(:func:`pointwise`) is the shared count with window 1: a dot product across
channels at every pixel, which changes a volume's depth and nothing else.

Pure arithmetic on Python ints (no overflow, no float rounding); the layer
formulas of :mod:`engine.shapes` (``dense_params``, ``conv_params``,
``window_output``) do the counting wherever they apply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import checks, shapes

# Names of powers of a thousand, for reading a count aloud.
_SCALE_WORDS = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (10**3, "thousand"))


@dataclass(frozen=True)
class Count:
    """Learned numbers of one way of connecting, with the sum written out."""

    weights: int
    bias: int
    total: int
    formula: str  # e.g. "200×200×1 × 40,000" (the factors, as a student multiplies them)


def group(n: int) -> str:
    """``n`` with thousands separators, as the formulas print it: 40000 -> "40,000"."""
    return f"{n:,}"


def inputs(height: int, width: int, channels: int = 1) -> int:
    """An image as a vector: one number per pixel and channel."""
    h, w, c = _image(height, width, channels)
    return h * w * c


def fully_connected(height: int, width: int, channels: int, units: int, bias: bool = False) -> Count:
    """Every one of ``units`` sees every pixel of every channel: ``(H·W·C (+ 1)) × units``."""
    h, w, c = _image(height, width, channels)
    units = checks.integer("units", units, 1)
    total = shapes.dense_params(h * w * c, units, bias)
    weights = shapes.dense_params(h * w * c, units, bias=False)
    image = f"{h}×{w}×{c}"
    formula = f"({image} + 1) × {group(units)}" if bias else f"{image} × {group(units)}"
    return Count(weights, total - weights, total, formula)


def locally_connected(units: int, window: int, channels: int = 1, bias: bool = False) -> Count:
    """Every one of ``units`` sees its own window×window patch of every channel, with its own weights."""
    units = checks.integer("units", units, 1)
    window = checks.integer("window", window, 1)
    channels = checks.integer("channels", channels, 1)
    per_unit = window * window * channels  # one unit's weights: a patch of every channel
    weights = units * per_unit
    patch = f"{window}×{window}×{channels}"
    formula = f"{group(units)} × ({patch} + 1)" if bias else f"{group(units)} × {patch}"
    return Count(weights, units if bias else 0, weights + (units if bias else 0), formula)


def shared_filters(filters: int, window: int, channels: int = 1, bias: bool = False) -> Count:
    """``filters`` windows of weights, each shared by every unit of its feature map (a convolution layer)."""
    filters = checks.integer("filters", filters, 1)
    window = checks.integer("window", window, 1)
    channels = checks.integer("channels", channels, 1)
    total = shapes.conv_params((window, window), channels, filters, bias)
    weights = shapes.conv_params((window, window), channels, filters, bias=False)
    patch = f"{window}×{window}×{channels}"
    formula = f"{group(filters)} × ({patch} + 1)" if bias else f"{group(filters)} × {patch}"
    return Count(weights, total - weights, total, formula)


@dataclass(frozen=True)
class Pointwise:
    """A 1×1 convolution on a C_in×H×W volume: what it learns and what it does to the shape."""

    shape_in: tuple[int, int, int]  # (C_in, H, W)
    shape_out: tuple[int, int, int]  # (C_out, H, W): the same height and width, a new depth
    count: Count
    dot_length: int  # each output number is a dot product of this many inputs (C_in)


def pointwise(c_in: int, c_out: int, height: int, width: int, bias: bool = True) -> Pointwise:
    """A 1×1 convolution from ``c_in`` to ``c_out`` channels over a ``height``×``width`` map."""
    c_in = checks.integer("c_in", c_in, 1)
    c_out = checks.integer("c_out", c_out, 1)
    h, w, _ = _image(height, width, 1)
    out = shapes.window_output((h, w), (1, 1))  # a 1×1 window at stride 1 keeps every position
    count = shared_filters(c_out, 1, c_in, bias)
    return Pointwise((c_in, h, w), (c_out, *out.shape), count, c_in)


# ---------------------------------------------------------------- reading a count aloud


def power_of_two(n: int) -> int | None:
    """``e`` when ``n`` is exactly 2**e (65,536 -> 16), else None."""
    n = checks.integer("n", n, 0)
    return n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None


def _significant(n: int, digits: int) -> int:
    """``n`` rounded to ``digits`` significant figures, half up, in exact integer arithmetic."""
    drop = max(0, len(str(n)) - digits)
    unit = 10**drop
    return (n + unit // 2) // unit * unit


def words(n: int, digits: int = 2) -> str:
    """A count read aloud to ``digits`` significant figures.

    1,600,000,000 -> "1.6 billion", 67,108,864 -> "67 million".
    """
    n = checks.integer("n", n, 0)
    digits = checks.integer("digits", digits, 1)
    rounded = _significant(n, digits)
    for scale, name in _SCALE_WORDS:
        if rounded >= scale:
            whole, rest = divmod(rounded, scale)
            if not rest:
                return f"{whole:,} {name}"
            decimals = str(rest).rjust(len(str(scale)) - 1, "0").rstrip("0")
            return f"{whole:,}.{decimals} {name}"
    return str(rounded)


def rough(n: int) -> str:
    """The count to one significant figure, as a slide says it: 1.6·10⁹ -> "2 billion" (seed 001's "~2B")."""
    return words(n, 1)


def log10(n: int) -> float:
    """The count's power of ten, for a log-scale bar: 4,000,000 -> 6.0, 10,000 -> 4.0; 0 for a count of 0 or 1."""
    n = checks.integer("n", n, 0)
    return math.log10(n) if n > 1 else 0.0


def _image(height, width, channels) -> tuple[int, int, int]:
    return (
        checks.integer("height", height, 1),
        checks.integer("width", width, 1),
        checks.integer("channels", channels, 1),
    )
