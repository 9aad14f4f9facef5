"""The intermediate steps of the normalizations in engine.norm, for the page to show.

Nothing is recomputed a second way: each step is either what engine.norm
returns (its output and its cache) or the very call engine.norm made to get it,
so every number on screen is one the layer itself used.

Local contrast normalization (seed 001), per cell (j, k)::

    mean = Σ_ipq w_pq x_{i, j+p, k+q}           the local mean (Σ_ipq w = 1)
    v    = x − mean                              subtractive step
    σ    = (Σ_ipq w_pq v²_{i, j+p, k+q})^½       the local standard deviation
    y    = v / max(c, σ)                         divisive step

Batch normalization, per channel c over the batch and both spatial axes::

    μ_c = mean of x,   σ²_c = mean of (x − μ_c)²,   x̂ = (x − μ_c) / √(σ²_c + ε),   y = γ_c x̂ + β_c
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .norm import _bn_axes, batch_norm, local_contrast_norm


@dataclass(frozen=True)
class LCNSteps:
    mean: np.ndarray  # (N, 1, H, W) local mean, shared by every channel
    centered: np.ndarray  # (N, C, H, W) v = x − mean
    sigma: np.ndarray  # (N, 1, H, W) local standard deviation of v
    divisor: np.ndarray  # (N, 1, H, W) max(c, σ)
    output: np.ndarray  # (N, C, H, W) y = v / max(c, σ)
    window: np.ndarray  # (C, k, k) the weights, summing to 1 over channels and taps
    size: int
    sigma_window: float  # the Gaussian's σ (size/4 unless given)
    c: float

    def clamped(self) -> int:
        """How many cells divide by c rather than by σ (σ < c: a flat neighbourhood)."""
        return int((self.sigma < self.divisor).sum())


def lcn_steps(x, size: int = 7, sigma: float | None = None, c: float = 0.1) -> LCNSteps:
    """Every step of :func:`engine.norm.local_contrast_norm` on x (N, C, H, W)."""
    y, cache = local_contrast_norm(x, size, sigma, c)  # (N, C, H, W); checks every argument
    x = checks.array("x", x, 4, "(N, C, H, W)")
    zero = np.zeros(1, np.float32)  # (1,) no bias
    # The same call local_contrast_norm made for its mean, so v == x − mean bit for bit.
    mean = cache.spec.forward(x, cache.window, zero)[0]  # (N, 1, H, W)
    used_sigma = size / 4 if sigma is None else float(sigma)
    return LCNSteps(mean, cache.v, cache.sigma, cache.d, y, cache.window[0].copy(), size, used_sigma, float(c))


@dataclass(frozen=True)
class BNSteps:
    mean: np.ndarray  # (C,) μ over the batch and both spatial axes
    var: np.ndarray  # (C,) σ², biased (divided by m), as in the paper
    std: np.ndarray  # (C,) √(σ² + ε), what x − μ is divided by
    xhat: np.ndarray  # (N, C, H, W) normalised
    output: np.ndarray  # (N, C, H, W) γ x̂ + β
    gamma: np.ndarray  # (C,)
    beta: np.ndarray  # (C,)
    eps: float
    count: int  # m: values per channel (N·H·W)


def batch_norm_steps(x, gamma=None, beta=None, eps: float = 1e-5) -> BNSteps:
    """Every step of training-mode :func:`engine.norm.batch_norm` on x (N, C, H, W).

    ``gamma``/``beta`` default to ones and zeros (the layer as initialised).
    """
    x = checks.array("x", x, 4, "(N, C, H, W)")
    channels = x.shape[1]
    gamma = np.ones(channels, np.float32) if gamma is None else gamma  # (C,)
    beta = np.zeros(channels, np.float32) if beta is None else beta  # (C,)
    y, cache = batch_norm(x, gamma, beta, eps)  # (N, C, H, W); checks every argument
    axes = _bn_axes(x)
    # The expressions batch_norm evaluates for its batch statistics, on the same array.
    mean = x.mean(axis=axes)  # (C,)
    var = x.var(axis=axes)  # (C,)
    std = (1 / cache.inv_std).astype(np.float32)  # (C,)
    return BNSteps(
        mean, var, std, cache.xhat, y, cache.gamma, np.asarray(beta, np.float32), float(eps), x.size // channels
    )


def channel_stats(a: np.ndarray) -> dict[str, list[float]]:
    """Per-channel mean and (biased) variance of a (N, C, H, W) array, in float64: what the page prints."""
    a64 = np.asarray(a, np.float64)  # (N, C, H, W)
    axes = (0, 2, 3)
    return {"mean": a64.mean(axis=axes).tolist(), "var": a64.var(axis=axes).tolist()}


def example_batch(batch: int, channels: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A seeded (N, C, H, W) batch whose channels sit at different offsets and scales, one decimal each.

    Channel offsets are drawn from −5 to 5 and spreads from 0.3 to 3, so before
    normalisation the channels look nothing alike; after it, each has mean 0 and
    variance 1. One decimal: short numbers read from the back of a lecture hall.
    """
    batch = checks.integer("batch", batch, 1, 64)
    channels = checks.integer("channels", channels, 1, 16)
    height = checks.integer("height", height, 1, 64)
    width = checks.integer("width", width, 1, 64)
    seed = checks.integer("seed", seed, 0, 2**31 - 1)
    rng = np.random.default_rng(seed)
    offset = rng.uniform(-5, 5, channels)  # (C,)
    spread = rng.uniform(0.3, 3, channels)  # (C,)
    noise = rng.standard_normal((batch, channels, height, width))  # (N, C, H, W)
    values = offset[None, :, None, None] + spread[None, :, None, None] * noise  # (N, C, H, W)
    return values.round(1).astype(np.float32)  # (N, C, H, W)
