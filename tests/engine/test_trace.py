"""Step traces against the ops they replay.

Every trace is compared with the kernels' own outputs (engine.conv, engine.pool)
step by step, with its windows against an independent np.pad reference, and
with its ordering and bookkeeping (running sums, CSR offsets) checked directly.
"""

from __future__ import annotations

import dataclasses
from itertools import product

import numpy as np
import pytest

from engine import conv, pool, trace, trace_grad
from engine.pad import pad_backward

NP_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}


def close(actual, expected):
    """Equal to float32 rounding, relative to the scale of the expected values."""
    expected = np.asarray(expected)
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale)


def nonzero(rng, shape):
    """Values in ±[0.5, 2]: never zero, so a zero in a window can only come from padding."""
    return (rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)).astype(np.float32)  # shape


# ------------------------------------------------------------------ convolution settings

# Hand-picked settings covering each feature at least once, then random ones.
EXPLICIT = [
    dict(N=1, C=1, F=1, H=5, W=5, K=(3, 3), stride=1, padding=0, dilation=1, pad_mode="zeros", flip=False, n=0),
    dict(
        N=2, C=2, F=3, H=7, W=6, K=(3, 3), stride=2, padding=(1, 0, 2, 1), dilation=1, pad_mode="zeros", flip=False, n=1
    ),
    dict(N=2, C=3, F=2, H=9, W=10, K=(3, 2), stride=1, padding=2, dilation=(2, 3), pad_mode="reflect", flip=True, n=1),
    dict(
        N=3,
        C=2,
        F=2,
        H=8,
        W=9,
        K=(2, 4),
        stride=(3, 2),
        padding=(0, 2, 1, 0),
        dilation=1,
        pad_mode="replicate",
        flip=True,
        n=2,
    ),
    dict(N=1, C=2, F=4, H=6, W=5, K=(1, 1), stride=2, padding=1, dilation=1, pad_mode="zeros", flip=True, n=0),
    dict(
        N=2, C=1, F=2, H=3, W=4, K=(4, 3), stride=1, padding=(1, 0, 0, 1), dilation=1, pad_mode="zeros", flip=True, n=1
    ),
]
N_CASES = 30


def conv_case(i: int) -> dict:
    if i < len(EXPLICIT):
        return dict(EXPLICIT[i])
    rng = np.random.default_rng(1000 + i)
    K = tuple(int(k) for k in rng.integers(1, 5, 2))
    dilation = tuple(int(d) for d in rng.integers(1, 3, 2))
    padding = tuple(int(p) for p in rng.integers(0, 3, 4))
    # At least 3 cells a side (reflect needs padding < size) and room for the dilated kernel.
    H = max(3, dilation[0] * (K[0] - 1) + 1 - padding[0] - padding[1]) + int(rng.integers(0, 5))
    W = max(3, dilation[1] * (K[1] - 1) + 1 - padding[2] - padding[3]) + int(rng.integers(0, 5))
    N = int(rng.integers(1, 4))
    return dict(
        N=N,
        C=int(rng.integers(1, 4)),
        F=int(rng.integers(1, 4)),
        H=H,
        W=W,
        K=K,
        stride=tuple(int(s) for s in rng.integers(1, 4, 2)),
        padding=padding,
        dilation=dilation,
        pad_mode=("zeros", "reflect", "replicate")[i % 3],
        flip=bool(i % 2),
        n=int(rng.integers(0, N)),
    )


def conv_arrays(case: dict, seed: int):
    rng = np.random.default_rng(seed)
    x = nonzero(rng, (case["N"], case["C"], case["H"], case["W"]))  # (N, C, H, W)
    w = rng.standard_normal((case["F"], case["C"], *case["K"])).astype(np.float32)  # (F, C, KH, KW)
    b = rng.standard_normal(case["F"]).astype(np.float32)  # (F,)
    return x, w, b


def spec_of(case: dict) -> dict:
    return {k: case[k] for k in ("stride", "padding", "dilation", "pad_mode", "flip")}


def pads_of(case: dict) -> tuple[int, int, int, int]:
    p = case["padding"]
    return (p,) * 4 if isinstance(p, int) else p


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def reference_padded(x: np.ndarray, case: dict) -> np.ndarray:
    top, bottom, left, right = pads_of(case)
    return np.pad(x[case["n"]], ((0, 0), (top, bottom), (left, right)), mode=NP_PAD[case["pad_mode"]])  # (C, Hp, Wp)


CASES = [conv_case(i) for i in range(N_CASES)]


