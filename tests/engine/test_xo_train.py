"""The live X-vs-O trainer: reaches 100% test accuracy, repeats bit for bit however it is chunked,
its maps are PyTorch's forward of the same weights, and the hand-designed network classifies."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.xo_data import NAMED_SAMPLES, Variations, draw, named_samples
from engine.xo_train import (
    HISTORY_KEYS,
    HISTORY_MAX,
    TrainConfig,
    Trainer,
    config_dict,
    hand_filters,
    make_config,
    pool_range,
)

STEPS = 300  # the budget of the accuracy target (the default run needs 10 to 60 batches)


def params(trainer: Trainer) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in trainer.net.named_params().items()}


def assert_same_params(a: Trainer, b: Trainer) -> None:
    pa, pb = params(a), params(b)
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)


def torch_maps(trainer: Trainer, x: np.ndarray, which: str) -> dict[str, np.ndarray]:
    """The same network in PyTorch, with the engine's weights copied."""
    net = trainer.net if which == "trained" else trainer.hand_net
    p = {k: torch.tensor(v) for k, v in net.named_params().items()}
    t = torch.tensor(x)[None, None]
    conv = F.conv2d(t, p["0.w"], p["0.b"])
    relu = F.relu(conv)
    pool = F.max_pool2d(relu, trainer.config.pool)
    scores = F.linear(pool.flatten(1), p["3.w"], p["3.b"])
    return {"conv": conv[0], "relu": relu[0], "pool": pool[0], "scores": scores[0], "probs": F.softmax(scores, 1)[0]}


# ---------------------------------------------------------------- the accuracy target


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_default_config_reaches_full_test_accuracy(seed):
    trainer = Trainer(TrainConfig(seed=seed))
    assert trainer.net.fuse  # training steps take the fused compiled path
    first = None
    while trainer.steps < STEPS:
        trainer.train(10)
        m = trainer.record()
        if first is None and m.test_acc == 1.0:
            first = m.steps
    assert first is not None and first <= 100
    assert m.test_acc == 1.0 and m.train_acc == 1.0
    assert m.test_loss < 0.1


def test_metrics_agree_with_the_predictions_one_by_one():
    trainer = Trainer(TrainConfig(seed=5))
    trainer.train(15)
    m = trainer.evaluate()
    n_test = trainer.config.n_test
    assert m.test_probs.shape == (n_test, 2) and m.test_probs.dtype == np.float32
    assert m.test_pred.shape == (n_test,)
    one_by_one = np.stack([trainer.maps(img[0])["probs"] for img in trainer.dataset.test_x])  # (N_test, 2)
    np.testing.assert_allclose(m.test_probs, one_by_one, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m.test_pred, one_by_one.argmax(axis=1))
    assert m.test_acc == np.mean(m.test_pred == trainer.dataset.test_y)
    # The losses are the mean cross-entropy over each split, as PyTorch computes it.
    logits = torch.tensor(trainer.net.forward(trainer.dataset.train_x))
    expected = F.cross_entropy(logits, torch.tensor(trainer.dataset.train_y)).item()
    assert m.train_loss == pytest.approx(expected, rel=1e-5)
    assert m.steps == 15 and m.epoch == 15 * 8 / 128


# ---------------------------------------------------------------- determinism


def test_two_runs_with_one_seed_are_bit_identical_however_chunked():
    a, b, c = Trainer(TrainConfig(seed=11)), Trainer(TrainConfig(seed=11)), Trainer(TrainConfig(seed=11))
    a.train(101)
    for chunk in (37, 63, 1):
        b.train(chunk)
    for _ in range(101):
        c.train(1)
    for other in (b, c):
        assert_same_params(a, other)
        assert other.steps == a.steps == 101 and other.epoch == a.epoch
        ma, mo = a.evaluate(), other.evaluate()
        np.testing.assert_array_equal(ma.test_probs, mo.test_probs)
        assert (ma.train_loss, ma.test_loss) == (mo.train_loss, mo.test_loss)


def test_another_seed_gives_another_run():
    a, b = Trainer(TrainConfig(seed=11)), Trainer(TrainConfig(seed=12))
    a.train(5)
    b.train(5)
    assert not np.array_equal(a.filters(), b.filters())


def test_each_epoch_sees_every_example_once():
    trainer = Trainer(TrainConfig(n_train=24, batch=5))
    seen = np.concatenate([trainer._next_indices(5) for _ in range(24)])  # 120 = 5 epochs of 24
    for epoch in range(5):
        assert sorted(seen[24 * epoch : 24 * (epoch + 1)]) == list(range(24))
    assert not np.array_equal(seen[:24], seen[24:48])  # a new order each epoch


