"""Check functions for receptive fields and dilation (lessons/FORMAT.md, "Check functions"). Same
contract as :mod:`app.lessons.checks`, which lists these beside its own: each returns
``(answer, work)`` computed by :mod:`engine.receptive`, and a bad argument raises ValueError naming it.

A stack is written as the widget's layers: ``[{k: 3}, {kind: maxpool, k: 2, s: 2}, {k: 3, d: 2}]``
(``kind`` conv by default, ``s`` 1, ``p`` 0, ``d`` 1). A unit is ``row``, ``col`` on the last layer's map.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine import checks
from engine.errors import ArgumentError
from engine.receptive import Stack, stack, window

from .check_parts import MINUS, TIMES, Answer, _number

ROOM = 4096  # the input side assumed when a question asks only for the side r: any input large enough


def _stack(layers, n=None) -> Stack:
    if not isinstance(layers, list) or not layers:
        raise ValueError(f"layers must be a non-empty list of {{kind, k, s, p, d}}, got {layers!r}")
    n = ROOM if n is None else checks.integer("n", n, 1)
    try:
        return stack(n, layers)
    except ArgumentError as exc:
        raise ValueError(str(exc) if str(exc).startswith(exc.argument) else f"{exc.argument}: {exc}") from None


def receptive_side(layers) -> Answer:
    """r of the last layer: the side of the input patch one of its units sees, r = 1 + Σ d·(k − 1)·j."""
    st = _stack(layers)
    top = len(st.layers)
    return st.levels[top].field, st.field_text(top)


def receptive_box(n, layers, row, end="first") -> Answer:
    """The ``first`` or ``last`` input row of unit ``row``'s box (the same for columns); it may be in the padding."""
    st = _stack(layers, n)
    top = st.levels[-1]
    row = checks.integer("row", row, 0, top.size - 1)
    end = checks.choice("end", end, ("first", "last"))
    first, last = st.box(len(st.layers), row)
    a, b = _number(first), _number(last)
    work = (
        f"{_number(top.start)} + {row}{TIMES}{top.jump} = {a}, and {a} + {top.field} {MINUS} 1 = {b}: rows {a} to {b}"
    )
    return (first if end == "first" else last), work


def path_count(n, layers, row, col, at) -> Answer:
    """How many paths lead from input cell ``at`` = [r, c] to unit (row, col) (every weight 1, a pool a window)."""
    st = _stack(layers, n)
    top = len(st.layers)
    size = st.levels[top].size
    row, col = checks.integer("row", row, 0, size - 1), checks.integer("col", col, 0, size - 1)
    if not isinstance(at, list) or len(at) != 2:
        raise ValueError(f"at must be an input cell [row, col], got {at!r}")
    r, c = (checks.integer(f"at[{i}]", v, 0, st.n - 1) for i, v in enumerate(at))
    down, across = st.axis_paths(top, row)[r], st.axis_paths(top, col)[c]  # one axis each: ones are separable
    count = int(st.paths(top, row, col)[r, c])
    return count, f"{down} along the rows {TIMES} {across} along the columns = {count}"


def cells_reached(n, layers, row, col) -> Answer:
    """How many input cells reach unit (row, col) along at least one path (dilation leaves holes)."""
    st = _stack(layers, n)
    top = len(st.layers)
    size = st.levels[top].size
    row, col = checks.integer("row", row, 0, size - 1), checks.integer("col", col, 0, size - 1)
    reached = int(np.count_nonzero(st.paths(top, row, col)))
    (r0, r1), (c0, c1) = (st.boxes(top)[i][2:] for i in (row, col))
    box = (r1 - r0 + 1) * (c1 - c0 + 1)
    holes = box - reached
    work = f"{reached} of the {r1 - r0 + 1}{TIMES}{c1 - c0 + 1} = {box} cells of its box"
    return reached, work + (f" ({holes} holes)" if holes else " (no holes)")


def dilated_reach(k, d=1) -> Answer:
    """The width a k-tap window spans at dilation d: d·(k − 1) + 1."""
    w = window("conv", k=checks.integer("k", k, 1), d=checks.integer("d", d, 1))
    return w.reach, f"{w.d}{TIMES}({w.k} {MINUS} 1) + 1 = {w.reach}"


CHECKS: dict[str, Callable[..., Answer]] = {
    "receptive_side": receptive_side,
    "receptive_box": receptive_box,
    "path_count": path_count,
    "cells_reached": cells_reached,
    "dilated_reach": dilated_reach,
}
