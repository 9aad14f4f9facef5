"""Every worked example of the five lecture seeds, reproduced by the engine to the digit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv1d, conv2d, conv2d_backward, max_pool2d, shapes
from engine.pad import pad


def grid(rows) -> np.ndarray:
    """A single-image, single-channel batch from a list of rows."""
    return np.array(rows, np.float32)[None, None]  # (1, 1, H, W)


def torch_conv(x, w, b, **settings) -> np.ndarray:
    """PyTorch's convolution in float64 of the same float32 arrays."""
    bias = None if b is None else torch.tensor(b, dtype=torch.float64)  # (F,)
    return F.conv2d(
        torch.tensor(x, dtype=torch.float64), torch.tensor(w, dtype=torch.float64), bias, **settings
    ).numpy()  # (N, F, OH, OW)


def test_seed001_true_convolution_of_3x3_with_2x2():
    x = grid([[0, 80, 40], [20, 40, 0], [0, 0, 40]])  # (1, 1, 3, 3)
    k = grid([[0, 0.25], [0.5, 1]])  # (1, 1, 2, 2)
    y = conv2d(x, k, flip=True)  # (1, 1, 2, 2)
    np.testing.assert_array_equal(y[0, 0], [[45, 110], [40, 40]])
    # The lecture's first step, term by term: 1×0 + 0.5×80 + 0.25×20 + 0×40 = 45.
    assert y[0, 0, 0, 0] == 1 * 0 + 0.5 * 80 + 0.25 * 20 + 0 * 40


def test_seed001_cross_correlation_differs_from_convolution():
    x = grid([[0, 80, 40], [20, 40, 0], [0, 0, 40]])  # (1, 1, 3, 3)
    k = grid([[0, 0.25], [0.5, 1]])  # (1, 1, 2, 2)
    # Without the flip, the first window meets the kernel as printed: 0·0 + 80·0.25 + 20·0.5 + 40·1.
    assert conv2d(x, k)[0, 0, 0, 0] == 70


def test_seed002_1d_sliding_dot_product_quiz():
    f = np.array([5, 1, 2], np.float32)[None, None]  # (1, 1, 3) the filter
    g = np.array([3, 1, 4, 5, 6, 0, 0, 1], np.float32)[None, None]  # (1, 1, 8) the signal
    out = conv1d(g, f)[0, 0]  # (6,)
    assert out.shape == (6,)  # N − K + 1
    # "the 4th element": 5·5 + 1·6 + 2·0 = 31 (counting from 1).
    assert out[3] == 5 * 5 + 1 * 6 + 2 * 0 == 31
    np.testing.assert_array_equal(out, [24, 19, 37, 31, 30, 2])


# Seed 002's CS231n-style volume, as printed: channels of the 7×7 padded input,
# the two 3×3×3 filters and their biases. The ring of padding is printed as zeros
# but for one cell, channel 1's row 2, last column, printed as 2 when the slides
# were turned into text; the slide pads with zeros, so that cell is a slip, and
# the tests take the input from inside the ring.
SEED002_PADDED = np.array(
    [
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 1, 0, 2, 1, 1, 0],
            [0, 0, 0, 2, 2, 1, 0],
            [0, 1, 0, 0, 0, 2, 0],
            [0, 2, 1, 0, 2, 0, 0],
            [0, 2, 0, 2, 2, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
        ],
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 1, 2, 1, 1, 0],
            [0, 1, 2, 2, 1, 1, 2],
            [0, 1, 0, 1, 0, 2, 0],
            [0, 0, 2, 0, 1, 0, 0],
            [0, 1, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 0],
        ],
        [
            [0, 0, 0, 0, 0, 0, 0],
            [0, 2, 1, 1, 2, 2, 0],
            [0, 2, 2, 2, 2, 0, 0],
            [0, 0, 0, 1, 1, 0, 0],
            [0, 0, 2, 0, 1, 2, 0],
            [0, 2, 2, 1, 1, 1, 0],
            [0, 0, 0, 0, 0, 0, 0],
        ],
    ],
    np.float32,
)  # (3, 7, 7)
SEED002_W = np.array(
    [
        [
            [[0, -1, 1], [0, 1, 1], [-1, 0, -1]],
            [[-1, -1, 0], [1, -1, 1], [1, -1, -1]],
            [[-1, -1, 1], [0, 1, 1], [-1, 1, 0]],
        ],
        [
            [[-1, 0, 0], [0, 0, 1], [1, -1, 1]],
            [[-1, 1, -1], [-1, 0, 0], [-1, 0, -1]],
            [[1, -1, 0], [-1, 1, -1], [1, -1, 0]],
        ],
    ],
    np.float32,
)  # (2, 3, 3, 3)
SEED002_B = np.array([1, 0], np.float32)  # (2,)


