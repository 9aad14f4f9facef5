"""Every message of the wire protocol (PROTOCOL.md) as a pydantic model, with its legal ranges.

Requests are validated here before the engine sees them; each bound is a
``Field`` constraint taken from :class:`engine.shapes.Limits`, so the models,
the sliders (which get the same limits) and the engine agree. pydantic's own
error texts are written for programmers; :func:`explain` turns the first error
into the field's path and a sentence a student can act on.
"""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from engine import shapes
from engine.activations import ACTIVATIONS

from . import presets  # the preset names are the keys of its tables

LIMITS = shapes.Limits()
MAX_VALUE = 1e6  # abs bound on any number in a grid: far beyond any lesson, far below float32 overflow
MAX_TRACE_STEPS = 4096
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # decoded image file
MAX_FRAME_BYTES = 8 * 1024 * 1024  # one websocket message; larger closes the socket (abuse)
MAX_REQUESTS_PER_SECOND = 200
MAX_LANES = 64  # distinct (type, lane) pairs one page may use; far above any lesson's widgets
# Base64 spends 4 characters per 3 bytes; leave room for a "data:image/png;base64," prefix.
MAX_UPLOAD_CHARS = 4 * math.ceil(MAX_UPLOAD_BYTES / 3) + 64


def whole(lo: int, hi: int, **extra) -> Any:
    """A JSON integer (not 2.0, "2" or true) from ``lo`` to ``hi``."""
    return Annotated[int, Field(strict=True, ge=lo, le=hi, **extra)]


Number = Annotated[float, Field(strict=True, ge=-MAX_VALUE, le=MAX_VALUE, allow_inf_nan=False)]
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


def _numbers(n: int) -> str:
    return "1 number" if n == 1 else f"{n} numbers"


class Params(BaseModel):
    # Unknown keys are refused: a misspelt "strides" would otherwise be ignored without a word.
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------- requests


class InputGrid(Params):
    channels: Channels
    height: Size
    width: Size
    values: list[Number] = Field(max_length=LIMITS.channels * LIMITS.size**2, description="C·H·W numbers in (C, H, W) order")


def _check_input(x: InputGrid) -> None:
    got = len(x.values)
    if got != x.channels * x.height * x.width:
        raise inconsistent("input.values", f"input.values must hold {x.channels * x.height * x.width} numbers "
                           f"(channels × height × width = {x.channels} × {x.height} × {x.width}), got {got}")


class KernelGrid(Params):
    filters: whole(1, LIMITS.filters)
    channels: Channels | None = Field(None, description="optional; must equal the input's channels")
    height: KernelSize
    width: KernelSize
    values: list[Number] = Field(
        max_length=LIMITS.filters * LIMITS.channels * LIMITS.kernel**2, description="F·C·KH·KW numbers in (F, C, KH, KW) order"
    )


class ConvRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    kernels: KernelGrid = Field(description="{filters, height, width, values}")
    bias: list[Number] | None = Field(None, max_length=LIMITS.filters, description="one number per filter")
    stride: tuple[Stride, Stride] = Field((1, 1), description="[height, width]", json_schema_extra=HW)
    padding: tuple[Pad, Pad, Pad, Pad] = Field(
        (0, 0, 0, 0), description="[top, bottom, left, right]", json_schema_extra={"parts": ["top", "bottom", "left", "right"]}
    )
    dilation: tuple[Dilation, Dilation] = Field((1, 1), description="[height, width]", json_schema_extra=HW)
    flip: bool = Field(False, strict=True)
    pad_mode: Literal["zeros", "reflect", "replicate"] = "zeros"

    @model_validator(mode="after")
    def _consistent(self):
        x, k = self.input, self.kernels
        _check_input(x)
        if k.channels is not None and k.channels != x.channels:
            raise inconsistent("kernels.channels", f"kernels.channels must equal the input's channels ({x.channels}), "
                               f"got {k.channels}: a filter spans every input channel")
        need = k.filters * x.channels * k.height * k.width
        if len(k.values) != need:
            raise inconsistent("kernels.values", f"kernels.values must hold {need} numbers (filters × channels × height × width = "
                               f"{k.filters} × {x.channels} × {k.height} × {k.width}), got {len(k.values)}")
        if self.bias is not None and len(self.bias) != k.filters:
            raise inconsistent("bias", f"bias must hold {_numbers(k.filters)} (one per filter), got {len(self.bias)}")
        return self


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


