"""conv1d.run (PROTOCOL.md, "conv1d.run"): a 1-D signal and kernel, the sliding dot product step by step.

No math here: the output comes from engine.conv1d, the steps from the engine's
trace (built from the same index arithmetic and checked against it by
tests/engine/test_trace.py), and the output length and its formula from
engine.shapes.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field, field_validator

from engine import conv1d, shapes, trace

from ..core.errors import Problem
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, real, whole
from .grids import axis_meta

MAX_SIGNAL = 64
MAX_KERNEL = 15
MAX_STRIDE = 8
MAX_PADDING = 10
MAX_ABS = 1000  # a value a student types into a cell; larger would not fit the cell on a projector

Value = real(-MAX_ABS, MAX_ABS)


class Conv1dRunParams(Params):
    signal: list[Value] = Field(min_length=1, max_length=MAX_SIGNAL, description=f"of 1 to {MAX_SIGNAL} numbers")
    kernel: list[Value] = Field(min_length=1, max_length=MAX_KERNEL, description=f"of 1 to {MAX_KERNEL} numbers")
    stride: whole(1, MAX_STRIDE) = 1
    padding: whole(0, MAX_PADDING) = Field(0, description="zeros added at each end of the signal")
    flip: bool = Field(False, strict=True, description="true convolution: the kernel turned around before it slides")

    @field_validator("signal", "kernel", mode="before")
    @classmethod
    def _length(cls, raw, info):
        """The list's length in words ("1 to 15 numbers"); the numbers themselves are checked after."""
        most = MAX_SIGNAL if info.field_name == "signal" else MAX_KERNEL
        if isinstance(raw, list) and not 1 <= len(raw) <= most:
            raise inconsistent(info.field_name, f"{info.field_name} must hold 1 to {most} numbers, got {len(raw)}")
        return raw


class Conv1dResultMeta(BaseModel):
    length: dict  # the output length along the signal, app.grids.axis_meta of engine.shapes.axis
    output_length: int
    steps: int  # one step per output value
    flip: bool
    problem: str | None  # a sentence when the last stride leaves values of the padded signal unvisited


# ---------------------------------------------------------------- the handler


def _leftover(ax: shapes.AxisSize) -> str | None:
    """A sentence when the stride does not land on the end of the padded signal (the output is floored)."""
    if ax.whole:
        return None
    cells = "value" if ax.leftover == 1 else f"{ax.leftover} values"
    return (
        f"{ax.formula()}: at stride {ax.s} the kernel's last position leaves the last {cells} of the padded signal "
        f"unvisited, so the output has {ax.size} values"
    )


@answers("conv1d.run", "conv1d.result")
def conv1d_run(p: Conv1dRunParams) -> Answer:
    x = np.asarray(p.signal, np.float32)[None, None]  # (1, 1, L)
    w = np.asarray(p.kernel, np.float32)[None, None]  # (1, 1, K)
    ax = shapes.axis(len(p.signal), len(p.kernel), p.stride, p.padding)
    if not ax.fits_at_all:  # the only refusal left after validation: a kernel longer than the padded signal
        raise Problem("does_not_fit", "kernel", f"kernel must fit the padded input: {ax.no_position()}")
    y = conv1d(x, w, None, p.stride, p.padding, 1, p.flip)[0, 0]  # (L_out,)
    t = trace.conv1d_trace(x, w, None, p.stride, p.padding, 1, p.flip)
    arrays = {
        "output": y,
        "padded": t.padded[0],  # (Lp,)
        "weights": t.weights[0, 0],  # (K,) as multiplied: turned around when flip
        "origin": t.origin,  # (S,) the first tap's position in the padded signal
        "positions": t.positions,  # (S, K)
        "window": t.window[:, 0, :],  # (S, K) signal values under the taps
        "is_pad": t.is_pad,  # (S, K)
        "products": t.products[:, 0, :],  # (S, K) weights × window
        "running_sum": t.running_sum,  # (S, K)
        "result": t.result,  # (S,) = output
    }
    meta = Conv1dResultMeta(
        length=axis_meta(ax), output_length=ax.size, steps=len(t.result), flip=p.flip, problem=_leftover(ax)
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "conv1d", (conv1d_run,), widgets=(Widget("conv1d", "1-D convolution", (*LAYER_CSS, "css/conv1d.css")),)
)
