"""pipeline.run (PROTOCOL.md, "pipeline.run"): a stack of conv, activation and pool stages on one image.

Each stage is checked by its own model, one at a time, so an error names the
stage by its place in the list and in words: field ``stages[2].stride``,
message "stage 3 (pool): stride must be from 1 to 8, got 12 for the width".
(Left to pydantic, a list of tagged stages reports ``stages.pool.stride``: the
position lost, the tag in its place, and no range in the sentence.)

Then the channels are followed from stage to stage: each conv's kernels must
span the channels of the map it gets (``invalid`` here). Whether each window
fits the map it gets, and whether the whole stack is small enough to compute,
is decided by the handler below from engine.shapes (``does_not_fit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from engine import conv2d, shapes
from engine.activations import ACTIVATIONS, activation
from engine.errors import ArgumentError
from engine.pool import avg_pool2d, max_pool2d

from ..core.errors import Problem, show
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.limits import LIMITS
from ..core.models import (
    HW,
    InputGrid,
    KernelGrid,
    Number,
    Pad,
    Params,
    PoolSize,
    Stride,
    check_input,
    count_text,
    inconsistent,
    number_text,
    tagged,
)
from .grids import axis_meta, input_array

MAX_STAGES = 12
# A pipeline may cost no more than the largest single conv.run (a 3×256×256 image through
# sixteen 11×11 filters): multiply-adds summed over its stages.
MAX_WORK = LIMITS.size**2 * LIMITS.channels * LIMITS.filters * LIMITS.kernel**2
# Every map travels back; together no more numbers than sixteen full-size maps (a 4 MB frame).
MAX_MAP_VALUES = LIMITS.filters * LIMITS.size**2
SIDES = {"parts": ["top", "bottom", "left", "right"]}


class ConvStage(Params):
    kind: Literal["conv"]
    kernels: KernelGrid = Field(description="{filters, height, width, values}")
    bias: list[Number] | None = Field(None, max_length=LIMITS.filters, description="one number per filter")
    stride: tuple[Stride, Stride] = Field((1, 1), description="[height, width]", json_schema_extra=HW)
    padding: tuple[Pad, Pad, Pad, Pad] = Field(
        (0, 0, 0, 0), description="[top, bottom, left, right]", json_schema_extra=SIDES
    )

    def output(self, size: tuple[int, int]) -> shapes.Output2D:
        return shapes.window_output(size, (self.kernels.height, self.kernels.width), self.stride, self.padding)

    def layer(self) -> dict:
        """This stage as a row of engine.shapes.layer_table."""
        k = self.kernels
        return {
            "type": "conv",
            "filters": k.filters,
            "kernel": (k.height, k.width),
            "stride": self.stride,
            "padding": self.padding,
        }


class ActStage(Params):
    kind: Literal["act"]
    name: Literal[tuple(ACTIVATIONS)]
    param: Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="the leaky_relu slope (0 to 1) or the elu alpha (0 to 10)"
    )

    @model_validator(mode="after")
    def _slope(self):
        if self.name == "leaky_relu" and self.param is not None and self.param > 1:
            raise inconsistent(
                "param", f"param (the leaky_relu slope) must be from 0 to 1, got {number_text(self.param)}"
            )
        return self

    def layer(self) -> dict:
        return {"type": "activation"}


class PoolStage(Params):
    kind: Literal["pool"]
    mode: Literal["max", "avg"] = "max"
    kernel: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)
    stride: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)

    def output(self, size: tuple[int, int]) -> shapes.Output2D:
        return shapes.window_output(size, self.kernel, self.stride, what="window")

    def layer(self) -> dict:
        return {"type": f"{self.mode}pool", "kernel": self.kernel, "stride": self.stride}


STAGES: dict[str, type[Params]] = {"conv": ConvStage, "act": ActStage, "pool": PoolStage}
Stage = ConvStage | ActStage | PoolStage
KINDS = "'conv', 'act' or 'pool'"  # for sentences


def _stage(i: int, raw) -> Params:
    """Stage ``i`` checked by its kind's model; any error re-raised naming ``stages[i]``."""
    example = '{"kind": "act", "name": "relu"}'
    return tagged(
        raw,
        STAGES,
        "kind",
        f"stages[{i}]",
        f"stage {i + 1}",
        example=example,
        choices=KINDS,
        noun="stage",
        required=KINDS,
    )


class PipelineRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    stages: list[Stage] = Field(
        description=f"a list of 1 to {MAX_STAGES} stages, each an object with a kind: conv, act or pool"
    )

    @field_validator("stages", mode="before")
    @classmethod
    def _each_stage(cls, raw):
        if not isinstance(raw, list):
            raise inconsistent("stages", f"stages must be a list of 1 to {MAX_STAGES} stages, got {show(raw)}")
        if not 1 <= len(raw) <= MAX_STAGES:
            raise inconsistent("stages", f"stages must hold 1 to {MAX_STAGES} stages, got {len(raw)}")
        return [_stage(i, s) for i, s in enumerate(raw)]

    @model_validator(mode="after")
    def _channels_flow(self):
        """Each conv's kernels span the channels coming in: the input's, or the last conv's filters."""
        check_input(self.input)
        c, source = self.input.channels, "the input"
        for i, s in enumerate(self.stages):
            if not isinstance(s, ConvStage):
                continue
            k, at, place = s.kernels, f"stages[{i}]", f"stage {i + 1} (conv)"
            if k.channels is not None and k.channels != c:
                raise inconsistent(
                    f"{at}.kernels.channels",
                    f"{place}: kernels.channels must equal the channels coming in, "
                    f"{c} (from {source}), got {k.channels}: a filter spans every channel of its input",
                )
            need = k.filters * c * k.height * k.width
            if len(k.values) != need:
                raise inconsistent(
                    f"{at}.kernels.values",
                    f"{place}: kernels.values must hold {need} numbers (filters × channels × "
                    f"height × width = {k.filters} × {c} × {k.height} × {k.width}, the channels coming in "
                    f"from {source}), got {len(k.values)}",
                )
            if s.bias is not None and len(s.bias) != k.filters:
                raise inconsistent(
                    f"{at}.bias", f"{place}: bias must hold {count_text(k.filters)} (one per filter), got {len(s.bias)}"
                )
            c, source = k.filters, f"stage {i + 1}'s {k.filters} filter" + ("s" if k.filters > 1 else "")
        return self


# ---------------------------------------------------------------- the answer's meta


class StageMeta(BaseModel):
    kind: Literal["conv", "act", "pool"]
    label: str  # "conv 3×3, 3 filters, stride 1"
    op: str  # the short name on the arrow into this stage: "conv", "ReLU", "max pool"
    shape: tuple[int, int, int]  # (C, H, W) of this stage's output
    params: int  # learned numbers, engine.shapes.layer_table (conv: (KH·KW·C + 1)·F; act, pool: 0)
    params_formula: str  # "(3×3×1 + 1)×3", "" when 0
    formula: dict[str, dict] | None  # per axis, app.grids.axis_meta (conv and pool); None for act
    fits: bool  # both axes whole (act: always)
    problem: str | None  # the engine's sentence when the window does not fit exactly (the output is floored)
    ranges: dict[str, dict[str, dict]] | None  # per axis: engine.shapes.conv_ranges (conv) or pool_ranges (pool)
    param: float | None = None  # act: the activation's parameter used (the engine's default when none was sent)


class PipelineResultMeta(BaseModel):
    input_shape: tuple[int, int, int]
    stages: list[StageMeta]
    total_params: int
    work: int  # multiply-adds summed over the stages, at most MAX_WORK


# ---------------------------------------------------------------- the handler

ACT_LABELS = {
    "relu": "ReLU",
    "leaky_relu": "leaky ReLU",
    "abs": "|x|",
    "sigmoid": "sigmoid",
    "tanh": "tanh",
    "elu": "ELU",
    "selu": "SELU",
}
PARAM_NAMES = {"leaky_relu": "slope", "elu": "alpha"}


@dataclass(frozen=True)
class Planned:
    """One stage as engine.shapes sizes it, before anything is computed."""

    stage: Stage
    shape_in: tuple[int, int, int]  # (C, H, W)
    shape: tuple[int, int, int]  # (C, H, W) out
    out: shapes.Output2D | None  # the window's sizing (conv, pool); None for act
    work: int  # multiply-adds (act: one evaluation per value)


def _pair(values) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]}×{values[1]}"


def _label(stage: Stage, param: float | None) -> tuple[str, str]:
    """(card label, short name for the arrow), e.g. ("conv 3×3, 3 filters, stride 1", "conv")."""
    if isinstance(stage, ConvStage):
        k = stage.kernels
        text = (
            f"conv {k.height}×{k.width}, {k.filters} filter{'s' if k.filters > 1 else ''}, stride {_pair(stage.stride)}"
        )
        t, b, left, r = stage.padding
        if any(stage.padding):
            text += f", padding {t}" if t == b == left == r else f", padding {t},{b},{left},{r}"
        return text, "conv"
    if isinstance(stage, ActStage):
        name = ACT_LABELS[stage.name]
        return (f"{name} ({PARAM_NAMES[stage.name]} {param:g})" if param is not None else name), name
    mode = "max" if stage.mode == "max" else "average"
    return f"{mode} pool {stage.kernel[0]}×{stage.kernel[1]}, stride {_pair(stage.stride)}", f"{mode} pool"


def plan(p: PipelineRunParams) -> list[Planned]:
    """Every stage's shapes from engine.shapes; refuses a window that does not fit, and too much work."""
    c, h, w = p.input.channels, p.input.height, p.input.width
    steps: list[Planned] = []
    for i, stage in enumerate(p.stages):
        out, shape_in = None, (c, h, w)
        if isinstance(stage, ActStage):
            work = c * h * w
        else:
            out = stage.output((h, w))
            if not out.fits_at_all:
                field = "kernels" if isinstance(stage, ConvStage) else "kernel"
                raise Problem("does_not_fit", f"stages[{i}].{field}", f"stage {i + 1} ({stage.kind}): {out.problem()}")
            h, w = out.shape
            if isinstance(stage, ConvStage):
                k = stage.kernels
                work = k.filters * h * w * c * k.height * k.width
                c = k.filters
            else:
                work = c * h * w * stage.kernel[0] * stage.kernel[1]
        steps.append(Planned(stage, shape_in, (c, h, w), out, work))
    _bound(p, steps)
    return steps


