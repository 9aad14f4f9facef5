"""Splitting a large batch across cores with plain threads.

Every kernel releases the GIL, so two threads running the same serial kernel
on two halves of a batch use both cores; there is no separate parallel
kernel to compile (Numba's ``parallel=True`` triples compile time) and no
thread-count dependence in the results: the split depends only on the batch
size, and partial sums are added in a fixed order.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

# Below about a millisecond of work, handing half to another thread costs more than it saves.
MIN_WORK = 1_000_000


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 1) - 1), thread_name_prefix="engine")


def batch_slices(n: int, work: int) -> list[slice]:
    """How to cut a batch of ``n`` samples for ``work`` multiply-adds: one slice per core used."""
    cores = min(os.cpu_count() or 1, n)
    if cores < 2 or work < MIN_WORK:
        return [slice(0, n)]
    cuts = [n * i // cores for i in range(cores + 1)]
    return [slice(a, b) for a, b in zip(cuts, cuts[1:])]


def run_all(jobs: list) -> list:
    """Run zero-argument callables side by side; the first runs on this thread. Results in order."""
    if len(jobs) == 1:
        return [jobs[0]()]
    futures = [_pool().submit(job) for job in jobs[1:]]
    first = jobs[0]()
    return [first] + [f.result() for f in futures]
