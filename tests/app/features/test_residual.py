"""residual.run (app/features/residual.py): every map and gradient the block's answer carries is
torch's for the same input and weights (which the answer also carries), the two parts of ∂L/∂x
add up to torch's, the depth study's norms are a torch chain's, and settings that cannot work are
refused with the field to change and its legal range."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.dispatch import answer
from app.features import TABLE
from app.features.residual import ResidualRunParams, residual_run
from engine.residual import make_chain


def run(**params):
    result = residual_run.handler(ResidualRunParams(**params))
    return result.meta, result.arrays


def refusal(id, **params) -> dict:
    return json.loads(answer(TABLE, id, "residual.run", params))


SETTINGS = [
    {},
    {"example": "normal", "channels": 3, "out_channels": 3, "height": 5, "width": 7, "upstream": "seeded"},
    {"channels": 2, "out_channels": 4, "shortcut": "projection", "stride": 2, "height": 7, "width": 6},
    {"example": "normal", "channels": 4, "out_channels": 2, "shortcut": "projection", "stride": 1, "seed": 9},
    {"kernel_size": 1, "upstream": "centre", "height": 3, "width": 3},
    {"kernel_size": 5, "channels": 1, "out_channels": 3, "shortcut": "projection", "stride": 2, "height": 8},
]


@pytest.mark.parametrize("params", SETTINGS)
def test_every_map_and_gradient_is_torchs(params):
    meta, a = run(**params)
    k = meta["kernel_size"]
    x = torch.tensor(a["x"][None], requires_grad=True)  # (1, C_in, H, W)
    w = {name: torch.tensor(a[name], requires_grad=True) for name in ("w1", "w2", "ws") if name in a}
    s, p = meta["stride"], k // 2
    conv1 = F.conv2d(x, w["w1"], stride=s, padding=p)
    relu1 = torch.relu(conv1)
    conv2 = F.conv2d(relu1, w["w2"], padding=p)
    short = F.conv2d(x, w["ws"], stride=s) if "ws" in w else x
    total = conv2 + short
    y = torch.relu(total)
    for t in (conv1, relu1, conv2, short, total):
        t.retain_grad()
    y.backward(torch.tensor(a["grad_y"][None]))
    expected = {"conv1": conv1, "relu1": relu1, "conv2": conv2, "shortcut": short, "sum": total, "y": y}
    for name, t in expected.items():
        np.testing.assert_allclose(a[name], t.detach().numpy()[0], rtol=1e-4, atol=1e-4, err_msg=name)
    grads = {"grad_sum": total, "grad_relu1": relu1, "grad_conv1": conv1}
    for name, t in grads.items():
        np.testing.assert_allclose(a[name], t.grad.numpy()[0], rtol=1e-4, atol=1e-4, err_msg=name)
    np.testing.assert_allclose(a["grad_x"], x.grad.numpy()[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a["grad_x_skip"] + a["grad_x_residual"], a["grad_x"], rtol=1e-5, atol=1e-5)
    for name, t in w.items():
        np.testing.assert_allclose(a[f"grad_{name}"], t.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
    assert meta["input_shape"] == list(a["x"].shape) and meta["output_shape"] == list(y.shape[1:])
    assert meta["shortcut"] == ("projection" if "ws" in w else "identity")
    assert meta["grad_norms"]["total"] == pytest.approx(float(np.linalg.norm(x.grad.numpy())), rel=1e-4)


def test_the_identity_skip_hands_on_the_sums_gradient_unchanged():
    _, a = run(upstream="seeded", seed=3)
    np.testing.assert_array_equal(a["grad_x_skip"], a["grad_sum"])
    # ... and the sum's gradient is ∂L/∂y where the sum is positive, 0 where the last ReLU is off.
    np.testing.assert_array_equal(a["grad_sum"], np.where(a["sum"] > 0, a["grad_y"], 0))


def test_the_integer_example_reads_by_hand():
    _, a = run()
    assert set(np.unique(a["x"])) <= {0, 1, 2, 3}
    assert set(np.unique(a["w1"])) <= {-1, 0, 1} and set(np.unique(a["y"])) == set(np.round(np.unique(a["y"])))


@pytest.mark.parametrize("act, scale, depth", [("relu", 0.5, 20), ("identity", 1.2, 12), ("tanh", 0.8, 30)])
def test_the_depth_study_is_a_torch_chains(act, scale, depth):
    meta, a = run(depth=depth, scale=scale, activation=act, chain_seed=4)
    chain = make_chain(depth, scale, act, 4)
    fn = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda v: v}[act]
    for mode in ("plain", "residual"):
        xs = [torch.tensor(chain.x0, dtype=torch.float64, requires_grad=True)]
        for wl in chain.weights:
            f = F.conv2d(fn(xs[-1]), torch.tensor(wl, dtype=torch.float64), padding=1)
            xs.append(f if mode == "plain" else xs[-1] + f)
            xs[-1].retain_grad()
        xs[-1].backward(torch.tensor(chain.upstream, dtype=torch.float64))
        norms = np.array([t.grad.norm().item() for t in xs])  # (L + 1,)
        assert a[f"{mode}_norms"].shape == (depth + 1,)
        np.testing.assert_allclose(10 ** a[f"{mode}_log10"].astype(np.float64), norms, rtol=2e-3)
        assert meta["first"][mode] == pytest.approx(norms[0], rel=2e-3)
    assert meta["depth"] == depth and meta["chains"] == ["plain", "residual"]


def test_one_chain_alone():
    meta, a = run(chains="residual")
    assert meta["chains"] == ["residual"] and "plain_norms" not in a and "residual_norms" in a


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"stride": 2}, "stride", "stride must be 1"),
        ({"channels": 2, "out_channels": 3}, "out_channels", "must equal channels (2)"),
        ({"kernel_size": 2}, "kernel_size", "must be odd"),
        ({"depth": 51}, "depth", "50"),
        ({"scale": 2.5}, "scale", "2"),
        ({"channels": 5}, "channels", "4"),
        ({"height": 9}, "height", "8"),
        ({"shortcut": "dense"}, "shortcut", "projection"),
        ({"chains": "all"}, "chains", "both"),
        ({"activation": "gelu"}, "activation", "tanh"),
        ({"upstream": "twos"}, "upstream", "centre"),
        ({"stride": 3, "shortcut": "projection"}, "stride", "2"),
        ({"depht": 3}, "depht", ""),
    ],
)
def test_refusals_name_the_field_and_its_range(params, field, words):
    error = refusal(5, **params)
    assert error["type"] == "error" and error["field"] == field, error
    assert words in error["message"], error["message"]


def test_a_good_request_through_the_table_answers():
    reply = answer(TABLE, 3, "residual.run", {"shortcut": "projection", "stride": 2, "out_channels": 2})
    assert isinstance(reply, bytes)


def test_the_numbers_lesson_18_quotes_from_the_widget():
    """The prose quotes the widget's default block (seed 3, 5 × 5, ∂L/∂y = 1) and its default chart."""
    meta, a = run(seed=3, height=5, width=5)
    assert [f"{meta['grad_norms'][k]:.2f}" for k in ("skip", "residual", "total")] == ["4.24", "3.74", "6.16"]
    assert f"{meta['first']['plain']:.1e}" == "6.1e-17" and f"{meta['first']['residual']:.2f}" == "1.39"
    np.testing.assert_array_equal(a["grad_x_skip"], np.where(a["sum"] > 0, 1, 0))  # "1 wherever y is positive"
    # Raising the scale makes both lines climb; with no activation at 1.5 the plain chain explodes.
    climbed, _ = run(seed=3, height=5, width=5, scale=2.0)
    assert climbed["first"]["plain"] > meta["first"]["plain"] and climbed["first"]["residual"] > 10
    exploded, _ = run(scale=1.5, activation="identity")
    assert exploded["first"]["plain"] > 10 and exploded["first"]["residual"] > 100