def _bound(p: PipelineRunParams, steps: list[Planned]) -> None:
    work = sum(s.work for s in steps)
    if work > MAX_WORK:
        raise Problem(
            "invalid",
            "stages",
            f"stages: this pipeline needs {work:,} multiply-adds, and the limit is {MAX_WORK:,} "
            "(so that one page cannot stall the server); use fewer or smaller filters, a smaller input "
            "or a larger stride",
        )
    values = p.input.channels * p.input.height * p.input.width + sum(int(np.prod(s.shape)) for s in steps)
    if values > MAX_MAP_VALUES:
        raise Problem(
            "invalid",
            "stages",
            f"stages: this pipeline's maps hold {values:,} numbers together, and the limit is "
            f"{MAX_MAP_VALUES:,} (a 4 MB answer); use fewer filters, a smaller input or a larger stride",
        )


def forward(stage: Stage, x: np.ndarray) -> np.ndarray:
    """One engine call: x (1, C, H, W) -> (1, C', H', W')."""
    if isinstance(stage, ConvStage):
        k = stage.kernels
        weights = np.asarray(k.values, np.float32).reshape(k.filters, x.shape[1], k.height, k.width)  # (F, C, KH, KW)
        bias = np.asarray(stage.bias, np.float32) if stage.bias is not None else np.zeros(k.filters, np.float32)  # (F,)
        return conv2d(x, weights, bias, stride=stage.stride, padding=stage.padding)  # (1, F, OH, OW)
    if isinstance(stage, ActStage):
        return activation(stage.name, x, stage.param)  # (1, C, H, W)
    if stage.mode == "max":
        return max_pool2d(x, stage.kernel, stage.stride)[0]  # (1, C, OH, OW)
    return avg_pool2d(x, stage.kernel, stage.stride)  # (1, C, OH, OW)


def _ranges(step: Planned) -> dict | None:
    """The legal range of each setting of this stage, per axis, with the others held (engine.shapes)."""
    out = step.out
    if out is None:
        return None
    if isinstance(step.stage, PoolStage):
        return {
            name: shapes.pool_ranges(ax.n, ax.k, ax.s, LIMITS)
            for name, ax in (("height", out.rows), ("width", out.cols))
        }
    # As conv.result: padding symmetric per axis, as the page's sliders set it; the top (left) side stands for both.
    return {
        name: shapes.conv_ranges(ax.n, ax.k, ax.s, ax.pad_before, ax.d, LIMITS)
        for name, ax in (("height", out.rows), ("width", out.cols))
    }


def _meta(p: PipelineRunParams, steps: list[Planned]) -> dict:
    rows = shapes.layer_table((p.input.channels, p.input.height, p.input.width), [s.stage.layer() for s in steps])
    stages = []
    for step, row in zip(steps, rows):
        stage = step.stage
        param = None
        if isinstance(stage, ActStage) and ACTIVATIONS[stage.name][2] is not None:
            param = ACTIVATIONS[stage.name][2] if stage.param is None else stage.param
        label, op = _label(stage, param)
        out = step.out
        stages.append(
            StageMeta(
                kind=stage.kind,
                label=label,
                op=op,
                shape=step.shape,
                params=row.params,
                params_formula=row.formula,
                formula=None if out is None else {"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
                fits=True if out is None else out.whole,
                problem=None if out is None else out.problem(),
                ranges=_ranges(step),
                param=param,
            )
        )
    return PipelineResultMeta(
        input_shape=(p.input.channels, p.input.height, p.input.width),
        stages=stages,
        total_params=sum(row.params for row in rows),
        work=sum(s.work for s in steps),
    ).model_dump()


@answers("pipeline.run", "pipeline.result")
def pipeline_run(p: PipelineRunParams) -> Answer:
    steps = plan(p)
    x = input_array(p.input)  # (1, C, H, W)
    maps = {"map0": x[0]}  # (C, H, W)
    for i, step in enumerate(steps):
        try:
            x = forward(step.stage, x)  # (1, C', H', W')
        except ArgumentError as exc:  # the models check what the engine checks; if it still refuses, name the stage
            raise Problem("invalid", f"stages[{i}]", f"stage {i + 1} ({step.stage.kind}): {exc}") from None
        maps[f"map{i + 1}"] = x[0]  # (C', H', W')
    return Answer(_meta(p, steps), maps)


FEATURE = Feature(
    "pipeline", (pipeline_run,), widgets=(Widget("pipeline", "A whole layer", (*LAYER_CSS, "css/pipeline.css")),)
)
