"""activation.backward through the real server: f(x), f'(x) and dL/dx against PyTorch autograd, and every refusal."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.activations import ACTIVATIONS, SELU_ALPHA

from ..conftest import assert_explained

# name -> (PyTorch's function of (x, param), the param sent, or None for the engine's default)
TORCH = {
    "relu": (lambda x, p: torch.relu(x), None),
    "leaky_relu": (lambda x, p: torch.nn.functional.leaky_relu(x, 0.01 if p is None else p), 0.2),
    "abs": (lambda x, p: torch.abs(x), None),
    "sigmoid": (lambda x, p: torch.sigmoid(x), None),
    "tanh": (lambda x, p: torch.tanh(x), None),
    "elu": (lambda x, p: torch.nn.functional.elu(x, 1.0 if p is None else p), 0.7),
    "selu": (lambda x, p: torch.selu(x), None),
}


def grid(x: np.ndarray) -> dict:
    return {"channels": x.shape[0], "height": x.shape[1], "width": x.shape[2], "values": x.ravel().tolist()}


def with_zeros(rng, shape) -> np.ndarray:
    """Random values from −4 to 4 with about a quarter exactly 0: the kink of ReLU, leaky ReLU and |x|."""
    x = rng.uniform(-4, 4, shape).astype(np.float32)  # (C, H, W)
    x[rng.random(shape) < 0.25] = 0.0
    return x


def torch_backward(name, x, gy, param):
    """(f(x), f'(x), dL/dx) from PyTorch autograd; f'(x) as the gradient of sum(f(x))."""
    fn = TORCH[name][0]
    xt = torch.tensor(x, requires_grad=True)
    y = fn(xt, param)
    (derivative,) = torch.autograd.grad(y.sum(), xt, retain_graph=True)
    (grad,) = torch.autograd.grad(y, xt, grad_outputs=torch.tensor(gy))
    return y.detach().numpy(), derivative.numpy(), grad.numpy()


def test_the_table_covers_every_activation():
    assert TORCH.keys() == ACTIVATIONS.keys()


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(1, 5, 7), (3, 4, 4)])
@pytest.mark.parametrize("with_param", [False, True])
def test_output_derivative_and_gradient_equal_torch_autograd(page, name, shape, with_param):
    rng = np.random.default_rng(sum(map(ord, name)) + shape[0])
    x = with_zeros(rng, shape)
    gy = rng.uniform(-3, 3, shape).astype(np.float32)  # (C, H, W) dL/dy
    param = TORCH[name][1] if with_param else None
    params = {"input": grid(x), "name": name, "upstream": {"values": gy.ravel().tolist()}}
    if with_param:
        params["param"] = 0.5 if param is None else param  # a function without a parameter ignores it
    answer = page.ask("activation.backward", params)
    assert answer.type == "activation.grad"
    default = ACTIVATIONS[name][2]
    assert answer.meta == {
        "name": name,
        "param": None if default is None else (param if param is not None else default),
    }
    assert {a["name"]: (a["dtype"], a["shape"]) for a in answer.header["arrays"]} == {
        n: ("float32", list(shape)) for n in ("output", "derivative", "grad")
    }
    y, derivative, grad = torch_backward(name, x, gy, param)
    a = answer.arrays
    np.testing.assert_allclose(a["output"], y, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a["derivative"], derivative, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a["grad"], grad, rtol=1e-5, atol=1e-6)
    # dL/dx is the upstream gradient times the slope, cell by cell.
    np.testing.assert_allclose(a["grad"], gy * a["derivative"], rtol=1e-6, atol=1e-6)


def test_relu_passes_the_gradient_only_where_x_is_positive(page):
    x = np.array([[[-2, 0, 3], [0.5, -0.0, 0]]], np.float32)  # (1, 2, 3) exact zeros, one negative zero
    gy = np.array([[[5, -6, 7], [8, 9, -10]]], np.float32)  # (1, 2, 3)
    answer = page.ask(
        "activation.backward", {"input": grid(x), "name": "relu", "upstream": {"values": gy.ravel().tolist()}}
    )
    np.testing.assert_array_equal(answer.arrays["derivative"], (x > 0).astype(np.float32))
    np.testing.assert_array_equal(answer.arrays["grad"], np.where(x > 0, gy, 0))
    np.testing.assert_array_equal(answer.arrays["grad"], torch_backward("relu", x, gy, None)[2])


def test_slopes_at_the_kink_are_pytorchs(page):
    x = np.zeros((1, 1, 1), np.float32)  # (1, 1, 1) exactly at the kink
    expect = {"relu": 0, "abs": 0, "leaky_relu": 0.2, "elu": 0.7, "selu": SELU_ALPHA * 1.0507009873554805}
    for name, slope in expect.items():
        params = {"input": grid(x), "name": name, "upstream": {"values": [1.0]}}
        if TORCH[name][1] is not None:
            params["param"] = TORCH[name][1]
        answer = page.ask("activation.backward", params)
        np.testing.assert_allclose(answer.arrays["derivative"].item(), slope, rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(
            answer.arrays["derivative"].item(),
            torch_backward(name, x, x + 1, TORCH[name][1])[1].item(),
            rtol=1e-6,
            err_msg=name,
        )


# ---------------------------------------------------------------- refusals

X = np.array([[[-1, 0, 2], [3, -4, 0.5]]], np.float32)  # (1, 2, 3)


def act(**change) -> dict:
    """Valid activation.backward params (a 2×3 map, relu) with some keys changed."""
    return {"input": grid(X), "name": "relu", "upstream": {"values": [1.0] * 6}, **change}


BAD = [
    (
        act(upstream={"values": [1, 2, 3]}),
        "invalid",
        "upstream.values",
        "upstream.values must hold 6 numbers, one per output cell (channels × height × width = 1 × 2 × 3), got 3",
    ),
    (act(upstream={"values": [1.0] * 7}), "invalid", "upstream.values", "must hold 6 numbers"),
    (act(upstream={"values": [1, 2, 3, 4, 5, float("nan")]}), "invalid", "upstream.values", "finite numbers"),
    (
        act(upstream={"values": [1, 2, 3, 4, 5, 2e6]}),
        "invalid",
        "upstream.values",
        "upstream.values must hold finite numbers from -1000000 to 1000000, got 2000000.0 at position 5",
    ),
    (act(upstream=None), "invalid", "upstream", "upstream must be an object"),
    ({"input": grid(X), "name": "relu"}, "invalid", "upstream", "upstream is required"),
    (
        act(name="swish"),
        "invalid",
        "name",
        "name must be 'relu', 'leaky_relu', 'abs', 'sigmoid', 'tanh', 'elu' or 'selu', got \"swish\"",
    ),
    (
        act(name="leaky_relu", param=1.5),
        "invalid",
        "param",
        "param (the leaky_relu slope) must be from 0 to 1, got 1.5",
    ),
    (act(name="elu", param=11), "invalid", "param", "param must be from 0 to 10, got 11"),
    (act(name="elu", param=-1), "invalid", "param", "param must be from 0 to 10, got -1"),
    (act(name="elu", param="1"), "invalid", "param", "param must be a finite number from 0 to 10"),
    (
        act(input={"channels": 1, "height": 2, "width": 3, "values": [1.0] * 5}),
        "invalid",
        "input.values",
        "input.values must hold 6 numbers",
    ),
    (act(curve_min=-2), "invalid", "curve_min", "curve_min is not a parameter of activation.backward"),
]


@pytest.mark.parametrize("params, code, field, message", BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_params_name_the_field_and_the_socket_keeps_answering(page, params, code, field, message):
    assert_explained(page, "activation.backward", params, code, field, message)