class InputPresetParams(Params):
    name: Literal[tuple(presets.INPUTS)]
    height: Size = 9
    width: Size = 9
    channels: Channels = 1
    seed: Seed = 0
    cells: whole(1, 32) = Field(2, description="squares along each side of the checkerboard")
    # For `random`: values from −spread to spread, rounded to `decimals` places when given
    # (short numbers read from the back row of a lecture hall).
    spread: Annotated[float, Field(strict=True, ge=0.001, le=1000, allow_inf_nan=False)] = 1.0
    decimals: whole(0, 6) | None = None


class KernelPresetParams(Params):
    name: Literal[tuple(presets.KERNELS)]
    size: KernelSize = 3
    channels: Channels = 1
    filters: whole(1, LIMITS.filters) = 1
    seed: Seed = 0


class ImageUploadParams(Params):
    data: str = Field(min_length=1, max_length=MAX_UPLOAD_CHARS, description="(base64 of a PNG or JPEG file of at most 4 MB)")
    height: Size = 64
    width: Size = 64
    channels: Literal[1, 3] = 1

# ---------------------------------------------------------------- pooling, activations, backprop

PoolSize = whole(1, LIMITS.stride)  # pooling windows share the stride's cap, 8
Bounded = Annotated[float, Field(strict=True, ge=-1000, le=1000, allow_inf_nan=False)]  # the curve's x range


class Upstream(Params):
    values: list[Number] = Field(max_length=LIMITS.filters * LIMITS.size**2, description="dL/dY, one number per output cell")


def _check_upstream(u: Upstream, shape: tuple[int, int, int], names: str) -> None:
    """``upstream.values`` must hold one number per output cell; ``shape`` comes from engine.shapes."""
    need = shape[0] * shape[1] * shape[2]
    if len(u.values) != need:
        sizes = " × ".join(map(str, shape))
        raise inconsistent("upstream.values", f"upstream.values must hold {need} numbers, one per output cell "
                           f"({names} = {sizes}), got {len(u.values)}")


class PoolRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    mode: Literal["max", "avg"] = "max"
    kernel: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)
    stride: tuple[PoolSize, PoolSize] = Field((2, 2), description="[height, width]", json_schema_extra=HW)

    @model_validator(mode="after")
    def _consistent(self):
        _check_input(self.input)
        return self

    def output(self) -> shapes.Output2D:
        return shapes.window_output((self.input.height, self.input.width), self.kernel, self.stride, what="window")


class PoolTraceParams(PoolRunParams):
    start: whole(0, 2**31 - 1) = 0
    count: whole(1, MAX_TRACE_STEPS) = 1


class PoolBackwardParams(PoolRunParams):
    upstream: Upstream = Field(description="{values: [C·OH·OW numbers]}")

    @model_validator(mode="after")
    def _upstream_fits(self):
        out = self.output()
        if out.fits_at_all:  # otherwise the handler refuses the kernel, which is the real problem
            _check_upstream(self.upstream, (self.input.channels, *out.shape), "channels × output height × output width")
        return self


class ActivationRunParams(Params):
    input: InputGrid = Field(description="{channels, height, width, values}")
    name: Literal[tuple(ACTIVATIONS)]
    param: Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="the leaky_relu slope (0 to 1) or the elu alpha (0 to 10)")
    curve_min: Bounded = -5.0
    curve_max: Bounded = 5.0

    @model_validator(mode="after")
    def _consistent(self):
        _check_input(self.input)
        if self.name == "leaky_relu" and self.param is not None and self.param > 1:
            raise inconsistent("param", f"param (the leaky_relu slope) must be from 0 to 1, got {_num_text(self.param)}")
        if self.curve_min >= self.curve_max:
            raise inconsistent("curve_max", f"curve_max must be larger than curve_min ({_num_text(self.curve_min)}), "
                               f"got {_num_text(self.curve_max)}")
        return self


