"""Max and average pooling over NCHW float32, forward and backward side by side.

Max pooling keeps the largest value in each window and remembers where it was:
the backward pass routes the upstream gradient only to that winning cell (ties
go to the first cell in reading order, as in PyTorch). Average pooling takes
the mean of the m_h × m_w window; its backward spreads each upstream gradient
evenly, 1/(m_h m_w) to every cell of the window. Overlapping windows add up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import checks, shapes
from .errors import ArgumentError
from .jit import kernel, reshaped, twin_of


@kernel
def _max_fwd(x, kh, kw, sh, sw, out, arg):
    """out (N, C, OH, OW) = window maxima; arg holds each winner's flat index h*W + w.

    Taps are visited in reading order and only a strictly larger value (or a
    NaN) replaces the best so far, so ties go to the first cell, as in PyTorch.
    """
    N, C, H, W = x.shape
    _, _, OH, OW = out.shape
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for oh in range(OH):
                h0 = oh * sh
                for ow in range(OW):
                    w0 = ow * sw
                    best = plane[h0, w0]
                    where = h0 * W + w0
                    for i in range(kh):
                        row = plane[h0 + i]
                        for j in range(kw):
                            v = row[w0 + j]
                            if v > best or v != v:
                                best = v
                                where = (h0 + i) * W + w0 + j
                    out[n, c, oh, ow] = best
                    arg[n, c, oh, ow] = where


def _windows(x, kh, kw, sh, sw, oh, ow):
    """Every window of x (N, C, H, W) as a view (N, C, OH, OW, KH, KW)."""
    every = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, H-KH+1, W-KW+1, KH, KW)
    return every[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]


@twin_of(_max_fwd)
def _max_fwd_numpy(x, kh, kw, sh, sw, out, arg):
    N, C, OH, OW = out.shape
    taps = _windows(x, kh, kw, sh, sw, OH, OW).reshape(N, C, OH, OW, kh * kw)  # (N, C, OH, OW, KH*KW)
    best = taps.argmax(axis=-1)  # (N, C, OH, OW) the first maximum in reading order
    nan = np.isnan(taps)  # (N, C, OH, OW, KH*KW)
    if nan.any():  # every NaN replaces the best so far in the kernel: the last one wins
        best = np.where(nan.any(axis=-1), kh * kw - 1 - nan[..., ::-1].argmax(axis=-1), best)
    out[...] = np.take_along_axis(taps, best[..., None], axis=-1)[..., 0]
    i, j = np.divmod(best, kw)  # (N, C, OH, OW) each
    rows = np.arange(OH)[:, None] * sh + i  # (N, C, OH, OW)
    cols = np.arange(OW) * sw + j  # (N, C, OH, OW)
    arg[...] = rows * x.shape[3] + cols


@kernel
def _max_bwd(gy, arg, gx):
    """gx (N, C, H, W) must be zeroed: each upstream gradient lands on its window's winner."""
    N, C, OH, OW = gy.shape
    H, W = gx.shape[2], gx.shape[3]
    for n in range(N):
        for c in range(C):
            plane = gx[n, c].reshape(H * W)  # (H*W,) view
            for oh in range(OH):
                g = gy[n, c, oh]
                a = arg[n, c, oh]
                for ow in range(OW):
                    plane[a[ow]] += g[ow]


@twin_of(_max_bwd)
def _max_bwd_numpy(gy, arg, gx):
    N, C = gy.shape[:2]
    planes = reshaped(gx, N, C, -1)  # (N, C, H*W) view
    # np.add.at adds in the kernel's order, so overlapping windows sum alike.
    np.add.at(planes, (np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None], arg), gy)


@kernel
def _avg_fwd(x, kh, kw, sh, sw, out):
    N, C, H, W = x.shape
    _, _, OH, OW = out.shape
    scale = np.float32(1.0) / np.float32(kh * kw)
    for n in range(N):
        for c in range(C):
            plane = x[n, c]
            for oh in range(OH):
                for ow in range(OW):
                    s = np.float32(0)
                    for i in range(kh):
                        row = plane[oh * sh + i, ow * sw :]
                        for j in range(kw):
                            s += row[j]
                    out[n, c, oh, ow] = s * scale


@twin_of(_avg_fwd)
def _avg_fwd_numpy(x, kh, kw, sh, sw, out):
    scale = np.float32(1.0) / np.float32(kh * kw)
    out[...] = _windows(x, kh, kw, sh, sw, *out.shape[2:]).sum(axis=(4, 5), dtype=np.float32) * scale