def test_set_hyper_changes_the_run_deterministically():
    def run(chunks, change=True):
        trainer = Trainer(TrainConfig(seed=3))
        done = 0
        for chunk in chunks:
            trainer.train(chunk)
            done += chunk
            if change and done == 20:
                trainer.set_hyper(lr=0.03, momentum=0.5, batch=5)
        return trainer

    a, b, plain = run([20, 30]), run([7, 13, 29, 1]), run([20, 30], change=False)
    assert_same_params(a, b)
    assert not np.array_equal(a.filters(), plain.filters())
    assert a.epoch == (20 * 8 + 30 * 5) / 128
    assert (a.config.lr, a.config.momentum, a.config.batch) == (0.03, 0.5, 5)
    assert (a.optimizer.lr, a.optimizer.momentum) == (0.03, 0.5)
    # A reset starts over with the current settings: the same as a run configured that way from the start.
    a.reset()
    fresh = Trainer(replace(TrainConfig(seed=3), lr=0.03, momentum=0.5, batch=5))
    a.train(10)
    fresh.train(10)
    assert_same_params(a, fresh)


def test_set_hyper_none_keeps_and_bad_values_are_explained():
    trainer = Trainer()
    trainer.set_hyper()
    assert trainer.config == TrainConfig()
    for kwargs, message in (
        ({"lr": 0}, "lr must be from 0.0001 to 1.0, got 0.0"),
        ({"lr": 2}, "lr must be from 0.0001 to 1.0, got 2.0"),
        ({"momentum": 0.995}, "momentum must be from 0.0 to 0.99, got 0.995"),
        ({"batch": 65}, "batch must be from 1 to 64, got 65"),
        ({"batch": 2.5}, "batch must be a whole number, got 2.5"),
    ):
        with pytest.raises(ValueError) as err:
            trainer.set_hyper(**kwargs)
        assert str(err.value) == message
    assert trainer.config == TrainConfig()


def test_reset_is_a_fresh_trainer():
    trainer = Trainer(TrainConfig(seed=4, init="hand"))
    fresh = Trainer(TrainConfig(seed=4, init="hand"))
    trainer.train(40)
    trainer.record()
    trainer.reset()
    assert trainer.steps == 0 and trainer.epoch == 0
    assert all(len(v) == 0 for v in trainer.history.values())
    assert_same_params(trainer, fresh)
    trainer.train(40)
    fresh.train(40)
    assert_same_params(trainer, fresh)


# ---------------------------------------------------------------- history


def test_history_records_curves_and_stays_bounded():
    trainer = Trainer(TrainConfig(n_train=16, n_test=8))
    for _ in range(HISTORY_MAX + 150):
        trainer.train(1)
        trainer.record()
    h = trainer.history
    assert set(h) == set(HISTORY_KEYS)
    n = len(h["steps"])
    assert n <= HISTORY_MAX and all(len(v) == n and v.dtype == np.float64 for v in h.values())
    assert h["steps"][0] == 1 and h["steps"][-1] == HISTORY_MAX + 150
    assert (np.diff(h["steps"]) > 0).all()
    m = trainer.evaluate()
    assert h["test_acc"][-1] == m.test_acc and h["train_loss"][-1] == m.train_loss
    assert h["epoch"][-1] == trainer.epoch


