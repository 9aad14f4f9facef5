"""The kernel cache: always writable, keyed by the engine's source, and made only when first needed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

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
