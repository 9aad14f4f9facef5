"""conv2d / conv1d and their gradients against PyTorch and the NumPy reference.

Hundreds of random settings (fixed seeds, one test id each) cover what a student
can reach with the sliders: batch, channels, filters, non-square kernels,
stride, uneven padding on each side, dilation, flipped (true) convolution and
the three padding modes. PyTorch runs in float64 on the same float32 inputs,
so any difference beyond float32 rounding is the engine's. A subset is also
checked against the slow reference in ``reference.py``, which is itself
checked against PyTorch here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv1d, conv1d_backward, conv2d, conv2d_backward
from tests.engine import reference as ref

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")

MODES = ("zeros", "reflect", "replicate")
N_CONV2D = 240
N_CONV1D = 30
N_REFERENCE = 40


@dataclass(frozen=True)
class Conv2dCase:
    n: int
    c: int
    f: int
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    dilation: tuple[int, int]
    flip: bool
    pad_mode: str
    bias: bool
    seed: int

    def __str__(self) -> str:
        return (
            f"n{self.n}c{self.c}f{self.f}-{self.size[0]}x{self.size[1]}-k{self.kernel[0]}x{self.kernel[1]}"
            f"-s{self.stride[0]}x{self.stride[1]}-p{''.join(map(str, self.padding))}"
            f"-d{self.dilation[0]}x{self.dilation[1]}-{self.pad_mode}{'-flip' if self.flip else ''}"
        )

    def fits(self) -> bool:
        top, bottom, left, right = self.padding
        reach = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel)]
        return reach[0] <= self.size[0] + top + bottom and reach[1] <= self.size[1] + left + right

    def arrays(self):
        """Random float32 x, w, b and an upstream gradient gy of the output's shape."""
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.n, self.c, *self.size)).astype(np.float32)  # (N, C, H, W)
        w = rng.standard_normal((self.f, self.c, *self.kernel)).astype(np.float32)  # (F, C, KH, KW)
        b = rng.standard_normal(self.f).astype(np.float32) if self.bias else None  # (F,)
        top, bottom, left, right = self.padding
        oh = (self.size[0] + top + bottom - self.dilation[0] * (self.kernel[0] - 1) - 1) // self.stride[0] + 1
        ow = (self.size[1] + left + right - self.dilation[1] * (self.kernel[1] - 1) - 1) // self.stride[1] + 1
        gy = rng.standard_normal((self.n, self.f, oh, ow)).astype(np.float32)  # (N, F, OH, OW)
        return x, w, b, gy

    def engine_kwargs(self) -> dict:
        return dict(
            stride=self.stride, padding=self.padding, dilation=self.dilation, pad_mode=self.pad_mode, flip=self.flip
        )