class BackwardRunParams(ConvRunParams):
    upstream: Upstream = Field(description="{values: [F·OH·OW numbers]}")

    @model_validator(mode="after")
    def _upstream_fits(self):
        x, k = self.input, self.kernels
        out = shapes.window_output((x.height, x.width), (k.height, k.width), self.stride, self.padding, self.dilation)
        if out.fits_at_all:
            _check_upstream(self.upstream, (k.filters, *out.shape), "filters × output height × output width")
        return self


class BackwardTraceParams(BackwardRunParams):
    which: Literal["weights", "input"] = "weights"
    start: whole(0, 2**31 - 1) = 0
    count: whole(1, MAX_TRACE_STEPS) = 1


# Here rather than in a module of its own: REQUESTS below needs it, and a module importing
# this one's pieces while this one imports it back would be an import cycle.
class ActivationBackwardParams(Params):
    """activation.backward: dL/dx of an activation, given the forward input and dL/dy."""

    input: InputGrid = Field(description="{channels, height, width, values}")
    name: Literal[tuple(ACTIVATIONS)]
    param: Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="the leaky_relu slope (0 to 1) or the elu alpha (0 to 10)")
    upstream: Upstream = Field(description="{values: [C·H·W numbers]}")

    @model_validator(mode="after")
    def _consistent(self):
        x = self.input
        _check_input(x)
        if self.name == "leaky_relu" and self.param is not None and self.param > 1:
            raise inconsistent("param", f"param (the leaky_relu slope) must be from 0 to 1, got {_num_text(self.param)}")
        _check_upstream(self.upstream, (x.channels, x.height, x.width), "channels × height × width")
        return self


def _num_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


REQUESTS: dict[str, type[Params]] = {
    "conv.run": ConvRunParams,
    "conv.trace": ConvTraceParams,
    "input.preset": InputPresetParams,
    "kernel.preset": KernelPresetParams,
    "image.upload": ImageUploadParams,
    "pool.run": PoolRunParams,
    "pool.trace": PoolTraceParams,
    "pool.backward": PoolBackwardParams,
    "activation.run": ActivationRunParams,
    "backward.run": BackwardRunParams,
    "backward.trace": BackwardTraceParams,
    "activation.backward": ActivationBackwardParams,
}
# The type of the binary frame that answers each request.
ANSWERS = {"conv.run": "conv.result", "conv.trace": "conv.trace", "input.preset": "input.values",
           "kernel.preset": "kernel.values", "image.upload": "input.values",
           "pool.run": "pool.result", "pool.trace": "pool.trace", "pool.backward": "pool.grad",
           "activation.run": "activation.result", "backward.run": "backward.result", "backward.trace": "backward.trace",
           "activation.backward": "activation.grad"}


class Request(BaseModel):
    """The envelope of every browser message; ``params`` is checked by the model of its ``type``."""

    id: Annotated[int, Field(strict=True, ge=1)]
    type: str
    params: dict = Field(default_factory=dict)
    # Which widget sent it: requests supersede only others of the same type *and* lane,
    # so two widgets on one page (a lesson) never cancel each other's work.
    lane: Annotated[str, Field(strict=True, pattern=r"^[a-z0-9_.-]{1,32}$")] | None = None


# ---------------------------------------------------------------- answers


ErrorCode = Literal["bad_json", "unknown_type", "invalid", "does_not_fit", "too_large", "internal"]


class ErrorReply(BaseModel):
    id: int | None
    type: Literal["error"] = "error"
    code: ErrorCode
    field: str | None = None
    message: str

    def text(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False)


class Problem(Exception):
    """A request the handlers refuse, with the error fields to send."""

    def __init__(self, code: ErrorCode, field: str | None, message: str):
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


class ArrayEntry(BaseModel):
    name: str
    dtype: Literal["float32", "int32", "uint8"]
    shape: list[int]
    offset: int
    nbytes: int


class FrameHeader(BaseModel):
    """The JSON header of a binary frame (app.wire writes it)."""

    id: int | None
    type: str
    meta: dict
    arrays: list[ArrayEntry]


