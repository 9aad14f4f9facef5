"""im2col.run: a small convolution lowered to one matrix product, every matrix and where each entry came from.

No math here: the columns, the weight matrix, the output and the copies come from engine.im2col
(checked against PyTorch by tests/engine/test_im2col.py), the product is that module's matrix
product, and the shapes with their formulas, the blow-up and the multiply-adds are its Sizes. An
engine refusal names its argument; ``x`` is the page's ``values``, ``w`` (a kernel that does not
fit the padded input) its ``kernel_size``.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine import shapes
from engine.im2col import conv2d_as_matmul, copies, im2col, sizes, sources, taps, weight_matrix

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, real, whole

MAX_CHANNELS = 3
MAX_SIDE = 8  # at most 8×8 cells per channel: the columns stay a matrix a class can scroll through
MAX_FILTERS = 4
MAX_KERNEL = 4
MAX_STRIDE = 3
MAX_PADDING = 2
MAX_DILATION = 2
MAX_ABS = 1000  # a value typed into a cell

Value = real(-MAX_ABS, MAX_ABS)


class Im2colRunParams(Params):
    channels: whole(1, MAX_CHANNELS) = Field(1, description="C_in, the input's channels")
    height: whole(1, MAX_SIDE) = Field(4, description="the input's rows")
    width: whole(1, MAX_SIDE) = Field(4, description="the input's columns")
    values: list[Value] = Field(
        max_length=MAX_CHANNELS * MAX_SIDE**2, description="channels·height·width numbers in (C, H, W) order"
    )
    filters: whole(1, MAX_FILTERS) = Field(2, description="C_out, the number of filters")
    kernel_size: whole(1, MAX_KERNEL) = Field(3, description="k, each filter's side")
    weights: list[Value] = Field(
        max_length=MAX_FILTERS * MAX_CHANNELS * MAX_KERNEL**2,
        description="filters·channels·k·k numbers in (C_out, C_in, k, k) order",
    )
    stride: whole(1, MAX_STRIDE) = 1
    padding: whole(0, MAX_PADDING) = 0
    dilation: whole(1, MAX_DILATION) = 1

    @model_validator(mode="after")
    def _counts(self):
        need = self.channels * self.height * self.width
        if len(self.values) != need:
            raise inconsistent(
                "values",
                f"values must hold channels × height × width = {self.channels} × {self.height} × {self.width} = "
                f"{need} numbers, got {len(self.values)}",
            )
        need = self.filters * self.channels * self.kernel_size**2
        if len(self.weights) != need:
            raise inconsistent(
                "weights",
                f"weights must hold filters × channels × k × k = {self.filters} × {self.channels} × "
                f"{self.kernel_size} × {self.kernel_size} = {need} numbers, got {len(self.weights)}",
            )
        return self


class Im2colShapes(BaseModel):
    input: list[int]  # (C_in, H, W)
    weights: list[int]  # the weight matrix (C_out, C_in·k·k)
    columns: list[int]  # (C_in·k·k, L)
    product: list[int]  # (C_out, L)
    output: list[int]  # (C_out, H_out, W_out)


class Im2colResultMeta(BaseModel):
    shapes: Im2colShapes
    formulas: dict[str, str]  # weights, columns, product: "(C_out) × (C_in·k·k) = (2) × (1·3·3) = 2 × 9"
    multiply: str  # "(C_out) × (C_in·k·k) times (C_in·k·k) × (H_out·W_out)" with this layer's numbers
    rows_formula: str  # H_out: "(4 + 2×1 − 3)/1 + 1 = 4"
    cols_formula: str  # W_out
    positions: int  # L = H_out·W_out, one column per window
    column_entries: int  # C_in·k·k·L numbers in the columns
    input_entries: int  # C_in·H·W numbers in the input
    blowup: float  # column_entries / input_entries
    blowup_text: str  # "k·k·L / (H·W) = 3·3·16 / (4·4) = 144/16 = 9"
    multiply_adds: int  # C_out·C_in·k·k·L


@answers("im2col.run", "im2col.result")
def im2col_run(p: Im2colRunParams) -> Answer:
    x = np.asarray(p.values, np.float32).reshape(1, p.channels, p.height, p.width)  # (1, C_in, H, W)
    w = np.asarray(p.weights, np.float32).reshape(p.filters, p.channels, p.kernel_size, p.kernel_size)  # (C_out, ...)
    settings = {"stride": p.stride, "padding": p.padding, "dilation": p.dilation}
    y = conv2d_as_matmul(x, w, None, **settings)[0]  # (C_out, H_out, W_out); refuses a kernel that does not fit
    cols = im2col(x, p.kernel_size, **settings)[0]  # (C_in*k*k, L)
    wmat = weight_matrix(w)  # (C_out, C_in*k*k)
    size = sizes(p.channels, p.height, p.width, p.kernel_size, p.filters, **settings)
    where = (p.channels, (p.height, p.width), p.kernel_size)
    arrays = {
        "input": x[0],  # (C_in, H, W)
        "kernels": w,  # (C_out, C_in, k, k)
        "weights": wmat,  # (C_out, C_in*k*k)
        "columns": cols,  # (C_in*k*k, L)
        "product": y.reshape(p.filters, -1),  # (C_out, L): weights @ columns, before the reshape
        "output": y,  # (C_out, H_out, W_out)
        "sources": sources(*where, **settings),  # (C_in*k*k, L) the input cell of each entry, −1 on padding
        "taps": taps(p.channels, p.kernel_size),  # (C_in*k*k, 3) the (channel, row, column) of each row
        "copies": copies(*where, **settings),  # (C_in, H, W) how many entries each cell became
    }
    rows, cols_axis = (
        shapes.axis(n, p.kernel_size, p.stride, p.padding, None, p.dilation) for n in (p.height, p.width)
    )
    r, pos = size.rows, size.positions
    meta = Im2colResultMeta(
        shapes=Im2colShapes(
            input=list(x.shape[1:]),
            weights=list(wmat.shape),
            columns=list(cols.shape),
            product=[p.filters, pos],
            output=list(y.shape),
        ),
        formulas=size.shapes(),
        multiply=f"(C_out) × (C_in·k·k) times (C_in·k·k) × (H_out·W_out): {p.filters} × {r} times {r} × {pos}",
        rows_formula=rows.formula(),
        cols_formula=cols_axis.formula(),
        positions=pos,
        column_entries=size.column_entries,
        input_entries=size.input_entries,
        blowup=float(size.blowup),
        blowup_text=size.blowup_text(),
        multiply_adds=size.multiply_adds,
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "im2col",
    (im2col_run,),
    widgets=(Widget("im2col", "Convolution as a matrix product", (*LAYER_CSS, "js/widgets/im2col/im2col.css")),),
    fields={"x": "values", "w": "kernel_size", "kernel_size": "kernel_size"},
)