def conv2d_case(index: int, max_size: int = 20, modes=MODES) -> Conv2dCase:
    """A random setting in which the dilated kernel fits the padded input (rejection sampling)."""
    rng = np.random.default_rng(20_000 + index)
    while True:
        size = tuple(int(v) for v in rng.integers(1, max_size + 1, 2))
        mode = str(rng.choice(modes))
        padding = [int(v) for v in rng.integers(0, 4, 4)]
        if index % 8 == 0:
            padding = [0, 0, 0, 0]  # the unpadded fast path
        if mode == "reflect":  # reflection needs a cell to reflect onto
            padding = [min(p, size[i // 2] - 1) for i, p in enumerate(padding)]
        stride = (
            (1, 1) if index % 3 == 0 else tuple(int(v) for v in rng.integers(1, 4, 2))
        )  # stride 1 has its own kernel
        case = Conv2dCase(
            n=int(rng.integers(1, 5)),
            c=int(rng.integers(1, 5)),
            f=int(rng.integers(1, 6)),
            size=size,
            kernel=tuple(int(v) for v in rng.integers(1, 6, 2)),
            stride=stride,
            padding=tuple(padding),
            dilation=tuple(int(v) for v in rng.integers(1, 4, 2)),
            flip=bool(rng.integers(2)),
            pad_mode=mode,
            bias=index % 5 != 4,
            seed=index,
        )
        if case.fits():
            return case


def torch_conv2d(case: Conv2dCase, x, w, b, gy):
    """PyTorch's y, dL/dx, dL/dw, dL/db in float64 for L = sum(y * gy)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # (N, C, H, W)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)  # (F, C, KH, KW)
    bt = torch.tensor(np.zeros(case.f) if b is None else b, dtype=torch.float64, requires_grad=True)  # (F,)
    top, bottom, left, right = case.padding
    mode = "constant" if case.pad_mode == "zeros" else case.pad_mode
    xp = F.pad(xt, (left, right, top, bottom), mode=mode)  # (N, C, Hp, Wp)
    kernel = wt.flip((2, 3)) if case.flip else wt  # (F, C, KH, KW)
    y = F.conv2d(xp, kernel, bt, stride=case.stride, dilation=case.dilation)  # (N, F, OH, OW)
    (y * torch.from_numpy(gy.astype(np.float64))).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


CONV2D_CASES = [conv2d_case(i) for i in range(N_CONV2D)]
# Maps large enough that the stride-1 kernel works through several row chunks, and
# work large enough (over a million multiply-adds) for the batch paths.
LARGE_CASES = [
    Conv2dCase(1, 2, 2, (40, 37), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), False, "zeros", True, 901),
    Conv2dCase(2, 1, 3, (70, 65), (5, 2), (1, 1), (2, 0, 1, 3), (2, 1), True, "zeros", True, 902),
    Conv2dCase(1, 3, 1, (33, 50), (4, 3), (1, 1), (3, 3, 3, 3), (1, 3), False, "reflect", True, 903),
    Conv2dCase(1, 1, 2, (64, 64), (3, 5), (2, 1), (0, 1, 2, 0), (1, 1), True, "replicate", False, 904),
    Conv2dCase(3, 3, 4, (40, 40), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), False, "zeros", True, 905),
    Conv2dCase(5, 2, 5, (48, 45), (4, 5), (2, 1), (1, 0, 0, 2), (1, 2), True, "replicate", True, 906),
    Conv2dCase(4, 4, 3, (36, 36), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), False, "zeros", False, 907),
]


def check_conv2d(case: Conv2dCase, expect):
    """Compare the engine's forward and all three gradients with ``expect`` (y, gx, gw, gb)."""
    x, w, b, gy = case.arrays()
    y = conv2d(x, w, b, **case.engine_kwargs())
    gx, gw, gb = conv2d_backward(gy, x, w, **case.engine_kwargs())
    for name, actual, expected in zip(("y", "dL/dx", "dL/dw", "dL/db"), (y, gx, gw, gb), expect(case, x, w, b, gy)):
        assert actual.dtype == np.float32, name
        ref.assert_close(actual, expected, 1e-4, f"{name} of {case}")


@pytest.mark.slow
@pytest.mark.parametrize(
    "case", CONV2D_CASES + LARGE_CASES, ids=[f"{i:03d}-{c}" for i, c in enumerate(CONV2D_CASES + LARGE_CASES)]
)
def test_conv2d_matches_torch(case):
    check_conv2d(case, torch_conv2d)


@pytest.mark.parametrize("stride, padding, dilation", [(2, 1, 2), ((1, 2), (1, 2), (2, 1)), (3, (0, 3), 1)])
def test_conv2d_accepts_int_and_pair_settings(stride, padding, dilation):
    """An int means the same on both axes; a padding pair (h, w) pads top and bottom by h, left and right by w."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)  # (N, C, H, W)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)  # (F, C, KH, KW)
    expected = F.conv2d(
        torch.from_numpy(x).double(), torch.from_numpy(w).double(), None, stride, padding, dilation
    )  # (N, F, OH, OW)
    ref.assert_close(conv2d(x, w, stride=stride, padding=padding, dilation=dilation), expected.numpy(), 1e-4, "y")


def test_large_conv2d_is_deterministic():
    """The same input gives the same bits every time, whichever path it takes."""
    for case in LARGE_CASES[4:]:
        x, w, b, gy = case.arrays()
        np.testing.assert_array_equal(conv2d(x, w, b, **case.engine_kwargs()), conv2d(x, w, b, **case.engine_kwargs()))
        for first, again in zip(
            conv2d_backward(gy, x, w, **case.engine_kwargs()), conv2d_backward(gy, x, w, **case.engine_kwargs())
        ):
            np.testing.assert_array_equal(first, again)


def test_conv2d_cases_cover_every_setting():
    """The random settings really do reach every mode, stride, dilation, flip and uneven padding."""
    cases = CONV2D_CASES
    assert {c.pad_mode for c in cases} == set(MODES)
    assert {c.flip for c in cases} == {False, True}
    assert {s for c in cases for s in c.stride} == {1, 2, 3}
    assert {d for c in cases for d in c.dilation if max(c.kernel) > 1} == {1, 2, 3}
    assert {k for c in cases for k in c.kernel} == {1, 2, 3, 4, 5}
    assert sum(c.padding[0] != c.padding[1] or c.padding[2] != c.padding[3] for c in cases) >= 50
    assert sum(c.kernel[0] != c.kernel[1] for c in cases) >= 50
    assert sum(c.pad_mode == "reflect" and max(c.padding) > 0 for c in cases) >= 30
    assert {c.n for c in cases} == {1, 2, 3, 4} and {c.c for c in cases} == {1, 2, 3, 4}
    assert {c.f for c in cases} == {1, 2, 3, 4, 5}


# ------------------------------------------------------------------ reference


REFERENCE_CASES = [conv2d_case(1000 + i, max_size=12, modes=("zeros",)) for i in range(N_REFERENCE)]


def reference_conv2d(case: Conv2dCase, x, w, b, gy):
    kwargs = dict(stride=case.stride, padding=case.padding, dilation=case.dilation, flip=case.flip)
    return (ref.conv2d(x, w, b, **kwargs), *ref.conv2d_backward(gy, x, w, **kwargs))


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[f"{i:02d}-{c}" for i, c in enumerate(REFERENCE_CASES)])
def test_conv2d_matches_reference(case):
    check_conv2d(case, reference_conv2d)


@pytest.mark.parametrize("case", REFERENCE_CASES[:20], ids=[f"{i:02d}-{c}" for i, c in enumerate(REFERENCE_CASES[:20])])
def test_reference_conv2d_matches_torch(case):
    """The reference itself agrees with PyTorch to float64 rounding."""
    x, w, b, gy = case.arrays()
    for name, mine, theirs in zip(
        ("y", "dL/dx", "dL/dw", "dL/db"), reference_conv2d(case, x, w, b, gy), torch_conv2d(case, x, w, b, gy)
    ):
        ref.assert_close(mine, theirs, 1e-10, f"reference {name} of {case}")


# ------------------------------------------------------------------ conv1d


def conv1d_case(index: int) -> dict:
    rng = np.random.default_rng(30_000 + index)
    while True:
        case = dict(
            n=int(rng.integers(1, 5)),
            c=int(rng.integers(1, 5)),
            f=int(rng.integers(1, 6)),
            length=int(rng.integers(1, 31)),
            k=int(rng.integers(1, 6)),
            stride=int(rng.integers(1, 4)),
            padding=int(rng.integers(0, 4)),
            dilation=int(rng.integers(1, 4)),
            flip=bool(rng.integers(2)),
        )
        if case["dilation"] * (case["k"] - 1) + 1 <= case["length"] + 2 * case["padding"]:
            return case


CONV1D_CASES = [conv1d_case(i) for i in range(N_CONV1D)]


@pytest.mark.parametrize("case", CONV1D_CASES, ids=[f"{i:02d}" for i in range(N_CONV1D)])
def test_conv1d_matches_torch(case):
    rng = np.random.default_rng(case["length"] * 100 + case["k"])
    x = rng.standard_normal((case["n"], case["c"], case["length"])).astype(np.float32)  # (N, C, L)
    w = rng.standard_normal((case["f"], case["c"], case["k"])).astype(np.float32)  # (F, C, K)
    b = rng.standard_normal(case["f"]).astype(np.float32)  # (F,)
    kwargs = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"], flip=case["flip"])

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # (N, C, L)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)  # (F, C, K)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)  # (F,)
    yt = F.conv1d(
        xt, wt.flip(2) if case["flip"] else wt, bt, case["stride"], case["padding"], case["dilation"]
    )  # (N, F, L_out)
    gy = rng.standard_normal(yt.shape).astype(np.float32)  # (N, F, L_out)
    (yt * torch.from_numpy(gy.astype(np.float64))).sum().backward()

    y = conv1d(x, w, b, **kwargs)
    grads = conv1d_backward(gy, x, w, **kwargs)
    ref.assert_close(y, yt.detach().numpy(), 1e-4, "y")
    for name, actual, expected in zip(("dL/dx", "dL/dw", "dL/db"), grads, (xt.grad, wt.grad, bt.grad)):
        ref.assert_close(actual, expected.numpy(), 1e-4, name)
