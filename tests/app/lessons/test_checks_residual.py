"""The residual lesson's check functions (app/lessons/checks_residual.py) against PyTorch: a block's
output shape (torch modules run on zeros), the parameters of basic and bottleneck blocks (counted
from torch modules' parameters), ∂L/∂x of a block along each path (torch autograd with one path
cut), a chain's gradient norm (a torch chain); bad arguments raise ValueError naming them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.lessons import checks_residual as cr
from app.lessons.checks import all_checks, run_check
from engine.residual import make_chain


def test_the_checks_are_in_the_course_table():
    assert {"block_shape", "block_params", "residual_grad", "chain_grad_norm"} <= set(all_checks())


@pytest.mark.parametrize(
    "chw, c_out, stride", [([64, 56, 56], 128, 2), ([64, 56, 56], 64, 1), ([3, 7, 5], 8, 2), ([16, 9, 9], 32, 2)]
)
def test_block_shape_is_torchs(chw, c_out, stride):
    c, h, w = chw
    x = torch.zeros(1, c, h, w)
    main = nn.Sequential(nn.Conv2d(c, c_out, 3, stride, 1), nn.ReLU(), nn.Conv2d(c_out, c_out, 3, 1, 1))(x)
    side = nn.Conv2d(c, c_out, 1, stride)(x) if (stride, c_out) != (1, c) else x
    assert main.shape == side.shape  # they add
    answer, work = cr.block_shape(chw, c_out, stride)
    assert answer == f"{main.shape[2]} × {main.shape[3]} × {c_out}"
    assert ("projection" in work) == ((stride, c_out) != (1, c))


def torch_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("channels, width", [(256, 64), (512, 128), (1024, 256), (64, 16)])
@pytest.mark.parametrize("norm", [False, True])
def test_block_params_are_torch_modules(channels, width, norm):
    def conv(i, o, k):
        return [nn.Conv2d(i, o, k, padding=k // 2, bias=False)] + ([nn.BatchNorm2d(o)] if norm else [])

    bottleneck = nn.Sequential(*conv(channels, width, 1), *conv(width, width, 3), *conv(width, channels, 1))
    basic = nn.Sequential(*conv(channels, channels, 3), *conv(channels, channels, 3))
    assert cr.block_params("bottleneck", channels, width, norm)[0] == torch_params(bottleneck)
    assert cr.block_params("basic", channels, norm=norm)[0] == torch_params(basic)


def test_the_256_channel_bottleneck_is_lesson_19s():
    """With batch norm it is ResNet-50's layer1.1 as the architecture table counts it."""
    assert (
        run_check({"fn": "block_params", "kind": "bottleneck", "channels": 256, "width": 64, "norm": True})[0]
        == (run_check({"fn": "layer_table", "net": "resnet50", "layer": "layer1.1", "column": "params"})[0])
    )


def torch_grad(x, w1, w2, upstream, path, b1=0.0, b2=0.0):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)[None, None]
    xt.retain_grad()
    k1 = torch.tensor(w1, dtype=torch.float64)[None, None]
    k2 = torch.tensor(w2, dtype=torch.float64)[None, None]
    p = k1.shape[-1] // 2
    f = F.conv2d(torch.relu(F.conv2d(xt, k1, torch.tensor([b1], dtype=torch.float64), padding=p)), k2,
                 torch.tensor([b2], dtype=torch.float64), padding=p)  # fmt: skip
    total = (f if path != "skip" else f.detach()) + (xt if path != "residual" else xt.detach())
    torch.relu(total).backward(torch.tensor(upstream, dtype=torch.float64)[None, None])
    return xt.grad[0, 0].numpy()


@pytest.mark.parametrize("path", ["total", "skip", "residual"])
@pytest.mark.parametrize("seed", range(4))
def test_residual_grad_is_torchs_along_each_path(path, seed):
    rng = np.random.default_rng(seed)
    k = 3 if seed % 2 else 1
    x = rng.integers(-2, 3, (4, 5)).astype(float)
    w1, w2 = (rng.integers(-2, 3, (k, k)) / 4 for _ in range(2))
    up = rng.integers(-2, 3, (4, 5)).astype(float)
    expected = torch_grad(x, w1, w2, up, path, b1=0.5, b2=-0.25)
    for r, c in [(0, 0), (1, 3), (3, 4)]:
        answer, work = cr.residual_grad(x.tolist(), w1.tolist(), w2.tolist(), r, c, up.tolist(), path, 0.5, -0.25)
        assert answer == pytest.approx(expected[r, c], abs=1e-6)
        assert "along the skip" in work and "through F" in work


