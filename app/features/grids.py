"""Request grids as engine arrays, the engine's sizing of a setting, and the answer metas several features share."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from engine import checks, shapes

from ..core.errors import Problem
from ..core.models import InputGrid
from .held_inputs import HELD

if TYPE_CHECKING:  # the feature modules import this one; their models are only named here
    from .conv import ConvRunParams
    from .pool import PoolRunParams


def input_array(x: InputGrid) -> np.ndarray:
    return np.asarray(x.values, np.float32).reshape(1, x.channels, x.height, x.width)  # (1, C, H, W)


def held_input(p: ConvRunParams) -> np.ndarray:
    """The input p.input_ref names (1, C, H, W), as held by the server; it must have the sizes p.input gives."""
    x = HELD.get(p.input_ref)  # (1, C, H, W)
    if x is None:
        raise Problem(
            "invalid",
            "input_ref",
            "input_ref names no input this server holds (it keeps recent large inputs only, and a restarted "
            "server none); send the numbers in input.values again",
        )
    want = (1, p.input.channels, p.input.height, p.input.width)
    if x.shape != want:
        raise Problem(
            "invalid",
            "input_ref",
            f"input_ref names a {' × '.join(map(str, x.shape[1:]))} input (channels × height × width), "
            f"not the {' × '.join(map(str, want[1:]))} that input gives",
        )
    return x


def conv_arrays(p: ConvRunParams) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The request's grids as engine arrays: x (1, C, H, W), w (F, C, KH, KW), b (F,)."""
    x, k = p.input, p.kernels
    w = np.asarray(k.values, np.float32).reshape(k.filters, x.channels, k.height, k.width)  # (F, C, KH, KW)
    b = np.asarray(p.bias, np.float32) if p.bias is not None else np.zeros(k.filters, np.float32)  # (F,)
    return (input_array(x) if p.input_ref is None else held_input(p)), w, b


# The engine's sizing of a setting, made once per setting: its properties (the exact fraction, the
# sentences) are computed on first use and kept, so a slider's next request finds them ready.
window_output = functools.lru_cache(maxsize=1024)(shapes.window_output)


def conv_output(p: ConvRunParams) -> shapes.Output2D:
    """The engine's sizing of this setting; a kernel with no position at all is refused here."""
    out = window_output(
        (p.input.height, p.input.width), (p.kernels.height, p.kernels.width), p.stride, p.padding, p.dilation
    )
    if not out.fits_at_all:
        raise Problem("does_not_fit", "kernels", out.problem())
    return out


def conv_settings(p: ConvRunParams) -> dict:
    return {"stride": p.stride, "padding": p.padding, "dilation": p.dilation, "pad_mode": p.pad_mode, "flip": p.flip}


def axis_meta(ax: shapes.AxisSize) -> dict:
    """One axis of engine.shapes.window_output as the `axes` meta of conv.result and pool.result."""
    return {
        "n": ax.n,
        "k": ax.k,
        "s": ax.s,
        "pad_before": ax.pad_before,
        "pad_after": ax.pad_after,
        "d": ax.d,
        "span": ax.span,
        "exact": str(ax.exact),
        "size": ax.size,
        "whole": ax.whole,
        "leftover": ax.leftover,
        "formula": ax.formula(),
    }


def pool_output(p: PoolRunParams) -> shapes.Output2D:
    """As conv_output, for a pooling window (no padding, no dilation); the field is ``kernel``."""
    out = window_output((p.input.height, p.input.width), p.kernel, p.stride, what="window")
    if not out.fits_at_all:
        raise Problem("does_not_fit", "kernel", out.problem())
    return out


def steps(start: int, count: int, total: int) -> tuple[int, int]:
    """The engine's check of a trace page: (start, stop) with stop clipped to the last step."""
    start = checks.integer("start", start, 0, total - 1)
    return start, min(total, start + count)


class AxisMeta(BaseModel):
    n: int
    k: int
    s: int
    pad_before: int
    pad_after: int
    d: int
    span: int
    exact: str
    size: int
    whole: bool
    leftover: int
    formula: str


class WindowResultMeta(BaseModel):
    """What conv.result and pool.result say of a window sliding over the input: its size, fit and ranges."""

    output_shape: tuple[int, int, int]
    fits: bool
    problem: str | None
    suggestions: dict[str, dict[str, int]]
    axes: dict[str, AxisMeta]
    ranges: dict[str, dict[str, dict]]  # each slider's legal values given the others, per axis


class TraceMeta(BaseModel):
    """A page of a pool.trace or backward.trace: which steps came back, out of how many."""

    start: int
    count: int
    steps_total: int
    output_shape: tuple[int, int, int]


class ShapeMeta(BaseModel):
    output_shape: tuple[int, ...]
