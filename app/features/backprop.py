"""backward.run and backward.trace: a convolution's gradients, and the arithmetic of each gradient value."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from engine import shapes
from engine.conv import conv2d_backward
from engine.trace_grad import conv2d_input_grad_trace, conv2d_weight_grad_trace

from ..core.errors import Problem
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.limits import MAX_TRACE_STEPS
from ..core.models import Upstream, check_upstream, whole
from .conv import ConvRunParams
from .grids import ShapeMeta, TraceMeta, conv_arrays, conv_output, conv_settings, steps


class BackwardRunParams(ConvRunParams):
    upstream: Upstream = Field(description="{values: [F·OH·OW numbers]}")

    @model_validator(mode="after")
    def _upstream_fits(self):
        x, k = self.input, self.kernels
        out = shapes.window_output((x.height, x.width), (k.height, k.width), self.stride, self.padding, self.dilation)
        if out.fits_at_all:
            check_upstream(self.upstream, (k.filters, *out.shape), "filters × output height × output width")
        return self


class BackwardTraceParams(BackwardRunParams):
    which: Literal["weights", "input"] = "weights"
    start: whole(0, 2**31 - 1) = 0
    count: whole(1, MAX_TRACE_STEPS) = 1


# Here rather than in a module of its own: REQUESTS below needs it, and a module importing


# Numbers one engine trace call may build (a weight step carries OH·OW of them, an input channel
# F·OH·OW·KH·KW contributions): keeps a page's memory and frame in the tens of MB.
MAX_TRACE_CELLS = 2**20
WEIGHT_ARRAYS = ("weight_index", "tap", "rows", "cols", "window", "is_pad", "grad", "products", "running_sum", "result")
INPUT_STEP_ARRAYS = ("in_index", "result")  # one row per step; the rest are per contribution
INPUT_FLAT_ARRAYS = ("f", "oh", "ow", "kh", "kw", "via", "grad", "weight", "product", "running_sum")


def _upstream(p: BackwardRunParams, shape: tuple[int, int]) -> np.ndarray:
    return np.asarray(p.upstream.values, np.float32).reshape(1, p.kernels.filters, *shape)  # (1, F, OH, OW)


@answers("backward.run", "backward.result")
def backward_run(p: BackwardRunParams) -> Answer:
    out = conv_output(p)
    x, w, _ = conv_arrays(p)
    gx, gw, gb = conv2d_backward(
        _upstream(p, out.shape), x, w, **conv_settings(p)
    )  # (1, C, H, W), (F, C, KH, KW), (F,)
    meta = ShapeMeta(output_shape=(p.kernels.filters, *out.shape))
    return Answer(meta.model_dump(), {"grad_input": gx[0], "grad_weights": gw, "grad_bias": gb})


def _too_big(cells: int, what: str) -> Problem:
    return Problem(
        "invalid",
        "count" if what == "count" else "input",
        f"this {what} would build {cells} numbers, more than {MAX_TRACE_CELLS}; "
        "ask for fewer steps, or use a smaller input, kernel or fewer filters",
    )


def _weight_steps(p, x, w, gy, start, stop) -> dict[str, np.ndarray]:
    _, C, KH, KW = w.shape
    per_block = KH * KW  # steps of one (f, c) pair
    oh_ow = gy.shape[2] * gy.shape[3]
    if (stop - start) * oh_ow > MAX_TRACE_CELLS:
        raise _too_big((stop - start) * oh_ow, "count")
    if per_block * oh_ow > MAX_TRACE_CELLS:
        raise _too_big(per_block * oh_ow, "weight-gradient trace of one filter channel")
    parts = []
    for block in range(start // per_block, (stop - 1) // per_block + 1):
        f, c = divmod(block, C)
        t = conv2d_weight_grad_trace(
            gy[:, f : f + 1], x[:, c : c + 1], w[f : f + 1, c : c + 1], **conv_settings(p)
        ).arrays()
        lo, hi = max(start - block * per_block, 0), min(stop - block * per_block, per_block)
        part = {name: t[name][lo:hi] for name in WEIGHT_ARRAYS}
        part["weight_index"] = part["weight_index"] + np.array([f, c, 0, 0], np.int32)  # (s, 4) back to the full w
        parts.append(part)
    return {name: np.concatenate([part[name] for part in parts]) for name in WEIGHT_ARRAYS}


def _input_steps(p, x, w, gy, start, stop) -> dict[str, np.ndarray]:
    F, _, KH, KW = w.shape
    H, W = x.shape[2:]
    per_channel = H * W
    contributions = F * gy.shape[2] * gy.shape[3] * KH * KW  # at most, per channel
    if contributions > MAX_TRACE_CELLS:
        raise _too_big(contributions, "input-gradient trace of one channel")
    steps_, flats = [], []
    for c in range(start // per_channel, (stop - 1) // per_channel + 1):
        t = conv2d_input_grad_trace(gy, x[:, c : c + 1], w[:, c : c + 1], **conv_settings(p)).arrays()
        lo, hi = max(start - c * per_channel, 0), min(stop - c * per_channel, per_channel)
        a, b = t["offsets"][lo], t["offsets"][hi]
        part = {name: t[name][lo:hi] for name in INPUT_STEP_ARRAYS}
        part["in_index"] = part["in_index"] + np.array([c, 0, 0], np.int32)  # (s, 3) back to the full input
        part["counts"] = np.diff(t["offsets"][lo : hi + 1])  # (s,) contributions per step
        steps_.append(part)
        flats.append({name: t[name][a:b] for name in INPUT_FLAT_ARRAYS})
    counts = np.concatenate([s["counts"] for s in steps_])  # (S,)
    arrays = {
        "in_index": np.concatenate([s["in_index"] for s in steps_]),  # (S, 3)
        "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int32),
    }  # (S + 1,) rebased to this page
    arrays.update({name: np.concatenate([fl[name] for fl in flats]) for name in INPUT_FLAT_ARRAYS})  # (T, ...)
    arrays["result"] = np.concatenate([s["result"] for s in steps_])  # (S,)
    return arrays


@answers("backward.trace", "backward.trace")
def backward_trace(p: BackwardTraceParams) -> Answer:
    out = conv_output(p)
    x, w, _ = conv_arrays(p)
    gy = _upstream(p, out.shape)  # (1, F, OH, OW)
    total = w.size if p.which == "weights" else x.size  # F·C·KH·KW weights, or C·H·W input cells
    start, stop = steps(p.start, p.count, total)
    arrays = (_weight_steps if p.which == "weights" else _input_steps)(p, x, w, gy, start, stop)
    meta = TraceMeta(start=start, count=stop - start, steps_total=total, output_shape=(p.kernels.filters, *out.shape))
    return Answer({"which": p.which, **meta.model_dump()}, arrays)


FEATURE = Feature(
    "backprop",
    (backward_run, backward_trace),
    widgets=(Widget("backprop", "Backprop, step by step", (*LAYER_CSS, "css/backprop.css")),),
    fields={"x": "input", "w": "kernels", "b": "bias", "gy": "upstream.values"},
)
