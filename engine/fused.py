"""One compiled call for a whole training step of the X-vs-O shape of network.

conv → ReLU (or leaky ReLU) → max pool → dense → softmax cross-entropy is the
network that trains live in front of a class. Layer by layer it costs about a
dozen calls from Python, whose overhead is most of the time at that size; here
the same kernels run back to back inside one call. The layer-by-layer path
stays the reference (and the one that keeps every intermediate map for
display); a test checks that both give the same numbers.
"""

from __future__ import annotations

import numpy as np

from .activations import _leaky_bwd, _leaky_fwd
from .conv_kernels import backward as conv_backward
from .conv_kernels import bias_grad
from .conv_kernels import forward as conv_forward
from .dense import _softmax_ce
from .jit import kernel, twin_of
from .pool import _max_bwd, _max_fwd


@kernel
def step(xp, w, b, sh, sw, dh, dw, slope, ph, pw, psh, psw, w2, b2, labels, gw, gb, gw2, gb2, probs):
    """Loss of one batch; fills the four gradients and the class probabilities.

    xp (N, C, Hp, Wp) padded input; w (F, C, KH, KW), b (F,) the convolution;
    (ph, pw) window and (psh, psw) stride of the max pool; w2 (K, F·PH·PW), b2 (K,)
    the dense layer; labels (N,) int64.
    """
    N, C, Hp, Wp = xp.shape
    F, _, KH, KW = w.shape
    OH = (Hp - dh * (KH - 1) - 1) // sh + 1
    OW = (Wp - dw * (KW - 1) - 1) // sw + 1
    PH = (OH - ph) // psh + 1
    PW = (OW - pw) // psw + 1
    K, D = w2.shape

    conv = np.empty((N, F, OH, OW), np.float32)  # (N, F, OH, OW)
    conv_forward(xp, w, b, sh, sw, dh, dw, conv)
    act = np.empty_like(conv)  # (N, F, OH, OW)
    _leaky_fwd(conv.reshape(-1), slope, act.reshape(-1))
    pooled = np.empty((N, F, PH, PW), np.float32)  # (N, F, PH, PW)
    winners = np.empty((N, F, PH, PW), np.int64)  # (N, F, PH, PW)
    _max_fwd(act, ph, pw, psh, psw, pooled, winners)
    flat = pooled.reshape(N, D)  # (N, D) view

    logits = np.empty((N, K), np.float32)  # (N, K)
    for n in range(N):
        for k in range(K):
            s = b2[k]
            for j in range(D):
                s += w2[k, j] * flat[n, j]
            logits[n, k] = s
    glogits = np.empty((N, K), np.float32)  # (N, K)
    loss = _softmax_ce(logits, labels, probs, glogits)

    gflat = np.zeros((N, D), np.float32)  # (N, D)
    gw2[:] = 0
    gb2[:] = 0
    for n in range(N):
        for k in range(K):
            g = glogits[n, k]
            gb2[k] += g
            for j in range(D):
                gw2[k, j] += g * flat[n, j]
                gflat[n, j] += g * w2[k, j]
    gact = np.zeros((N, F, OH, OW), np.float32)  # (N, F, OH, OW)
    _max_bwd(gflat.reshape(N, F, PH, PW), winners, gact)
    gconv = np.empty_like(conv)  # (N, F, OH, OW)
    _leaky_bwd(gact.reshape(-1), conv.reshape(-1), slope, gconv.reshape(-1))
    unused = np.empty_like(xp)  # (N, C, Hp, Wp) never written: the input gradient is not wanted
    conv_backward(xp, w, gconv, sh, sw, dh, dw, unused, gw, False)
    bias_grad(gconv, gb)
    return loss


@twin_of(step)
def step_numpy(xp, w, b, sh, sw, dh, dw, slope, ph, pw, psh, psw, w2, b2, labels, gw, gb, gw2, gb2, probs):
    """The same step from the layers' NumPy twins."""
    N, C, Hp, Wp = xp.shape
    F, _, KH, KW = w.shape
    OH = (Hp - dh * (KH - 1) - 1) // sh + 1
    OW = (Wp - dw * (KW - 1) - 1) // sw + 1
    PH = (OH - ph) // psh + 1
    PW = (OW - pw) // psw + 1
    K = w2.shape[0]

    conv = np.empty((N, F, OH, OW), np.float32)  # (N, F, OH, OW)
    conv_forward.twin(xp, w, b, sh, sw, dh, dw, conv)
    act = np.empty_like(conv)  # (N, F, OH, OW)
    _leaky_fwd.twin(conv.reshape(-1), slope, act.reshape(-1))
    pooled = np.empty((N, F, PH, PW), np.float32)  # (N, F, PH, PW)
    winners = np.empty((N, F, PH, PW), np.int64)  # (N, F, PH, PW)
    _max_fwd.twin(act, ph, pw, psh, psw, pooled, winners)
    flat = pooled.reshape(N, -1)  # (N, D) view

    logits = flat @ w2.T + b2  # (N, K)
    glogits = np.empty((N, K), np.float32)  # (N, K)
    loss = _softmax_ce.twin(logits, labels, probs, glogits)

    gb2[...] = glogits.sum(axis=0)
    gw2[...] = glogits.T @ flat
    gflat = glogits @ w2  # (N, D)
    gact = np.zeros((N, F, OH, OW), np.float32)  # (N, F, OH, OW)
    _max_bwd.twin(gflat.reshape(N, F, PH, PW), winners, gact)
    gconv = np.empty_like(conv)  # (N, F, OH, OW)
    _leaky_bwd.twin(gact.reshape(-1), conv.reshape(-1), slope, gconv.reshape(-1))
    conv_backward.twin(xp, w, gconv, sh, sw, dh, dw, None, gw, False)
    bias_grad.twin(gconv, gb)
    return loss
