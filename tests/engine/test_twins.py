"""Each kernel's NumPy twin (engine.jit) gives the kernel's numbers, and every kernel the server reaches has one.

The cases are the kernels' real arguments: the public entry points the server
uses run on random settings while every Python call of a kernel is recorded;
then each recorded call runs once on the kernel and once on its twin, and every
array the two wrote, and what they returned, must agree within the tolerance of
the PyTorch tests (1e-4 of the values' scale; winners and checks exactly). The
public ops are also compared with PyTorch through the twins: see ``engine_path``
in conftest.py.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

from engine import (
    Network,
    activation,
    activation_backward,
    augment,
    avg_pool2d,
    avg_pool2d_backward,
    batch_norm,
    batch_norm_backward,
    conv1d,
    conv1d_backward,
    conv2d,
    conv2d_backward,
    local_contrast_norm,
    local_contrast_norm_backward,
    max_pool2d,
    max_pool2d_backward,
    softmax_cross_entropy,
    trace,
    trace_grad,
    xo_train,
)
from engine.jit import KERNELS, Kernel
from engine.network import XO_INPUT, XO_LAYERS, lenet5_layers
from engine.optim import SGD
from engine.pool import _max_fwd

MAX_CALLS = 40  # recorded per kernel


def name(kernel: Kernel) -> str:
    return f"{kernel.py_func.__module__}.{kernel.py_func.__name__}"


TWINNED = sorted(name(k) for k in KERNELS if k.twin is not None)
BY_NAME = {name(k): k for k in KERNELS}


def workload(rng: np.random.Generator) -> None:
    """What the server asks of the engine, on random settings: every feature's entry points."""
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    for i in range(10):
        n, c, f = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        size, k = int(rng.integers(5, 12)), int(rng.integers(1, 4))
        stride = 1 if i % 2 else (int(rng.integers(1, 4)), int(rng.integers(1, 3)))
        mode = ("zeros", "reflect", "replicate")[i % 3]
        padding = int(rng.integers(0, 3))
        settings = dict(stride=stride, padding=padding, dilation=1 + i % 2, pad_mode=mode, flip=i % 4 == 0)
        x, w = f32(n, c, size, size + 1), f32(f, c, k, k)
        y = conv2d(x, w, f32(f), **settings)
        conv2d_backward(f32(*y.shape), x, w, **settings)
        trace.conv2d_trace(x, w, None, **settings)
        trace_grad.conv2d_weight_grad_trace(f32(*y.shape), x, w, **settings)
        trace_grad.conv2d_input_grad_trace(f32(*y.shape), x, w, **settings)
    for stride in (1, 2):  # batches big enough for im2col + BLAS
        x, w = f32(8, 8, 28, 27), f32(16, 8, 3, 3)
        y = conv2d(x, w, f32(16), stride, 1)
        conv2d_backward(f32(*y.shape), x, w, stride, 1)
    x1, w1 = f32(2, 2, 17), f32(3, 2, 4)
    y1 = conv1d(x1, w1, None, 2, 1, 2)
    conv1d_backward(f32(*y1.shape), x1, w1, 2, 1, 2)
    for i in range(6):
        x = f32(2, 2, 9, 8)
        kernel, stride = int(rng.integers(1, 4)), (None, 1, 2)[i % 3]
        y, _ = max_pool2d(x, kernel, stride)
        max_pool2d_backward(f32(*y.shape), x, kernel, stride)
        avg_pool2d_backward(f32(*avg_pool2d(x, kernel, stride).shape), x, kernel, stride)
        trace.pool2d_trace(x, kernel, stride, "max")
        trace_grad.max_pool_grad_trace(f32(*y.shape), x, kernel, stride)
    for name_ in ("relu", "leaky_relu", "elu", "tanh"):
        x = f32(2, 3, 4)
        activation(name_, x)
        activation_backward(name_, f32(2, 3, 4), x)
    softmax_cross_entropy(f32(5, 4), rng.integers(0, 4, 5))
    _, cache = batch_norm(f32(4, 3, 5, 5), np.ones(3, np.float32), np.zeros(3, np.float32))
    batch_norm_backward(f32(4, 3, 5, 5), cache)
    y, cache = local_contrast_norm(f32(1, 2, 9, 9), 5)
    local_contrast_norm_backward(f32(*y.shape), cache)
    picture = rng.uniform(0, 1, (3, 7, 9)).astype(np.float32)  # (C, H, W)
    for mode in augment.MODES:
        augment.rotate(picture, float(rng.uniform(-180, 180)), mode, 0.3)
    augment.crop_and_scale(picture, 1, 2, 5, 6)
    for layers, shape in ((XO_LAYERS, XO_INPUT), (lenet5_layers("tanh"), (1, 28, 28))):
        net = Network(shape, layers, seed=int(rng.integers(100)))
        net.train_step(SGD(0.1, 0.9), f32(3, *shape), rng.integers(0, 2, 3))
        net.forward(f32(2, *shape), keep=True)
    trainer = xo_train.Trainer()
    trainer.train(3)
    trainer.evaluate()
    trainer.maps(trainer.dataset.test_x[0, 0])
    trainer.maps(trainer.dataset.test_x[0, 0], "hand")


