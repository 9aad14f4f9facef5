"""How the course grades and asks: whole answers exactly and real ones within a stated tolerance
(the lesson format refuses anything else); every answer that is a number or a shape is computed by
the engine; the right choice sits at every position about equally often across the course; an
explanation says "you answered", "you chose" or "you predicted" as the question's kind has it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from app.lessons.course import LessonError, check_course, lesson_files, parse_lesson

ROOT = Path(__file__).resolve().parents[3]
COURSE = lesson_files(ROOT / "lessons")
IDS = [p.stem for p in COURSE]
NUMBER = r"(?:[a-z]+ )?[−-]?\d+(?:\.\d+)?(?:\s*×\s*\d+)*"
COMPUTABLE = re.compile(rf"{NUMBER}(?:[,;] {NUMBER})*")  # "0.142", "26 × 26 × 12", "mean 1, variance 4"

LESSON = """---
title: A lesson
summary: One line.
objectives: [Do a thing]
widgets:
  demo: {{type: pool, state: {{poolStride: 2}}}}
---

::: widget demo
:::

::: question
id: q
kind: numeric
prompt: How much?
{fields}
explain: "{{work}}. You predicted {{given}}."
:::
"""


def write(tmp_path: Path, fields: str) -> Path:
    path = tmp_path / "01-a-lesson.md"
    path.write_text(LESSON.format(fields=fields), encoding="utf-8")
    return path


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html).replace("x", "×").strip().lower()


def test_a_whole_answer_is_graded_exactly(tmp_path):
    lesson = parse_lesson(write(tmp_path, "answer: 3\ncheck: {fn: output_size, n: 7, k: 3, s: 2}"))
    assert lesson.questions[0]["answer"] == 3 and lesson.questions[0]["tolerance"] == 0
    with pytest.raises(LessonError, match=r"question q, tolerance: the answer 3 is whole and is graded exactly"):
        parse_lesson(write(tmp_path, "answer: 3\ntolerance: 0.5\ncheck: {fn: output_size, n: 7, k: 3, s: 2}"))
    # No margin for an author either: 67,108,800 is not 67,108,864.
    with pytest.raises(LessonError, match=r"question q, answer: the author's answer is 67108800"):
        parse_lesson(
            write(tmp_path, "answer: 67108800\ncheck: {fn: dense_params, n_in: 65536, n_out: 1024, bias: false}")
        )


def test_a_real_answer_needs_a_tolerance(tmp_path):
    spec = "check: {fn: pool_value, input: [[3, 0], [1, 5]], window: 2, stride: 2, row: 0, col: 0, mode: avg}"
    with pytest.raises(LessonError, match=r"question q, tolerance: the answer 2.25 is not whole"):
        parse_lesson(write(tmp_path, f"answer: 2.25\n{spec}"))
    lesson = parse_lesson(write(tmp_path, f"answer: 2.2\ntolerance: 0.1\n{spec}"))
    assert lesson.questions[0]["answer"] == 2.25 and lesson.questions[0]["tolerance"] == 0.1
    with pytest.raises(LessonError, match=r"question q, answer: the author's answer is 2.1"):
        parse_lesson(write(tmp_path, f"answer: 2.1\ntolerance: 0.1\n{spec}"))


def test_the_verb_follows_the_kind_of_question(tmp_path):
    """The fixture's numeric question says "You predicted {given}"; the page says what the learner did."""
    explain = parse_lesson(write(tmp_path, "answer: 3\ncheck: {fn: output_size, n: 7, k: 3, s: 2}")).questions[0]
    assert "You answered {given}" in explain["explain"] and "predicted" not in explain["explain"]


@pytest.mark.parametrize("path", COURSE, ids=IDS)
def test_every_explanation_says_what_the_learner_did(path):
    words = {"numeric": "answered", "choice": "chose", "predict": "predicted"}
    for q in parse_lesson(path).questions:
        said = set(re.findall(r"\b[Yy]ou (answered|chose|picked|predicted)\b", q["explain"] + (q["hint_wrong"] or "")))
        assert said <= {words[q["kind"]]}, f"{path.name}: {q['id']} ({q['kind']}) says 'you {said}'"


@pytest.mark.parametrize("path", COURSE, ids=IDS)
def test_every_computable_answer_has_an_engine_check(path):
    """Numeric and predict questions need a check to load; a choice whose right answer is a number, a
    shape or a list of labelled numbers must have one too, so the engine computed what it marks right."""
    for q in parse_lesson(path).questions:
        if q["kind"] != "choice":
            assert q["work"], f"{path.name}: {q['id']} has no working"
            continue
        right = plain(q["choices"][q["answer"]])
        if COMPUTABLE.fullmatch(right):
            assert q["work"], f"{path.name}: choice {q['id']} marks {right!r} right without an engine check"


def test_the_computable_pattern():
    for text in ("0.142", "26 × 26 × 12", "mean 1, variance 4", "3", "−1.8"):
        assert COMPUTABLE.fullmatch(text), text
    for text in ("rotating by 180°", "4 for the cell that held 4, and 0 for the others", "it stays the same"):
        assert not COMPUTABLE.fullmatch(text), text


def test_the_right_choice_is_spread_over_the_positions():
    """Across the course, as the files list them: every position of a four-way choice is right about as
    often as any other (the page then shuffles them per learner)."""
    course = check_course(ROOT / "lessons")
    four = Counter(
        q["answer"]
        for lesson in course.lessons
        for q in lesson.questions
        if q["kind"] == "choice" and len(q["choices"]) == 4
    )
    assert set(four) == {0, 1, 2, 3}, four
    assert max(four.values()) - min(four.values()) <= 2, four
