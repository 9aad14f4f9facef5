"""Fully connected (dense) layer and softmax cross-entropy, forward and backward."""

from __future__ import annotations

import numpy as np

from . import checks
from .errors import ArgumentError
from .jit import kernel, twin_of


def dense(x, w, b=None) -> np.ndarray:
    """y = x wᵀ + b for x (N, in), w (out, in) as in PyTorch's Linear, b (out,)."""
    x, w, b = _check(x, w, b)
    return x @ w.T + b  # (N, out)


def dense_backward(gy, x, w):
    """(dL/dx, dL/dw, dL/db) of :func:`dense` given dL/dy (N, out)."""
    x, w, _ = _check(x, w, None)
    gy = checks.array("gy", gy, 2, "(N, out)")
    if gy.shape != (x.shape[0], w.shape[0]):
        raise ArgumentError("gy", f"gy must have shape {(x.shape[0], w.shape[0])}, got {gy.shape}")
    return gy @ w, gy.T @ x, gy.sum(axis=0)  # (N, in), (out, in), (out,)


def _check(x, w, b):
    x = checks.array("x", x, 2, "(N, inputs)")
    w = checks.array("w", w, 2, "(outputs, inputs)")
    if w.shape[1] != x.shape[1]:
        raise ArgumentError("w", f"w must have {x.shape[1]} inputs per row to match x, got {w.shape[1]}")
    return x, w, checks.bias(b, w.shape[0], "output")  # (N, in), (out, in), (out,)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities (N, K); shifting by the row maximum keeps exp from overflowing."""
    z = logits - logits.max(axis=1, keepdims=True)  # (N, K)
    e = np.exp(z)  # (N, K)
    return e / e.sum(axis=1, keepdims=True)  # (N, K)


@kernel
def _softmax_ce(logits, labels, probs, grad) -> float:
    """Mean cross-entropy; fills probs (N, K) and grad = (p − onehot)/N. One pass per row."""
    N, K = logits.shape
    total = 0.0
    for n in range(N):
        row = logits[n]
        top = row[0]
        for k in range(1, K):
            top = max(top, row[k])
        z = 0.0  # float64 so a long row of exponentials adds up exactly enough
        for k in range(K):
            z += np.exp(row[k] - top)
        log_z = np.log(z)
        for k in range(K):
            p = np.exp(row[k] - top - log_z)
            probs[n, k] = p
            grad[n, k] = p / N
        total -= row[labels[n]] - top - log_z
        grad[n, labels[n]] -= 1.0 / N
    return total / N


@twin_of(_softmax_ce)
def _softmax_ce_numpy(logits, labels, probs, grad) -> float:
    N = logits.shape[0]
    rows = np.arange(N)  # (N,)
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K) float32, as the kernel subtracts
    # (N, 1): each exponential in float32, their sum in float64, as in the kernel
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True, dtype=np.float64))
    log_p = shifted - log_z  # (N, K) float64
    p = np.exp(log_p)  # (N, K)
    probs[...] = p
    grad[...] = p / N
    grad[rows, labels] = grad[rows, labels] - 1.0 / N  # in float64, as the kernel
    return float(-log_p[rows, labels].sum() / N)


def softmax_ce(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Unchecked :func:`softmax_cross_entropy` for callers that validated already."""
    probs = np.empty(logits.shape, np.float32)  # (N, K)
    grad = np.empty(logits.shape, np.float32)  # (N, K)
    loss = _softmax_ce(logits, labels, probs, grad)
    return loss, probs, grad


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels.

    Returns (loss, probabilities (N, K), dL/dlogits (N, K)); the gradient is
    (p − onehot)/N, the reason softmax and cross-entropy are always paired.
    """
    logits = checks.array("logits", logits, 2, "(N, classes)")
    n, k = logits.shape
    return softmax_ce(logits, checks.labels("labels", labels, n, k))
