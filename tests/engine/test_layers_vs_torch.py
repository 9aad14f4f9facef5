"""Activations, dense, softmax cross-entropy and the normalizations against PyTorch.

Each op's forward output and every gradient it returns are compared with
PyTorch's autograd (float64, on the same float32 inputs) over dozens of random
settings. Activation inputs include exact zeros, where PyTorch fixes the
derivative at a kink (ReLU and |x| have slope 0 there), and magnitudes like
±50, where a careless sigmoid or ELU overflows or loses every digit.
Local contrast normalization has no PyTorch op, so its formula (engine/norm.py)
is written out in PyTorch with F.conv2d and differentiated by autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import (
    ACTIVATIONS,
    activation,
    activation_backward,
    batch_norm,
    batch_norm_backward,
    dense,
    dense_backward,
    local_contrast_norm,
    local_contrast_norm_backward,
    softmax,
    softmax_cross_entropy,
)
from tests.engine import reference as ref

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")


def f64(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def elementwise_close(actual, expected, tol=1e-5, what="value"):
    """Every element within tol, relative to its own size once that exceeds 1."""
    expected = np.asarray(expected, np.float64)
    assert np.shape(actual) == expected.shape, what
    err = np.abs(np.asarray(actual, np.float64) - expected)  # like expected
    worst = np.unravel_index(np.argmax(err / np.maximum(1, np.abs(expected))), err.shape)
    assert np.all(err <= tol * np.maximum(1, np.abs(expected))), (
        f"{what}: {actual[worst]} vs {expected[worst]} at {worst}"
    )


# ------------------------------------------------------------------ activations

TORCH_ACTIVATIONS = {
    "relu": lambda x, p: F.relu(x),
    "leaky_relu": lambda x, p: F.leaky_relu(x, 0.01 if p is None else p),
    "abs": lambda x, p: torch.abs(x),
    "sigmoid": lambda x, p: torch.sigmoid(x),
    "tanh": lambda x, p: torch.tanh(x),
    "elu": lambda x, p: F.elu(x, 1.0 if p is None else p),
    "selu": lambda x, p: F.selu(x),
}
VARIANTS = [
    ("relu", None),
    ("abs", None),
    ("sigmoid", None),
    ("tanh", None),
    ("selu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.0),
    ("leaky_relu", 0.2),
    ("leaky_relu", 1.0),
    ("elu", None),
    ("elu", 0.0),
    ("elu", 0.5),
    ("elu", 2.5),
    ("elu", 10.0),
]
SPECIAL = np.array([0.0, -0.0, 50.0, -50.0, 1e-4, -1e-4, 20.0, -20.0, 1.0, -1.0, 88.0, -88.0, 5.0, -5.0])


def activation_input(seed: int) -> np.ndarray:
    """Random values of a random shape (1 to 4 axes) holding every special value once."""
    rng = np.random.default_rng(seed)
    dims = [int(v) for v in rng.integers(1, 5, int(rng.integers(1, 5)))]
    dims[0] = max(dims[0], -(-SPECIAL.size // int(np.prod(dims[1:]))))  # room for the special values
    x = (rng.standard_normal(dims) * 3).astype(np.float32)  # (dims)
    flat = x.reshape(-1)  # (size,) view
    flat[: SPECIAL.size] = SPECIAL
    rng.shuffle(flat)
    return x.T if seed % 2 else x  # a transposed view too: the engine must not assume a layout


def test_every_activation_is_compared():
    assert set(TORCH_ACTIVATIONS) == set(ACTIVATIONS) == {name for name, _ in VARIANTS}


@pytest.mark.parametrize("seed", range(24))
@pytest.mark.parametrize("name, param", VARIANTS, ids=[f"{n}-{p}" for n, p in VARIANTS])
def test_activation_matches_torch(name, param, seed):
    x = activation_input(seed)  # (M, 2)
    gy = np.random.default_rng(seed + 100).standard_normal(x.shape).astype(np.float32)  # like x
    xt = f64(x, grad=True)
    yt = TORCH_ACTIVATIONS[name](xt, param)
    (yt * f64(gy)).sum().backward()

    y = activation(name, x, param)
    gx = activation_backward(name, gy, x, param)
    assert y.dtype == gx.dtype == np.float32 and y.shape == gx.shape == x.shape
    elementwise_close(y, yt.detach().numpy(), 1e-5, f"{name}({param}) forward")
    elementwise_close(gx, xt.grad.numpy(), 1e-5, f"{name}({param}) backward")


@pytest.mark.parametrize("name, param", VARIANTS, ids=[f"{n}-{p}" for n, p in VARIANTS])
def test_activation_derivative_at_zero_is_torchs(name, param):
    x = np.zeros((1, 3), np.float32)  # (1, 3)
    xt = f64(x, grad=True)
    TORCH_ACTIVATIONS[name](xt, param).sum().backward()
    np.testing.assert_allclose(activation_backward(name, np.ones_like(x), x, param), xt.grad.numpy(), rtol=1e-6)


# ------------------------------------------------------------------ dense and softmax


@pytest.mark.parametrize("seed", range(30))
def test_dense_matches_torch(seed):
    rng = np.random.default_rng(seed)
    n, n_in, n_out = (int(v) for v in rng.integers(1, [9, 21, 11]))
    x = rng.standard_normal((n, n_in)).astype(np.float32)  # (N, in)
    w = rng.standard_normal((n_out, n_in)).astype(np.float32)  # (out, in)
    b = rng.standard_normal(n_out).astype(np.float32) if seed % 3 else None  # (out,)
    gy = rng.standard_normal((n, n_out)).astype(np.float32)  # (N, out)
    xt, wt, bt = f64(x, True), f64(w, True), f64(np.zeros(n_out) if b is None else b, True)
    yt = F.linear(xt, wt, bt)  # (N, out)
    (yt * f64(gy)).sum().backward()

    ref.assert_close(dense(x, w, b), yt.detach().numpy(), 1e-5, "y")
    for name, actual, expected in zip(
        ("dL/dx", "dL/dw", "dL/db"), dense_backward(gy, x, w), (xt.grad, wt.grad, bt.grad)
    ):
        ref.assert_close(actual, expected.numpy(), 1e-5, name)


@pytest.mark.parametrize("seed", range(30))
def test_softmax_cross_entropy_matches_torch(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 9)), int(rng.integers(2, 11))
    scale = (1.0, 10.0, 50.0)[seed % 3]  # 50: exp would overflow without the max shift
    logits = (rng.standard_normal((n, k)) * scale).astype(np.float32)  # (N, K)
    labels = rng.integers(0, k, n)  # (N,)
    lt = f64(logits, grad=True)
    loss_t = F.cross_entropy(lt, torch.from_numpy(labels))
    loss_t.backward()

    loss, p, grad = softmax_cross_entropy(logits, labels)
    assert isinstance(loss, float) and p.dtype == grad.dtype == np.float32
    assert abs(loss - loss_t.item()) <= 1e-5 * max(1.0, loss_t.item())
    elementwise_close(p, F.softmax(lt, dim=1).detach().numpy(), 1e-6, "probabilities")
    elementwise_close(softmax(logits), F.softmax(lt, dim=1).detach().numpy(), 1e-6, "softmax")
    elementwise_close(grad, lt.grad.numpy(), 1e-6, "dL/dlogits")


# ------------------------------------------------------------------ batch norm


def batch_norm_case(seed: int, four_d: bool):
    rng = np.random.default_rng(seed + (500 if four_d else 0))
    if four_d:
        shape = tuple(int(v) for v in rng.integers(1, [5, 5, 7, 7]))  # (N, C, H, W)
        if shape[0] * shape[2] * shape[3] < 2:  # a variance needs two values per channel
            shape = (2, *shape[1:])
    else:
        shape = tuple(int(v) for v in rng.integers([2, 1], [9, 7]))  # (N, C)
    offset, spread = rng.uniform(-5, 5), rng.uniform(0.1, 3)
    x = (offset + spread * rng.standard_normal(shape)).astype(np.float32)  # (N, C) or (N, C, H, W)
    gamma = rng.standard_normal(shape[1]).astype(np.float32)  # (C,)
    beta = rng.standard_normal(shape[1]).astype(np.float32)  # (C,)
    gy = rng.standard_normal(shape).astype(np.float32)  # like x
    return x, gamma, beta, gy, float(rng.choice([1e-5, 1e-3, 0.1]))


@pytest.mark.parametrize("four_d", [False, True], ids=["2d", "4d"])
@pytest.mark.parametrize("seed", range(20))
def test_batch_norm_matches_torch(seed, four_d):
    x, gamma, beta, gy, eps = batch_norm_case(seed, four_d)
    xt, gt, bt = f64(x, True), f64(gamma, True), f64(beta, True)
    yt = F.batch_norm(xt, None, None, gt, bt, training=True, eps=eps)
    (yt * f64(gy)).sum().backward()

    y, cache = batch_norm(x, gamma, beta, eps)
    ref.assert_close(y, yt.detach().numpy(), 1e-4, "y")
    for name, actual, expected in zip(
        ("dL/dx", "dL/dgamma", "dL/dbeta"), batch_norm_backward(gy, cache), (xt.grad, gt.grad, bt.grad)
    ):
        assert actual.dtype == np.float32
        ref.assert_close(actual, expected.numpy(), 1e-4, name)


@pytest.mark.parametrize("four_d", [False, True], ids=["2d", "4d"])
@pytest.mark.parametrize("seed", range(5))
def test_batch_norm_with_running_statistics_matches_torch(seed, four_d):
    x, gamma, beta, _, eps = batch_norm_case(seed, four_d)
    rng = np.random.default_rng(seed)
    mean = rng.standard_normal(x.shape[1]).astype(np.float32)  # (C,)
    var = rng.uniform(0.1, 4, x.shape[1]).astype(np.float32)  # (C,)
    yt = F.batch_norm(f64(x), f64(mean), f64(var), f64(gamma), f64(beta), training=False, eps=eps)
    ref.assert_close(batch_norm(x, gamma, beta, eps, mean, var)[0], yt.numpy(), 1e-5, "y")


# ------------------------------------------------------------------ local contrast normalization


def lcn_case(seed: int):
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 4)), int(rng.integers(1, 4))
    size = int(rng.choice([1, 3, 5, 7] if c > 1 else [3, 5, 7]))  # size 1 with one channel: v = 0 everywhere
    sigma = None if seed % 3 == 0 else float(rng.uniform(0.5, 3))
    x = (rng.standard_normal((n, c, *rng.integers(3, 13, 2))) * rng.choice([0.1, 1, 3])).astype(
        np.float32
    )  # (N, C, H, W)
    return x, size, sigma, float(rng.uniform(0.05, 1.0))


def torch_window(channels: int, size: int, sigma: float) -> torch.Tensor:
    """The Gaussian window written out afresh: entries over all channels and taps sum to 1."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2  # (k,)
    g = torch.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))  # (k, k)
    return (g / g.sum() / channels).expand(1, channels, size, size)  # (1, C, k, k)


