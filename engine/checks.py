"""Argument checks shared by the public wrappers.

Each check raises :class:`engine.errors.ArgumentError` (a ``ValueError``) carrying the
argument's name; its message names the argument and its legal range, in words a
student can act on. ``argument`` is the name the caller knows it by, when ``name``
says more (``"stride[0] (height)"`` is part of ``stride``). Kernels never see unchecked input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ArgumentError
from .jit import strict_kernel, twin_of


@strict_kernel
def _all_finite(bits) -> bool:
    # A float32 is NaN or ±inf exactly when its 8 exponent bits are all ones.
    # Testing the bits as integers lets the loop vectorise without fast-math
    # (a float test would need it, and fast-math may assume no NaN exists).
    bad = 0
    for i in range(bits.size):
        bad |= (bits[i] & 0x7F800000) == 0x7F800000
    return bad == 0


@twin_of(_all_finite)
def _all_finite_numpy(bits) -> bool:
    return not bool(((bits & 0x7F800000) == 0x7F800000).any())


@strict_kernel
def _all_within(values, lo, hi) -> bool:
    # One compiled pass: NumPy's min and max cost microseconds each on tiny arrays.
    for v in values:  # noqa: SIM110 (Numba compiles a loop, not a generator)
        if v < lo or v > hi:
            return False
    return True


@twin_of(_all_within)
def _all_within_numpy(values, lo, hi) -> bool:
    return not bool(((values < lo) | (values > hi)).any())  # a NaN is neither, as in the kernel


def short(value) -> str:
    """A value as a message quotes it: its repr, cut to 40 characters (a 5,000-digit number is not echoed)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def integer(name: str, value, lo: int, hi: int | None = None, argument: str | None = None) -> int:
    """``value`` as an int within ``[lo, hi]`` (``hi=None``: no upper bound)."""
    argument = argument or name
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ArgumentError(argument, f"{name} must be a whole number, got {short(value)}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        legal = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ArgumentError(argument, f"{name} must be {legal}, got {short(value)}")
    return value


def number(name: str, value, lo: float | None = None, hi: float | None = None) -> float:
    """``value`` as a finite float within ``[lo, hi]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentError(name, f"{name} must be a number, got {short(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float, 10**400
        raise ArgumentError(name, f"{name} must be a finite number, got {short(value)}") from None
    if not np.isfinite(value):
        raise ArgumentError(name, f"{name} must be a finite number, got {value}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ArgumentError(name, f"{name} must be from {lo} to {hi}, got {value}")
    return value


def pair(name: str, value, lo: int, hi: int | None = None, argument: str | None = None) -> tuple[int, int]:
    """An int or a (height, width) pair, each within ``[lo, hi]``."""
    argument = argument or name
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = (value, value)
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ArgumentError(argument, f"{name} must be a whole number or a (height, width) pair, got {value!r}")
    return integer(f"{name}[0] (height)", value[0], lo, hi, argument), integer(
        f"{name}[1] (width)", value[1], lo, hi, argument
    )


def padding4(name: str, value, hi: int | None = None) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right) from an int, a (height, width) pair or four sides."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = (value,) * 4
    if isinstance(value, Sequence) and len(value) == 2:
        value = (value[0], value[0], value[1], value[1])
    if not isinstance(value, Sequence) or len(value) != 4:
        raise ArgumentError(
            name, f"{name} must be a whole number, a (height, width) pair or (top, bottom, left, right), got {value!r}"
        )
    sides = ("top", "bottom", "left", "right")
    return tuple(integer(f"{name} {side}", v, 0, hi, name) for side, v in zip(sides, value))  # type: ignore[return-value]


def choice(name: str, value, options: Sequence[str]) -> str:
    if value not in options:
        raise ArgumentError(name, f"{name} must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value


def array(name: str, value, ndim: int, layout: str) -> np.ndarray:
    """A C-contiguous float32 copy (or view) of ``value`` with ``ndim`` axes, all finite.

    ``layout`` names the axes for the message, e.g. ``"(N, C, H, W)"``.
    """
    ready = type(value) is np.ndarray and value.dtype == np.float32 and value.flags.c_contiguous
    try:
        arr = value if ready else np.ascontiguousarray(value, dtype=np.float32)  # same shape as value
    except (TypeError, ValueError) as exc:
        raise ArgumentError(name, f"{name} must be an array of numbers {layout}: {exc}") from None
    if arr.ndim != ndim:
        raise ArgumentError(name, f"{name} must have {ndim} axes {layout}, got shape {arr.shape}")
    if arr.size == 0:
        raise ArgumentError(name, f"{name} must not be empty, got shape {arr.shape}")
    if not _all_finite(arr.reshape(-1).view(np.int32)):
        raise ArgumentError(name, f"{name} must contain only finite numbers")
    return arr


def bias(value, count: int, per: str) -> np.ndarray:
    """A bias of ``count`` values, one per ``per`` ("filter", "output"); zeros when None."""
    if value is None:
        return np.zeros(count, np.float32)  # (count,)
    b = array("b", value, 1, f"({per}s,)")
    if b.shape[0] != count:
        raise ArgumentError("b", f"b must have one value per {per} ({count}), got {b.shape[0]}")
    return b


def labels(name: str, value, n: int, classes: int) -> np.ndarray:
    """Integer class labels, shape (n,), each from 0 to classes - 1."""
    arr = np.asarray(value)
    if arr.shape != (n,) or not np.issubdtype(arr.dtype, np.integer):
        raise ArgumentError(name, f"{name} must be {n} whole-number class labels, got shape {arr.shape} of {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)  # (N,)
    if not _all_within(arr, 0, classes - 1):
        raise ArgumentError(name, f"{name} must be from 0 to {classes - 1}, got values from {arr.min()} to {arr.max()}")
    return arr
