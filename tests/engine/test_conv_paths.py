"""Large batches with long dot products take im2col + BLAS (wide columns at stride 1); the
rest the direct kernels. Every path must give PyTorch's numbers, and each must be taken."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv, conv2d, conv2d_backward

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")

SETTINGS = [
    # (N, C, H, W, F, KH, KW, stride, padding (t, b, l, r), dilation, flip)
    (8, 8, 20, 18, 16, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), False),  # wide columns
    (8, 8, 20, 18, 16, 3, 3, (1, 1), (2, 0, 1, 3), (2, 1), True),  # wide, uneven padding, dilation, flip
    (8, 9, 24, 24, 16, 3, 3, (2, 1), (1, 1, 0, 0), (1, 1), False),  # strided columns
    (16, 4, 31, 29, 16, 4, 5, (3, 2), (0, 1, 2, 0), (1, 2), True),  # strided, non-square
    (16, 1, 28, 28, 6, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1), False),  # direct kernels, a large batch
    (16, 2, 40, 40, 8, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1), False),  # direct, strided
]


def torch_conv(x, w, b, stride, padding, dilation, flip):
    top, bottom, left, right = padding
    tw = torch.flip(w, (2, 3)) if flip else w
    return F.conv2d(F.pad(x, (left, right, top, bottom)), tw, b, stride=stride, dilation=dilation)


@pytest.mark.parametrize("setting", SETTINGS, ids=[str(i) for i in range(len(SETTINGS))])
def test_every_path_matches_pytorch(setting):
    n, c, h, w_, f, kh, kw, stride, padding, dilation, flip = setting
    rng = np.random.default_rng(sum(setting[:7]))
    x = rng.standard_normal((n, c, h, w_)).astype(np.float32)  # (N, C, H, W)
    w = rng.standard_normal((f, c, kh, kw)).astype(np.float32)  # (F, C, KH, KW)
    b = rng.standard_normal(f).astype(np.float32)  # (F,)
    y = conv2d(x, w, b, stride, padding, dilation, flip=flip)
    gy = rng.standard_normal(y.shape).astype(np.float32)  # (N, F, OH, OW)
    gx, gw, gb = conv2d_backward(gy, x, w, stride, padding, dilation, flip=flip)

    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch_conv(tx, tw, tb, stride, padding, dilation, flip)
    ty.backward(torch.tensor(gy))
    for mine, theirs in ((y, ty), (gx, tx.grad), (gw, tw.grad), (gb, tb.grad)):
        theirs = theirs.detach().numpy()
        assert mine.shape == theirs.shape
        assert np.abs(mine - theirs).max() <= 1e-4 * max(1.0, np.abs(theirs).max())

    oh, ow = y.shape[2:]
    gemm = conv._use_gemm(n, f, oh * ow, c * kh * kw)
    assert gemm == (c * kh * kw >= conv.GEMM_TAPS)  # each setting takes the path its comment names


def test_batch_results_repeat_bit_for_bit():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)  # (16, 1, 28, 28)
    w = rng.standard_normal((6, 1, 5, 5)).astype(np.float32)  # (6, 1, 5, 5)
    gy = rng.standard_normal((16, 6, 24, 24)).astype(np.float32)  # (16, 6, 24, 24)
    first = conv2d_backward(gy, x, w)
    for _ in range(3):
        for a, b in zip(first, conv2d_backward(gy, x, w)):
            np.testing.assert_array_equal(a, b)
