"""The im2col widget's message (app/features/im2col.py, "im2col.run"): the columns are torch's F.unfold,
the weight matrix is the filters flattened, their product reshaped is F.conv2d, every entry names the
input cell it was copied from, the shapes and sizes are counted from the arrays, and settings that
cannot work are refused naming the field and its legal range."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.dispatch import answer
from app.features import TABLE
from app.features.im2col import Im2colRunParams, im2col_run


def run(**params) -> tuple[dict, dict]:
    got = im2col_run.handler(Im2colRunParams(**params))
    return got.meta, got.arrays


def layer(seed: int, c: int, h: int, w: int, f: int, k: int) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "channels": c,
        "height": h,
        "width": w,
        "values": rng.integers(-4, 5, c * h * w).astype(float).tolist(),
        "filters": f,
        "kernel_size": k,
        "weights": rng.integers(-2, 3, f * c * k * k).astype(float).tolist(),
    }


CASES = [
    (layer(0, 1, 4, 4, 2, 3), 1, 0, 1),
    (layer(1, 1, 4, 4, 2, 3), 1, 1, 1),
    (layer(2, 3, 5, 5, 4, 2), 2, 1, 1),
    (layer(3, 2, 8, 6, 3, 3), 3, 2, 2),
    (layer(4, 3, 8, 8, 4, 4), 1, 2, 1),
    (layer(5, 1, 7, 3, 1, 1), 2, 0, 1),
]


@pytest.mark.parametrize("params, stride, padding, dilation", CASES)
def test_the_matrices_are_torchs_and_their_product_is_the_convolution(params, stride, padding, dilation):
    meta, arrays = run(**params, stride=stride, padding=padding, dilation=dilation)
    c, h, w, f, k = (params[n] for n in ("channels", "height", "width", "filters", "kernel_size"))
    x = torch.tensor(params["values"]).reshape(1, c, h, w)
    wt = torch.tensor(params["weights"]).reshape(f, c, k, k)
    opts = {"stride": stride, "padding": padding, "dilation": dilation}
    cols = F.unfold(x, k, **opts)[0]  # (C*k*k, L)
    y = F.conv2d(x, wt, **opts)[0]  # (C_out, H_out, W_out)
    np.testing.assert_array_equal(arrays["columns"], cols.numpy())
    np.testing.assert_array_equal(arrays["weights"], wt.reshape(f, -1).numpy())
    np.testing.assert_allclose(arrays["product"], (wt.reshape(f, -1) @ cols).numpy(), atol=1e-4)
    np.testing.assert_allclose(arrays["output"], y.numpy(), atol=1e-4)
    # The shapes, each from torch's arrays, and the numbers written beside them.
    rows, positions = cols.shape
    assert meta["shapes"] == {
        "input": [c, h, w],
        "weights": [f, rows],
        "columns": [rows, positions],
        "product": [f, positions],
        "output": list(y.shape),
    }
    assert meta["formulas"]["columns"].endswith(f"= {rows} × {positions}")
    assert meta["formulas"]["weights"].endswith(f"= {f} × {rows}")
    assert meta["multiply"].endswith(f"{f} × {rows} times {rows} × {positions}")
    for formula, size in ((meta["rows_formula"], y.shape[1]), (meta["cols_formula"], y.shape[2])):
        assert int(float(formula.rsplit("= ", 1)[1])) == size  # floored when the last stride overshoots
    assert meta["column_entries"] == cols.numel() and meta["input_entries"] == x.numel()
    assert meta["blowup"] == pytest.approx(cols.numel() / x.numel())
    assert meta["multiply_adds"] == f * rows * positions


@pytest.mark.parametrize("params, stride, padding, dilation", CASES[:4])
def test_every_entry_names_the_cell_it_was_copied_from(params, stride, padding, dilation):
    meta, arrays = run(**params, stride=stride, padding=padding, dilation=dilation)
    src, cols = arrays["sources"], arrays["columns"]  # (C*k*k, L) each
    flat = np.asarray(params["values"], np.float32)
    np.testing.assert_array_equal(cols[src >= 0], flat[src[src >= 0]])
    assert np.all(cols[src < 0] == 0)  # padding
    # ...found independently: torch's unfold of the cells' own numbers (1, 2, ...; padding brings 0).
    c, h, w, k = (params[n] for n in ("channels", "height", "width", "kernel_size"))
    ids = torch.arange(1, c * h * w + 1, dtype=torch.float64).reshape(1, c, h, w)
    expected = F.unfold(ids, k, stride=stride, padding=padding, dilation=dilation)[0].numpy() - 1
    np.testing.assert_array_equal(src, expected)
    np.testing.assert_array_equal(
        arrays["copies"].ravel(), np.bincount(expected[expected >= 0].astype(int), minlength=c * h * w)
    )
    taps = arrays["taps"]  # (C*k*k, 3)
    w4 = np.asarray(params["weights"], np.float32).reshape(-1, c, k, k)
    for row, (ch, a, b) in enumerate(taps):
        np.testing.assert_array_equal(arrays["weights"][:, row], w4[:, ch, a, b])


def test_the_lessons_small_example_copies_the_middle_cell_into_every_window():
    """A 3×3 input, a 2×2 kernel: four windows, the middle cell in all four columns, a corner in one."""
    meta, arrays = run(
        channels=1, height=3, width=3, values=list(range(1, 10)), filters=1, kernel_size=2, weights=[1, 0, 0, -1]
    )
    assert arrays["columns"].T.tolist() == [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]
    assert arrays["copies"][0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    assert meta["blowup_text"].endswith("= 16/9 = 1.78")
    assert arrays["output"][0].tolist() == [[1 - 5, 2 - 6], [4 - 8, 5 - 9]]


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"height": 1, "width": 1, "values": [1], "weights": [1] * 18}, "kernel_size", "no position"),
        ({"values": [1, 2], "weights": [1] * 18}, "values", "1 × 4 × 4 = 16 numbers, got 2"),
        ({"values": [0] * 16, "weights": [1] * 9}, "weights", "2 × 1 × 3 × 3 = 18 numbers, got 9"),
        ({"values": [0] * 16, "weights": [1] * 18, "stride": 4}, "stride", "from 1 to 3"),
        ({"values": [0] * 16, "weights": [1] * 18, "padding": 3}, "padding", "from 0 to 2"),
        ({"values": [0] * 16, "weights": [1] * 18, "channels": 4}, "channels", "from 1 to 3"),
        ({"values": [0] * 16, "weights": [1] * 18, "strides": 2}, "strides", ""),
        ({"values": [0] * 15 + [1e9], "weights": [1] * 18}, "values", ""),
    ],
)
def test_settings_that_cannot_work_are_refused_with_their_field(params, field, words):
    error = json.loads(answer(TABLE, 7, "im2col.run", params))
    assert error["type"] == "error" and error["field"].startswith(field), error
    assert words in error["message"]
