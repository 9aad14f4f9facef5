"""Fixtures shared by the app and browser tests: a real server on a loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_server(port: int, **env: str):
    """Start ``convscope`` as a user would (extra environment in ``env``), read the URL it
    prints, wait until it answers; stop it afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://\S+/)", line)
        assert match, f"convscope printed no URL: {line!r}"
        url = match.group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def server_url():
    with running_server(8901) as url:
        yield url
