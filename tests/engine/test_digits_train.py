"""The live digits trainer: repeats bit for bit however it is chunked, its maps and saliency are PyTorch's,
each unit's receptive field is where its gradient can reach, and the timeline keeps past weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import digits
from engine.digits import DigitsConfig, Trainer, confusion, make_config, receptive_fields

SMALL = DigitsConfig(batch=8, seed=3)


def params(t: Trainer) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in t.net.named_params().items()}


def test_chunks_do_not_change_the_run_and_the_seed_does():
    a, b, c = Trainer(SMALL), Trainer(SMALL), Trainer(DigitsConfig(batch=8, seed=4))
    a.train(30)
    for n in (1, 4, 25):
        b.train(n)
    c.train(30)
    for name, p in params(a).items():
        np.testing.assert_array_equal(p, params(b)[name], err_msg=name)
    assert not np.array_equal(params(a)["0.w"], params(c)["0.w"])


def test_an_epoch_ends_with_a_short_batch_and_the_learning_rate_decays():
    t = Trainer(DigitsConfig(batch=256, decay=0.5, lr=0.02))
    t.train(16)  # 15 × 256 = 3,840, then the epoch's last 160
    assert t.epoch == 1.0 and t.lr_now == 0.02
    t.train(1)  # the next epoch begins: decayed once
    assert t.lr_now == pytest.approx(0.01) and t.epoch == pytest.approx(1 + 256 / 4000)


def test_settings_are_checked_by_name():
    with pytest.raises(ValueError, match=r"lr must be from 0.0001 to 1.0, got 3.0"):
        make_config({"lr": 3.0})
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_config({"optimizer": "rmsprop"})
    with pytest.raises(ValueError, match="colour is not a setting"):
        make_config({"colour": 1})


def torch_maps(t: Trainer, x: np.ndarray) -> dict[str, torch.Tensor]:
    p = {k: torch.tensor(v) for k, v in t.net.named_params().items()}
    xt = torch.tensor(x)[None, None].requires_grad_()
    out = {"conv1": F.conv2d(xt, p["0.w"], p["0.b"])}
    out["relu1"] = F.relu(out["conv1"])
    out["pool1"] = F.max_pool2d(out["relu1"], 2)
    out["conv2"] = F.conv2d(out["pool1"], p["3.w"], p["3.b"])
    out["relu2"] = F.relu(out["conv2"])
    out["pool2"] = F.max_pool2d(out["relu2"], 2)
    out["fc1"] = F.linear(out["pool2"].flatten(1), p["7.w"], p["7.b"])
    out["relu3"] = F.relu(out["fc1"])
    out["fc2"] = F.linear(out["relu3"], p["9.w"], p["9.b"])
    out["relu4"] = F.relu(out["fc2"])
    out["logits"] = F.linear(out["relu4"], p["11.w"], p["11.b"])
    best = int(out["logits"][0].argmax())
    out["logits"][0, best].backward()
    out["gradient"] = xt.grad[0, 0]
    out["saliency"] = xt.grad[0, 0] * xt[0, 0]
    return out


def test_maps_and_saliency_are_pytorchs():
    t = Trainer(SMALL)
    t.train(20)
    x = t.data.test_x[17, 0]
    mine = t.maps(x)
    theirs = torch_maps(t, x)
    for name in digits.MAPS + ("gradient", "saliency"):
        want = theirs[name].detach().numpy().reshape(mine[name].shape)
        scale = max(1e-3, float(np.abs(want).max()))
        assert np.abs(mine[name] - want).max() <= 1e-4 * scale, name
    np.testing.assert_allclose(mine["probs"], F.softmax(theirs["logits"], 1)[0].detach().numpy(), atol=1e-6)
    assert not np.any(mine["saliency"][x == 0])  # paper times anything is zero: only ink can matter


@pytest.mark.parametrize("name", ["conv1", "pool1", "conv2", "pool2"])
def test_a_units_receptive_field_is_where_its_gradient_can_reach(name):
    """Every input pixel a unit's value depends on lies in its field, and the field's corners are reached."""
    t = Trainer(SMALL)
    fields = receptive_fields(t.net)[name]
    p = {k: torch.tensor(v) for k, v in t.net.named_params().items()}
    layers = {
        "conv1": lambda x: F.conv2d(x, p["0.w"], p["0.b"]),
        "pool1": lambda x: F.max_pool2d(layers["conv1"](x), 2, return_indices=False),
    }
    layers["conv2"] = lambda x: F.conv2d(F.avg_pool2d(layers["conv1"](x), 2), p["3.w"], p["3.b"])
    layers["pool2"] = lambda x: F.avg_pool2d(layers["conv2"](x), 2)
    layers["pool1"] = lambda x: F.avg_pool2d(layers["conv1"](x), 2)  # average pooling: every cell of a window counts
    side = fields.shape[0]
    for i, j in ((0, 0), (side - 1, 1), (side // 2, side - 1)):
        x = torch.ones((1, 1, 28, 28), requires_grad=True)
        layers[name](x)[0, :, i, j].sum().backward()
        reached = np.argwhere(x.grad[0, 0].numpy() != 0)
        top, left, bottom, right = fields[i, j]
        assert (reached.min(axis=0).tolist(), reached.max(axis=0).tolist()) == ([top, left], [bottom, right])


def test_the_timeline_keeps_past_weights_and_thins_itself(monkeypatch):
    monkeypatch.setattr(digits, "TIMELINE_MAX", 4)
    t = Trainer(SMALL)
    kept = {}
    for _ in range(6):
        t.record()
        kept[t.steps] = params(t)
        t.train(2)
    # Five kept steps (0 … 8) thinned to every other, the first and newest staying; then step 10 joins.
    assert t.timeline_steps == [0, 4, 8, 10]
    past = t.at_step(4)
    for name, p in past.named_params().items():
        np.testing.assert_array_equal(p, kept[4][name], err_msg=name)
    assert t.steps == 12 and not np.array_equal(params(t)["0.w"], kept[4]["0.w"])  # the run itself is untouched
    with pytest.raises(ValueError, match=r"at must be a step the timeline kept \(\[0, 4, 8, 10\]\), got 6"):
        t.at_step(6)


def test_the_confusion_matrix_counts_true_rows_and_read_columns():
    truth = np.array([0, 0, 1, 2, 2, 2])
    read = np.array([0, 1, 1, 2, 0, 2])
    m = confusion(truth, read, 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    t = Trainer(SMALL)
    metrics = t.evaluate()
    assert metrics.confusion.sum() == 1000 and metrics.confusion.sum(axis=1).tolist() == [100] * 10
    assert np.trace(metrics.confusion) / 1000 == metrics.test_acc


@pytest.mark.slow
def test_the_default_run_reads_97_percent_of_the_test_digits():
    t = Trainer()
    best = 0.0
    while t.steps < 2500 and best < 0.97:
        t.train(100)
        best = max(best, t.evaluate().test_acc)
    assert best >= 0.97, (t.steps, best)
