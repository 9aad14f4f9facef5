"""Bad arguments raise ValueError with a message a student can act on.

The server shows these messages as they are, so each must name the argument
and say what would be legal ("stride ... must be at least 1", "pad_mode must be
one of 'zeros', 'reflect', 'replicate'"). Every case below is a setting a
slider, a typed kernel value or a hand-written request can produce.
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
    conv1d,
    conv1d_backward,
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

X = np.ones((1, 2, 5, 5), np.float32)  # (N, C, H, W)
W = np.ones((3, 2, 3, 3), np.float32)  # (F, C, KH, KW)
GY = np.ones((1, 3, 3, 3), np.float32)  # (N, F, OH, OW) for X and W
X1 = np.ones((1, 1, 5), np.float32)  # (N, C, L)
W1 = np.ones((1, 1, 2), np.float32)  # (F, C, K)


def with_value(a, index, value):
    a = a.copy()
    a[index] = value
    return a


CASES = {  # name: (call, regex the message must match)
    # settings of a convolution
    "stride 0": (lambda: conv2d(X, W, stride=0), r"stride.*must be at least 1, got 0"),
    "stride width 0": (lambda: conv2d(X, W, stride=(1, 0)), r"stride\[1\] \(width\) must be at least 1"),
    "stride 1.5": (lambda: conv2d(X, W, stride=1.5), r"stride must be a whole number"),
    "stride three values": (
        lambda: conv2d(X, W, stride=(1, 1, 1)),
        r"stride must be a whole number or a \(height, width\) pair",
    ),
    "padding -1": (lambda: conv2d(X, W, padding=-1), r"padding top must be at least 0, got -1"),
    "padding right -1": (lambda: conv2d(X, W, padding=(0, 0, 0, -1)), r"padding right must be at least 0"),
    "padding three sides": (lambda: conv2d(X, W, padding=(1, 1, 1)), r"padding must be .*\(top, bottom, left, right\)"),
    "dilation 0": (lambda: conv2d(X, W, dilation=0), r"dilation.*must be at least 1, got 0"),
    "pad_mode circular": (
        lambda: conv2d(X, W, pad_mode="circular"),
        r"pad_mode must be one of 'zeros', 'reflect', 'replicate', got 'circular'",
    ),
    "reflect padding too wide": (
        lambda: conv2d(X, W, padding=5, pad_mode="reflect"),
        r"padding must be smaller than the input size \(5\) for reflect",
    ),
    "kernel too large": (
        lambda: conv2d(X, np.ones((1, 2, 7, 6))),
        r"kernel size must fit the padded input: a 7×6 filter is larger than the 5×5 input",
    ),
    "dilated kernel too large": (
        lambda: conv2d(X, W, dilation=3),
        r"a 3×3 filter \(dilated to 7×7\) is larger than the 5×5 input",
    ),
    "padding counts": (lambda: conv2d(X, np.ones((1, 2, 8, 8)), padding=1), r"larger than the 7×7 padded input"),
    # arrays of a convolution
    "channel mismatch": (lambda: conv2d(X, np.ones((3, 3, 3, 3))), r"w must have as many channels as x \(2\), got 3"),
    "x with 3 axes": (lambda: conv2d(X[0], W), r"x must have 4 axes \(N, C, H, W\), got shape \(2, 5, 5\)"),
    "w with 3 axes": (lambda: conv2d(X, W[0]), r"w must have 4 axes \(filters, C, KH, KW\)"),
    "empty x": (lambda: conv2d(X[:0], W), r"x must not be empty"),
    "x not numbers": (lambda: conv2d("abc", W), r"x must be an array of numbers"),
    "NaN in x": (lambda: conv2d(with_value(X, (0, 1, 2, 3), np.nan), W), r"x must contain only finite numbers"),
    "inf in w": (lambda: conv2d(X, with_value(W, (2, 0, 0, 0), -np.inf)), r"w must contain only finite numbers"),
    "bias length": (lambda: conv2d(X, W, np.ones(2)), r"b must have one value per filter \(3\), got 2"),
    "bias axes": (lambda: conv2d(X, W, np.ones((3, 1))), r"b must have 1 axes"),
    "gy shape": (
        lambda: conv2d_backward(np.ones((1, 3, 2, 2)), X, W),
        r"gy must have the shape of the output \(1, 3, 3, 3\), got \(1, 3, 2, 2\)",
    ),
    "NaN in gy": (
        lambda: conv2d_backward(with_value(GY, (0, 0, 0, 0), np.nan), X, W),
        r"gy must contain only finite numbers",
    ),
    "conv1d stride 0": (lambda: conv1d(X1, W1, stride=0), r"stride must be at least 1, got 0"),
    "conv1d padding pair": (lambda: conv1d(X1, W1, padding=(1, 2)), r"padding must be a whole number"),
    "conv1d x axes": (lambda: conv1d(X1[0], W1), r"x must have 3 axes \(N, C, L\)"),
    "conv1d kernel too large": (lambda: conv1d(X1, np.ones((1, 1, 6))), r"kernel size must fit the padded input"),
    # pooling
    "pool window too large": (
        lambda: max_pool2d(X, 6),
        r"kernel must fit the input: a 6×6 window is larger than the 5×5",
    ),
    "avg pool window too wide": (lambda: avg_pool2d(X, (2, 6)), r"kernel must fit the input: a 2×6 window"),
    "pool backward window too large": (lambda: max_pool2d_backward(GY, X, (6, 1)), r"kernel must fit the input"),
    "pool window 0": (lambda: max_pool2d(X, 0), r"kernel\[0\] \(height\) must be at least 1"),
    "pool stride 0": (lambda: avg_pool2d(X, 2, (2, 0)), r"stride\[1\] \(width\) must be at least 1"),
    "max pool gy shape": (
        lambda: max_pool2d_backward(np.ones((1, 2, 3, 3)), X, 2),
        r"gy must have the shape of the pooled output \(1, 2, 2, 2\)",
    ),
    "avg pool gy shape": (
        lambda: avg_pool2d_backward(np.ones((1, 2, 3, 3)), X, 2),
        r"gy must have the shape of the pooled output \(1, 2, 2, 2\)",
    ),
    # activations
    "activation name": (
        lambda: activation("gelu", X),
        r"activation must be one of 'relu', 'leaky_relu', 'abs', 'sigmoid', 'tanh', 'elu', 'selu', got 'gelu'",
    ),
    "leaky slope 1.5": (lambda: activation("leaky_relu", X, 1.5), r"slope must be from 0(\.0)? to 1(\.0)?, got 1.5"),
    "leaky slope -0.1": (lambda: activation("leaky_relu", X, -0.1), r"slope must be from 0(\.0)? to 1(\.0)?, got -0.1"),
    "leaky slope NaN": (
        lambda: activation_backward("leaky_relu", X, X, float("nan")),
        r"slope must be a finite number",
    ),
    "elu alpha 11": (lambda: activation("elu", X, 11), r"alpha must be from 0(\.0)? to 10(\.0)?"),
    "activation gy shape": (
        lambda: activation_backward("tanh", np.ones((1, 2, 5, 4)), X),
        r"gy must have the shape of x \(1, 2, 5, 5\)",
    ),
    # dense and softmax
    "dense inputs": (
        lambda: dense(np.ones((2, 3)), np.ones((4, 5))),
        r"w must have 3 inputs per row to match x, got 5",
    ),
    "dense bias": (
        lambda: dense(np.ones((2, 3)), np.ones((4, 3)), np.ones(3)),
        r"b must have one value per output \(4\), got 3",
    ),
    "dense gy shape": (
        lambda: dense_backward(np.ones((2, 3)), np.ones((2, 3)), np.ones((4, 3))),
        r"gy must have shape \(2, 4\)",
    ),
    "label too large": (
        lambda: softmax_cross_entropy(np.ones((2, 3)), [0, 3]),
        r"labels must be from 0 to 2, got values from 0 to 3",
    ),
    "label negative": (lambda: softmax_cross_entropy(np.ones((2, 3)), [-1, 0]), r"labels must be from 0 to 2"),
    "labels not whole": (
        lambda: softmax_cross_entropy(np.ones((2, 3)), [0.0, 1.0]),
        r"labels must be 2 whole-number class labels",
    ),
    "labels count": (
        lambda: softmax_cross_entropy(np.ones((2, 3)), [0]),
        r"labels must be 2 whole-number class labels, got shape \(1,\)",
    ),
    # normalization
    "batch norm axes": (
        lambda: batch_norm(np.ones((2, 3, 4)), np.ones(3), np.ones(3)),
        r"x must have 2 axes \(N, C\) or 4 axes",
    ),
    "batch norm gamma": (
        lambda: batch_norm(np.ones((2, 3)), np.ones(2), np.ones(3)),
        r"gamma must have one value per channel \(3\), got 2",
    ),
    "batch norm one sample": (
        lambda: batch_norm(np.ones((1, 3)), np.ones(3), np.ones(3)),
        r"at least 2 values per channel",
    ),
    "batch norm eps": (
        lambda: batch_norm(np.ones((2, 3)), np.ones(3), np.ones(3), eps=0),
        r"eps must be from 1e-12 to 1",
    ),
    "batch norm gy shape": (
        lambda: batch_norm_backward(np.ones((3, 3)), batch_norm(np.eye(2, 3), np.ones(3), np.ones(3))[1]),
        r"gy must have the shape of x \(2, 3\)",
    ),
    "contrast norm even size": (lambda: local_contrast_norm(X, 4), r"size must be odd .* from 1 to 15, got 4"),
    "contrast norm size 17": (lambda: local_contrast_norm(X, 17), r"size must be from 1 to 15, got 17"),
    "contrast norm c 0": (lambda: local_contrast_norm(X, 3, c=0), r"c must be from 1e-06 to 10"),
    "contrast norm gy shape": (
        lambda: local_contrast_norm_backward(np.ones((1, 2, 5, 4)), local_contrast_norm(X, 3)[1]),
        r"gy must have the shape of the output \(1, 2, 5, 5\)",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_argument_is_explained(name):
    call, message = CASES[name]
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------------ regressions: each once let bad input through


@pytest.mark.parametrize("stride", [True, 1.0, (1.0, 1), (True, 1)], ids=["True", "1.0", "(1.0, 1)", "(True, 1)"])
def test_bad_stride_is_refused_even_after_a_good_one(stride):
    """A setting refused on its own must stay refused after an equal-looking valid call.

    Checked settings are cached; a hash-based key would treat True == 1 == 1.0
    and hand back the spec checked for stride=1.
    """
    conv2d(X, W, stride=1)
    conv2d(X, W, stride=(1, 1))
    with pytest.raises(ValueError, match=r"stride.*must be a whole number"):
        conv2d(X, W, stride=stride)


@pytest.mark.parametrize(
    "call, hidden",
    [
        (lambda: conv1d_backward(np.ones((1, 1, 7)), X1, W1), "(1, 1, 1, 4)"),  # must say (1, 1, 4)
        (lambda: conv1d(X1, np.ones((1, 1, 6))), "1×6"),  # must not say "a 1×6 filter"
    ],
    ids=["gy shape", "kernel too large"],
)
def test_conv1d_messages_use_1d_shapes(call, hidden):
    """The student called a 1-D op: messages must not show the height axis it is run on internally."""
    with pytest.raises(ValueError) as raised:
        call()
    assert hidden not in str(raised.value), str(raised.value)


def test_pool_message_does_not_mention_padding():
    """Pooling has no padding, so the message must not speak of a padded input."""
    with pytest.raises(ValueError, match=r"larger than the 5×5 input") as raised:
        max_pool2d(X, 6)
    assert "padded" not in str(raised.value)


XB = np.arange(12, dtype=np.float32).reshape(4, 3)  # (N, C)
ONES = np.ones(3, np.float32)  # (C,)


@pytest.mark.parametrize(
    "stats, message",
    [
        (dict(mean=np.zeros(3)), r"var"),  # would make every output NaN
        (dict(var=np.ones(3)), r"mean"),  # would silently use the batch's own statistics
        (dict(mean=np.zeros(2), var=np.ones(2)), r"mean must have one value per channel \(3\)"),
        (dict(mean=np.zeros(3), var=-np.ones(3)), r"var must be .*at least 0"),  # would give NaN outputs
    ],
    ids=["mean without var", "var without mean", "wrong length", "negative var"],
)
def test_batch_norm_checks_running_statistics(stats, message):
    with pytest.raises(ValueError, match=message):
        batch_norm(XB, ONES, ONES, **stats)
