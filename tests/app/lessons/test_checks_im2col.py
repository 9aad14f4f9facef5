"""The im2col check functions (app/lessons/checks_im2col.py) against PyTorch: shapes from F.unfold's
columns and the flattened filters, counts from the arrays themselves, one product entry from F.conv2d,
one column entry from F.unfold; run through run_check as a lesson names them; bad arguments named."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.lessons import checks_im2col as ci
from app.lessons.checks import run_check

LAYERS = [
    ([3, 32, 32], 3, 16, 1, 1, 1),
    ([3, 16, 16], 5, 6, 1, 0, 1),
    ([1, 10, 10], 3, 2, 2, 1, 1),
    ([16, 8, 8], 3, 8, 1, 1, 1),
    ([2, 7, 9], 2, 3, 3, 2, 2),
]


def unfolded(input, k, s, p, d) -> torch.Tensor:
    return F.unfold(torch.zeros(1, *input), k, stride=s, padding=p, dilation=d)[0]  # (C*k*k, L)


@pytest.mark.parametrize("input, k, c_out, s, p, d", LAYERS)
def test_shapes_are_those_of_torchs_matrices(input, k, c_out, s, p, d):
    cols = unfolded(input, k, s, p, d)
    wmat = torch.zeros(c_out, input[0], k, k).reshape(c_out, -1)  # (C_out, C*k*k)
    prod = wmat @ cols  # (C_out, L)
    for matrix, t in (("columns", cols), ("weights", wmat), ("product", prod)):
        answer, work = ci.im2col_shape(input, k, c_out, s, p, d, matrix=matrix)
        assert answer == f"{t.shape[0]} × {t.shape[1]}"
        assert work.endswith(answer)


@pytest.mark.parametrize("input, k, c_out, s, p, d", LAYERS)
def test_counts_are_counted_from_the_arrays(input, k, c_out, s, p, d):
    cols = unfolded(input, k, s, p, d)
    x = torch.zeros(1, *input)
    expected = {
        "positions": cols.shape[1],
        "rows": cols.shape[0],
        "entries": cols.numel(),
        "inputs": x.numel(),
        "blowup": cols.numel() / x.numel(),
        "multiply_adds": c_out * cols.numel(),
    }
    for of, value in expected.items():
        answer, work = ci.im2col_size(input, k, c_out, s, p, d, of=of)
        assert answer == pytest.approx(value), of
        assert float(work.rsplit(" = ", 1)[1]) == pytest.approx(value, rel=5e-3), (of, work)  # 3 figures


def test_same_padding_blows_the_input_up_by_k_squared():
    assert ci.im2col_size([3, 32, 32], 3, s=1, p=1, of="blowup")[0] == 9
    answer, work = ci.im2col_size([1, 8, 8], 3, s=2, p=1, of="blowup")  # a quarter of the windows at stride 2
    assert (answer, work) == (2.25, "k·k·L / (H·W) = 3·3·16 / (8·8) = 144/64 = 2.25")


@pytest.mark.parametrize("s, p", [(1, 0), (1, 1), (2, 1)])
def test_a_product_entry_is_torchs_output(s, p):
    rng = np.random.default_rng(s * 10 + p)
    x = rng.integers(-3, 4, (2, 5, 5)).astype(float)  # (C, H, W)
    w = rng.integers(-2, 3, (3, 2, 3, 3)).astype(float)  # (F, C, k, k)
    y = F.conv2d(torch.tensor(x)[None], torch.tensor(w), stride=s, padding=p)[0]  # (F, H_out, W_out)
    for f in range(3):
        for r in range(y.shape[1]):
            for c in range(y.shape[2]):
                answer, work = ci.matmul_value(x.tolist(), w.tolist(), r, c, filter=f, s=s, p=p)
                assert answer == pytest.approx(y[f, r, c].item())
                assert work.count("×") == 2 * 9  # one product per row of the column


def test_a_one_channel_product_entry_reads_its_window():
    answer, work = ci.matmul_value([[2, 0, 1], [1, 3, 0], [0, 1, 2]], [[1, -1], [0, 2]], 0, 1)
    y = F.conv2d(torch.tensor([[[[2.0, 0, 1], [1, 3, 0], [0, 1, 2]]]]), torch.tensor([[[[1.0, -1], [0, 2]]]]))
    assert answer == y[0, 0, 0, 1].item() == -1
    assert work == "1×0 + (−1)×1 + 0×3 + 2×0 = −1"


@pytest.mark.parametrize("s, p, d", [(1, 0, 1), (2, 1, 1), (1, 2, 2)])
def test_a_column_entry_is_unfolds(s, p, d):
    x = np.arange(1, 2 * 4 * 5 + 1, dtype=float).reshape(2, 4, 5)  # (C, H, W): each cell its own number
    cols = F.unfold(torch.tensor(x)[None], 2, stride=s, padding=p, dilation=d)[0]  # (C*4, L)
    for r in range(cols.shape[0]):
        for c in range(cols.shape[1]):
            answer, work = ci.column_value(x.tolist(), 2, r, c, s, p, d)
            assert answer == cols[r, c].item()
            if answer:  # the cell named in the working holds that number
                i, j = (int(v) for v in work.rsplit("input cell (", 1)[1].split(")")[0].split(", "))
                assert x[r // 4, i, j] == answer


def test_run_check_names_the_functions_and_bad_arguments():
    assert run_check({"fn": "im2col_shape", "input": [3, 16, 16], "k": 5})[0] == "75 × 144"
    with pytest.raises(ValueError, match="matrix must be one of"):
        run_check({"fn": "im2col_shape", "input": [3, 16, 16], "k": 5, "matrix": "kernel"})
    with pytest.raises(ValueError, match="^input must be"):
        ci.im2col_size([16, 16], 3)
    with pytest.raises(ValueError, match="no position"):
        ci.im2col_size([1, 2, 2], 3)
    with pytest.raises(ValueError, match="^row"):
        ci.matmul_value([[1, 2], [3, 4]], [[1]], 2, 0)
    with pytest.raises(ValueError, match="^kernel must have one k × k grid per input channel"):
        ci.matmul_value([[[1, 2], [3, 4]]] * 2, [[[1]]] * 3, 0, 0)
    with pytest.raises(ValueError, match="^col"):
        ci.column_value([[1, 2], [3, 4]], 2, 0, 1)
