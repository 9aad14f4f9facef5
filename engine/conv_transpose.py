"""Transposed convolution, forward and backward side by side, with PyTorch's layout and rules.

Each input cell stamps its value times the kernel onto a canvas, the stamps ``stride`` cells
apart (their taps ``dilation`` apart), and overlapping stamps add up::

    canvas[n, o, i·s + a·d, j·s + b·d] += x[n, c, i, j] · w[c, o, a, b]

The output is the canvas with ``padding`` cells cut from each side, and ``output_padding`` more
rows and columns kept at the bottom and right. Along one axis, with n input cells and a kernel of
k: ``n_out = (n − 1)·s − 2p + d·(k − 1) + output_padding + 1``. It is the shape arithmetic of a
convolution run backwards: the convolution with the same k, s, p, d takes n_out back to n, and at
stride s > 1 so do s − 1 larger sizes (the last stride leaves cells over); ``output_padding``
chooses among them, so it must be less than the stride (or the dilation), as PyTorch requires.

x is (N, C_in, H, W) and w is (C_in, C_out, KH, KW), as ``torch.nn.functional.conv_transpose2d``
takes them. The sums run tap by tap as whole-array NumPy products (KH·KW of them), which is fast
at the sizes a lesson draws and needs no compiled kernel. :func:`stamps` is the trace the widget
animates: every input cell's stamp in order and the canvas after each one, from the same index
arithmetic, so its last canvas is the output (tests/engine/test_conv_transpose.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .errors import ArgumentError


@dataclass(frozen=True)
class TransposeAxis:
    """The sizes along one axis of a transposed convolution."""

    n: int  # input cells
    k: int  # kernel taps
    s: int  # stride
    p: int  # padding cut from each side
    op: int  # output padding, kept at the end
    d: int  # dilation

    @property
    def full(self) -> int:
        """The stamps' canvas before any cut: (n − 1)·s + d·(k − 1) + 1."""
        return (self.n - 1) * self.s + self.d * (self.k - 1) + 1

    @property
    def size(self) -> int:
        return self.full - 2 * self.p + self.op

    @property
    def canvas(self) -> int:
        """Cells the canvas needs: the stamps, and the output padding past them when it reaches further."""
        return max(self.full, self.p + self.size)

    def formula(self) -> str:
        """The formula with this axis's numbers, e.g. ``(4 − 1)×2 − 2×1 + 1×(3 − 1) + 1 + 1 = 8``."""
        text = f"({self.n} − 1)×{self.s} − 2×{self.p} + {self.d}×({self.k} − 1)"
        return text + (f" + {self.op}" if self.op else "") + f" + 1 = {self.size}"

    def inputs_that_shrink_here(self) -> list[int]:
        """The sizes a convolution with the same k, s, p, d takes to n: output_padding 0, 1, … picks one."""
        base = self.full - 2 * self.p
        return [base + extra for extra in range(self.s)]


def transpose_axis(n: int, k: int, s: int = 1, p: int = 0, op: int = 0, d: int = 1) -> TransposeAxis:
    """A checked :class:`TransposeAxis`; ArgumentError names the argument that does not fit."""
    ax = TransposeAxis(
        checks.integer("input size", n, 1, argument="x"),
        checks.integer("kernel size", k, 1, argument="w"),
        checks.integer("stride", s, 1),
        checks.integer("padding", p, 0),
        checks.integer("output_padding", op, 0),
        checks.integer("dilation", d, 1),
    )
    if ax.op >= max(ax.s, ax.d):
        raise ArgumentError(
            "output_padding",
            f"output_padding must be less than the stride ({ax.s}) or the dilation ({ax.d}), got {ax.op}: "
            "it picks one of the sizes the last stride could leave over",
        )
    if ax.size < 1:
        raise ArgumentError(
            "padding",
            f"padding {ax.p} cuts the whole {ax.full}-cell canvas away on each side: {ax.formula()}; "
            f"use at most {(ax.full + ax.op - 1) // 2}",
        )
    return ax


@dataclass(frozen=True)
class TransposeSpec:
    """Checked settings of one transposed convolution: (height, width) pairs."""

    stride: tuple[int, int]
    padding: tuple[int, int]
    output_padding: tuple[int, int]
    dilation: tuple[int, int]

    @classmethod
    def make(cls, stride, padding, output_padding, dilation) -> TransposeSpec:
        return cls(
            checks.pair("stride", stride, 1),
            checks.pair("padding", padding, 0),
            checks.pair("output_padding", output_padding, 0),
            checks.pair("dilation", dilation, 1),
        )

    def axes(self, size: tuple[int, int], kernel: tuple[int, int]) -> tuple[TransposeAxis, TransposeAxis]:
        return tuple(
            transpose_axis(
                size[i], kernel[i], self.stride[i], self.padding[i], self.output_padding[i], self.dilation[i]
            )
            for i in range(2)
        )

    def check(self, x, w, bias):
        """(x, w, b, axes): the arrays as contiguous float32, checked against each other and the settings."""
        x = checks.array("x", x, 4, "(N, C_in, H, W)")
        w = checks.array("w", w, 4, "(C_in, C_out, KH, KW)")
        if w.shape[0] != x.shape[1]:
            raise ArgumentError(
                "w",
                f"w must have one filter group per input channel ({x.shape[1]}), got {w.shape[0]}: "
                "its layout is (C_in, C_out, KH, KW)",
            )
        b = checks.bias(bias, w.shape[1], "output channel")  # (C_out,)
        return x, w, b, self.axes(x.shape[2:], w.shape[2:])


