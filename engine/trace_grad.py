"""Step traces of the backward passes: where every gradient value comes from.

Same conventions as :mod:`engine.trace` (one sample, row-major steps, padded
coordinates, read-only arrays ready for the wire); checked against
:func:`engine.conv.conv2d_backward` and the pooling backward passes by
``tests/engine/test_trace.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pad import pad
from .trace import _conv_grad_setup, _outside, _pool_setup, _pool_windows, _running, _steps, _Trace, pool2d_trace

# ------------------------------------------------------------------ convolution backward


@dataclass(frozen=True, eq=False)
class WeightGradTrace(_Trace):
    """dL/dw of conv2d on one sample, one step per weight (f, c, kh, kw); S = F·C·KH·KW.

    Steps and ``result`` are in the orientation the user sees (the ``w`` passed
    in), like conv2d_backward's dL/dw. With ``flip=True`` the forward pass put
    w[f, c, kh, kw] on window tap (KH-1-kh, KW-1-kw); ``tap`` records that, and
    ``rows``/``cols``/``window`` follow the tap, so ``result.reshape(w.shape)``
    is dL/dw for a batch holding only sample n.
    """

    weight_shape: tuple[int, int, int, int]  # (F, C, KH, KW)
    padded: np.ndarray  # (C, Hp, Wp)
    weight_index: np.ndarray  # (S, 4) [f, c, kh, kw] in the user's orientation
    tap: np.ndarray  # (S, 2) the window tap (row, col) this weight sits on in the forward pass
    rows: np.ndarray  # (S, OH) padded row the weight meets at each output row
    cols: np.ndarray  # (S, OW)
    window: np.ndarray  # (S, OH, OW) xpad[c, oh·sh + tap_h·dh, ow·sw + tap_w·dw]
    is_pad: np.ndarray  # (S, OH, OW)
    grad: np.ndarray  # (S, OH, OW) dL/dy[n, f]
    products: np.ndarray  # (S, OH, OW)
    running_sum: np.ndarray  # (S, OH·OW) in order oh, ow
    result: np.ndarray  # (S,)


def conv2d_weight_grad_trace(
    gy, x, w, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False, n=0
) -> WeightGradTrace:
    """Trace dL/dw of :func:`engine.conv.conv2d_backward` for sample ``n`` alone."""
    spec, x, w, g, n, xp = _conv_grad_setup(gy, x, w, stride, padding, dilation, pad_mode, flip, n)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    top, _, left, _ = spec.padding
    F, C, KH, KW = w.shape
    H, W = x.shape[2:]
    _, OH, OW = g.shape
    S = F * C * KH * KW

    weight_index = _steps(F, C, KH, KW)  # (S, 4)
    f, c, kh, kw = weight_index.T  # each (S,)
    tap = np.stack([KH - 1 - kh, KW - 1 - kw] if spec.flip else [kh, kw], axis=1)  # (S, 2)
    rows = tap[:, :1] * dh + np.arange(OH, dtype=np.int32) * sh  # (S, OH)
    cols = tap[:, 1:] * dw + np.arange(OW, dtype=np.int32) * sw  # (S, OW)
    window = xp[c[:, None, None], rows[:, :, None], cols[:, None, :]]  # (S, OH, OW)
    grad = g[f]  # (S, OH, OW)
    products = window * grad  # (S, OH, OW)
    running = _running(products.reshape(S, OH * OW))  # (S, OH*OW)
    return WeightGradTrace(
        weight_shape=(F, C, KH, KW),
        padded=xp,
        weight_index=weight_index,
        tap=tap,
        rows=rows,
        cols=cols,
        window=window,
        is_pad=_outside(rows, top, H)[:, :, None] | _outside(cols, left, W)[:, None, :],  # (S, OH, OW)
        grad=grad,
        products=products,
        running_sum=running,
        result=running[:, -1],  # (S,)
    )


@dataclass(frozen=True, eq=False)
class InputGradTrace(_Trace):
    """dL/dx of conv2d on one sample, one step per input cell (c, h, w); S = C·H·W.

    A cell receives a contribution from every (filter, output cell, tap) whose
    tap reads it. Step s owns contributions ``offsets[s]:offsets[s+1]`` of the
    flat arrays (length T), listed filter by filter, then in oh, ow, kh, kw
    order. ``kh``, ``kw`` are window taps as in :class:`ConvTrace` and
    ``weight`` is the value multiplied there (turned 180° when flip). With
    reflect or replicate padding a cell is also read through the border cells
    that copy it; ``via`` says which padded cell carried each contribution.

    The lecture view, the same sum as one "full" convolution: ``padded_grad``
    holds dL/dy[n] spread out by the stride (zeros between) and padded by
    (KH-1)·dh, (KW-1)·dw; correlating it with ``flipped_kernel`` (dilated,
    summed over filters) gives ``padded_input_grad``, the gradient of the padded
    input, whose inner part (zeros) or fold onto the input (reflect, replicate)
    is ``result``.
    """

    input_shape: tuple[int, int, int]  # (C, H, W)
    in_index: np.ndarray  # (S, 3) [c, h, w]
    offsets: np.ndarray  # (S + 1,)
    f: np.ndarray  # (T,)
    oh: np.ndarray  # (T,)
    ow: np.ndarray  # (T,)
    kh: np.ndarray  # (T,)
    kw: np.ndarray  # (T,)
    via: np.ndarray  # (T, 2) padded (row, col) the tap read
    grad: np.ndarray  # (T,) dL/dy[n, f, oh, ow]
    weight: np.ndarray  # (T,)
    product: np.ndarray  # (T,)
    running_sum: np.ndarray  # (T,) restarting at each step
    result: np.ndarray  # (S,) dL/dx[n, c, h, w]
    flipped_kernel: np.ndarray  # (F, C, KH, KW) the multiplied weights turned 180°
    padded_grad: np.ndarray  # (F, Hp + (KH-1)·dh, Wp + (KW-1)·dw)
    padded_input_grad: np.ndarray  # (C, Hp, Wp)


def conv2d_input_grad_trace(
    gy, x, w, stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False, n=0
) -> InputGradTrace:
    """Trace dL/dx of :func:`engine.conv.conv2d_backward` for sample ``n``."""
    spec, x, w, g, n, xp = _conv_grad_setup(gy, x, w, stride, padding, dilation, pad_mode, flip, n)
    (sh, sw), (dh, dw) = spec.stride, spec.dilation
    F, C, KH, KW = w.shape
    H, W = x.shape[2:]
    _, OH, OW = g.shape
    Hp, Wp = xp.shape[1:]
    wk = spec.kernel_weights(w)  # (F, C, KH, KW)

    # Which input cell (h·W + w) each padded cell shows, by padding a map of cell numbers the
    # way the input was padded; -1 on zero padding, which passes gradient to no cell.
    numbers = np.arange(H * W, dtype=np.float32).reshape(1, 1, H, W)  # (1, 1, H, W)
    source = pad(numbers, spec.padding, spec.pad_mode, value=-1.0)[0, 0].astype(np.int32)  # (Hp, Wp)

    # Every (oh, ow, kh, kw) read, grouped by the cell it read. This pattern is the same for
    # every channel and filter, so it is built once over (oh, ow, kh, kw) and then repeated.
    taps = _steps(OH, OW, KH, KW)  # (P, 4) P = OH*OW*KH*KW
    via = np.stack([taps[:, 0] * sh + taps[:, 2] * dh, taps[:, 1] * sw + taps[:, 3] * dw], axis=1)  # (P, 2)
    read = source[via[:, 0], via[:, 1]]  # (P,)
    keep = np.flatnonzero(read >= 0)  # (V,)
    keep = keep[np.argsort(read[keep], kind="stable")]  # (V,) by cell, reading order kept within a cell
    per_filter = np.bincount(read[keep], minlength=H * W).astype(np.int32)  # (H*W,) taps reading each cell
    first = np.cumsum(per_filter, dtype=np.int32) - per_filter  # (H*W,) where each cell's taps start in keep

    # One channel's contributions in order: cell by cell; within a cell, filter by filter, each
    # running through the cell's taps. Every channel repeats this list with its own weights.
    per_cell = F * per_filter  # (H*W,) contributions to a cell of one channel
    cell = np.repeat(np.arange(H * W, dtype=np.int32), per_cell)  # (F*V,) the cell each contribution goes to
    place = np.arange(cell.size, dtype=np.int32) - F * first[cell]  # (F*V,) position within the cell's list
    f, rank = np.divmod(place, per_filter[cell])  # each (F*V,) filter, and tap within the cell's taps
    tap = keep[first[cell] + rank]  # (F*V,) row of taps
    t_oh, t_ow, t_kh, t_kw = taps[tap].T  # each (F*V,)
    grad = np.tile(g[f, t_oh, t_ow], C)  # (T,) dL/dy does not depend on the channel
    by_channel = wk.transpose(1, 0, 2, 3).reshape(C, F * KH * KW)  # (C, F*KH*KW)
    weight = by_channel[:, (f * KH + t_kh) * KW + t_kw].ravel()  # (T,) from (C, F*V): channel by channel
    product = grad * weight  # (T,)

    counts = np.tile(per_cell, C)  # (S,) contributions per step
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)  # (S + 1,)
    # One float64 cumulative sum minus each step's starting value restarts the sum per step.
    total = np.cumsum(product, dtype=np.float64)  # (T,)
    before = np.concatenate([[0.0], total])[offsets[:-1]]  # (S,)
    running = (total - np.repeat(before, counts)).astype(np.float32)  # (T,)
    result = np.zeros(C * H * W, np.float32)  # (S,) a cell no tap reads gets no gradient
    result[counts > 0] = running[offsets[1:][counts > 0] - 1]

    # The lecture view: dL/dy spread by the stride into a frame padded by the dilated kernel reach.
    flipped = wk[:, :, ::-1, ::-1]  # (F, C, KH, KW)
    reach_h, reach_w = (KH - 1) * dh, (KW - 1) * dw
    padded_grad = np.zeros((F, Hp + reach_h, Wp + reach_w), np.float32)  # (F, Hp + reach_h, Wp + reach_w)
    padded_grad[:, reach_h : reach_h + (OH - 1) * sh + 1 : sh, reach_w : reach_w + (OW - 1) * sw + 1 : sw] = g
    spans = np.lib.stride_tricks.sliding_window_view(padded_grad, (reach_h + 1, reach_w + 1), axis=(1, 2))
    views = spans[..., ::dh, ::dw]  # (F, Hp, Wp, KH, KW) what each dilated tap sees, no copy
    padded_input_grad = np.einsum("fijkl,fckl->cij", views, flipped, optimize=True)  # (C, Hp, Wp)

    return InputGradTrace(
        input_shape=(C, H, W),
        in_index=_steps(C, H, W),
        offsets=offsets,
        f=np.tile(f, C),
        oh=np.tile(t_oh, C),
        ow=np.tile(t_ow, C),
        kh=np.tile(t_kh, C),
        kw=np.tile(t_kw, C),
        via=np.broadcast_to(via[tap], (C, tap.size, 2)).reshape(-1, 2),  # (T, 2)
        grad=grad,
        weight=weight,
        product=product,
        running_sum=running,
        result=result,
        flipped_kernel=flipped,
        padded_grad=padded_grad,
        padded_input_grad=padded_input_grad.astype(np.float32),
    )


# ------------------------------------------------------------------ pooling backward


@dataclass(frozen=True, eq=False)
class MaxPoolGradTrace(_Trace):
    """dL/dx of max pooling on one sample: each output cell (c, oh, ow) routes its gradient to its winner."""

    out_index: np.ndarray  # (S, 3) [c, oh, ow]
    winner: np.ndarray  # (S, 2) input (h, w) receiving the gradient
    grad: np.ndarray  # (S,) dL/dy[n, c, oh, ow]
    accumulated: np.ndarray  # (S,) the winner's gradient so far, this step included (windows may overlap)
    result: np.ndarray  # (C, H, W) dL/dx[n]


def max_pool_grad_trace(gy, x, kernel=2, stride=None, n=0) -> MaxPoolGradTrace:
    """Trace :func:`engine.pool.max_pool2d_backward` for sample ``n``."""
    spec, x, n = _pool_setup(x, kernel, stride, n)
    g = spec.check_grad(gy, x)[n].flatten()  # (S,) in step order, a copy of the caller's gy
    forward = pool2d_trace(x[n : n + 1], spec.kernel, spec.stride, "max")
    C, H, W = x.shape[1:]
    # Each step adds to one cell; the cell's total so far is a cumulative sum over that cell's steps.
    cell = (forward.out_index[:, 0] * H + forward.winner[:, 0]) * W + forward.winner[:, 1]  # (S,)
    by_cell = np.argsort(cell, kind="stable")  # (S,) steps grouped by cell, step order kept
    total = np.cumsum(g[by_cell], dtype=np.float64)  # (S,)
    sorted_cell = cell[by_cell]  # (S,)
    starts = np.flatnonzero(np.r_[True, sorted_cell[1:] != sorted_cell[:-1]])  # (cells hit,) first step of each
    before = np.r_[0.0, total][starts]  # (cells hit,) the sum of all earlier cells' steps
    accumulated = np.empty(g.size, np.float32)  # (S,)
    accumulated[by_cell] = total - np.repeat(before, np.diff(np.r_[starts, g.size]))
    result = np.bincount(cell, weights=g, minlength=C * H * W).astype(np.float32).reshape(C, H, W)  # (C, H, W)
    return MaxPoolGradTrace(forward.out_index, forward.winner, g, accumulated, result)


@dataclass(frozen=True, eq=False)
class AvgPoolGradTrace(_Trace):
    """dL/dx of average pooling on one sample: each output cell spreads grad / (KH·KW) over its window."""

    out_index: np.ndarray  # (S, 3) [c, oh, ow]
    origin: np.ndarray  # (S, 2) top-left cell of the window
    rows: np.ndarray  # (S, KH)
    cols: np.ndarray  # (S, KW)
    grad: np.ndarray  # (S,) dL/dy[n, c, oh, ow]
    share: np.ndarray  # (S,) what each window cell receives
    result: np.ndarray  # (C, H, W) dL/dx[n]


def avg_pool_grad_trace(gy, x, kernel=2, stride=None, n=0) -> AvgPoolGradTrace:
    """Trace :func:`engine.pool.avg_pool2d_backward` for sample ``n``."""
    spec, x, n = _pool_setup(x, kernel, stride, n)
    g = spec.check_grad(gy, x)[n].flatten()  # (S,) in step order, a copy of the caller's gy
    KH, KW = spec.kernel
    out_index, origin, rows, cols, _ = _pool_windows(spec, x[n])
    share = g / np.float32(KH * KW)  # (S,)
    result = np.zeros(x.shape[1:], np.float64)  # (C, H, W) float64 so overlapping shares add without drift
    np.add.at(result, (out_index[:, :1, None], rows[:, :, None], cols[:, None, :]), share[:, None, None])
    return AvgPoolGradTrace(out_index, origin, rows, cols, g, share, result.astype(np.float32))
