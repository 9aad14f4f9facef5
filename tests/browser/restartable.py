"""A server of a test's own that the test can kill and start again on the same port.

It is started as ``running_server`` starts one (tests/conftest.py): ``convscope`` itself on a
loopback port, its output in a log file, ready once ``/healthz`` answers. ``kill()`` sends
SIGKILL, as a crash or a pulled plug would: nothing is closed politely. ``start()`` again comes
back on the same port (the command takes its port back while old connections linger).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import open_page

ROOT = Path(__file__).resolve().parents[2]
# Chromium logs each refused attempt itself while the server is away; that is the network, not the page.
REFUSED = re.compile(r"^WebSocket connection to 'ws://[^']+/ws' failed: .*ERR_CONNECTION_REFUSED$")


def wait_engine_ready(url: str, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while not json.loads(urllib.request.urlopen(url + "healthz", timeout=5).read())["engine_ready"]:
        assert time.monotonic() < deadline, "the engine did not warm up"
        time.sleep(0.2)


class Server:
    def __init__(self):
        self.port = 0  # the first start takes any free port (none taken between a check and a bind); restarts reuse it
        self.url = ""
        self.log = Path(tempfile.mkdtemp(prefix="convscope-log-")) / "server.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        out = open(self.log, "a")  # noqa: SIM115 (the child holds it; closed below once handed over)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(self.port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        out.close()
        deadline = time.monotonic() + 60
        while not self.port:
            printed = re.search(r"http://[^\s:/]+:(\d+)/", self.log.read_text())
            if printed:
                self.port = int(printed.group(1))
                self.url = f"http://localhost:{self.port}/"
            elif time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError(f"convscope printed no URL: {self.log.read_text()!r}")
            else:
                time.sleep(0.02)
        while True:
            try:
                urllib.request.urlopen(self.url + "healthz", timeout=2).read()
                return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    raise RuntimeError(f"convscope did not come up: {self.log.read_text()!r}") from None
                time.sleep(0.1)

    def wait_warm(self, seconds: float = 120):
        """Until the engine's kernels are compiled (or loaded): before that the server trains with
        their NumPy twins, equal to the kernels only within float rounding (engine/jit.py)."""
        wait_engine_ready(self.url, seconds)

    def kill(self):
        """SIGKILL: the server dies mid-sentence, its sockets reset by the system."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def own_server():
    """A server of this test's own, so killing it leaves the other tests' server alone."""
    server = Server().start()
    yield server
    server.stop()


@pytest.fixture
def away_page(browser):
    """As conftest's page, except that refused reconnection attempts are expected here."""
    with open_page(browser, ignore=lambda text: bool(REFUSED.match(text))) as pg:
        yield pg
