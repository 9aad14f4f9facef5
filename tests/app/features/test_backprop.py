"""backward.run and backward.trace through the real server: PyTorch's gradients, the engine's traces, every refusal."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.conv import conv2d_backward
from engine.trace_grad import conv2d_input_grad_trace, conv2d_weight_grad_trace

from ..conftest import assert_explained, grid_params

# Seed 002's backprop example: dL/dW is the input X correlated with dL/dY.
X = np.array([[[2, 3, 5], [7, 11, 13], [17, 19, 23]]], np.float32)  # (1, 3, 3)
K = np.array([[[[1, -1], [0.5, 2]]]], np.float32)  # (1, 1, 2, 2)
DH = np.array([[[29, 31], [37, 41]]], np.float32)  # (1, 2, 2) dL/dY


def backward_params(x, w, gy, **settings) -> dict:
    return dict(grid_params(x, w, **settings), upstream={"values": gy.ravel().tolist()})


def torch_grads(x, w, gy, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    """(dL/dx (C, H, W), dL/dw, dL/db) from PyTorch for one image and symmetric zero padding."""
    xt = torch.tensor(x[None], requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w.shape[0], requires_grad=True)
    y = torch.nn.functional.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)
    y.backward(torch.tensor(gy[None]))
    return xt.grad[0].numpy(), wt.grad.numpy(), bt.grad.numpy()


def test_seed002_weight_gradient_is_x_correlated_with_the_upstream(page):
    answer = page.ask("backward.run", backward_params(X, K, DH))
    assert answer.type == "backward.result" and answer.meta == {"output_shape": [1, 2, 2]}
    by_hand = [[(X[0, i : i + 2, j : j + 2] * DH[0]).sum() for j in range(2)] for i in range(2)]  # X ⋆ dL/dY
    np.testing.assert_array_equal(answer.arrays["grad_weights"][0, 0], by_hand)
    assert by_hand[0][0] == 2 * 29 + 3 * 31 + 7 * 37 + 11 * 41
    gx, gw, gb = torch_grads(X, K, DH)
    np.testing.assert_allclose(answer.arrays["grad_weights"], gw, rtol=1e-6)
    np.testing.assert_allclose(answer.arrays["grad_input"], gx, rtol=1e-6)
    np.testing.assert_array_equal(answer.arrays["grad_bias"], gb)
    assert answer.arrays["grad_bias"][0] == 29 + 31 + 37 + 41


SETTINGS = [
    dict(C=1, F=1, H=6, W=6, K=(3, 3), stride=[1, 1], padding=[0, 0, 0, 0], dilation=[1, 1]),
    dict(C=3, F=2, H=9, W=8, K=(3, 2), stride=[2, 1], padding=[1, 1, 2, 2], dilation=[1, 2]),
    dict(C=2, F=4, H=11, W=10, K=(5, 5), stride=[3, 2], padding=[2, 2, 2, 2], dilation=[1, 1]),
]


@pytest.mark.parametrize("s", SETTINGS, ids=[f"setting{i}" for i in range(len(SETTINGS))])
def test_backward_run_equals_torch_and_the_engine(page, s):
    rng = np.random.default_rng(s["H"])
    x = rng.uniform(-1, 1, (s["C"], s["H"], s["W"])).astype(np.float32)  # (C, H, W)
    w = rng.standard_normal((s["F"], s["C"], *s["K"])).astype(np.float32)  # (F, C, KH, KW)
    settings = {k: s[k] for k in ("stride", "padding", "dilation")}
    engine_args = {k: tuple(v) for k, v in settings.items()}
    oh = (s["H"] + 2 * s["padding"][0] - s["dilation"][0] * (s["K"][0] - 1) - 1) // s["stride"][0] + 1
    ow = (s["W"] + 2 * s["padding"][2] - s["dilation"][1] * (s["K"][1] - 1) - 1) // s["stride"][1] + 1
    gy = rng.standard_normal((s["F"], oh, ow)).astype(np.float32)  # (F, OH, OW)
    answer = page.ask("backward.run", backward_params(x, w, gy, **settings))
    gx, gw, gb = conv2d_backward(gy[None], x[None], w, **engine_args)
    np.testing.assert_array_equal(answer.arrays["grad_input"], gx[0])
    np.testing.assert_array_equal(answer.arrays["grad_weights"], gw)
    np.testing.assert_array_equal(answer.arrays["grad_bias"], gb)
    tx, tw, tb = torch_grads(x, w, gy, tuple(s["stride"]), (s["padding"][0], s["padding"][2]), tuple(s["dilation"]))
    for mine, theirs in ((gx[0], tx), (gw, tw), (gb, tb)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)


def setting_for_traces(pad_mode="zeros", flip=False):
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (2, 6, 5)).astype(np.float32)  # (2, 6, 5)
    w = rng.standard_normal((3, 2, 3, 2)).astype(np.float32)  # (3, 2, 3, 2)
    settings = dict(stride=[2, 1], padding=[1, 1, 1, 0], dilation=[1, 1], pad_mode=pad_mode, flip=flip)
    gy = rng.standard_normal((3, 3, 5)).astype(np.float32)  # (3, OH, OW): (6 + 2 − 3)/2 + 1 = 3, (5 + 1 − 2)/1 + 1 = 5
    engine_args = dict(settings, stride=(2, 1), padding=(1, 1, 1, 0), dilation=(1, 1))
    return x, w, gy, settings, engine_args


@pytest.mark.parametrize("start, count, flip", [(0, 1, False), (4, 20, True), (30, 4096, False), (35, 1, True)])
def test_weight_trace_pages_equal_the_engine_trace(page, start, count, flip):
    x, w, gy, settings, engine_args = setting_for_traces("reflect", flip)
    answer = page.ask(
        "backward.trace", dict(backward_params(x, w, gy, **settings), which="weights", start=start, count=count)
    )
    full = conv2d_weight_grad_trace(gy[None], x[None], w, **engine_args).arrays()  # every weight's steps
    stop = min(w.size, start + count)
    assert answer.type == "backward.trace"
    assert answer.meta == {
        "which": "weights",
        "start": start,
        "count": stop - start,
        "steps_total": w.size,
        "output_shape": [3, 3, 5],
    }
    for name in (
        "weight_index",
        "tap",
        "rows",
        "cols",
        "window",
        "is_pad",
        "grad",
        "products",
        "running_sum",
        "result",
    ):
        np.testing.assert_array_equal(answer.arrays[name], full[name][start:stop], err_msg=name)
    gw = conv2d_backward(gy[None], x[None], w, **engine_args)[1].ravel()  # (F*C*KH*KW,)
    np.testing.assert_allclose(answer.arrays["result"], gw[start:stop], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("pad_mode", ["zeros", "replicate"])
@pytest.mark.parametrize("start, count", [(0, 1), (7, 30), (25, 4096), (59, 1)])
def test_input_trace_pages_rebase_offsets_to_the_page(page, start, count, pad_mode):
    x, w, gy, settings, engine_args = setting_for_traces(pad_mode)
    answer = page.ask(
        "backward.trace", dict(backward_params(x, w, gy, **settings), which="input", start=start, count=count)
    )
    full = conv2d_input_grad_trace(gy[None], x[None], w, **engine_args).arrays()
    stop = min(x.size, start + count)
    assert answer.meta == {
        "which": "input",
        "start": start,
        "count": stop - start,
        "steps_total": x.size,
        "output_shape": [3, 3, 5],
    }
    a, b = full["offsets"][start], full["offsets"][stop]
    np.testing.assert_array_equal(answer.arrays["offsets"], full["offsets"][start : stop + 1] - a)
    np.testing.assert_array_equal(answer.arrays["in_index"], full["in_index"][start:stop])
    np.testing.assert_array_equal(answer.arrays["result"], full["result"][start:stop])
    for name in ("f", "oh", "ow", "kh", "kw", "via", "grad", "weight", "product", "running_sum"):
        np.testing.assert_array_equal(answer.arrays[name], full[name][a:b], err_msg=name)
    gx = conv2d_backward(gy[None], x[None], w, **engine_args)[0].ravel()  # (C*H*W,)
    np.testing.assert_allclose(answer.arrays["result"], gx[start:stop], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- refusals


def bwd(**change) -> dict:
    """Valid backward.run params (seed 002's 3×3 input, a 2×2 kernel, a 2×2 dL/dY) with some keys changed."""
    return {**backward_params(X, K, DH), **change}


BIG = np.zeros((1, 256, 256), np.float32)  # (1, 256, 256)

BAD = [
    (
        "backward.run",
        bwd(upstream={"values": [1, 2, 3]}),
        "invalid",
        "upstream.values",
        "upstream.values must hold 4 numbers, one per output cell (filters × output height × output "
        "width = 1 × 2 × 2), got 3",
    ),
    ("backward.run", bwd(upstream={"values": [1] * 9}), "invalid", "upstream.values", "must hold 4 numbers"),
    ("backward.run", bwd(upstream=None), "invalid", "upstream", "upstream must be an object"),
    ("backward.run", bwd(upstream={"values": [1, 2, 3, float("inf")]}), "invalid", "upstream.values", "finite numbers"),
    ("backward.run", bwd(stride=[9, 1]), "invalid", "stride", "stride must be from 1 to 8, got 9 for the height"),
    (
        "backward.run",
        bwd(kernels={"filters": 1, "height": 4, "width": 1, "values": [1] * 4}),
        "does_not_fit",
        "kernels",
        "a 4×1 filter is larger than the 3×3 input",
    ),
    ("backward.trace", bwd(which="bias"), "invalid", "which", "which must be 'weights' or 'input', got \"bias\""),
    ("backward.trace", bwd(count=4097), "invalid", "count", "count must be from 1 to 4096, got 4097"),
    ("backward.trace", bwd(count=0), "invalid", "count", "count must be from 1 to 4096, got 0"),
    ("backward.trace", bwd(start=4), "invalid", "start", "start must be from 0 to 3, got 4"),
    ("backward.trace", bwd(which="input", start=9), "invalid", "start", "start must be from 0 to 8, got 9"),
    (
        "backward.trace",
        dict(
            backward_params(BIG, np.ones((4, 1, 3, 3), np.float32), np.zeros((4, 254, 254), np.float32)),
            count=36,
            which="weights",
        ),
        "invalid",
        "count",
        "more than 1048576",
    ),
    (
        "backward.trace",
        dict(
            backward_params(BIG, np.ones((4, 1, 3, 3), np.float32), np.zeros((4, 254, 254), np.float32)), which="input"
        ),
        "invalid",
        "input",
        "more than 1048576",
    ),
]


@pytest.mark.parametrize(
    "type_name, params, code, field, message", BAD, ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_params_are_explained_and_the_socket_stays_open(page, type_name, params, code, field, message):
    assert_explained(page, type_name, params, code, field, message)
