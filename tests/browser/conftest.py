"""Chromium for the browser tests: Debian's package when installed, else Playwright's own.

CI installs Debian's chromium (see .ci/run); on a developer's machine
``playwright install chromium`` works as well. With neither, the tests fail
with a message saying how to get one; they are never skipped.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _debian_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        path = _debian_chromium()
        try:
            b = p.chromium.launch(executable_path=path, args=FLAGS) if path else p.chromium.launch(args=FLAGS)
        except Exception as exc:  # noqa: BLE001 (re-raised with advice)
            raise RuntimeError(
                "no Chromium to run the browser tests: install Debian's `chromium` package "
                "or run `playwright install chromium`"
            ) from exc
        yield b
        b.close()


@contextmanager
def open_page(browser, ignore=lambda text: False):
    """A fresh 1280×800 page that fails the test on any page error or console error not ignored."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" and not ignore(m.text) else None)
    yield pg
    context.close()
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def page(browser):
    with open_page(browser) as pg:
        yield pg


def screenshot(pg, name: str) -> Path:
    """Save a screenshot under screenshots/ (ignored by git) to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
