"""The sequential network and optimizers: PyTorch's numbers, step for step, and bit-exact repeats."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from engine import SGD, Adam, Network
from engine.network import XO_INPUT, XO_LAYERS, lenet5_layers
from engine.optim import make

# Each test runs on the compiled kernels and again on their NumPy twins (tests/engine/conftest.py).
pytestmark = pytest.mark.usefixtures("engine_path")


def torch_twin(net: Network) -> nn.Sequential:
    """The same network in PyTorch, holding copies of the engine's initial weights."""
    mods: list[nn.Module] = []
    for layer in net.layers:
        if layer.kind == "conv":
            w, b = layer.params["w"], layer.bias
            spec = layer.conv
            top, bottom, left, right = spec.padding
            assert top == bottom and left == right
            m = nn.Conv2d(
                w.shape[1], w.shape[0], w.shape[2:], spec.stride, (top, left), spec.dilation, bias=layer.has_bias
            )
            m.weight.data = torch.tensor(w)
            if layer.has_bias:
                m.bias.data = torch.tensor(b)
        elif layer.kind == "activation":
            m = {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(), "elu": nn.ELU(), "selu": nn.SELU()}[
                layer.name
            ]
        elif layer.kind == "maxpool":
            m = nn.MaxPool2d(layer.pool.kernel, layer.pool.stride)
        elif layer.kind == "avgpool":
            m = nn.AvgPool2d(layer.pool.kernel, layer.pool.stride)
        elif layer.kind == "flatten":
            m = nn.Flatten()
        elif layer.kind == "dense":
            w, b = layer.params["w"], layer.params["b"]
            m = nn.Sequential(nn.Flatten(), nn.Linear(w.shape[1], w.shape[0]))
            m[1].weight.data, m[1].bias.data = torch.tensor(w), torch.tensor(b)
        elif layer.kind == "batchnorm":
            m = nn.BatchNorm2d(layer.params["gamma"].shape[0])
        else:
            raise AssertionError(layer.kind)
        mods.append(m)
    return nn.Sequential(*mods)


def engine_params_in_torch_order(net: Network) -> list[np.ndarray]:
    order = {"conv": ("w", "b"), "dense": ("w", "b"), "batchnorm": ("gamma", "beta")}
    return [layer.params[k] for layer in net.layers for k in order.get(layer.kind, ()) if k in layer.params]


def data(shape, n, classes, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, *shape)).astype(np.float32), rng.integers(0, classes, n)  # (N, C, H, W), (N,)


