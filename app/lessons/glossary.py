"""The course's notation, for the glossary page: the "Notation" section of lessons/FORMAT.md,
rendered as the lessons are (so the table a learner reads is the one authors write by)."""

from __future__ import annotations

import functools
import re

from ..core.paths import LESSONS
from .render import MD

FORMAT = LESSONS / "FORMAT.md"
SECTION = "## Notation"


def notation_markdown(text: str) -> str:
    """The table of FORMAT.md's Notation section (its prose is for authors)."""
    start = text.index(SECTION) + len(SECTION)
    end = re.compile(r"^## ", re.MULTILINE).search(text, start)
    section = text[start : end.start() if end else len(text)]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


@functools.cache
def _rendered(mtime_ns: int) -> str:
    return MD.render(notation_markdown(FORMAT.read_text(encoding="utf-8")))


def notation_html() -> str:
    """The section as HTML, read again when FORMAT.md changes."""
    return _rendered(FORMAT.stat().st_mtime_ns)
