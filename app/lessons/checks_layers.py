"""Check functions for what happens around a convolution: a unit's activation, batch norm,
gradients, a true 3-D convolution's shape, transposed convolutions (lessons/FORMAT.md, "Check
functions"). Same contract as :mod:`app.lessons.checks`, which lists these beside its own: each
returns ``(answer, work)`` computed by the engine, and a bad argument raises ValueError naming it.
"""

from __future__ import annotations

import numpy as np

from engine import activation as apply_activation
from engine import avg_pool2d_backward, batch_norm, checks, conv2d, conv2d_backward, max_pool2d_backward, shapes
from engine.conv_transpose import conv_transpose2d, transpose_axis

from .check_parts import MINUS, TIMES, Answer, _dot, _flag, _grid, _number, _term, _value

ACTIVATIONS = ("identity", "relu", "sigmoid", "tanh", "abs")
# The smallest ε the engine's batch norm takes: "ε negligible", as the lessons say.
TINY_EPS = 1e-12


def conv3d_shape(input, kernel, stride=1, padding=0) -> Answer:
    """A true 3-D convolution's output (a block sliding along height, width and depth), as text."""
    if not isinstance(input, list) or len(input) != 3:
        raise ValueError(f"input must be [height, width, depth], got {input!r}")
    if not isinstance(kernel, list) or len(kernel) != 3:
        raise ValueError(f"kernel must be [height, width, depth], got {kernel!r}")
    s, p = checks.integer("stride", stride, 1), checks.integer("padding", padding, 0)
    axes = [
        shapes.axis(checks.integer(f"input[{i}]", n, 1), checks.integer(f"kernel[{i}]", k, 1), s, p)
        for i, (n, k) in enumerate(zip(input, kernel))
    ]
    for i, ax in enumerate(axes):
        if not ax.fits_at_all:
            raise ValueError(f"kernel[{i}] must fit the input: {ax.no_position()}")
    text = f" {TIMES} ".join(str(ax.size) for ax in axes)
    return text, "; ".join(ax.formula() for ax in axes)


def neuron_value(input, kernel, row, col, activation="identity", bias=0, flip=False) -> Answer:
    """One unit of a one-channel layer: activation(x ⋆ w + b) at (``row``, ``col``), ∗ with ``flip``."""
    x = _grid("input", input, 2)  # (H, W)
    w = _grid("kernel", kernel, 2)  # (KH, KW)
    name = checks.choice("activation", activation, ACTIVATIONS)
    b = np.float32(checks.number("bias", bias))
    flip = _flag("flip", flip)
    out = shapes.window_output(x.shape, w.shape, (1, 1))
    if not out.fits_at_all:
        raise ValueError(f"kernel must fit the input: {out.problem()}")
    oh, ow = out.shape
    row, col = checks.integer("row", row, 0, oh - 1), checks.integer("col", col, 0, ow - 1)
    z = conv2d(x[None, None], w[None, None], np.array([b]), flip=flip)  # (1, 1, OH, OW)
    pre = z[0, 0, row, col]
    kw = w[::-1, ::-1] if flip else w  # (KH, KW) the weights as the window meets them
    window = x[row : row + w.shape[0], col : col + w.shape[1]]  # (KH, KW)
    work = _dot(window.ravel(), kw.ravel(), pre).rsplit(" = ", 1)[0]
    work += f" {MINUS} {_number(-b)}" if b < 0 else f" + {_number(b)}"
    work += f" = {_number(pre)}"
    if name == "identity":
        return _value(pre), work
    y = apply_activation(name, np.array([pre], np.float32))[0]  # (1,)
    return _value(y), f"{work}; {name}({_number(pre)}) = {_number(y)}"


def _batch(values) -> np.ndarray:
    x = _grid("values", values, 1)  # (m,)
    if x.size < 2:
        raise ValueError("values must hold at least 2 numbers: a batch needs a spread")
    return x


def batch_norm_value(values, index, gamma=1, beta=0) -> Answer:
    """One value of a channel after batch norm with the batch's own mean and variance (ε negligible)."""
    x = _batch(values)  # (m,)
    i = checks.integer("index", index, 0, x.size - 1)
    g, b = checks.number("gamma", gamma), checks.number("beta", beta)
    y, _ = batch_norm(x[:, None], np.array([g], np.float32), np.array([b], np.float32), eps=TINY_EPS)  # (m, 1)
    mean, var = x.mean(), x.var()
    work = f"μ = {_number(mean)}, σ² = {_number(var)}, ({_number(x[i])} {MINUS} {_number(mean)})/√{_number(var)}"
    if (g, b) != (1, 0):
        work = f"{_number(g)}{TIMES}{work} + {_number(b)}"
    return _value(y[i, 0]), f"{work} = {_number(y[i, 0])}"


def batch_norm_moments(values, gamma, beta) -> Answer:
    """The mean and variance of a channel after batch norm with scale ``gamma`` and shift ``beta``."""
    x = _batch(values)  # (m,)
    g, b = checks.number("gamma", gamma), checks.number("beta", beta)
    y, _ = batch_norm(x[:, None], np.array([g], np.float32), np.array([b], np.float32), eps=TINY_EPS)  # (m, 1)
    mean, var = (round(float(v), 4) for v in (y.mean(), y.var()))  # float32 noise, not the lesson's numbers
    text = f"mean {_number(mean)}, variance {_number(var)}"
    return text, f"y = {_number(g)}·x̂ + {_number(b)} over the batch: {text}"


