"""pool.run, pool.trace, pool.backward and activation.run: checked params in, the engine called, a wire frame out.

Like app.handlers, no math here: outputs, winners, traces, gradients and the
activation curve all come from the engine; sizes and ranges from engine.shapes.
"""

from __future__ import annotations

import numpy as np

from engine import shapes
from engine.activations import ACTIVATIONS, activation
from engine.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from engine.trace import pool2d_trace

from . import wire
from .grids import axis_meta, input_array, pool_output, steps
from .protocol import (
    ANSWERS,
    ActivationMeta,
    ActivationRunParams,
    PoolBackwardParams,
    PoolResultMeta,
    PoolRunParams,
    PoolTraceParams,
    ShapeMeta,
    TraceMeta,
)

CURVE_POINTS = 201  # enough for a smooth curve at any width the page draws it
POOL_TRACE_ARRAYS = ("out_index", "origin", "window", "winner", "running", "result")


def pool_run(id: int, p: PoolRunParams) -> bytes:
    out = pool_output(p)
    x = input_array(p.input)  # (1, C, H, W)
    if p.mode == "max":
        y, winners = max_pool2d(x, p.kernel, p.stride)  # (1, C, OH, OW) each
        arrays = {"output": y[0], "winners": winners[0].astype(np.int32)}  # flat h*W + w; int32 is the wire's integer
    else:
        arrays = {"output": avg_pool2d(x, p.kernel, p.stride)[0]}  # (C, OH, OW)
    meta = PoolResultMeta(
        output_shape=(p.input.channels, *out.shape),
        fits=out.whole,
        problem=out.problem(),
        suggestions=out.suggestions(),
        axes={"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
        ranges={name: shapes.pool_ranges(ax.n, ax.k, ax.s) for name, ax in (("height", out.rows), ("width", out.cols))},
    )
    return wire.encode(id, ANSWERS["pool.run"], meta.model_dump(), arrays)


def pool_trace(id: int, p: PoolTraceParams) -> bytes:
    out = pool_output(p)
    x = input_array(p.input)  # (1, C, H, W)
    per_channel = out.shape[0] * out.shape[1]
    start, stop = steps(p.start, p.count, p.input.channels * per_channel)
    # Steps run channel by channel, so trace only the channels the page touches: a 256×256×3
    # input with a 1×1 window would otherwise build every window of every channel.
    parts = []
    for c in range(start // per_channel, (stop - 1) // per_channel + 1):
        t = pool2d_trace(x[:, c : c + 1], p.kernel, p.stride, p.mode).arrays()
        lo, hi = max(start - c * per_channel, 0), min(stop - c * per_channel, per_channel)
        part = {name: t[name][lo:hi] for name in POOL_TRACE_ARRAYS}
        part["out_index"] = part["out_index"].copy()  # (s, 3)
        part["out_index"][:, 0] = c  # the trace saw channel c as its only channel, 0
        parts.append(part)
    arrays = {name: np.concatenate([part[name] for part in parts]) for name in POOL_TRACE_ARRAYS}  # (S, ...)
    meta = TraceMeta(start=start, count=stop - start, steps_total=p.input.channels * per_channel,
                     output_shape=(p.input.channels, *out.shape))
    return wire.encode(id, ANSWERS["pool.trace"], {"mode": p.mode, **meta.model_dump()}, arrays)


def pool_backward(id: int, p: PoolBackwardParams) -> bytes:
    out = pool_output(p)
    x = input_array(p.input)  # (1, C, H, W)
    gy = np.asarray(p.upstream.values, np.float32).reshape(1, p.input.channels, *out.shape)  # (1, C, OH, OW)
    backward = max_pool2d_backward if p.mode == "max" else avg_pool2d_backward
    gx = backward(gy, x, p.kernel, p.stride)[0]  # (C, H, W)
    meta = ShapeMeta(output_shape=(p.input.channels, *out.shape))
    return wire.encode(id, ANSWERS["pool.backward"], meta.model_dump(), {"grad_input": gx})


def activation_run(id: int, p: ActivationRunParams) -> bytes:
    x = input_array(p.input)[0]  # (C, H, W)
    y = activation(p.name, x, p.param)  # (C, H, W)
    # The curve is the same engine call on an even grid, so the page never evaluates the function itself.
    curve_x = np.linspace(p.curve_min, p.curve_max, CURVE_POINTS, dtype=np.float32)  # (201,)
    curve_y = activation(p.name, curve_x, p.param)  # (201,)
    default = ACTIVATIONS[p.name][2]
    used = None if default is None else (default if p.param is None else p.param)
    meta = ActivationMeta(name=p.name, param=used)
    return wire.encode(id, ANSWERS["activation.run"], meta.model_dump(),
                       {"output": y, "curve_x": curve_x, "curve_y": curve_y})
