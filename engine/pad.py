"""Padding of NCHW maps, forward and backward.

Zero (or any constant) padding is a Numba copy. Reflect and replicate padding
are index maps: each padded cell names the input cell it copies, so the
backward pass adds every padded cell's gradient back onto that input cell.
"""

from __future__ import annotations

import numpy as np

from . import checks
from .errors import ArgumentError
from .jit import kernel, twin_of

MODES = ("zeros", "reflect", "replicate")


@kernel
def _pad_constant(x, top, left, value, out):
    N, C, H, W = x.shape
    out[:] = value
    for n in range(N):
        for c in range(C):
            for h in range(H):
                src = x[n, c, h]
                dst = out[n, c, top + h, left:]
                for w in range(W):
                    dst[w] = src[w]


@twin_of(_pad_constant)
def _pad_constant_numpy(x, top, left, value, out):
    H, W = x.shape[2:]
    out[...] = value
    out[:, :, top : top + H, left : left + W] = x


def _index_map(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded position along one axis, the input position it copies."""
    pos = np.arange(-before, size + after)  # (before + size + after,)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if before >= size or after >= size:
        raise ArgumentError(
            "padding",
            f"padding must be smaller than the input size ({size}) for reflect padding, got {max(before, after)}",
        )
    pos = np.abs(pos)  # reflect about the first cell
    return np.where(pos > size - 1, 2 * (size - 1) - pos, pos)


def pad(x: np.ndarray, pads: tuple[int, int, int, int], mode: str = "zeros", value: float = 0.0) -> np.ndarray:
    """Pad a (N, C, H, W) float32 array by (top, bottom, left, right)."""
    top, bottom, left, right = pads
    N, C, H, W = x.shape
    if mode == "zeros":
        if pads == (0, 0, 0, 0):
            return x
        out = np.empty((N, C, H + top + bottom, W + left + right), np.float32)  # (N, C, Hp, Wp)
        _pad_constant(x, top, left, np.float32(value), out)
        return out
    rows = _index_map(H, top, bottom, mode)  # (Hp,)
    cols = _index_map(W, left, right, mode)  # (Wp,)
    return np.ascontiguousarray(x[:, :, rows[:, None], cols[None, :]])  # (N, C, Hp, Wp)


def pad_backward(
    gxp: np.ndarray, shape: tuple[int, int, int, int], pads: tuple[int, int, int, int], mode: str = "zeros"
) -> np.ndarray:
    """Gradient with respect to the unpadded input of shape ``shape`` (N, C, H, W)."""
    top, bottom, left, right = pads
    N, C, H, W = shape
    if mode == "zeros":
        return np.ascontiguousarray(gxp[:, :, top : top + H, left : left + W])  # (N, C, H, W)
    rows = _index_map(H, top, bottom, mode)  # (Hp,)
    cols = _index_map(W, left, right, mode)  # (Wp,)
    gx = np.zeros(shape, np.float32)  # (N, C, H, W)
    np.add.at(gx, (slice(None), slice(None), rows[:, None], cols[None, :]), gxp)
    return gx


def check_mode(mode: str) -> str:
    return checks.choice("pad_mode", mode, MODES)