def test_seed002_volume_5x5x3_padded_stride2_gives_3x3x2():
    x = SEED002_PADDED[None, :, 1:-1, 1:-1]  # (1, 3, 5, 5) the input inside the padding ring
    y = conv2d(x, SEED002_W, SEED002_B, stride=2, padding=1)  # (1, 2, 3, 3)
    assert y.shape == (1, 2, 3, 3)
    expected = F.conv2d(torch.tensor(x), torch.tensor(SEED002_W), torch.tensor(SEED002_B), stride=2, padding=1)
    np.testing.assert_array_equal(y, expected.numpy())
    # First output of filter 0, summed by hand over the top-left 3×3×3 window of the padded input:
    #   channel 0: 1·1 (centre)                                         =  1
    #   channel 1: 1·1 (middle right) + 1·(−1) + 2·(−1) (bottom row)      = −2
    #   channel 2: 2·1 + 1·1 (middle row) + 2·1 + 2·0 (bottom row)        =  5
    #   plus bias b0 = 1                                                 →  5
    assert y[0, 0, 0, 0] == 1 + (1 - 1 - 2) + (2 + 1 + 2 + 0) + 1 == 5
    # Every cell by an explicit sum over the window of the zero-padded volume.
    padded = np.pad(x[0], ((0, 0), (1, 1), (1, 1)))  # (3, 7, 7)
    for f in range(2):
        for i in range(3):
            for j in range(3):
                window = padded[:, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]  # (3, 3, 3)
                assert y[0, f, i, j] == np.sum(window * SEED002_W[f]) + SEED002_B[f]


def test_seed002_engine_pads_the_volume_as_printed():
    """The engine's zero padding of the 5×5×3 input is the printed 7×7×3 volume, but for the one misprinted cell."""
    x = SEED002_PADDED[None, :, 1:-1, 1:-1]  # (1, 3, 5, 5)
    padded = pad(x, (1, 1, 1, 1))[0]  # (3, 7, 7)
    assert np.argwhere(padded != SEED002_PADDED).tolist() == [[1, 2, 6]]
    assert padded[1, 2, 6] == 0
    ring = np.ones((7, 7), bool)  # (7, 7)
    ring[1:-1, 1:-1] = False
    assert (padded[:, ring] == 0).all()


def test_seed002_weight_gradient_is_input_correlated_with_output_gradient():
    # Distinct primes make every product identifiable, as the slide's symbols are.
    X = np.array([[2, 3, 5], [7, 11, 13], [17, 19, 23]], np.float32)  # (3, 3) X11..X33
    dh = np.array([[29, 31], [37, 41]], np.float32)  # (2, 2) ∂h11..∂h22
    w = np.array([[[[43, -47], [53, 59]]]], np.float32)  # (F, C, KH, KW) its values do not enter dL/dW
    gx, gw, gb = conv2d_backward(dh[None, None], X[None, None], w)
    (x11, x12, x13), (x21, x22, x23), (x31, x32, x33) = X
    (h11, h12), (h21, h22) = dh
    slide = [
        [x11 * h11 + x12 * h12 + x21 * h21 + x22 * h22, x12 * h11 + x13 * h12 + x22 * h21 + x23 * h22],
        [x21 * h11 + x22 * h12 + x31 * h21 + x32 * h22, x22 * h11 + x23 * h12 + x32 * h21 + x33 * h22],
    ]
    np.testing.assert_array_equal(gw[0, 0], slide)
    assert gb[0] == dh.sum()
    # dL/dX sends each ∂h back through the weights its window met: ∂X11 = w11·∂h11, ∂X22 meets all four.
    (w11, w12), (w21, w22) = w[0, 0]
    assert gx[0, 0, 0, 0] == w11 * h11
    assert gx[0, 0, 1, 1] == w22 * h11 + w21 * h12 + w12 * h21 + w11 * h22
    assert gx[0, 0, 2, 2] == w22 * h22


