"""engine.im2col against PyTorch: the columns are F.unfold's, col2im is F.fold, the convolution as a
matrix product is F.conv2d forward and autograd backward (and engine.conv2d), over many random
shapes, strides, paddings and dilations; the cells each column entry came from; the sizes (the
memory blow-up, the multiply-adds) against counts made from the arrays; arguments refused by name."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv2d
from engine.errors import ArgumentError
from engine.im2col import (
    col2im,
    conv2d_as_matmul,
    conv2d_as_matmul_backward,
    copies,
    im2col,
    sizes,
    sources,
    taps,
    weight_matrix,
)


def settings(seed: int) -> dict:
    """A random legal setting: non-square kernels and (height, width) pairs, the window always fits."""
    rng = np.random.default_rng(seed)
    pair = lambda lo, hi: (int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1)))  # noqa: E731
    kernel, stride, padding, dilation = pair(1, 4), pair(1, 3), pair(0, 2), pair(1, 2)
    reach = [d * (k - 1) + 1 for d, k in zip(dilation, kernel)]
    size = tuple(int(rng.integers(max(1, r - 2 * p), r - 2 * p + 6)) for r, p in zip(reach, padding))
    return {
        "n": int(rng.integers(1, 4)),
        "c_in": int(rng.integers(1, 5)),
        "c_out": int(rng.integers(1, 5)),
        "size": size,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
    }


def arrays(s: dict, seed: int):
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((s["n"], s["c_in"], *s["size"])).astype(np.float32)  # (N, C_in, H, W)
    w = rng.standard_normal((s["c_out"], s["c_in"], *s["kernel"])).astype(np.float32)  # (C_out, C_in, kh, kw)
    b = rng.standard_normal(s["c_out"]).astype(np.float32)  # (C_out,)
    return x, w, b


def opts(s: dict) -> dict:
    return {k: s[k] for k in ("stride", "padding", "dilation")}


@pytest.mark.parametrize("seed", range(40))
def test_columns_are_unfolds_and_col2im_is_fold(seed):
    s = settings(seed)
    x, _, _ = arrays(s, seed)
    cols = im2col(x, s["kernel"], **opts(s))  # (N, C_in*kh*kw, L)
    expected = F.unfold(torch.tensor(x), s["kernel"], **opts(s)).numpy()
    assert cols.shape == expected.shape and cols.dtype == np.float32
    np.testing.assert_array_equal(cols, expected)  # copies: exact
    g = np.random.default_rng(seed + 3000).standard_normal(cols.shape).astype(np.float32)  # like cols
    folded = col2im(g, s["size"], s["kernel"], **opts(s))  # (N, C_in, H, W)
    np.testing.assert_allclose(folded, F.fold(torch.tensor(g), s["size"], s["kernel"], **opts(s)).numpy(), atol=1e-5)


@pytest.mark.parametrize("seed", range(40))
def test_the_matrix_product_is_torchs_convolution_forward_and_backward(seed):
    s = settings(seed + 100)
    x, w, b = arrays(s, seed)
    y = conv2d_as_matmul(x, w, b, **opts(s))  # (N, C_out, H_out, W_out)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, **opts(s))
    assert y.shape == tuple(yt.shape) and y.dtype == np.float32
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y, conv2d(x, w, b, **opts(s)), rtol=1e-5, atol=1e-5)  # the engine's own kernels
    gy = np.random.default_rng(seed + 2000).standard_normal(y.shape).astype(np.float32)  # like y
    yt.backward(torch.tensor(gy))
    gx, gw, gb = conv2d_as_matmul_backward(gy, x, w, **opts(s))
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_col2im_is_the_adjoint_of_im2col():
    """<im2col(x), g> = <x, col2im(g)> for any x and g: the definition of the backward's copy-back."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 7, 5))  # (N, C, H, W)
    cols = im2col(x, (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))  # (N, C*6, L)
    g = rng.standard_normal(cols.shape)  # like cols
    back = col2im(g, (7, 5), (3, 2), stride=(2, 1), padding=1, dilation=(1, 2))  # (N, C, H, W)
    assert float(np.sum(cols * g)) == pytest.approx(float(np.sum(x * back)), rel=1e-5)


def test_the_weight_matrix_reads_each_filter_in_the_columns_row_order():
    w = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)  # (C_out, C_in, kh, kw)
    m = weight_matrix(w)
    assert m.shape == (2, 12)
    assert m[1].tolist() == w[1].ravel().tolist()  # channel-major, then kernel row, then kernel column
    assert m[0, 4 + 2] == w[0, 1, 1, 0]  # row 6 of the columns: channel 1, tap (1, 0)


