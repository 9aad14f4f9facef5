"""The check functions around a convolution (app/lessons/checks_layers.py) and the ``digits``
rounding of run_check, each against PyTorch: a unit's activation, batch norm, the gradients of
a convolution and of pooling, a true 3-D convolution's shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.lessons import checks_layers as cl
from app.lessons.checks import run_check


def tensor(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float32)


@pytest.mark.parametrize(
    ("shape", "kernel"), [([15, 15, 10], [3, 3, 3]), ([12, 12, 6], [5, 5, 3]), ([4, 7, 5], [1, 2, 5])]
)
def test_conv3d_shape_is_torchs(shape, kernel):
    h, w, d = shape
    y = F.conv3d(torch.zeros(1, 1, d, h, w), torch.zeros(1, 1, kernel[2], kernel[0], kernel[1]))  # (1, 1, D', H', W')
    answer, work = cl.conv3d_shape(shape, kernel)
    assert answer == f"{y.shape[3]} × {y.shape[4]} × {y.shape[2]}"
    assert work.count(";") == 2


@pytest.mark.parametrize("name", ["identity", "relu", "sigmoid", "tanh", "abs"])
@pytest.mark.parametrize("flip", [False, True])
def test_neuron_value_is_torchs(name, flip):
    rng = np.random.default_rng(7)
    x = np.round(rng.normal(size=(4, 5)), 2).tolist()
    k = np.round(rng.normal(size=(2, 3)), 2).tolist()
    bias = -0.75
    w = torch.flip(tensor(k), (0, 1)) if flip else tensor(k)
    z = F.conv2d(tensor(x)[None, None], w[None, None], torch.tensor([bias]))[0, 0]  # (3, 3)
    act = {"identity": lambda v: v, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "abs": torch.abs}
    expected = act[name](z)  # (3, 3)
    for r in range(3):
        for c in range(3):
            answer, work = cl.neuron_value(x, k, r, c, activation=name, bias=bias, flip=flip)
            assert answer == pytest.approx(expected[r, c].item(), abs=1e-5)
            assert "− 0.75 = " in work


def test_seed_001_detector_stays_below_a_half_on_the_lectures_image():
    """sigm(0.02·(x ∗ k) − 4) on seed 001's image: the lesson says it never fires (every output under 0.15)."""
    x = [[0, 80, 40], [20, 40, 0], [0, 0, 40]]
    k = (np.array([[0, 0.25], [0.5, 1]]) * 0.02).tolist()
    outputs = [cl.neuron_value(x, k, r, c, "sigmoid", -4, True)[0] for r in range(2) for c in range(2)]
    assert max(outputs) < 0.15
    # ... and a patch whose true convolution passes 200 does fire.
    assert cl.neuron_value([[150, 100], [40, 0]], k, 0, 0, "sigmoid", -4, True)[0] > 0.5


@pytest.mark.parametrize(
    "values, gamma, beta", [([2, 4, 6, 8], 1, 0), ([1, -3, 0.5, 7, 2], 2.5, -1), ([3, 3, 4], 1, 0)]
)
def test_batch_norm_value_is_torchs(values, gamma, beta):
    x = tensor(values)[:, None]  # (m, 1)
    y = F.batch_norm(x, None, None, tensor([gamma]), tensor([beta]), training=True, eps=cl.TINY_EPS)  # (m, 1)
    for i in range(len(values)):
        assert cl.batch_norm_value(values, i, gamma, beta)[0] == pytest.approx(y[i, 0].item(), abs=1e-4)


def test_batch_norm_moments_follow_gamma_and_beta():
    x = tensor([-1, 1, -1, 1])[:, None]  # (4, 1) mean 0, variance 1
    y = F.batch_norm(x, None, None, tensor([2.0]), tensor([1.0]), training=True, eps=cl.TINY_EPS)  # (4, 1)
    answer, _ = cl.batch_norm_moments([-1, 1, -1, 1], 2, 1)
    assert answer == f"mean {y.mean().item():g}, variance {y.var(unbiased=False).item():.4g}" == "mean 1, variance 4"


