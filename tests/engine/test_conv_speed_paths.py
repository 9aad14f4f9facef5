"""The strided forward kernel works a block of output rows at a time, for every filter at once.

Its blocks must cover every output exactly once whatever the shape: a last block shorter than
the others, one row a block when filters × width exceed a block, one block for a single filter,
dilation, a batch. Each case is checked against the slow float64 reference, to the rounding
the PyTorch comparisons allow, and repeats bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import conv2d, conv_kernels
from engine.pad import pad
from tests.engine.reference import assert_close
from tests.engine.reference import conv2d as reference_conv2d

# (N, C, H, W, F, K, stride (h, w), padding, dilation)
CASES = [
    (1, 3, 64, 64, 16, 5, (2, 2), 1, (1, 1)),  # 31×31 outputs: blocks of 8 rows, the last of 7
    (1, 3, 256, 256, 16, 11, (4, 4), 0, (1, 1)),  # the playground's largest setup: blocks of 4, the last of 2
    (1, 1, 24, 246, 16, 3, (2, 1), 10, (1, 1)),  # 16 filters × 264 columns: more than a block, one row each
    (1, 1, 227, 227, 1, 11, (4, 4), 0, (1, 1)),  # one filter: the whole output in one block
    (2, 2, 30, 41, 5, 3, (3, 2), 2, (2, 3)),  # a batch, dilated, unequal strides
]


def _arrays(n, c, h, w, f, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, c, h, w)).astype(np.float32)  # (N, C, H, W)
    wt = rng.uniform(-1, 1, (f, c, k, k)).astype(np.float32)  # (F, C, K, K)
    b = rng.uniform(-1, 1, f).astype(np.float32)  # (F,)
    return x, wt, b


@pytest.mark.parametrize("case", CASES, ids=[f"{c[4]}x{c[5]}x{c[5]}-s{c[6][0]}{c[6][1]}" for c in CASES])
def test_the_strided_kernel_covers_every_output_once(case):
    n, c, h, w, f, k, stride, padding, dilation = case
    x, wt, b = _arrays(n, c, h, w, f, k, seed=sum(case[:6]))
    xp = pad(x, (padding,) * 4)  # (N, C, Hp, Wp)
    want = reference_conv2d(x, wt, b, stride, (padding,) * 4, dilation)  # (N, F, OH, OW) float64
    out = np.full(want.shape, np.nan, np.float32)  # (N, F, OH, OW) NaN where the kernel writes nothing
    conv_kernels.forward(xp, wt, b, *stride, *dilation, out)
    assert_close(out, want, 1e-4, f"strided forward {case}")


@pytest.mark.parametrize("case", CASES[:3], ids=["short-last-block", "largest", "row-blocks"])
def test_the_strided_forward_repeats_bit_for_bit(case):
    n, c, h, w, f, k, stride, padding, dilation = case
    x, wt, b = _arrays(n, c, h, w, f, k, seed=1)
    first = conv2d(x, wt, b, stride, padding, dilation)  # (N, F, OH, OW)
    again = conv2d(x.copy(), wt.copy(), b.copy(), stride, padding, dilation)  # (N, F, OH, OW)
    assert first.tobytes() == again.tobytes()
