"""Directories the server cannot write, for the cache tests (engine and app)."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time: equal listings, untouched tree."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))}


@contextmanager
def read_only_tree(root: Path) -> Iterator[None]:
    """``root`` and everything in it read-only, for root as well (root ignores permission bits: chattr +i)."""
    paths = [root, *root.rglob("*")]
    for p in paths:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    chattr = lambda flag: subprocess.run(["chattr", "-R", flag, str(root)], capture_output=True).returncode == 0  # noqa: E731
    immutable = os.geteuid() == 0 and chattr("+i")
    try:
        try:
            (root / ".probe").write_bytes(b"")
        except OSError:
            pass
        else:
            (root / ".probe").unlink()
            # Failing, not skipping: a skip would hide the read-only cache going untested.
            pytest.fail("cannot make a read-only directory here (root needs chattr +i, CAP_LINUX_IMMUTABLE)")
        yield
    finally:
        if immutable:
            assert chattr("-i"), f"could not make {root} writable again"
        for p in paths:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
