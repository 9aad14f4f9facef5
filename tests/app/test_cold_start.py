"""A cold or unusable kernel cache, through a real server on loopback: the page answers at once, and never a traceback.

With an empty cache the kernels take 15–35 s to compile in the background; the
first convolution is answered meanwhile by the kernels' NumPy twins (engine.jit).
That it is answered while /healthz still says ``engine_ready: false`` is the
proof that the twins answered, with no timing in the test (tests/bench/cold_start.py
measures the times). A read-only cache is read and left as it was; an unusable
one, or none at all (no temp dir either), is said in one log line.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from engine import conv2d, max_pool2d
from tests.engine.fs import listing, read_only_tree
from tests.engine.reference import assert_close

from ..conftest import ROOT, running_server
from .conftest import Page, grid_params, health, ok_params

# Cold starts compile every kernel, timed against the page: alone under `-n`.
pytestmark = pytest.mark.serial

CACHE_LINE = "kernel cache"  # every line engine.jit logs about the cache says this


def cache_env(cache: Path, **more: str) -> dict[str, str]:
    """The server's cache settings: ``cache`` asked for, and nothing of this machine's own caches to fall back on."""
    return {"CONVSCOPE_CACHE_DIR": str(cache), "XDG_CACHE_HOME": str(cache.parent / "xdg"), **more}


def answers_correctly(url: str) -> None:
    """The page is served, and a convolution and a max pool sent right away come back with the engine's numbers."""
    assert urllib.request.urlopen(url + "playground", timeout=10).status == 200
    rng = np.random.default_rng(5)
    x = rng.uniform(-5, 5, (2, 9, 8)).astype(np.float32)  # (C, H, W)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)  # (F, C, KH, KW)
    b = rng.standard_normal(3).astype(np.float32)  # (F,)
    with Page(url.replace("http://", "ws://") + "ws") as page:
        first = page.ask("conv.run", ok_params(), timeout=30)
        assert first.type == "conv.result", first.header
        np.testing.assert_array_equal(first.arrays["output"][0], [[45, 110], [40, 40]])  # seed 001, to the digit
        answer = page.ask("conv.run", grid_params(x, w, b, stride=[2, 1], padding=[1, 0, 2, 1], dilation=[1, 2]))
        expected = conv2d(x[None], w, b, (2, 1), (1, 0, 2, 1), (1, 2))[0]  # (F, OH, OW) by the compiled kernel
        assert_close(answer.arrays["output"], expected, 1e-4, "conv.run output")
        pooled = page.ask("pool.run", {"input": grid_params(x, w)["input"], "mode": "max", "kernel": [2, 2]})
        y, winners = max_pool2d(x[None], 2)  # (1, C, OH, OW) each
        np.testing.assert_array_equal(pooled.arrays["output"], y[0])
        np.testing.assert_array_equal(pooled.arrays["winners"], winners[0])


def log_lines(log: Path, wait: float = 20) -> list[str]:
    """The server's log once it has said something about the kernel cache (the warm-up's first compile does)."""
    deadline = time.monotonic() + wait
    while CACHE_LINE not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return log.read_text().splitlines()


def said_once(lines: list[str], words: str) -> None:
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    about_cache = [line for line in lines if CACHE_LINE in line]
    assert len(about_cache) == 1 and words in about_cache[0], "\n".join(lines)


def test_an_empty_cache_answers_the_first_convolution_while_the_kernels_compile(tmp_path):
    log = tmp_path / "server.log"
    with running_server(0, log=log, **cache_env(tmp_path / "cache")) as url:
        answers_correctly(url)
        assert health(url)["engine_ready"] is False  # answered by the twins: the kernels are still compiling
    lines = log.read_text().splitlines()
    assert not any("Traceback" in line or CACHE_LINE in line for line in lines), "\n".join(lines)


# Compiles (and saves) one kernel: a cache that holds something, not everything.
FILL = "import numpy as np; from engine import checks; checks.array('x', np.ones(3, np.float32), 1, '(N,)')"


def test_a_read_only_cache_is_read_and_left_alone(tmp_path):
    cache = tmp_path / "cache"
    subprocess.run([sys.executable, "-c", FILL], cwd=ROOT, env=cache_env(cache), check=True)
    before = listing(cache)
    log = tmp_path / "server.log"
    with read_only_tree(cache), running_server(0, log=log, **cache_env(cache)) as url:
        answers_correctly(url)
        said_once(log_lines(log), "is read-only")
    assert listing(cache) == before
    assert not (tmp_path / "xdg").exists()  # nothing written elsewhere instead


def test_an_unusable_cache_and_a_missing_tmpdir_are_replaced_in_one_line(tmp_path):
    (tmp_path / "file").write_text("a file where a directory should be")
    blocked = tmp_path / "file" / "cache"  # cannot be made, not even by root
    env = cache_env(blocked, XDG_CACHE_HOME=str(blocked), HOME=str(blocked), TMPDIR=str(tmp_path / "missing"))
    log = tmp_path / "server.log"
    with running_server(0, log=log, **env) as url:
        answers_correctly(url)
        said_once(log_lines(log), f"cannot use {blocked}")


# A machine with no usable temp dir at all: Python's tempfile may only try $TMPDIR.
NO_TEMP_DIR = """
import os, tempfile
tempfile.tempdir = None
tempfile._candidate_tempdir_list = lambda: [os.environ["TMPDIR"]]
"""


def test_with_no_writable_directory_at_all_the_kernels_compile_in_memory(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_TEMP_DIR)
    (tmp_path / "file").write_text("")
    blocked = tmp_path / "file" / "cache"
    env = cache_env(blocked, XDG_CACHE_HOME=str(blocked), HOME=str(blocked), TMPDIR=str(tmp_path / "missing"))
    log = tmp_path / "server.log"
    with running_server(0, log=log, PYTHONPATH=str(site), **env) as url:
        answers_correctly(url)
        said_once(log_lines(log), "kernels compile in memory")
