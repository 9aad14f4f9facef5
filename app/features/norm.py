"""norm.run (PROTOCOL.md, "norm.run"): local contrast normalization or batch norm, every step sent back.

The input is either a grid of values, a batch of N maps of C channels, or a
seeded ``example`` batch whose channels sit at different offsets and scales
(made by engine.norm_steps.example_batch, so the page computes nothing). The
settings of one mode are refused in the other, so a misplaced ``gamma`` never
goes unnoticed. The engine checks the ranges again; these models name the field.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine.errors import ArgumentError
from engine.norm_steps import batch_norm_steps, channel_stats, example_batch, lcn_steps

from ..core.errors import Problem
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.limits import LIMITS
from ..core.models import Channels, Number, Params, Seed, Size, inconsistent, real, whole

MAX_BATCH = 16
MAX_NORM_VALUES = LIMITS.channels * LIMITS.size**2  # one full-size input's worth, however it is split into a batch
MAX_WINDOW = 15
LCN_FIELDS = ("size", "sigma", "c")
BN_FIELDS = ("gamma", "beta", "eps")


class NormGrid(Params):
    batch: whole(1, MAX_BATCH) = 1
    channels: Channels
    height: Size
    width: Size
    values: list[Number] = Field(max_length=MAX_NORM_VALUES, description="N·C·H·W numbers in (N, C, H, W) order")

    def count(self) -> int:
        return self.batch * self.channels * self.height * self.width


class NormExample(Params):
    """A seeded batch (engine.norm_steps.example_batch): channels at different offsets and scales, one decimal."""

    batch: whole(2, MAX_BATCH) = 4
    channels: Channels = 2
    height: whole(1, 8) = 3
    width: whole(1, 8) = 3
    seed: Seed = 0


class NormRunParams(Params):
    mode: Literal["lcn", "batch"] = "lcn"
    input: NormGrid | None = Field(None, description="{batch, channels, height, width, values}")
    example: NormExample | None = Field(None, description="{batch, channels, height, width, seed}")
    size: whole(1, MAX_WINDOW) = Field(7, description="the window's side, odd")
    sigma: real(0.1, 10) | None = Field(None, description="the Gaussian window's σ; size/4 when left out")
    c: real(1e-6, 10) = Field(0.1, description="the smallest divisor")
    gamma: list[Number] | None = Field(None, max_length=LIMITS.channels, description="one scale per channel")
    beta: list[Number] | None = Field(None, max_length=LIMITS.channels, description="one shift per channel")
    eps: real(1e-12, 1) = 1e-5

    @model_validator(mode="after")
    def _consistent(self):
        if (self.input is None) == (self.example is None):
            raise inconsistent(
                "input",
                "input is required (or example, a seeded batch), but not both: "
                "input is {batch, channels, height, width, values}",
            )
        other = BN_FIELDS if self.mode == "lcn" else LCN_FIELDS
        for name in other:
            if name in self.model_fields_set:
                owner = (
                    'batch norm (mode "batch")' if self.mode == "lcn" else 'local contrast normalization (mode "lcn")'
                )
                raise inconsistent(name, f'{name} is a setting of {owner}; this request\'s mode is "{self.mode}"')
        x = self.input
        if x is not None and len(x.values) != x.count():
            raise inconsistent(
                "input.values",
                f"input.values must hold {x.count()} numbers (batch × channels × height × width = "
                f"{x.batch} × {x.channels} × {x.height} × {x.width}), got {len(x.values)}",
            )
        if self.size % 2 == 0:
            raise inconsistent(
                "size", f"size must be odd (a window centred on each cell): 1, 3, 5, … {MAX_WINDOW}, got {self.size}"
            )
        shape = self.shape()
        if self.mode == "batch":
            if shape[0] * shape[2] * shape[3] < 2:
                raise inconsistent(
                    "input",
                    "input must hold at least 2 values per channel (batch × height × width ≥ 2) "
                    f"for a batch variance, got {shape[0]} × {shape[2]} × {shape[3]}",
                )
            for name in ("gamma", "beta"):
                given = getattr(self, name)
                if given is not None and len(given) != shape[1]:
                    raise inconsistent(
                        name,
                        f"{name} must hold {shape[1]} number{'s' if shape[1] > 1 else ''} "
                        f"(one per channel), got {len(given)}",
                    )
        return self

    def shape(self) -> tuple[int, int, int, int]:
        """(N, C, H, W) of the batch normalised."""
        s = self.input or self.example
        return (s.batch, s.channels, s.height, s.width)


# ---------------------------------------------------------------- the answer's meta


class Summary(BaseModel):
    min: float
    max: float


class LCNMeta(BaseModel):
    mode: Literal["lcn"] = "lcn"
    shape: tuple[int, int, int, int]  # (N, C, H, W)
    size: int
    sigma: float  # the Gaussian's σ used
    c: float
    clamped: int  # cells divided by c, because the local σ was smaller
    cells: int  # N·H·W: one divisor per cell, shared by the channels
    ranges: dict[str, Summary]  # per array: its smallest and largest value (for the colour legends)


class ChannelStats(BaseModel):
    mean: list[float]
    var: list[float]


class BNMeta(BaseModel):
    mode: Literal["batch"] = "batch"
    shape: tuple[int, int, int, int]
    eps: float
    count: int  # m: values per channel, N·H·W
    gamma: list[float]
    beta: list[float]
    stats: dict[str, ChannelStats]  # "input", "xhat", "output": per-channel mean and variance


# ---------------------------------------------------------------- the handler

# The engine names its arguments; the request knows them by these fields.
FIELDS = {"x": "input", "size": "size", "sigma": "sigma", "c": "c", "gamma": "gamma", "beta": "beta", "eps": "eps"}


def _input(p: NormRunParams) -> np.ndarray:
    if p.example is not None:
        e = p.example
        return example_batch(e.batch, e.channels, e.height, e.width, e.seed)  # (N, C, H, W)
    x = p.input
    return np.asarray(x.values, np.float32).reshape(x.batch, x.channels, x.height, x.width)  # (N, C, H, W)


def _refused(exc: ArgumentError) -> Problem:
    return Problem("invalid", FIELDS.get(exc.argument), str(exc))


def _range(a: np.ndarray) -> dict:
    return {"min": float(a.min()), "max": float(a.max())}


@answers("norm.run", "norm.result")
def norm_run(p: NormRunParams) -> Answer:
    x = _input(p)  # (N, C, H, W)
    try:
        if p.mode == "lcn":
            s = lcn_steps(x, p.size, p.sigma, p.c)
        else:
            gamma = None if p.gamma is None else np.asarray(p.gamma, np.float32)  # (C,)
            beta = None if p.beta is None else np.asarray(p.beta, np.float32)  # (C,)
            s = batch_norm_steps(x, gamma, beta, p.eps)
    except ArgumentError as exc:
        raise _refused(exc) from None
    if p.mode == "lcn":
        arrays = {
            "input": x,
            "mean": s.mean,
            "centered": s.centered,
            "sigma": s.sigma,
            "divisor": s.divisor,
            "output": s.output,
            "window": s.window,
        }
        meta = LCNMeta(
            shape=x.shape,
            size=s.size,
            sigma=s.sigma_window,
            c=s.c,
            clamped=s.clamped(),
            cells=x.shape[0] * x.shape[2] * x.shape[3],
            ranges={name: _range(arrays[name]) for name in ("input", "mean", "centered", "sigma", "output")},
        )
    else:
        arrays = {"input": x, "mean": s.mean, "var": s.var, "std": s.std, "xhat": s.xhat, "output": s.output}
        meta = BNMeta(
            shape=x.shape,
            eps=s.eps,
            count=s.count,
            gamma=s.gamma.tolist(),
            beta=s.beta.tolist(),
            stats={name: channel_stats(arrays[name]) for name in ("input", "xhat", "output")},
        )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature("norm", (norm_run,), widgets=(Widget("norm", "Normalization", (*LAYER_CSS, "css/norm.css")),))
