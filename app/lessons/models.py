"""The lesson format: its pydantic models and the checks of a question block.

The front matter (:class:`LessonMeta`, with its :class:`WidgetUse` entries), the
three question kinds (:data:`Question`: numeric, choice, predict) and their
validators; :func:`first_error`, which turns a pydantic error into the field path
and words an author reads; :class:`LessonError`; and :func:`check_question`, which
validates a ``::: question`` block and has the engine compute its answer. The
format is lessons/FORMAT.md; reading files and the course are :mod:`app.lessons`'s.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, ValidationError, field_validator

from ..features import TABLE
from .checks import run_check
from .render import MD

ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # widget and question ids: they become element ids and storage keys
PLACEHOLDERS = {"given", "answer", "work"}
Number = StrictInt | StrictFloat


class LessonError(ValueError):
    """A lesson file that cannot be used, with where and what: ``03-stride.md, line 40, answer: …``."""

    def __init__(self, path: Path, field: str, message: str, line: int | None = None):
        self.path, self.field, self.line = path, field, line
        where = f"{path.name}, line {line}" if line else path.name
        super().__init__(f"{where}, {field}: {message}")


# ------------------------------------------------------------------ models


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class WidgetUse(Strict):
    """A live widget of the lesson: its type (a widget of app.features.TABLE) and its initial state, by field key."""

    type: str
    state: dict[str, Any] = {}

    @field_validator("type")
    @classmethod
    def known_type(cls, value: str) -> str:
        if value not in TABLE.widgets:
            raise ValueError(f"{value!r} is not a widget type; the types are {', '.join(TABLE.widgets)}")
        return value


class LessonMeta(Strict):
    """The front matter."""

    title: Annotated[str, Field(min_length=1)]
    summary: Annotated[str, Field(min_length=1)]
    minutes: Annotated[int, Field(ge=1, le=240)] | None = None
    objectives: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    prerequisites: list[Annotated[str, Field(pattern=ID)]] = []
    widgets: Annotated[dict[Annotated[str, Field(pattern=ID)], WidgetUse], Field(min_length=1)]


class QuestionBase(Strict):
    id: Annotated[str, Field(pattern=ID)]
    prompt: Annotated[str, Field(min_length=1)]
    explain: Annotated[str, Field(min_length=1)]
    hint_wrong: str | None = None

    @field_validator("explain", "hint_wrong")
    @classmethod
    def known_placeholders(cls, value: str | None) -> str | None:
        unknown = set(re.findall(r"\{(\w+)\}", value or "")) - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{min(unknown)}}}; the placeholders are {{given}}, {{answer}}, {{work}}"
            )
        return value


class NumericQuestion(QuestionBase):
    """The learner types a number (or a shape such as ``16 × 16 × 16`` when the check gives text)."""

    kind: Literal["numeric"]
    answer: Number | StrictStr
    check: dict[str, Any]
    tolerance: Annotated[float, Field(ge=0)] = 0


class ChoiceQuestion(QuestionBase):
    """The learner picks one of ``choices``; ``answer`` is the right one's index (from 0)."""

    kind: Literal["choice"]
    choices: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=2)]
    answer: Annotated[StrictInt, Field(ge=0)]
    check: dict[str, Any] | None = None


class PredictQuestion(QuestionBase):
    """Predict, then reveal: ``set`` is applied to ``widget``, then the engine's value is shown."""

    kind: Literal["predict"]
    widget: Annotated[str, Field(pattern=ID)]
    set: dict[str, Any] = {}  # empty: Reveal reads the widget as it stands
    # A key path into the widget's inspect() (the playground: its window.convscope); without it the
    # page shows the check's answer once the widget has answered.
    read: Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")] | None = None
    answer: Number | StrictStr
    check: dict[str, Any]
    tolerance: Annotated[float, Field(ge=0)] = 0


Question = Annotated[NumericQuestion | ChoiceQuestion | PredictQuestion, Field(discriminator="kind")]


class QuestionBlock(Strict):
    """A question block's body, wrapped so the ``kind`` discriminator picks the model."""

    question: Question


def first_error(error: ValidationError) -> tuple[str, str]:
    """(field path, message) of a pydantic error, in words an author reads."""
    e = error.errors(include_url=False)[0]
    loc = [str(p) for p in e["loc"] if p not in ("question", "numeric", "choice", "predict")]
    path = ".".join(loc) or "front matter"
    messages = {
        "missing": "is required",
        "extra_forbidden": "is not a field here",
        "union_tag_invalid": "must be numeric, choice or predict",
        "union_tag_not_found": "is required (numeric, choice or predict)",
    }
    message = messages.get(e["type"]) or e["msg"].removeprefix("Value error, ")
    if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
        path = "kind"
    if e["type"] not in messages and e["type"] != "value_error" and "input" in e:
        message += f" (got {e['input']!r})"
    return path, message


