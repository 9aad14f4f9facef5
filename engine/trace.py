"""Step traces: every step of an op, in order, as a few arrays.

The kernels in :mod:`engine.conv_kernels` and :mod:`engine.pool` compute fast
and show nothing; a lesson needs to replay what they did, one output cell at a
time. A trace is that replay, built with NumPy from the same index arithmetic
the kernels use (the padded input from :func:`engine.pad.pad`, ``stride``,
``dilation``, the flip of :meth:`ConvSpec.kernel_weights`) and checked against
the kernels' outputs by ``tests/engine/test_trace.py``.

Conventions shared by every trace:

* one sample ``n`` of the batch;
* steps in row-major order of the thing stepped over (e.g. ``f, oh, ow``);
* coordinates of a window are in the *padded* input, so a tap on the border
  has a place to point at; ``is_pad`` says which taps sit on padding;
* values float32, indices int32; running sums are accumulated in float64 and
  stored as float32, so they may differ from the kernels' float32 sums in the
  last digits but never drift on long sums (a weight gradient over a 64×64 map);
* a trace is a frozen dataclass of read-only, C-contiguous arrays;
  ``.arrays()`` gives them by name, ready to send as binary frames.

Gradient traces live in :mod:`engine.trace_grad`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import checks
from .conv import ConvSpec
from .errors import ArgumentError
from .pad import pad
from .pool import PoolSpec

POOL_MODES = ("max", "avg")


@dataclass(frozen=True, eq=False)
class _Trace:
    """Base of every trace: freezes its arrays and lists them for the wire."""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                # A fresh view, so freezing it never freezes an array someone else holds;
                # contiguous, so binary frames can send one flat buffer.
                value = np.ascontiguousarray(value).view()  # same shape
                value.flags.writeable = False
                object.__setattr__(self, f.name, value)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the trace by field name (shapes and metadata stay on the object)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), np.ndarray)}


# ------------------------------------------------------------------ helpers


def _steps(*shape: int) -> np.ndarray:
    """Every index of an array of ``shape`` in row-major order, one row per step."""
    return np.indices(shape, dtype=np.int32).reshape(len(shape), -1).T  # (prod(shape), len(shape))


def _sample(n, batch: int) -> int:
    return checks.integer("n (the sample of the batch to trace)", n, 0, batch - 1)


def _running(values: np.ndarray) -> np.ndarray:
    """Cumulative sum along the last axis, in float64 so long sums do not drift."""
    return np.cumsum(values, axis=-1, dtype=np.float64).astype(np.float32)  # same shape as values


def _outside(coords: np.ndarray, before: int, size: int) -> np.ndarray:
    """True where a padded coordinate falls on the border rather than the input."""
    return (coords < before) | (coords >= before + size)  # same shape as coords


def _conv_setup(x, w, b, stride, padding, dilation, pad_mode, flip, n):
    """Checked spec and arrays, the traced sample n, and its padded input (C, Hp, Wp)."""
    spec = ConvSpec.make(stride, padding, dilation, pad_mode, flip)
    x, w, b = spec.check(x, w, b)
    n = _sample(n, x.shape[0])
    xp = pad(x[n : n + 1], spec.padding, spec.pad_mode)[0].copy()  # (C, Hp, Wp) a copy: x may be the caller's array
    return spec, x, w, b, n, xp


def _conv_grad_setup(gy, x, w, stride, padding, dilation, pad_mode, flip, n):
    """As :func:`_conv_setup`, plus dL/dy of sample n (F, OH, OW), checked like conv2d_backward."""
    spec, x, w, _, n, xp = _conv_setup(x, w, None, stride, padding, dilation, pad_mode, flip, n)
    gy = checks.array("gy", gy, 4, "(N, F, OH, OW)")
    expected = (x.shape[0], w.shape[0], *spec.output(x.shape[2:], w.shape[2:]).shape)
    if gy.shape != expected:
        raise ArgumentError("gy", f"gy must have the shape of the output {expected}, got {gy.shape}")
    return spec, x, w, gy[n], n, xp


# ------------------------------------------------------------------ convolution forward


@dataclass(frozen=True, eq=False)
class ConvTrace(_Trace):
    """conv2d on one sample, one step per output cell (f, oh, ow); S = F·OH·OW."""

    output_shape: tuple[int, int, int]  # (F, OH, OW)
    padded: np.ndarray  # (C, Hp, Wp) the input the windows slide over
    out_index: np.ndarray  # (S, 3) [f, oh, ow]
    origin: np.ndarray  # (S, 2) top-left tap in padded coordinates
    rows: np.ndarray  # (S, KH) padded row of each tap (dilation aware)
    cols: np.ndarray  # (S, KW) padded column of each tap
    window: np.ndarray  # (S, C, KH, KW) input values under the taps
    is_pad: np.ndarray  # (S, KH, KW) True where a tap sits on padding
    weights: np.ndarray  # (F, C, KH, KW) the weights multiplied: turned 180° when flip
    products: np.ndarray  # (S, C, KH, KW) window × weights[f]
    channel_sums: np.ndarray  # (S, C)
    running_sum: np.ndarray  # (S, C·KH·KW) in order c, kh, kw
    bias: np.ndarray  # (S,) b[f]
    result: np.ndarray  # (S,) running_sum[:, -1] + bias = y[n, f, oh, ow]


def conv2d_trace(
    x, w, b=None, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False, n=0, start=0, count=None
) -> ConvTrace:
    """Trace :func:`engine.conv.conv2d` on sample ``n``: arguments as there.

    ``start`` and ``count`` pick steps ``start .. start + count - 1`` (``count=None``:
    to the last step; a count past the end stops there). Only those steps are
    built, so an animation can page through a 256×256 image without paying for
    every window at once.
    """
    spec, x, w, b, n, xp = _conv_setup(x, w, b, stride, padding, dilation, pad_mode, flip, n)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.padding
    F, _, KH, KW = w.shape
    H, W = x.shape[2:]
    OH, OW = spec.output((H, W), (KH, KW)).shape
    total = F * OH * OW
    start = checks.integer("start", start, 0, total - 1)
    stop = total if count is None else min(total, start + checks.integer("count", count, 1))
    S = stop - start

    step = np.arange(start, stop, dtype=np.int32)  # (S,)
    out_index = np.stack(np.unravel_index(step, (F, OH, OW)), axis=1).astype(np.int32)  # (S, 3)
    f = out_index[:, 0]  # (S,)
    origin = out_index[:, 1:] * np.array([sh, sw], np.int32)  # (S, 2)
    rows = origin[:, :1] + np.arange(KH, dtype=np.int32) * dh  # (S, KH)
    cols = origin[:, 1:] + np.arange(KW, dtype=np.int32) * dw  # (S, KW)
    window = xp[:, rows[:, :, None], cols[:, None, :]].transpose(1, 0, 2, 3)  # (S, C, KH, KW)
    is_pad = _outside(rows, top, H)[:, :, None] | _outside(cols, left, W)[:, None, :]  # (S, KH, KW)

    wk = spec.kernel_weights(w).copy()  # (F, C, KH, KW) a copy: unflipped, it is the caller's w
    products = window * wk[f]  # (S, C, KH, KW)
    running = _running(products.reshape(S, -1))  # (S, C*KH*KW)
    bias = b[f]  # (S,)
    return ConvTrace(
        output_shape=(F, OH, OW),
        padded=xp,
        out_index=out_index,
        origin=origin,
        rows=rows,
        cols=cols,
        window=window,
        is_pad=is_pad,
        weights=wk,
        products=products,
        channel_sums=products.sum(axis=(2, 3), dtype=np.float64).astype(np.float32),  # (S, C)
        running_sum=running,
        bias=bias,
        result=running[:, -1] + bias,  # (S,)
    )


@dataclass(frozen=True, eq=False)
class Conv1dTrace(_Trace):
    """conv1d on one sample, the sliding dot product: one step per output (f, o); S = F·L_out."""

    output_shape: tuple[int, int]  # (F, L_out)
    padded: np.ndarray  # (C, Lp)
    out_index: np.ndarray  # (S, 2) [f, o]
    origin: np.ndarray  # (S,) first tap in padded coordinates
    positions: np.ndarray  # (S, K) padded position of each tap
    window: np.ndarray  # (S, C, K)
    is_pad: np.ndarray  # (S, K)
    weights: np.ndarray  # (F, C, K) turned around when flip
    products: np.ndarray  # (S, C, K)
    channel_sums: np.ndarray  # (S, C)
    running_sum: np.ndarray  # (S, C·K) in order c, k
    bias: np.ndarray  # (S,)
    result: np.ndarray  # (S,)


def conv1d_trace(x, w, b=None, stride=1, padding=0, dilation=1, flip=False, n=0) -> Conv1dTrace:
    """Trace :func:`engine.conv.conv1d`: x (N, C, L), w (F, C, K); the 2-D trace with H = 1."""
    x = checks.array("x", x, 3, "(N, C, L)")
    w = checks.array("w", w, 3, "(filters, C, K)")
    stride = checks.integer("stride", stride, 1)
    padding = checks.integer("padding", padding, 0)
    dilation = checks.integer("dilation", dilation, 1)
    x4, w4 = x[:, :, None, :], w[:, :, None, :]  # (N, C, 1, L), (F, C, 1, K)
    t = conv2d_trace(x4, w4, b, (1, stride), (0, 0, padding, padding), (1, dilation), "zeros", flip, n)
    return Conv1dTrace(
        output_shape=(t.output_shape[0], t.output_shape[2]),
        padded=t.padded[:, 0, :],  # (C, Lp)
        out_index=t.out_index[:, [0, 2]],  # (S, 2)
        origin=t.origin[:, 1],  # (S,)
        positions=t.cols,  # (S, K)
        window=t.window[:, :, 0, :],  # (S, C, K)
        is_pad=t.is_pad[:, 0, :],  # (S, K)
        weights=t.weights[:, :, 0, :],  # (F, C, K)
        products=t.products[:, :, 0, :],  # (S, C, K)
        channel_sums=t.channel_sums,
        running_sum=t.running_sum,
        bias=t.bias,
        result=t.result,
    )


# ------------------------------------------------------------------ pooling forward


@dataclass(frozen=True, eq=False)
class PoolTrace(_Trace):
    """Max or average pooling on one sample, one step per output cell (c, oh, ow); S = C·OH·OW."""

    mode: str  # "max" or "avg"
    output_shape: tuple[int, int, int]  # (C, OH, OW)
    out_index: np.ndarray  # (S, 3) [c, oh, ow]
    origin: np.ndarray  # (S, 2) top-left cell of the window
    rows: np.ndarray  # (S, KH)
    cols: np.ndarray  # (S, KW)
    window: np.ndarray  # (S, KH, KW)
    winner: np.ndarray  # (S, 2) input (h, w) of the max; -1 for avg
    running: np.ndarray  # (S, KH·KW) running max (or sum) in reading order
    result: np.ndarray  # (S,) the max, or the mean sum / (KH·KW)


def _pool_setup(x, kernel, stride, n):
    spec = PoolSpec.make(kernel, stride)
    x = spec.check(x)
    return spec, x, _sample(n, x.shape[0])


def _pool_windows(spec: PoolSpec, plane: np.ndarray):
    """Steps, window origins, tap coordinates and windows of pooling over plane (C, H, W)."""
    (KH, KW), (sh, sw) = spec.kernel, spec.stride
    OH, OW = spec.output(plane.shape[1:]).shape
    out_index = _steps(plane.shape[0], OH, OW)  # (S, 3)
    origin = out_index[:, 1:] * np.array([sh, sw], np.int32)  # (S, 2)
    rows = origin[:, :1] + np.arange(KH, dtype=np.int32)  # (S, KH)
    cols = origin[:, 1:] + np.arange(KW, dtype=np.int32)  # (S, KW)
    window = plane[out_index[:, :1, None], rows[:, :, None], cols[:, None, :]]  # (S, KH, KW)
    return out_index, origin, rows, cols, window


def _winner(flat: np.ndarray) -> np.ndarray:
    """Reading-order index of each row's winner, by the rule of engine.pool._max_fwd.

    The kernel replaces its best on ``v > best or isnan(v)``: the first maximum
    wins a tie, and a NaN beats everything, the last NaN winning. np.argmax
    alone would pick the first NaN.
    """
    first_max = np.argmax(flat, axis=1)  # (S,)
    nan = np.isnan(flat)  # (S, K)
    last_nan = flat.shape[1] - 1 - np.argmax(nan[:, ::-1], axis=1)  # (S,)
    return np.where(nan.any(axis=1), last_nan, first_max)  # (S,)


def pool2d_trace(x, kernel=2, stride=None, mode="max", n=0) -> PoolTrace:
    """Trace :func:`engine.pool.max_pool2d` or ``avg_pool2d`` on sample ``n``."""
    mode = checks.choice("mode", mode, POOL_MODES)
    spec, x, n = _pool_setup(x, kernel, stride, n)
    KH, KW = spec.kernel
    out_index, origin, rows, cols, window = _pool_windows(spec, x[n])
    S = out_index.shape[0]
    flat = window.reshape(S, KH * KW)  # (S, K) in reading order
    if mode == "max":
        # np.maximum propagates NaN like the kernel's best does once a NaN has won.
        running = np.maximum.accumulate(flat, axis=1)  # (S, K)
        k = _winner(flat)  # (S,)
        winner = np.stack([rows[np.arange(S), k // KW], cols[np.arange(S), k % KW]], axis=1)  # (S, 2)
        result = running[:, -1]  # (S,)
    else:
        running = _running(flat)  # (S, K)
        winner = np.full((S, 2), -1, np.int32)  # (S, 2) no winner in a mean
        result = running[:, -1] / np.float32(KH * KW)  # (S,)
    return PoolTrace(
        mode=mode,
        output_shape=(x.shape[1], *spec.output(x.shape[2:]).shape),
        out_index=out_index,
        origin=origin,
        rows=rows,
        cols=cols,
        window=window,
        winner=winner.astype(np.int32),
        running=running,
        result=result,
    )
