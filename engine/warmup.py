"""Compile (or load from the on-disk cache) every kernel before a user needs it.

The server calls :func:`warm_up` on a background thread at start. While it runs,
requests on other threads are answered by the NumPy twins of the kernels it has
not compiled yet (:func:`engine.jit.compiling`), so the first slider move in a
lecture waits for neither the compiler nor the warm-up. Kernels compile in the
order a newcomer meets them: the playground's convolution first.
"""

from __future__ import annotations

import time

import numpy as np

from . import activations, augment, conv, conv_kernels, pool
from .dense import softmax_cross_entropy
from .jit import compiling
from .network import XO_INPUT, XO_LAYERS, Network
from .optim import SGD


def warm_up() -> float:
    """Run each kernel once on tiny inputs; returns the seconds it took."""
    start = time.perf_counter()
    with compiling():
        _run_each_kernel()
    return time.perf_counter() - start


def _run_each_kernel() -> None:
    x = np.zeros((1, 2, 6, 6), np.float32)  # (N, C, H, W)
    w = np.zeros((2, 2, 3, 3), np.float32)  # (F, C, KH, KW)
    for stride in (1, 2):  # the stride-1 and general kernels
        y = conv.conv2d(x, w, None, stride, 1)  # (N, F, OH, OW)
        conv.conv2d_backward(np.zeros_like(y), x, w, stride, 1)
    for mode in ("max", "avg"):
        fwd = pool.max_pool2d if mode == "max" else pool.avg_pool2d
        bwd = pool.max_pool2d_backward if mode == "max" else pool.avg_pool2d_backward
        y = fwd(x, 2)
        bwd(np.zeros_like(y if mode == "avg" else y[0]), x, 2)
    # The im2col + BLAS path that large batches take.
    xp = np.zeros((2, 2, 6, 6), np.float32)  # (N, C, Hp, Wp)
    cols = np.empty((18, 2 * 16), np.float32)  # (C*KH*KW, N*OH*OW)
    conv_kernels.im2col(xp, 3, 3, 1, 1, 1, 1, 4, 4, cols)
    conv_kernels.col2im(cols, 3, 3, 1, 1, 1, 1, 4, 4, xp)
    wide = np.empty((18, 2 * 22), np.float32)  # (C*KH*KW, N*L) at stride 1, L = 3*6 + 4
    conv_kernels.im2col_wide(xp, 3, 3, 1, 1, 22, wide)
    conv_kernels.col2im_wide(wide, 3, 3, 1, 1, 22, xp)
    conv_kernels.narrow(
        np.zeros((2, 44), np.float32), np.zeros(2, np.float32), 6, 22, np.empty((2, 2, 4, 4), np.float32)
    )
    conv_kernels.widen(np.zeros((2, 2, 4, 4), np.float32), 6, 22, np.empty((2, 44), np.float32))
    for name in activations.ACTIVATIONS:
        activations.activation_backward(name, x, x)
    picture = np.zeros((3, 4, 4), np.float32)  # (C, H, W) the bilinear sampler of the augmentations
    for mode in ("constant", "edge", "reflect"):
        augment.rotate(picture, 10.0, mode)
    # Scoring a whole split (the training page's evaluation) calls the loss kernel itself.
    softmax_cross_entropy(np.zeros((2, 2), np.float32), np.array([0, 1]))
    net = Network(XO_INPUT, XO_LAYERS, seed=0)
    net.train_step(SGD(0.1), np.zeros((2, *XO_INPUT), np.float32), np.array([0, 1]))
