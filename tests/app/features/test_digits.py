"""The digits run over the socket: start, steps, resume by replay, the timeline, classify, errors.

Expected numbers come from the engine's own digits Trainer on the same config in
this process: the server's run must match it bit for bit, however its chunks fell.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.features.digits.desk import next_record
from engine import digits
from engine.digits_data import load, raw, split_mask

from ..conftest import Page

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def answer_to(page: Page, id: int, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        answer = page.recv(max(0.1, deadline - time.monotonic()))
        if answer.id == id:
            return answer
        assert answer.id is None and answer.type == "digits.snapshot", answer.header


def ask(page: Page, type: str, params: dict | None = None):
    return answer_to(page, page.send(type, params))


def start(page: Page, config: dict | None = None, resume: dict | None = None):
    params = {"config": config or {}} | ({"resume": resume} if resume else {})
    ready = ask(page, "digits.start", params)
    assert ready.type == "digits.ready", ready.header
    first = page.recv(120)
    assert (first.id, first.type, first.meta["run"]) == (None, "digits.snapshot", ready.meta["run"])
    return ready, first


def engine_run(config: dict, batches: int) -> digits.Trainer:
    t = digits.Trainer(digits.make_config(config))
    t.train(batches)
    return t


def test_start_sends_the_test_digits_the_ranges_and_the_receptive_fields(page):
    ready, first = start(page)
    images, labels = raw()
    np.testing.assert_array_equal(ready.arrays["test_x"], images[~split_mask(labels)])
    np.testing.assert_array_equal(ready.arrays["test_y"], load().test_y)
    assert ready.meta["classes"] == [str(d) for d in range(10)]
    assert ready.meta["config"] == digits.config_dict(digits.DigitsConfig())
    assert {"lr", "momentum", "batch", "seed", "shift", "decay"} <= ready.meta["ranges"].keys()
    assert ready.arrays["field_conv1"].shape == (24, 24, 4) and ready.arrays["field_pool2"].shape == (4, 4, 4)
    # A pool2 unit sees a 16×16 window: 5 + 1·(2−1) + 2·(5−1) + 4·(2−1) input pixels a side.
    np.testing.assert_array_equal(ready.arrays["field_pool2"][1, 2], [4, 8, 19, 23])
    assert first.meta["step"] == 0 and first.arrays["confusion"].sum() == 1000
    assert first.arrays["sample_conv1"].shape == (6, 24, 24) and first.arrays["sample_probs"].shape == (10,)


def test_steps_match_the_engine_bit_for_bit_and_record_at_fixed_steps(page):
    start(page, {"seed": 4, "batch": 16})
    for _ in range(3):
        snap = ask(page, "digits.step", {"batches": 9})
    expected = engine_run({"seed": 4, "batch": 16}, 27)
    assert snap.meta["step"] == 27
    np.testing.assert_array_equal(snap.arrays["filters"], expected.filters())
    maps = expected.maps(expected.data.test_x[0, 0])
    np.testing.assert_array_equal(snap.arrays["sample_relu1"], maps["relu1"])
    assert list(snap.arrays["history_steps"]) == [0, 10, 20]
    assert list(snap.arrays["timeline"]) == [0, 10, 20]
    assert [next_record(s) for s in (0, 99, 100, 999, 1000)] == [10, 100, 150, 1000, 1100]


def test_a_resumed_run_replays_its_changes_to_the_same_weights(page, open_page):
    start(page, {"seed": 2, "batch": 8})
    ask(page, "digits.step", {"batches": 5})
    ask(page, "digits.set", {"lr": 0.01, "batch": 4})
    live = ask(page, "digits.step", {"batches": 7})
    other = open_page()
    resume = {"step": 12, "changes": [{"at": 5, "set": {"lr": 0.01, "batch": 4}}]}
    _, back = start(other, {"seed": 2, "batch": 8}, resume)
    assert back.meta["step"] == 12 and back.meta["lr"] == 0.01 and back.meta["batch"] == 4
    np.testing.assert_array_equal(back.arrays["filters"], live.arrays["filters"])
    np.testing.assert_array_equal(back.arrays["history_test_loss"], live.arrays["history_test_loss"])


def test_the_timeline_shows_a_kept_step_and_goes_back_to_now(page):
    start(page, {"seed": 1, "batch": 8})
    now = ask(page, "digits.step", {"batches": 20})
    past = ask(page, "digits.view", {"at": 10})
    assert past.meta["view"] == 10 and past.meta["shown_step"] == 10 and past.meta["step"] == 20
    expected = engine_run({"seed": 1, "batch": 8}, 10)
    np.testing.assert_array_equal(past.arrays["filters"], expected.filters())
    np.testing.assert_array_equal(past.arrays["confusion"], expected.evaluate().confusion)
    back = ask(page, "digits.view", {"at": -1})
    assert back.meta["view"] is None
    np.testing.assert_array_equal(back.arrays["filters"], now.arrays["filters"])
    bad = ask(page, "digits.view", {"at": 13})
    assert (bad.type, bad.header["field"]) == ("error", "at") and "0, 10, 20" in bad.header["message"]


def test_a_drawing_is_classified_with_every_map_and_its_saliency(page):
    start(page, {"seed": 5})
    snap = ask(page, "digits.step", {"batches": 30})
    digit = load().test_x[123, 0]  # a test image, drawn back
    maps = ask(page, "digits.classify", {"values": digit.ravel().tolist()})
    assert maps.type == "digits.maps" and maps.meta["step"] == snap.meta["step"]
    expected = engine_run({"seed": 5}, 30).maps(digit)
    for name in ("conv1", "pool2", "fc1", "probs", "saliency"):
        np.testing.assert_array_equal(maps.arrays[name], expected[name], err_msg=name)
    assert maps.meta["label"] == str(int(np.argmax(expected["probs"])))


@pytest.mark.parametrize(
    ("type_name", "params", "field", "words"),
    [
        ("digits.start", {"config": {"lr": 5.0}}, "config.lr", "lr must be from 0.0001 to 1.0"),
        ("digits.start", {"config": {"optimizer": "rmsprop"}}, "config.optimizer", "sgd"),
        ("digits.classify", {"values": [0.0] * 10}, "values", "784"),
    ],
)
def test_bad_requests_are_explained(page, type_name, params, field, words):
    if type_name == "digits.classify":
        start(page)
    bad = ask(page, type_name, params)
    assert bad.type == "error" and bad.header["field"] == field, bad.header
    assert words in bad.header["message"]


def test_a_request_before_a_run_asks_for_one(page):
    bad = ask(page, "digits.play")
    assert bad.header["field"] == "type" and "digits.start" in bad.header["message"]