def weight_grad(input, upstream, row, col) -> Answer:
    """dL/dw at (``row``, ``col``) of a one-channel convolution (stride 1): the input correlated with dL/dy."""
    x = _grid("input", input, 2)  # (H, W)
    gy = _grid("upstream", upstream, 2)  # (OH, OW)
    kh, kw = x.shape[0] - gy.shape[0] + 1, x.shape[1] - gy.shape[1] + 1
    if kh < 1 or kw < 1:
        raise ValueError(f"upstream must be no larger than the input {x.shape}, got {gy.shape}")
    row, col = checks.integer("row", row, 0, kh - 1), checks.integer("col", col, 0, kw - 1)
    w = np.zeros((1, 1, kh, kw), np.float32)  # (1, 1, KH, KW) its values do not enter dL/dw
    _, gw, _ = conv2d_backward(gy[None, None], x[None, None], w)  # gw (1, 1, KH, KW)
    window = x[row : row + gy.shape[0], col : col + gy.shape[1]]  # (OH, OW)
    return _value(gw[0, 0, row, col]), _dot(window.ravel(), gy.ravel(), gw[0, 0, row, col])


def bias_grad(upstream) -> Answer:
    """dL/db of a one-filter convolution: every output cell held the bias once."""
    gy = _grid("upstream", upstream, 2)  # (OH, OW)
    x = np.zeros(gy.shape, np.float32)  # (OH, OW) a 1×1 kernel's input: only the shapes matter
    _, _, gb = conv2d_backward(gy[None, None], x[None, None], np.zeros((1, 1, 1, 1), np.float32))  # gb (1,)
    terms = " + ".join(_number(v) for v in gy.ravel()).replace(f"+ {MINUS}", f"{MINUS} ")
    return _value(gb[0]), f"{terms} = {_number(gb[0])}"


def pool_grad(input, window, stride, upstream, row, col, mode="max") -> Answer:
    """dL/dx at input cell (``row``, ``col``) of max or average pooling, given dL/dy."""
    x = _grid("input", input, 2)  # (H, W)
    gy = _grid("upstream", upstream, 2)  # (OH, OW)
    k, s = checks.integer("window", window, 1), checks.integer("stride", stride, 1)
    mode = checks.choice("mode", mode, ("max", "avg"))
    row = checks.integer("row", row, 0, x.shape[0] - 1)
    col = checks.integer("col", col, 0, x.shape[1] - 1)
    backward = max_pool2d_backward if mode == "max" else avg_pool2d_backward
    try:
        gx = backward(gy[None, None], x[None, None], k, s)  # (1, 1, H, W)
    except ValueError as exc:
        raise ValueError(f"upstream: {exc}") from None
    value = gx[0, 0, row, col]
    if mode == "avg":
        return _value(value), f"each of the {k * k} cells gets its window's dL/dy ÷ {k * k}: {_number(value)}"
    return _value(value), f"only each window's largest cell gets its dL/dy: {_number(value)} here"


def transpose_size(n, k, s=1, p=0, output_padding=0, d=1) -> Answer:
    """Output width of a transposed convolution: (n − 1)·s − 2p + d·(k − 1) + output_padding + 1."""
    try:
        ax = transpose_axis(n, k, s, p, output_padding, d)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'n')}: {exc}") from None
    return ax.size, ax.formula()


def transpose_value(input, kernel, row, col, stride=1, padding=0, output_padding=0) -> Answer:
    """One output cell of a one-channel transposed convolution: the sum of the stamps that reach it."""
    x = _grid("input", input, 2)  # (H, W)
    w = _grid("kernel", kernel, 2)  # (KH, KW)
    try:
        y = conv_transpose2d(x[None, None], w[None, None], None, stride, padding, output_padding)[0, 0]  # (OH, OW)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'input')}: {exc}") from None
    row = checks.integer("row", row, 0, y.shape[0] - 1)
    col = checks.integer("col", col, 0, y.shape[1] - 1)
    s, p = checks.integer("stride", stride, 1), checks.integer("padding", padding, 0)
    terms = []  # every input cell whose stamp covers the canvas cell (row + p, col + p), with the tap it uses
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            a, b = row + p - i * s, col + p - j * s
            if 0 <= a < w.shape[0] and 0 <= b < w.shape[1]:
                terms.append(f"{_term(x[i, j])}{TIMES}{_term(w[a, b])}")
    return _value(y[row, col]), f"{' + '.join(terms) or 'no stamp reaches it'} = {_number(y[row, col])}"


CHECKS = {
    "conv3d_shape": conv3d_shape,
    "neuron_value": neuron_value,
    "batch_norm_value": batch_norm_value,
    "batch_norm_moments": batch_norm_moments,
    "weight_grad": weight_grad,
    "bias_grad": bias_grad,
    "pool_grad": pool_grad,
    "transpose_size": transpose_size,
    "transpose_value": transpose_value,
}
