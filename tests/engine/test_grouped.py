"""engine.grouped against PyTorch: grouped convolution (groups 1, 2, 4, depthwise, depth multipliers,
stride, padding, dilation) forward and autograd gradients; the depthwise-separable pair against
torch's two convolutions, forward and gradients; the connection matrix against which input
channels torch's gradient reaches; parameter counts against torch modules' ``numel``, multiply-adds
against products counted by convolving ones; the ratio 1/C_out + 1/k²; refusals name the argument."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine.errors import ArgumentError
from engine.grouped import (
    MODES,
    connections,
    costs,
    depthwise_separable,
    depthwise_separable_backward,
    depthwise_separable_steps,
    grouped_conv2d,
    grouped_conv2d_backward,
)

# (C_in, C_out, groups): one group, two, four, depthwise (groups = C_in), depth multiplier 2 and 3.
CHANNELS = [(3, 5, 1), (4, 6, 2), (8, 8, 4), (4, 8, 4), (6, 6, 6), (3, 6, 3), (2, 6, 2), (8, 4, 2)]


def setting(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    c_in, c_out, groups = CHANNELS[seed % len(CHANNELS)]
    k = int(rng.integers(1, 4))
    dilation = int(rng.integers(1, 3))
    padding = int(rng.integers(0, 3))
    stride = int(rng.integers(1, 3))
    reach = dilation * (k - 1) + 1
    h, w = (int(rng.integers(max(1, reach - 2 * padding), 8)) for _ in range(2))
    return dict(n=int(rng.integers(1, 3)), c_in=c_in, c_out=c_out, groups=groups, k=k, h=h, w=w,
                stride=stride, padding=padding, dilation=dilation)  # fmt: skip


def tensors(s: dict, seed: int):
    rng = np.random.default_rng(seed + 500)
    x = rng.standard_normal((s["n"], s["c_in"], s["h"], s["w"])).astype(np.float32)  # (N, C_in, H, W)
    w = rng.standard_normal((s["c_out"], s["c_in"] // s["groups"], s["k"], s["k"])).astype(np.float32)
    b = rng.standard_normal(s["c_out"]).astype(np.float32)  # (C_out,)
    return x, w, b


def opts(s: dict) -> dict:
    return {key: s[key] for key in ("stride", "padding", "dilation", "groups")}


@pytest.mark.parametrize("seed", range(32))
def test_grouped_forward_and_gradients_are_torchs(seed):
    s = setting(seed)
    x, w, b = tensors(s, seed)
    y = grouped_conv2d(x, w, b, **opts(s))  # (N, C_out, H_out, W_out)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    yt = F.conv2d(xt, wt, bt, **opts(s))
    assert y.shape == tuple(yt.shape) and y.dtype == np.float32
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    gy = np.random.default_rng(seed + 900).standard_normal(y.shape).astype(np.float32)
    yt.backward(torch.tensor(gy))
    gx, gw, gb = grouped_conv2d_backward(gy, x, w, **opts(s))
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw, wt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gb, bt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_one_group_is_the_ordinary_convolution_and_depthwise_keeps_channels_apart():
    x, w, _ = tensors({"n": 1, "c_in": 3, "c_out": 3, "groups": 3, "k": 3, "h": 5, "w": 5}, 1)
    y = grouped_conv2d(x, w, groups=3)  # (1, 3, 3, 3)
    for c in range(3):  # channel c of the output is channel c of the input under filter c, alone
        alone = F.conv2d(torch.tensor(x[:, c : c + 1]), torch.tensor(w[c : c + 1]))
        np.testing.assert_allclose(y[:, c : c + 1], alone.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("seed", range(12))
def test_depthwise_separable_is_torchs_two_convolutions(seed):
    s = setting(seed)
    rng = np.random.default_rng(seed + 77)
    c_in, c_out = s["c_in"], s["c_out"]
    x = rng.standard_normal((s["n"], c_in, s["h"], s["w"])).astype(np.float32)  # (N, C_in, H, W)
    wd = rng.standard_normal((c_in, 1, s["k"], s["k"])).astype(np.float32)  # (C_in, 1, k, k)
    wp = rng.standard_normal((c_out, c_in, 1, 1)).astype(np.float32)  # (C_out, C_in, 1, 1)
    bd = rng.standard_normal(c_in).astype(np.float32)  # (C_in,)
    bp = rng.standard_normal(c_out).astype(np.float32)  # (C_out,)
    conv = {k: s[k] for k in ("stride", "padding", "dilation")}
    middle, y = depthwise_separable_steps(x, wd, wp, bd, bp, **conv)
    np.testing.assert_array_equal(y, depthwise_separable(x, wd, wp, bd, bp, **conv))
    ts = [torch.tensor(a, requires_grad=True) for a in (x, wd, wp, bd, bp)]
    mt = F.conv2d(ts[0], ts[1], ts[3], groups=c_in, **conv)
    yt = F.conv2d(mt, ts[2], ts[4])
    np.testing.assert_allclose(middle, mt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    yt.backward(torch.tensor(gy))
    grads = depthwise_separable_backward(gy, x, wd, wp, bd, **conv)
    for mine, theirs in zip(grads, ts):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("c_in, c_out, groups", CHANNELS)
def test_the_connection_matrix_is_where_torchs_gradient_reaches(c_in, c_out, groups):
    m = connections(c_in, c_out, groups)  # (C_out, C_in)
    x = torch.ones(1, c_in, 3, 3, requires_grad=True)
    w = torch.ones(c_out, c_in // groups, 3, 3)
    y = F.conv2d(x, w, groups=groups)
    for o in range(c_out):
        (g,) = torch.autograd.grad(y[0, o].sum(), x, retain_graph=True)
        reached = (g[0].abs().sum(dim=(1, 2)) > 0).float().numpy()  # (C_in,)
        np.testing.assert_array_equal(m[o], reached)
    assert m.sum() == c_out * c_in // groups  # each filter is C_in/groups deep


def _modules(c_in: int, c_out: int, k: int, groups: int, bias: bool) -> dict:
    depth = nn.Conv2d(c_in, c_in, k, groups=c_in, bias=bias)
    point = nn.Conv2d(c_in, c_out, 1, bias=bias)
    return {
        "ordinary": [nn.Conv2d(c_in, c_out, k, bias=bias)],
        "grouped": [nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)],
        "depthwise": [depth],
        "pointwise": [point],
        "separable": [depth, point],
    }


def _products(mods: list, c_in: int, k: int, h_out: int, w_out: int) -> int:
    """Multiply-adds counted independently: every product of a ones input and ones weights is 1, so the
    outputs' sum (no bias, no padding: the input is just large enough) is the number of products."""
    total, channels, size = 0, c_in, None
    for m in mods:
        kk = m.kernel_size[0]
        size = (h_out + kk - 1, w_out + kk - 1)
        ones = torch.ones(1, channels, *size, dtype=torch.float64)
        weight = torch.ones_like(m.weight, dtype=torch.float64)
        total += int(F.conv2d(ones, weight, groups=m.groups).sum().item())
        channels = m.out_channels
    return total


