"""The training messages (PROTOCOL.md, "Training"): pydantic models for their types.

The legal ranges of the run's settings belong to the engine (``engine.xo_train``),
which checks them and names the field; these models only insist on JSON types
(an integer is an integer) and refuse unknown keys, so a misspelt ``momentom`` is
never ignored. The page gets the ranges from ``train.ready``'s ``meta.ranges``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from ...core.limits import LIMITS
from ...core.models import Number, Params, inconsistent, whole

Int = Annotated[int, Field(strict=True)]
Real = Annotated[float, Field(strict=True, allow_inf_nan=False)]
MAX_STEP_BATCHES = 1000
MAX_SPEED = 10_000  # batches a second while playing; 0 means as fast as the machine goes
MAX_WAITING = 64  # training requests queued for one page
# Batches the queued train.step requests of one page may add up to: about a minute of training at the
# largest setting, where 64 steps of 1000 would be a quarter of an hour of a core.
MAX_QUEUED_BATCHES = 2000


class VariationsParams(Params):
    shift: Int | None = None
    scale: Real | bool | None = None
    rotation: Real | None = None
    thickness: Int | None = None
    noise: Real | None = None
    distorted: bool | None = None


class TrainConfigParams(Params):
    size: Int | None = None
    filters: Int | None = None
    kernel: Int | None = None
    pool: Int | None = None
    init: Literal["hand", "random"] | None = None
    lr: Real | None = None
    momentum: Real | None = None
    batch: Int | None = None
    seed: Int | None = None
    n_train: Int | None = None
    n_test: Int | None = None
    variations: VariationsParams | None = None

    def given(self) -> dict:
        """The fields the page set (the engine fills in the rest with its defaults)."""
        out = self.model_dump(exclude_none=True, exclude={"variations"})
        if self.variations is not None:
            out["variations"] = self.variations.model_dump(exclude_none=True)
        return out


class TrainStartParams(Params):
    config: TrainConfigParams = Field(
        default_factory=TrainConfigParams, description="the run's settings; omitted ones take defaults"
    )


class NoParams(Params):
    pass


class TrainStepParams(Params):
    batches: whole(1, MAX_STEP_BATCHES) = 1


class TrainSetParams(Params):
    lr: Real | None = None
    momentum: Real | None = None
    batch: Int | None = None
    speed: whole(0, MAX_SPEED) | None = Field(
        None, description="batches a second while playing; 0 = as fast as possible"
    )
    sample: whole(0, 2**31 - 1) | None = Field(None, description="index of the test example shown in snapshots")


class Grid(Params):
    height: whole(1, LIMITS.size)
    width: whole(1, LIMITS.size)
    values: list[Number] = Field(max_length=LIMITS.size**2, description="height·width numbers, row by row")

    @model_validator(mode="after")
    def _count(self):
        if len(self.values) != self.height * self.width:
            raise inconsistent(
                "grid.values",
                f"grid.values must hold {self.height * self.width} numbers "
                f"(height × width = {self.height} × {self.width}), got {len(self.values)}",
            )
        return self


class TrainClassifyParams(Params):
    grid: Grid = Field(description="{height, width, values}: the drawn grid, the run's size on both sides")


# The answers' frame types.
READY, SNAPSHOT, MAPS = "train.ready", "train.snapshot", "train.maps"
# Carried out in order, never superseded (the session hands them to the page's training desk).
IN_ORDER = {
    "train.start": TrainStartParams,
    "train.play": NoParams,
    "train.pause": NoParams,
    "train.step": TrainStepParams,
    "train.reset": NoParams,
    "train.set": TrainSetParams,
}
TRAINING_REQUESTS = {**IN_ORDER, "train.classify": TrainClassifyParams}
