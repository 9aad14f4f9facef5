"""Fixtures shared by the app and browser tests: a real server on a loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def server_url():
    """Start ``convscope`` as a user would, read the URL it prints, wait until it answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", "8901"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
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