class AxisMeta(BaseModel):
    n: int
    k: int
    s: int
    pad_before: int
    pad_after: int
    d: int
    span: int
    exact: str
    size: int
    whole: bool
    leftover: int
    formula: str


class ParamsMeta(BaseModel):
    weights: int
    bias: int
    total: int
    formula: str


class ConvResultMeta(BaseModel):
    output_shape: tuple[int, int, int]
    fits: bool
    problem: str | None
    suggestions: dict[str, dict[str, int]]
    axes: dict[str, AxisMeta]
    params: ParamsMeta
    ranges: dict[str, dict[str, dict]]
    limits: dict[str, int]


class ConvTraceMeta(BaseModel):
    filter: int
    start: int
    count: int
    steps_total: int
    output_shape: tuple[int, int, int]


class PoolResultMeta(BaseModel):
    output_shape: tuple[int, int, int]
    fits: bool
    problem: str | None
    suggestions: dict[str, dict[str, int]]
    axes: dict[str, AxisMeta]
    ranges: dict[str, dict[str, dict]]


class TraceMeta(BaseModel):
    """A page of a pool.trace or backward.trace: which steps came back, out of how many."""

    start: int
    count: int
    steps_total: int
    output_shape: tuple[int, int, int]


class ShapeMeta(BaseModel):
    output_shape: tuple[int, ...]


class ActivationMeta(BaseModel):
    name: str
    param: float | None  # the value used: the engine's default when none was sent


class InputValuesMeta(BaseModel):
    name: str
    channels: int
    height: int
    width: int


class KernelValuesMeta(BaseModel):
    name: str
    filters: int
    channels: int
    height: int
    width: int


def limits() -> dict[str, int]:
    return dataclasses.asdict(LIMITS)


# The one parameter some activations take, as ActivationRunParams checks it (slope 0–1, alpha 0–10),
# handed to the /layers page so its slider keeps no range of its own.
ACTIVATION_PARAMS = {"leaky_relu": ("slope", 1.0, 0.01), "elu": ("alpha", 10.0, 0.1)}


def activation_choices() -> list[dict]:
    choices = []
    for name, (_, _, default) in ACTIVATIONS.items():
        label, hi, step = ACTIVATION_PARAMS.get(name, (None, None, None))
        param = None if default is None else {"label": label, "min": 0, "max": hi, "step": step, "default": default}
        choices.append({"name": name, "param": param})
    return choices


# ---------------------------------------------------------------- error sentences


def _unwrap(tp) -> tuple[Any, list]:
    """Strip ``Annotated`` and ``X | None`` from a type; returns (type, constraint metadata)."""
    meta: list = []
    while True:
        if get_origin(tp) is Annotated:
            tp, *extra = get_args(tp)
            for m in extra:
                meta.extend(m.metadata if isinstance(m, FieldInfo) else [m])
        elif get_origin(tp) in (Union, type(int | None)) and type(None) in get_args(tp):
            tp = next(a for a in get_args(tp) if a is not type(None))
        else:
            return tp, meta


def _walk(model: type[BaseModel], loc: tuple) -> dict:
    """What an error location points at: dotted field path, position words, bounds, description, parent model."""
    tp, meta, info, parent, names, where = model, [], None, model, [], ""
    for part in loc:
        tp, extra = _unwrap(tp)
        meta = meta + extra
        if isinstance(part, str):
            parent = tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
            names.append(part)
            info = parent.model_fields.get(part) if parent else None
            tp, meta = (info.annotation, list(info.metadata)) if info else (None, [])
        else:
            args = get_args(tp)
            if get_origin(tp) is tuple and args:
                parts = ((info.json_schema_extra or {}) if info else {}).get("parts")
                where = f" for the {parts[part]}" if parts and part < len(parts) else f" at position {part}"
                tp = args[part] if part < len(args) else None
            else:
                where = f" at position {part}"
                tp = args[0] if args else None
            meta = []
    tp, extra = _unwrap(tp)
    meta += extra
    lo = next((m.ge for m in meta if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in meta if getattr(m, "le", None) is not None), None)
    return {"field": ".".join(names) or None, "where": where, "lo": lo, "hi": hi,
            "description": info.description if info else None, "parent": parent, "indexed": bool(where)}


