"""Optimizers with PyTorch's update rules, so a run can be checked step by step.

SGD with momentum:  v ← μ v + g;  p ← p − lr v
Adam:               m ← β₁ m + (1 − β₁) g;  v ← β₂ v + (1 − β₂) g²;
                    p ← p − lr · m̂ / (√v̂ + ε)  with bias-corrected m̂, v̂
"""

from __future__ import annotations

import numpy as np

from . import checks


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
            if self.momentum:
                v = self.velocity.get(name)
                if v is None:
                    v = self.velocity[name] = g.copy()  # like p: PyTorch starts the buffer at g
                else:
                    v *= np.float32(self.momentum)
                    v += g
                g = v
            p -= lr * g


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
