"""Optimizers with PyTorch's update rules, so a run can be checked step by step.

SGD with momentum:  v ← μ v + g;  p ← p − lr v
Adam:               m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
                    p ← p − lr · m̂ / (√v̂ + ε)  with bias-corrected m̂, v̂
"""

from __future__ import annotations

import numpy as np

from . import checks
from .jit import strict_kernel, twin_of

# The updates as compiled loops: no temporary arrays (a 120 KB temporary costs more than the
# arithmetic), and each element gets exactly NumPy's operations in NumPy's order, without
# fused multiply-adds (a strict kernel), so a run is the same to the bit either way.
#
# One difference, on purpose: a momentum (or Adam moment) that decays below float32's smallest
# normal number (2⁻¹²⁶, about 1.2e−38) becomes 0. Such subnormal numbers cost the processor a
# hundred times a normal multiply, and a unit that stopped learning keeps decaying its buffer
# into them step after step; what they would add to a weight is below its last bit.
TINY = np.float32(np.finfo(np.float32).tiny)


@strict_kernel
def _sgd(p, g, v, momentum, lr, use_v):
    """p −= lr·g, or with use_v: v ← v·momentum + g, then p −= lr·v. Flat float32 arrays."""
    for i in range(p.size):
        d = g[i]
        if use_v:
            d = v[i] * momentum
            d = d + g[i]
            if abs(d) < TINY:
                d = np.float32(0)
            v[i] = d
        p[i] = p[i] - lr * d


@twin_of(_sgd)
def _sgd_numpy(p, g, v, momentum, lr, use_v):
    if use_v:
        v *= momentum
        v += g
        v[np.abs(v) < TINY] = 0
        g = v
    p -= lr * g


@strict_kernel
def _adam(p, g, m, v, b1, b2, one_b1, one_b2, c2_root, eps, step):
    """Adam's update of one parameter, element by element as :meth:`Adam.step` writes it with arrays."""
    for i in range(p.size):
        gi = g[i]
        mi = m[i] * b1
        mi = mi + one_b1 * gi
        if abs(mi) < TINY:
            mi = np.float32(0)
        m[i] = mi
        vi = v[i] * b2
        vi = vi + (one_b2 * gi) * gi
        if vi < TINY:
            vi = np.float32(0)
        v[i] = vi
        denom = np.sqrt(vi) / c2_root + eps
        p[i] = p[i] - (step * mi) / denom


def _flat(*arrays) -> tuple | None:
    """The arrays as flat views, or None if one is not contiguous (its flat copy would not be written back)."""
    if not all(a.flags.c_contiguous for a in arrays):
        return None
    return tuple(a.reshape(-1) for a in arrays)


class SGD:
    def __init__(self, lr=0.1, momentum=0.0, weight_decay=0.0):
        self.lr = checks.number("learning rate", lr, 0.0, 10.0)
        self.momentum = checks.number("momentum", momentum, 0.0, 0.999)
        self.weight_decay = checks.number("weight decay", weight_decay, 0.0, 1.0)
        self.velocity: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every parameter in place from its gradient."""
        lr = np.float32(self.lr)
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay:
                g = g + np.float32(self.weight_decay) * p  # like p
            v = None
            if self.momentum:
                v = self.velocity.get(name)
                if v is None:
                    g = self.velocity[name] = g.copy()  # like p: PyTorch starts the buffer at g
            flat = _flat(p, g) if v is None else _flat(p, g, v)
            if flat is None:
                if v is not None:
                    v *= np.float32(self.momentum)
                    v += g
                    g = v
                p -= lr * g
            else:
                _sgd(flat[0], flat[1], flat[-1], np.float32(self.momentum), lr, v is not None)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr = checks.number("learning rate", lr, 0.0, 10.0)
        self.beta1 = checks.number("beta1", beta1, 0.0, 0.9999)
        self.beta2 = checks.number("beta2", beta2, 0.0, 0.99999)
        self.eps = checks.number("eps", eps, 1e-12, 1.0)
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        b1, b2 = np.float32(self.beta1), np.float32(self.beta2)
        c1 = 1 - self.beta1**self.t
        c2 = 1 - self.beta2**self.t
        for name, p in params.items():
            g = grads[name]
            m = self.m.setdefault(name, np.zeros_like(p))  # like p
            v = self.v.setdefault(name, np.zeros_like(p))  # like p
            flat = _flat(p, g, m, v)
            if flat is not None:
                scalars = (b1, b2, 1 - b1, 1 - b2, np.float32(np.sqrt(c2)), np.float32(self.eps))
                _adam(*flat, *scalars, np.float32(self.lr / c1))
                continue
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v) / np.float32(np.sqrt(c2)) + np.float32(self.eps)  # like p
            p -= np.float32(self.lr / c1) * m / denom


def make(name: str, **settings):
    """An optimizer by name: "sgd" (lr, momentum, weight_decay) or "adam" (lr, beta1, beta2, eps)."""
    kinds = {"sgd": SGD, "adam": Adam}
    return kinds[checks.choice("optimizer", name, tuple(kinds))](**settings)