def test_residual_grad_of_one_cell_reads_by_hand():
    """x = 2, w1 = 0.5, w2 = −0.5, ∂L/∂y = 1: the sum 2 − 0.5 is positive, so 1 + (−0.5)(0.5) = 0.75."""
    assert cr.residual_grad([[2]], [[0.5]], [[-0.5]], 0, 0) == (
        0.75,
        "along the skip 1, through F −0.25: total 1 + (−0.25) = 0.75",
    )
    # A sum below zero: the last ReLU is off, and nothing reaches x along either path.
    assert cr.residual_grad([[-2]], [[0.5]], [[-0.5]], 0, 0)[0] == 0


@pytest.mark.parametrize("mode", ["plain", "residual"])
@pytest.mark.parametrize(
    "depth, scale, act, layer", [(20, 0.5, "relu", 0), (12, 1.0, "tanh", 3), (8, 1.5, "identity", 7)]
)
def test_chain_grad_norm_is_a_torch_chains(mode, depth, scale, act, layer):
    chain = make_chain(depth, scale, act, 1)
    fn = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda v: v}[act]
    xs = [torch.tensor(chain.x0, dtype=torch.float64, requires_grad=True)]
    for w in chain.weights:
        f = F.conv2d(fn(xs[-1]), torch.tensor(w, dtype=torch.float64), padding=1)
        xs.append(f if mode == "plain" else xs[-1] + f)
        xs[-1].retain_grad()
    xs[-1].backward(torch.tensor(chain.upstream, dtype=torch.float64))
    answer, work = cr.chain_grad_norm(depth, scale, act, mode, layer, 1)
    assert answer == pytest.approx(xs[layer].grad.norm().item(), rel=2e-3)
    assert f"after {depth - layer} layer" in work


@pytest.mark.parametrize(
    "fn, args, name",
    [
        (cr.block_shape, ([64, 56], 128, 2), "input"),
        (cr.block_shape, ([64, 56, 56], 128, 3), "stride"),
        (cr.block_shape, ([64, 56, 56], 128, 2, 4), "k"),
        (cr.block_params, ("wide", 256), "kind"),
        (cr.block_params, ("bottleneck", 256), "width"),
        (cr.block_params, ("basic", 256, 64), "width"),
        (cr.block_params, ("basic", 256, None, "yes"), "norm"),
        (cr.residual_grad, ([[1, 2]], [[1, 2]], [[1]], 0, 0), "w1"),
        (cr.residual_grad, ([[1, 2]], [[1]], [[1]], 2, 0), "row"),
        (cr.residual_grad, ([[1, 2]], [[1]], [[1]], 0, 0, [[1]]), "upstream"),
        (cr.residual_grad, ([[1, 2]], [[1]], [[1]], 0, 0, None, "both"), "path"),
        (cr.chain_grad_norm, (20, 0.5, "gelu"), "activation"),
        (cr.chain_grad_norm, (20, 0.5, "relu", "deep"), "mode"),
        (cr.chain_grad_norm, (20, 0.5, "relu", "plain", 21), "layer"),
        (cr.chain_grad_norm, (0, 0.5), "depth"),
    ],
)
def test_bad_arguments_are_named(fn, args, name):
    with pytest.raises(ValueError, match=name):
        fn(*args)


def test_the_numbers_lesson_18_works_in_its_prose():
    assert cr.block_shape([64, 56, 56], 128, 2)[0] == "28 × 28 × 128"
    assert cr.block_params("bottleneck", 256, 64)[0] == 69632
    assert cr.block_params("basic", 256)[0] == 1179648
    assert cr.block_params("bottleneck", 256, 64, True)[0] - 69632 == 768
    assert torch_params(nn.Conv2d(64, 128, 1, 2, bias=False)) == 8192  # the projection's weights
    assert cr.residual_grad([[2]], [[0.5]], [[-0.5]], 0, 0, path="residual")[0] == -0.25
