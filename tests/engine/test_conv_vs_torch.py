"""conv2d / conv1d and their gradients against PyTorch and the NumPy reference.

The cases (tests/engine/conv_cases.py) cover what a student can reach: hundreds
of random small settings, every value of every playground slider with both its
ends, the ends together, 1×1 outputs, the 256×256×3 picture under 16 filters of
11×11, every padding mode, and batches made for each compute path (which path
each case takes is checked in test_conv_paths.py). Each case is checked through
the public functions and as a network's layer runs it, forward and every
gradient. A subset is also checked against the slow reference in
``reference.py``, which is itself checked against PyTorch here.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv1d, conv1d_backward, conv2d
from tests.engine import reference as ref
from tests.engine.conv_cases import (
    EDGE_CASES,
    FULL_SIZE_CASES,
    LARGE_CASES,
    LIMITS,
    MODES,
    ORACLE_CASES,
    PATH_CASES,
    RANDOM_CASES,
    SLIDER_CASES,
    Conv2dCase,
    conv2d_case,
    run_engine,
    torch_conv2d,
)

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")

N_CONV1D = 30
N_REFERENCE = 40


def check_conv2d(case: Conv2dCase, expect):
    """Compare the engine's forward and all three gradients, both ways it runs, with ``expect`` (y, gx, gw, gb)."""
    x, w, b, gy = case.arrays()
    got = run_engine(case, x, w, b, gy)
    y, gx, gw, gb = expect(case, x, w, b, gy)
    expected = dict(y=y, gx=gx, gw=gw, gb=gb, kept_y=y, kept_gx=gx, kept_gw=gw, kept_gb=gb)
    if not case.need_input:
        assert got.kept_gx is None, "dL/dx was not asked for"
        del expected["kept_gx"]
    for name, want in expected.items():
        actual = got.arrays()[name]
        assert actual.dtype == np.float32, name
        ref.assert_close(actual, want, 1e-4, f"{name} of {case}")


def ids(cases):
    return [f"{i:03d}-{c}" for i, c in enumerate(cases)]


@pytest.mark.slow
@pytest.mark.parametrize("case", RANDOM_CASES + LARGE_CASES, ids=ids(RANDOM_CASES + LARGE_CASES))
def test_conv2d_matches_torch(case):
    check_conv2d(case, torch_conv2d)


@pytest.mark.parametrize("case", SLIDER_CASES + EDGE_CASES, ids=ids(SLIDER_CASES + EDGE_CASES))
def test_every_slider_value_matches_torch(case):
    check_conv2d(case, torch_conv2d)


@pytest.mark.parametrize("case", PATH_CASES, ids=[f"{c.path}-{c}" for c in PATH_CASES])
def test_batches_on_each_path_match_torch(case):
    check_conv2d(case, torch_conv2d)


@pytest.mark.slow
@pytest.mark.parametrize("case", FULL_SIZE_CASES, ids=ids(FULL_SIZE_CASES))
def test_full_size_setups_match_torch(case):
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


def test_random_cases_mix_every_setting():
    """The random settings really do reach every mode, stride, dilation, flip and uneven padding."""
    cases = RANDOM_CASES
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
    assert {c.need_input for c in cases} == {False, True}


def test_oracle_cases_reach_every_slider_value_and_end():
    """Every value of every slider, on each axis (each side for padding), is in a case checked against PyTorch."""
    cases = ORACLE_CASES
    reached = {
        "kernel": [{c.kernel[axis] for c in cases} for axis in (0, 1)],
        # A stride only shows between two outputs or more, a dilation on a kernel of two taps or more.
        "stride": [{c.stride[axis] for c in cases if c.output_size()[axis] > 1} for axis in (0, 1)],
        "dilation": [{c.dilation[axis] for c in cases if c.kernel[axis] > 1} for axis in (0, 1)],
        "padding": [{c.padding[side] for c in cases} for side in range(4)],
        "size": [{c.size[axis] for c in cases} for axis in (0, 1)],
        "channels": [{c.c for c in cases}],
        "filters": [{c.f for c in cases}],
    }
    assert reached.keys() == LIMITS.keys()
    for name, (lo, hi) in LIMITS.items():
        for values in reached[name]:
            wanted = {lo, hi} if name == "size" else set(range(lo, hi + 1))
            assert wanted <= values, f"{name}: no case at {sorted(wanted - values)}"
    top = LIMITS["size"][1]
    assert any(c.size == (top, top) for c in cases), "no case at the largest input"
    most = (LIMITS["channels"][1], LIMITS["filters"][1])
    assert any(c.size == (top, top) and (c.c, c.f) == most and c.kernel == (LIMITS["kernel"][1],) * 2 for c in cases)
    assert sum((c.c, c.f) == most for c in cases) >= 5
    assert sum(c.output_size() == (1, 1) for c in cases) >= 5
    assert {c.pad_mode for c in cases if c.output_size() == (1, 1) and max(c.padding) > 0} == set(MODES)
    for mode in MODES:  # every mode at the sliders' largest padding
        assert any(c.pad_mode == mode and max(c.padding) == LIMITS["padding"][1] for c in cases), mode


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