def test_weight_and_bias_gradients_are_torchs():
    rng = np.random.default_rng(3)
    x = rng.integers(-4, 5, (4, 5)).astype(float).tolist()
    up = rng.integers(-3, 4, (2, 3)).astype(float).tolist()
    xt = tensor(x)[None, None]
    w = torch.zeros(1, 1, 3, 3, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    F.conv2d(xt, w, b).backward(tensor(up)[None, None])
    for r in range(3):
        for c in range(3):
            assert cl.weight_grad(x, up, r, c)[0] == pytest.approx(w.grad[0, 0, r, c].item())
    answer, work = cl.bias_grad(up)
    assert answer == pytest.approx(b.grad.item())
    assert work.endswith(f"= {answer}".replace("-", "−"))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_gradient_is_torchs(mode):
    x = [[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [3, 2, 1, 6]]
    up = [[4, -2], [1, 8]]
    xt = tensor(x)[None, None].requires_grad_(True)
    (F.max_pool2d if mode == "max" else F.avg_pool2d)(xt, 2, 2).backward(tensor(up)[None, None])
    for r in range(4):
        for c in range(4):
            assert cl.pool_grad(x, 2, 2, up, r, c, mode)[0] == pytest.approx(xt.grad[0, 0, r, c].item())


def test_digits_rounds_the_answer_and_keeps_the_working():
    spec = {"fn": "batch_norm_value", "values": [2, 4, 6, 8], "index": 3}
    exact, work = run_check(spec)
    rounded, rounded_work = run_check({**spec, "digits": 2})
    assert rounded == round(exact, 2) == 1.34
    assert rounded_work.startswith(work) and rounded_work.endswith("≈ 1.34")
    with pytest.raises(ValueError, match="^digits: "):
        run_check(
            {
                "fn": "output_shape",
                "input": [1, 5, 5],
                "layers": [{"type": "conv", "filters": 1, "kernel": 3}],
                "digits": 1,
            }
        )


@pytest.mark.parametrize(
    "spec, name",
    [
        ({"fn": "conv3d_shape", "input": [5, 5], "kernel": [3, 3, 3]}, "input"),
        ({"fn": "conv3d_shape", "input": [5, 5, 2], "kernel": [3, 3, 3]}, "kernel[2]"),
        (
            {"fn": "neuron_value", "input": [[1, 2]], "kernel": [[1]], "row": 0, "col": 0, "activation": "soft"},
            "activation",
        ),
        ({"fn": "batch_norm_value", "values": [1], "index": 0}, "values"),
        ({"fn": "weight_grad", "input": [[1]], "upstream": [[1, 2]], "row": 0, "col": 0}, "upstream"),
        (
            {
                "fn": "pool_grad",
                "input": [[1, 2], [3, 4]],
                "window": 2,
                "stride": 2,
                "upstream": [[1, 2]],
                "row": 0,
                "col": 0,
            },
            "upstream",
        ),
    ],
)
def test_bad_arguments_are_named(spec, name):
    with pytest.raises(ValueError) as error:
        run_check(spec)
    assert name in str(error.value), str(error.value)


@pytest.mark.parametrize("n, k, s, p, op", [(6, 4, 2, 1, 0), (2, 3, 1, 0, 0), (3, 3, 2, 1, 1), (6, 5, 3, 1, 2)])
def test_transpose_size_is_torchs(n, k, s, p, op):
    y = F.conv_transpose2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, output_padding=op)
    answer, work = cl.transpose_size(n, k, s, p, op)
    assert answer == y.shape[-1] and work.endswith(f"= {answer}")


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 0), (2, 1), (3, 1)])
def test_transpose_value_is_torchs_and_names_each_stamp(stride, padding):
    x = [[2, 1, -1], [0, 3, 2]]
    k = [[1, 2, 0], [3, 4, -2], [1, 0, 1]]
    y = F.conv_transpose2d(tensor(x)[None, None], tensor(k)[None, None], stride=stride, padding=padding)[0, 0]
    for r in range(y.shape[0]):
        for c in range(y.shape[1]):
            answer, work = cl.transpose_value(x, k, r, c, stride, padding)
            assert answer == pytest.approx(y[r, c].item())
            if answer:  # the terms are the stamps that reach the cell, and they add up to it
                products = [
                    float(a.strip("()").replace("−", "-")) * float(b.strip("()").replace("−", "-"))
                    for a, b in (t.split("×") for t in work.split(" = ")[0].split(" + "))
                ]
                assert sum(products) == pytest.approx(answer)
