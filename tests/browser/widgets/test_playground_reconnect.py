"""The playground survives a server restart: a badge while it is away, then the same picture."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ..conftest import open_page
from .playground_helpers import assert_output_is_engines, open_playground, wait_shape

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = _free_port()  # chosen once: the restarted server must come back on the same port


# uvicorn itself rather than `convscope`: the command moves to the next free port while the
# old server's connections linger in TIME_WAIT, and a restart must come back on the same one.
SERVE = (
    "import uvicorn; from app.pages import create_app; "
    f"uvicorn.run(create_app(), host='127.0.0.1', port={PORT}, log_level='warning')"
)
# Chromium logs each refused attempt itself while the server is away; that is the network, not the page.
REFUSED = re.compile(r"^WebSocket connection to 'ws://localhost:\d+/ws' failed: .*ERR_CONNECTION_REFUSED$")


def _start() -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://localhost:{PORT}/healthz", timeout=2).read()
            return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.1)


def _stop(proc: subprocess.Popen):
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def own_server():
    """A server of this test's own, so stopping it leaves the other tests' server alone."""
    procs = [_start()]
    yield procs
    for proc in procs:
        if proc.poll() is None:
            _stop(proc)


@pytest.fixture
def page(browser):
    """As conftest's page, except that refused reconnection attempts are expected here."""
    with open_page(browser, ignore=lambda text: bool(REFUSED.match(text))) as pg:
        yield pg


def test_reconnects_by_itself_and_resends_the_state(page, own_server):
    url = f"http://localhost:{PORT}/"
    open_playground(page, url, "?s=2&p=1&kp=sobel_x&in=checkerboard&h=8&w=8")
    wait_shape(page, "4 × 4")
    page.get_by_label("Filter 1, row 1, column 1").fill("3")  # an edit that only the page knows
    page.wait_for_function("() => window.convscope.lastResult.params.kernels.values[0] === 3")

    _stop(own_server[0])
    badge = page.locator("#status")
    page.wait_for_function("() => document.querySelector('#status').textContent === 'Reconnecting…'")
    assert "reconnecting" in badge.get_attribute("class")
    old = page.evaluate("window.convscope.lastResult.meta")

    own_server.append(_start())
    page.wait_for_function("() => document.querySelector('#status').textContent === ''", timeout=20000)
    page.wait_for_function("old => window.convscope.lastResult.meta !== old", arg=old)  # a fresh answer
    assert page.evaluate("window.convscope.lastResult.params.kernels.values[0]") == 3  # the edit survived
    assert_output_is_engines(page)
    # and the page works as before
    page.locator("#ctl-stride").focus()
    page.locator("#ctl-stride").press("ArrowLeft")
    wait_shape(page, "8 × 8")
