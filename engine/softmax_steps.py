"""Softmax and cross-entropy for one example, step by step, as a learner works them on paper.

The answer itself (probabilities, loss, gradient) is :func:`engine.dense.softmax_cross_entropy`'s,
the op every network of the course trains with; this module adds the steps in between, each an
array a page can show:

    z            the logits, as given
    z / T        divided by the temperature T (T = 1 leaves them alone)
    z/T − max    shifted so the largest is 0: exp can no longer overflow, and the answer does not
                 change, because a constant added to every logit cancels in the division below
    e^(…)        each shifted logit exponentiated: positive, the largest exactly 1
    Σ            their sum
    p = e / Σ    the probabilities
    L            −Σ_k t_k ln p_k, t the target: the one-hot label y, or with label smoothing ε
                 PyTorch's (1 − ε)·onehot(y) + ε/C; with ε = 0 that is −ln p_y
    ln Σ e^(z/T) − z_y/T   the same loss without ever forming p_y (which can round to 0): the
                 log-sum-exp form, finite for any finite logits
    ∂L/∂z        (p − t)/T: each wrong class pushed down by its probability, the true class pulled
                 up by 1 − p_y (at T = 1 and ε = 0 exactly p − onehot(y))

Every array is float32 as the engine computes; sums of exponentials are taken in float64 as the
kernel takes them. tests/engine/test_softmax_steps.py checks each step against PyTorch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import checks
from .dense import softmax_cross_entropy
from .errors import ArgumentError

MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0
MAX_SMOOTHING = 0.5  # past 1 − 1/C the smoothed target would favour the wrong classes


@dataclass(frozen=True)
class SoftmaxSteps:
    """One example's softmax and cross-entropy, every intermediate array kept."""

    logits: np.ndarray  # (C,) z
    scaled: np.ndarray  # (C,) z / T
    shifted: np.ndarray  # (C,) z/T − max(z/T)
    exps: np.ndarray  # (C,) e^(z/T − max)
    total: float  # Σ e^(z/T − max)
    probs: np.ndarray  # (C,) p, from engine.softmax_cross_entropy
    log_probs: np.ndarray  # (C,) ln p = shifted − ln Σ, finite even where p rounds to 0
    target: np.ndarray  # (C,) t: onehot(y), smoothed by ε
    loss: float  # −Σ t ln p
    logsumexp: float  # ln Σ e^(z/T): max + ln Σ
    grad: np.ndarray  # (C,) ∂L/∂z = (p − t)/T
    label: int  # y
    temperature: float  # T
    smoothing: float  # ε

    @property
    def classes(self) -> int:
        return len(self.logits)

    @property
    def predicted(self) -> int:
        """The class with the largest probability (the first of a tie, as argmax picks)."""
        return int(np.argmax(self.probs))

    @property
    def top(self) -> list[int]:
        """Every class with the largest probability: more than one is a tie, and no real prediction."""
        return [int(i) for i in np.flatnonzero(self.probs == self.probs.max())]

    @property
    def uniform_loss(self) -> float:
        """ln C: the loss of a guess that gives every class the same probability, whatever the label."""
        return math.log(self.classes)


def _logits(logits) -> np.ndarray:
    z = checks.array("logits", logits, 1, "(C,)")  # (C,)
    if len(z) < 2:
        raise ArgumentError("logits", f"logits must hold at least 2 numbers (one per class), got {len(z)}")
    return z


def softmax_steps(logits, label: int, temperature: float = 1.0, smoothing: float = 0.0) -> SoftmaxSteps:
    """Every step from logits (C,) to the loss and its gradient, for the true class ``label``.

    ``temperature`` divides the logits before the softmax (0.05–20); ``smoothing`` is PyTorch's
    ``label_smoothing`` (0–0.5). ArgumentError names the argument that does not fit.
    """
    z = _logits(logits)  # (C,)
    c = len(z)
    y = checks.integer("label", label, 0, c - 1)
    t = checks.number("temperature", temperature, MIN_TEMPERATURE, MAX_TEMPERATURE)
    eps = checks.number("smoothing", smoothing, 0.0, MAX_SMOOTHING)

    scaled = (z / np.float32(t)).astype(np.float32)  # (C,)
    shifted = scaled - scaled.max()  # (C,) the largest is exactly 0
    exps = np.exp(shifted)  # (C,) each in (0, 1], one of them 1
    total = float(exps.sum(dtype=np.float64))  # ≥ 1, so its log is never −inf
    log_total = math.log(total)
    log_probs = (shifted - log_total).astype(np.float32)  # (C,)

    # The op the networks train with gives p, −ln p_y and p − onehot(y) for the scaled logits.
    ce, probs, grad_ce = softmax_cross_entropy(scaled[None], np.array([y]))  # float, (1, C), (1, C)
    target = np.full(c, eps / c, np.float32)  # (C,) ε spread over every class, the true one included
    target[y] += np.float32(1.0 - eps)
    if eps == 0.0:
        loss = float(ce)
        grad_scaled = grad_ce[0]  # (C,) p − onehot(y)
    else:
        # −Σ t ln p = (1 − ε)(−ln p_y) + ε·mean(−ln p): the one-hot loss blended with the uniform one.
        loss = float((1.0 - eps) * ce - eps * log_probs.astype(np.float64).mean())
        grad_scaled = probs[0] - target  # (C,)
    grad = (grad_scaled / np.float32(t)).astype(np.float32)  # (C,) chain rule through z / T
    return SoftmaxSteps(
        logits=z,
        scaled=scaled,
        shifted=shifted,
        exps=exps,
        total=total,
        probs=probs[0],
        log_probs=log_probs,
        target=target,
        loss=loss,
        logsumexp=float(scaled.max()) + log_total,
        grad=grad,
        label=y,
        temperature=t,
        smoothing=eps,
    )
