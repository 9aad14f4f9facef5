"""Where the app's files are: templates, static files and lessons.

In a checkout they are the top-level folders beside ``app/``; an installed wheel
carries them as ``app/files/<name>`` (pyproject.toml maps them there), so the app
starts from any directory either way.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # app/


def _folder(name: str) -> Path:
    installed = _PACKAGE / "files" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


TEMPLATES = _folder("templates")
STATIC = _folder("static")
LESSONS = _folder("lessons")
