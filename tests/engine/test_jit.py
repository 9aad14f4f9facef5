"""The kernel cache: keyed by the engine's source, made only when first needed, and never a traceback.

A writable directory is read and written; a read-only one that holds kernels is
only read; an unusable one is replaced by the next choice, and with none at all
(not even a temp dir) kernels compile in memory. Each case but the first says so
in one log line.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from engine.jit import kernel_sources
from tests.engine.fs import listing, read_only_tree

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import engine.jit as j; print(j.cache_dir())"


def run_probe(env: dict) -> Path:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "CONVSCOPE_CACHE_DIR", "XDG_CACHE_HOME")}
    return env | extra


def test_cache_goes_where_asked_and_is_named_by_the_source(tmp_path):
    path = run_probe(clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path)))
    assert path.parent == tmp_path
    assert path.name.startswith("numba-") and len(path.name) == len("numba-") + 16
    assert path.is_dir() and os.access(path, os.W_OK)


def test_read_only_home_falls_back_to_a_writable_directory(tmp_path):
    home = tmp_path / "home"
    (home / ".cache").mkdir(parents=True)
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    (home / ".cache").chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(home / ".cache", os.W_OK):  # root ignores permission bits: use a path that cannot exist instead
            env = clean_env(HOME="/proc/convscope-no-home", XDG_CACHE_HOME="/proc/convscope-no-home/.cache")
        else:
            env = clean_env(HOME=str(home))
        path = run_probe(env)
        assert os.access(path, os.W_OK)
        assert not str(path).startswith(env["HOME"])
    finally:
        home.chmod(stat.S_IRWXU)
        (home / ".cache").chmod(stat.S_IRWXU)


def test_a_changed_kernel_source_changes_the_cache_directory(tmp_path):
    # Copy the engine, edit one kernel file, and compare the directory names.
    copy = tmp_path / "engine"
    copy.mkdir()
    for src in (ROOT / "engine").glob("*.py"):
        (copy / src.name).write_bytes(src.read_bytes())
    env = clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(tmp_path))
    probe = lambda: Path(
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    before = probe()
    with open(copy / "pool.py", "a") as f:
        f.write("\n# an edit\n")
    after = probe()
    assert before.parent == after.parent and before.name != after.name
    # A module that only calls compiled ops (conv.py) cannot change a kernel: its edit keeps the cache.
    assert "conv.py" not in [p.name for p in kernel_sources()] and "conv_kernels.py" in [
        p.name for p in kernel_sources()
    ]
    with open(copy / "conv.py", "a") as f:
        f.write("\n# an edit\n")
    assert probe() == after


# Run in a fresh process: records what importing the engine does to the disk and the environment.
IMPORT_AUDIT = """
import os, sys, numpy, numba
events = []
def hook(event, args):
    if event in ("os.mkdir", "os.putenv", "os.unsetenv", "os.remove", "os.rename", "os.scandir", "shutil.rmtree"):
        events.append((event, str(args[0])))
    elif event == "open" and args[1] not in (None, "r", "rb") and not str(args[0]).endswith(".pyc"):
        events.append((event, str(args[0]), args[1]))
sys.addaudithook(hook)
before = dict(os.environ)
import engine
print(repr(events))
print(before == dict(os.environ), numba.config.CACHE_DIR == "")
"""


def test_importing_the_engine_does_no_io_and_sets_no_environment(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_AUDIT],
        cwd=ROOT,
        env=clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "[]", f"importing engine touched the disk: {out[0]}"
    assert out[1] == "True True"  # no environment variable set, Numba's cache directory not chosen yet
    assert list(tmp_path.iterdir()) == []  # the cache directory is made on first compile, not on import


COMPILE = """
import numpy as np
from engine import checks
checks.array("x", np.ones((2, 3), np.float32), 2, "(A, B)")  # compiles (or loads) checks._all_finite
stats = checks._all_finite.stats
print(stats.cache_hits.total(), stats.cache_misses.total())
"""


def test_the_cache_is_made_on_first_compile_and_read_by_the_next_process(tmp_path):
    env = clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path))
    run = lambda: subprocess.run(
        [sys.executable, "-c", COMPILE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert run() == ["0", "1"]  # compiled, and saved
    made = [p for p in tmp_path.iterdir() if p.name.startswith("numba-")]
    assert len(made) == 1 and any(made[0].rglob("*.nbi")), "the first compile wrote no cache index"
    assert run() == ["1", "0"]  # the next process loads it from disk


def run(script: str, env: dict, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)


def one_line(stderr: str, words: str) -> None:
    """The process said ``words`` in exactly one line, and printed no traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], stderr


