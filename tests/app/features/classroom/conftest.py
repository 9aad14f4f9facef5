"""A class on a server of the test's own: in this process (its store in a file under the test's folder),
or as the ``convscope`` command with its options (``--class``, ``--redis``), and the pages of a class."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.cli import free_port
from app.features.classroom.room import configure
from app.features.classroom.routes import install
from app.features.classroom.store import MemoryStore
from app.pages import create_app

from ....conftest import ROOT
from ...conftest import Answer, Page, serve


def device() -> str:
    """A device id as a student page makes one (crypto.randomUUID, kept in localStorage)."""
    return secrets.token_hex(12)


def push(page: Page, type_name: str, timeout: float = 10) -> Answer:
    """The next frame of ``type_name`` the server pushes to ``page`` (id null), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        frame = page.recv(timeout=max(0.01, deadline - time.monotonic()))
        if frame.id is None and frame.type == type_name:
            return frame


def nothing_pushed(page: Page, seconds: float = 0.4) -> list[str]:
    """The types of the frames pushed to ``page`` within ``seconds`` (for "nothing reached it")."""
    got = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(page.recv(timeout=left).type)
        except TimeoutError:
            break
    return got


@dataclass
class Teacher:
    page: Page
    code: str
    key: str

    def ask(self, type_name: str, params: dict | None = None) -> Answer:
        return self.page.ask(type_name, {"code": self.code, "key": self.key, **(params or {})})

    def poll(self, **params) -> Answer:
        return self.ask("class.poll", params)


class Classroom:
    """Pages of one server; ``teacher()`` starts a class."""

    def __init__(self, host: str):
        self.host = host
        self.http = f"http://{host}/"
        self.pages: list[Page] = []

    def page(self) -> Page:
        self.pages.append(Page(f"ws://{self.host}/ws"))
        return self.pages[-1]

    def teacher(self) -> Teacher:
        page = self.page()
        started = page.ask("class.start", {})
        assert started.type == "class.started", started.header
        return Teacher(page, started.meta["code"], started.meta["key"])

    def student(self, code: str, dev: str | None = None, **extra) -> Page:
        page = self.page()
        joined = page.ask("class.join", {"code": code, "device": dev or device(), **extra})
        assert joined.type == "class.joined", joined.header
        page.joined = joined
        return page

    def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.http + path.lstrip("/"), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def close(self):
        for p in self.pages:
            p.close()


@pytest.fixture
def classroom(tmp_path):
    """An in-process server whose classes live in this test's own file."""
    store = MemoryStore(tmp_path / "classes.json")
    configure(store, "http://localhost:8765/join", lan=False)
    app = create_app(warm=False)
    install(app)
    with serve(app) as host:
        room = Classroom(host)
        room.store = store
        yield room
        room.close()


@contextmanager
def command(*args: str, data: Path, port: int, env: dict | None = None, log: Path | None = None):
    """``convscope --no-browser --port PORT *args`` with its data folder at ``data``; yields (process, log path)
    once it answers /healthz; stopped politely (SIGTERM, as Ctrl+C) at the end."""
    data.mkdir(parents=True, exist_ok=True)
    log = log or data / f"server-{port}-{time.monotonic_ns()}.log"
    out = open(log, "w")  # noqa: SIM115 (closed below once the server has stopped)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port), *args],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1", CONVSCOPE_DATA_DIR=str(data), **(env or {})),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=15)
        out.close()


def printed_class(log: Path) -> tuple[str, str, str]:
    """(code, key, join address) as ``convscope --class`` printed them."""
    text = log.read_text()
    link = re.search(r"/class/teach#code=([A-Z0-9]{5})&key=([A-Za-z0-9_-]+)", text)
    join = re.search(r"Students join at (\S+) with the code", text)
    assert link and join, text
    return link.group(1), link.group(2), join.group(1)


def redis_binary() -> str:
    found = shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else "")
    if not found:
        pytest.fail("no redis-server to test the shared class store: install Debian's `redis-server` package")
    return found


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of this test's own on a free loopback port, nothing written to disk; stopped after."""
    port = free_port()
    log = tmp_path / "redis.log"
    command = [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=open(log, "w"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, f"redis-server did not start: {log.read_text()}"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
