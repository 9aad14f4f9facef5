"""Fully connected (dense) layer and softmax cross-entropy, forward and backward."""

from __future__ import annotations

import numpy as np

from . import checks


def dense(x, w, b=None) -> np.ndarray:
    """y = x wᵀ + b for x (N, in), w (out, in) as in PyTorch's Linear, b (out,)."""
    x, w, b = _check(x, w, b)
    return x @ w.T + b  # (N, out)


def dense_backward(gy, x, w):
    """(dL/dx, dL/dw, dL/db) of :func:`dense` given dL/dy (N, out)."""
    x, w, _ = _check(x, w, None)
    gy = checks.array("gy", gy, 2, "(N, out)")
    if gy.shape != (x.shape[0], w.shape[0]):
        raise ValueError(f"gy must have shape {(x.shape[0], w.shape[0])}, got {gy.shape}")
    return gy @ w, gy.T @ x, gy.sum(axis=0)  # (N, in), (out, in), (out,)


def _check(x, w, b):
    x = checks.array("x", x, 2, "(N, inputs)")
    w = checks.array("w", w, 2, "(outputs, inputs)")
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have {x.shape[1]} inputs per row to match x, got {w.shape[1]}")
    if b is None:
        b = np.zeros(w.shape[0], np.float32)  # (out,)
    else:
        b = checks.array("b", b, 1, "(outputs,)")
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"b must have one value per output ({w.shape[0]}), got {b.shape[0]}")
    return x, w, b


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities (N, K); shifting by the row maximum keeps exp from overflowing."""
    z = logits - logits.max(axis=1, keepdims=True)  # (N, K)
    e = np.exp(z)  # (N, K)
    return e / e.sum(axis=1, keepdims=True)  # (N, K)


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    Returns (loss, probabilities (N, K), dL/dlogits (N, K)); the gradient is
    (p − onehot)/N, the reason softmax and cross-entropy are always paired.
    """
    logits = checks.array("logits", logits, 2, "(N, classes)")
    n, k = logits.shape
    labels = checks.labels("labels", labels, n, k)
    z = logits - logits.max(axis=1, keepdims=True)  # (N, K)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, K)
    p = np.exp(log_p)  # (N, K)
    loss = float(-log_p[np.arange(n), labels].mean())
    grad = p.copy()  # (N, K)
    grad[np.arange(n), labels] -= 1
    grad /= n
    return loss, p.astype(np.float32), grad.astype(np.float32)
