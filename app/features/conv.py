"""conv.run and conv.trace: a 2-D convolution's output, and every step of it, for the playground.

No math here: the output comes from engine.conv (what engine.conv2d does, in its two
steps), the steps from the engine's trace (built from the same index arithmetic), the
sizes, formulas and slider ranges from engine.shapes.

A lecture hall sends conv.run a thousand times a second, mostly small grids at a few
settings: a setting's meta is made once (it depends on the sizes and settings, never on
the values) and :meth:`ConvRunParams.work` tells the dispatcher a request is small.
A large input travels once: the answer names it (``input_ref``) and later requests send
the name instead of the numbers (see :mod:`.held_inputs`).
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine import shapes, trace
from engine.conv import ConvSpec

from ..core import wire
from ..core.errors import show
from ..core.feature import Answer, Feature, Widget, answers
from ..core.limits import LIMITS, MAX_TRACE_STEPS, limits
from ..core.models import (
    HW,
    Dilation,
    InputGrid,
    KernelGrid,
    Number,
    Pad,
    Params,
    Stride,
    check_input,
    count_text,
    inconsistent,
    whole,
)
from .grids import WindowResultMeta, axis_meta, conv_arrays, conv_output, conv_settings, window_output
from .held_inputs import HELD, MIN_VALUES, REF_PATTERN

LIMIT_NUMBERS = limits()  # the engine's limits by name: the same in every answer
# What the padding menu calls each pad_mode.
PAD_MODE_LABELS = {"zeros": "zeros", "reflect": "reflection", "replicate": "copies of the edge"}
_REF = re.compile(REF_PATTERN)


class ConvRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    kernels: KernelGrid = Field(description="{filters, height, width, values}")
    bias: list[Number] | None = Field(None, max_length=LIMITS.filters, description="one number per filter")
    stride: tuple[Stride, Stride] = Field((1, 1), description="[height, width]", json_schema_extra=HW)
    padding: tuple[Pad, Pad, Pad, Pad] = Field(
        (0, 0, 0, 0),
        description="[top, bottom, left, right]",
        json_schema_extra={"parts": ["top", "bottom", "left", "right"]},
    )
    dilation: tuple[Dilation, Dilation] = Field((1, 1), description="[height, width]", json_schema_extra=HW)
    flip: bool = Field(False, strict=True)
    pad_mode: Literal["zeros", "reflect", "replicate"] = "zeros"
    input_ref: str | None = Field(
        None,
        strict=True,
        max_length=64,
        description="the input_ref of an earlier answer, standing for the input's numbers (input.values then [])",
    )

    @model_validator(mode="after")
    def _consistent(self):
        x, k = self.input, self.kernels
        if self.input_ref is None:
            check_input(x)
        elif not _REF.fullmatch(self.input_ref):
            raise inconsistent(
                "input_ref",
                f"input_ref must be the input_ref of an earlier answer (32 hex digits), got {show(self.input_ref)}",
            )
        elif x.values:
            raise inconsistent(
                "input.values",
                f"input.values must be empty ([]) when input_ref names the input, got {count_text(len(x.values))}",
            )
        if k.channels is not None and k.channels != x.channels:
            raise inconsistent(
                "kernels.channels",
                f"kernels.channels must equal the input's channels ({x.channels}), "
                f"got {k.channels}: a filter spans every input channel",
            )
        need = k.filters * x.channels * k.height * k.width
        if len(k.values) != need:
            raise inconsistent(
                "kernels.values",
                f"kernels.values must hold {need} numbers (filters × channels × height × width = "
                f"{k.filters} × {x.channels} × {k.height} × {k.width}), got {len(k.values)}",
            )
        if self.bias is not None and len(self.bias) != k.filters:
            raise inconsistent("bias", f"bias must hold {count_text(k.filters)} (one per filter), got {len(self.bias)}")
        return self

    def work(self) -> int:
        """The engine's multiply-adds for this request (app.core.dispatch answers a small one on the loop)."""
        x, k = self.input, self.kernels
        out = window_output((x.height, x.width), (k.height, k.width), self.stride, self.padding, self.dilation)
        return k.filters * x.channels * k.height * k.width * out.shape[0] * out.shape[1]  # 0 when nothing fits


class ConvTraceParams(ConvRunParams):
    filter: whole(0, LIMITS.filters - 1) = 0
    start: whole(0, 2**31 - 1) = 0
    count: whole(1, MAX_TRACE_STEPS) = 1

    @model_validator(mode="after")
    def _filter_exists(self):
        last = self.kernels.filters - 1
        if self.filter > last:
            there = "there is 1 filter" if last == 0 else f"there are {last + 1} filters"
            raise inconsistent("filter", f"filter must be from 0 to {last} ({there}), got {self.filter}")
        return self