def test_cases_cover_every_feature():
    assert any(max(pair(c["stride"])) > 1 for c in CASES)
    assert any(max(pair(c["dilation"])) > 1 for c in CASES)
    assert any(pads_of(c) == (1, 0, 2, 1) for c in CASES)
    assert any(c["flip"] for c in CASES) and any(not c["flip"] for c in CASES)
    assert any(c["C"] > 1 and c["F"] > 1 for c in CASES)
    assert any(c["N"] > 1 and c["n"] != 0 for c in CASES)
    assert {c["pad_mode"] for c in CASES} == {"zeros", "reflect", "replicate"}


# ------------------------------------------------------------------ convolution forward


@pytest.mark.parametrize("i", range(N_CASES))
def test_conv_trace_results_match_conv2d(i):
    case = CASES[i]
    x, w, b = conv_arrays(case, i)
    y = conv.conv2d(x, w, b, **spec_of(case))[case["n"]]  # (F, OH, OW)
    t = trace.conv2d_trace(x, w, b, **spec_of(case), n=case["n"])
    S = y.size
    assert t.output_shape == y.shape
    close(t.result, y.ravel())  # steps are row-major (f, oh, ow), so they line up with y.ravel()

    # The bookkeeping a student reads: products of the window and the weights actually used,
    # summed per channel, accumulated in order c, kh, kw, ending (plus bias) at the result.
    expected_w = w[:, :, ::-1, ::-1] if case["flip"] else w
    np.testing.assert_array_equal(t.weights, expected_w)
    f = t.out_index[:, 0]
    np.testing.assert_array_equal(t.products, t.window * t.weights[f])
    close(t.channel_sums, t.products.sum(axis=(2, 3)))
    flat = t.products.reshape(S, -1)
    close(t.running_sum, np.cumsum(flat.astype(np.float64), axis=1))
    close(t.running_sum[:, -1], t.channel_sums.sum(axis=1))
    np.testing.assert_array_equal(t.bias, b[f])
    np.testing.assert_array_equal(t.result, t.running_sum[:, -1] + t.bias)


@pytest.mark.parametrize("i", range(N_CASES))
def test_conv_trace_steps_are_row_major(i):
    case = CASES[i]
    x, w, b = conv_arrays(case, i)
    t = trace.conv2d_trace(x, w, b, **spec_of(case), n=case["n"])
    F, OH, OW = t.output_shape
    flat = (t.out_index[:, 0] * OH + t.out_index[:, 1]) * OW + t.out_index[:, 2]
    np.testing.assert_array_equal(flat, np.arange(F * OH * OW))
    assert t.out_index.min() >= 0 and (t.out_index < [F, OH, OW]).all()


@pytest.mark.parametrize("i", range(N_CASES))
def test_conv_trace_windows_and_padding(i):
    case = CASES[i]
    x, w, b = conv_arrays(case, i)
    t = trace.conv2d_trace(x, w, b, **spec_of(case), n=case["n"])
    (sh, sw), (dh, dw) = pair(case["stride"]), pair(case["dilation"])
    KH, KW = case["K"]
    top, _, left, _ = pads_of(case)
    H, W = case["H"], case["W"]
    xp = reference_padded(x, case)  # (C, Hp, Wp)
    np.testing.assert_array_equal(t.padded, xp)

    np.testing.assert_array_equal(t.origin, t.out_index[:, 1:] * [sh, sw])
    np.testing.assert_array_equal(t.rows, t.origin[:, :1] + np.arange(KH) * dh)
    np.testing.assert_array_equal(t.cols, t.origin[:, 1:] + np.arange(KW) * dw)
    for s in range(len(t.result)):
        np.testing.assert_array_equal(t.window[s], xp[:, t.rows[s]][:, :, t.cols[s]])

    # is_pad marks exactly the taps outside the input; inside, the window shows x itself.
    r = t.rows[:, :, None] - top  # (S, KH, 1) input row of each tap
    c = t.cols[:, None, :] - left  # (S, 1, KW)
    inside = (r >= 0) & (r < H) & (c >= 0) & (c < W)
    np.testing.assert_array_equal(t.is_pad, ~inside)
    s_idx, kh, kw = np.nonzero(inside)
    np.testing.assert_array_equal(t.window[s_idx, :, kh, kw], x[case["n"]][:, r[s_idx, kh, 0], c[s_idx, 0, kw]].T)
    if case["pad_mode"] == "zeros":
        # x is never zero, so zeros in the window are exactly the padding cells.
        np.testing.assert_array_equal(t.window == 0, np.broadcast_to(t.is_pad[:, None], t.window.shape))


