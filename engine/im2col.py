"""Convolution lowered to one matrix multiplication (im2col), forward and backward side by side.

Every window the filter visits is copied into one column of a matrix, so the whole convolution
becomes a single product, the operation hardware runs fastest (GEMM)::

    columns  (C_in·k_h·k_w, L)     one column per output position, L = H_out·W_out
    weights  (C_out, C_in·k_h·k_w) one row per filter: the filter read in the same order
    product  (C_out, L)            = weights @ columns, then reshaped to (C_out, H_out, W_out)

The columns follow PyTorch's ``F.unfold``: x (N, C_in, H, W) -> (N, C_in·k_h·k_w, L), rows in
channel-major order, then kernel row, then kernel column; columns in reading order of the output.
:func:`col2im` is its adjoint (``F.fold``): each column entry is added back to the input cell it
was copied from, so cells that several windows share collect several terms. That is exactly what
the backward pass needs: dW = dY_mat @ colsᵀ, dcols = W_matᵀ @ dY_mat, dx = col2im(dcols).

The copies are made by the compiled ``conv_kernels.im2col`` / ``col2im`` (whose layout is
(C·k_h·k_w, N·L)); this module only pads, reshapes and multiplies. :func:`sources` says which input
cell each entry of the columns came from, by lowering the cells' own indices with the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import checks, conv_kernels
from .conv import ConvSpec
from .errors import ArgumentError
from .pad import pad, pad_backward


@dataclass(frozen=True)
class Lowering:
    """One convolution's settings, checked against an input size and a kernel size."""

    spec: ConvSpec
    size: tuple[int, int]  # the input's (H, W)
    kernel: tuple[int, int]  # (k_h, k_w)
    out: tuple[int, int]  # (H_out, W_out)

    @classmethod
    def make(cls, size, kernel_size, stride=1, padding=0, dilation=1, argument: str = "kernel_size") -> Lowering:
        kernel = checks.pair("kernel_size", kernel_size, 1, argument=argument)
        spec = ConvSpec.make(stride, checks.pair("padding", padding, 0), dilation)
        out = spec.output(tuple(size), kernel)
        if not out.fits_at_all:
            raise ArgumentError(argument, f"kernel size must fit the padded input: {out.problem()}", fits=False)
        return cls(spec, tuple(size), kernel, out.shape)

    @property
    def positions(self) -> int:
        """L, the number of windows: one column each."""
        return self.out[0] * self.out[1]

    def cols(self, x: np.ndarray) -> np.ndarray:
        """The (N, C·k_h·k_w, L) columns of a checked x (N, C, H, W)."""
        n, c = x.shape[:2]
        xp = pad(x, self.spec.padding)  # (N, C, Hp, Wp)
        flat = np.empty((c * self.kernel[0] * self.kernel[1], n * self.positions), np.float32)  # (C*kh*kw, N*L)
        conv_kernels.im2col(xp, *self.kernel, *self.spec.stride, *self.spec.dilation, *self.out, flat)
        return np.ascontiguousarray(flat.reshape(-1, n, self.positions).transpose(1, 0, 2))  # (N, C*kh*kw, L)

    def fold(self, cols: np.ndarray, channels: int) -> np.ndarray:
        """The adjoint of :meth:`cols`: (N, C·k_h·k_w, L) -> (N, C, H, W), overlapping entries added."""
        n = cols.shape[0]
        flat = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(cols.shape[1], -1)  # (C*kh*kw, N*L)
        top, bottom, left, right = self.spec.padding
        padded = (self.size[0] + top + bottom, self.size[1] + left + right)
        gxp = np.zeros((n, channels, *padded), np.float32)  # (N, C, Hp, Wp)
        conv_kernels.col2im(flat, *self.kernel, *self.spec.stride, *self.spec.dilation, *self.out, gxp)
        return pad_backward(gxp, (n, channels, *self.size), self.spec.padding, "zeros")  # (N, C, H, W)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Every k_h × k_w window of x (N, C_in, H, W) as a column: (N, C_in·k_h·k_w, L), as ``F.unfold``.

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are each an int or a (height, width) pair.
    """
    x = checks.array("x", x, 4, "(N, C_in, H, W)")
    return Lowering.make(x.shape[2:], kernel_size, stride, padding, dilation).cols(x)


def col2im(cols, output_size, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Add each column entry back to the cell it came from: (N, C·k_h·k_w, L) -> (N, C, H, W), as ``F.fold``.

    ``output_size`` is the (H, W) of the map the columns were taken from.
    """
    cols = checks.array("cols", cols, 3, "(N, C·k_h·k_w, L)")
    size = checks.pair("output_size", output_size, 1)
    low = Lowering.make(size, kernel_size, stride, padding, dilation)
    taps = low.kernel[0] * low.kernel[1]
    if cols.shape[1] % taps:
        raise ArgumentError("cols", f"cols must have C·k_h·k_w rows, a multiple of {taps}, got {cols.shape[1]}")
    if cols.shape[2] != low.positions:
        raise ArgumentError(
            "cols",
            f"cols must have one column per window, H_out·W_out = {low.out[0]}·{low.out[1]} = {low.positions}, "
            f"got {cols.shape[2]}",
        )
    return low.fold(cols, cols.shape[1] // taps)


def weight_matrix(w) -> np.ndarray:
    """Filters w (C_out, C_in, k_h, k_w) as rows: (C_out, C_in·k_h·k_w), in the columns' row order."""
    w = checks.array("w", w, 4, "(C_out, C_in, k_h, k_w)")
    return w.reshape(w.shape[0], -1)  # (C_out, C_in*kh*kw)


def _setup(x, w, b, stride, padding, dilation):
    x = checks.array("x", x, 4, "(N, C_in, H, W)")
    w = checks.array("w", w, 4, "(C_out, C_in, k_h, k_w)")
    if w.shape[1] != x.shape[1]:
        raise ArgumentError(
            "w", f"w must have as many channels as x ({x.shape[1]}), got {w.shape[1]}: a filter spans every channel"
        )
    b = checks.bias(b, w.shape[0], "filter")  # (C_out,)
    return x, w, b, Lowering.make(x.shape[2:], w.shape[2:], stride, padding, dilation, argument="w")


def conv2d_as_matmul(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """The convolution x ⋆ w + b as weight matrix @ columns: (N, C_out, H_out, W_out), as ``F.conv2d``."""
    x, w, b, low = _setup(x, w, b, stride, padding, dilation)
    cols = low.cols(x)  # (N, C_in*kh*kw, L)
    prod = weight_matrix(w) @ cols + b[:, None]  # (N, C_out, L): one product per sample
    return prod.reshape(x.shape[0], w.shape[0], *low.out)  # (N, C_out, H_out, W_out)


def conv2d_as_matmul_backward(gy, x, w, stride=1, padding=0, dilation=1):
    """(dL/dx, dL/dw, dL/db) of :func:`conv2d_as_matmul` given dL/dy (N, C_out, H_out, W_out).

    The product's rules: dW = dY_mat @ colsᵀ (summed over the batch), dcols = W_matᵀ @ dY_mat, and the
    columns' gradient goes back to the cells they were copied from (col2im), shared cells adding up.
    """
    x, w, _, low = _setup(x, w, None, stride, padding, dilation)
    gy = checks.array("gy", gy, 4, "(N, C_out, H_out, W_out)")
    expected = (x.shape[0], w.shape[0], *low.out)
    if gy.shape != expected:
        raise ArgumentError("gy", f"gy must have the shape of the output {expected}, got {gy.shape}")
    gmat = gy.reshape(x.shape[0], w.shape[0], low.positions)  # (N, C_out, L)
    cols = low.cols(x)  # (N, C_in*kh*kw, L)
    gw = np.einsum("nol,nrl->or", gmat, cols).astype(np.float32).reshape(w.shape)  # (C_out, C_in, kh, kw)
    gcols = weight_matrix(w).T @ gmat  # (N, C_in*kh*kw, L)
    gx = low.fold(gcols, x.shape[1])  # (N, C_in, H, W)
    gb = gy.sum(axis=(0, 2, 3), dtype=np.float32)  # (C_out,)
    return gx, gw, gb


def sources(channels: int, size, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """For each entry of the columns, the input cell it was copied from: (C·k_h·k_w, L) flat indices
    c·H·W + row·W + col into (C, H, W), or −1 where the window lay on padding.

    The cells' own numbers 1, 2, … are lowered by the same code as the values (padding brings 0s).
    """
    c = checks.integer("channels", channels, 1)
    h, w = checks.pair("size", size, 1)
    low = Lowering.make((h, w), kernel_size, stride, padding, dilation)
    ids = np.arange(1, c * h * w + 1, dtype=np.float32).reshape(1, c, h, w)  # (1, C, H, W) exact below 2²⁴
    return low.cols(ids)[0].astype(np.int32) - 1  # (C*kh*kw, L)


def copies(channels: int, size, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """How many times each input cell is copied into the columns: (C, H, W), counted from :func:`sources`."""
    idx = sources(channels, size, kernel_size, stride, padding, dilation)  # (C*kh*kw, L)
    c, (h, w) = int(channels), checks.pair("size", size, 1)
    return np.bincount(idx[idx >= 0], minlength=c * h * w).astype(np.int32).reshape(c, h, w)  # (C, H, W)


def taps(channels: int, kernel_size) -> np.ndarray:
    """Which weight each row of the columns (and column of the weight matrix) holds: (C·k_h·k_w, 3) as
    (channel, kernel row, kernel column), in the row order of :func:`im2col`."""
    c = checks.integer("channels", channels, 1)
    kh, kw = checks.pair("kernel_size", kernel_size, 1)
    grid = np.indices((c, kh, kw), dtype=np.int32)  # (3, C, kh, kw)
    return np.ascontiguousarray(grid.reshape(3, -1).T)  # (C*kh*kw, 3)


@dataclass(frozen=True)
class Sizes:
    """What lowering costs: the matrices' shapes, the copies, the multiply-adds."""

    c_in: int
    h: int
    w: int
    k: tuple[int, int]
    c_out: int
    out: tuple[int, int]  # (H_out, W_out)

    @property
    def rows(self) -> int:
        """C_in·k_h·k_w: one row per weight of a filter."""
        return self.c_in * self.k[0] * self.k[1]

    @property
    def positions(self) -> int:
        return self.out[0] * self.out[1]

    @property
    def column_entries(self) -> int:
        return self.rows * self.positions

    @property
    def input_entries(self) -> int:
        return self.c_in * self.h * self.w

    @property
    def blowup(self) -> Fraction:
        """How many times more numbers the columns hold than the input: k_h·k_w·L / (H·W)."""
        return Fraction(self.column_entries, self.input_entries)

    @property
    def multiply_adds(self) -> int:
        """C_out·C_in·k_h·k_w·L: one per weight per window."""
        return self.c_out * self.column_entries

    def shapes(self) -> dict[str, str]:
        """Each matrix's shape with its formula, e.g. ``"(C_in·k·k) × (H_out·W_out) = (1·3·3) × (2·2) = 9 × 4"``."""
        kh, kw = self.k
        ho, wo = self.out
        return {
            "weights": f"(C_out) × (C_in·k·k) = ({self.c_out}) × ({self.c_in}·{kh}·{kw}) = {self.c_out} × {self.rows}",
            "columns": f"(C_in·k·k) × (H_out·W_out) = ({self.c_in}·{kh}·{kw}) × ({ho}·{wo}) = "
            f"{self.rows} × {self.positions}",
            "product": f"(C_out) × (H_out·W_out) = ({self.c_out}) × ({ho}·{wo}) = {self.c_out} × {self.positions}",
        }

    def blowup_text(self) -> str:
        """``"k·k·L / (H·W) = 3·3·4 / (4·4) = 36/16 = 2.25"``."""
        kh, kw = self.k
        value = self.blowup
        exact = str(value.numerator) if value.denominator == 1 else f"{float(value):.3g}"
        return (
            f"k·k·L / (H·W) = {kh}·{kw}·{self.positions} / ({self.h}·{self.w}) = "
            f"{kh * kw * self.positions}/{self.h * self.w} = {exact}"
        )


def sizes(c_in, h, w, kernel_size, c_out, stride=1, padding=0, dilation=1) -> Sizes:
    """The :class:`Sizes` of lowering a (C_in, H, W) input for C_out filters of ``kernel_size``."""
    c_in = checks.integer("c_in", c_in, 1)
    c_out = checks.integer("c_out", c_out, 1)
    h, w = checks.integer("h", h, 1), checks.integer("w", w, 1)
    low = Lowering.make((h, w), kernel_size, stride, padding, dilation)
    return Sizes(c_in, h, w, low.kernel, c_out, low.out)
