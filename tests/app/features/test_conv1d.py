"""conv1d.run through the real server: the output equals engine.conv1d and PyTorch, every step of the trace
adds up to its output value, the length and its formula are engine.shapes'; every refusal names its field."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as tf

from app.pages import page_context
from engine import conv1d, shapes

from ..conftest import assert_explained

SEED002_F = [5, 1, 2]  # the filter
SEED002_G = [3, 1, 4, 5, 6, 0, 0, 1]  # the signal


def torch_conv1d(signal, kernel, stride=1, padding=0, flip=False) -> np.ndarray:
    w = torch.tensor(kernel, dtype=torch.float32)
    if flip:
        w = w.flip(0)  # true convolution turns the kernel around; torch, like the engine by default, correlates
    x = torch.tensor(signal, dtype=torch.float32)[None, None]  # (1, 1, L)
    return tf.conv1d(x, w[None, None], stride=stride, padding=padding)[0, 0].numpy()  # (L_out,)


def test_seed002_fourth_element_is_31(page):
    a = page.ask("conv1d.run", {"signal": SEED002_G, "kernel": SEED002_F})
    assert a.type == "conv1d.result"
    out = a.arrays["output"]
    np.testing.assert_array_equal(
        out, conv1d(np.array(SEED002_G, np.float32)[None, None], np.array(SEED002_F, np.float32)[None, None])[0, 0]
    )
    np.testing.assert_array_equal(out, torch_conv1d(SEED002_G, SEED002_F))
    # The seed counts from 1 and slides f along g without turning it: (g * f)[n] = Σ g[n + i] f[i].
    step = 3  # the 4th element
    np.testing.assert_array_equal(a.arrays["window"][step], [5, 6, 0])
    np.testing.assert_array_equal(a.arrays["weights"], SEED002_F)
    np.testing.assert_array_equal(a.arrays["products"][step], [5 * 5, 1 * 6, 2 * 0])
    np.testing.assert_array_equal(a.arrays["running_sum"][step], [25, 31, 31])
    assert a.arrays["result"][step] == out[step] == 31
    ax = shapes.axis(8, 3)
    assert a.meta["length"]["formula"] == ax.formula() == "(8 − 3)/1 + 1 = 6"
    assert a.meta["output_length"] == a.meta["steps"] == ax.size == 6
    assert a.meta["problem"] is None and a.meta["flip"] is False


def test_true_convolution_turns_the_kernel_around(page):
    a = page.ask("conv1d.run", {"signal": SEED002_G, "kernel": SEED002_F, "flip": True})
    np.testing.assert_array_equal(a.arrays["weights"], SEED002_F[::-1])  # as multiplied
    np.testing.assert_array_equal(a.arrays["output"], torch_conv1d(SEED002_G, SEED002_F, flip=True))
    assert a.arrays["output"][3] == 2 * 5 + 1 * 6 + 5 * 0 == 16
    assert a.meta["flip"] is True


def test_an_impulse_shows_the_kernel_turned_around(page):
    signal = [0, 0, 0, 1, 0, 0, 0]
    plain = page.ask("conv1d.run", {"signal": signal, "kernel": [1, 2, 3]}).arrays["output"]
    true = page.ask("conv1d.run", {"signal": signal, "kernel": [1, 2, 3], "flip": True}).arrays["output"]
    np.testing.assert_array_equal(plain, [0, 3, 2, 1, 0])  # correlation writes the kernel backwards
    np.testing.assert_array_equal(true, [0, 1, 2, 3, 0])  # convolution writes it as it is


@pytest.mark.parametrize("seed", range(8))
def test_every_step_adds_up_and_matches_torch(page, seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 65)), int(rng.integers(1, 16))
    stride, padding, flip = int(rng.integers(1, 9)), int(rng.integers(0, 11)), bool(rng.integers(0, 2))
    k = min(k, n + 2 * padding)
    signal = np.round(rng.uniform(-9, 9, n), 1).tolist()
    kernel = np.round(rng.uniform(-3, 3, k), 1).tolist()
    a = page.ask("conv1d.run", {"signal": signal, "kernel": kernel, "stride": stride, "padding": padding, "flip": flip})
    assert a.type == "conv1d.result", a.header
    t = a.arrays
    np.testing.assert_allclose(t["output"], torch_conv1d(signal, kernel, stride, padding, flip), rtol=1e-5, atol=1e-4)
    ax = shapes.axis(n, k, stride, padding)
    assert t["output"].shape == (ax.size,) and a.meta["length"]["formula"] == ax.formula()
    assert t["padded"].shape == (n + 2 * padding,)
    np.testing.assert_array_equal(t["padded"][padding : padding + n], np.float32(signal))
    np.testing.assert_array_equal(t["origin"], np.arange(ax.size) * stride)
    np.testing.assert_array_equal(t["positions"], t["origin"][:, None] + np.arange(k))
    np.testing.assert_array_equal(t["window"], t["padded"][t["positions"]])
    np.testing.assert_array_equal(t["is_pad"], (t["positions"] < padding) | (t["positions"] >= padding + n))
    np.testing.assert_array_equal(t["products"], t["window"] * t["weights"])
    np.testing.assert_allclose(t["running_sum"][:, -1], t["result"], rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(t["result"], t["output"], rtol=1e-5, atol=1e-4)
    assert (a.meta["problem"] is None) == ax.whole


def test_a_stride_that_leaves_values_over_says_so(page):
    a = page.ask("conv1d.run", {"signal": SEED002_G, "kernel": SEED002_F, "stride": 2, "padding": 1})
    ax = shapes.axis(8, 3, 2, 1)
    assert not ax.whole and ax.leftover == 1
    assert a.meta["problem"].startswith(ax.formula() + ":")
    assert "leaves the last value of the padded signal unvisited, so the output has 4 values" in a.meta["problem"]


def test_the_page_gets_the_bounds_from_the_model_schema():
    props = page_context()["schemas"]["conv1d.run"]["properties"]
    assert (props["signal"]["minItems"], props["signal"]["maxItems"], props["kernel"]["maxItems"]) == (1, 64, 15)
    assert (props["stride"]["maximum"], props["padding"]["maximum"]) == (8, 10)
    assert props["signal"]["items"] == {"type": "number", "minimum": -1000, "maximum": 1000}


OK = {"signal": SEED002_G, "kernel": SEED002_F}


@pytest.mark.parametrize(
    "params, code, field, message",
    [
        ({**OK, "signal": []}, "invalid", "signal", "signal must hold 1 to 64 numbers, got 0"),
        ({**OK, "signal": [1] * 65}, "invalid", "signal", "signal must hold 1 to 64 numbers, got 65"),
        ({**OK, "kernel": [1] * 16}, "invalid", "kernel", "kernel must hold 1 to 15 numbers, got 16"),
        ({**OK, "signal": "3 1 4"}, "invalid", "signal", "signal must be a list of 1 to 64 numbers"),
        (
            {**OK, "kernel": [5, 1, 2000]},
            "invalid",
            "kernel",
            "kernel must hold finite numbers from -1000 to 1000, got 2000 at position 2",
        ),
        ({**OK, "signal": [1, "x"]}, "invalid", "signal", "at position 1"),
        ({**OK, "stride": 9}, "invalid", "stride", "stride must be from 1 to 8, got 9"),
        ({**OK, "stride": 1.5}, "invalid", "stride", "stride must be a whole number from 1 to 8"),
        ({**OK, "padding": 11}, "invalid", "padding", "padding must be from 0 to 10, got 11"),
        ({**OK, "flip": "yes"}, "invalid", "flip", "flip must be true or false"),
        (
            {**OK, "strides": 2},
            "invalid",
            "strides",
            "strides is not a parameter of conv1d.run; it takes signal, kernel, stride, padding, flip",
        ),
        (
            {"signal": [1, 2], "kernel": [1, 2, 3]},
            "does_not_fit",
            "kernel",
            "kernel must fit the padded input: a filter of 3 taps is longer than the input of 2",
        ),
        (
            {"signal": [1, 2], "kernel": [1] * 9, "padding": 3},
            "does_not_fit",
            "kernel",
            "longer than the padded input of 8",
        ),
        ({"kernel": [1]}, "invalid", "signal", "signal is required"),
    ],
)
def test_errors_name_the_field_and_its_range(page, params, code, field, message):
    assert_explained(page, "conv1d.run", params, code, field, message)