def _tap(canvas: np.ndarray, a: int, b: int, spec: TransposeSpec, h: int, w: int) -> np.ndarray:
    """The (N, C_out, H, W) view of the canvas that kernel tap (a, b) of every stamp lands on."""
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    return canvas[:, :, a * dh : a * dh + (h - 1) * sh + 1 : sh, b * dw : b * dw + (w - 1) * sw + 1 : sw]


def _crop(spec: TransposeSpec, axes) -> tuple[slice, slice]:
    return tuple(slice(spec.padding[i], spec.padding[i] + axes[i].size) for i in range(2))


def conv_transpose2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)):
    """Transposed convolution of x (N, C_in, H, W) with w (C_in, C_out, KH, KW) plus bias (C_out,).

    Each setting is an int or a (height, width) pair. Returns (N, C_out, H_out, W_out).
    """
    spec = TransposeSpec.make(stride, padding, output_padding, dilation)
    x, w, b, axes = spec.check(x, w, bias)
    n, _, h, wd = x.shape
    canvas = np.zeros((n, w.shape[1], axes[0].canvas, axes[1].canvas), np.float32)  # (N, C_out, Hc, Wc)
    for a in range(w.shape[2]):
        for c in range(w.shape[3]):
            # Every input cell's value times tap (a, c) of its stamps, all cells at once.
            part = np.tensordot(x, w[:, :, a, c], axes=([1], [0]))  # (N, H, W, C_out)
            _tap(canvas, a, c, spec, h, wd)[...] += part.transpose(0, 3, 1, 2)
    rows, cols = _crop(spec, axes)
    return np.ascontiguousarray(canvas[:, :, rows, cols]) + b[None, :, None, None]  # (N, C_out, H_out, W_out)


def conv_transpose2d_backward(gy, x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)):
    """Gradients (dL/dx, dL/dw, dL/db) of :func:`conv_transpose2d` given dL/dy (N, C_out, H_out, W_out).

    dL/dy goes back onto the canvas (zero where the cut removed cells); each input cell's gradient is
    then the dot product of its stamp's patch of that canvas with the kernel (a strided convolution),
    each weight's the sum over cells of their value times the patch under that tap.
    """
    spec = TransposeSpec.make(stride, padding, output_padding, dilation)
    x, w, _, axes = spec.check(x, w, None)
    n, _, h, wd = x.shape
    expected = (n, w.shape[1], axes[0].size, axes[1].size)
    gy = checks.array("gy", gy, 4, "(N, C_out, H_out, W_out)")
    if gy.shape != expected:
        raise ArgumentError("gy", f"gy must have the shape of the output {expected}, got {gy.shape}")
    gcanvas = np.zeros((n, w.shape[1], axes[0].canvas, axes[1].canvas), np.float32)  # (N, C_out, Hc, Wc)
    rows, cols = _crop(spec, axes)
    gcanvas[:, :, rows, cols] = gy
    gx = np.zeros(x.shape, np.float32)  # (N, C_in, H, W)
    gw = np.zeros(w.shape, np.float32)  # (C_in, C_out, KH, KW)
    for a in range(w.shape[2]):
        for c in range(w.shape[3]):
            patch = _tap(gcanvas, a, c, spec, h, wd)  # (N, C_out, H, W) what tap (a, c) of each stamp reached
            gx += np.tensordot(patch, w[:, :, a, c], axes=([1], [1])).transpose(0, 3, 1, 2)  # (N, C_in, H, W)
            gw[:, :, a, c] = np.tensordot(x, patch, axes=([0, 2, 3], [0, 2, 3]))  # (C_in, C_out)
    gb = gy.sum(axis=(0, 2, 3), dtype=np.float32)  # (C_out,)
    return gx, gw, gb


@dataclass(frozen=True)
class Stamps:
    """One sample's transposed convolution, stamp by stamp, in reading order of the input cells."""

    origin: np.ndarray  # (S, 2) each stamp's top-left cell on the canvas: (i·s, j·s)
    cells: np.ndarray  # (S, 2) the input cell (i, j) that stamps
    stamps: np.ndarray  # (S, C_out, KH, KW) its values times the kernel, summed over input channels
    running: np.ndarray  # (S, C_out, Hc, Wc) the canvas after each stamp (no bias)
    crop: tuple[int, int]  # the canvas cell where the output starts: (padding top, padding left)
    size: tuple[int, int]  # the output's (H_out, W_out)


def stamps(x, w, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1)) -> Stamps:
    """The stamps of the first sample of x (1, C_in, H, W): what the widget animates."""
    spec = TransposeSpec.make(stride, padding, output_padding, dilation)
    x, w, _, axes = spec.check(x, w, None)
    _, _, h, wd = x.shape
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    kh, kw = w.shape[2:]
    cells = np.array([(i, j) for i in range(h) for j in range(wd)], np.int32).reshape(-1, 2)  # (S, 2)
    origin = cells * np.array([sh, sw], np.int32)  # (S, 2)
    each = np.einsum("sc,cokl->sokl", x[0].reshape(x.shape[1], -1).T, w).astype(np.float32)  # (S, C_out, KH, KW)
    canvas = np.zeros((w.shape[1], axes[0].canvas, axes[1].canvas), np.float32)  # (C_out, Hc, Wc)
    running = np.empty((len(cells), *canvas.shape), np.float32)  # (S, C_out, Hc, Wc)
    for step, (top, left) in enumerate(origin):
        canvas[:, top : top + (kh - 1) * dh + 1 : dh, left : left + (kw - 1) * dw + 1 : dw] += each[step]
        running[step] = canvas
    return Stamps(origin, cells, each, running, spec.padding, (axes[0].size, axes[1].size))