# ------------------------------------------------------------------ questions


def check_question(path: Path, source: str, meta: LessonMeta, line: int) -> dict:
    """A question block's YAML, validated, its answer computed by the engine; the page's view of it."""
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LessonError(
            path, "question", f"not valid YAML: {getattr(exc, 'problem', exc)}", line + 1 + mark.line if mark else line
        ) from None
    if not isinstance(raw, dict):
        raise LessonError(path, "question", "the block must be YAML fields: id, kind, prompt, …", line)
    name = f"question {raw.get('id', '?')}"
    try:
        q = QuestionBlock.model_validate({"question": raw}).question
    except ValidationError as exc:
        where, message = first_error(exc)
        raise LessonError(path, f"{name}, {where}", message, line) from None
    data: dict[str, Any] = {
        "id": q.id,
        "kind": q.kind,
        "line": line,
        "prompt": MD.renderInline(q.prompt),
        "explain": MD.render(said(q.explain, q.kind)),
        "hint_wrong": MD.render(said(q.hint_wrong, q.kind)) if q.hint_wrong else None,
        "tolerance": getattr(q, "tolerance", 0),
        "work": "",
    }
    engine = None
    if q.check is not None:
        try:
            engine, data["work"] = run_check(q.check)
        except ValueError as exc:
            raise LessonError(path, f"{name}, check", str(exc), line) from None
    if isinstance(q, ChoiceQuestion):
        if q.answer >= len(q.choices):
            raise LessonError(
                path,
                f"{name}, answer",
                f"must be a choice's index, from 0 to {len(q.choices) - 1}; got {q.answer}",
                line,
            )
        if engine is not None and _plain(str(engine)) != _plain(q.choices[q.answer]):
            raise LessonError(
                path,
                f"{name}, answer",
                f"choice {q.answer} reads {q.choices[q.answer]!r}, but the engine's {q.check['fn']} gives {engine!r}",
                line,
            )
        data.update(
            choices=[MD.renderInline(c) for c in q.choices],
            answer=q.answer,
            answer_html=MD.renderInline(q.choices[q.answer]),
        )
        return data
    if isinstance(engine, int) and q.tolerance:
        raise LessonError(
            path, f"{name}, tolerance", f"the answer {engine} is whole and is graded exactly: leave tolerance out", line
        )
    if isinstance(engine, float) and not q.tolerance:
        raise LessonError(
            path,
            f"{name}, tolerance",
            f"the answer {engine} is not whole: state how close a learner must come (e.g. tolerance: 0.01)",
            line,
        )
    if not _same(q.answer, engine, q.tolerance):
        raise LessonError(
            path,
            f"{name}, answer",
            f"the author's answer is {q.answer!r}, but the engine's {q.check['fn']} gives {engine!r}: {data['work']}",
            line,
        )
    data.update(answer=engine, answer_html=html.escape(_show(engine)))
    if isinstance(q, PredictQuestion):
        if q.widget not in meta.widgets:
            raise LessonError(
                path,
                f"{name}, widget",
                f"'{q.widget}' is not one of the lesson's widgets ({', '.join(meta.widgets)})",
                line,
            )
        data.update(widget=q.widget, set=q.set, read=q.read)
    return data


def _plain(text: str) -> str:
    """Text for comparing a choice with the engine's answer: no emphasis or code marks, one kind of space and times."""
    text = re.sub(r"[*_`]", "", text).replace("x", "×").replace("*", "×")
    return re.sub(r"\s+", "", text).lower()


def _same(author, engine, tolerance: float) -> bool:
    """Whole answers exactly; others within the question's tolerance (the engine's float32 is read back
    as its shortest decimal, so an author who writes it gets it)."""
    if isinstance(engine, str) or isinstance(author, str):
        return isinstance(author, str) and isinstance(engine, str) and _plain(author) == _plain(engine)
    if isinstance(engine, int):
        return author == engine
    return abs(author - engine) <= tolerance


# "You predicted {given}" in a typed question's explanation: the page tells the learner what they did,
# so the verb follows the kind of question, whatever the author wrote.
VERBS = {"numeric": "answered", "choice": "chose", "predict": "predicted"}
_SAID = re.compile(r"\b([Yy]ou) (?:answered|predicted|chose|picked) \{given\}")


def said(text: str, kind: str) -> str:
    """``text`` with every "you <verb> {given}" using the verb of ``kind``."""
    return _SAID.sub(lambda m: f"{m.group(1)} {VERBS[kind]} {{given}}", text)


def _show(value) -> str:
    return str(value).replace("-", "−") if not isinstance(value, str) else value
