"""pool.run, pool.trace and pool.backward: max and average pooling, their windows step by step, and their gradient."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from engine import shapes
from engine.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from engine.trace import pool2d_trace

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.limits import MAX_TRACE_STEPS
from ..core.models import HW, InputGrid, Params, PoolSize, Upstream, check_input, check_upstream, whole
from .grids import ShapeMeta, TraceMeta, WindowResultMeta, axis_meta, input_array, pool_output, steps


class PoolRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    mode: Literal["max", "avg"] = "max"
    kernel: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)
    stride: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)

    @model_validator(mode="after")
    def _consistent(self):
        check_input(self.input)
        return self

    def output(self) -> shapes.Output2D:
        return shapes.window_output((self.input.height, self.input.width), self.kernel, self.stride, what="window")


class PoolTraceParams(PoolRunParams):
    start: whole(0, 2**31 - 1) = 0
    count: whole(1, MAX_TRACE_STEPS) = 1


class PoolBackwardParams(PoolRunParams):
    upstream: Upstream = Field(description="{values: [C·OH·OW numbers]}")

    @model_validator(mode="after")
    def _upstream_fits(self):
        out = self.output()
        if out.fits_at_all:  # otherwise the handler refuses the kernel, which is the real problem
            check_upstream(self.upstream, (self.input.channels, *out.shape), "channels × output height × output width")
        return self


PoolResultMeta = WindowResultMeta


POOL_TRACE_ARRAYS = ("out_index", "origin", "window", "winner", "running", "result")


@answers("pool.run", "pool.result")
def pool_run(p: PoolRunParams) -> Answer:
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
    return Answer(meta.model_dump(), arrays)


@answers("pool.trace", "pool.trace")
def pool_trace(p: PoolTraceParams) -> Answer:
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
    meta = TraceMeta(
        start=start,
        count=stop - start,
        steps_total=p.input.channels * per_channel,
        output_shape=(p.input.channels, *out.shape),
    )
    return Answer({"mode": p.mode, **meta.model_dump()}, arrays)


@answers("pool.backward", "pool.grad")
def pool_backward(p: PoolBackwardParams) -> Answer:
    out = pool_output(p)
    x = input_array(p.input)  # (1, C, H, W)
    gy = np.asarray(p.upstream.values, np.float32).reshape(1, p.input.channels, *out.shape)  # (1, C, OH, OW)
    backward = max_pool2d_backward if p.mode == "max" else avg_pool2d_backward
    gx = backward(gy, x, p.kernel, p.stride)[0]  # (C, H, W)
    meta = ShapeMeta(output_shape=(p.input.channels, *out.shape))
    return Answer(meta.model_dump(), {"grad_input": gx})


FEATURE = Feature(
    "pool",
    (pool_run, pool_trace, pool_backward),
    widgets=(Widget("pool", "Pooling", LAYER_CSS),),
    fields={"x": "input", "gy": "upstream.values"},
)
