"""A poll: what students see, what they answer, how answers are bucketed and counted, the results as CSV.

Every answer is reduced to a bucket key (an option's index, a number as text, a shape's text
without spaces), so counting is one atomic increment per answer in either store, and the
histogram, the share right and the most common wrong answers are read off the counts.
The right answer and its working stay on the server until the instructor reveals them.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import math
import re
from dataclasses import asdict, dataclass, field

# What a student gives: an option's index, a number, or a short text (a shape such as "16 × 16 × 16").
FORMS = ("choice", "value", "text")
TOP_WRONG = 3
MAX_BARS = 10


@dataclass
class PollRecord:
    id: int
    kind: str  # choice, number, predict or lesson: how the instructor made it
    form: str  # choice, value or text: what a student gives
    prompt: str
    answer: int | float | str  # the right option's index, the right number, or the right text
    answer_text: str  # the right answer as the projector shows it
    options: list[str] = field(default_factory=list)
    tolerance: float = 0.0
    working: str = ""  # the engine's working, shown at reveal
    source: str = ""  # where it came from: "lesson 06, question same-size", "the playground on stage"
    revealed: bool = False

    def for_students(self) -> dict:
        """What a student's page may see: never the answer or its working before the reveal."""
        view = {"id": self.id, "kind": self.kind, "form": self.form, "prompt": self.prompt, "options": self.options}
        return view | ({"revealed": True, **self.answer_view()} if self.revealed else {"revealed": False})

    def for_instructors(self) -> dict:
        return asdict(self)

    def answer_view(self) -> dict:
        return {"answer": self.answer, "answer_text": self.answer_text, "working": self.working}

    @classmethod
    def from_dict(cls, data: dict) -> PollRecord:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def plain(markup: str) -> str:
    """A lesson's inline HTML as text for a phone (the page puts it in as text, never as markup)."""
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


def number_text(v: float) -> str:
    """A number as a bucket and a label: whole numbers without a point, no float noise, a real minus sign."""
    v = float(v)
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return text.replace("-", "\u2212")


def shape_text(text: str) -> str:
    """A shape or word answer compared as the lessons compare them: no spaces, x or * read as ×, any case."""
    text = re.sub(r"\s+", "", text).lower()
    return text.replace("x", "×").replace("*", "×")


def bucket(poll: PollRecord, choice: int | None, value: float | None, text: str | None) -> str | None:
    """The key an answer is counted under, or None when it is not the kind of answer the poll takes."""
    if poll.form == "choice":
        return str(choice) if choice is not None and 0 <= choice < len(poll.options) else None
    if poll.form == "value":
        return number_text(value) if value is not None else None
    return shape_text(text) if text is not None else None


def is_right(poll: PollRecord, key: str) -> bool:
    if poll.form == "choice":
        return key == str(poll.answer)
    if poll.form == "value":
        try:
            given = float(key.replace("\u2212", "-"))
        except ValueError:
            return False
        scale = max(1.0, abs(float(poll.answer)))
        # The engine computes in float32; and 2.6 − 2.5 is a hair over 0.1 in binary.
        slack = max(poll.tolerance, 1e-6 * scale) + 1e-9 * scale
        return math.isfinite(given) and abs(given - float(poll.answer)) <= slack
    return key == shape_text(str(poll.answer))


def label(poll: PollRecord, key: str) -> str:
    if poll.form == "choice":
        return poll.options[int(key)] if key.isdigit() and int(key) < len(poll.options) else key
    return key


def tally(poll: PollRecord, counts: dict[str, int]) -> dict:
    """The histogram (every option of a choice; the most given values otherwise), the share right and
    the most common wrong answers with their counts."""
    counts = {k: n for k, n in counts.items() if n > 0}
    total = sum(counts.values())
    right = sum(n for k, n in counts.items() if is_right(poll, k))
    if poll.form == "choice":
        keys = [str(i) for i in range(len(poll.options))]
    else:
        keys = sorted(counts, key=lambda k: (-counts[k], k))[:MAX_BARS]
    bars = [{"key": k, "label": label(poll, k), "count": counts.get(k, 0), "right": is_right(poll, k)} for k in keys]
    other = total - sum(b["count"] for b in bars)
    wrong = sorted((k for k in counts if not is_right(poll, k)), key=lambda k: (-counts[k], k))[:TOP_WRONG]
    return {
        "poll": poll.id,
        "total": total,
        "right": right,
        "share_right": right / total if total else 0.0,
        "bars": bars,
        "other": other,
        "wrong": [{"label": label(poll, k), "count": counts[k]} for k in wrong],
    }


def student_tag(device: str) -> str:
    """An anonymous, stable name for a device in the results: never the id itself (it answers for the device)."""
    return hashlib.sha256(device.encode()).hexdigest()[:10]


def _cell(value) -> str | int:
    """A cell a spreadsheet shows as text: one starting with =, +, -, @ would be read as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def results_csv(polls: list[PollRecord], answers: dict[int, dict[str, str]], nicknames: dict[str, str]) -> str:
    """Every answer of every poll: one row each, with whether it was right."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["poll", "kind", "prompt", "right_answer", "student", "nickname", "answer", "right"])
    for poll in polls:
        for device, key in sorted(answers.get(poll.id, {}).items(), key=lambda item: student_tag(item[0])):
            row = [
                poll.id,
                poll.kind,
                poll.prompt,
                poll.answer_text,
                student_tag(device),
                nicknames.get(device, ""),
                label(poll, key),
                "yes" if is_right(poll, key) else "no",
            ]
            writer.writerow([_cell(v) for v in row])
    return out.getvalue()
