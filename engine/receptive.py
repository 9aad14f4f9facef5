"""Receptive fields of a stack of window layers: what one unit of any layer sees of the input.

Every layer here is a square window (a convolution or a max or average pool) with a side k, a
stride s, a padding p and a dilation d. Along one axis, unit i of a layer reads the cells
``i·s − p + t·d`` (t = 0 … k − 1) of the map below it. Chaining that rule down to the input gives,
per layer l (with r_0 = 1, j_0 = 1 for the input itself)::

    r_l = r_{l−1} + d_l·(k_l − 1)·j_{l−1}    the side of the input patch one unit sees
    j_l = j_{l−1}·s_l                        how far apart, in input cells, neighbouring units look

The jump j is why a stride or a pool early in a stack multiplies the growth of every later layer:
each later tap is j input cells from the next. The patch's first cell moves by −p_l·j_{l−1} per
layer, so a unit near the border has a box reaching into the padding; :meth:`Stack.boxes` gives it
both whole and cut to the map.

The box is only the outline. Which cells inside it reach the unit, and along how many paths, is
the gradient of that unit with respect to the input when every weight is 1 (a pool counted as
the window it reads, i.e. a sum: any cell of a max pool's window may win): the "effective
receptive field". With dilation it has holes (one 3×3 at d = 2 reads 9 cells spread over 5×5).
An all-ones square window is the outer product of two all-ones rows, and padding, stride and
dilation act on each axis alone, so the count at (a, b) is rows[a]·cols[b]: :meth:`Stack.paths`
backpropagates a one-hot row through ``engine.conv1d_backward`` with a kernel of ones, layer by
layer, and multiplies. One axis's counts stay below 7⁶ = 117,649, exact in float32; the product is
taken in int64, so counts up to 7¹² stay exact where a float32 2-D map would round them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import checks, shapes
from .conv import conv1d_backward
from .errors import ArgumentError

KINDS = ("conv", "maxpool", "avgpool")


@dataclass(frozen=True)
class Window:
    """One layer: a k×k window at stride s, padding p, dilation d."""

    kind: str
    k: int
    s: int = 1
    p: int = 0
    d: int = 1

    @property
    def reach(self) -> int:
        """Cells from the first tap to the last, both included: d·(k − 1) + 1."""
        return self.d * (self.k - 1) + 1

    def label(self) -> str:
        name = {"conv": "conv", "maxpool": "max pool", "avgpool": "avg pool"}[self.kind]
        extra = "".join(
            f" {n}={v}" for n, v, base in (("s", self.s, 1), ("p", self.p, 0), ("d", self.d, 1)) if v != base
        )
        return f"{name} {self.k}×{self.k}{extra}"


def window(
    kind: str = "conv", k: int = 3, s: int = 1, p: int = 0, d: int = 1, at: str = "layer", place: str = ""
) -> Window:
    """A checked :class:`Window`; ArgumentError names ``<at>.<field>``, and its sentence starts with ``place``."""
    kind = checks.choice(f"{at}.kind", kind, KINDS)
    w = Window(
        kind,
        checks.integer(f"{at}.k", k, 1),
        checks.integer(f"{at}.s", s, 1),
        checks.integer(f"{at}.p", p, 0),
        checks.integer(f"{at}.d", d, 1),
    )
    if kind != "conv" and 2 * w.p > w.k:
        # As PyTorch's pools: a wider padding would leave windows that read nothing but padding.
        lead = f"{place}: " if place else ""
        raise ArgumentError(f"{at}.p", f"{lead}a {w.k}×{w.k} pool takes a padding of at most {w.k // 2}, got {w.p}")
    return w


@dataclass(frozen=True)
class Level:
    """One map of the stack (the input is level 0): its side, and what one of its units sees."""

    size: int  # cells along each axis
    field: int  # r: the side of the input patch one unit sees
    jump: int  # j: input cells between neighbouring units' patches
    start: int  # input coordinate of unit 0's first patch cell (negative: in the padding)
    formula: str  # its size with the numbers in, "(8 + 2×1 − 3)/1 + 1 = 8"; "" for the input


def _walk(n: int, layers: tuple[Window, ...], names: list[str] | None = None) -> tuple[Level, ...]:
    levels = [Level(n, 1, 1, 0, "")]
    for i, w in enumerate(layers):
        below = levels[-1]
        ax = shapes.axis(below.size, w.k, w.s, w.p, None, w.d)
        if not ax.fits_at_all:
            at = names[i] if names else f"layers[{i}]"
            raise ArgumentError(
                f"{at}.k",
                f"layer {i + 1} ({w.label()}): its output vanishes: {ax.no_position()}; "
                "use a smaller k or d, more padding, fewer layers or a larger input",
                fits=False,
            )
        levels.append(
            Level(
                ax.size,
                below.field + w.d * (w.k - 1) * below.jump,
                below.jump * w.s,
                below.start - w.p * below.jump,
                ax.formula(),
            )
        )
    return tuple(levels)


@dataclass(frozen=True)
class Stack:
    """A checked stack of window layers over an n×n input, and its geometry level by level."""

    n: int
    layers: tuple[Window, ...]
    levels: tuple[Level, ...]  # len(layers) + 1: the input, then each layer's output

    def _from(self, on: int, level: int) -> tuple[Level, ...]:
        """The geometry of layers on+1 … level, measured in map ``on``'s cells."""
        if not 0 <= on < level <= len(self.layers):
            raise ArgumentError("on", f"on must be a map below level {level} (0 to {level - 1}), got {on}")
        return _walk(self.levels[on].size, self.layers[on:level])

    def box(self, level: int, index: int, on: int = 0) -> tuple[int, int]:
        """First and last cell (along one axis, both included) of map ``on`` that unit ``index`` reads."""
        top = self._from(on, level)[-1]
        index = checks.integer("index", index, 0, top.size - 1)
        first = top.start + index * top.jump
        return first, first + top.field - 1

    def boxes(self, level: int, on: int = 0) -> np.ndarray:
        """(size_level, 4): every unit's box on map ``on``: first, last, then both cut to the map."""
        top = self._from(on, level)[-1]
        first = top.start + np.arange(top.size, dtype=np.int64) * top.jump  # (S,)
        last = first + top.field - 1  # (S,)
        inside = self.levels[on].size - 1
        return np.stack([first, last, first.clip(0, inside), last.clip(0, inside)], axis=1)  # (S, 4)

    def axis_paths(self, level: int, index: int, on: int = 0) -> np.ndarray:
        """(size_on,) along one axis: how many paths lead from each cell of map ``on`` to unit ``index``."""
        self._from(on, level)
        index = checks.integer("index", index, 0, self.levels[level].size - 1)
        g = np.zeros((1, 1, self.levels[level].size), np.float32)  # (1, 1, S_level) the unit, one-hot
        g[0, 0, index] = 1
        for li in range(level, on, -1):
            w = self.layers[li - 1]
            below = np.zeros((1, 1, self.levels[li - 1].size), np.float32)  # (1, 1, S_below) only its shape counts
            ones = np.ones((1, 1, w.k), np.float32)  # (1, 1, k) every weight 1
            g = conv1d_backward(g, below, ones, w.s, w.p, w.d)[0]  # (1, 1, S_below)
        return np.rint(g[0, 0]).astype(np.int64)  # (S_on,)

    def paths(self, level: int, row: int, col: int, on: int = 0) -> np.ndarray:
        """(size_on, size_on): the number of paths from each cell of map ``on`` to unit (row, col) of ``level``."""
        return np.outer(self.axis_paths(level, row, on), self.axis_paths(level, col, on))  # (S_on, S_on)

    def terms(self, level: int) -> list[int]:
        """Each layer's growth d_l·(k_l − 1)·j_{l−1} up to ``level``; r = 1 + their sum."""
        return [w.d * (w.k - 1) * self.levels[i].jump for i, w in enumerate(self.layers[:level])]

    def field_text(self, level: int) -> str:
        """The growth with the numbers in, e.g. ``1 + 2 + 2 + 4 = 9``."""
        return " + ".join(["1", *map(str, self.terms(level))]) + f" = {self.levels[level].field}"

    def term_texts(self, level: int) -> list[str]:
        """Each term as d×(k − 1)×j, e.g. ``2×(3 − 1)×1``."""
        return [f"{w.d}×({w.k} − 1)×{self.levels[i].jump}" for i, w in enumerate(self.layers[:level])]

    @cached_property
    def sides(self) -> list[int]:
        return [lv.size for lv in self.levels]


def stack(n: int, layers, names: list[str] | None = None) -> Stack:
    """A checked :class:`Stack` over an n×n input; ``layers`` as dicts {kind, k, s, p, d} or :class:`Window`.

    A layer whose window finds no position (the map vanishes) raises ArgumentError naming that
    layer's ``k`` (``names[i]`` or ``layers[i]``), with the reason.
    """
    n = checks.integer("n", n, 1)
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ArgumentError("layers", f"layers must be a non-empty list of windows, got {layers!r}")
    built = []
    for i, raw in enumerate(layers):
        at = names[i] if names else f"layers[{i}]"
        if isinstance(raw, Window):
            raw = {"kind": raw.kind, "k": raw.k, "s": raw.s, "p": raw.p, "d": raw.d}
        if not isinstance(raw, dict) or set(raw) - {"kind", "k", "s", "p", "d"} or "k" not in raw:
            raise ArgumentError(at, f"{at} must be {{kind, k, s, p, d}} (k required), got {raw!r}")
        built.append(window(at=at, place=f"layer {i + 1}", **raw))
    built = tuple(built)
    return Stack(n, built, _walk(n, built, names))
