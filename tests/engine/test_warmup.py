"""While the warm-up compiles, other threads are answered by the twins and compile nothing; after it, nothing is left.

Each test runs in a fresh process, where no kernel has been compiled yet.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.engine.test_jit import ROOT, clean_env

# A thread holds the compiler's seat, as the server's warm-up does, but compiles
# nothing; the main thread is a request. Then the seat is given up.
WHILE_COMPILING = """
import threading
import numpy as np
from engine import conv2d, conv2d_backward, max_pool2d, jit
from tests.engine import reference as ref

seated, leave = threading.Event(), threading.Event()

def warm_up():
    with jit.compiling():
        seated.set()
        leave.wait()

seat = threading.Thread(target=warm_up)
seat.start()
seated.wait()
rng = np.random.default_rng(1)
x = rng.standard_normal((1, 2, 9, 8)).astype(np.float32)  # (N, C, H, W)
w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)  # (F, C, KH, KW)
b = rng.standard_normal(3).astype(np.float32)  # (F,)
y = conv2d(x, w, b, 2, 1)
ref.assert_close(y, ref.conv2d(x, w, b, (2, 2), (1, 1, 1, 1)), 1e-4, "y")
gx, gw, gb = conv2d_backward(np.ones_like(y), x, w, 2, 1)
for mine, theirs in zip((gx, gw, gb), ref.conv2d_backward(np.ones_like(y), x, w, (2, 2), (1, 1, 1, 1))):
    ref.assert_close(mine, theirs, 1e-4, "gradient")
pooled, _ = max_pool2d(x, 2)
ref.assert_close(pooled, ref.max_pool2d(x, (2, 2), (2, 2))[0], 0, "max pool")
print("compiled while the warm-up ran:", sum(len(k.signatures) for k in jit.KERNELS))
with jit.exact():  # work that must repeat to the bit (training) compiles rather than take a twin
    exact = conv2d(x, w, b, 2, 1)
print("compiled for exact work:", sum(len(k.signatures) for k in jit.KERNELS) > 0)
leave.set()
seat.join()
again = conv2d(x, w, b, 2, 1)  # the seat is free: this call compiles, here, as outside a warm-up
print("compiled after:", np.array_equal(again, exact), float(np.abs(again - y).max()) < 1e-5)
"""


def test_while_the_warm_up_compiles_a_request_gets_the_twins_and_compiles_nothing(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", WHILE_COMPILING],
        cwd=ROOT,
        env=clean_env(CONVSCOPE_CACHE_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "compiled while the warm-up ran: 0",
        "compiled for exact work: True",
        "compiled after: True True",
    ]


# After the real warm-up, the server's calls (the twin test's workload) must all find
# a compiled kernel: a twin called now would mean a request compiling once the warm-up ends.
AFTER_WARM_UP = """
import collections, threading
import numpy as np
from engine import jit
from engine.warmup import warm_up
from tests.engine.test_twins import name, workload

warm_up()
used = collections.Counter()
for k in jit.KERNELS:
    if k.twin is not None:
        k.twin = (lambda k, twin: lambda *a: (used.update([name(k)]), twin(*a))[1])(k, k.twin)
seated, leave = threading.Event(), threading.Event()

def hold():
    with jit.compiling():
        seated.set()
        leave.wait()

threading.Thread(target=hold).start()
seated.wait()
workload(np.random.default_rng(8))
leave.set()
print(sorted(used))
"""


def test_the_warm_up_compiles_every_kernel_the_server_calls(tmp_path):
    # The suite's cache when it has one (loading is quick); else a full compile here.
    env = clean_env(CONVSCOPE_CACHE_DIR=os.environ.get("CONVSCOPE_CACHE_DIR") or str(tmp_path))
    # Once to fill the cache: a kernel loaded from it brings only itself, while one
    # compiled brings the kernels it calls, so the check runs on a full cache.
    script = lambda text: subprocess.run(
        [sys.executable, "-c", text], cwd=ROOT, env=env, capture_output=True, text=True
    )  # noqa: E731
    assert script("from engine.warmup import warm_up; warm_up()").returncode == 0
    out = script(AFTER_WARM_UP)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"the warm-up leaves these to compile on a request: {out.stdout}"
