"""Element-wise activations, forward and backward side by side.

Each backward takes the upstream gradient and what the forward saw (its input
``x`` and, where cheaper, its output ``y``) and returns dL/dx. At kinks the
derivative is the one PyTorch uses: ReLU and |x| have slope 0 at exactly 0.
"""

from __future__ import annotations

import numpy as np

from . import checks
from .errors import ArgumentError
from .jit import kernel, twin_of

# SELU's constants (Klambauer et al. 2017), the values PyTorch uses.
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805

_f32 = np.float32


@kernel
def _leaky_fwd(x, slope, y):
    """Flat views of contiguous arrays: one loop whatever the shape."""
    for i in range(x.size):
        v = x[i]
        y[i] = v if v > 0 else v * slope


@twin_of(_leaky_fwd)
def _leaky_fwd_numpy(x, slope, y):
    y[...] = np.where(x > 0, x, x * slope)


@kernel
def _leaky_bwd(gy, x, slope, gx):
    for i in range(x.size):
        gx[i] = gy[i] if x[i] > 0 else gy[i] * slope


@twin_of(_leaky_bwd)
def _leaky_bwd_numpy(gy, x, slope, gx):
    gx[...] = np.where(x > 0, gy, gy * slope)


def leaky_relu(x, slope=0.01):
    y = np.empty_like(x)  # like x
    _leaky_fwd(x.reshape(-1), _f32(slope), y.reshape(-1))
    return y


def leaky_relu_backward(gy, x, y, slope=0.01):
    gx = np.empty_like(x)  # like x
    _leaky_bwd(np.ascontiguousarray(gy).reshape(-1), x.reshape(-1), _f32(slope), gx.reshape(-1))
    return gx


def relu(x, slope=None):
    return leaky_relu(x, 0.0)  # like x


def relu_backward(gy, x, y, slope=None):
    return leaky_relu_backward(gy, x, y, 0.0)  # like x


def absolute(x, slope=None):
    """Rectification |x| (seed 001): keeps edge strength, forgets edge polarity."""
    return np.abs(x)  # like x


def absolute_backward(gy, x, y, slope=None):
    return (gy * np.sign(x)).astype(np.float32)  # like x


def sigmoid(x, slope=None):
    # exp of a negative number only: no overflow for large |x|.
    e = np.exp(-np.abs(x))  # like x
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.float32)  # like x


def sigmoid_backward(gy, x, y, slope=None):
    return (gy * y * (1 - y)).astype(np.float32)  # like x


def tanh(x, slope=None):
    return np.tanh(x)  # like x


def tanh_backward(gy, x, y, slope=None):
    return (gy * (1 - y * y)).astype(np.float32)  # like x


def elu(x, alpha=1.0):
    return np.where(x > 0, x, _f32(alpha) * np.expm1(np.minimum(x, 0))).astype(np.float32)  # like x


def elu_backward(gy, x, y, alpha=1.0):
    return np.where(x > 0, gy, gy * (y + _f32(alpha))).astype(np.float32)  # like x


def selu(x, slope=None):
    return (_f32(SELU_SCALE) * elu(x, SELU_ALPHA)).astype(np.float32)  # like x


def selu_backward(gy, x, y, slope=None):
    inner = np.where(x > 0, _f32(1), _f32(SELU_ALPHA) * np.exp(np.minimum(x, 0)))  # like x
    return (gy * _f32(SELU_SCALE) * inner).astype(np.float32)  # like x


# name -> (forward, backward, default parameter or None)
ACTIVATIONS = {
    "relu": (relu, relu_backward, None),
    "leaky_relu": (leaky_relu, leaky_relu_backward, 0.01),
    "abs": (absolute, absolute_backward, None),
    "sigmoid": (sigmoid, sigmoid_backward, None),
    "tanh": (tanh, tanh_backward, None),
    "elu": (elu, elu_backward, 1.0),
    "selu": (selu, selu_backward, None),
}


def check_name(name: str) -> str:
    return checks.choice("activation", name, tuple(ACTIVATIONS))


def activation(name: str, x, param=None) -> np.ndarray:
    """Apply the activation ``name`` (see ACTIVATIONS) to an array of any shape.

    ``param`` is the negative slope of leaky_relu (0 to 1) or the alpha of elu (0 to 10).
    """
    forward, _, default = ACTIVATIONS[check_name(name)]
    x = checks.array("x", x, np.ndim(x), "(any shape)")
    return forward(x, _param(name, param, default))


def activation_backward(name: str, gy, x, param=None) -> np.ndarray:
    """dL/dx of :func:`activation` given dL/dy and the forward input x."""
    forward, backward, default = ACTIVATIONS[check_name(name)]
    x = checks.array("x", x, np.ndim(x), "(any shape)")
    gy = checks.array("gy", gy, x.ndim, "(shape of x)")
    if gy.shape != x.shape:
        raise ArgumentError("gy", f"gy must have the shape of x {x.shape}, got {gy.shape}")
    p = _param(name, param, default)
    return backward(gy, x, forward(x, p), p)


def _param(name: str, value, default):
    if default is None:
        return None
    if value is None:
        return default
    hi = 1.0 if name == "leaky_relu" else 10.0
    return checks.number("slope" if name == "leaky_relu" else "alpha", value, 0.0, hi)