class ParamsMeta(BaseModel):
    weights: int
    bias: int
    total: int
    formula: str


class ConvResultMeta(WindowResultMeta):
    params: ParamsMeta
    limits: dict[str, int]
    input_ref: str | None = None  # the name of a large input the server now holds, for the next requests


class ConvTraceMeta(BaseModel):
    filter: int
    start: int
    count: int
    steps_total: int
    output_shape: tuple[int, int, int]


def conv_meta(p: ConvRunParams) -> wire.Meta:
    """The conv.result meta of a setting: a function of the sizes and settings only, never of the values."""
    x, k = p.input, p.kernels
    return _meta(x.channels, x.height, x.width, k.filters, k.height, k.width, p.stride, p.padding, p.dilation)


# A lecture hall moves a few sliders over a few settings; their metas (ranges, formulas, suggestions:
# most of a small answer's cost) are made once and their JSON written once. Bounded: 512 × ~10 kB.
@functools.lru_cache(maxsize=512)
def _meta(c, h, w, filters, kh, kw, stride, padding, dilation) -> wire.Meta:
    out = window_output((h, w), (kh, kw), stride, padding, dilation)
    layer = {
        "type": "conv",
        "filters": filters,
        "kernel": (kh, kw),
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }
    row = shapes.layer_table((c, h, w), [layer])[0]
    top, _, left, _ = padding
    # The ranges assume symmetric padding per axis, as the sliders set it: the top (left) side stands for both.
    ranges = {
        name: shapes.conv_ranges(ax.n, ax.k, ax.s, before, ax.d, LIMITS)
        for name, ax, before in (("height", out.rows, top), ("width", out.cols, left))
    }
    # What ConvResultMeta(...).model_dump() gives (the tests check answers against that model), in its field
    # order, so the JSON is the same; built directly rather than validating what the engine just computed.
    return wire.Meta(
        output_shape=(filters, *out.shape),
        fits=out.whole,
        problem=out.problem(),
        suggestions=out.suggestions(),
        axes={"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
        ranges=ranges,
        params={
            "weights": shapes.conv_params((kh, kw), c, filters, bias=False),
            "bias": filters,
            "total": row.params,
            "formula": row.formula,
        },
        limits=LIMIT_NUMBERS,
        input_ref=None,
    )


@answers("conv.run", "conv.result")
def conv_run(p: ConvRunParams) -> Answer:
    conv_output(p)  # refuses a kernel with no position at all (does_not_fit) before the engine sees it
    # engine.conv2d's two steps, so the padded input its forward pass made is sent rather than made again.
    spec = ConvSpec.make(p.stride, p.padding, p.dilation, p.pad_mode, p.flip)
    x, w, b = spec.check(*conv_arrays(p))  # (1, C, H, W), (F, C, KH, KW), (F,)
    y, saved = spec.forward(x, w, b)  # (1, F, OH, OW)
    weights = spec.kernel_weights(w)  # (F, C, KH, KW) as multiplied: turned 180° when flip
    arrays = {"output": y[0], "padded": saved.xp[0], "weights": weights, "bias": b}  # padded: (C, Hp, Wp)
    meta = conv_meta(p)
    # A large input is held (checked, never written to again) and named, so the page's next
    # requests need not carry its numbers; a small one is cheaper to send each time.
    ref = p.input_ref or (HELD.hold(x) if x.size >= MIN_VALUES else None)
    return Answer(wire.Meta({**meta, "input_ref": ref}) if ref else meta, arrays)


TRACE_ARRAYS = ("out_index", "origin", "window", "is_pad", "products", "channel_sums", "running_sum", "bias", "result")


@answers("conv.trace", "conv.trace")
def conv_trace(p: ConvTraceParams) -> Answer:
    out = conv_output(p)
    x, w, b = conv_arrays(p)
    f = p.filter
    # Only the one filter, and only the steps asked for: a 256×256 trace page costs what it shows.
    t = trace.conv2d_trace(x, w[f : f + 1], b[f : f + 1], **conv_settings(p), start=p.start, count=p.count)
    arrays = {name: t.arrays()[name] for name in TRACE_ARRAYS}
    arrays["out_index"] = arrays["out_index"].copy()  # (S, 3)
    arrays["out_index"][:, 0] = f  # the trace saw filter f as its only filter, 0
    meta = ConvTraceMeta(
        filter=f,
        start=p.start,
        count=len(t.result),
        steps_total=int(np.prod(t.output_shape)),
        output_shape=(p.kernels.filters, *out.shape),
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "conv",
    (conv_run, conv_trace),
    widgets=(Widget("playground", "Convolution playground", ("css/playground.css",)),),
    fields={"x": "input", "w": "kernels", "b": "bias"},
)
