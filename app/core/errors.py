"""The app's one error type, the error frame, and the sentences that explain a refused request.

pydantic's own error texts are written for programmers; :func:`explain` turns the
first error into the field's path and a sentence a student can act on. Every
refusal a handler makes is a :class:`Problem`; an engine refusal
(:class:`engine.errors.ArgumentError`) becomes one by the argument's name, never
by reading its sentence.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

ErrorCode = Literal["bad_json", "unknown_type", "invalid", "does_not_fit", "too_large", "busy", "internal"]


class ErrorReply(BaseModel):
    id: int | None
    type: Literal["error"] = "error"
    code: ErrorCode
    field: str | None = None
    message: str

    def text(self) -> str:
        """The frame's JSON; always sendable: a lone surrogate a browser let through is written as an escape."""
        text = json.dumps(self.model_dump(), ensure_ascii=False)
        return text if _encodable(text) else json.dumps(self.model_dump())


class Problem(Exception):
    """A request the app refuses, with the error fields to send."""

    def __init__(self, code: ErrorCode, field: str | None, message: str):
        super().__init__(message)
        self.code, self.field, self.message = code, field, message


def error(id: int | None, code: ErrorCode, field: str | None, message: str) -> str:
    """An error frame's JSON text."""
    return ErrorReply(id=id, code=code, field=field, message=message).text()


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
    return {
        "field": ".".join(names) or None,
        "where": where,
        "lo": lo,
        "hi": hi,
        "description": info.description if info else None,
        "parent": parent,
        "indexed": bool(where),
    }


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:  # a lone UTF-16 surrogate, which JSON lets through and UTF-8 cannot carry
        return False
    return True


def show(value) -> str:
    """A value as a message quotes it: JSON, at most 40 characters, always sendable (a big value is never echoed)."""
    if isinstance(value, str) and len(value) > 64:
        value = value[:64]  # no need to serialize megabytes to show 40 characters
    text = json.dumps(value, default=str, ensure_ascii=False)
    if not _encodable(text):
        text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _range(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"from {_num(lo)} to {_num(hi)}"
    return f"at least {_num(lo)}" if lo is not None else f"at most {_num(hi)}" if hi is not None else ""


_FLOAT_ERRORS = {"float_type", "float_parsing", "finite_number"}
_NUMBER_ERRORS = _FLOAT_ERRORS | {
    "greater_than_equal",
    "less_than_equal",
    "greater_than",
    "less_than",
    "int_type",
    "int_parsing",
    "int_from_float",
}


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
    got = f", got {show(value)}{where}"
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
        return field, _say(
            field, f"must be {bound} characters long", desc
        ) + f", got {len(value) if isinstance(value, str) else '?'}"
    nouns = {
        "tuple_type": "a list",
        "list_type": "a list",
        "model_type": "an object",
        "model_attributes_type": "an object",
        "dict_type": "an object",
        "string_type": "text",
    }
    if kind in nouns:
        return field, _say(field, "must be", nouns[kind], desc) + got
    return field, f"{field} is not valid{where}: {e['msg']}"


# The layer pipeline's and training's models live in their own modules, which import the pieces
