"""pipeline.run (PROTOCOL.md, "pipeline.run"): a stack of conv, activation and pool stages on one image.

Each stage is checked by its own model, one at a time, so an error names the
stage by its place in the list and in words: field ``stages[2].stride``,
message "stage 3 (pool): stride must be from 1 to 8, got 12 for the width".
(Left to pydantic, a list of tagged stages reports ``stages.pool.stride``: the
position lost, the tag in its place, and no range in the sentence.)

Then the channels are followed from stage to stage: each conv's kernels must
span the channels of the map it gets (``invalid`` here). Whether each window
fits the map it gets, and whether the whole stack is small enough to compute,
is decided by app.handlers_pipeline from engine.shapes (``does_not_fit``).

app.protocol imports this module at its end, and this module adds
``pipeline.run`` to its REQUESTS and ANSWERS tables; so the tables are complete
whichever of the two modules is imported first.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from engine import shapes
from engine.activations import ACTIVATIONS

from .protocol import (
    ANSWERS,
    HW,
    LIMITS,
    REQUESTS,
    InputGrid,
    KernelGrid,
    Number,
    Pad,
    Params,
    PoolSize,
    Stride,
    _check_input,
    _num_text,
    _numbers,
    _show,
    explain,
    inconsistent,
)

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
    padding: tuple[Pad, Pad, Pad, Pad] = Field((0, 0, 0, 0), description="[top, bottom, left, right]", json_schema_extra=SIDES)

    def output(self, size: tuple[int, int]) -> shapes.Output2D:
        return shapes.window_output(size, (self.kernels.height, self.kernels.width), self.stride, self.padding)

    def layer(self) -> dict:
        """This stage as a row of engine.shapes.layer_table."""
        k = self.kernels
        return {"type": "conv", "filters": k.filters, "kernel": (k.height, k.width), "stride": self.stride, "padding": self.padding}


class ActStage(Params):
    kind: Literal["act"]
    name: Literal[tuple(ACTIVATIONS)]
    param: Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="the leaky_relu slope (0 to 1) or the elu alpha (0 to 10)")

    @model_validator(mode="after")
    def _slope(self):
        if self.name == "leaky_relu" and self.param is not None and self.param > 1:
            raise inconsistent("param", f"param (the leaky_relu slope) must be from 0 to 1, got {_num_text(self.param)}")
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
    at, place = f"stages[{i}]", f"stage {i + 1}"
    if not isinstance(raw, dict):
        raise inconsistent(at, f"{place}: {at} must be an object such as {{\"kind\": \"act\", \"name\": \"relu\"}}, got {_show(raw)}")
    kind = raw.get("kind")
    if kind is None:
        raise inconsistent(f"{at}.kind", f"{place}: kind is required: {KINDS}")
    if not isinstance(kind, str) or kind not in STAGES:
        raise inconsistent(f"{at}.kind", f"{place}: kind must be {KINDS}, got {_show(kind)}")
    model = STAGES[kind]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        field, message = explain(exc, model, f"a {kind} stage")
        raise inconsistent(f"{at}.{field}", f"{place} ({kind}): {message}") from None


class PipelineRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    stages: list[Stage] = Field(description=f"a list of 1 to {MAX_STAGES} stages, each an object with a kind: conv, act or pool")

    @field_validator("stages", mode="before")
    @classmethod
    def _each_stage(cls, raw):
        if not isinstance(raw, list):
            raise inconsistent("stages", f"stages must be a list of 1 to {MAX_STAGES} stages, got {_show(raw)}")
        if not 1 <= len(raw) <= MAX_STAGES:
            raise inconsistent("stages", f"stages must hold 1 to {MAX_STAGES} stages, got {len(raw)}")
        return [_stage(i, s) for i, s in enumerate(raw)]

    @model_validator(mode="after")
    def _channels_flow(self):
        """Each conv's kernels span the channels coming in: the input's, or the last conv's filters."""
        _check_input(self.input)
        c, source = self.input.channels, "the input"
        for i, s in enumerate(self.stages):
            if not isinstance(s, ConvStage):
                continue
            k, at, place = s.kernels, f"stages[{i}]", f"stage {i + 1} (conv)"
            if k.channels is not None and k.channels != c:
                raise inconsistent(f"{at}.kernels.channels", f"{place}: kernels.channels must equal the channels coming in, "
                                   f"{c} (from {source}), got {k.channels}: a filter spans every channel of its input")
            need = k.filters * c * k.height * k.width
            if len(k.values) != need:
                raise inconsistent(f"{at}.kernels.values", f"{place}: kernels.values must hold {need} numbers (filters × channels × "
                                   f"height × width = {k.filters} × {c} × {k.height} × {k.width}, the channels coming in "
                                   f"from {source}), got {len(k.values)}")
            if s.bias is not None and len(s.bias) != k.filters:
                raise inconsistent(f"{at}.bias", f"{place}: bias must hold {_numbers(k.filters)} (one per filter), got {len(s.bias)}")
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


REQUESTS["pipeline.run"] = PipelineRunParams
ANSWERS["pipeline.run"] = "pipeline.result"
