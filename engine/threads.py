"""Splitting large work across cores with plain threads.

Every kernel releases the GIL, so two threads running the same serial kernel
on two halves of a batch use both cores, with no second, parallel kernel to
compile (Numba's ``parallel=True`` triples compile time). The split depends
only on the sizes involved, and partial sums are added in a fixed order, so
results do not depend on how the threads were scheduled.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

# Below this many multiply-adds (or element visits) a hand-off costs more than it saves.
MIN_WORK = 400_000
# Read once: os.cpu_count() costs several microseconds, as much as a small kernel.
CORES = os.cpu_count() or 1


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, CORES - 1), thread_name_prefix="engine")


def split(n: int, work: int) -> list[tuple[int, int]]:
    """Cut ``range(n)`` into one (start, stop) part per core worth using for ``work``."""
    parts = min(CORES, n) if work >= MIN_WORK else 1
    if parts == 1:
        return [(0, n)]
    cuts = [n * i // parts for i in range(parts + 1)]
    return list(zip(cuts, cuts[1:]))


def run(fn, n: int, work: int) -> list:
    """``fn(start, stop)`` over the parts of ``range(n)``, side by side; results in order."""
    if work < MIN_WORK or n < 2 or CORES < 2:  # the common, small case: no hand-off at all
        return [fn(0, n)]
    parts = split(n, work)
    futures = [_pool().submit(fn, *part) for part in parts[1:]]
    first = fn(*parts[0])
    return [first] + [f.result() for f in futures]