@kernel
def _avg_bwd(gy, kh, kw, sh, sw, gx):
    """gx (N, C, H, W) must be zeroed."""
    N, C, OH, OW = gy.shape
    scale = np.float32(1.0) / np.float32(kh * kw)
    for n in range(N):
        for c in range(C):
            for oh in range(OH):
                for ow in range(OW):
                    g = gy[n, c, oh, ow] * scale
                    for i in range(kh):
                        row = gx[n, c, oh * sh + i, ow * sw :]
                        for j in range(kw):
                            row[j] += g


@twin_of(_avg_bwd)
def _avg_bwd_numpy(gy, kh, kw, sh, sw, gx):
    OH, OW = gy.shape[2:]
    g = gy * (np.float32(1.0) / np.float32(kh * kw))  # (N, C, OH, OW)
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i : i + (OH - 1) * sh + 1 : sh, j : j + (OW - 1) * sw + 1 : sw] += g


@dataclass(frozen=True)
class PoolSpec:
    """A checked pooling setting: window and stride (height, width)."""

    kernel: tuple[int, int]
    stride: tuple[int, int]

    @classmethod
    def make(cls, kernel=2, stride=None) -> PoolSpec:
        k = checks.pair("kernel", kernel, 1)
        return cls(k, k if stride is None else checks.pair("stride", stride, 1))

    def output(self, size: tuple[int, int]) -> shapes.Output2D:
        return _output(self, tuple(size))

    def check(self, x) -> np.ndarray:
        x = checks.array("x", x, 4, "(N, C, H, W)")
        out = self.output(x.shape[2:])
        if not out.fits_at_all:
            raise ArgumentError("kernel", f"kernel must fit the input: {out.problem()}", fits=False)
        return x

    def check_grad(self, gy, x: np.ndarray) -> np.ndarray:
        gy = checks.array("gy", gy, 4, "(N, C, OH, OW)")
        expected = (*x.shape[:2], *self.output(x.shape[2:]).shape)
        if gy.shape != expected:
            raise ArgumentError("gy", f"gy must have the shape of the pooled output {expected}, got {gy.shape}")
        return gy

    def empty_output(self, x: np.ndarray, dtype=np.float32) -> np.ndarray:
        return np.empty((*x.shape[:2], *self.output(x.shape[2:]).shape), dtype)  # (N, C, OH, OW)

    # Unchecked forward/backward on valid arrays (used by layers and wrappers).
    def max_forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = self.empty_output(x)  # (N, C, OH, OW)
        arg = np.empty(y.shape, np.int64)  # (N, C, OH, OW) flat winner index per window
        _max_fwd(x, *self.kernel, *self.stride, y, arg)
        return y, arg

    def max_backward(self, gy: np.ndarray, arg: np.ndarray, x_shape: tuple) -> np.ndarray:
        gx = np.zeros(x_shape, np.float32)  # (N, C, H, W)
        _max_bwd(np.ascontiguousarray(gy), arg, gx)
        return gx

    def avg_forward(self, x: np.ndarray) -> np.ndarray:
        y = self.empty_output(x)  # (N, C, OH, OW)
        _avg_fwd(x, *self.kernel, *self.stride, y)
        return y

    def avg_backward(self, gy: np.ndarray, x_shape: tuple) -> np.ndarray:
        gx = np.zeros(x_shape, np.float32)  # (N, C, H, W)
        _avg_bwd(gy, *self.kernel, *self.stride, gx)
        return gx


@functools.lru_cache(maxsize=1024)
def _output(spec: PoolSpec, size: tuple[int, int]) -> shapes.Output2D:
    return shapes.window_output(size, spec.kernel, spec.stride, what="window")


def max_pool2d(x, kernel=2, stride=None) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling of x (N, C, H, W); ``stride`` defaults to the window size.

    Returns (y (N, C, OH, OW), winners (N, C, OH, OW)): each winner is the flat
    index ``h * W + w`` of the cell that won its window, for the backward pass.
    """
    spec = PoolSpec.make(kernel, stride)
    return spec.max_forward(spec.check(x))


def max_pool2d_backward(gy, x, kernel=2, stride=None) -> np.ndarray:
    """dL/dx of max pooling: each window's dL/dy goes to its winning cell only."""
    spec = PoolSpec.make(kernel, stride)
    x = spec.check(x)
    gy = spec.check_grad(gy, x)
    return spec.max_backward(gy, spec.max_forward(x)[1], x.shape)


def avg_pool2d(x, kernel=2, stride=None) -> np.ndarray:
    """Average pooling of x (N, C, H, W): the mean of each window."""
    spec = PoolSpec.make(kernel, stride)
    return spec.avg_forward(spec.check(x))


def avg_pool2d_backward(gy, x, kernel=2, stride=None) -> np.ndarray:
    """dL/dx of average pooling: each window's dL/dy spread as 1/(m_h m_w) over its cells."""
    spec = PoolSpec.make(kernel, stride)
    x = spec.check(x)
    return spec.avg_backward(spec.check_grad(gy, x), x.shape)
