"""norm.run: every step of local contrast normalization or batch norm, from engine.norm_steps.

No math here: the steps, the example batch and the per-channel statistics all
come from the engine; this module picks the input, calls it, and names the
field when the engine refuses.
"""

from __future__ import annotations

import numpy as np

from engine.norm_steps import batch_norm_steps, channel_stats, example_batch, lcn_steps

from . import wire
from .protocol import ANSWERS, Problem
from .protocol_norm import BNMeta, LCNMeta, NormRunParams

# The engine names its arguments; the request knows them by these fields.
FIELDS = {"x": "input", "size": "size", "sigma": "sigma", "c": "c", "gamma": "gamma", "beta": "beta", "eps": "eps"}


def _input(p: NormRunParams) -> np.ndarray:
    if p.example is not None:
        e = p.example
        return example_batch(e.batch, e.channels, e.height, e.width, e.seed)  # (N, C, H, W)
    x = p.input
    return np.asarray(x.values, np.float32).reshape(x.batch, x.channels, x.height, x.width)  # (N, C, H, W)


def _refused(exc: ValueError) -> Problem:
    name = str(exc).split(" ", 1)[0]
    return Problem("invalid", FIELDS.get(name), str(exc))


def _range(a: np.ndarray) -> dict:
    return {"min": float(a.min()), "max": float(a.max())}


def norm_run(id: int, p: NormRunParams) -> bytes:
    x = _input(p)  # (N, C, H, W)
    try:
        if p.mode == "lcn":
            s = lcn_steps(x, p.size, p.sigma, p.c)
        else:
            gamma = None if p.gamma is None else np.asarray(p.gamma, np.float32)  # (C,)
            beta = None if p.beta is None else np.asarray(p.beta, np.float32)  # (C,)
            s = batch_norm_steps(x, gamma, beta, p.eps)
    except ValueError as exc:
        raise _refused(exc) from None
    if p.mode == "lcn":
        arrays = {"input": x, "mean": s.mean, "centered": s.centered, "sigma": s.sigma, "divisor": s.divisor,
                  "output": s.output, "window": s.window}
        meta = LCNMeta(shape=x.shape, size=s.size, sigma=s.sigma_window, c=s.c, clamped=s.clamped(),
                       cells=x.shape[0] * x.shape[2] * x.shape[3],
                       ranges={name: _range(arrays[name]) for name in ("input", "mean", "centered", "sigma", "output")})
    else:
        arrays = {"input": x, "mean": s.mean, "var": s.var, "std": s.std, "xhat": s.xhat, "output": s.output}
        meta = BNMeta(shape=x.shape, eps=s.eps, count=s.count, gamma=s.gamma.tolist(), beta=s.beta.tolist(),
                      stats={name: channel_stats(arrays[name]) for name in ("input", "xhat", "output")})
    return wire.encode(id, ANSWERS["norm.run"], meta.model_dump(), arrays)
