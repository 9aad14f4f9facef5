"""norm.run through the real server: every step of LCN and batch norm is the engine's, and every refusal names its
field.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.features import pictures as presets
from app.features.norm import BNMeta, LCNMeta
from engine.norm import batch_norm, local_contrast_norm
from engine.norm_steps import batch_norm_steps, example_batch, lcn_steps

from ..conftest import assert_explained


def grid(x: np.ndarray) -> dict:
    """The `input` param from an engine array x (N, C, H, W)."""
    n, c, h, w = x.shape
    return {"batch": n, "channels": c, "height": h, "width": w, "values": x.ravel().tolist()}


def test_lcn_sends_every_step_of_the_engines_layer(page):
    x = presets.input_image("photo", 32, 32, 1)[None]  # (1, 1, 32, 32)
    answer = page.ask("norm.run", {"mode": "lcn", "input": grid(x), "size": 7, "c": 0.05})
    assert answer.type == "norm.result"
    steps = lcn_steps(x, 7, None, 0.05)
    a = answer.arrays
    np.testing.assert_array_equal(a["input"], x)
    np.testing.assert_array_equal(a["output"], local_contrast_norm(x, 7, None, 0.05)[0])
    for name, expected in (
        ("mean", steps.mean),
        ("centered", steps.centered),
        ("sigma", steps.sigma),
        ("divisor", steps.divisor),
        ("window", steps.window),
    ):
        np.testing.assert_array_equal(a[name], expected, err_msg=name)
    # Seed 001's formula holds between the arrays sent: v = x − mean, y = v / max(c, σ).
    np.testing.assert_allclose(a["centered"], a["input"] - a["mean"], atol=1e-6)
    np.testing.assert_allclose(a["output"], a["centered"] / np.maximum(0.05, a["sigma"]), rtol=1e-6, atol=1e-6)
    meta = LCNMeta.model_validate(answer.meta)
    assert (meta.size, meta.sigma, meta.c, meta.shape) == (7, 7 / 4, 0.05, (1, 1, 32, 32))
    assert meta.clamped == int((steps.sigma < np.float32(0.05)).sum()) and meta.cells == 32 * 32
    assert meta.ranges["output"].min == float(steps.output.min()) and meta.ranges["sigma"].max == float(
        steps.sigma.max()
    )


def test_lcn_takes_sigma_and_a_batch_of_colour_maps(page):
    x = np.random.default_rng(2).uniform(0, 1, (2, 3, 9, 7)).astype(np.float32)  # (2, 3, 9, 7)
    answer = page.ask("norm.run", {"input": grid(x), "size": 5, "sigma": 1.5, "c": 1})
    np.testing.assert_array_equal(answer.arrays["output"], lcn_steps(x, 5, 1.5, 1.0).output)
    assert answer.arrays["mean"].shape == (2, 1, 9, 7) and answer.arrays["window"].shape == (3, 5, 5)
    assert answer.meta["sigma"] == 1.5 and answer.meta["clamped"] == 2 * 9 * 7  # c = 1 exceeds every local σ here


def test_batch_norm_sends_the_statistics_and_normalized_maps(page):
    answer = page.ask(
        "norm.run",
        {
            "mode": "batch",
            "example": {"batch": 4, "channels": 2, "height": 4, "width": 4, "seed": 3},
            "gamma": [2, 0.5],
            "beta": [1, -1],
            "eps": 0.001,
        },
    )
    x = example_batch(4, 2, 4, 4, 3)  # (4, 2, 4, 4)
    gamma, beta = np.array([2, 0.5], np.float32), np.array([1, -1], np.float32)  # (2,), (2,)
    s = batch_norm_steps(x, gamma, beta, 0.001)
    a = answer.arrays
    np.testing.assert_array_equal(a["input"], x)
    for name in ("mean", "var", "std", "xhat", "output"):
        np.testing.assert_array_equal(a[name], getattr(s, name), err_msg=name)
    np.testing.assert_array_equal(a["output"], batch_norm(x, gamma, beta, 0.001)[0])
    meta = BNMeta.model_validate(answer.meta)
    assert meta.count == 64 and meta.gamma == [2, 0.5] and meta.beta == [1, -1] and meta.eps == 0.001
    xhat = a["xhat"].astype(np.float64)  # (4, 2, 4, 4)
    np.testing.assert_allclose(meta.stats["xhat"].mean, xhat.mean(axis=(0, 2, 3)), atol=1e-12)
    np.testing.assert_allclose(meta.stats["xhat"].mean, 0, atol=1e-6)  # each channel: mean 0 ...
    np.testing.assert_allclose(meta.stats["xhat"].var, 1, atol=1e-2)  # ... variance 1 (short by ε/σ²)
    np.testing.assert_allclose(meta.stats["output"].mean, [1, -1], atol=1e-5)  # then mean β ...
    np.testing.assert_allclose(
        meta.stats["output"].var, np.array(meta.stats["xhat"].var) * [4, 0.25], rtol=1e-5
    )  # ... variance γ²


def test_batch_norm_of_given_values_defaults_to_gamma_1_and_beta_0(page):
    x = np.random.default_rng(4).normal(3, 2, (3, 1, 2, 2)).astype(np.float32)  # (3, 1, 2, 2)
    answer = page.ask("norm.run", {"mode": "batch", "input": grid(x)})
    np.testing.assert_array_equal(answer.arrays["output"], batch_norm(x, np.ones(1), np.zeros(1))[0])
    assert answer.meta["gamma"] == [1] and answer.meta["beta"] == [0] and answer.meta["eps"] == 1e-5


def test_the_same_example_seed_gives_the_same_batch(page):
    a, b = (page.ask("norm.run", {"mode": "batch", "example": {"seed": 9}}).arrays["input"] for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (4, 2, 3, 3)


GOOD = {"input": {"channels": 1, "height": 3, "width": 3, "values": [0.0] * 9}}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({**GOOD, "size": 4}, "size", "size must be odd (a window centred on each cell): 1, 3, 5, … 15, got 4"),
        ({**GOOD, "size": 17}, "size", "size must be from 1 to 15, got 17"),
        ({**GOOD, "c": 0}, "c", "c must be from 1e-06 to 10, got 0"),
        ({**GOOD, "sigma": 20}, "sigma", "sigma must be from 0.1 to 10, got 20"),
        ({**GOOD, "mode": "layer"}, "mode", "mode must be 'lcn' or 'batch'"),
        ({**GOOD, "gamma": [1]}, "gamma", "gamma is a setting of batch norm"),
        ({**GOOD, "size": 2.5}, "size", "size must be a whole number from 1 to 15, got 2.5"),
        ({**GOOD, "c": "big"}, "c", "c must be a finite number from 1e-06 to 10"),
        ({**GOOD, "mode": "batch", "size": 3}, "size", "size is a setting of local contrast normalization"),
        ({"size": 3}, "input", "input is required (or example, a seeded batch), but not both"),
        ({**GOOD, "example": {}}, "input", "but not both"),
        (
            {"input": {"channels": 1, "height": 3, "width": 3, "values": [0.0] * 8}},
            "input.values",
            "input.values must hold 9 numbers",
        ),
        (
            {"input": {"batch": 17, "channels": 1, "height": 1, "width": 1, "values": [0.0] * 17}},
            "input.batch",
            "input.batch must be from 1 to 16, got 17",
        ),
        (
            {"mode": "batch", "input": {"channels": 1, "height": 1, "width": 1, "values": [1.0]}},
            "input",
            "at least 2 values per channel",
        ),
        (
            {"mode": "batch", "example": {"channels": 2}, "gamma": [1, 2, 3]},
            "gamma",
            "gamma must hold 2 numbers (one per channel), got 3",
        ),
        ({"mode": "batch", "example": {}, "eps": 0}, "eps", "eps must be from 1e-12 to 1, got 0"),
        ({"mode": "batch", "example": {"height": 9}}, "example.height", "example.height must be from 1 to 8, got 9"),
        ({"mode": "batch", "example": {"batch": 1}}, "example.batch", "example.batch must be from 2 to 16, got 1"),
    ],
)
def test_refusals_name_the_field_and_its_range(page, params, field, message):
    assert_explained(page, "norm.run", params, "invalid", field, message)
