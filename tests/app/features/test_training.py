"""Training over the socket: start, play, pause, step, reset, set, classify, errors, pushes, cleanup.

Expected numbers come from the engine's own Trainer run on the same config in
this process: the server's run must match it exactly, however its chunks fell.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from app.features.training import desk as training
from engine import xo_train
from engine.xo_data import NAMED_SAMPLES

from ..conftest import Page, health

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def answer_to(page: Page, id: int, timeout: float = 60):
    """Read until the answer to ``id`` arrives; pushed snapshots on the way are returned too."""
    pushes = []
    deadline = time.monotonic() + timeout
    while True:
        answer = page.recv(max(0.1, deadline - time.monotonic()))
        if answer.id == id:
            return answer, pushes
        assert answer.id is None and answer.type == "train.snapshot", answer.header
        pushes.append(answer)


def ask(page: Page, type: str, params: dict | None = None):
    return answer_to(page, page.send(type, params))[0]


def start(page: Page, config: dict | None = None):
    ready = ask(page, "train.start", {"config": config or {}})
    assert ready.type == "train.ready", ready.header
    first = page.recv()
    assert (first.id, first.type, first.meta["step"], first.meta["run"]) == (
        None,
        "train.snapshot",
        0,
        ready.meta["run"],
    )
    return ready, first


def engine_run(config: dict, batches: int) -> xo_train.Trainer:
    t = xo_train.Trainer(xo_train.make_config(config))
    t.train(batches)
    return t


def test_start_sends_the_data_the_ranges_and_a_first_snapshot(page):
    ready, first = start(page)
    config = ready.meta["config"]
    expected = engine_run({}, 0)
    np.testing.assert_array_equal(ready.arrays["test_x"], expected.dataset.test_x[:, 0])
    np.testing.assert_array_equal(ready.arrays["test_y"], expected.dataset.test_y)
    np.testing.assert_array_equal(ready.arrays["hand_filters"], expected.hand_filters()[:, 0])
    assert config["size"] == ready.arrays["test_x"].shape[1] == ready.arrays["test_x"].shape[2]
    assert ready.meta["classes"] == ["X", "O"]
    for name in ready.meta["samples"]:
        np.testing.assert_array_equal(ready.arrays[f"sample_{name}"], NAMED_SAMPLES[name])
    assert {"lr", "momentum", "batch"} <= ready.meta["ranges"].keys()
    n_test = config["n_test"]
    assert first.arrays["test_probs"].shape == (n_test, 2)
    np.testing.assert_allclose(first.arrays["test_probs"].sum(axis=1), 1, rtol=1e-5)
    assert first.arrays["filters"].shape == (config["filters"], config["kernel"], config["kernel"])


def test_steps_are_carried_out_in_order_and_match_the_engine(page):
    start(page, {"seed": 3})
    ids = [page.send("train.step", {"batches": 1}) for _ in range(5)]  # a clicker pressed five times fast
    steps = [answer_to(page, id)[0].meta["step"] for id in ids]
    assert steps == [1, 2, 3, 4, 5]
    snap = ask(page, "train.step", {"batches": 15})
    t = engine_run({"seed": 3}, 20)
    m = t.evaluate()
    assert snap.meta["step"] == 20
    assert (snap.meta["train_loss"], snap.meta["test_acc"]) == (m.train_loss, m.test_acc)
    np.testing.assert_array_equal(snap.arrays["filters"], t.filters()[:, 0])
    np.testing.assert_array_equal(snap.arrays["test_probs"], m.test_probs)


def test_play_streams_snapshots_until_paused_and_reaches_full_test_accuracy(page):
    start(page)
    ask(page, "train.play")
    seen = []
    deadline = time.monotonic() + 60
    while not seen or seen[-1].meta["test_acc"] < 1.0:
        assert time.monotonic() < deadline, "no 100% test accuracy within 60 s"
        seen.append(page.recv())
    assert all(s.id is None for s in seen)
    seqs, steps = [s.meta["seq"] for s in seen], [s.meta["step"] for s in seen]
    assert seqs == sorted(seqs) and steps == sorted(steps) and steps[-1] > 0
    history = seen[-1].arrays["history_test_acc"]
    assert history[-1] == 1.0 and len(history) == len(seen[-1].arrays["history_steps"])
    # The first step at 100% is exact, not the first snapshot that happened to show it.
    first = seen[-1].meta["first_perfect_step"]
    t = engine_run({}, 0)
    while t.evaluate().test_acc < 1.0:
        t.train(1)
    assert first == t.steps
    paused, _ = answer_to(page, page.send("train.pause"))
    assert paused.meta["playing"] is False
    # Nothing trains while paused: a step later starts exactly where the pause answered.
    time.sleep(0.2)
    after, pushes = answer_to(page, page.send("train.step", {"batches": 1}))
    assert after.meta["step"] == paused.meta["step"] + 1
    assert all(p.meta["step"] <= paused.meta["step"] for p in pushes)


def test_the_same_seed_gives_the_same_run_however_the_chunks_fall(page):
    start(page, {"seed": 11})
    ask(page, "train.set", {"speed": 500})
    ask(page, "train.play")
    time.sleep(0.3)
    played, _ = answer_to(page, page.send("train.pause"))
    n = played.meta["step"]
    assert n > 0
    reset = ask(page, "train.reset")
    assert reset.meta["step"] == 0 and reset.meta["run"] > played.meta["run"]
    stepped = ask(page, "train.step", {"batches": n})  # one chunk instead of the play loop's many
    for key in ("train_loss", "test_loss", "train_acc", "test_acc"):
        assert stepped.meta[key] == played.meta[key], key
    np.testing.assert_array_equal(stepped.arrays["filters"], played.arrays["filters"])


def test_the_curves_are_the_same_however_the_run_was_cut_into_requests(open_page):
    """A page replaying its run after a restart sends other steps than the first time; the curves it
    gets back must be the ones it drew (history at fixed steps, not at whatever the snapshots hit)."""
    first, second = open_page(), open_page()
    start(first, {"seed": 5})
    start(second, {"seed": 5})
    for batches in (3, 14, 40, 1, 150):  # 208 steps in uneven pieces
        bit = ask(first, "train.step", {"batches": batches})
    whole = ask(second, "train.step", {"batches": 208})
    assert bit.meta["step"] == whole.meta["step"] == 208
    for name in ("history_steps", "history_train_loss", "history_test_acc", "filters"):
        np.testing.assert_array_equal(bit.arrays[name], whole.arrays[name], err_msg=name)
    steps = whole.arrays["history_steps"].astype(int).tolist()
    assert steps == list(range(21)) + list(range(25, 201, 5))  # every step, then every 5th (208 is not kept)


def test_set_changes_the_run_live_and_picks_the_sample(page):
    start(page)
    snap = ask(page, "train.set", {"lr": 0.01, "momentum": 0.5, "batch": 4, "sample": 2})
    assert (snap.meta["lr"], snap.meta["momentum"], snap.meta["batch"], snap.meta["sample"]) == (0.01, 0.5, 4, 2)
    snap = ask(page, "train.step", {"batches": 3})
    t = xo_train.Trainer(xo_train.make_config({}))
    t.set_hyper(lr=0.01, momentum=0.5, batch=4)
    t.train(3)
    assert snap.meta["train_loss"] == t.evaluate().train_loss
    maps = t.maps(t.dataset.test_x[2, 0], "trained")
    for key in ("conv", "relu", "pool", "probs"):
        np.testing.assert_array_equal(snap.arrays[f"sample_{key}"], maps[key])


def test_classify_runs_a_drawn_grid_through_both_networks(page):
    ready, _ = start(page)
    ask(page, "train.step", {"batches": 30})
    size = ready.meta["config"]["size"]
    x = NAMED_SAMPLES["seed_x"]  # (S, S)
    assert x.shape == (size, size)
    answer = ask(page, "train.classify", {"grid": {"height": size, "width": size, "values": x.ravel().tolist()}})
    assert answer.type == "train.maps"
    t = engine_run({}, 30)
    for net in ("trained", "hand"):
        maps = t.maps(x, net)
        for key in ("conv", "relu", "pool", "scores", "probs"):
            np.testing.assert_array_equal(answer.arrays[f"{net}_{key}"], maps[key])
        best = int(np.argmax(maps["probs"]))
        assert answer.meta[net] == {"label": "XO"[best], "confidence": float(maps["probs"][best])}
    assert answer.meta["hand"]["label"] == "X"


@pytest.mark.parametrize(
    ("type", "params", "field"),
    [
        ("train.start", {"config": {"lr": 50.0}}, "config.lr"),
        ("train.start", {"config": {"momentom": 0.9}}, "config.momentom"),
        ("train.start", {"config": {"batch": 2.5}}, "config.batch"),
        ("train.start", {"config": {"variations": {"rotation": 400.0}}}, "config.variations.rotation"),
        ("train.set", {"lr": -1.0}, "lr"),
        ("train.set", {"batch": 100000}, "batch"),
        ("train.set", {"sample": 100000}, "sample"),
        ("train.set", {"speed": -1}, "speed"),
        ("train.step", {"batches": 0}, "batches"),
        ("train.step", {"batches": 1001}, "batches"),
        ("train.classify", {"grid": {"height": 4, "width": 4, "values": [1.0] * 16}}, "grid"),
        ("train.classify", {"grid": {"height": 9, "width": 9, "values": [1.0] * 80}}, "grid.values"),
    ],
)
def test_bad_settings_are_refused_by_name_and_the_run_goes_on(page, type, params, field):
    start(page)
    ask(page, "train.step", {"batches": 2})
    answer = ask(page, type, params)
    assert (answer.type, answer.header["code"], answer.header["field"]) == ("error", "invalid", field), answer.header
    message = answer.header["message"]
    assert field.rsplit(".", 1)[-1] in message and "Input should" not in message, message  # names it, in our words
    after = ask(page, "train.step", {"batches": 1})
    assert after.meta["step"] == 3  # nothing the user made was lost


def test_training_requests_before_a_start_say_what_to_do(page):
    for type in ("train.play", "train.step", "train.set"):
        answer = ask(page, type)
        assert (answer.type, answer.header["field"]) == ("error", "type")
        assert "train.start" in answer.header["message"]
    start(page)


def test_closing_the_page_mid_training_ends_its_job(server_url, ws_url):
    before = health(server_url)["training_jobs"]
    page = Page(ws_url)
    start(page)
    ask(page, "train.play")
    page.recv()  # it streams
    assert health(server_url)["training_jobs"] == before + 1
    page.close()
    deadline = time.monotonic() + 10
    while health(server_url)["training_jobs"] != before:
        assert time.monotonic() < deadline, "the job outlived its page"
        time.sleep(0.05)


@pytest.mark.serial
def test_pushes_keep_to_the_rate_bound(page):
    start(page)
    ask(page, "train.set", {"speed": 2000})  # fast, yet far from the step limit within the second counted
    ask(page, "train.play")
    t0 = time.monotonic()
    count = 0
    while time.monotonic() - t0 < 1.0:
        page.recv()
        count += 1
    elapsed = time.monotonic() - t0
    ask(page, "train.pause")
    assert count <= 30 * elapsed + 3, f"{count} snapshots in {elapsed:.2f} s"


def test_a_slow_page_gets_the_newest_snapshot_not_a_backlog():
    """The outbox holds one frame: those posted while a send is stuck are replaced, not queued."""

    async def scenario():
        sent: list[bytes] = []
        gate = asyncio.Event()

        async def slow_send(frame):
            await gate.wait()  # the page is not reading
            sent.append(frame)

        desk = training.TrainingDesk(slow_send, None)
        try:
            desk._post(b"1")
            await asyncio.sleep(0.01)  # the outbox hands 1 to the stuck send
            for frame in (b"2", b"3", b"4"):
                desk._post(frame)
            gate.set()
            await asyncio.sleep(0.05)
            return sent
        finally:
            desk.close()

    assert asyncio.run(scenario()) == [b"1", b"4"]


def test_reset_replays_with_the_settings_in_use(page):
    start(page, {"seed": 2})
    ask(page, "train.set", {"lr": 0.02, "batch": 4, "speed": 7, "sample": 3})
    ask(page, "train.step", {"batches": 5})
    reset = ask(page, "train.reset")
    assert (reset.meta["step"], reset.meta["lr"], reset.meta["batch"], reset.meta["speed"], reset.meta["sample"]) == (
        0,
        0.02,
        4,
        7,
        3,
    )
    again = ask(page, "train.step", {"batches": 5})
    assert again.meta["train_loss"] == engine_run({"seed": 2, "lr": 0.02, "batch": 4}, 5).evaluate().train_loss