@pytest.mark.parametrize("seed", range(30))
def test_local_contrast_norm_matches_torch(seed):
    x, size, sigma, c = lcn_case(seed)
    gy = np.random.default_rng(seed + 7).standard_normal(x.shape).astype(np.float32)  # (N, C, H, W)
    y, cache = local_contrast_norm(x, size, sigma, c)
    window = torch_window(x.shape[1], size, size / 4 if sigma is None else sigma)  # (1, C, k, k)
    np.testing.assert_allclose(cache.window, window.numpy(), rtol=1e-6, atol=1e-9)

    xt = f64(x, grad=True)
    v = xt - F.conv2d(xt, window, padding=size // 2)  # (N, C, H, W)
    sd = torch.sqrt(F.conv2d(v * v, window, padding=size // 2))  # (N, 1, H, W)
    yt = v / torch.clamp(sd, min=c)  # (N, C, H, W)
    (yt * f64(gy)).sum().backward()

    ref.assert_close(y, yt.detach().numpy(), 1e-4, "y")
    ref.assert_close(local_contrast_norm_backward(gy, cache), xt.grad.numpy(), 1e-4, "dL/dx")


def test_local_contrast_norm_cases_reach_both_sides_of_the_clamp():
    """Some cells divide by the constant c, others by the local deviation."""
    clamped = divided = 0
    for seed in range(30):
        x, size, sigma, c = lcn_case(seed)
        sd = local_contrast_norm(x, size, sigma, c)[1].sigma  # (N, 1, H, W)
        clamped += int((sd < c).sum())
        divided += int((sd > c).sum())
    assert clamped > 500 and divided > 500
