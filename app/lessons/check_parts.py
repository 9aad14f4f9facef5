"""What every check function shares (app/lessons/checks.py, checks_layers.py): the answer's type,
how a number reads in the working, and the checks of a grid or flag an author typed."""

from __future__ import annotations

import numpy as np

from engine import checks

Answer = tuple[int | float | str, str]
TIMES = "×"
MINUS = "−"


def _number(v: float) -> str:
    """A value as working shows it: whole numbers without a point, a real minus sign, no float32 noise."""
    v = float(v)
    text = str(int(v)) if v.is_integer() else f"{v:.6g}"
    return text.replace("-", MINUS)


def _term(v: float) -> str:
    """A factor in a product; negative ones in brackets so the signs read clearly."""
    text = _number(v)
    return f"({text})" if text.startswith(MINUS) else text


def _value(v: np.floating) -> int | float:
    """An engine float32 as the answer: an int when it is whole, else the float32 read back exactly."""
    v = np.float32(v)
    return int(v) if float(v).is_integer() else float(str(v))  # str: the shortest text that reads back as v


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")  # noqa: TRY004 (one error type for every bad argument)
    return value


def _side(name: str, value) -> tuple[int, int]:
    """A window side: one whole number (square) or [height, width]."""
    return checks.pair(name, value, 1)


def _grid(name: str, value, ndim: int) -> np.ndarray:
    """A list (of lists) of numbers as float32, checked for its shape and for numbers only."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a {'list' if ndim == 1 else 'list of equal-length rows'} of numbers, got {value!r}"
        ) from None
    if arr.ndim != ndim or arr.size == 0:
        shape = "a list of numbers" if ndim == 1 else "a list of equal-length rows of numbers"
        raise ValueError(f"{name} must be {shape}, got {value!r}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must hold finite numbers only")
    return arr.astype(np.float32)


def _dot(window: np.ndarray, weights: np.ndarray, result) -> str:
    """``a×b + c×d + … = y``: the products of a window and its weights, as the trace holds them."""
    products = " + ".join(f"{_term(a)}{TIMES}{_term(b)}" for a, b in zip(window, weights))
    return f"{products} = {_number(result)}"
