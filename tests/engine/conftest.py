"""Run engine tests through the compiled kernels and through their NumPy twins.

A test module that uses the ``engine_path`` fixture runs twice: once as the
engine runs when warm, once as it runs in the seconds after a cold start, when
every kernel call is answered by its NumPy twin (see engine.jit). The second run
is made here by routing each Python call of a kernel to its twin; calls between
compiled kernels are compiled code and do not pass through Python, which is why a
twin is written in terms of the other twins, never of the kernels.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from numba.core.registry import CPUDispatcher

from engine.jit import Kernel


@contextmanager
def twins_answer() -> Iterator[None]:
    """Every Python call of a kernel with a twin runs the twin, as before the warm-up compiled anything."""

    def call(self, *args, **kws):
        if self.twin is None:
            return CPUDispatcher.__call__(self, *args, **kws)
        return self.twin(*args, **kws)

    Kernel.__call__ = call
    try:
        yield
    finally:
        del Kernel.__call__


@pytest.fixture(params=["kernels", "twins"])
def engine_path(request):
    if request.param == "kernels":
        yield
    else:
        with twins_answer():
            yield
