"""Check functions for convolution as a matrix product (im2col), lessons/FORMAT.md "Check functions".

Same contract as :mod:`app.lessons.checks`, which lists these beside its own: each returns
``(answer, work)`` computed by the engine (:mod:`engine.im2col`), and a bad argument raises
ValueError naming it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine import checks
from engine.im2col import conv2d_as_matmul, im2col, sizes, sources, taps

from .check_parts import TIMES, Answer, _grid, _number, _term, _value

MATRICES = ("columns", "weights", "product")
SIZES = ("positions", "rows", "entries", "inputs", "blowup", "multiply_adds")


def _layer(input, k, c_out, s, p, d):
    """The engine's Sizes of a layer on ``input`` = [C_in, H, W]; ValueError names what does not fit."""
    if not isinstance(input, Sequence) or isinstance(input, str) or len(input) != 3:
        raise ValueError(f"input must be [channels, height, width], got {input!r}")
    c, h, w = (checks.integer(f"input[{i}]", v, 1) for i, v in enumerate(input))
    try:
        return sizes(c, h, w, k, c_out, s, p, d)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'k')}: {exc}") from None


def im2col_shape(input, k, c_out=1, s=1, p=0, d=1, matrix="columns") -> Answer:
    """The shape of one matrix of the lowered layer, as text: ``"27 × 1024"``.

    ``matrix``: ``columns`` (C_in·k·k × L), ``weights`` (C_out × C_in·k·k) or ``product`` (C_out × L).
    """
    which = checks.choice("matrix", matrix, MATRICES)
    z = _layer(input, k, c_out, s, p, d)
    formula = z.shapes()[which]
    return formula.rsplit(" = ", 1)[1], formula


def im2col_size(input, k, c_out=1, s=1, p=0, d=1, of="positions") -> Answer:
    """One count of the lowered layer: ``positions`` (L, the columns), ``rows`` (C_in·k·k), ``entries``
    (numbers in the columns), ``inputs`` (numbers in the input), ``blowup`` (entries per input number),
    ``multiply_adds`` (C_out·C_in·k·k·L)."""
    what = checks.choice("of", of, SIZES)
    z = _layer(input, k, c_out, s, p, d)
    (ho, wo), (kh, kw) = z.out, z.k
    if what == "positions":
        return z.positions, f"L = H_out·W_out = {ho}·{wo} = {z.positions}"
    if what == "rows":
        return z.rows, f"C_in·k·k = {z.c_in}·{kh}·{kw} = {z.rows}"
    if what == "entries":
        return z.column_entries, f"C_in·k·k·L = {z.rows}·{z.positions} = {z.column_entries}"
    if what == "inputs":
        return z.input_entries, f"C_in·H·W = {z.c_in}·{z.h}·{z.w} = {z.input_entries}"
    if what == "multiply_adds":
        return z.multiply_adds, f"C_out·C_in·k·k·L = {z.c_out}·{z.rows}·{z.positions} = {z.multiply_adds}"
    value = z.blowup
    return (int(value) if value.denominator == 1 else float(value)), z.blowup_text()


def _array(name: str, value, dims: tuple[int, ...], layout: str) -> np.ndarray:
    """Nested lists of numbers with one of ``dims`` axes, as float32; ValueError names ``name`` and ``layout``."""
    try:
        ndim = np.asarray(value, dtype=np.float64).ndim
    except (TypeError, ValueError):
        ndim = -1
    if ndim not in dims:
        raise ValueError(f"{name} must be {layout}, got {value!r}")
    return _grid(name, value, ndim)


def _input(input) -> np.ndarray:
    """A (C, H, W) input from rows of numbers (one channel) or a list of channels."""
    x = _array("input", input, (2, 3), "rows of numbers, or a list of channels of rows")  # (H, W) or (C, H, W)
    return x[None] if x.ndim == 2 else x  # (C, H, W)


def matmul_value(input, kernel, row, col, filter=0, s=1, p=0, d=1) -> Answer:
    """One entry of the product: filter ``filter``'s row of the weight matrix times the column of the
    window at output (``row``, ``col``), i.e. that output value. ``kernel`` is one k×k filter (rows),
    one filter's channels, or a list of filters (each a list of channels)."""
    x = _input(input)  # (C, H, W)
    w = _array("kernel", kernel, (2, 3, 4), "a k × k filter, its channels, or a list of filters")  # (…, k, k)
    if w.shape[-1] != w.shape[-2]:
        raise ValueError(f"kernel must be square (k × k), got {w.shape[-2]} × {w.shape[-1]}")
    if (w.shape[-3] if w.ndim > 2 else 1) != x.shape[0]:
        raise ValueError(f"kernel must have one k × k grid per input channel ({x.shape[0]}), got shape {w.shape}")
    w = w.reshape(-1, x.shape[0], *w.shape[-2:])  # (F, C, k, k)
    f = checks.integer("filter", filter, 0, w.shape[0] - 1)
    try:
        y = conv2d_as_matmul(x[None], w, None, s, p, d)[0]  # (F, H_out, W_out)
        cols = im2col(x[None], w.shape[2], s, p, d)[0]  # (C*k*k, L)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'kernel')}: {exc}") from None
    r = checks.integer("row", row, 0, y.shape[1] - 1)
    c = checks.integer("col", col, 0, y.shape[2] - 1)
    column = cols[:, r * y.shape[2] + c]  # (C*k*k,)
    terms = " + ".join(f"{_term(a)}{TIMES}{_term(b)}" for a, b in zip(w[f].ravel(), column))
    return _value(y[f, r, c]), f"{terms} = {_number(y[f, r, c])}"


def column_value(input, k, row, col, s=1, p=0, d=1) -> Answer:
    """The number in row ``row``, column ``col`` of the columns matrix (both from 0), and the cell it came from."""
    x = _input(input)  # (C, H, W)
    c, h, w = x.shape
    try:
        cols = im2col(x[None], k, s, p, d)[0]  # (C*k*k, L)
        where = sources(c, (h, w), k, s, p, d)  # (C*k*k, L)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'k')}: {exc}") from None
    r = checks.integer("row", row, 0, cols.shape[0] - 1)
    l_ = checks.integer("col", col, 0, cols.shape[1] - 1)
    ch, a, b = taps(c, k)[r]
    cell = int(where[r, l_])
    said = f"row {r} holds channel {ch}, tap ({a}, {b}) of each window; column {l_} is window {l_ + 1}"
    if cell < 0:
        return _value(cols[r, l_]), f"{said}: that tap lies on the padding, 0"
    i, j = divmod(cell % (h * w), w)
    return _value(cols[r, l_]), f"{said}: input cell ({i}, {j}) = {_number(cols[r, l_])}"


CHECKS = {
    "im2col_shape": im2col_shape,
    "im2col_size": im2col_size,
    "matmul_value": matmul_value,
    "column_value": column_value,
}
