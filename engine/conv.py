"""2-D and 1-D convolution, forward and backward side by side.

Convolution here means what deep-learning frameworks compute, cross-correlation:
``y[n, f, i, j] = b[f] + Σ_c Σ_p Σ_q w[f, c, p, q] · xpad[n, c, i·s + p·d, j·s + q·d]``.
With ``flip=True`` the kernel is turned by 180° first, which is convolution as
signal processing defines it (seed 001's ``(x ∗ k)_ij = Σ x_{i+p, j+q} k_{r−p, r−q}``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import checks, conv_kernels, shapes
from .errors import ArgumentError
from .pad import check_mode, pad, pad_backward


@dataclass(frozen=True)
class ConvSpec:
    """A checked convolution setting: everything but the arrays."""

    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right
    dilation: tuple[int, int] = (1, 1)
    pad_mode: str = "zeros"
    flip: bool = False

    @classmethod
    def make(cls, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False) -> ConvSpec:
        return _cached_spec(stride, padding, dilation, pad_mode, flip)

    @classmethod
    def _make(cls, stride, padding, dilation, pad_mode, flip) -> ConvSpec:
        return cls(
            checks.pair("stride", stride, 1),
            checks.padding4("padding", padding),
            checks.pair("dilation", dilation, 1),
            check_mode(pad_mode),
            bool(flip),
        )

    def output(self, size: tuple[int, int], kernel: tuple[int, int]) -> shapes.Output2D:
        return _output(self, tuple(size), tuple(kernel))

    def check(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate arrays against each other; returns (x, w, b) as contiguous float32.

        Finiteness is checked on every array: a NaN would otherwise travel
        silently through every later layer and reach the screen.
        """
        x = checks.array("x", x, 4, "(N, C, H, W)")
        w = checks.array("w", w, 4, "(filters, C, KH, KW)")
        if w.shape[1] != x.shape[1]:
            raise ArgumentError(
                "w",
                f"w must have as many channels as x ({x.shape[1]}), got {w.shape[1]}: "
                "a filter spans every input channel",
            )
        b = checks.bias(b, w.shape[0], "filter")  # (F,)
        out = self.output(x.shape[2:], w.shape[2:])
        if not out.fits_at_all:
            raise ArgumentError("w", f"kernel size must fit the padded input: {out.problem()}", fits=False)
        return x, w, b

    def kernel_weights(self, w: np.ndarray) -> np.ndarray:
        """The weights the cross-correlation kernel uses (turned by 180° for true convolution)."""
        return np.ascontiguousarray(w[:, :, ::-1, ::-1]) if self.flip else w  # (F, C, KH, KW)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Saved]:
        """Unchecked forward on valid arrays; returns (y, what the backward pass needs)."""
        xp = pad(x, self.padding, self.pad_mode)  # (N, C, Hp, Wp)
        wk = self.kernel_weights(w)  # (F, C, KH, KW)
        n, f = x.shape[0], w.shape[0]
        oh, ow = self.output(x.shape[2:], w.shape[2:]).shape
        if not _use_gemm(n, f, oh * ow, w[0].size):
            y = np.empty((n, f, oh, ow), np.float32)  # (N, F, OH, OW)
            conv_kernels.forward(xp, wk, b, *self.stride, *self.dilation, y)
            return y, Saved(xp, None)
        cols = self._cols(xp, w.shape, (oh, ow))  # (C*KH*KW, N*positions)
        prod = wk.reshape(f, -1) @ cols  # (F, N*positions)
        if self.stride == (1, 1):
            y = np.empty((n, f, oh, ow), np.float32)  # (N, F, OH, OW)
            conv_kernels.narrow(prod, b, xp.shape[3], cols.shape[1] // n, y)
        else:
            prod += b[:, None]
            y = np.ascontiguousarray(prod.reshape(f, n, oh, ow).transpose(1, 0, 2, 3))  # (N, F, OH, OW)
        return y, Saved(xp, cols)

    def backward(self, gy: np.ndarray, saved: Saved, x_shape: tuple, w: np.ndarray, need_input: bool = True):
        """Unchecked backward: (dL/dx or None, dL/dw, dL/db) from dL/dy and what forward saved.

        ``need_input=False`` skips dL/dx (a network's first layer has no use for it).
        """
        xp = saved.xp
        wk = self.kernel_weights(w)  # (F, C, KH, KW)
        n, f, oh, ow = gy.shape
        gy = np.ascontiguousarray(gy)  # (N, F, OH, OW)
        gb = np.empty(f, np.float32)  # (F,)
        gxp = np.zeros(xp.shape, np.float32) if need_input else None  # (N, C, Hp, Wp)
        if not _use_gemm(n, f, oh * ow, w[0].size):
            # The kernel leaves the input gradient untouched when it is not wanted.
            target = gxp if need_input else np.empty(xp.shape, np.float32)  # (N, C, Hp, Wp)
            gw = np.empty(w.shape, np.float32)  # (F, C, KH, KW)
            conv_kernels.backward(xp, wk, gy, *self.stride, *self.dilation, target, gw, need_input)
        else:
            cols = saved.cols if saved.cols is not None else self._cols(xp, w.shape, (oh, ow))  # (C*KH*KW, N*positions)
            wide = self.stride == (1, 1)
            if wide:
                g = np.empty((f, cols.shape[1]), np.float32)  # (F, N*L) dL/dy on the padded row pitch
                conv_kernels.widen(gy, xp.shape[3], cols.shape[1] // n, g)
            else:
                g = np.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(f, -1)  # (F, N*OH*OW)
            gw = (g @ cols.T).reshape(w.shape)  # (F, C, KH, KW)
            if need_input:
                dcols = wk.reshape(f, -1).T @ g  # (C*KH*KW, N*positions)
                kh, kw = w.shape[2:]
                if wide:
                    conv_kernels.col2im_wide(dcols, kh, kw, *self.dilation, cols.shape[1] // n, gxp)
                else:
                    conv_kernels.col2im(dcols, kh, kw, *self.stride, *self.dilation, oh, ow, gxp)
        conv_kernels.bias_grad(gy, gb)
        if self.flip:
            gw = np.ascontiguousarray(gw[:, :, ::-1, ::-1])  # (F, C, KH, KW) back to the user's orientation
        gx = pad_backward(gxp, x_shape, self.padding, self.pad_mode) if need_input else None  # (N, C, H, W)
        return gx, gw, gb

    def saved_for(self, x: np.ndarray) -> Saved:
        """What :meth:`backward` needs, for an input whose forward pass was not kept."""
        return Saved(pad(x, self.padding, self.pad_mode), None)

    def _cols(self, xp: np.ndarray, w_shape: tuple, out_hw: tuple[int, int]) -> np.ndarray:
        """Every window as a column: (C·KH·KW, N·OH·OW), or wide (C·KH·KW, N·L) at stride 1."""
        c, kh, kw = w_shape[1:]
        oh, ow = out_hw
        if self.stride == (1, 1):
            L = (oh - 1) * xp.shape[3] + ow  # outputs on the padded row pitch, spares included
            cols = np.empty((c * kh * kw, xp.shape[0] * L), np.float32)  # (C*KH*KW, N*L)
            conv_kernels.im2col_wide(xp, kh, kw, *self.dilation, L, cols)
        else:
            cols = np.empty((c * kh * kw, xp.shape[0] * oh * ow), np.float32)  # (C*KH*KW, N*OH*OW)
            conv_kernels.im2col(xp, kh, kw, *self.stride, *self.dilation, oh, ow, cols)
        return cols


@dataclass(frozen=True)
class Saved:
    """What a convolution's forward pass keeps for its backward pass."""

    xp: np.ndarray  # (N, C, Hp, Wp) the padded input
    cols: np.ndarray | None  # (C*KH*KW, N*positions) its windows as columns, when the batch went through BLAS


# im2col + BLAS beats the direct kernels on a batch with a long dot product per
# output (many channels × taps); the direct kernels win on single images and on
# few-channel layers, where the copies into columns cost more than they save.
GEMM_WORK = 1_500_000
GEMM_TAPS = 64


def _use_gemm(n: int, f: int, positions: int, taps: int) -> bool:
    return n > 1 and taps >= GEMM_TAPS and n * f * positions * taps >= GEMM_WORK


@functools.lru_cache(maxsize=1024)
def _output(spec: ConvSpec, size: tuple[int, int], kernel: tuple[int, int]) -> shapes.Output2D:
    """Output sizes repeat call after call; the arithmetic is cheap but not free."""
    return shapes.window_output(size, kernel, spec.stride, spec.padding, spec.dilation, "filter")


_SPECS: dict[str, ConvSpec] = {}


def _cached_spec(stride, padding, dilation, pad_mode, flip) -> ConvSpec:
    """Checking a setting costs more than a small convolution; settings repeat, so remember them.

    The key is the settings' repr, which tells 1 from 1.0 and True (a hash key
    would not, and would let an unchecked 1.0 through after a checked 1).
    """
    key = repr((stride, padding, dilation, pad_mode, flip))
    spec = _SPECS.get(key)
    if spec is None:
        spec = ConvSpec._make(stride, padding, dilation, pad_mode, flip)
        if len(_SPECS) >= 256:
            _SPECS.clear()
        _SPECS[key] = spec
    return spec


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False) -> np.ndarray:
    """Convolve a batch of maps x (N, C, H, W) with filters w (F, C, KH, KW) plus bias b (F,).

    ``stride`` and ``dilation`` are an int or (height, width); ``padding`` an int,
    (height, width) or (top, bottom, left, right); ``pad_mode`` one of zeros,
    reflect, replicate; ``flip=True`` turns the kernel 180° (true convolution).
    Returns y (N, F, OH, OW), sized by :mod:`engine.shapes`.
    """
    spec = ConvSpec.make(stride, padding, dilation, pad_mode, flip)
    x, w, b = spec.check(x, w, b)
    return spec.forward(x, w, b)[0]


def conv2d_backward(gy, x, w, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False):
    """Gradients (dL/dx, dL/dw, dL/db) of :func:`conv2d` given dL/dy (N, F, OH, OW).

    dL/dw is the input correlated with dL/dy; dL/dx is the full convolution of
    dL/dy with the kernel turned by 180°; dL/db is dL/dy summed per filter.
    """
    spec = ConvSpec.make(stride, padding, dilation, pad_mode, flip)
    x, w, _ = spec.check(x, w, None)
    gy = checks.array("gy", gy, 4, "(N, F, OH, OW)")
    expected = (x.shape[0], w.shape[0], *spec.output(x.shape[2:], w.shape[2:]).shape)
    if gy.shape != expected:
        raise ArgumentError("gy", f"gy must have the shape of the output {expected}, got {gy.shape}")
    return spec.backward(gy, spec.saved_for(x), x.shape, w)


def _conv1d_setup(x, w, stride, padding, dilation):
    """Check a 1-D setting in 1-D words; returns (x, w) viewed as one-row maps and the 2-D settings."""
    x = checks.array("x", x, 3, "(N, C, L)")
    w = checks.array("w", w, 3, "(filters, C, K)")
    stride = checks.integer("stride", stride, 1)
    padding = checks.integer("padding", padding, 0)
    dilation = checks.integer("dilation", dilation, 1)
    ax = shapes.AxisSize(x.shape[2], w.shape[2], stride, padding, padding, dilation)
    if not ax.fits_at_all:
        raise ArgumentError("w", f"kernel size must fit the padded input: {ax.no_position()}", fits=False)
    settings = ((1, stride), (0, 0, padding, padding), (1, dilation))
    return x[:, :, None, :], w[:, :, None, :], settings, ax  # (N, C, 1, L), (F, C, 1, K)


def conv1d(x, w, b=None, stride=1, padding=0, dilation=1, flip=False) -> np.ndarray:
    """1-D convolution, the sliding dot product: x (N, C, L), w (F, C, K) → (N, F, L_out)."""
    x4, w4, settings, _ = _conv1d_setup(x, w, stride, padding, dilation)
    return conv2d(x4, w4, b, *settings, "zeros", flip)[:, :, 0, :]  # (N, F, L_out)


def conv1d_backward(gy, x, w, stride=1, padding=0, dilation=1, flip=False):
    """Gradients (dL/dx, dL/dw, dL/db) of :func:`conv1d`."""
    x4, w4, settings, ax = _conv1d_setup(x, w, stride, padding, dilation)
    gy = checks.array("gy", gy, 3, "(N, F, L_out)")
    expected = (x4.shape[0], w4.shape[0], ax.size)
    if gy.shape != expected:
        raise ArgumentError("gy", f"gy must have the shape of the output {expected}, got {gy.shape}")
    gx, gw, gb = conv2d_backward(gy[:, :, None, :], x4, w4, *settings, "zeros", flip)
    return gx[:, :, 0, :], gw[:, :, 0, :], gb  # (N, C, L), (F, C, K), (F,)
