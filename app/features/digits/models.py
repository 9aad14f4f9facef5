"""The digits messages (PROTOCOL.md, "Training (digits)"): pydantic models for their types.

The legal ranges of a run's settings belong to the engine (``engine.digits``),
which checks them and names the field; these models insist on JSON types and
refuse unknown keys. The page gets the ranges from ``digits.ready``'s ``meta.ranges``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ...core.models import Number, Params, whole
from ..training.models import MAX_SPEED, MAX_STEP_BATCHES, NoParams

Int = Annotated[int, Field(strict=True)]
Real = Annotated[float, Field(strict=True, allow_inf_nan=False)]
SIDE = 28  # the digits' side: a drawing is 28 × 28
MAX_CHANGES = 200  # live changes a resumed run may replay


class DigitsConfigParams(Params):
    optimizer: Literal["sgd", "adam"] | None = None
    lr: Real | None = None
    momentum: Real | None = None
    batch: Int | None = None
    seed: Int | None = None
    shift: Int | None = None
    decay: Real | None = None

    def given(self) -> dict:
        return self.model_dump(exclude_none=True)


class LiveSettings(Params):
    lr: Real | None = None
    momentum: Real | None = None
    batch: Int | None = None


class Change(Params):
    at: whole(0, 10**6) = Field(description="the step the change came before")
    set: LiveSettings


class Resume(Params):
    step: whole(0, 10**6) = Field(description="the step the run had reached")
    changes: list[Change] = Field(default_factory=list, max_length=MAX_CHANGES)


class DigitsStartParams(Params):
    config: DigitsConfigParams = Field(
        default_factory=DigitsConfigParams, description="the run's settings; omitted ones take defaults"
    )
    resume: Resume | None = Field(None, description="bring a run back: replay its live changes up to its step")


class DigitsStepParams(Params):
    batches: whole(1, MAX_STEP_BATCHES) = 1


class DigitsSetParams(LiveSettings):
    speed: whole(0, MAX_SPEED) | None = Field(
        None, description="batches a second while playing; 0 = as fast as possible"
    )
    sample: whole(0, 999) | None = Field(None, description="index of the test digit whose maps the snapshots carry")


class DigitsViewParams(Params):
    at: whole(-1, 10**6) = Field(description="a step the timeline kept, or −1 for the run as it is now")


class DigitsClassifyParams(Params):
    values: list[Number] = Field(min_length=SIDE * SIDE, max_length=SIDE * SIDE, description="28·28 ink values, 0 to 1")


READY, SNAPSHOT, MAPS = "digits.ready", "digits.snapshot", "digits.maps"
IN_ORDER = {
    "digits.start": DigitsStartParams,
    "digits.play": NoParams,
    "digits.pause": NoParams,
    "digits.step": DigitsStepParams,
    "digits.reset": NoParams,
    "digits.set": DigitsSetParams,
    "digits.view": DigitsViewParams,
}
REQUESTS = {**IN_ORDER, "digits.classify": DigitsClassifyParams}