SEED003_INPUT = [
    [3, 0, 1, 2, 7, 4],
    [1, 5, 8, 9, 3, 1],
    [2, 7, 2, 5, 1, 3],
    [0, 1, 3, 1, 7, 8],
    [4, 2, 1, 6, 2, 8],
    [2, 4, 5, 2, 3, 9],
]
VERTICAL = [[1, 0, -1], [1, 0, -1], [1, 0, -1]]
HORIZONTAL = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]


def test_seed003_6x6_with_vertical_edge_kernel():
    y = conv2d(grid(SEED003_INPUT), grid(VERTICAL))[0, 0]  # (4, 4)
    np.testing.assert_array_equal(y, [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])


def test_seed003_vertical_edge_detection_10_0():
    image = grid([[10, 10, 10, 0, 0, 0]] * 6)  # (1, 1, 6, 6)
    y = conv2d(image, grid(VERTICAL))[0, 0]  # (4, 4)
    np.testing.assert_array_equal(y, [[0, 30, 30, 0]] * 4)


def test_seed003_horizontal_edge_detection_10_0():
    image = grid([[10, 10, 10, 0, 0, 0]] * 3 + [[0, 0, 0, 10, 10, 10]] * 3)  # (1, 1, 6, 6)
    y = conv2d(image, grid(HORIZONTAL))[0, 0]  # (4, 4)
    np.testing.assert_array_equal(y, [[0, 0, 0, 0], [30, 10, -10, -30], [30, 10, -10, -30], [0, 0, 0, 0]])


def test_seed003_quiz_box_filter_is_sum_of_each_window():
    image = np.array(SEED003_INPUT, np.float32)  # (6, 6)
    y = conv2d(image[None, None], np.ones((1, 1, 3, 3), np.float32))[0, 0]  # (4, 4)
    assert y[0, 0] == 3 + 0 + 1 + 1 + 5 + 8 + 2 + 7 + 2 == 29
    for i in range(4):
        for j in range(4):
            assert y[i, j] == image[i : i + 3, j : j + 3].sum()


@pytest.mark.parametrize(("stride", "size", "whole"), [(1, 5, True), (2, 3, True), (3, 2, False)])
def test_seed004_7x7_with_3x3_at_stride(stride, size, whole):
    out = shapes.window_output((7, 7), (3, 3), (stride, stride))
    assert out.shape == (size, size)
    assert out.whole is whole
    # On the ramp x[i, j] = 7i + j a 3×3 window sums to nine times its centre, and output (i, j)
    # is centred on input (stride·i + 1, stride·j + 1): each window's place shows in its value.
    ramp = np.arange(49, dtype=np.float32).reshape(1, 1, 7, 7)  # (1, 1, 7, 7)
    y = conv2d(ramp, np.ones((1, 1, 3, 3), np.float32), stride=stride)[0, 0]  # (size, size)
    centres = [stride * i + 1 for i in range(size)]
    np.testing.assert_array_equal(y, [[9 * (7 * r + c) for c in centres] for r in centres])
    if stride == 3:  # centres 1 and 4; the last column and row are left over
        np.testing.assert_array_equal(y, [[72, 99], [261, 288]])


def test_seed004_stride_3_does_not_fit_and_says_why():
    out = shapes.window_output((7, 7), (3, 3), (3, 3))
    assert out.problem() == "(7 − 3)/3 + 1 = 2.33: a 3×3 filter at stride 3 does not fit a 7×7 input"
    assert out.suggestions()["height"] == {"stride": 2, "padding": 1, "kernel": 4}
    for change in ({"stride": (2, 2)}, {"padding": (1, 1, 1, 1)}, {"kernel": (4, 4)}):
        args = {"size": (7, 7), "kernel": (3, 3), "stride": (3, 3)} | change
        assert shapes.window_output(**args).whole


def test_seed004_32x32x3_ten_5x5_filters_pad_2():
    out = shapes.window_output((32, 32), (5, 5), (1, 1), (2, 2, 2, 2))
    assert out.shape == (32, 32)
    assert out.rows.formula() == "(32 + 2×2 − 5)/1 + 1 = 32"
    assert shapes.conv_params((5, 5), 3, 10) == 760  # (5·5·3 + 1)·10
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)  # (1, 3, 32, 32)
    w = rng.standard_normal((10, 3, 5, 5)).astype(np.float32)  # (10, 3, 5, 5)
    b = rng.standard_normal(10).astype(np.float32)  # (10,)
    y = conv2d(x, w, b, padding=2)  # (1, 10, 32, 32)
    assert y.shape == (1, 10, 32, 32)
    np.testing.assert_allclose(y, torch_conv(x, w, b, padding=2), rtol=1e-4, atol=1e-4)


