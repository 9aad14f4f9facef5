"""The course: lessons/NN-slug.md files, checked and rendered (the format is lessons/FORMAT.md).

A lesson is YAML front matter (validated by :class:`LessonMeta`) and Markdown prose
with two kinds of blocks, ``::: widget id`` (a live widget's mount point) and
``::: question`` (a YAML body, validated by the :data:`Question` models). Every
question's right answer is computed by the engine (``check``, see
:mod:`app.lesson_checks`) and must agree with the author's; the page gets the
engine's answer. Any mistake raises :class:`LessonError` naming the file, the
line and the field.

This module reads the files, walks a lesson's blocks and links the course; the
models and question checks are :mod:`app.lesson_models`'s and the Markdown
rendering :mod:`app.lesson_render`'s (their public names are importable from here).
Lessons are parsed once and kept; a file whose modification time changes is read
again on the next request, so an author sees an edit on reload.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown_it.token import Token
from pydantic import ValidationError

from ..core.paths import LESSONS, STATIC
from ..features import TABLE
from .models import (
    ID,
    PLACEHOLDERS,
    ChoiceQuestion,
    LessonError,
    LessonMeta,
    Number,
    NumericQuestion,
    PredictQuestion,
    Question,
    QuestionBase,
    Strict,
    WidgetUse,
    check_question,
    first_error,
)
from .render import MD, html_token, matching_close, question_placeholder, render_prose

__all__ = [
    "FILE_NAME",
    "ID",
    "MD",
    "PLACEHOLDERS",
    "ChoiceQuestion",
    "Course",
    "Lesson",
    "LessonError",
    "LessonMeta",
    "Number",
    "NumericQuestion",
    "PredictQuestion",
    "Question",
    "QuestionBase",
    "Strict",
    "WidgetUse",
    "check_course",
    "lesson_files",
    "lessons_dir",
    "load_course",
    "parse_lesson",
    "split_front_matter",
    "widget_mounts",
]

FILE_NAME = re.compile(r"^(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


def lessons_dir() -> Path:
    """Where the course lives: ``$CONVSCOPE_LESSONS`` (tests point it at fixtures), else ``lessons/``."""
    return Path(os.environ.get("CONVSCOPE_LESSONS") or LESSONS)


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

    @property
    def summary_html(self) -> str:
        """The summary as the page shows it (the notation's subscripts, inline Markdown)."""
        return MD.renderInline(self.meta.summary)

    @property
    def objectives_html(self) -> list[str]:
        return [MD.renderInline(o) for o in self.meta.objectives]


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
        raise LessonError(
            path, "front matter", f"not valid YAML: {getattr(exc, 'problem', exc)}", mark.line + 2 if mark else None
        ) from None
    if not isinstance(meta, dict):
        raise LessonError(path, "front matter", "must be a YAML mapping of title, summary, …", 2)
    return meta, "".join(lines[end + 1 :]), end + 2


def parse_lesson(path: Path) -> Lesson:
    """Read, check and render one lesson file (cross-lesson checks are :func:`load_course`'s)."""
    match = FILE_NAME.match(path.name)
    if not match:
        raise LessonError(
            path, "file name", "must be NN-slug.md: two digits, a dash, lower-case words joined by dashes"
        )
    raw, body, first = split_front_matter(path.read_text(encoding="utf-8"), path)
    try:
        meta = LessonMeta.model_validate(raw)
    except ValidationError as exc:
        raise LessonError(path, *first_error(exc)) from None
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
                raise LessonError(
                    path,
                    "widget",
                    f"mount point '{wid}' is not declared in the front matter's widgets ({declared})",
                    line,
                )
            if wid in mounted:
                raise LessonError(
                    path,
                    "widget",
                    f"'{wid}' is mounted twice (lines {mounted[wid]} and {line}); declare a second widget",
                    line,
                )
            mounted[wid] = line
            t.meta["widget"] = wid
        elif t.type == "container_question_open":
            close = matching_close(tokens, i)
            source = "\n".join(lines[t.map[0] + 1 : t.map[1]])
            question = check_question(path, source, meta, line)
            if any(q["id"] == question["id"] for q in questions):
                raise LessonError(path, "id", f"question id '{question['id']}' is used twice", line)
            questions.append(question)
            out.append(html_token(question_placeholder(question)))
            i = close + 1
            continue
        elif t.type == "inline" and t.content.lstrip().startswith(":::"):
            raise LessonError(
                path,
                "block",
                f"unknown block '{t.content.strip()}'; the blocks are '::: widget id' and '::: question'",
                line,
            )
        out.append(t)
        i += 1
    unmounted = [w for w in meta.widgets if w not in mounted]
    if unmounted:
        raise LessonError(
            path, f"widgets.{unmounted[0]}", "is declared but has no mount point ('::: widget " + unmounted[0] + "')"
        )
    return Lesson(
        number=int(match.group(1)),
        slug=match.group(2),
        path=path,
        meta=meta,
        html=render_prose(out, meta),
        widgets={k: v.model_dump() for k, v in meta.widgets.items()},
        questions=questions,
    )


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

    def choice_plan(self) -> list[tuple[str, int]]:
        """Every choice question of the course in order, as ("slug/id", number of choices): a lesson page
        orders its choices from the whole course's (choices.js), so the right answer's position is
        balanced across the course for each learner."""
        return [
            (f"{lesson.slug}/{q['id']}", len(q["choices"]))
            for lesson in self.lessons
            for q in lesson.questions
            if q["kind"] == "choice"
        ]


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
                raise LessonError(
                    lesson.path, "file name", f"the slug '{lesson.slug}' is also {seen[lesson.slug].path.name}'s"
                )
            if lesson.number in numbers:
                raise LessonError(
                    lesson.path, "file name", f"number {lesson.number:02d} is also {numbers[lesson.number].path.name}'s"
                )
            for slug in lesson.meta.prerequisites:
                if files.get(slug, lesson.number) >= lesson.number:
                    reason = (
                        "is not a lesson"
                        if slug not in files
                        else "is this lesson"
                        if slug == lesson.slug
                        else "comes later in the course"
                    )
                    raise LessonError(
                        lesson.path,
                        "prerequisites",
                        f"'{slug}' {reason}; a prerequisite must be an earlier lesson's slug",
                    )
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
    """Per widget id, what lesson.js mounts (type, state, module, whether the module is there yet),
    and the style sheets of the lesson's widget types (those that exist), in table order."""
    mounts, sheets = {}, []
    for wid, use in lesson.widgets.items():
        spec = TABLE.widgets[use["type"]]
        mounts[wid] = {
            "type": use["type"],
            "state": use["state"],
            "title": spec.title,
            "module": spec.module,
            "missing": not (STATIC / spec.module).is_file(),
        }
        sheets += [s for s in spec.css if s not in sheets and (STATIC / s).is_file()]
    return mounts, sheets
