"""Finite-difference checks of every backward pass, independent of PyTorch.

For an op f and a fixed random r, L(x) = sum(f(x) * r) has dL/dx equal to the
op's backward given gy = r. Here dL/dx is also measured directly, by central
differences (L(x + e) - L(x - e)) / 2e in float64, one element at a time,
calling the engine's own float32 forward.

To keep float32 from drowning the difference, inputs and weights are multiples
of a power of two and e = 2**-10: x ± e is then exact in float32, and the
linear ops (convolution, pooling, dense) compute every product and sum exactly,
so their check is tight. Nonlinear ops are checked to 0.5 %, away from kinks
(activations) and from ties (max pooling), where no derivative exists.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import (
    activation,
    activation_backward,
    avg_pool2d,
    avg_pool2d_backward,
    batch_norm,
    batch_norm_backward,
    conv2d,
    conv2d_backward,
    dense,
    dense_backward,
    local_contrast_norm,
    local_contrast_norm_backward,
    max_pool2d,
    max_pool2d_backward,
    softmax_cross_entropy,
)

EPS = 2.0**-10
EXACT = 1e-5  # linear ops: float32 does every step exactly
SMOOTH = 5e-3  # nonlinear ops: float32 rounding of the outputs over a 2e step (seen: under 1e-3)


def grid(rng, shape, step=0.25, high=2.0) -> np.ndarray:
    """Random float32 multiples of ``step`` in [-high, high]: exact under ± EPS."""
    return (rng.integers(-int(high / step), int(high / step) + 1, shape) * step).astype(np.float32)


def numeric_grad(loss, a: np.ndarray) -> np.ndarray:
    """Central differences of the scalar function ``loss`` at every element of the float32 array ``a``."""
    g = np.zeros(a.shape)  # like a, float64
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + np.float32(EPS)
        up = loss()
        a[i] = old - np.float32(EPS)
        down = loss()
        a[i] = old
        g[i] = (up - down) / (2 * EPS)
    return g


def linear_functional(rng, y) -> tuple[np.ndarray, callable]:
    """A random r like y, and L(y) = sum(y * r) in float64."""
    r = rng.standard_normal(np.shape(y))  # like y, float64
    return r, lambda out: float(np.sum(np.asarray(out, np.float64) * r))


def assert_grad(analytic, numeric, tol, what):
    err = float(np.abs(np.asarray(analytic, np.float64) - numeric).max())
    scale = max(float(np.abs(numeric).max()), 1e-3)
    assert err <= tol * scale, f"{what}: max error {err:.3g} vs gradient scale {scale:.3g}"


# ------------------------------------------------------------------ convolution

CONV = [  # (x shape, w shape, stride, padding, dilation, flip, pad_mode)
    ((2, 2, 6, 6), (3, 2, 3, 3), 1, 0, 1, False, "zeros"),
    ((1, 3, 7, 5), (2, 3, 2, 3), (2, 1), (1, 0, 2, 1), 1, True, "zeros"),
    ((2, 1, 8, 8), (2, 1, 3, 2), 2, 1, (2, 3), False, "zeros"),
    ((1, 2, 5, 6), (2, 2, 3, 3), (1, 3), (2, 1, 0, 2), (1, 2), True, "zeros"),
    ((2, 2, 5, 5), (1, 2, 3, 3), 1, (2, 1, 1, 3), 1, True, "reflect"),
    ((1, 2, 4, 6), (2, 2, 2, 3), (2, 2), (3, 0, 1, 2), (1, 2), False, "replicate"),
]


@pytest.mark.parametrize("case", range(len(CONV)))
def test_conv2d_gradients(case):
    x_shape, w_shape, stride, padding, dilation, flip, mode = CONV[case]
    rng = np.random.default_rng(case)
    x, w, b = grid(rng, x_shape), grid(rng, w_shape), grid(rng, w_shape[0])  # (N, C, H, W), (F, C, KH, KW), (F,)
    kw = dict(stride=stride, padding=padding, dilation=dilation, flip=flip, pad_mode=mode)
    r, L = linear_functional(rng, conv2d(x, w, b, **kw))
    gx, gw, gb = conv2d_backward(r.astype(np.float32), x, w, **kw)
    for name, analytic, a in (("dL/dx", gx, x), ("dL/dw", gw, w), ("dL/db", gb, b)):
        assert_grad(analytic, numeric_grad(lambda: L(conv2d(x, w, b, **kw)), a), EXACT, name)


# ------------------------------------------------------------------ pooling


@pytest.mark.parametrize("kernel, stride", [(2, None), ((3, 2), (1, 2)), (3, 2), ((2, 4), (3, 1))])
def test_max_pool_gradient(kernel, stride):
    rng = np.random.default_rng(3)
    x = (rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) * 0.25).astype(np.float32)  # (N, C, H, W) distinct: no ties
    r, L = linear_functional(rng, max_pool2d(x, kernel, stride)[0])
    analytic = max_pool2d_backward(r.astype(np.float32), x, kernel, stride)
    assert_grad(analytic, numeric_grad(lambda: L(max_pool2d(x, kernel, stride)[0]), x), EXACT, "max pool dL/dx")


@pytest.mark.parametrize("kernel, stride", [(2, None), ((3, 2), (1, 2)), (3, 2), ((2, 4), (3, 1))])
def test_avg_pool_gradient(kernel, stride):
    rng = np.random.default_rng(4)
    x = grid(rng, (2, 2, 7, 8))  # (N, C, H, W)
    r, L = linear_functional(rng, avg_pool2d(x, kernel, stride))
    analytic = avg_pool2d_backward(r.astype(np.float32), x, kernel, stride)
    # 1/(kh kw) is rounded in float32, so not quite exact.
    assert_grad(analytic, numeric_grad(lambda: L(avg_pool2d(x, kernel, stride)), x), 1e-3, "avg pool dL/dx")


# ------------------------------------------------------------------ activations


@pytest.mark.parametrize(
    "name, param",
    [
        ("relu", None),
        ("leaky_relu", 0.2),
        ("abs", None),
        ("sigmoid", None),
        ("tanh", None),
        ("elu", 1.0),
        ("elu", 0.3),
        ("selu", None),
    ],
)
def test_activation_gradient(name, param):
    rng = np.random.default_rng(5)
    x = grid(rng, (4, 10), step=2.0**-6, high=4.0)  # (4, 10)
    x[np.abs(x) < 0.1] = 0.5  # away from the kink at 0
    r, L = linear_functional(rng, x)
    analytic = activation_backward(name, r.astype(np.float32), x, param)
    assert_grad(analytic, numeric_grad(lambda: L(activation(name, x, param)), x), SMOOTH, name)


# ------------------------------------------------------------------ dense and softmax


def test_dense_gradients():
    rng = np.random.default_rng(6)
    x, w, b = grid(rng, (3, 5)), grid(rng, (4, 5)), grid(rng, 4)  # (N, in), (out, in), (out,)
    r, L = linear_functional(rng, dense(x, w, b))
    for name, analytic, a in zip(("dL/dx", "dL/dw", "dL/db"), dense_backward(r.astype(np.float32), x, w), (x, w, b)):
        assert_grad(analytic, numeric_grad(lambda: L(dense(x, w, b)), a), EXACT, name)


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(7)
    logits = grid(rng, (4, 5), high=3.0)  # (N, K)
    labels = np.array([0, 4, 2, 2])  # (N,)
    analytic = softmax_cross_entropy(logits, labels)[2]  # (N, K)
    assert_grad(analytic, numeric_grad(lambda: softmax_cross_entropy(logits, labels)[0], logits), SMOOTH, "dL/dlogits")


# ------------------------------------------------------------------ normalization


@pytest.mark.parametrize("shape", [(6, 3), (3, 2, 3, 4)], ids=["2d", "4d"])
def test_batch_norm_gradients(shape):
    rng = np.random.default_rng(8)
    x, gamma, beta = grid(rng, shape), grid(rng, shape[1]), grid(rng, shape[1])  # like x, (C,), (C,)
    r, L = linear_functional(rng, x)
    grads = batch_norm_backward(r.astype(np.float32), batch_norm(x, gamma, beta)[1])
    for name, analytic, a in zip(("dL/dx", "dL/dgamma", "dL/dbeta"), grads, (x, gamma, beta)):
        assert_grad(analytic, numeric_grad(lambda: L(batch_norm(x, gamma, beta)[0]), a), SMOOTH, name)


@pytest.mark.parametrize("size, regime", [(3, "mixed"), (5, "mixed"), (3, "never clamped"), (5, "always clamped")])
def test_local_contrast_norm_gradient(size, regime):
    rng = np.random.default_rng(size)
    x = grid(rng, (2, 2, 6, 7))  # (N, C, H, W)
    sigma = np.sort(local_contrast_norm(x, size, c=1e-6)[1].sigma.ravel())  # (N*H*W,) local deviations
    if regime == "mixed":  # c in the widest gap of the middle half: some cells clamped, others not
        middle = sigma[len(sigma) // 4 : 3 * len(sigma) // 4]
        i = int(np.argmax(np.diff(middle)))
        c = float(middle[i] + middle[i + 1]) / 2
    else:
        c = 1e-6 if regime == "never clamped" else 2 * float(sigma[-1])
    y, cache = local_contrast_norm(x, size, c=c)
    clamped = cache.sigma < c  # (N, 1, H, W)
    assert clamped.any() == (regime != "never clamped") and clamped.all() == (regime == "always clamped")
    r, L = linear_functional(rng, y)

    def loss():
        y, cache = local_contrast_norm(x, size, c=c)
        # The derivative jumps where a deviation crosses c: no step may cross it.
        assert np.array_equal(cache.sigma < c, clamped), "a step of EPS moved a deviation across c"
        return L(y)

    analytic = local_contrast_norm_backward(r.astype(np.float32), cache)
    assert_grad(analytic, numeric_grad(loss, x), SMOOTH, "dL/dx")