def test_seed_example_true_convolution():
    """Seed 001: x ∗ k with the kernel flipped, first step 1×0 + 0.5×80 + 0.25×20 + 0×40 = 45."""
    x = np.array([[0, 80, 40], [20, 40, 0], [0, 0, 40]], np.float32)[None, None]  # (1, 1, 3, 3)
    k = np.array([[0, 0.25], [0.5, 1]], np.float32)[None, None]  # (1, 1, 2, 2)
    t = trace.conv2d_trace(x, k, flip=True)
    np.testing.assert_array_equal(t.result.reshape(2, 2), [[45, 110], [40, 40]])
    np.testing.assert_array_equal(t.weights[0, 0], [[1, 0.5], [0.25, 0]])
    np.testing.assert_array_equal(t.window[0, 0], [[0, 80], [20, 40]])
    assert sorted(t.products[0].ravel().tolist()) == sorted([0, 40, 5, 0])
    np.testing.assert_array_equal(t.running_sum[0], np.cumsum(t.products[0].ravel()))
    assert t.running_sum[0, -1] == 45
    assert not t.is_pad.any()


@pytest.mark.parametrize("i", range(0, N_CASES, 3))
def test_conv_trace_step_range_is_a_slice_of_the_full_trace(i):
    """start/count build only the steps asked for, and each is the very step of the full trace."""
    case = CASES[i]
    x, w, b = conv_arrays(case, i)
    full = trace.conv2d_trace(x, w, b, **spec_of(case), n=case["n"])
    total = len(full.result)
    for start, count in [(0, 1), (total // 2, 3), (total - 1, 1), (max(0, total - 2), 50), (1 % total, None)]:
        part = trace.conv2d_trace(x, w, b, **spec_of(case), n=case["n"], start=start, count=count)
        stop = total if count is None else min(total, start + count)
        assert part.output_shape == full.output_shape
        np.testing.assert_array_equal(part.padded, full.padded)
        np.testing.assert_array_equal(part.weights, full.weights)
        for name, a in part.arrays().items():
            if name not in ("padded", "weights"):
                assert len(a) == stop - start, name
                np.testing.assert_array_equal(a, full.arrays()[name][start:stop], err_msg=name)


@pytest.mark.parametrize("seed", range(12))
def test_conv1d_trace_matches_conv1d(seed):
    rng = np.random.default_rng(seed)
    N, C, F, K = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
    stride, padding, dilation = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
    L = dilation * (K - 1) + 1 + int(rng.integers(0, 8))
    n, flip = int(rng.integers(0, N)), bool(seed % 2)
    x = nonzero(rng, (N, C, L))  # (N, C, L)
    w = rng.standard_normal((F, C, K)).astype(np.float32)  # (F, C, K)
    b = rng.standard_normal(F).astype(np.float32)  # (F,)
    y = conv.conv1d(x, w, b, stride, padding, dilation, flip)[n]  # (F, L_out)
    t = trace.conv1d_trace(x, w, b, stride, padding, dilation, flip, n=n)
    assert t.output_shape == y.shape
    close(t.result, y.ravel())
    np.testing.assert_array_equal(t.out_index, np.indices(y.shape).reshape(2, -1).T)
    np.testing.assert_array_equal(t.positions, (t.out_index[:, 1] * stride)[:, None] + np.arange(K) * dilation)
    xp = np.pad(x[n], ((0, 0), (padding, padding)))  # (C, Lp)
    np.testing.assert_array_equal(t.padded, xp)
    np.testing.assert_array_equal(t.window, xp[:, t.positions].transpose(1, 0, 2))
    np.testing.assert_array_equal(t.is_pad, (t.positions < padding) | (t.positions >= padding + L))
    np.testing.assert_array_equal(t.weights, w[:, :, ::-1] if flip else w)
    close(t.running_sum[:, -1] + t.bias, t.result)


# ------------------------------------------------------------------ pooling forward


def pool_case(seed: int):
    rng = np.random.default_rng(2000 + seed)
    kernel = tuple(int(k) for k in rng.integers(1, 4, 2))
    stride = None if seed % 3 == 0 else tuple(int(s) for s in rng.integers(1, 4, 2))
    N = int(rng.integers(1, 4))
    H, W = kernel[0] + int(rng.integers(0, 6)), kernel[1] + int(rng.integers(0, 6))
    # Few distinct values, so windows often hold ties and the tie rule is exercised.
    x = rng.integers(-2, 3, (N, int(rng.integers(1, 4)), H, W)).astype(np.float32)  # (N, C, H, W)
    return x, kernel, stride, int(rng.integers(0, N))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_max_pool_trace_matches_max_pool2d(seed):
    x, kernel, stride, n = pool_case(seed)
    y, arg = pool.max_pool2d(x, kernel, stride)  # (N, C, OH, OW) each
    t = trace.pool2d_trace(x, kernel, stride, "max", n=n)
    assert t.output_shape == y.shape[1:]
    np.testing.assert_array_equal(t.result, y[n].ravel())
    W = x.shape[3]
    np.testing.assert_array_equal(t.winner[:, 0] * W + t.winner[:, 1], arg[n].ravel())  # same tie rule
    np.testing.assert_array_equal(t.out_index, np.indices(y.shape[1:]).reshape(3, -1).T)
    c = t.out_index[:, 0]
    np.testing.assert_array_equal(x[n][c, t.winner[:, 0], t.winner[:, 1]], t.result)
    np.testing.assert_array_equal(t.running, np.maximum.accumulate(t.window.reshape(len(c), -1), axis=1))
    np.testing.assert_array_equal(t.running[:, -1], t.result)
    for s in range(len(c)):
        np.testing.assert_array_equal(t.window[s], x[n, c[s]][t.rows[s]][:, t.cols[s]])


@pytest.mark.parametrize("seed", range(N_CASES))
def test_avg_pool_trace_matches_avg_pool2d(seed):
    x, kernel, stride, n = pool_case(seed)
    x = x + np.random.default_rng(seed).uniform(0, 1, x.shape).astype(np.float32)  # (N, C, H, W)
    y = pool.avg_pool2d(x, kernel, stride)[n]  # (C, OH, OW)
    t = trace.pool2d_trace(x, kernel, stride, "avg", n=n)
    close(t.result, y.ravel())
    close(t.running, np.cumsum(t.window.reshape(len(t.result), -1).astype(np.float64), axis=1))
    close(t.running[:, -1] / (kernel[0] * kernel[1]), t.result)
    assert (t.winner == -1).all()


def test_max_pool_winner_rule_matches_kernel_with_nan():
    """Inputs are checked finite, but the rule itself must be _max_fwd's: first max, last NaN."""
    rng = np.random.default_rng(7)
    flat = rng.integers(0, 3, (200, 6)).astype(np.float32)  # (S, K) many ties
    flat[rng.uniform(size=flat.shape) < 0.15] = np.nan
    x = flat.reshape(1, 200, 1, 6)  # (1, S, 1, K): one window per channel
    out = np.empty((1, 200, 1, 1), np.float32)
    arg = np.empty((1, 200, 1, 1), np.int64)
    pool._max_fwd(x, 1, 6, 1, 6, out, arg)
    np.testing.assert_array_equal(trace._winner(flat), arg.ravel())


# ------------------------------------------------------------------ convolution backward


def grad_arrays(case: dict, i: int):
    x, w, _ = conv_arrays(case, i)
    y = conv.conv2d(x, w, **spec_of(case))  # (N, F, OH, OW)
    gy = np.random.default_rng(500 + i).standard_normal(y.shape).astype(np.float32)  # (N, F, OH, OW)
    return gy, x, w


@pytest.mark.parametrize("i", range(N_CASES))
def test_weight_grad_trace_matches_backward(i):
    case = CASES[i]
    gy, x, w = grad_arrays(case, i)
    n = case["n"]
    gw = conv.conv2d_backward(gy[n : n + 1], x[n : n + 1], w, **spec_of(case))[1]  # (F, C, KH, KW)
    t = trace_grad.conv2d_weight_grad_trace(gy, x, w, **spec_of(case), n=n)
    assert t.weight_shape == w.shape
    close(t.result.reshape(w.shape), gw)
    np.testing.assert_array_equal(t.weight_index, np.indices(w.shape).reshape(4, -1).T)

    (sh, sw), (dh, dw) = pair(case["stride"]), pair(case["dilation"])
    KH, KW = case["K"]
    f, c, kh, kw = t.weight_index.T
    expected_tap = np.stack([KH - 1 - kh, KW - 1 - kw] if case["flip"] else [kh, kw], axis=1)
    np.testing.assert_array_equal(t.tap, expected_tap)
    OH, OW = gy.shape[2:]
    np.testing.assert_array_equal(t.rows, t.tap[:, :1] * dh + np.arange(OH) * sh)
    np.testing.assert_array_equal(t.cols, t.tap[:, 1:] * dw + np.arange(OW) * sw)
    xp = reference_padded(x, case)  # (C, Hp, Wp)
    for s in range(len(t.result)):
        np.testing.assert_array_equal(t.window[s], xp[c[s]][t.rows[s]][:, t.cols[s]])
    np.testing.assert_array_equal(t.grad, gy[n][f])
    np.testing.assert_array_equal(t.products, t.window * t.grad)
    close(t.running_sum, np.cumsum(t.products.reshape(len(f), -1).astype(np.float64), axis=1))
    np.testing.assert_array_equal(t.running_sum[:, -1], t.result)
    top, _, left, _ = pads_of(case)
    r, q = t.rows[:, :, None] - top, t.cols[:, None, :] - left
    np.testing.assert_array_equal(t.is_pad, ~((r >= 0) & (r < case["H"]) & (q >= 0) & (q < case["W"])))


@pytest.mark.parametrize("flip", [False, True])
def test_weight_grad_trace_is_in_the_users_orientation(flip):
    """Step (f, c, kh, kw) is dL/dw for the w passed in: the loss is linear in w, so with
    w = 0 the loss of a one-hot kernel e_(f,c,kh,kw) is exactly that weight's gradient."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 2, 6, 5)).astype(np.float32)  # (N, C, H, W)
    w = rng.standard_normal((2, 2, 3, 2)).astype(np.float32)  # (F, C, KH, KW)
    settings = dict(stride=(1, 2), padding=(1, 0, 2, 1), dilation=(2, 1), pad_mode="zeros", flip=flip)
    gy = rng.standard_normal(conv.conv2d(x, w, **settings).shape).astype(np.float32)  # (N, F, OH, OW)
    t = trace_grad.conv2d_weight_grad_trace(gy, x, w, **settings, n=1)
    for s, index in enumerate(t.weight_index):
        one_hot = np.zeros_like(w)  # (F, C, KH, KW)
        one_hot[tuple(index)] = 1
        loss = float((gy[1:] * conv.conv2d(x[1:], one_hot, **settings)).sum(dtype=np.float64))
        close(t.result[s], loss)


def contributions_by_brute_force(gy_n, w_used, case, C, H, W):
    """For each input cell, its (f, oh, ow, kh, kw) in the trace's order, from plain loops."""
    (sh, sw), (dh, dw) = pair(case["stride"]), pair(case["dilation"])
    top, bottom, left, right = pads_of(case)
    extra = {"constant_values": -1} if case["pad_mode"] == "zeros" else {}  # -1: a zero cell, no input behind it
    rows = np.pad(np.arange(H), (top, bottom), mode=NP_PAD[case["pad_mode"]], **extra)  # (Hp,)
    cols = np.pad(np.arange(W), (left, right), mode=NP_PAD[case["pad_mode"]], **extra)  # (Wp,)
    F, _, KH, KW = w_used.shape
    _, OH, OW = gy_n.shape
    cells = {(h, q): [] for h in range(H) for q in range(W)}
    for f, oh, ow, kh, kw in product(range(F), range(OH), range(OW), range(KH), range(KW)):
        h, q = rows[oh * sh + kh * dh], cols[ow * sw + kw * dw]
        if h >= 0 and q >= 0:
            cells[(h, q)].append((f, oh, ow, kh, kw))
    return {(c, h, q): cells[(h, q)] for c in range(C) for h in range(H) for q in range(W)}


@pytest.mark.parametrize("i", range(N_CASES))
def test_input_grad_trace_matches_backward(i):
    case = CASES[i]
    gy, x, w = grad_arrays(case, i)
    n = case["n"]
    gx = conv.conv2d_backward(gy, x, w, **spec_of(case))[0][n]  # (C, H, W)
    t = trace_grad.conv2d_input_grad_trace(gy, x, w, **spec_of(case), n=n)
    C, H, W = gx.shape
    S = gx.size
    assert t.input_shape == gx.shape
    close(t.result, gx.ravel())
    np.testing.assert_array_equal(t.in_index, np.indices(gx.shape).reshape(3, -1).T)

    # CSR layout: offsets start at 0, never decrease, and cover every contribution.
    T = len(t.product)
    assert t.offsets.shape == (S + 1,) and t.offsets[0] == 0 and t.offsets[-1] == T
    assert (np.diff(t.offsets) >= 0).all()
    for name in ("f", "oh", "ow", "kh", "kw", "grad", "weight", "running_sum"):
        assert getattr(t, name).shape == (T,), name
    assert t.via.shape == (T, 2)

    # Each step lists exactly the contributions plain loops find, in the same order.
    w_used = w[:, :, ::-1, ::-1] if case["flip"] else w
    expected = contributions_by_brute_force(gy[n], w_used, case, C, H, W)
    listed = np.stack([t.f, t.oh, t.ow, t.kh, t.kw], axis=1)  # (T, 5)
    for s, (c, h, q) in enumerate(t.in_index):
        got = [tuple(v) for v in listed[t.offsets[s] : t.offsets[s + 1]].tolist()]
        assert got == expected[(c, h, q)], (c, h, q)

    # Values: the upstream gradient and the weight actually multiplied, their product, and a
    # running sum that restarts at each step and ends at the step's result.
    (sh, sw), (dh, dw) = pair(case["stride"]), pair(case["dilation"])
    c_of = np.repeat(t.in_index[:, 0], np.diff(t.offsets))  # (T,)
    np.testing.assert_array_equal(t.grad, gy[n][t.f, t.oh, t.ow])
    np.testing.assert_array_equal(t.weight, w_used[t.f, c_of, t.kh, t.kw])
    np.testing.assert_array_equal(t.product, t.grad * t.weight)
    np.testing.assert_array_equal(t.via, np.stack([t.oh * sh + t.kh * dh, t.ow * sw + t.kw * dw], axis=1))
    for s in range(S):
        lo, hi = t.offsets[s], t.offsets[s + 1]
        close(t.running_sum[lo:hi], np.cumsum(t.product[lo:hi].astype(np.float64)))
        assert t.result[s] == (t.running_sum[hi - 1] if hi > lo else 0)

    # The lecture view: correlate the spread-out, padded dL/dy with the turned kernel.
    np.testing.assert_array_equal(t.flipped_kernel, w_used[:, :, ::-1, ::-1])
    KH, KW = case["K"]
    reach_h, reach_w = (KH - 1) * dh, (KW - 1) * dw
    OH, OW = gy.shape[2:]
    inner = t.padded_grad[:, reach_h : reach_h + (OH - 1) * sh + 1 : sh, reach_w : reach_w + (OW - 1) * sw + 1 : sw]
    np.testing.assert_array_equal(inner, gy[n])
    assert np.count_nonzero(t.padded_grad) == np.count_nonzero(gy[n])
    by_conv = conv.conv2d(t.padded_grad[None], t.flipped_kernel.transpose(1, 0, 2, 3), dilation=(dh, dw))[
        0
    ]  # (C, Hp, Wp)
    close(t.padded_input_grad, by_conv)
    folded = pad_backward(t.padded_input_grad[None], (1, C, H, W), pads_of(case), case["pad_mode"])[0]  # (C, H, W)
    close(folded, gx)


def test_input_grad_trace_full_convolution_stride_one():
    """The lecture picture at stride 1: dL/dy padded by k - 1 on every side, no zeros between."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, 5, 5)).astype(np.float32)  # (1, 1, 5, 5)
    w = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)  # (1, 1, 3, 3)
    gy = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)  # (1, 1, 3, 3)
    t = trace_grad.conv2d_input_grad_trace(gy, x, w)
    np.testing.assert_array_equal(t.padded_grad[0], np.pad(gy[0, 0], 2))
    np.testing.assert_array_equal(t.flipped_kernel[0, 0], w[0, 0, ::-1, ::-1])
    close(t.result.reshape(5, 5), conv.conv2d_backward(gy, x, w)[0][0, 0])


def test_input_grad_trace_cells_no_tap_reads():
    """A 1×1 kernel at stride 5 over a 1×1 input padded by 2 reads only padding: no contributions."""
    x = np.ones((1, 1, 1, 1), np.float32)  # (1, 1, 1, 1)
    w = np.ones((2, 1, 1, 1), np.float32)  # (2, 1, 1, 1)
    gy = np.ones((1, 2, 1, 1), np.float32)  # (1, 2, 1, 1)
    t = trace_grad.conv2d_input_grad_trace(gy, x, w, stride=5, padding=2)
    np.testing.assert_array_equal(t.offsets, [0, 0])
    assert t.product.shape == (0,) and t.via.shape == (0, 2)
    np.testing.assert_array_equal(t.result, [0])
    np.testing.assert_array_equal(conv.conv2d_backward(gy, x, w, stride=5, padding=2)[0].ravel(), [0])


# ------------------------------------------------------------------ pooling backward


@pytest.mark.parametrize("seed", range(N_CASES))
def test_max_pool_grad_trace_matches_backward(seed):
    x, kernel, stride, n = pool_case(seed)
    if seed % 2:
        stride = (1, 1)  # overlapping windows: one cell can win several times
    y, _ = pool.max_pool2d(x, kernel, stride)
    gy = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)  # (N, C, OH, OW)
    gx = pool.max_pool2d_backward(gy, x, kernel, stride)[n]  # (C, H, W)
    t = trace_grad.max_pool_grad_trace(gy, x, kernel, stride, n=n)
    close(t.result, gx)
    forward = trace.pool2d_trace(x, kernel, stride, "max", n=n)
    np.testing.assert_array_equal(t.out_index, forward.out_index)
    np.testing.assert_array_equal(t.winner, forward.winner)
    np.testing.assert_array_equal(t.grad, gy[n].ravel())
    # accumulated: the winner's total after this step, summed step by step in order.
    totals: dict = {}
    for s, (c, (h, q)) in enumerate(zip(t.out_index[:, 0], t.winner)):
        key = (c, h, q)
        totals[key] = totals.get(key, 0.0) + float(t.grad[s])
        close(t.accumulated[s], totals[key])
    for (c, h, q), total in totals.items():
        close(t.result[c, h, q], total)


@pytest.mark.parametrize("seed", range(N_CASES))
def test_avg_pool_grad_trace_matches_backward(seed):
    x, kernel, stride, n = pool_case(seed)
    y = pool.avg_pool2d(x, kernel, stride)
    gy = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)  # (N, C, OH, OW)
    gx = pool.avg_pool2d_backward(gy, x, kernel, stride)[n]  # (C, H, W)
    t = trace_grad.avg_pool_grad_trace(gy, x, kernel, stride, n=n)
    close(t.result, gx)
    np.testing.assert_array_equal(t.grad, gy[n].ravel())
    close(t.share, t.grad / (kernel[0] * kernel[1]))
    np.testing.assert_array_equal(t.out_index, np.indices(y.shape[1:]).reshape(3, -1).T)
    s = pair(kernel) if stride is None else stride
    np.testing.assert_array_equal(t.origin, t.out_index[:, 1:] * s)


# ------------------------------------------------------------------ the trace objects


def all_traces():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)  # (N, C, H, W)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)  # (F, C, KH, KW)
    gy = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)  # (N, F, OH, OW)
    gp = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)  # (N, C, 3, 3)
    return (
        x,
        w,
        [
            trace.conv2d_trace(x, w, padding=1, n=1),
            trace.conv1d_trace(x[:, :, 0], w[:, :, 0], padding=1),
            trace.pool2d_trace(x, 2, mode="max"),
            trace.pool2d_trace(x, 2, mode="avg"),
            trace_grad.conv2d_weight_grad_trace(gy, x, w, padding=1),
            trace_grad.conv2d_input_grad_trace(gy, x, w, padding=1),
            trace_grad.max_pool_grad_trace(gp, x, 2),
            trace_grad.avg_pool_grad_trace(gp, x, 2),
        ],
    )


def test_traces_are_frozen_wire_ready_arrays():
    x, w, traces = all_traces()
    for t in traces:
        arrays = t.arrays()
        assert set(arrays) == {f.name for f in dataclasses.fields(t) if isinstance(getattr(t, f.name), np.ndarray)}
        for name, a in arrays.items():
            assert a.dtype in (np.float32, np.int32, np.bool_), (type(t).__name__, name, a.dtype)
            assert a.flags.c_contiguous and not a.flags.writeable, (type(t).__name__, name)
        with pytest.raises(dataclasses.FrozenInstanceError):
            t.result = None
    # Freezing a trace never freezes the caller's arrays, and later edits do not leak in.
    assert x.flags.writeable and w.flags.writeable
    t = trace.conv2d_trace(x, w)
    before = t.padded.copy(), t.weights.copy()
    x[:] = 0
    w[:] = 0
    np.testing.assert_array_equal(t.padded, before[0])
    np.testing.assert_array_equal(t.weights, before[1])


# ------------------------------------------------------------------ bad arguments

X = np.ones((2, 2, 5, 5), np.float32)
Wt = np.ones((3, 2, 3, 3), np.float32)
GY = np.ones((2, 3, 3, 3), np.float32)
GP = np.ones((2, 2, 2, 2), np.float32)

BAD = [
    (lambda: trace.conv2d_trace(X, Wt, stride=0), r"stride\[0\] \(height\) must be at least 1"),
    (lambda: trace.conv2d_trace(X, Wt, padding=(1, 0, -1, 0)), r"padding left must be at least 0"),
    (lambda: trace.conv2d_trace(X, Wt, dilation=(1, 0)), r"dilation\[1\] \(width\) must be at least 1"),
    (lambda: trace.conv2d_trace(X, Wt, pad_mode="circular"), r"pad_mode must be one of"),
    (lambda: trace.conv2d_trace(X, Wt, pad_mode="reflect", padding=5), r"padding must be smaller than the input size"),
    (lambda: trace.conv2d_trace(X, Wt, n=2), r"^n \(the sample of the batch to trace\) must be from 0 to 1, got 2"),
    (lambda: trace.conv2d_trace(X, Wt, n=-1), r"^n .* must be from 0 to 1"),
    (lambda: trace.conv2d_trace(X, Wt, n=0.5), r"^n .* must be a whole number"),
    (lambda: trace.conv2d_trace(X, Wt[:, :1]), r"^w must have as many channels as x"),
    (lambda: trace.conv2d_trace(X, Wt, start=27), r"^start must be from 0 to 26, got 27"),
    (lambda: trace.conv2d_trace(X, Wt, start=-1), r"^start must be from 0 to 26, got -1"),
    (lambda: trace.conv2d_trace(X, Wt, count=0), r"^count must be at least 1, got 0"),
    (lambda: trace.conv2d_trace(X, Wt, b=np.ones(2)), r"^b must have one value per filter"),
    (lambda: trace.conv2d_trace(X, np.ones((1, 2, 6, 6))), r"kernel size must fit the padded input"),
    (lambda: trace.conv2d_trace(X[0], Wt), r"^x must have 4 axes"),
    (lambda: trace.conv2d_trace(np.full_like(X, np.nan), Wt), r"^x must contain only finite numbers"),
    (lambda: trace.conv1d_trace(X[:, :, 0], Wt[:, :, 0], stride=0), r"^stride must be at least 1"),
    (lambda: trace.conv1d_trace(X[:, :, 0], Wt[:, :, 0], padding=-1), r"^padding must be at least 0"),
    (lambda: trace.conv1d_trace(X, Wt[:, :, 0]), r"^x must have 3 axes"),
    (lambda: trace.conv1d_trace(X[:, :, 0], Wt[:, :, 0], n=3), r"^n .* must be from 0 to 1"),
    (lambda: trace.pool2d_trace(X, mode="median"), r"^mode must be one of 'max', 'avg'"),
    (lambda: trace.pool2d_trace(X, kernel=0), r"kernel\[0\] \(height\) must be at least 1"),
    (lambda: trace.pool2d_trace(X, kernel=2, stride=(1, 0)), r"stride\[1\] \(width\) must be at least 1"),
    (lambda: trace.pool2d_trace(X, kernel=6), r"kernel must fit the input"),
    (lambda: trace.pool2d_trace(X, n=7), r"^n .* must be from 0 to 1, got 7"),
    (lambda: trace_grad.conv2d_weight_grad_trace(GY[:, :2], X, Wt), r"^gy must have the shape of the output"),
    (lambda: trace_grad.conv2d_weight_grad_trace(GY, X, Wt, stride=-1), r"stride\[0\] \(height\) must be at least 1"),
    (lambda: trace_grad.conv2d_weight_grad_trace(GY, X, Wt, n=9), r"^n .* must be from 0 to 1"),
    (lambda: trace_grad.conv2d_input_grad_trace(GY[0], X, Wt), r"^gy must have 4 axes"),
    (lambda: trace_grad.conv2d_input_grad_trace(GY, X, Wt, padding=1), r"^gy must have the shape of the output"),
    (lambda: trace_grad.conv2d_input_grad_trace(GY, X, Wt, pad_mode="mirror"), r"pad_mode must be one of"),
    (lambda: trace_grad.max_pool_grad_trace(GP[:, :, :1], X, 2), r"^gy must have the shape of the pooled output"),
    (lambda: trace_grad.max_pool_grad_trace(GP, X, 2, n=2), r"^n .* must be from 0 to 1"),
    (lambda: trace_grad.avg_pool_grad_trace(GP, X, 2, stride=0), r"stride\[0\] \(height\) must be at least 1"),
    (lambda: trace_grad.avg_pool_grad_trace(GP, X[:, :, :1], 2), r"kernel must fit the input"),
]


@pytest.mark.parametrize("call, message", BAD, ids=[m for _, m in BAD])
def test_bad_arguments_raise_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
