"""engine.conv_transpose2d against torch.nn.functional.conv_transpose2d, forward and gradients, on
many random shapes, strides, paddings, output paddings and dilations; against a slow loop that
stamps each input cell's scaled kernel; the output-size formula and when output_padding is needed;
the stamps the widget animates; arguments refused with their names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import conv_transpose2d, shapes
from engine.conv_transpose import conv_transpose2d_backward, stamps, transpose_axis
from engine.errors import ArgumentError


def settings(seed: int) -> dict:
    """A random legal setting: sizes, channels and the four (height, width) pairs."""
    rng = np.random.default_rng(seed)
    pair = lambda lo, hi: (int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1)))  # noqa: E731
    stride, dilation = pair(1, 3), pair(1, 2)
    kernel = pair(1, 4)
    out_pad = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    size = pair(1, 6)
    full = [(n - 1) * s + d * (k - 1) + 1 for n, s, d, k in zip(size, stride, dilation, kernel)]
    padding = tuple(int(rng.integers(0, (f + o - 1) // 2 + 1)) for f, o in zip(full, out_pad))
    return {
        "n": int(rng.integers(1, 3)),
        "c_in": int(rng.integers(1, 4)),
        "c_out": int(rng.integers(1, 4)),
        "size": size,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": out_pad,
        "dilation": dilation,
    }


def arrays(s: dict, seed: int):
    rng = np.random.default_rng(seed + 1000)
    x = rng.standard_normal((s["n"], s["c_in"], *s["size"])).astype(np.float32)  # (N, C_in, H, W)
    w = rng.standard_normal((s["c_in"], s["c_out"], *s["kernel"])).astype(np.float32)  # (C_in, C_out, KH, KW)
    b = rng.standard_normal(s["c_out"]).astype(np.float32)  # (C_out,)
    return x, w, b


def options(s: dict) -> dict:
    return {k: s[k] for k in ("stride", "padding", "output_padding", "dilation")}


@pytest.mark.parametrize("seed", range(40))
def test_forward_and_gradients_are_torchs(seed):
    s = settings(seed)
    x, w, b = arrays(s, seed)
    y = conv_transpose2d(x, w, b, **options(s))  # (N, C_out, H_out, W_out)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv_transpose2d(xt, wt, bt, **options(s))
    assert y.shape == tuple(yt.shape) and y.dtype == np.float32
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-4, atol=1e-4)
    gy = np.random.default_rng(seed + 2000).standard_normal(y.shape).astype(np.float32)  # like y
    yt.backward(torch.tensor(gy))
    gx, gw, gb = conv_transpose2d_backward(gy, x, w, **options(s))
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-4, atol=1e-4)


def slow_reference(x, w, stride, padding, output_padding, dilation):
    """Loop by loop: every input cell adds its value times the kernel, tap by tap, then the cut."""
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    full_h, full_w = (h - 1) * sh + dh * (kh - 1) + 1, (wd - 1) * sw + dw * (kw - 1) + 1
    canvas = np.zeros((n, c_out, full_h + oh, full_w + ow), np.float64)  # (N, C_out, Hc, Wc)
    for b in range(n):
        for c in range(c_in):
            for i in range(h):
                for j in range(wd):
                    for o in range(c_out):
                        for a in range(kh):
                            for e in range(kw):
                                canvas[b, o, i * sh + a * dh, j * sw + e * dw] += x[b, c, i, j] * w[c, o, a, e]
    return canvas[:, :, ph : full_h - ph + oh, pw : full_w - pw + ow]


@pytest.mark.parametrize("seed", range(8))
def test_forward_is_the_slow_stamping_loop(seed):
    s = settings(seed + 100)
    x, w, _ = arrays(s, seed)
    expected = slow_reference(x, w, s["stride"], s["padding"], s["output_padding"], s["dilation"])
    np.testing.assert_allclose(conv_transpose2d(x, w, **options(s)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_gradients_by_finite_differences(seed):
    s = settings(seed + 200)
    x, w, b = (a.astype(np.float64) for a in arrays(s, seed))
    gy = np.random.default_rng(seed).standard_normal(conv_transpose2d(x, w, b, **options(s)).shape)  # like y
    loss = lambda x_, w_: float(np.sum(conv_transpose2d(x_, w_, b, **options(s)).astype(np.float64) * gy))  # noqa: E731
    gx, gw, _ = conv_transpose2d_backward(gy, x, w, **options(s))
    eps = 1e-2
    for grad, which in ((gx, "x"), (gw, "w")):
        rng = np.random.default_rng(seed)
        for _ in range(5):
            arr = x if which == "x" else w
            idx = tuple(int(rng.integers(0, d)) for d in arr.shape)
            up, down = arr.copy(), arr.copy()
            up[idx] += eps
            down[idx] -= eps
            args = (up, w) if which == "x" else (x, up)
            back = (down, w) if which == "x" else (x, down)
            numeric = (loss(*args) - loss(*back)) / (2 * eps)
            assert grad[idx] == pytest.approx(numeric, rel=1e-2, abs=1e-2), (which, idx)


@pytest.mark.parametrize(
    "n, k, s, p, op, d",
    [
        (4, 3, 2, 1, 0, 1),
        (4, 3, 2, 1, 1, 1),
        (3, 4, 2, 1, 0, 1),
        (5, 2, 1, 0, 0, 1),
        (2, 3, 3, 0, 2, 1),
        (3, 3, 1, 0, 1, 2),
    ],
)
def test_the_output_size_formula(n, k, s, p, op, d):
    ax = transpose_axis(n, k, s, p, op, d)
    y = F.conv_transpose2d(
        torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, output_padding=op, dilation=d
    )
    assert ax.size == y.shape[-1] == (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    assert ax.formula().endswith(f"= {ax.size}")


@pytest.mark.parametrize("n, k, s, p", [(4, 3, 2, 1), (3, 4, 2, 1), (5, 3, 3, 0), (6, 5, 2, 2)])
def test_output_padding_picks_which_size_the_convolution_shrank(n, k, s, p):
    """A convolution at stride s takes s sizes to the same n; output_padding 0 … s − 1 gives each back."""
    shrinks_here = [m for m in range(1, 64) if shapes.axis(m, k, s, p).size == n]
    assert transpose_axis(n, k, s, p).inputs_that_shrink_here() == shrinks_here
    assert len(shrinks_here) == s
    for op, m in enumerate(shrinks_here):
        assert transpose_axis(n, k, s, p, op).size == m


def test_the_stamps_add_up_to_the_output():
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, (1, 2, 3, 4)).astype(np.float32)  # (1, C_in, H, W)
    w = rng.integers(-2, 3, (2, 1, 3, 3)).astype(np.float32)  # (C_in, C_out, KH, KW)
    setting = {"stride": 2, "padding": 1, "output_padding": 1, "dilation": 1}
    t = stamps(x, w, **setting)
    assert [tuple(c) for c in t.cells] == [(i, j) for i in range(3) for j in range(4)]
    np.testing.assert_array_equal(t.origin, t.cells * 2)
    # Each stamp is its cell's values times the kernel, summed over input channels.
    np.testing.assert_allclose(t.stamps[5], np.einsum("c,cokl->okl", x[0, :, 1, 1], w), rtol=1e-6)
    (top, left), (h_out, w_out) = t.crop, t.size
    last = t.running[-1][:, top : top + h_out, left : left + w_out]  # (C_out, H_out, W_out)
    np.testing.assert_allclose(last, conv_transpose2d(x, w, **setting)[0], rtol=1e-6, atol=1e-6)
    # The canvas only grows by each stamp: the step before a stamp plus it is the step after.
    before = t.running[3].copy()
    before[:, t.origin[4][0] : t.origin[4][0] + 3, t.origin[4][1] : t.origin[4][1] + 3] += t.stamps[4]
    np.testing.assert_allclose(t.running[4], before, rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"output_padding": 2, "stride": 2}, "output_padding"),
        ({"padding": 5}, "padding"),
        ({"stride": 0}, "stride"),
        ({"dilation": (1, 0)}, "dilation"),
    ],
)
def test_bad_settings_are_named(kwargs, argument):
    x = np.zeros((1, 1, 3, 3), np.float32)  # (1, 1, 3, 3)
    w = np.zeros((1, 1, 3, 3), np.float32)  # (1, 1, 3, 3)
    with pytest.raises(ArgumentError) as error:
        conv_transpose2d(x, w, **kwargs)
    assert error.value.argument == argument and argument in str(error.value)


def test_the_layout_is_c_in_first():
    x = np.zeros((1, 3, 4, 4), np.float32)  # (N, C_in, H, W)
    with pytest.raises(ArgumentError, match=r"\(C_in, C_out, KH, KW\)") as error:
        conv_transpose2d(x, np.zeros((2, 3, 3, 3), np.float32))  # (C_out, C_in, …): a convolution's layout
    assert error.value.argument == "w"
    assert conv_transpose2d(x, np.zeros((3, 2, 3, 3), np.float32)).shape == (1, 2, 6, 6)