@pytest.mark.parametrize("seed", range(6))
def test_each_entry_names_the_cell_it_was_copied_from(seed):
    s = settings(seed + 200)
    c, (h, w) = s["c_in"], s["size"]
    idx = sources(c, (h, w), s["kernel"], **opts(s))  # (C*kh*kw, L)
    x = np.random.default_rng(seed).standard_normal((1, c, h, w)).astype(np.float32)  # (1, C, H, W)
    cols = im2col(x, s["kernel"], **opts(s))[0]  # (C*kh*kw, L)
    flat = x.ravel()
    np.testing.assert_array_equal(cols[idx >= 0], flat[idx[idx >= 0]])
    assert np.all(cols[idx < 0] == 0)  # padding
    # A slow loop over the windows: entry (row, l) is channel c, tap (a, e) of window l.
    kh, kw = s["kernel"]
    (sh, sw), (ph, pw), (dh, dw) = s["stride"], s["padding"], s["dilation"]
    ow = idx.shape[1] // ((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1)
    for row in range(idx.shape[0]):
        ch, a, e = row // (kh * kw), (row // kw) % kh, row % kw
        for col in range(idx.shape[1]):
            i, j = (col // ow) * sh + a * dh - ph, (col % ow) * sw + e * dw - pw
            inside = 0 <= i < h and 0 <= j < w
            assert idx[row, col] == (ch * h * w + i * w + j if inside else -1)


@pytest.mark.parametrize(
    "c_in, h, w, k, c_out, s, p, d",
    [(1, 4, 4, 3, 2, 1, 1, 1), (3, 32, 32, 3, 16, 1, 1, 1), (3, 8, 8, 4, 4, 2, 1, 1), (2, 7, 5, 2, 3, 3, 2, 2)],
)
def test_the_sizes_count_what_the_arrays_hold(c_in, h, w, k, c_out, s, p, d):
    x = np.zeros((1, c_in, h, w), np.float32)  # (1, C_in, H, W)
    wt = np.zeros((c_out, c_in, k, k), np.float32)  # (C_out, C_in, k, k)
    cols = im2col(x, k, s, p, d)[0]  # (C_in*k*k, L)
    z = sizes(c_in, h, w, k, c_out, s, p, d)
    assert (z.rows, z.positions) == cols.shape
    assert z.column_entries == cols.size and z.input_entries == x.size
    assert z.blowup == Fraction(cols.size, x.size)
    assert z.multiply_adds == weight_matrix(wt).shape[0] * weight_matrix(wt).shape[1] * cols.shape[1]
    assert z.shapes()["columns"].endswith(f"= {cols.shape[0]} × {cols.shape[1]}")
    assert z.shapes()["weights"].endswith(f"= {c_out} × {cols.shape[0]}")
    assert z.blowup_text().split(" = ")[-1] == (
        str(z.blowup.numerator) if z.blowup.denominator == 1 else f"{float(z.blowup):.3g}"
    )


def test_same_padding_copies_each_cell_about_k_squared_over_s_squared_times():
    assert sizes(1, 64, 64, 3, 1, 1, 1).blowup == 9  # stride 1: every cell in 3·3 windows
    assert sizes(1, 64, 64, 3, 1, 2, 1).blowup == Fraction(9, 4)  # stride 2: a quarter of the windows


def test_arguments_are_refused_with_their_names():
    x = np.zeros((1, 2, 3, 3), np.float32)  # (1, C, H, W)
    with pytest.raises(ArgumentError) as e:
        im2col(x, 5)
    assert e.value.argument == "kernel_size" and "no position" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        im2col(x, 2, stride=0)
    assert e.value.argument == "stride"
    with pytest.raises(ArgumentError) as e:
        conv2d_as_matmul(x, np.zeros((1, 3, 2, 2), np.float32))
    assert e.value.argument == "w" and "channels" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        col2im(np.zeros((1, 6, 4), np.float32), (3, 3), 2)
    assert e.value.argument == "cols"
    with pytest.raises(ArgumentError) as e:
        col2im(np.zeros((1, 4, 5), np.float32), (3, 3), 2)
    assert e.value.argument == "cols" and "H_out·W_out = 2·2 = 4" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        conv2d_as_matmul_backward(np.zeros((1, 1, 3, 3), np.float32), x, np.zeros((1, 2, 2, 2), np.float32))
    assert e.value.argument == "gy"


def test_copies_and_taps_follow_the_columns():
    """A cell inside a stride-1 'same' layer sits in k² windows, a corner in fewer; each row names its weight."""
    n = copies(1, (5, 5), 3, 1, 1)[0]  # (5, 5)
    assert n[2, 2] == 9 and n[0, 2] == 6 and n[0, 0] == 4
    padding = int((sources(1, (5, 5), 3, 1, 1) < 0).sum())  # entries whose window lay on the border
    assert n.sum() + padding == sizes(1, 5, 5, 3, 1, 1, 1).column_entries
    idx = sources(2, (4, 3), 2, 1, 0)  # (8, L)
    counted = np.bincount(idx[idx >= 0], minlength=24).reshape(2, 4, 3)  # (C, H, W)
    np.testing.assert_array_equal(copies(2, (4, 3), 2, 1, 0), counted)
    t = taps(2, (2, 3))  # (12, 3)
    w = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)  # (1, C, kh, kw): each weight its own index
    np.testing.assert_array_equal(weight_matrix(w)[0], [w[0, c, a, b] for c, a, b in t])
