"""The course: lessons/NN-slug.md files, checked and rendered (the format is lessons/FORMAT.md).

A lesson is YAML front matter (validated by :class:`LessonMeta`) and Markdown prose
with two kinds of blocks, ``::: widget id`` (a live widget's mount point) and
``::: question`` (a YAML body, validated by the :data:`Question` models). Every
question's right answer is computed by the engine (``check``, see
:mod:`app.lesson_checks`) and must agree with the author's; the page gets the
engine's answer. Any mistake raises :class:`LessonError` naming the file, the
line and the field.

Lessons are parsed once and kept; a file whose modification time changes is read
again on the next request, so an author sees an edit on reload.
"""

from __future__ import annotations

import html
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from .lesson_checks import run_check
from .widgets import WIDGET_TYPES

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = re.compile(r"^(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
ID = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"  # widget and question ids: they become element ids and storage keys
PLACEHOLDERS = {"given", "answer", "work"}
Number = StrictInt | StrictFloat


def lessons_dir() -> Path:
    """Where the course lives: ``$CONVSCOPE_LESSONS`` (tests point it at fixtures), else ``lessons/``."""
    return Path(os.environ.get("CONVSCOPE_LESSONS") or ROOT / "lessons")


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
    """A live widget of the lesson: its type (app/widgets.py) and its initial state, by field key."""

    type: str
    state: dict[str, Any] = {}

    @field_validator("type")
    @classmethod
    def known_type(cls, value: str) -> str:
        if value not in WIDGET_TYPES:
            raise ValueError(f"{value!r} is not a widget type; the types are {', '.join(WIDGET_TYPES)}")
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
            raise ValueError(f"unknown placeholder {{{min(unknown)}}}; the placeholders are {{given}}, {{answer}}, {{work}}")
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


class _QuestionBlock(Strict):
    question: Question


def _first_error(error: ValidationError) -> tuple[str, str]:
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


# ------------------------------------------------------------------ the lesson


@dataclass
class Lesson:
    number: int
    slug: str
    path: Path
    meta: LessonMeta
    html: str  # the prose, with widget figures and question placeholders
    widgets: dict[str, dict]  # id -> {type, state}: what the page mounts
    questions: list[dict]  # what the page asks, answers computed by the engine


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    anchors_plugin(md, min_level=2, max_level=3)  # sections an instructor can link to and a learner returns to
    container_plugin(md, "widget")
    container_plugin(md, "question")
    return md


MD = _markdown()


def split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    """(front matter, body, the body's first line number) of a lesson file."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise LessonError(path, "front matter", "the file must start with a line '---', then YAML, then '---'", 1)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        raise LessonError(path, "front matter", "no closing '---' line after the front matter", 1)
    try:
        meta = yaml.safe_load("".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LessonError(path, "front matter", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                          mark.line + 2 if mark else None) from None
    if not isinstance(meta, dict):
        raise LessonError(path, "front matter", "must be a YAML mapping of title, summary, …", 2)
    return meta, "".join(lines[end + 1:]), end + 2


def parse_lesson(path: Path) -> Lesson:
    """Read, check and render one lesson file (cross-lesson checks are :func:`load_course`'s)."""
    match = FILE_NAME.match(path.name)
    if not match:
        raise LessonError(path, "file name", "must be NN-slug.md: two digits, a dash, lower-case words joined by dashes")
    raw, body, first = split_front_matter(path.read_text(encoding="utf-8"), path)
    try:
        meta = LessonMeta.model_validate(raw)
    except ValidationError as exc:
        raise LessonError(path, *_first_error(exc)) from None
    lines = body.splitlines()
    tokens = MD.parse(body)
    out: list[Token] = []
    questions: list[dict] = []
    mounted: dict[str, int] = {}
    i = 0
    while i < len(tokens):
        t = tokens[i]
        line = first + t.map[0] if t.map else None
        if t.type == "container_widget_open":
            wid = t.info.strip().removeprefix("widget").strip()
            if wid not in meta.widgets:
                declared = ", ".join(meta.widgets)
                raise LessonError(path, "widget", f"mount point '{wid}' is not declared in the front matter's widgets ({declared})", line)
            if wid in mounted:
                raise LessonError(path, "widget", f"'{wid}' is mounted twice (lines {mounted[wid]} and {line}); declare a second widget", line)
            mounted[wid] = line
            t.meta["widget"] = wid
        elif t.type == "container_question_open":
            close = _matching_close(tokens, i)
            source = "\n".join(lines[t.map[0] + 1: t.map[1]])
            question = _question(path, source, meta, line)
            if any(q["id"] == question["id"] for q in questions):
                raise LessonError(path, "id", f"question id '{question['id']}' is used twice", line)
            questions.append(question)
            out.append(_html_token(_question_placeholder(question)))
            i = close + 1
            continue
        elif t.type == "inline" and t.content.lstrip().startswith(":::"):
            raise LessonError(path, "block", f"unknown block '{t.content.strip()}'; the blocks are '::: widget id' and '::: question'", line)
        out.append(t)
        i += 1
    unmounted = [w for w in meta.widgets if w not in mounted]
    if unmounted:
        raise LessonError(path, f"widgets.{unmounted[0]}", "is declared but has no mount point ('::: widget " + unmounted[0] + "')")
    return Lesson(
        number=int(match.group(1)), slug=match.group(2), path=path, meta=meta,
        html=_render(out, meta), widgets={k: v.model_dump() for k, v in meta.widgets.items()}, questions=questions,
    )


def _matching_close(tokens: list[Token], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        depth += tokens[j].nesting if tokens[j].type.startswith("container_question") else 0
        if depth == 0:
            return j
    return len(tokens) - 1


def _html_token(content: str) -> Token:
    # Raw HTML is off for authors; this token is ours, made from escaped and rendered parts.
    token = Token("html_block", "", 0)
    token.content = content
    return token


def _render(tokens: list[Token], meta: LessonMeta) -> str:
    """HTML of the prose; a widget container becomes its figure, its content the caption."""
    parts: list[Token] = []
    for j, t in enumerate(tokens):
        if t.type == "container_widget_open":
            wid = t.meta["widget"]
            title = WIDGET_TYPES[meta.widgets[wid].type]["title"]
            empty = tokens[j + 1].type == "container_widget_close"
            parts.append(_html_token(
                f'<figure class="lesson-widget" data-widget="{wid}" id="widget-{wid}" aria-label="{html.escape(title)}">'
                f'<div class="widget lesson-widget-mount" data-mount="{wid}"><p class="lesson-widget-loading">Loading the '
                f'{html.escape(title.lower())} widget…</p></div>' + ("" if empty else '<figcaption class="lesson-widget-caption">')))
            t.meta["empty"] = empty
        elif t.type == "container_widget_close":
            opened = next(o for o in reversed(tokens[:j]) if o.type == "container_widget_open")
            parts.append(_html_token(("" if opened.meta["empty"] else "</figcaption>") + "</figure>\n"))
        else:
            parts.append(t)
    return MD.renderer.render(parts, MD.options, {})


# ------------------------------------------------------------------ questions


def _question(path: Path, source: str, meta: LessonMeta, line: int) -> dict:
    """A question block's YAML, validated, its answer computed by the engine; the page's view of it."""
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LessonError(path, "question", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                          line + 1 + mark.line if mark else line) from None
    if not isinstance(raw, dict):
        raise LessonError(path, "question", "the block must be YAML fields: id, kind, prompt, …", line)
    name = f"question {raw.get('id', '?')}"
    try:
        q = _QuestionBlock.model_validate({"question": raw}).question
    except ValidationError as exc:
        where, message = _first_error(exc)
        raise LessonError(path, f"{name}, {where}", message, line) from None
    data: dict[str, Any] = {
        "id": q.id, "kind": q.kind, "line": line, "prompt": MD.renderInline(q.prompt),
        "explain": MD.render(q.explain), "hint_wrong": MD.render(q.hint_wrong) if q.hint_wrong else None,
        "tolerance": getattr(q, "tolerance", 0), "work": "",
    }
    engine = None
    if q.check is not None:
        try:
            engine, data["work"] = run_check(q.check)
        except ValueError as exc:
            raise LessonError(path, f"{name}, check", str(exc), line) from None
    if isinstance(q, ChoiceQuestion):
        if q.answer >= len(q.choices):
            raise LessonError(path, f"{name}, answer", f"must be a choice's index, from 0 to {len(q.choices) - 1}; got {q.answer}", line)
        if engine is not None and _plain(str(engine)) != _plain(q.choices[q.answer]):
            raise LessonError(path, f"{name}, answer", f"choice {q.answer} reads {q.choices[q.answer]!r}, but the engine's "
                              f"{q.check['fn']} gives {engine!r}", line)
        data.update(choices=[MD.renderInline(c) for c in q.choices], answer=q.answer,
                    answer_html=MD.renderInline(q.choices[q.answer]))
        return data
    if not _same(q.answer, engine):
        raise LessonError(path, f"{name}, answer", f"the author's answer is {q.answer!r}, but the engine's {q.check['fn']} "
                          f"gives {engine!r}: {data['work']}", line)
    data.update(answer=engine, answer_html=html.escape(_show(engine)))
    if isinstance(q, PredictQuestion):
        if q.widget not in meta.widgets:
            raise LessonError(path, f"{name}, widget", f"'{q.widget}' is not one of the lesson's widgets ({', '.join(meta.widgets)})", line)
        data.update(widget=q.widget, set=q.set, read=q.read)
    return data


def _plain(text: str) -> str:
    """Text for comparing a choice with the engine's answer: no emphasis or code marks, one kind of space and times."""
    text = re.sub(r"[*_`]", "", text).replace("x", "×").replace("*", "×")
    return re.sub(r"\s+", "", text).lower()


def _same(author, engine) -> bool:
    if isinstance(engine, str) or isinstance(author, str):
        return isinstance(author, str) and isinstance(engine, str) and _plain(author) == _plain(engine)
    return abs(author - engine) <= 1e-6 * max(1.0, abs(engine))  # the engine computes in float32


def _show(value) -> str:
    return str(value).replace("-", "−") if not isinstance(value, str) else value


def _question_placeholder(q: dict) -> str:
    """The question's place in the prose; lesson-questions.js builds its controls from the page data."""
    return (f'<section class="question" data-question="{q["id"]}" id="q-{q["id"]}" aria-labelledby="q-{q["id"]}-prompt">'
            f'<p class="question-kind">{ {"numeric": "Question", "choice": "Question", "predict": "Predict, then reveal"}[q["kind"]] }</p>'
            f'<div class="question-prompt" id="q-{q["id"]}-prompt">{q["prompt"]}</div></section>\n')


# ------------------------------------------------------------------ the course


@dataclass
class Course:
    lessons: list[Lesson]
    errors: list[LessonError]

    def find(self, slug: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.slug == slug), None)

    def neighbours(self, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
        i = self.lessons.index(lesson)
        return (self.lessons[i - 1] if i else None), (self.lessons[i + 1] if i + 1 < len(self.lessons) else None)


_lock = threading.Lock()
_files: dict[Path, tuple[int, Lesson | LessonError]] = {}  # path -> (mtime_ns, parsed)
_courses: dict[Path, tuple[tuple, Course]] = {}


def lesson_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("[0-9][0-9]-*.md") if p.is_file())


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed while the course was being read
        return None


def load_course(directory: Path | None = None) -> Course:
    """Every lesson of ``directory`` (default :func:`lessons_dir`), parsed once and again when a file changes.

    A lesson with a mistake is left out of the course and its :class:`LessonError` kept in ``errors``,
    so one broken file never takes the others down.
    """
    directory = Path(directory or lessons_dir())
    stamp = tuple((p, m) for p in lesson_files(directory) if (m := _mtime(p)) is not None)
    with _lock:
        cached = _courses.get(directory)
        if cached and cached[0] == stamp:
            return cached[1]
        parsed = []
        for path, mtime in stamp:
            hit = _files.get(path)
            if not hit or hit[0] != mtime:
                try:
                    hit = (mtime, parse_lesson(path))
                except LessonError as exc:
                    hit = (mtime, exc)
                _files[path] = hit
            parsed.append(hit[1])
        course = _link(parsed)
        _courses[directory] = (stamp, course)
        return course


def _link(parsed: list[Lesson | LessonError]) -> Course:
    """Cross-lesson checks: slugs unique, numbers unique, prerequisites exist and come earlier."""
    lessons: list[Lesson] = []
    errors = [p for p in parsed if isinstance(p, LessonError)]
    # Every lesson file's number by slug, those with mistakes too: one broken lesson must not
    # take the lessons that build on it down with it.
    files = {m.group(2): int(m.group(1)) for m in (FILE_NAME.match(p.path.name) for p in parsed) if m}
    seen: dict[str, Lesson] = {}
    numbers: dict[int, Lesson] = {}
    for lesson in (p for p in parsed if isinstance(p, Lesson)):
        try:
            if lesson.slug in seen:
                raise LessonError(lesson.path, "file name", f"the slug '{lesson.slug}' is also {seen[lesson.slug].path.name}'s")
            if lesson.number in numbers:
                raise LessonError(lesson.path, "file name", f"number {lesson.number:02d} is also {numbers[lesson.number].path.name}'s")
            for slug in lesson.meta.prerequisites:
                if files.get(slug, lesson.number) >= lesson.number:
                    reason = "is not a lesson" if slug not in files else "is this lesson" if slug == lesson.slug else "comes later in the course"
                    raise LessonError(lesson.path, "prerequisites", f"'{slug}' {reason}; a prerequisite must be an earlier lesson's slug")
        except LessonError as exc:
            errors.append(exc)
            continue
        seen[lesson.slug] = lesson
        numbers[lesson.number] = lesson
        lessons.append(lesson)
    return Course(lessons, errors)


def check_course(directory: Path | None = None) -> Course:
    """The course, raising the first :class:`LessonError` (for tests and authors)."""
    course = load_course(directory)
    if course.errors:
        raise course.errors[0]
    return course


# ------------------------------------------------------------------ what a page needs


def widget_mounts(lesson: Lesson) -> tuple[dict[str, dict], list[str]]:
    """Per widget id, what lesson.js mounts (type, state, module or page, whether the module is there yet),
    and the style sheets of the lesson's widget types (those that exist), in table order."""
    mounts, sheets = {}, []
    for wid, use in lesson.widgets.items():
        spec = WIDGET_TYPES[use["type"]]
        mount = {"type": use["type"], "state": use["state"], "title": spec["title"]}
        if "page" in spec:
            mount["page"] = spec["page"]
        else:
            mount["module"] = spec["module"]
            mount["missing"] = not (ROOT / "static" / spec["module"]).is_file()
        mounts[wid] = mount
        sheets += [s for s in spec.get("css", []) if s not in sheets and (ROOT / "static" / s).is_file()]
    return mounts, sheets
