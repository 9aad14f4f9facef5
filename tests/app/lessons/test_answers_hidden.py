"""No question's answer is printed above it: everything a learner can read before answering (the
lesson's head, the prose and captions, the question's own prompt, and earlier questions with their
choices, explanations, hints and working) is scanned for the answer, as a number in any of the ways
a page writes one (67,108,864; 67 108 864; 2²⁶; 1.6 billion; −7) or as a shape (24 × 24 × 10).
Small whole numbers (below 10) are left out: they appear everywhere as sizes and counts."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from app.lessons.course import lesson_files, parse_lesson

ROOT = Path(__file__).resolve().parents[3]
COURSE = lesson_files(ROOT / "lessons")
SMALL = 10  # whole answers below this are too common to scan for
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain_text(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags dropped, entities read, spaces of any kind as one."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return re.sub(r"[\s\u00a0\u2009\u202f]+", " ", text)


def fill(template: str, q: dict) -> str:
    """An explanation as shown after an answer: the working and the right answer in their places."""
    return template.replace("{work}", html.escape(q["work"])).replace("{answer}", q["answer_html"])


def readable_before(lesson) -> list[tuple[dict, str]]:
    """(question, the text a learner can read before answering it) for every question of a lesson."""
    head = " ".join([lesson.meta.title, lesson.meta.summary, *lesson.meta.objectives])
    out, earlier = [], []
    for q in lesson.questions:
        start = lesson.html.index(f'<section class="question" data-question="{q["id"]}"')
        end = lesson.html.index("</section>", start)
        shown = [head, plain_text(lesson.html[:end])]
        for e in earlier:
            shown += [plain_text(c) for c in e.get("choices", [])]
            shown += [plain_text(fill(e["explain"], e)), plain_text(fill(e["hint_wrong"] or "", e)), e["work"]]
        out.append((q, " ".join(shown)))
        earlier.append(q)
    return out


def number_forms(value: float) -> list[str]:
    """The ways a page may print ``value``: plain, with digit groups, as a power of two or in words."""
    if isinstance(value, float) and not value.is_integer():
        text = f"{abs(value):g}"
        return [f"{sign}{text}" for sign in ("−", "-")] if value < 0 else [text]
    v = int(value)
    digits = str(abs(v))
    forms = {digits, f"{abs(v):,}", f"{abs(v):,}".replace(",", " ")}
    if v >= 1024 and v & (v - 1) == 0:
        forms.add("2" + str(v.bit_length() - 1).translate(SUPERSCRIPT))
    for word, unit in (("billion", 10**9), ("million", 10**6)):
        if v >= unit and (v * 100) % unit == 0:
            forms.add(f"{v / unit:g} {word}")
    return [f"{sign}{f}" for f in forms for sign in ("−", "-")] if v < 0 else sorted(forms)


def printed(value, text: str) -> str | None:
    """The first form of ``value`` that ``text`` holds as a whole number (not part of a longer one)."""
    for form in number_forms(value):
        # Not inside a longer number (1,031 holds no 31), and a positive form not under a minus sign.
        pattern = r"(?<![\d\u2212\-])(?<!\d[.,])" + re.escape(form) + r"(?![\d])(?![.,]\d)(?!\s?\d{3}\b)"
        if re.search(pattern, text):
            return form
    return None


def shape_printed(shape: str, text: str) -> bool:
    """A shape answer ("24 × 24 × 10") in the text, spaced in any way, x or × (not inside a longer shape)."""
    parts = [p.strip() for p in re.split(r"[×x*]", shape)]
    pattern = r"(?<![\d×])" + r"\s*[×x]\s*".join(map(re.escape, parts)) + r"(?!\s*[×x]?\s*\d)"
    return re.search(pattern, text) is not None


def answer_of(q: dict):
    """The answer a learner must find: the engine's number or shape, or the right choice's text."""
    if q["kind"] != "choice":
        return q["answer"]
    text = plain_text(q["choices"][q["answer"]]).strip()
    try:
        number = float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def leak(q: dict, text: str) -> str | None:
    """How the answer shows in ``text``, or None."""
    answer = answer_of(q)
    if isinstance(answer, str):
        if re.fullmatch(r"\d+(\s*[×x]\s*\d+)+", answer):
            return answer if shape_printed(answer, text) else None
        return None  # words: a choice names its idea; that is not a printed answer
    if isinstance(answer, int) and abs(answer) < SMALL:
        return None
    return printed(answer, text)


@pytest.mark.parametrize("path", COURSE, ids=[p.stem for p in COURSE])
def test_no_answer_is_printed_above_its_question(path):
    lesson = parse_lesson(path)
    found = [(q["id"], how) for q, text in readable_before(lesson) if (how := leak(q, text))]
    assert not found, f"{path.name}: answers printed above their questions: {found}"


# ---------------------------------------------------------------- the scan itself


@pytest.mark.parametrize(
    "value, text",
    [
        (67108864, "over 67,108,864 numbers"),
        (67108864, "that is 2²⁶ weights"),
        (1600000000, "about 1.6 billion weights"),
        (4000000, "falls to 4 million"),
        (4000000, "falls to 4 000 000"),
        (-7, "the response is −7 here"),
        (2.25, "the mean is 2.25."),
        (31, "the fourth is 31"),
    ],
)
def test_the_scan_finds_a_printed_number(value, text):
    assert printed(value, text)


@pytest.mark.parametrize(
    "value, text",
    [
        (31, "it is 310 wide"),
        (31, "it is 1,031 wide"),
        (31, "it is 3.1 wide"),
        (7, "it is 17 wide"),
        (30, "−30 along the edge"),
        (2.25, "it is 12.25 wide"),
        (4000000, "a 4 × 4 window"),
    ],
)
def test_the_scan_does_not_see_a_number_inside_another(value, text):
    assert printed(value, text) is None


def test_the_scan_finds_a_shape_but_not_inside_a_longer_one():
    assert shape_printed("24 × 24 × 10", "a volume of 24×24×10 values")
    assert shape_printed("3 × 3 × 2", "the output is 3 x 3 x 2.")
    assert not shape_printed("3 × 3 × 2", "a 13 × 3 × 2 block")
    assert not shape_printed("3 × 3 × 2", "a 3 × 3 × 20 block")
    assert not shape_printed("3 × 3 × 2", "a 3 × 3 × 2 × 4 block")
