"""Fixtures shared by the app and browser tests: a real server on a loopback port."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


# -- Running in parallel (``pytest -n auto``, pytest-xdist) -------------------------------------
# Each worker starts its own servers on free ports. Two things are shared and handled here:
# the kernel cache, compiled once by the controller before any worker starts (or every worker
# and every server it starts would compile the same kernels at once), and the machine itself:
# a test marked ``serial`` measures time or memory, so it runs alone. Every test holds a shared
# lock for its run; a serial test holds it exclusively, waiting for the other workers' current
# tests to end and keeping them from starting their next one until it has finished.


def _parallel_controller(config) -> bool:
    return not hasattr(config, "workerinput") and (config.getoption("numprocesses", None) or 0) not in (0, "0")


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    if _parallel_controller(session.config):
        # A separate process, so the controller does not hold the engine in memory for the whole run.
        subprocess.run([sys.executable, "-c", "from engine.warmup import warm_up; warm_up()"], cwd=ROOT, check=True)


def _lock_dir(tmp_path_factory) -> Path:
    # Under xdist each worker's base temp is popen-gwN inside one directory of the run: shared by all.
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(autouse=True)
def _machine_share(request, tmp_path_factory):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    serial = request.node.get_closest_marker("serial") is not None
    folder = _lock_dir(tmp_path_factory)
    # The turnstile keeps a waiting serial test from being overtaken by the shared locks forever.
    with open(folder / "turnstile.lock", "a+") as turnstile, open(folder / "machine.lock", "a+") as machine:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(machine, fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
        finally:
            if not serial:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(machine, fcntl.LOCK_UN)
            if serial:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


SERVER_PIDS: dict[int, int] = {}  # port → process of the servers this process started


@contextmanager
def running_server(port: int, log: Path | None = None, host: str = "127.0.0.1", **env: str):
    """Start ``convscope`` as a user would (extra environment in ``env``), read the URL it
    prints, wait until it answers; stop it afterwards. Its output goes to ``log`` (a file, so
    a server that logs a lot never blocks on a full pipe), which tests may read."""
    if log is None:
        log = Path(tempfile.mkdtemp(prefix="convscope-log-")) / "server.log"
    out = open(log, "w")  # noqa: SIM115 (closed in the finally below, after the server stops)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port), "--host", host],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **env),
    )
    try:
        deadline = time.monotonic() + 30
        match = None
        while match is None:
            match = re.search(r"(http://\S+/)", log.read_text())
            assert match or (proc.poll() is None and time.monotonic() < deadline), (
                f"convscope printed no URL: {log.read_text()!r}"
            )
            time.sleep(0.02)
        url = match.group(1)
        SERVER_PIDS[port_of(url)] = proc.pid  # found by its port, which `--port 0` leaves out of the command line
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
        out.close()


def server_rss_mb(port: int) -> float:
    """The resident memory of the server this suite started on ``port``, in MB (read from /proc)."""
    if port in SERVER_PIDS:
        status = Path(f"/proc/{SERVER_PIDS[port]}/status").read_text()
        return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if b"app.cli" in cmd and str(port).encode() in cmd:
            return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024
    raise LookupError(f"no server on port {port}")


def port_of(url: str) -> int:
    return urlsplit(url).port


@pytest.fixture(scope="session")
def server_url():
    # Any free port, chosen by the system as the server binds: another run of the suite, or another
    # worker of this one (`-n`), must neither answer for this one nor take its port first.
    with running_server(0) as url:
        # Until its warm-up has compiled the kernels, a server answers with their NumPy twins, equal
        # to them only to float rounding; the suite compares answers with the engine bit for bit.
        # (The cold start itself is tested on servers of its own: tests/app/test_cold_start.py.)
        deadline = time.monotonic() + 600
        while not json.loads(urllib.request.urlopen(url + "healthz", timeout=5).read())["engine_ready"]:
            assert time.monotonic() < deadline, "the server's warm-up did not end in 10 minutes"
            time.sleep(0.2)
        yield url