def _copy(args: tuple) -> tuple:
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


@pytest.fixture(scope="module")
def calls() -> dict[str, list[tuple]]:
    """Each kernel's arguments, as the workload called it from Python (before the call wrote its outputs)."""
    seen: dict[str, list[tuple]] = defaultdict(list)

    def record(self, *args):
        if len(seen[name(self)]) < MAX_CALLS:
            seen[name(self)].append(_copy(args))
        return CPUDispatcher.__call__(self, *args)

    Kernel.__call__ = record
    try:
        workload(np.random.default_rng(8))
    finally:
        del Kernel.__call__
    return seen


def test_every_kernel_the_server_calls_has_a_twin(calls):
    assert sorted(n for n in calls if BY_NAME[n].twin is None) == []


def test_the_cases_reach_every_twin(calls):
    assert sorted(set(TWINNED) - set(calls)) == []


def assert_same(actual, expected, what: str) -> None:
    """Twin against kernel: integers and booleans exactly, floats within 1e-4 of the values' scale."""
    if not isinstance(expected, np.ndarray) or expected.dtype.kind != "f":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, what
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))  # untouched buffers may hold anything
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    err = np.where(same, 0.0, np.abs(actual.astype(np.float64) - expected))
    assert float(err.max(initial=0.0)) <= 1e-4 * scale, f"{what}: max error {float(err.max()):.3g} at scale {scale:.3g}"


@pytest.mark.parametrize("kernel", TWINNED)
def test_twin_gives_the_kernels_numbers(calls, kernel):
    k = BY_NAME[kernel]
    for i, args in enumerate(calls[kernel]):
        by_kernel, by_twin = _copy(args), _copy(args)
        got_kernel = k(*by_kernel)
        got_twin = k.twin(*by_twin)
        if got_kernel is None:
            assert got_twin is None
        else:
            assert_same(np.asarray(got_twin), np.asarray(got_kernel), f"{kernel} call {i}: returned")
        for j, (a, b) in enumerate(zip(by_twin, by_kernel)):
            if isinstance(b, np.ndarray):
                assert_same(a, b, f"{kernel} call {i}: argument {j}")


def test_max_pool_twin_keeps_the_kernels_rules_for_ties_and_nan():
    # Ties go to the first cell in reading order; a NaN beats everything, and a later NaN beats it.
    x = np.array(
        [[[[1, 1, 0, -0.0], [1, 0, 0.0, -0.0], [np.nan, 2, 3, np.nan], [5, np.nan, 3, 1]]]], np.float32
    )  # (1, 1, 4, 4)
    outs = []
    for fn in (_max_fwd, _max_fwd.twin):
        y, arg = np.empty((1, 1, 2, 2), np.float32), np.empty((1, 1, 2, 2), np.int64)
        fn(x, 2, 2, 2, 2, y, arg)
        outs.append((y, arg))
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    np.testing.assert_array_equal(outs[0][1], [[[[0, 2], [13, 11]]]])
