"""Normalization layers from seed 001, forward and backward side by side.

Local contrast normalization (Jarrett et al. 2009): subtract a Gaussian-weighted
local mean taken across all channels, then divide by the local standard
deviation, but never by less than a constant ``c``::

    v = x − Σ_ipq w_pq x_{i, j+p, k+q}        (Σ_ipq w = 1)
    σ = (Σ_ipq w_pq v²_{i, j+p, k+q})^½
    y = v / max(c, σ)

Batch normalization (Ioffe & Szegedy 2015): normalise each channel over the
mini-batch, then scale by γ and shift by β, both learned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .conv import ConvSpec
from .errors import ArgumentError

# ------------------------------------------------------------ local contrast


def gaussian_window(size: int, sigma: float) -> np.ndarray:
    """A (size, size) Gaussian whose entries sum to 1."""
    r = np.arange(size, dtype=np.float64) - (size - 1) / 2  # (size,)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / (2 * sigma**2))  # (size, size)
    return (g / g.sum()).astype(np.float32)


@dataclass(frozen=True)
class LCNCache:
    v: np.ndarray  # (N, C, H, W) input minus local mean
    sigma: np.ndarray  # (N, 1, H, W) local standard deviation
    d: np.ndarray  # (N, 1, H, W) max(c, sigma)
    window: np.ndarray  # (1, C, k, k) weights, summing to 1 over channels and taps
    spec: ConvSpec


def _lcn_setup(x, size, sigma, c):
    x = checks.array("x", x, 4, "(N, C, H, W)")
    size = checks.integer("size", size, 1, 15)
    if size % 2 == 0:
        raise ArgumentError("size", f"size must be odd (a window centred on each cell), from 1 to 15, got {size}")
    sigma = checks.number("sigma", size / 4 if sigma is None else sigma, 0.1, 10.0)
    c = checks.number("c", c, 1e-6, 10.0)
    channels = x.shape[1]
    g = gaussian_window(size, sigma) / np.float32(channels)  # (k, k)
    window = np.ascontiguousarray(np.broadcast_to(g, (1, channels, size, size)))  # (1, C, k, k)
    spec = ConvSpec.make(padding=size // 2)  # "same" size output, zero border
    return x, window, spec, np.float32(c)


def local_contrast_norm(x, size=7, sigma=None, c=0.1) -> tuple[np.ndarray, LCNCache]:
    """Local contrast normalization of x (N, C, H, W) with a size×size Gaussian (σ = size/4 by default).

    Returns (y (N, C, H, W), cache for the backward pass).
    """
    x, window, spec, c = _lcn_setup(x, size, sigma, c)
    zero = np.zeros(1, np.float32)  # (1,) no bias
    mean = spec.forward(x, window, zero)[0]  # (N, 1, H, W)
    v = x - mean  # (N, C, H, W)
    sigma_ = np.sqrt(spec.forward(v * v, window, zero)[0])  # (N, 1, H, W)
    d = np.maximum(c, sigma_)  # (N, 1, H, W)
    return v / d, LCNCache(v, sigma_, d, window, spec)


def local_contrast_norm_backward(gy, cache: LCNCache) -> np.ndarray:
    """dL/dx of :func:`local_contrast_norm` from dL/dy and its cache."""
    v, d, spec, window = cache.v, cache.d, cache.spec, cache.window
    gy = checks.array("gy", gy, 4, "(N, C, H, W)")
    if gy.shape != v.shape:
        raise ArgumentError("gy", f"gy must have the shape of the output {v.shape}, got {gy.shape}")
    gv = gy / d  # (N, C, H, W)
    gd = -(gy * v).sum(axis=1, keepdims=True) / (d * d)  # (N, 1, H, W)
    # max(c, σ) passes gradient to σ only where σ won; there σ ≥ c > 0.
    won = cache.sigma >= d  # (N, 1, H, W)
    gs = np.where(won, gd / (2 * np.where(won, cache.sigma, 1)), 0).astype(np.float32)  # (N, 1, H, W) dL/d(σ²)
    vv = v * v  # (N, C, H, W)
    g_vv = spec.backward(gs, spec.saved_for(vv), vv.shape, window)[0]  # (N, C, H, W)
    gv = gv + 2 * v * g_vv  # (N, C, H, W)
    gm = -gv.sum(axis=1, keepdims=True)  # (N, 1, H, W) the mean was subtracted from every channel
    return gv + spec.backward(gm, spec.saved_for(v), v.shape, window)[0]  # (N, C, H, W)


# ------------------------------------------------------------ batch norm


@dataclass(frozen=True)
class BNCache:
    xhat: np.ndarray  # like x, normalised
    inv_std: np.ndarray  # (C,)
    gamma: np.ndarray  # (C,)
    axes: tuple[int, ...]


def _bn_axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _per_channel(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    return a.reshape((1, -1) + (1,) * (x.ndim - 2))  # (1, C) or (1, C, 1, 1)


def batch_norm(x, gamma, beta, eps=1e-5, mean=None, var=None) -> tuple[np.ndarray, BNCache]:
    """Batch normalization of x (N, C) or (N, C, H, W) per channel.

    With ``mean``/``var`` None the batch's own statistics are used (training);
    pass running statistics for evaluation. Returns (y, cache).
    """
    x = checks.array("x", x, np.ndim(x), "(N, C) or (N, C, H, W)")
    if x.ndim not in (2, 4):
        raise ArgumentError("x", f"x must have 2 axes (N, C) or 4 axes (N, C, H, W), got shape {x.shape}")
    channels = x.shape[1]
    gamma = checks.array("gamma", gamma, 1, "(C,)")
    beta = checks.array("beta", beta, 1, "(C,)")
    for name, a in (("gamma", gamma), ("beta", beta)):
        if a.shape[0] != channels:
            raise ArgumentError(name, f"{name} must have one value per channel ({channels}), got {a.shape[0]}")
    eps = checks.number("eps", eps, 1e-12, 1.0)
    axes = _bn_axes(x)
    if (mean is None) != (var is None):
        given, missing = ("mean", "var") if var is None else ("var", "mean")
        raise ArgumentError(
            missing,
            f"{missing} must be given with {given}: "
            "running statistics come as a pair (or neither, for batch statistics)",
        )
    if mean is not None:
        mean = checks.array("mean", mean, 1, "(C,)")
        var = checks.array("var", var, 1, "(C,)")
        for name, a in (("mean", mean), ("var", var)):
            if a.shape[0] != channels:
                raise ArgumentError(name, f"{name} must have one value per channel ({channels}), got {a.shape[0]}")
        if var.min() < 0:
            raise ArgumentError("var", f"var must be at least 0 (a variance), got {var.min()}")
    else:
        if x.size // channels < 2:
            raise ArgumentError("x", "x must hold at least 2 values per channel to estimate a batch variance")
        mean = x.mean(axis=axes)  # (C,)
        var = x.var(axis=axes)  # (C,) biased, as in the paper
    inv_std = (1.0 / np.sqrt(np.asarray(var, np.float32) + np.float32(eps))).astype(np.float32)  # (C,)
    xhat = (x - _per_channel(np.asarray(mean, np.float32), x)) * _per_channel(inv_std, x)  # like x
    y = xhat * _per_channel(gamma, x) + _per_channel(beta, x)  # like x
    return y.astype(np.float32), BNCache(xhat.astype(np.float32), inv_std, gamma, axes)


def batch_norm_backward(gy, cache: BNCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dL/dx, dL/dγ, dL/dβ) of training-mode :func:`batch_norm`."""
    xhat = cache.xhat
    gy = checks.array("gy", gy, xhat.ndim, "(shape of x)")
    if gy.shape != xhat.shape:
        raise ArgumentError("gy", f"gy must have the shape of x {xhat.shape}, got {gy.shape}")
    m = xhat.size // xhat.shape[1]
    gbeta = gy.sum(axis=cache.axes)  # (C,)
    ggamma = (gy * xhat).sum(axis=cache.axes)  # (C,)
    scale = _per_channel(cache.gamma * cache.inv_std / m, xhat)  # (1, C[, 1, 1])
    gx = scale * (m * gy - _per_channel(gbeta, xhat) - xhat * _per_channel(ggamma, xhat))  # like x
    return gx.astype(np.float32), ggamma.astype(np.float32), gbeta.astype(np.float32)