CASES = {
    "xo-sgd-momentum": (XO_INPUT, XO_LAYERS, 2, ("sgd", {"lr": 0.1, "momentum": 0.9})),
    "xo-adam": (XO_INPUT, XO_LAYERS, 2, ("adam", {"lr": 0.01})),
    "lenet-sgd": ((1, 28, 28), lenet5_layers(), 10, ("sgd", {"lr": 0.05, "momentum": 0.5, "weight_decay": 1e-3})),
    "bn-avgpool-tanh-adam": (
        (2, 10, 10),
        [
            # No bias before batch norm: its gradient is rounding noise, which Adam would amplify.
            {"type": "conv", "filters": 4, "kernel": 3, "stride": 1, "padding": 1, "bias": False},
            {"type": "batchnorm"},
            {"type": "activation", "name": "tanh"},
            {"type": "avgpool", "kernel": 2},
            {"type": "conv", "filters": 3, "kernel": 3, "stride": 2, "dilation": 1},
            {"type": "activation", "name": "elu"},
            {"type": "dense", "units": 3},
        ],
        3,
        ("adam", {"lr": 0.005, "beta1": 0.8}),
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_training_follows_pytorch_step_for_step(case):
    shape, layers, classes, (opt_name, settings) = CASES[case]
    net = Network(shape, layers, seed=3)
    twin = torch_twin(net)
    opt = make(opt_name, **settings)
    t_settings = dict(settings)
    if opt_name == "adam":
        t_settings["betas"] = (t_settings.pop("beta1", 0.9), t_settings.pop("beta2", 0.999))
    t_opt = (torch.optim.SGD if opt_name == "sgd" else torch.optim.Adam)(twin.parameters(), **t_settings)
    x, y = data(shape, 8, classes, seed=1)
    for step in range(5):
        loss, probs = net.train_step(opt, x, y)
        t_opt.zero_grad()
        t_logits = twin(torch.tensor(x))
        t_loss = F.cross_entropy(t_logits, torch.tensor(y))
        t_loss.backward()
        t_opt.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-4, abs=1e-5), step
        np.testing.assert_allclose(probs, F.softmax(t_logits, 1).detach().numpy(), rtol=1e-4, atol=1e-5)
    for mine, theirs in zip(engine_params_in_torch_order(net), twin.parameters(), strict=True):
        scale = max(1.0, float(theirs.detach().abs().max()))
        assert np.abs(mine - theirs.detach().numpy()).max() <= 1e-4 * scale


def test_same_seed_same_run_bit_for_bit():
    def run(seed):
        net = Network((1, 28, 28), lenet5_layers(), seed=seed)
        opt = SGD(0.05, momentum=0.9)
        x, y = data((1, 28, 28), 16, 10, seed=7)
        losses = [net.train_step(opt, x, y)[0] for _ in range(4)]
        return losses, net.named_params()

    losses_a, params_a = run(11)
    losses_b, params_b = run(11)
    losses_c, _ = run(12)
    assert losses_a == losses_b
    for name in params_a:
        np.testing.assert_array_equal(params_a[name], params_b[name])
    assert losses_a != losses_c


def test_keep_returns_every_intermediate_map_with_table_shapes():
    net = Network(XO_INPUT, XO_LAYERS, seed=0)
    x, _ = data(XO_INPUT, 2, 2, seed=0)
    logits, maps = net.forward(x, keep=True)
    assert [m.shape[1:] for m in maps] == [(3, 7, 7), (3, 7, 7), (3, 3, 3), (2,)]
    assert [row.shape for row in net.table] == [(7, 7, 3), (7, 7, 3), (3, 3, 3), (2,)]
    np.testing.assert_array_equal(logits, maps[-1])
    np.testing.assert_array_equal(maps[1], np.maximum(maps[0], 0))


def test_wrong_input_shape_is_named():
    net = Network(XO_INPUT, XO_LAYERS, seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 9, 9\)"):
        net.forward(np.zeros((1, 1, 8, 8), np.float32))


def test_optimizer_settings_are_checked():
    with pytest.raises(ValueError, match="learning rate must be from 0.0 to 10.0"):
        SGD(lr=-1)
    with pytest.raises(ValueError, match="momentum must be from 0.0 to 0.999"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="optimizer must be one of 'sgd', 'adam'"):
        make("rmsprop")
    with pytest.raises(ValueError, match="beta1"):
        Adam(beta1=2)


FUSABLE = {
    "xo": XO_LAYERS,
    "strided-leaky-no-bias": [
        {
            "type": "conv",
            "filters": 4,
            "kernel": (3, 2),
            "stride": (2, 1),
            "padding": 1,
            "dilation": (1, 2),
            "bias": False,
        },
        {"type": "activation", "name": "leaky_relu", "param": 0.1},
        {"type": "maxpool", "kernel": 2, "stride": 1},
        {"type": "flatten"},
        {"type": "dense", "units": 3},
    ],
}


@pytest.mark.parametrize("case", FUSABLE)
@pytest.mark.parametrize("batch", [1, 5])
def test_fused_step_equals_layer_by_layer(case, batch):
    nets = [Network((2, 9, 9), FUSABLE[case], seed=4) for _ in range(2)]
    assert nets[0].fuse
    nets[1].fuse = False
    x, y = data((2, 9, 9), batch, 3 if case != "xo" else 2, seed=batch)
    fused_loss, fused_probs = nets[0].loss_and_grads(x, y)
    loss, probs = nets[1].loss_and_grads(x, y)
    assert fused_loss == pytest.approx(loss, rel=1e-6)
    np.testing.assert_allclose(fused_probs, probs, rtol=1e-6, atol=1e-7)
    grads, fused_grads = nets[1].named_grads(), nets[0].named_grads()
    assert grads.keys() == fused_grads.keys()
    for name in grads:
        np.testing.assert_allclose(fused_grads[name], grads[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_other_stacks_step_layer_by_layer():
    assert not Network((1, 28, 28), lenet5_layers(), seed=0).fuse
    tanh = [dict(layer, name="tanh") if layer["type"] == "activation" else layer for layer in XO_LAYERS]
    assert not Network(XO_INPUT, tanh, seed=0).fuse
