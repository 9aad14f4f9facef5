"""The pieces every feature's request models are built from, and the message envelope.

Each bound is a ``Field`` constraint taken from :class:`engine.shapes.Limits` (or a
cap of :mod:`app.core.limits`), so the models, the sliders (which read the same
bounds from the models' schemas) and the engine agree.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from .errors import explain, show
from .limits import LIMITS, MAX_ID, MAX_VALUE


def whole(lo: int, hi: int, **extra) -> Any:
    """A JSON integer (not 2.0, "2" or true) from ``lo`` to ``hi``."""
    return Annotated[int, Field(strict=True, ge=lo, le=hi, **extra)]


def real(lo: float, hi: float, **extra) -> Any:
    """A finite JSON number from ``lo`` to ``hi`` (an integer is accepted as a number)."""
    return Annotated[float, Field(strict=True, ge=lo, le=hi, allow_inf_nan=False, **extra)]


Number = real(-MAX_VALUE, MAX_VALUE)
Size = whole(1, LIMITS.size)
Channels = whole(1, LIMITS.channels)
KernelSize = whole(1, LIMITS.kernel)
Stride = whole(1, LIMITS.stride)
Pad = whole(0, LIMITS.padding)
Dilation = whole(1, LIMITS.dilation)
Seed = whole(0, 2**31 - 1)
HW = {"parts": ["height", "width"]}  # names of a pair's entries, for messages


def inconsistent(field: str, message: str) -> PydanticCustomError:
    """A cross-field error that keeps its field path (a model validator's own loc is empty)."""
    return PydanticCustomError("inconsistent", "{message}", {"field": field, "message": message})


def count_text(n: int) -> str:
    return "1 number" if n == 1 else f"{n} numbers"


class Params(BaseModel):
    # Unknown keys are refused: a misspelt "strides" would otherwise be ignored without a word.
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputGrid(Params):
    channels: Channels
    height: Size
    width: Size
    values: list[Number] = Field(
        max_length=LIMITS.channels * LIMITS.size**2, description="C·H·W numbers in (C, H, W) order"
    )


def check_input(x: InputGrid) -> None:
    got = len(x.values)
    if got != x.channels * x.height * x.width:
        raise inconsistent(
            "input.values",
            f"input.values must hold {x.channels * x.height * x.width} numbers "
            f"(channels × height × width = {x.channels} × {x.height} × {x.width}), got {got}",
        )


class KernelGrid(Params):
    filters: whole(1, LIMITS.filters)
    channels: Channels | None = Field(None, description="optional; must equal the input's channels")
    height: KernelSize
    width: KernelSize
    values: list[Number] = Field(
        max_length=LIMITS.filters * LIMITS.channels * LIMITS.kernel**2,
        description="F·C·KH·KW numbers in (F, C, KH, KW) order",
    )


PoolSize = whole(1, LIMITS.stride)  # pooling windows share the stride's cap, 8
Bounded = Annotated[float, Field(strict=True, ge=-1000, le=1000, allow_inf_nan=False)]  # the curve's x range


class Upstream(Params):
    values: list[Number] = Field(
        max_length=LIMITS.filters * LIMITS.size**2, description="dL/dY, one number per output cell"
    )


def check_upstream(u: Upstream, shape: tuple[int, int, int], names: str) -> None:
    """``upstream.values`` must hold one number per output cell; ``shape`` comes from engine.shapes."""
    need = shape[0] * shape[1] * shape[2]
    if len(u.values) != need:
        sizes = " × ".join(map(str, shape))
        raise inconsistent(
            "upstream.values",
            f"upstream.values must hold {need} numbers, one per output cell ({names} = {sizes}), got {len(u.values)}",
        )


def number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


class Request(BaseModel):
    """The envelope of every browser message; ``params`` is checked by the model of its ``type``."""

    id: Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
    type: Annotated[str, Field(strict=True, max_length=64)]
    params: dict = Field(default_factory=dict)
    # Which widget sent it: requests supersede only others of the same type *and* lane,
    # so two widgets on one page (a lesson) never cancel each other's work.
    lane: Annotated[str, Field(strict=True, pattern=r"^[a-z0-9_.-]{1,32}$")] | None = None


def tagged(
    raw,
    models: dict[str, type[Params]],
    tag: str,
    at: str,
    place: str,
    *,
    example: str,
    choices: str,
    noun: str,
    required: str | None = None,
) -> Params:
    """One item of a tagged list (an augmentation op, a pipeline stage) checked by the model its ``tag`` names.

    pydantic's own union errors would read ``stages.pool.stride``; here every error names the item
    (``stages[1].stride``) and starts with its place in words ("stage 2 (pool): ...").
    """
    if not isinstance(raw, dict):
        raise inconsistent(at, f"{place}: {at} must be an object such as {example}, got {show(raw)}")
    name = raw.get(tag)
    if name is None and required:
        raise inconsistent(f"{at}.{tag}", f"{place}: {tag} is required: {required}")
    if not isinstance(name, str) or name not in models:
        raise inconsistent(f"{at}.{tag}", f"{place}: {tag} must be {choices}, got {show(name)}")
    try:
        return models[name].model_validate(raw)
    except ValidationError as exc:
        field, message = explain(exc, models[name], f"a {name} {noun}")
        raise inconsistent(f"{at}.{field}", f"{place} ({name}): {message}") from None