# ---------------------------------------------------------------- maps: PyTorch is the oracle


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(),
        TrainConfig(init="hand", seed=9),
        TrainConfig(size=12, filters=5, kernel=4, pool=3, seed=2),
        TrainConfig(size=7, filters=1, kernel=2, pool=1, seed=1),
    ],
)
def test_maps_equal_a_torch_forward_of_the_same_weights(config):
    trainer = Trainer(config)
    trainer.train(25)
    samples = named_samples(config.size)
    noisy = np.random.default_rng(0).uniform(-1, 1, (config.size, config.size)).astype(np.float32)
    for which in ("trained", "hand"):
        for x in (*samples.values(), noisy):
            got = trainer.maps(x, which)
            want = torch_maps(trainer, x, which)
            np.testing.assert_array_equal(got["input"], x[None])
            for name in ("conv", "relu", "pool", "scores", "probs"):
                assert got[name].dtype == np.float32
                np.testing.assert_allclose(got[name], want[name].numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
            filters = config.filters if which == "trained" else 3
            side = config.size - config.kernel + 1
            assert got["conv"].shape == got["relu"].shape == (filters, side, side)
            assert got["pool"].shape == (filters, side // config.pool, side // config.pool)


def test_maps_errors_name_the_argument():
    trainer = Trainer()
    for x, message in (
        (np.zeros((8, 8)), "x must have shape (9, 9), got (8, 8)"),
        (np.zeros((1, 9, 9)), "x must have 2 axes (9, 9), got shape (1, 9, 9)"),
        (np.full((9, 9), np.nan), "x must contain only finite numbers"),
        (np.full((9, 9), np.inf), "x must contain only finite numbers"),
        ([["a"] * 9] * 9, "x must be an array of numbers (9, 9)"),
    ):
        with pytest.raises(ValueError) as err:
            trainer.maps(x)
        assert str(err.value).startswith(message)
    with pytest.raises(ValueError) as err:
        trainer.maps(NAMED_SAMPLES["o"], "learned")
    assert str(err.value) == "which must be one of 'trained', 'hand', got 'learned'"


# ---------------------------------------------------------------- the hand-designed network


def test_hand_filters_are_the_lecture_features():
    f = hand_filters(3) * 9  # (3, 1, 3, 3) back to ±1
    np.testing.assert_array_equal(f[0, 0], [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]])  # "\"
    np.testing.assert_array_equal(f[1, 0], [[1, -1, 1], [-1, 1, -1], [1, -1, 1]])  # "x"
    np.testing.assert_array_equal(f[2, 0], [[-1, -1, 1], [-1, 1, -1], [1, -1, -1]])  # "/"
    for k in (2, 4, 5):
        fk = hand_filters(k)
        assert fk.shape == (3, 1, k, k) and fk.dtype == np.float32
        # A perfect match on a ±1 image scores exactly 1: the average of the products.
        for plane in fk[:, 0]:
            assert float((plane * np.sign(plane)).sum()) == pytest.approx(1.0)


def test_hand_init_starts_from_the_hand_filters_and_shares_the_rest():
    hand, rand = Trainer(TrainConfig(init="hand", filters=5)), Trainer(TrainConfig(init="random", filters=5))
    np.testing.assert_array_equal(hand.filters()[:3], hand_filters(3))
    np.testing.assert_array_equal(hand.filters()[3:], rand.filters()[3:])
    np.testing.assert_array_equal(hand.net.named_params()["0.b"][:3], 0)
    np.testing.assert_array_equal(hand.net.named_params()["3.w"], rand.net.named_params()["3.w"])
    two = Trainer(TrainConfig(init="hand", filters=2))
    np.testing.assert_array_equal(two.filters(), hand_filters(3)[:2])


@pytest.mark.parametrize(
    "config",
    [TrainConfig(seed=s) for s in (0, 1, 2)]
    + [TrainConfig(size=s, kernel=k, pool=p) for s, k, p in ((6, 3, 2), (12, 3, 2), (16, 5, 2), (9, 5, 1), (9, 2, 3))]
    + [TrainConfig(variations=Variations.none()), TrainConfig(variations=Variations(noise=0.1, distorted=True))],
)
def test_hand_network_classifies_the_canonical_x_and_o(config):
    trainer = Trainer(config)
    probs_x = trainer.maps(draw(0, config.size), "hand")["probs"]
    probs_o = trainer.maps(draw(1, config.size), "hand")["probs"]
    assert probs_x[0] > 0.5 and probs_o[1] > 0.5
    np.testing.assert_array_equal(trainer.hand_net.named_params()["0.w"], hand_filters(config.kernel))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hand_network_calls_the_seed_distorted_x_an_x_with_less_confidence(seed):
    """On the seed's distorted X the hand network still says X (0.8 to 0.93 at these seeds), less sure than on the
    clean X.
    """
    trainer = Trainer(TrainConfig(seed=seed))
    clean = trainer.maps(NAMED_SAMPLES["seed_x"], "hand")["probs"][0]
    distorted = trainer.maps(NAMED_SAMPLES["seed_distorted_x"], "hand")["probs"][0]
    assert 0.5 < distorted < clean


def test_hand_network_is_deterministic_and_kept_across_resets():
    a, b = Trainer(TrainConfig(seed=6)), Trainer(TrainConfig(seed=6))
    for k, v in a.hand_net.named_params().items():
        np.testing.assert_array_equal(v, b.hand_net.named_params()[k])
    net = a.hand_net
    a.train(5)
    a.reset()
    assert a.hand_net is net
    np.testing.assert_array_equal(a.hand_filters(), hand_filters(3))


def test_filters_returns_a_copy():
    trainer = Trainer()
    f = trainer.filters()
    assert f.shape == (3, 1, 3, 3) and f.dtype == np.float32
    f[:] = 0
    assert np.abs(trainer.filters()).sum() > 0


# ---------------------------------------------------------------- config errors name the field and its range


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"size": 4}, "size must be from 5 to 16, got 4"),
        ({"filters": 9}, "filters must be from 1 to 8, got 9"),
        ({"filters": 0}, "filters must be from 1 to 8, got 0"),
        ({"kernel": 6}, "kernel must be from 2 to 5, got 6"),
        ({"pool": 5}, "pool must be from 1 to 4, got 5"),
        ({"lr": 0.0}, "lr must be from 0.0001 to 1.0, got 0.0"),
        ({"momentum": 1.0}, "momentum must be from 0.0 to 0.99, got 1.0"),
        ({"batch": 0}, "batch must be from 1 to 64, got 0"),
        ({"seed": 2**31}, "seed must be from 0 to 2147483647, got 2147483648"),
        ({"n_train": 2000}, "n_train must be from 2 to 1024, got 2000"),
        ({"n_test": 1}, "n_test must be from 2 to 512, got 1"),
        ({"init": "zeros"}, "init must be one of 'hand', 'random', got 'zeros'"),
        ({"variations": Variations(rotation=60)}, "variations.rotation must be from 0 to 45 degrees, got 60"),
        (
            {"size": 5, "kernel": 5, "pool": 2},
            "pool must be from 1 to 1 for the 1×1 map of a 5×5 filter on a 5×5 grid, got 2",
        ),
        (
            {"size": 6, "kernel": 4, "pool": 4},
            "pool must be from 1 to 3 for the 3×3 map of a 4×4 filter on a 6×6 grid, got 4",
        ),
    ],
)
def test_config_errors_name_the_field_and_range(change, message):
    config = replace(TrainConfig(), **change)
    with pytest.raises(ValueError) as err:
        config.check()
    assert str(err.value) == message
    with pytest.raises(ValueError):
        Trainer(config)


