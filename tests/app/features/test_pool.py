"""pool.run, pool.trace, pool.backward and activation.run through the real server: the engine's numbers, and every
refusal.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.features import pool as pool_feature
from engine import shapes, trace
from engine.activations import ACTIVATIONS, activation
from engine.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

from ..conftest import assert_explained


def grid(x: np.ndarray) -> dict:
    """The `input` param from an engine array x (C, H, W)."""
    return {"channels": x.shape[0], "height": x.shape[1], "width": x.shape[2], "values": x.ravel().tolist()}


def seed003_volume() -> np.ndarray:
    # Seed 003 pools a 32×32×16 map; the protocol caps channels at 3, so 32×32×3 stands in for it.
    return np.random.default_rng(3).uniform(-1, 1, (3, 32, 32)).astype(np.float32)  # (3, 32, 32)


# ---------------------------------------------------------------- pool.run


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_seed003_pooling_halves_a_32x32_map(page, mode):
    x = seed003_volume()
    answer = page.ask("pool.run", {"input": grid(x), "mode": mode, "kernel": [2, 2], "stride": [2, 2]})
    assert answer.type == "pool.result"
    assert answer.arrays["output"].shape == (3, 16, 16)
    if mode == "max":
        y, winners = max_pool2d(x[None], 2, 2)  # (1, 3, 16, 16) each
        np.testing.assert_array_equal(answer.arrays["output"], y[0])
        np.testing.assert_array_equal(answer.arrays["winners"], winners[0])
        assert answer.arrays["winners"].dtype == np.int32
        # Each winner is a cell of its own window, holding the window's value.
        flat = x.reshape(3, -1)  # (3, H*W)
        np.testing.assert_array_equal(
            np.take_along_axis(flat, answer.arrays["winners"].reshape(3, -1), 1).reshape(3, 16, 16), y[0]
        )
    else:
        np.testing.assert_array_equal(answer.arrays["output"], avg_pool2d(x[None], 2, 2)[0])
        assert "winners" not in answer.arrays
    meta = pool_feature.PoolResultMeta.model_validate(answer.meta)
    assert meta.output_shape == (3, 16, 16) and meta.fits and meta.problem is None and meta.suggestions == {}
    assert meta.axes["height"].formula == shapes.window_output((32, 32), (2, 2), (2, 2), what="window").rows.formula()
    assert answer.meta["ranges"]["width"] == shapes.pool_ranges(32, 2, 2)


def test_a_window_that_does_not_fit_exactly_is_floored_and_explained(page):
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5)  # (1, 5, 5)
    answer = page.ask("pool.run", {"input": grid(x), "kernel": [2, 2], "stride": [2, 2]})
    out = shapes.window_output((5, 5), (2, 2), (2, 2), what="window")
    assert answer.meta["fits"] is False and answer.meta["problem"] == out.problem()
    assert "2×2 window at stride 2 does not fit a 5×5 input" in answer.meta["problem"]
    assert answer.meta["suggestions"] == out.suggestions() and answer.meta["output_shape"] == [1, 2, 2]
    np.testing.assert_array_equal(answer.arrays["output"], max_pool2d(x[None], 2, 2)[0][0])


def test_max_pooling_forgives_a_one_pixel_shift(page):
    # A feature moved by one pixel inside its window gives the very same pooled map ...
    x = np.zeros((1, 8, 8), np.float32)  # (1, 8, 8)
    x[0, 2, 2] = 9
    moved = np.roll(x, 1, axis=2)  # (1, 8, 8) the 9 now at (2, 3), same 2×2 window
    a, b = (page.ask("pool.run", {"input": grid(v)}).arrays["output"] for v in (x, moved))
    np.testing.assert_array_equal(a, b)
    # ... and on a whole image some pooled values survive the shift while the input changed everywhere.
    x = seed003_volume()[:1]  # (1, 32, 32)
    moved = np.roll(x, 1, axis=2)  # (1, 32, 32)
    a, b = (page.ask("pool.run", {"input": grid(v)}).arrays["output"] for v in (x, moved))
    same = a == b  # (1, 16, 16)
    assert 0 < same.sum() < same.size
    assert (x != moved).mean() > 0.99


# ---------------------------------------------------------------- pool.trace and pool.backward


@pytest.mark.parametrize("mode, start, count", [("max", 0, 1), ("max", 12, 10), ("avg", 5, 4096), ("avg", 31, 1)])
def test_pool_trace_pages_equal_the_engine_trace(page, mode, start, count):
    x = np.random.default_rng(start).uniform(-1, 1, (2, 9, 8)).astype(np.float32)  # (2, 9, 8)
    answer = page.ask(
        "pool.trace",
        {"input": grid(x), "mode": mode, "kernel": [3, 2], "stride": [2, 2], "start": start, "count": count},
    )
    full = trace.pool2d_trace(x[None], (3, 2), (2, 2), mode)  # every step of both channels
    total = full.result.size
    stop = min(total, start + count)
    assert answer.type == "pool.trace"
    assert answer.meta == {
        "mode": mode,
        "start": start,
        "count": stop - start,
        "steps_total": total,
        "output_shape": [2, 4, 4],
    }
    for name in ("out_index", "origin", "window", "winner", "running", "result"):
        np.testing.assert_array_equal(answer.arrays[name], full.arrays()[name][start:stop], err_msg=name)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_backward_equals_the_engine(page, mode):
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (3, 7, 6)).astype(np.float32)  # (3, 7, 6)
    gy = rng.standard_normal((3, 3, 3)).astype(np.float32)  # (3, 3, 3) overlapping 3×2 windows at stride 2
    params = {
        "input": grid(x),
        "mode": mode,
        "kernel": [3, 2],
        "stride": [2, 2],
        "upstream": {"values": gy.ravel().tolist()},
    }
    answer = page.ask("pool.backward", params)
    backward = max_pool2d_backward if mode == "max" else avg_pool2d_backward
    assert answer.type == "pool.grad" and answer.meta == {"output_shape": [3, 3, 3]}
    np.testing.assert_array_equal(answer.arrays["grad_input"], backward(gy[None], x[None], (3, 2), (2, 2))[0])


# ---------------------------------------------------------------- activation.run


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_and_its_curve_come_from_the_engine(page, name):
    x = np.linspace(-4, 4, 2 * 5 * 6, dtype=np.float32).reshape(2, 5, 6)  # (2, 5, 6)
    answer = page.ask("activation.run", {"input": grid(x), "name": name})
    assert answer.type == "activation.result"
    np.testing.assert_array_equal(answer.arrays["output"], activation(name, x))
    curve_x = np.linspace(-5, 5, 201, dtype=np.float32)  # (201,)
    np.testing.assert_array_equal(answer.arrays["curve_x"], curve_x)
    np.testing.assert_array_equal(answer.arrays["curve_y"], activation(name, curve_x))
    assert answer.meta == {"name": name, "param": ACTIVATIONS[name][2]}


@pytest.mark.parametrize("name, param", [("leaky_relu", 0.2), ("elu", 3.5), ("leaky_relu", 1)])
def test_activation_parameter_and_curve_range(page, name, param):
    x = np.array([[[-2, -0.5, 0, 3]]], np.float32)  # (1, 1, 4)
    answer = page.ask(
        "activation.run", {"input": grid(x), "name": name, "param": param, "curve_min": -20, "curve_max": 0.5}
    )
    np.testing.assert_array_equal(answer.arrays["output"], activation(name, x, param))
    curve_x = np.linspace(-20, 0.5, 201, dtype=np.float32)  # (201,)
    np.testing.assert_array_equal(answer.arrays["curve_y"], activation(name, curve_x, param))
    assert answer.meta["param"] == param


# ---------------------------------------------------------------- refusals


def pool(**change) -> dict:
    """Valid pool.run params (a 1×4×4 input) with some keys changed."""
    return {"input": grid(np.arange(16, dtype=np.float32).reshape(1, 4, 4)), **change}


def act(**change) -> dict:
    return {"input": grid(np.ones((1, 2, 2), np.float32)), "name": "relu", **change}


BAD = [
    ("pool.run", pool(mode="min"), "invalid", "mode", "mode must be 'max' or 'avg', got \"min\""),
    ("pool.run", pool(kernel=[9, 2]), "invalid", "kernel", "kernel must be from 1 to 8, got 9 for the height"),
    ("pool.run", pool(stride=[1, 0]), "invalid", "stride", "stride must be from 1 to 8, got 0 for the width"),
    (
        "pool.run",
        pool(kernel=[5, 2]),
        "does_not_fit",
        "kernel",
        "a 5×2 window is larger than the 4×4 input, so there is no position for it",
    ),
    (
        "pool.run",
        pool(input=dict(grid(np.ones((1, 4, 4))), values=[1] * 15)),
        "invalid",
        "input.values",
        "input.values must hold 16 numbers (channels × height × width = 1 × 4 × 4), got 15",
    ),
    ("pool.trace", pool(count=4097), "invalid", "count", "count must be from 1 to 4096, got 4097"),
    ("pool.trace", pool(count=0), "invalid", "count", "count must be from 1 to 4096, got 0"),
    ("pool.trace", pool(start=4), "invalid", "start", "start must be from 0 to 3, got 4"),
    ("pool.trace", pool(kernel=[5, 5]), "does_not_fit", "kernel", "a 5×5 window is larger than the 4×4 input"),
    (
        "pool.backward",
        pool(upstream={"values": [1, 2, 3]}),
        "invalid",
        "upstream.values",
        "upstream.values must hold 4 numbers, one per output cell (channels × output height × output "
        "width = 1 × 2 × 2), got 3",
    ),
    ("pool.backward", pool(), "invalid", "upstream", "upstream is required"),
    ("pool.backward", pool(mode="sum", upstream={"values": [1] * 4}), "invalid", "mode", "mode must be 'max' or 'avg'"),
    (
        "activation.run",
        act(name="swish"),
        "invalid",
        "name",
        "name must be 'relu', 'leaky_relu', 'abs', 'sigmoid', 'tanh', 'elu' or 'selu', got \"swish\"",
    ),
    (
        "activation.run",
        act(name="leaky_relu", param=1.5),
        "invalid",
        "param",
        "param (the leaky_relu slope) must be from 0 to 1, got 1.5",
    ),
    ("activation.run", act(name="elu", param=11), "invalid", "param", "param must be from 0 to 10, got 11"),
    ("activation.run", act(name="elu", param=-1), "invalid", "param", "param must be from 0 to 10, got -1"),
    ("activation.run", act(curve_min=-2000), "invalid", "curve_min", "curve_min must be from -1000 to 1000, got -2000"),
    (
        "activation.run",
        act(curve_min=3, curve_max=3),
        "invalid",
        "curve_max",
        "curve_max must be larger than curve_min (3), got 3",
    ),
    ("activation.run", act(scale=2), "invalid", "scale", "scale is not a parameter of activation.run"),
]


@pytest.mark.parametrize(
    "type_name, params, code, field, message", BAD, ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_params_are_explained_and_the_socket_stays_open(page, type_name, params, code, field, message):
    assert_explained(page, type_name, params, code, field, message)
