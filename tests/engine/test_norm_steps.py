"""The steps of the normalizations (engine.norm_steps) against references written afresh.

Batch norm: PyTorch's F.batch_norm in training mode, its statistics taken with
torch. Local contrast normalization has no PyTorch op: seed 001's formula is
written out here as plain loops over each cell's window (NumPy, float64), with
the Gaussian window built afresh.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.norm import batch_norm, local_contrast_norm
from engine.norm_steps import batch_norm_steps, channel_stats, example_batch, lcn_steps
from tests.engine import reference as ref


def gaussian(size: int, sigma: float) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2  # (k,)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))  # (k, k)
    return g / g.sum()  # (k, k)


def lcn_by_the_formula(x: np.ndarray, size: int, sigma: float, c: float):
    """Seed 001, cell by cell: v = x − Σ_ipq w_pq x_{i,j+p,k+q}; σ = (Σ_ipq w_pq v²)^½; y = v / max(c, σ).

    w sums to 1 over the channels i and the taps p, q; cells beyond the border count as 0.
    """
    n, ch, h, wd = x.shape
    w = gaussian(size, sigma) / ch  # (k, k) the weight of each tap in each channel
    r = size // 2

    def local_sum(a):  # Σ_ipq w_pq a_{i, j+p, k+q} at every (j, k), a (N, C, H, W)
        out = np.zeros((n, 1, h, wd))  # (N, 1, H, W)
        for b in range(n):
            for j in range(h):
                for k in range(wd):
                    for p in range(-r, r + 1):
                        for q in range(-r, r + 1):
                            if 0 <= j + p < h and 0 <= k + q < wd:
                                out[b, 0, j, k] += w[p + r, q + r] * a[b, :, j + p, k + q].sum()
        return out

    x = x.astype(np.float64)  # (N, C, H, W)
    mean = local_sum(x)  # (N, 1, H, W)
    v = x - mean  # (N, C, H, W)
    sd = np.sqrt(local_sum(v * v))  # (N, 1, H, W)
    return mean, v, sd, v / np.maximum(c, sd)


@pytest.mark.parametrize("seed", range(8))
def test_lcn_steps_follow_seed_001s_formula(seed):
    rng = np.random.default_rng(seed)
    n, ch = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    size = int(rng.choice([3, 5, 7]))
    sigma = None if seed % 2 else float(rng.uniform(0.6, 2.5))
    c = float(rng.choice([0.05, 0.3, 1.0]))
    x = (rng.uniform(0, 1, (n, ch, *rng.integers(4, 10, 2))) * rng.choice([1, 5])).astype(np.float32)  # (N, C, H, W)
    steps = lcn_steps(x, size, sigma, c)
    used_sigma = size / 4 if sigma is None else sigma
    mean, v, sd, y = lcn_by_the_formula(x, size, used_sigma, c)
    ref.assert_close(steps.mean, mean, 1e-5, "local mean")
    ref.assert_close(steps.centered, v, 1e-5, "x − mean")
    ref.assert_close(steps.sigma, sd, 1e-4, "σ")
    ref.assert_close(steps.divisor, np.maximum(c, sd), 1e-4, "max(c, σ)")
    ref.assert_close(steps.output, y, 1e-4, "y")
    np.testing.assert_allclose(steps.window.sum(), 1, rtol=1e-6)  # Σ_ipq w = 1
    assert steps.window.shape == (ch, size, size) and steps.sigma_window == used_sigma and steps.c == c
    assert steps.clamped() == int((steps.sigma < np.float32(c)).sum())  # cells divided by c, not by σ


def test_lcn_steps_are_the_layers_own_numbers():
    x = np.random.default_rng(1).uniform(0, 1, (1, 1, 12, 12)).astype(np.float32)  # (1, 1, 12, 12)
    steps = lcn_steps(x, 7, None, 0.1)
    y, cache = local_contrast_norm(x, 7, None, 0.1)
    np.testing.assert_array_equal(steps.output, y)
    np.testing.assert_array_equal(steps.centered, cache.v)
    np.testing.assert_array_equal(steps.centered, x - steps.mean)  # the mean is the one subtracted, bit for bit
    np.testing.assert_array_equal(steps.sigma, cache.sigma)
    np.testing.assert_array_equal(steps.output, steps.centered / steps.divisor)


@pytest.mark.parametrize("seed", range(10))
def test_batch_norm_steps_match_torch_training_mode(seed):
    rng = np.random.default_rng(seed)
    x = example_batch(
        int(rng.integers(2, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 5)), int(rng.integers(1, 5)), seed
    )
    gamma = rng.uniform(-2, 2, x.shape[1]).astype(np.float32)  # (C,)
    beta = rng.uniform(-2, 2, x.shape[1]).astype(np.float32)  # (C,)
    eps = float(rng.choice([1e-5, 1e-3, 0.1]))
    s = batch_norm_steps(x, gamma, beta, eps)

    xt = torch.tensor(x, dtype=torch.float64)  # (N, C, H, W)
    mean = xt.mean(dim=(0, 2, 3))  # (C,)
    var = xt.var(dim=(0, 2, 3), unbiased=False)  # (C,) the mini-batch variance, divided by m
    xhat = (xt - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)  # (N, C, H, W)
    yt = F.batch_norm(
        xt,
        None,
        None,
        torch.tensor(gamma, dtype=torch.float64),
        torch.tensor(beta, dtype=torch.float64),
        training=True,
        eps=eps,
    )  # (N, C, H, W)
    ref.assert_close(s.mean, mean.numpy(), 1e-5, "μ")
    ref.assert_close(s.var, var.numpy(), 1e-5, "σ²")
    ref.assert_close(s.std, torch.sqrt(var + eps).numpy(), 1e-5, "√(σ² + ε)")
    ref.assert_close(s.xhat, xhat.numpy(), 1e-4, "x̂")
    ref.assert_close(s.output, yt.numpy(), 1e-4, "y")
    ref.assert_close(s.output, gamma[None, :, None, None] * s.xhat + beta[None, :, None, None], 1e-5, "y = γ x̂ + β")
    assert s.count == x.shape[0] * x.shape[2] * x.shape[3] and s.eps == eps
    np.testing.assert_array_equal(s.output, batch_norm(x, gamma, beta, eps)[0])  # the layer's own output


def test_normalized_maps_have_mean_0_and_variance_1_per_channel():
    x = example_batch(4, 2, 3, 3, seed=0)  # (4, 2, 3, 3)
    steps = batch_norm_steps(x, eps=1e-5)
    stats = channel_stats(steps.xhat)
    np.testing.assert_allclose(stats["mean"], 0, atol=1e-6)
    # Variance σ²/(σ² + ε): 1, short by ε over the channel's variance.
    var = x.astype(np.float64).var(axis=(0, 2, 3))  # (C,)
    np.testing.assert_allclose(stats["var"], var / (var + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(stats["var"], 1, atol=1e-3)
    # The example's channels really do differ before normalization.
    before = channel_stats(x)
    assert abs(before["mean"][0] - before["mean"][1]) > 0.5 or abs(before["var"][0] / before["var"][1] - 1) > 0.5


def test_example_batch_is_seeded_and_one_decimal():
    a, b = example_batch(4, 2, 3, 3, 5), example_batch(4, 2, 3, 3, 5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, example_batch(4, 2, 3, 3, 6))
    np.testing.assert_allclose(a, np.round(a.astype(np.float64), 1), atol=1e-6)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: lcn_steps(np.zeros((1, 1, 5, 5)), 4), "size must be odd"),
        (lambda: lcn_steps(np.zeros((1, 1, 5, 5)), 3, None, 0), "c must be from"),
        (lambda: batch_norm_steps(np.zeros((1, 1, 1, 1))), "at least 2 values per channel"),
        (lambda: batch_norm_steps(np.zeros((2, 2, 2, 2)), [1], [0, 0]), "gamma must have one value per channel (2)"),
        (lambda: batch_norm_steps(np.zeros((2, 2, 2))), "x must have 4 axes"),
        (lambda: example_batch(0, 2, 3, 3), "batch must be from 1 to 64"),
    ],
)
def test_arguments_are_named_with_their_range(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value), str(info.value)