# Loads _all_finite if the cache holds it; _all_within is compiled (it is not in the cache).
COMPILE_TWO = (
    COMPILE
    + """
checks.labels("y", np.array([0, 1]), 2, 2)
print(checks._all_within.stats.cache_hits.total(), checks._all_within.stats.cache_misses.total())
from engine.jit import cache_store
print(cache_store())
"""
)


def test_a_read_only_cache_is_read_and_never_written(tmp_path):
    cache = tmp_path / "cache"
    env = clean_env(CONVSCOPE_CACHE_DIR=str(cache), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    assert run(COMPILE, env).stdout.split() == ["0", "1"]  # one kernel compiled and saved
    before = listing(cache)
    with read_only_tree(cache):
        out = run(COMPILE_TWO, env)
    hits = out.stdout.splitlines()
    assert hits[0] == "1 0", out  # loaded from the read-only cache, not compiled
    assert hits[1] == "0 1", out  # the kernel it lacks compiled, in memory
    assert "writable=False" in hits[2], out
    one_line(out.stderr, "is read-only")
    assert listing(cache) == before  # nothing written to it ...
    assert not (tmp_path / "xdg").exists()  # ... nor elsewhere instead
    assert not list((ROOT / "engine").rglob("*.nbi"))  # nor beside the source, where Numba itself would fall back


NO_TEMP_DIR = """
import tempfile, os
tempfile.tempdir = None
tempfile._candidate_tempdir_list = lambda: [os.environ["TMPDIR"]]  # a machine with no usable temp dir
try:
    tempfile.gettempdir()
except FileNotFoundError:
    pass
else:
    raise SystemExit("the temp dir is still usable")
"""


def test_no_writable_directory_and_no_temp_dir_compile_in_memory(tmp_path):
    (tmp_path / "file").write_text("a file where a directory should be")
    blocked = tmp_path / "file" / "cache"  # cannot be made, not even by root
    env = clean_env(
        CONVSCOPE_CACHE_DIR=str(blocked),
        XDG_CACHE_HOME=str(blocked),
        HOME=str(blocked),
        TMPDIR=str(tmp_path / "missing"),
    )
    out = run(NO_TEMP_DIR + COMPILE_TWO, env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == ["0 1", "0 1"]  # both compiled ...
    assert "CacheStore(path=None" in out.stdout  # ... and kept in memory
    one_line(out.stderr, "no writable directory for the kernel cache")


def test_an_unusable_cache_dir_is_replaced_with_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    asked = tmp_path / "file" / "cache"
    env = clean_env(CONVSCOPE_CACHE_DIR=str(asked), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    out = run(COMPILE_TWO, env)
    assert out.returncode == 0, out.stderr
    assert str(tmp_path / "xdg" / "convscope") in out.stdout.splitlines()[2]
    one_line(out.stderr, f"cannot use {asked}")


def test_a_damaged_cache_is_compiled_over(tmp_path):
    env = clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path))
    assert run(COMPILE, env).stdout.split() == ["0", "1"]
    for index in tmp_path.rglob("*.nbi"):
        index.write_bytes(b"not a pickle")
    out = run(COMPILE, env)
    assert out.stdout.split() == ["0", "1"], out.stderr
    one_line(out.stderr, "could not read")
    assert run(COMPILE, env).stdout.split() == ["1", "0"]  # and saved over the damage


def test_a_cache_built_by_a_copy_of_the_engine_serves_the_original(tmp_path):
    # The freshness stamp is the engine's digest, not a file's path or time: a cache
    # prepared from an identical copy (an image build, another checkout) is valid here.
    copy = tmp_path / "copy" / "engine"
    copy.mkdir(parents=True)
    for src in (ROOT / "engine").glob("*.py"):
        (copy / src.name).write_bytes(src.read_bytes())
    env = clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path / "cache"))
    assert run(COMPILE, env | {"PYTHONPATH": str(copy.parent)}, cwd=copy.parent).stdout.split() == ["0", "1"]
    assert run(COMPILE, env).stdout.split() == ["1", "0"]
