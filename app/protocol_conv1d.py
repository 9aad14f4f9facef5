"""conv1d.run (PROTOCOL.md, "conv1d.run"): a 1-D signal and kernel, the sliding dot product step by step.

app.protocol imports this module at its end, and this module adds
``conv1d.run`` to its REQUESTS and ANSWERS tables (as app.protocol_pipeline does).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from .protocol import ANSWERS, REQUESTS, Params, inconsistent, whole

MAX_SIGNAL = 64
MAX_KERNEL = 15
MAX_STRIDE = 8
MAX_PADDING = 10
MAX_ABS = 1000  # a value a student types into a cell; larger would not fit the cell on a projector

Value = Annotated[float, Field(strict=True, ge=-MAX_ABS, le=MAX_ABS, allow_inf_nan=False)]


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
    limits: dict[str, int]


def limits() -> dict[str, int]:
    """The bounds above, for the widget's controls (so it keeps none of its own)."""
    return {"signal": MAX_SIGNAL, "kernel": MAX_KERNEL, "stride": MAX_STRIDE, "padding": MAX_PADDING, "value": MAX_ABS}


REQUESTS["conv1d.run"] = Conv1dRunParams
ANSWERS["conv1d.run"] = "conv1d.result"
