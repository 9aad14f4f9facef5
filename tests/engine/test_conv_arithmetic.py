"""The figures of Dumoulin and Visin's "A guide to convolution arithmetic for deep learning" against the engine.

Each figure of the guide is a setting and the size it draws: the convolutions of its chapter 2, the
dilated one of chapter 5 and the transposed convolutions of chapter 4. For each, the engine's size
arithmetic (engine.shapes, engine.conv_transpose) and the shape of its actual output must be the
size the figure draws, and torch's output must be the engine's.

The guide's central point about transposed convolutions is checked too, with numbers: a transposed
convolution is the direct convolution, with the kernel turned 180°, of the input with s − 1 zeros
between its cells, padded by k − p − 1 zeros on each side (and output_padding more at the bottom and
right). Here engine.conv2d on that stretched input must give engine.conv_transpose2d's output.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv2d, conv_transpose2d, shapes
from engine.conv_transpose import transpose_axis

# (figure, i, k, s, p, d, o): a convolution of an i × i input (the guide's notation) to o × o.
CONVOLUTIONS = [
    ("2.1 no padding, unit strides", 4, 3, 1, 0, 1, 2),
    ("2.2 arbitrary padding, unit strides", 5, 4, 1, 2, 1, 6),
    ("2.3 half padding", 5, 3, 1, 1, 1, 5),
    ("2.4 full padding", 5, 3, 1, 2, 1, 7),
    ("2.5 no padding, strides", 5, 3, 2, 0, 1, 2),
    ("2.6 padding, strides", 5, 3, 2, 1, 1, 3),
    ("2.7 padding, strides (odd)", 6, 3, 2, 1, 1, 3),
    ("5.1 dilation", 7, 3, 1, 0, 2, 3),
]

# (figure, i', k, s, p, a, o'): the transposed convolution of an i' × i' input to o' × o', where a is the
# guide's extra cells (PyTorch's output_padding). Each is the transpose of the convolution of the same
# number in chapter 2.
TRANSPOSED = [
    ("4.1 no padding, unit strides", 2, 3, 1, 0, 0, 4),
    ("4.2 arbitrary padding, unit strides", 6, 4, 1, 2, 0, 5),
    ("4.3 half padding", 5, 3, 1, 1, 0, 5),
    ("4.4 full padding", 7, 3, 1, 2, 0, 5),
    ("4.5 no padding, strides", 2, 3, 2, 0, 0, 5),
    ("4.6 padding, strides", 3, 3, 2, 1, 0, 5),
    ("4.7 padding, strides (odd)", 3, 3, 2, 1, 1, 6),
]


def values(*shape: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-4, 5, shape).astype(np.float32)  # whole numbers: exact sums


@pytest.mark.parametrize("figure, i, k, s, p, d, o", CONVOLUTIONS, ids=[c[0] for c in CONVOLUTIONS])
def test_each_convolution_figure(figure, i, k, s, p, d, o):
    assert shapes.axis(i, k, s, p, d=d).size == o
    x, w = values(1, 1, i, i, seed=i), values(1, 1, k, k, seed=k)  # (1, 1, i, i), (1, 1, k, k)
    y = conv2d(x, w, stride=s, padding=p, dilation=d)  # (1, 1, o, o)
    assert y.shape == (1, 1, o, o)
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=s, padding=p, dilation=d)  # (1, 1, o, o)
    np.testing.assert_array_equal(y, expected.numpy())


@pytest.mark.parametrize("figure, i, k, s, p, a, o", TRANSPOSED, ids=[t[0] for t in TRANSPOSED])
def test_each_transposed_figure(figure, i, k, s, p, a, o):
    assert transpose_axis(i, k, s, p, a, 1).size == o
    # The convolution with the same k, s and p takes the output size back to the input's: the two are
    # each other's transpose (the guide pairs figure 4.n with figure 2.n).
    assert shapes.axis(o, k, s, p).size == i
    x, w = values(1, 1, i, i, seed=i), values(1, 1, k, k, seed=k)  # (1, 1, i', i'), (1, 1, k, k)
    y = conv_transpose2d(x, w, stride=s, padding=p, output_padding=a)  # (1, 1, o', o')
    assert y.shape == (1, 1, o, o)
    torch_y = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=s, padding=p, output_padding=a)
    np.testing.assert_array_equal(y, torch_y.numpy())


@pytest.mark.parametrize("figure, i, k, s, p, a, o", TRANSPOSED, ids=[t[0] for t in TRANSPOSED])
def test_a_transposed_convolution_is_a_direct_convolution_of_the_stretched_input(figure, i, k, s, p, a, o):
    """Chapter 4's equivalence: s − 1 zeros between input cells, k − p − 1 zeros around, the kernel turned."""
    x, w = values(1, 1, i, i, seed=i + 7), values(1, 1, k, k, seed=k + 7)  # (1, 1, i', i'), (1, 1, k, k)
    stretched = np.zeros((1, 1, (i - 1) * s + 1, (i - 1) * s + 1), np.float32)  # (1, 1, ĩ, ĩ)
    stretched[:, :, ::s, ::s] = x
    edge = k - p - 1
    padded = np.pad(stretched, ((0, 0), (0, 0), (edge, edge + a), (edge, edge + a)))  # (1, 1, ĩ + 2e + a, …)
    direct = conv2d(padded, w[:, :, ::-1, ::-1].copy())  # (1, 1, o', o') stride 1, the kernel turned 180°
    assert direct.shape == (1, 1, o, o)
    np.testing.assert_array_equal(direct, conv_transpose2d(x, w, stride=s, padding=p, output_padding=a))


def test_the_guide_s_relationships_hold_across_settings():
    """Relationship 6 (o = ⌊(i + 2p − k)/s⌋ + 1) and 12 (o' = s(i' − 1) + a + k − 2p), and the dilated 13."""
    for i in range(1, 12):
        for k in range(1, 6):
            for s in range(1, 4):
                for p in range(0, k):
                    for d in (1, 2, 3):
                        reach = k + (k - 1) * (d - 1)
                        if i + 2 * p >= reach:
                            assert shapes.axis(i, k, s, p, d=d).size == (i + 2 * p - reach) // s + 1
                    for a in range(s):
                        if s * (i - 1) + a + k - 2 * p >= 1:
                            assert transpose_axis(i, k, s, p, a, 1).size == s * (i - 1) + a + k - 2 * p
