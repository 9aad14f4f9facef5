"""A class in Chromium: a server of the module's own, the instructor's page at a projector's 1024×768 and
phone-sized student pages (390×844, touch), each failing its test on any page error."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from app.cli import free_port
from tests.app.features.classroom.conftest import command

from ..conftest import SCREENSHOTS
from ..restartable import REFUSED, wait_engine_ready

PROJECTOR = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
# While a server restarts, Chromium logs each refused attempt itself; that is the network, not the page.
AWAY = (REFUSED, re.compile(r"^Failed to load resource: net::ERR_CONNECTION_REFUSED$"))


@pytest.fixture(scope="module")
def class_server(tmp_path_factory):
    """``convscope`` on a loopback port, its classes in a folder of the module's own; its base URL."""
    port = free_port()
    with command(data=tmp_path_factory.mktemp("class-data"), port=port) as (_, log):
        url = f"http://localhost:{port}/"
        wait_engine_ready(url)
        yield url
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


class Pages:
    """Pages in contexts of their own (one browser profile each: a device), closed at the end."""

    def __init__(self, browser, ignore_away: bool = False):
        self.browser, self.ignore_away = browser, ignore_away
        self.contexts = []
        self.errors: list[str] = []

    def open(self, size: dict, phone: bool = False):
        context = self.browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, reduced_motion="reduce")
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{size}: {e}"))

        def console(m):
            if m.type == "error" and not (self.ignore_away and any(p.match(m.text) for p in AWAY)):
                self.errors.append(f"{size}: {m.text}")

        page.on("console", console)
        return page

    def instructor(self):
        return self.open(PROJECTOR)

    def phone(self):
        return self.open(PHONE, phone=True)

    def close(self):
        for context in self.contexts:
            context.close()


@contextmanager
def pages_of(browser, ignore_away: bool = False):
    pages = Pages(browser, ignore_away)
    try:
        yield pages
    finally:
        pages.close()
    assert not pages.errors, f"the pages reported errors: {pages.errors}"


@pytest.fixture
def pages(browser):
    with pages_of(browser) as made:
        yield made


def start_class(page, url: str, path: str = "playground") -> str:
    """On the instructor's page at ``path``: the Class button, then "Start a class"; returns the code."""
    page.goto(url + path)
    page.click(".class-chip")
    page.click('[data-act="start"]')
    page.wait_for_function("window.convscopeClass.state.code")
    return page.evaluate("window.convscopeClass.state.code")


def join(phone, url: str, code: str):
    """A phone scans the QR code (the join address with the code): it joins and goes to the class's page."""
    phone.goto(f"{url}join?code={code}")
    phone.wait_for_function("window.convscopeClass?.role === 'student'", timeout=20_000)
    phone.wait_for_function("window.convscopeClass.state.seq > 0")


def headcount(page, n: int):
    page.wait_for_function(f"window.convscopeClass.state.count === {n}", timeout=20_000)


def shot(page, name: str) -> None:
    """What the screen shows now (fixed bars where they are), under screenshots/ to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - innerWidth")
