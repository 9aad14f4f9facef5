"""House style, checked with the tests: ruff on the Python, one line width for Python and JavaScript."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDTH = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["line-length"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = ruff("check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout[-3000:]


def test_the_python_is_formatted():
    result = ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout[-3000:]


def test_javascript_lines_keep_the_python_width():
    long = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "static" / "js").rglob("*.js"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if len(line) > WIDTH
    ]
    assert not long, f"{len(long)} lines longer than {WIDTH}: {long[:10]}"
