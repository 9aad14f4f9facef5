"""Max and average pooling, forward and backward, against PyTorch and the reference.

Inputs are small whole numbers, so windows often hold several equal maxima:
the engine must pick the same winner as PyTorch (the first in reading order),
report it as the same flat index ``h * W + w`` and route the gradient there,
also when overlapping windows share cells. Upstream gradients are whole
numbers too, so every max-pool result is exact and compared for equality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from tests.engine import reference as ref

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")

N_CASES = 220
N_REFERENCE = 40


@dataclass(frozen=True)
class PoolCase:
    n: int
    c: int
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int] | None  # None: the engine's and PyTorch's default, the window size
    seed: int

    def __str__(self) -> str:
        stride = "default" if self.stride is None else f"{self.stride[0]}x{self.stride[1]}"
        return f"n{self.n}c{self.c}-{self.size[0]}x{self.size[1]}-k{self.kernel[0]}x{self.kernel[1]}-s{stride}"

    @property
    def steps(self) -> tuple[int, int]:
        return self.kernel if self.stride is None else self.stride

    def arrays(self):
        """Whole-number x in [-3, 3] (ties are common) and whole-number gy of the output's shape."""
        rng = np.random.default_rng(self.seed)
        x = rng.integers(-3, 4, (self.n, self.c, *self.size)).astype(np.float32)  # (N, C, H, W)
        oh, ow = ((n - k) // s + 1 for n, k, s in zip(self.size, self.kernel, self.steps))
        gy = rng.integers(-3, 4, (self.n, self.c, oh, ow)).astype(np.float32)  # (N, C, OH, OW)
        return x, gy


def pool_case(index: int, max_size: int = 16) -> PoolCase:
    rng = np.random.default_rng(40_000 + index)
    size = tuple(int(v) for v in rng.integers(1, max_size + 1, 2))
    kernel = tuple(int(rng.integers(1, min(4, n) + 1)) for n in size)  # the window fits
    stride = tuple(int(v) for v in rng.integers(1, 5, 2))
    if index % 4 == 0:  # overlapping windows on both axes, where gradients add up
        stride = tuple(max(1, k - 1) for k in kernel)
    if index % 10 == 5:
        stride = None
    return PoolCase(int(rng.integers(1, 4)), int(rng.integers(1, 4)), size, kernel, stride, index)


def torch_pool(case: PoolCase, x, gy):
    """PyTorch's (max y, winners, max dL/dx, avg y, avg dL/dx), float64, for L = sum(y * gy)."""
    stride = case.stride  # None: PyTorch's default, the window size
    g = torch.from_numpy(gy.astype(np.float64))  # (N, C, OH, OW)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # (N, C, H, W)
    ymax, winners = F.max_pool2d(xt, case.kernel, stride, return_indices=True)  # (N, C, OH, OW) each
    (ymax * g).sum().backward()
    gmax = xt.grad.numpy().copy()  # (N, C, H, W)
    xt.grad = None
    yavg = F.avg_pool2d(xt, case.kernel, stride)  # (N, C, OH, OW)
    (yavg * g).sum().backward()
    return ymax.detach().numpy(), winners.numpy(), gmax, yavg.detach().numpy(), xt.grad.numpy()


def engine_pool(case: PoolCase, x, gy):
    args = (case.kernel,) if case.stride is None else (case.kernel, case.stride)
    ymax, winners = max_pool2d(x, *args)
    return ymax, winners, max_pool2d_backward(gy, x, *args), avg_pool2d(x, *args), avg_pool2d_backward(gy, x, *args)


def reference_pool(case: PoolCase, x, gy):
    k, s = case.kernel, case.steps
    return (
        *ref.max_pool2d(x, k, s),
        ref.max_pool2d_backward(gy, x, k, s),
        ref.avg_pool2d(x, k, s),
        ref.avg_pool2d_backward(gy, x, k, s),
    )


def compare(case: PoolCase, expect):
    x, gy = case.arrays()
    ymax, winners, gmax, yavg, gavg = engine_pool(case, x, gy)
    e_ymax, e_winners, e_gmax, e_yavg, e_gavg = expect(case, x, gy)
    assert ymax.dtype == yavg.dtype == gmax.dtype == gavg.dtype == np.float32
    np.testing.assert_array_equal(ymax, e_ymax, err_msg=f"max pool values of {case}")
    np.testing.assert_array_equal(winners, e_winners, err_msg=f"max pool winners of {case}")
    np.testing.assert_array_equal(gmax, e_gmax, err_msg=f"max pool dL/dx of {case}")
    ref.assert_close(yavg, e_yavg, 1e-6, f"avg pool values of {case}")
    ref.assert_close(gavg, e_gavg, 1e-6, f"avg pool dL/dx of {case}")


CASES = [pool_case(i) for i in range(N_CASES)]


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c}" for i, c in enumerate(CASES)])
def test_pool_matches_torch(case):
    compare(case, torch_pool)


def tied_windows(case: PoolCase) -> int:
    """How many windows hold their maximum more than once."""
    x, _ = case.arrays()
    y, _ = ref.max_pool2d(x, case.kernel, case.steps)
    count = 0
    for i, j, rows, cols in ref.pool_windows(x.shape, case.kernel, case.steps):
        count += int(((x[:, :, rows, cols] == y[:, :, i, j][:, :, None, None]).sum(axis=(2, 3)) > 1).sum())
    return count


def test_pool_cases_cover_ties_and_overlaps():
    """The settings include many tied windows, overlapping windows, every window size and stride."""
    assert sum(tied_windows(c) for c in CASES[:40]) >= 200
    assert sum(c.steps[0] < c.kernel[0] or c.steps[1] < c.kernel[1] for c in CASES) >= 60
    assert {k for c in CASES for k in c.kernel} == {1, 2, 3, 4}
    assert {s for c in CASES for s in c.steps} == {1, 2, 3, 4}
    assert sum(c.kernel[0] != c.kernel[1] for c in CASES) >= 50
    assert sum(c.stride is None for c in CASES) >= 20


def test_tie_goes_to_first_cell_in_reading_order():
    """A window of equal values: the top-left cell wins and takes the whole gradient."""
    x = np.array([[[[1, 5, 5], [5, 0, 5], [2, 5, 5]]]], np.float32)  # (1, 1, 3, 3)
    y, winners = max_pool2d(x, 2, 1)
    np.testing.assert_array_equal(y, [[[[5, 5], [5, 5]]]])
    np.testing.assert_array_equal(winners, [[[[1, 1], [3, 5]]]])  # flat h*W + w
    gx = max_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), x, 2, 1)  # (1, 1, 3, 3)
    np.testing.assert_array_equal(gx, [[[[0, 2, 0], [1, 0, 1], [0, 0, 0]]]])


# ------------------------------------------------------------------ reference


REFERENCE_CASES = [pool_case(5000 + i, max_size=10) for i in range(N_REFERENCE)]


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[f"{i:02d}-{c}" for i, c in enumerate(REFERENCE_CASES)])
def test_pool_matches_reference(case):
    compare(case, reference_pool)


@pytest.mark.parametrize("case", REFERENCE_CASES[:20], ids=[f"{i:02d}-{c}" for i, c in enumerate(REFERENCE_CASES[:20])])
def test_reference_pool_matches_torch(case):
    x, gy = case.arrays()
    names = ("max y", "winners", "max dL/dx", "avg y", "avg dL/dx")
    for name, mine, theirs in zip(names, reference_pool(case, x, gy), torch_pool(case, x, gy)):
        ref.assert_close(mine, theirs, 1e-12, f"reference {name} of {case}")
