"""transpose.run: a transposed convolution on a small one-channel grid, stamp by stamp.

No math here: the output comes from engine.conv_transpose2d, the stamps and the canvas after each
from the engine's trace (engine.conv_transpose.stamps, checked against the output by
tests/engine/test_conv_transpose.py), the sizes and their formula from engine.conv_transpose's
axis arithmetic. An engine refusal names its argument; ``x`` and ``w`` are the page's ``input``
and ``kernel``.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine import conv_transpose2d
from engine.conv_transpose import TransposeAxis, stamps, transpose_axis

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, real, whole

MAX_SIDE = 6  # an input a lesson can read cell by cell: at most 36 stamps
MAX_KERNEL = 4
MAX_STRIDE = 3
MAX_PADDING = 3
MAX_OUTPUT_PADDING = 2
MAX_DILATION = 2
MAX_ABS = 1000  # a value typed into a cell

Value = real(-MAX_ABS, MAX_ABS)


class TransposeRunParams(Params):
    height: whole(1, MAX_SIDE) = Field(2, description="the input's rows")
    width: whole(1, MAX_SIDE) = Field(2, description="the input's columns")
    values: list[Value] = Field(max_length=MAX_SIDE**2, description="height·width numbers, row by row")
    kernel_size: whole(1, MAX_KERNEL) = Field(3, description="the kernel's side")
    kernel: list[Value] = Field(max_length=MAX_KERNEL**2, description="kernel_size² numbers, row by row")
    stride: whole(1, MAX_STRIDE) = 1
    padding: whole(0, MAX_PADDING) = Field(0, description="cells cut from each side of the stamps' canvas")
    output_padding: whole(0, MAX_OUTPUT_PADDING) = Field(0, description="cells kept past the cut, bottom and right")
    dilation: whole(1, MAX_DILATION) = 1

    @model_validator(mode="after")
    def _counts(self):
        if len(self.values) != self.height * self.width:
            raise inconsistent(
                "values",
                f"values must hold height × width = {self.height * self.width} numbers, got {len(self.values)}",
            )
        if len(self.kernel) != self.kernel_size**2:
            raise inconsistent(
                "kernel", f"kernel must hold kernel_size² = {self.kernel_size**2} numbers, got {len(self.kernel)}"
            )
        return self


class TransposeAxisMeta(BaseModel):
    n: int
    k: int
    s: int
    p: int
    op: int
    d: int
    full: int  # the stamps' canvas before the cut
    canvas: int  # cells drawn: the canvas, and any output padding past it
    size: int  # the output
    formula: str  # "(4 − 1)×2 − 2×1 + 1×(3 − 1) + 1 = 7"
    shrink_from: list[int]  # the sizes a convolution with the same k, s, p, d takes to n


class TransposeResultMeta(BaseModel):
    rows: TransposeAxisMeta
    cols: TransposeAxisMeta
    output_shape: list[int]  # (H_out, W_out)
    crop: list[int]  # the canvas cell where the output starts: (top, left)
    steps: int  # one stamp per input cell


def _axis_meta(ax: TransposeAxis) -> TransposeAxisMeta:
    return TransposeAxisMeta(
        n=ax.n,
        k=ax.k,
        s=ax.s,
        p=ax.p,
        op=ax.op,
        d=ax.d,
        full=ax.full,
        canvas=ax.canvas,
        size=ax.size,
        formula=ax.formula(),
        shrink_from=ax.inputs_that_shrink_here(),
    )


@answers("transpose.run", "transpose.result")
def transpose_run(p: TransposeRunParams) -> Answer:
    x = np.asarray(p.values, np.float32).reshape(1, 1, p.height, p.width)  # (1, 1, H, W)
    w = np.asarray(p.kernel, np.float32).reshape(1, 1, p.kernel_size, p.kernel_size)  # (1, 1, K, K)
    settings = {"stride": p.stride, "padding": p.padding, "output_padding": p.output_padding, "dilation": p.dilation}
    y = conv_transpose2d(x, w, **settings)[0, 0]  # (H_out, W_out)
    t = stamps(x, w, **settings)
    rows, cols = (
        transpose_axis(n, p.kernel_size, p.stride, p.padding, p.output_padding, p.dilation) for n in x.shape[2:]
    )
    arrays = {
        "output": y,
        "input": x[0, 0],  # (H, W)
        "kernel": w[0, 0],  # (K, K)
        "cells": t.cells,  # (S, 2) the input cell of each stamp
        "origin": t.origin,  # (S, 2) its top-left on the canvas
        "stamps": t.stamps[:, 0],  # (S, K, K) the cell's value times the kernel
        "running": t.running[:, 0],  # (S, Hc, Wc) the canvas after each stamp
    }
    meta = TransposeResultMeta(
        rows=_axis_meta(rows), cols=_axis_meta(cols), output_shape=list(y.shape), crop=list(t.crop), steps=len(t.cells)
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "transpose",
    (transpose_run,),
    widgets=(Widget("transpose", "Transposed convolution", (*LAYER_CSS, "js/widgets/transpose/transpose.css")),),
    fields={"x": "values", "w": "kernel"},
)