def test_seed004_1x1_convolution_56x56x64_to_32():
    rows = shapes.layer_table((64, 56, 56), [{"type": "conv", "filters": 32, "kernel": 1}])
    assert rows[0].shape == (56, 56, 32)
    assert rows[0].params == (1 * 1 * 64 + 1) * 32
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 64, 56, 56)).astype(np.float32)  # (1, 64, 56, 56)
    w = rng.standard_normal((32, 64, 1, 1)).astype(np.float32)  # (32, 64, 1, 1)
    # A 1×1 convolution is a 64-dimensional dot product at every pixel.
    expected = np.einsum("fc,chw->fhw", w[:, :, 0, 0], x[0])  # (32, 56, 56)
    np.testing.assert_allclose(conv2d(x, w)[0], expected, rtol=1e-4, atol=1e-4)


def test_seed003_quiz_3x5_input_3x3_kernel_padding_2x1_stride_2():
    out = shapes.window_output((3, 5), (3, 3), (2, 2), (2, 2, 1, 1))
    assert out.shape == (3, 3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 4, 3, 5)).astype(np.float32)  # (1, 4, 3, 5)
    w = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)  # (2, 4, 3, 3)
    y = conv2d(x, w, stride=2, padding=(2, 1))  # (1, 2, 3, 3)
    assert y.shape == (1, 2, 3, 3)  # 3 × 3 × 2
    np.testing.assert_allclose(y, torch_conv(x, w, None, stride=2, padding=(2, 1)), rtol=1e-4, atol=1e-4)
    # The corner output's window is two rows of padding over the first row of x, and a column of padding.
    assert y[0, 0, 0, 0] == pytest.approx(float(np.sum(x[0, :, 0, :2] * w[0, :, 2, 1:])), rel=1e-5)


def test_seed003_quiz_output_sizes():
    assert shapes.window_output((10, 12), (5, 5)).shape == (6, 8)
    # A 3×3×3 kernel slides along depth too: 15×15×10 → 13×13×8.
    assert [shapes.axis(n, 3).size for n in (15, 15, 10)] == [13, 13, 8]


def test_seed003_pooling_32x32x16_window_2_stride_2():
    x = np.random.default_rng(5).standard_normal((1, 16, 32, 32)).astype(np.float32)  # (1, 16, 32, 32)
    y, _ = max_pool2d(x, 2, 2)
    assert y.shape == (1, 16, 16, 16)  # answer C: channels unchanged
    # Each output is the largest of its own 2×2 block: blocks as two extra axes of the map.
    np.testing.assert_array_equal(y, x.reshape(1, 16, 16, 2, 16, 2).max(axis=(3, 5)))


def test_seed003_lenet5_table_row_by_row():
    rows = shapes.layer_table(shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)
    got = [(r.name, r.shape, r.size, r.params) for r in rows]
    assert got == [
        ("Conv1", (24, 24, 6), 3456, 156),
        ("Pool1", (12, 12, 6), 864, 0),
        ("Conv2", (8, 8, 16), 1024, 2416),
        ("Pool2", (4, 4, 16), 256, 0),
        ("Flatten", (256,), 256, 0),
        ("FC1", (120,), 120, 30840),
        ("FC2", (84,), 84, 10164),
        ("Softmax", (10,), 10, 850),
    ]
    assert sum(r.params for r in rows) == 44426  # "0.05 millions of parameters"


def test_seed000_parameter_counts():
    assert shapes.dense_params(256 * 256, 1024, bias=False) == 2**26
    # "3×3×10 kernel, 10 output channels = 900 parameters" (weights only).
    assert shapes.conv_params((3, 3), 10, 10, bias=False) == 900


def test_seed001_local_connectivity_counts():
    hidden = 200 * 200  # 40K hidden units on a 200×200 image
    assert shapes.dense_params(200 * 200, hidden, bias=False) == 1_600_000_000  # "~2B"
    assert hidden * 10 * 10 == 4_000_000  # each unit sees a 10×10 patch: 4M
    assert shapes.conv_params((10, 10), 1, 100, bias=False) == 10_000  # 100 shared 10×10 filters: 10K