def test_pool_range_is_what_check_accepts():
    for size in (5, 6, 7, 9, 16):
        for kernel in (2, 3, 4, 5):
            lo, hi = pool_range(size, kernel)
            for pool in range(1, 5):
                config = TrainConfig(size=size, kernel=kernel, pool=pool)
                if lo <= pool <= hi:
                    config.check()
                else:
                    with pytest.raises(ValueError, match=f"pool must be from {lo} to {hi} "):
                        config.check()
    assert pool_range(5, 5) == (1, 1) and pool_range(5, 3) == (1, 3) and pool_range(9, 3) == (1, 4)


def test_the_largest_pool_that_fits_is_accepted():
    assert TrainConfig(size=6, kernel=3, pool=4).check().shape_table()[2].shape == (1, 1, 3)
    assert TrainConfig(size=5, kernel=5, pool=1).check().shape_table()[2].shape == (1, 1, 3)


def test_config_shape_table_comes_from_engine_shapes():
    rows = TrainConfig().shape_table()
    assert [r.shape for r in rows] == [(7, 7, 3), (7, 7, 3), (3, 3, 3), (2,)]
    assert [r.params for r in rows] == [(9 + 1) * 3, 0, 0, (27 + 1) * 2]


def test_make_config_reads_a_dict_and_config_dict_writes_one():
    assert make_config() == make_config({}) == TrainConfig()
    config = make_config({"lr": 0.05, "filters": 4, "variations": {"rotation": 20, "scale": True}})
    assert config == TrainConfig(lr=0.05, filters=4, variations=Variations(rotation=20, scale=0.1))
    assert make_config(config_dict(config)) == config
    assert config_dict(TrainConfig())["variations"] == Variations().as_dict()
    for given, message in (
        ({"momentom": 0.5}, "momentom is not a setting of a training run"),
        ({"variations": {"blur": 1}}, "variations.blur is not a variation"),
        ({"variations": {"rotation": 400.0}}, "variations.rotation must be from 0 to 45 degrees, got 400"),
        ({"kernel": 1}, "kernel must be from 2 to 5, got 1"),
    ):
        with pytest.raises(ValueError) as err:
            make_config(given)
        assert str(err.value).startswith(message)


def test_current_hyper_parameters_are_readable():
    trainer = Trainer()
    trainer.set_hyper(lr=0.2, batch=16)
    assert (trainer.lr, trainer.momentum, trainer.batch) == (0.2, 0.9, 16)
