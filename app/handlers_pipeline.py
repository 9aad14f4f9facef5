"""pipeline.run: a stack of conv, activation and pool stages on one image, every map sent back.

No math here: each stage is one engine call (engine.conv2d, engine.activations,
engine.pool), and sizes, formulas, ranges and parameter counts come from
engine.shapes. What this module adds is the walk from stage to stage: the
shape each stage gets, a refusal naming the stage whose window does not fit,
and a bound on the whole stack's work so one page cannot stall the server.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import conv2d, shapes
from engine.activations import ACTIVATIONS, activation
from engine.pool import avg_pool2d, max_pool2d

from . import wire
from .grids import axis_meta, input_array
from .protocol import ANSWERS, LIMITS, Problem
from .protocol_pipeline import (
    MAX_MAP_VALUES,
    MAX_WORK,
    ActStage,
    ConvStage,
    PipelineResultMeta,
    PipelineRunParams,
    PoolStage,
    Stage,
    StageMeta,
)

ACT_LABELS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "abs": "|x|", "sigmoid": "sigmoid", "tanh": "tanh", "elu": "ELU", "selu": "SELU"}
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
        text = f"conv {k.height}×{k.width}, {k.filters} filter{'s' if k.filters > 1 else ''}, stride {_pair(stage.stride)}"
        t, b, l, r = stage.padding
        if any(stage.padding):
            text += f", padding {t}" if t == b == l == r else f", padding {t},{b},{l},{r}"
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
        raise Problem("invalid", "stages", f"stages: this pipeline needs {work:,} multiply-adds, and the limit is {MAX_WORK:,} "
                      "(so that one page cannot stall the server); use fewer or smaller filters, a smaller input or a larger stride")
    values = p.input.channels * p.input.height * p.input.width + sum(int(np.prod(s.shape)) for s in steps)
    if values > MAX_MAP_VALUES:
        raise Problem("invalid", "stages", f"stages: this pipeline's maps hold {values:,} numbers together, and the limit is "
                      f"{MAX_MAP_VALUES:,} (a 4 MB answer); use fewer filters, a smaller input or a larger stride")


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
        return {name: shapes.pool_ranges(ax.n, ax.k, ax.s, LIMITS) for name, ax in (("height", out.rows), ("width", out.cols))}
    # As conv.result: padding symmetric per axis, as the page's sliders set it; the top (left) side stands for both.
    return {name: shapes.conv_ranges(ax.n, ax.k, ax.s, ax.pad_before, ax.d, LIMITS) for name, ax in (("height", out.rows), ("width", out.cols))}


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
        stages.append(StageMeta(
            kind=stage.kind, label=label, op=op, shape=step.shape, params=row.params, params_formula=row.formula,
            formula=None if out is None else {"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
            fits=True if out is None else out.whole, problem=None if out is None else out.problem(),
            ranges=_ranges(step), param=param,
        ))
    return PipelineResultMeta(
        input_shape=(p.input.channels, p.input.height, p.input.width), stages=stages,
        total_params=sum(row.params for row in rows), work=sum(s.work for s in steps),
    ).model_dump()


def pipeline_run(id: int, p: PipelineRunParams) -> bytes:
    steps = plan(p)
    x = input_array(p.input)  # (1, C, H, W)
    maps = {"map0": x[0]}  # (C, H, W)
    for i, step in enumerate(steps):
        try:
            x = forward(step.stage, x)  # (1, C', H', W')
        except ValueError as exc:  # the models check what the engine checks; if it still refuses, name the stage
            raise Problem("invalid", f"stages[{i}]", f"stage {i + 1} ({step.stage.kind}): {exc}") from None
        maps[f"map{i + 1}"] = x[0]  # (C', H', W')
    return wire.encode(id, ANSWERS["pipeline.run"], _meta(p, steps), maps)