@pytest.mark.parametrize(
    "h_out, w_out, c_in, c_out, k, groups",
    [(56, 56, 256, 256, 3, 32), (112, 112, 32, 64, 3, 2), (19, 19, 728, 728, 3, 8), (6, 8, 4, 6, 5, 2)]
    + [(5, 5, 8, 8, 1, 4), (10, 12, 16, 24, 3, 4)],
)
def test_counts_are_torchs_numel_and_the_products_a_ones_convolution_makes(h_out, w_out, c_in, c_out, k, groups):
    for bias in (False, True):
        result = costs(h_out, w_out, c_in, c_out, k, groups, bias=bias)
        for mode, mods in _modules(c_in, c_out, k, groups, bias).items():
            cost = result.by_mode[mode]
            assert cost.params == sum(p.numel() for m in mods for p in m.parameters()), (mode, bias)
            assert cost.weights == sum(m.weight.numel() for m in mods), mode
    for mode, mods in _modules(c_in, c_out, k, groups, False).items():
        if h_out * w_out * c_in * c_out <= 64 * 64 * 64 * 64:  # small enough to convolve in the test
            assert result.by_mode[mode].madds == _products(mods, c_in, k, h_out, w_out), mode


def test_the_brief_example_and_the_ratio_one_over_c_out_plus_one_over_k_squared():
    c = costs(56, 56, 256, 256, 3, 32)
    assert c.by_mode["ordinary"].weights == 589_824 and c.by_mode["ordinary"].madds == 56 * 56 * 589_824
    assert c.by_mode["separable"].weights == 9 * 256 + 256 * 256
    assert c.ratio == Fraction(1, 256) + Fraction(1, 9)
    assert "8.694× fewer" in c.ratio_formula()
    assert set(c.by_mode) == set(MODES)
    for c_out, k in [(1, 1), (7, 5), (64, 3)]:
        r = costs(4, 4, 7, c_out, k)
        assert r.ratio == Fraction(r.by_mode["separable"].madds, r.by_mode["ordinary"].madds)
        assert r.ratio == Fraction(1, c_out) + Fraction(1, k * k)


def test_arguments_that_do_not_fit_are_refused_by_name():
    x = np.zeros((1, 4, 5, 5), np.float32)  # (1, 4, 5, 5)
    with pytest.raises(ArgumentError) as e:
        grouped_conv2d(x, np.zeros((6, 2, 3, 3), np.float32), groups=3)
    assert e.value.argument == "groups" and "divide" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        grouped_conv2d(x, np.zeros((6, 4, 3, 3), np.float32), groups=2)
    assert e.value.argument == "w" and "C_in/groups" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        grouped_conv2d(x, np.zeros((4, 4, 3, 3), np.float32), groups=0)
    assert e.value.argument == "groups"
    with pytest.raises(ArgumentError) as e:
        depthwise_separable(x, np.zeros((4, 2, 3, 3), np.float32), np.zeros((2, 4, 1, 1), np.float32))
    assert e.value.argument == "w_depthwise"
    with pytest.raises(ArgumentError) as e:
        depthwise_separable(x, np.zeros((4, 1, 3, 3), np.float32), np.zeros((2, 3, 1, 1), np.float32))
    assert e.value.argument == "w_pointwise"
    with pytest.raises(ArgumentError) as e:
        costs(4, 4, 6, 4, 3, groups=4)
    assert e.value.argument == "groups"