def _show(value) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _range(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"from {_num(lo)} to {_num(hi)}"
    return f"at least {_num(lo)}" if lo is not None else f"at most {_num(hi)}" if hi is not None else ""


_FLOAT_ERRORS = {"float_type", "float_parsing", "finite_number"}
_NUMBER_ERRORS = _FLOAT_ERRORS | {"greater_than_equal", "less_than_equal", "greater_than", "less_than",
                                  "int_type", "int_parsing", "int_from_float"}


def _say(*words) -> str:
    """Words joined by spaces, empty ones left out (a field without a description has none)."""
    return " ".join(w for w in words if w)


def explain(error: ValidationError, model: type[BaseModel], type_name: str) -> tuple[str | None, str]:
    """The first error of ``error`` as (field path, a sentence a student understands)."""
    errors = error.errors(include_url=False)
    # A misspelt key ("strides") also shows up as a missing one; naming the misspelling helps more.
    e = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    if kind == "inconsistent":
        return ctx["field"], ctx["message"]
    at = _walk(model, e["loc"])
    field, where, desc = at["field"] or "params", at["where"], at["description"]
    got = f", got {_show(value)}{where}"
    # List items read as "must hold numbers ... at position 5"; scalars and named pair entries as "must be".
    list_item = at["indexed"] and not where.startswith(" for")
    if kind == "missing":
        if at["indexed"]:
            return field, f"{field} has no value{where}" + (f"; it must be {desc}" if desc else "")
        return field, f"{field} is required" + (f": {desc}" if desc else "")
    if kind == "extra_forbidden":
        known = ", ".join(at["parent"].model_fields) if at["parent"] else ""
        owner = type_name if "." not in field else field.rsplit(".", 1)[0]
        return field, f"{field} is not a parameter of {owner}; it takes {known}"
    if kind in _NUMBER_ERRORS:
        integer = kind.startswith("int")
        if list_item:  # "input.values must hold finite numbers from -1000000 to 1000000, got 2000000 at position 5"
            noun = "whole numbers" if integer else "finite numbers"
        else:  # "stride must be from 1 to 8, got 12 for the height"
            noun = "a whole number" if integer else "a finite number" if kind in _FLOAT_ERRORS else ""
        return field, _say(field, "must hold" if list_item else "must be", noun, _range(at["lo"], at["hi"])) + got
    if kind == "bool_type":
        return field, f"{field} must be true or false" + got
    if kind == "literal_error":
        return field, f"{field} must be {ctx.get('expected')}" + got
    if kind in ("too_long", "too_short"):
        if ctx.get("field_type") == "Tuple":
            n = ctx.get("max_length", ctx.get("min_length"))
            return field, _say(field, f"must hold {n} numbers", desc) + f", got {ctx.get('actual_length')}"
        bound = f"at most {ctx['max_length']}" if kind == "too_long" else f"at least {ctx['min_length']}"
        return field, f"{field} must hold {bound} numbers, got {ctx.get('actual_length')}"
    if kind in ("string_too_long", "string_too_short"):
        bound = f"at most {ctx['max_length']}" if kind == "string_too_long" else f"at least {ctx['min_length']}"
        return field, _say(field, f"must be {bound} characters long", desc) + f", got {len(value) if isinstance(value, str) else '?'}"
    nouns = {"tuple_type": "a list", "list_type": "a list", "model_type": "an object", "model_attributes_type": "an object",
             "dict_type": "an object", "string_type": "text"}
    if kind in nouns:
        return field, _say(field, "must be", nouns[kind], desc) + got
    return field, f"{field} is not valid{where}: {e['msg']}"


# The layer pipeline's and training's models live in their own modules, which import the pieces
# above and add their types to REQUESTS and ANSWERS; imported last, so it works whichever loads first.
from . import (  # noqa: F401
    protocol_arch,
    protocol_augment,
    protocol_conv1d,
    protocol_norm,
    protocol_params,
    protocol_pipeline,
    protocol_training,
)
