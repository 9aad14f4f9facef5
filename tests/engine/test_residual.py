"""engine.residual against PyTorch: the block's every forward map and its autograd gradients (x and
every weight) with identity and projection shortcuts at stride 1 and 2; the two parts of ∂L/∂x
(along the skip, through F) against torch's gradients of each path taken alone, and their sum
against torch's ∂L/∂x; the depth study's per-layer gradient norms against a torch chain with the
same weights; arguments refused with their names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.errors import ArgumentError
from engine.residual import block_backward, block_forward, chain_norms, depth_study, make_block, make_chain

CASES = [  # (C_in, C_out, stride, shortcut, H, W, k)
    (2, 2, 1, "identity", 5, 6, 3),
    (3, 3, 1, "identity", 4, 4, 1),
    (1, 1, 1, "identity", 8, 8, 5),
    (2, 4, 2, "projection", 6, 6, 3),
    (3, 2, 2, "projection", 7, 5, 3),
    (2, 2, 1, "projection", 5, 5, 3),
    (4, 4, 2, "projection", 8, 8, 3),
]


def weights(c_in, c_out, k, shortcut, seed):
    rng = np.random.default_rng(seed)
    f = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    w = {"w1": f(c_out, c_in, k, k), "b1": f(c_out), "w2": f(c_out, c_out, k, k), "b2": f(c_out)}
    if shortcut == "projection":
        w |= {"ws": f(c_out, c_in, 1, 1), "bs": f(c_out)}
    return w


def torch_block(x, w, stride, k, skip=True, residual=True):
    """The block in torch; ``skip``/``residual`` False cut that path from the graph (its value kept, detached)."""
    p = k // 2
    conv1 = F.conv2d(x, w["w1"], w["b1"], stride=stride, padding=p)
    relu1 = torch.relu(conv1)
    conv2 = F.conv2d(relu1, w["w2"], w["b2"], padding=p)
    short = F.conv2d(x, w["ws"], w["bs"], stride=stride) if "ws" in w else x
    total = (conv2 if residual else conv2.detach()) + (short if skip else short.detach())
    return {"conv1": conv1, "relu1": relu1, "conv2": conv2, "shortcut": short, "sum": total, "y": torch.relu(total)}


@pytest.mark.parametrize("c_in, c_out, stride, shortcut, h, wd, k", CASES)
def test_block_maps_and_gradients_are_torchs(c_in, c_out, stride, shortcut, h, wd, k):
    seed = c_in * 100 + c_out * 10 + stride + h
    w = weights(c_in, c_out, k, shortcut, seed)
    x = np.random.default_rng(seed + 1).standard_normal((2, c_in, h, wd)).astype(np.float32)  # (N, C_in, H, W)
    block = make_block(stride=stride, **w)
    assert block.shortcut == shortcut
    maps = block_forward(x, block)
    xt = torch.tensor(x, requires_grad=True)
    wt = {name: torch.tensor(v, requires_grad=True) for name, v in w.items()}
    ref = torch_block(xt, wt, stride, k)
    for name, t in ref.items():
        np.testing.assert_allclose(getattr(maps, name), t.detach().numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
    gy = np.random.default_rng(seed + 2).standard_normal(maps.y.shape).astype(np.float32)  # like y
    ref["y"].backward(torch.tensor(gy))
    grads = block_backward(gy, x, block, maps)
    np.testing.assert_allclose(grads.x, xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    for name, t in wt.items():
        np.testing.assert_allclose(getattr(grads, name), t.grad.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)
    if shortcut == "identity":
        assert grads.ws is None and grads.bs is None
        np.testing.assert_array_equal(grads.x_skip, grads.sum)  # the skip passes ∂L/∂(sum) on untouched


@pytest.mark.parametrize("c_in, c_out, stride, shortcut, h, wd, k", CASES)
def test_the_two_paths_are_torchs_each_path_alone_and_add_up(c_in, c_out, stride, shortcut, h, wd, k):
    seed = c_in * 7 + stride * 3 + h
    w = weights(c_in, c_out, k, shortcut, seed)
    x = np.random.default_rng(seed).standard_normal((1, c_in, h, wd)).astype(np.float32)  # (1, C_in, H, W)
    block = make_block(stride=stride, **w)
    y = block_forward(x, block).y  # (1, C_out, H_out, W_out)
    gy = np.random.default_rng(seed + 5).standard_normal(y.shape).astype(np.float32)  # like y
    grads = block_backward(gy, x, block)
    parts = {}
    for path in ("skip", "residual"):
        xt = torch.tensor(x, requires_grad=True)
        wt = {name: torch.tensor(v) for name, v in w.items()}
        y = torch_block(xt, wt, stride, k, skip=path == "skip", residual=path == "residual")["y"]
        y.backward(torch.tensor(gy))
        parts[path] = xt.grad.numpy()
    np.testing.assert_allclose(grads.x_skip, parts["skip"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads.x_residual, parts["residual"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads.x, parts["skip"] + parts["residual"], rtol=1e-4, atol=1e-4)
    assert np.abs(grads.x_skip).sum() > 0 and np.abs(grads.x_residual).sum() > 0  # both paths carry something


def torch_chain_norms(chain, mode):
    """The same chain in torch: x_{l+1} = f(x_l) or x_l + f(x_l), f(x) = w ⋆ act(x); ‖∂L/∂x_l‖ by autograd."""
    act = {"relu": torch.relu, "tanh": torch.tanh, "identity": lambda v: v}[chain.act]
    xs = [torch.tensor(chain.x0, dtype=torch.float64, requires_grad=True)]
    for w in chain.weights:
        f = F.conv2d(act(xs[-1]), torch.tensor(w, dtype=torch.float64), padding=1)
        nxt = f if mode == "plain" else xs[-1] + f
        nxt.retain_grad()
        xs.append(nxt)
    for x in xs[:-1]:
        x.retain_grad()
    xs[-1].backward(torch.tensor(chain.upstream, dtype=torch.float64))
    return np.array([x.grad.norm().item() for x in xs])


@pytest.mark.parametrize("act", ["relu", "tanh", "identity"])
@pytest.mark.parametrize("mode", ["plain", "residual"])
@pytest.mark.parametrize("scale, depth, seed", [(0.5, 12, 1), (1.0, 20, 3), (1.5, 8, 0)])
def test_depth_study_norms_are_torchs(act, mode, scale, depth, seed):
    chain = make_chain(depth, scale, act, seed)
    ours = chain_norms(chain, mode)
    theirs = torch_chain_norms(chain, mode)
    assert ours.shape == (depth + 1,) and ours[-1] == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)


def test_plain_gradients_vanish_and_residual_ones_stay_near_the_upstream():
    study = depth_study(30, 0.5, "identity", seed=1)
    assert study.plain[0] < 1e-6 and 0.2 < study.residual[0] < 10
    ratios = study.plain[:-1] / study.plain[1:]  # each layer's factor
    assert np.all(ratios < 1)  # the plain chain shrinks the gradient at every layer at this scale
    assert depth_study(20, 2.0, "identity", seed=1).plain[0] > 1e3  # and grows it at a large one


def test_a_deeper_chain_only_adds_layers_on_top():
    short, deep = make_chain(5, 0.7, seed=2), make_chain(9, 0.7, seed=2)
    np.testing.assert_array_equal(short.weights, deep.weights[:5])
    np.testing.assert_array_equal(short.x0, deep.x0)


def test_tiny_norms_keep_their_size_below_float32():
    norms = depth_study(100, 0.25, "identity", ("plain",), seed=1).plain
    assert 0 < norms[0] < 1e-40  # float32 would have flushed it to zero
    assert np.all(np.diff(np.log(norms)) > 0)


def test_arguments_are_refused_with_their_names():
    w = weights(2, 3, 3, "projection", 0)
    x = np.zeros((1, 2, 4, 4), np.float32)  # (1, 2, 4, 4)
    with pytest.raises(ArgumentError) as e:
        make_block(w["w1"], w["w2"], stride=2)
    assert e.value.argument == "shortcut" and "projection" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        make_block(np.zeros((2, 2, 2, 2)), np.zeros((2, 2, 2, 2)))
    assert e.value.argument == "w1" and "odd" in str(e.value)
    with pytest.raises(ArgumentError) as e:
        make_block(w["w1"], w["w2"], ws=np.zeros((3, 1, 1, 1)))
    assert e.value.argument == "ws"
    with pytest.raises(ArgumentError) as e:
        block_forward(np.zeros((1, 3, 4, 4)), make_block(**w))
    assert e.value.argument == "x"
    with pytest.raises(ArgumentError) as e:
        block_backward(np.zeros((1, 3, 3, 3)), x, make_block(**w))
    assert e.value.argument == "gy"
    for kwargs, name in [({"depth": 0}, "depth"), ({"scale": -1}, "scale"), ({"act": "gelu"}, "activation")]:
        with pytest.raises(ArgumentError) as e:
            make_chain(**{"depth": 4, "scale": 1.0, **kwargs})
        assert e.value.argument == name
    with pytest.raises(ArgumentError) as e:
        depth_study(4, 1.0, modes=("deep",))
    assert e.value.argument == "mode"
    with pytest.raises(ArgumentError) as e:
        depth_study(200, 10.0, "identity", ("residual",))
    assert e.value.argument == "scale" and "smaller scale" in str(e.value)
