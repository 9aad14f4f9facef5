"""LeNet-5's fused training step (engine.lenet) against PyTorch on the same weights and batch, and against itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import SGD, Adam, Network, lenet
from engine.digits_data import load
from engine.network import lenet5_layers

SHAPE = (1, 28, 28)
ORDER = ["0.w", "0.b", "3.w", "3.b", "7.w", "7.b", "9.w", "9.b", "11.w", "11.b"]


def torch_loss(params: dict[str, torch.Tensor], x: np.ndarray, y: np.ndarray):
    """The seed's LeNet-5 written out in PyTorch: conv → ReLU → pool, twice; three dense layers."""
    h = F.max_pool2d(F.relu(F.conv2d(torch.tensor(x), params["0.w"], params["0.b"])), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, params["3.w"], params["3.b"])), 2).flatten(1)
    h = F.relu(F.linear(h, params["7.w"], params["7.b"]))
    h = F.relu(F.linear(h, params["9.w"], params["9.b"]))
    logits = F.linear(h, params["11.w"], params["11.b"])
    return F.cross_entropy(logits, torch.tensor(y)), logits


def batch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    d = load()
    pick = np.random.default_rng(seed).choice(len(d.train_y), n, replace=False)
    return np.ascontiguousarray(d.train_x[pick]), d.train_y[pick]  # (N, 1, 28, 28), (N,)


def assert_close(mine: np.ndarray, theirs: np.ndarray, what: str, rel: float = 1e-4) -> None:
    scale = max(1e-3, float(np.abs(theirs).max()))
    err = float(np.abs(mine - theirs).max())
    assert err <= rel * scale, f"{what}: max error {err:.3g} at scale {scale:.3g}"


def test_lenet5_takes_the_fused_step_and_other_stacks_do_not():
    assert Network(SHAPE, lenet5_layers(), seed=0).lenet is not None
    assert Network(SHAPE, lenet5_layers("tanh"), seed=0).lenet is None
    avg = [dict(layer, type="avgpool") if layer["type"] == "maxpool" else layer for layer in lenet5_layers()]
    assert Network(SHAPE, avg, seed=0).lenet is None
    padded = [dict(layer, padding=2) if layer["type"] == "conv" else layer for layer in lenet5_layers()]
    assert Network(SHAPE, padded, seed=0).lenet is None


@pytest.mark.parametrize("n", [1, 5, 16, 64])
def test_one_step_gives_pytorchs_loss_probabilities_and_gradients(n):
    net = Network(SHAPE, lenet5_layers(), seed=n)
    assert list(net.named_params()) == ORDER
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.named_params().items()}
    x, y = batch(n, seed=n)
    loss, probs = net.loss_and_grads(x, y)
    t_loss, t_logits = torch_loss(params, x, y)
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-5)
    assert_close(probs, F.softmax(t_logits, 1).detach().numpy(), "probabilities")
    grads = net.named_grads()
    for name in ORDER:
        assert_close(grads[name], params[name].grad.numpy(), f"d loss / d {name}")
    assert_close(net.logits(x), t_logits.detach().numpy(), "logits")


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ten_steps_follow_pytorch(optimizer):
    net = Network(SHAPE, lenet5_layers(), seed=3)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in net.named_params().items()}
    if optimizer == "sgd":
        mine, theirs = SGD(0.05, momentum=0.9), torch.optim.SGD(params.values(), 0.05, momentum=0.9)
    else:
        mine, theirs = Adam(0.002), torch.optim.Adam(params.values(), 0.002)
    for step in range(10):
        x, y = batch(32, seed=100 + step)
        loss, _ = net.train_step(mine, x, y)
        theirs.zero_grad()
        t_loss, _ = torch_loss(params, x, y)
        t_loss.backward()
        theirs.step()
        assert loss == pytest.approx(t_loss.item(), rel=1e-4), step
    for name, p in net.named_params().items():
        theirs = params[name].detach().numpy()
        if optimizer == "sgd":
            assert_close(p, theirs, name, rel=2e-4)
        else:
            # Adam divides by √v: a weight whose gradients are mostly rounding noise moves by up to lr a
            # step either way, so weights agree to a few lr (a gradient of the wrong sign is ten lr off).
            assert float(np.abs(p - theirs).max()) <= 3 * 0.002, name


def test_two_threads_or_one_the_same_numbers_to_the_bit(monkeypatch):
    x, y = batch(64, seed=9)
    runs = []
    for threads in (True, False):
        if not threads:
            monkeypatch.setattr(lenet, "_pool", lambda: None)  # the second half runs after the first
        net = Network(SHAPE, lenet5_layers(), seed=2)
        opt = SGD(0.05, momentum=0.9)
        losses = [net.train_step(opt, x, y)[0] for _ in range(3)]
        runs.append((losses, {k: v.copy() for k, v in net.named_params().items()}))
    assert runs[0][0] == runs[1][0]
    for name in ORDER:
        np.testing.assert_array_equal(runs[0][1][name], runs[1][1][name], err_msg=name)


def test_a_wrong_label_is_named():
    net = Network(SHAPE, lenet5_layers(), seed=0)
    x, _ = batch(2, seed=0)
    with pytest.raises(ValueError, match="labels"):
        net.loss_and_grads(x, np.array([0, 10]))


def lenet_like(filters: tuple[int, int], kernel: int) -> list[dict]:
    """LeNet-5's shape with other filter counts and kernel sizes (the kernels' odd-filter and any-kernel paths)."""
    act = {"type": "activation", "name": "relu"}
    conv = lambda f: {"type": "conv", "filters": f, "kernel": kernel}  # noqa: E731
    pool = {"type": "maxpool", "kernel": 2}
    dense = lambda u: {"type": "dense", "units": u}  # noqa: E731
    flat = {"type": "flatten"}
    return [conv(filters[0]), act, pool, conv(filters[1]), act, pool, flat, dense(32), act, dense(24), act, dense(10)]


@pytest.mark.parametrize(("shape", "filters", "kernel"), [((1, 28, 28), (5, 7), 5), ((2, 30, 30), (4, 6), 3)])
def test_other_filter_counts_and_kernel_sizes_give_pytorchs_gradients(shape, filters, kernel):
    net = Network(shape, lenet_like(filters, kernel), seed=1)
    assert net.lenet is not None
    rng = np.random.default_rng(4)
    x = rng.random((20, *shape)).astype(np.float32)  # (20, C, H, W): two halves of 10
    y = rng.integers(0, 10, 20)
    p = {k: torch.tensor(v, requires_grad=True) for k, v in net.named_params().items()}
    h = F.max_pool2d(F.relu(F.conv2d(torch.tensor(x), p["0.w"], p["0.b"])), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, p["3.w"], p["3.b"])), 2).flatten(1)
    h = F.relu(F.linear(F.relu(F.linear(h, p["7.w"], p["7.b"])), p["9.w"], p["9.b"]))
    t_loss = F.cross_entropy(F.linear(h, p["11.w"], p["11.b"]), torch.tensor(y))
    t_loss.backward()
    loss, _ = net.loss_and_grads(x, y)
    assert loss == pytest.approx(t_loss.item(), rel=1e-5)
    for name, g in net.named_grads().items():
        assert_close(g, p[name].grad.numpy(), f"d loss / d {name}")
