"""Sessions: superseding, concurrency, two pages at once, abuse, cleanup, idle pages, unexpected failures."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from app.core.feature import Message
from app.features import TABLE
from app.pages import create_app
from engine import conv2d

from ..conftest import Page, grid_params, health, serve


def heavy_params(seed: int = 0, size: int = 128) -> tuple[dict, np.ndarray, np.ndarray]:
    """A setting that takes the engine tens of milliseconds: 3×size² input, sixteen 11×11 filters."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (3, size, size)).round(2).astype(np.float32)  # (3, S, S)
    w = rng.uniform(-1, 1, (16, 3, 11, 11)).round(2).astype(np.float32)  # (16, 3, 11, 11)
    return grid_params(x, w, padding=[10] * 4), x, w


def small_params(value: float) -> dict:
    x = np.full((1, 4, 4), value, np.float32)  # (1, 4, 4)
    return grid_params(x, np.ones((1, 1, 2, 2), np.float32))


def test_newer_requests_supersede_waiting_ones(monkeypatch):
    """Request 1 is held on its worker until 2..30 have all arrived: only the newest of them is answered."""
    started, release = threading.Event(), threading.Event()
    message = TABLE.messages["conv.run"]

    def held(params):
        if params.input.height > 4:  # the heavy first request (the small ones are 4×4)
            started.set()
            assert release.wait(timeout=60), "the test never released the first request"
        return message.handler(params)

    monkeypatch.setitem(TABLE.messages, "conv.run", Message(message.type, message.params, message.answer, held))
    params, x, w = heavy_params(size=32)
    with serve(create_app(warm=False)) as host, Page(f"ws://{host}/ws") as page:
        page.send("conv.run", params, id=1)  # runs on a worker thread, held there
        assert started.wait(timeout=60), "request 1 never started"
        for id in range(2, 31):
            page.send("conv.run", small_params(id), id=id)
        # The page's messages are read in order, so once this answer is back, 2..30 have reached
        # the conv.run lane, where each replaced the one before it while 1 was still running.
        page.send("kernel.preset", {"name": "sobel_x"}, id=31)
        preset = page.recv()
        assert (preset.type, preset.id) == ("kernel.values", 31)
        release.set()
        first, last = page.recv(), page.recv()
        assert (first.type, first.id, last.type, last.id) == ("conv.result", 1, "conv.result", 30)
        np.testing.assert_array_equal(first.arrays["output"], conv2d(x[None], w, padding=10)[0])
        np.testing.assert_array_equal(last.arrays["output"], np.full((1, 3, 3), 4 * 30))  # 2×2 ones over 30s
        # 2..29 were dropped unanswered: the next request's answer is the next message.
        assert page.ask("conv.run", small_params(0.5)).arrays["output"][0, 0, 0] == 2


def test_lanes_keep_two_widgets_of_one_type_apart(page):
    params, _, _ = heavy_params()
    page.send("conv.run", params, id=1, lane="a")  # keeps lane a busy
    page.send("conv.run", params, id=2, lane="b")  # and lane b
    page.send("conv.run", small_params(3), id=3, lane="b")  # waits in lane b ...
    page.send("conv.run", small_params(4), id=4, lane="a")  # ... and a newer request of lane a does not replace it
    answered = {}
    while not {3, 4} <= answered.keys():
        answer = page.recv()
        answered[answer.id] = answer
    assert answered[3].arrays["output"][0, 0, 0] == 12 and answered[4].arrays["output"][0, 0, 0] == 16
    # Within one lane a newer request still replaces a waiting one (test_newer_requests_supersede_waiting_ones).


@pytest.mark.parametrize("lane", ["", "A", "x" * 33, "a b", 7])
def test_a_bad_lane_is_refused_by_name(page, lane):
    page.ws.send(json.dumps({"id": 5, "type": "kernel.preset", "params": {"name": "sobel_x"}, "lane": lane}))
    answer = page.recv()
    assert (answer.type, answer.id, answer.header["field"]) == ("error", 5, "lane")
    assert page.ask("kernel.preset", {"name": "sobel_x"}).type == "kernel.values"


def test_types_run_side_by_side(page):
    params, x, w = heavy_params(size=256)
    page.send("conv.run", params, id=1)
    page.send("kernel.preset", {"name": "sobel_x"}, id=2)
    first, second = page.recv(), page.recv()
    # The preset does not wait behind the convolution in another lane.
    assert (first.id, first.type) == (2, "kernel.values")
    assert (second.id, second.type) == (1, "conv.result")
    np.testing.assert_array_equal(second.arrays["output"], conv2d(x[None], w, padding=10)[0])


def test_two_pages_at_once_get_their_own_answers(open_page):
    pages = [open_page(), open_page()]
    results: dict[int, list] = {0: [], 1: []}
    cases = {i: [heavy_params(seed=10 * i + j, size=64) for j in range(3)] for i in range(2)}

    def use(i):
        for params, x, w in cases[i]:
            answer = pages[i].ask("conv.run", params)
            results[i].append(np.array_equal(answer.arrays["output"], conv2d(x[None], w, padding=10)[0]))

    threads = [threading.Thread(target=use, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results == {0: [True] * 3, 1: [True] * 3}


def test_a_heavy_page_does_not_stall_another(open_page):
    busy, other = open_page(), open_page()
    params, _, _ = heavy_params(size=256)
    busy.send("conv.run", params)
    busy.send("conv.trace", dict(params, count=4096))
    started = time.perf_counter()
    for _ in range(5):
        assert other.ask("kernel.preset", {"name": "gaussian"}).type == "kernel.values"
    quick = time.perf_counter() - started
    answers = {busy.recv().type, busy.recv().type}
    assert answers == {"conv.result", "conv.trace"}
    assert quick < 5  # generous: five tiny round trips while the other page computes


def test_frame_over_8_mb_closes_with_1008(ws_url, page):
    with Page(ws_url) as big:
        big.ws.send(json.dumps({"id": 1, "type": "conv.run", "params": {"pad": "x" * (9 * 2**20)}}))
        error = big.recv().header
        assert (error["code"], error["id"]) == ("too_large", None)
        assert "8 MB" in error["message"]
        with pytest.raises(ConnectionClosed) as closed:
            big.recv(timeout=10)
        assert closed.value.rcvd.code == 1008
    assert page.ask("kernel.preset", {"name": "emboss"}).type == "kernel.values"  # others are unaffected


def test_more_than_200_requests_a_second_closes_with_1008(ws_url):
    with Page(ws_url) as flood:
        with pytest.raises(ConnectionClosed) as closed:
            for id in range(1, 400):
                flood.send("kernel.preset", {"name": "identity"}, id=id)
            while True:
                flood.recv(timeout=10)
        assert closed.value.rcvd.code == 1008
        assert "200 requests a second" in closed.value.rcvd.reason


def test_a_steady_page_under_the_rate_is_served(page):
    for _i in range(30):
        assert page.ask("kernel.preset", {"name": "identity"}).type == "kernel.values"


def test_playground_page_has_the_limits(server_url):
    html = urllib.request.urlopen(server_url + "playground", timeout=5).read().decode()
    assert "256" in html and "<html" in html


# ---------------------------------------------------------------- in process: idle pages and our own failures


def test_idle_page_is_closed_and_freed():
    app = create_app(warm=False, idle_seconds=0.3)
    with serve(app) as host, Page(f"ws://{host}/ws") as idle:
        assert len(app.state.sessions) == 1
        with pytest.raises(ConnectionClosed) as closed:
            idle.recv(timeout=5)
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1001, "idle")
        deadline = time.monotonic() + 5
        while app.state.sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not app.state.sessions


def test_a_busy_page_is_not_idle():
    app = create_app(warm=False, idle_seconds=1.0)
    with serve(app) as host, Page(f"ws://{host}/ws") as active:
        for _ in range(7):  # 2.1 s of use, longer than the idle time, spread out
            time.sleep(0.3)
            assert active.ask("kernel.preset", {"name": "laplacian"}).type == "kernel.values"


def test_an_unexpected_failure_is_an_internal_error_not_a_closed_socket(monkeypatch, caplog):
    def broken(params):
        raise RuntimeError("a bug")

    message = TABLE.messages["kernel.preset"]
    monkeypatch.setitem(TABLE.messages, "kernel.preset", Message(message.type, message.params, message.answer, broken))
    with serve(create_app(warm=False)) as host, Page(f"ws://{host}/ws") as page:
        error = page.ask("kernel.preset", {"name": "sobel_x"}).header
        assert (error["code"], error["field"]) == ("internal", None)
        assert "a bug" not in error["message"] and "kernel.preset" in error["message"]
        assert page.ask("input.preset", {"name": "x"}).type == "input.values"  # still answering
    assert any("kernel.preset request 1 failed" in r.getMessage() and r.exc_info for r in caplog.records)


def test_disconnect_frees_the_session_and_cancels_its_work():
    app = create_app(warm=False)
    with serve(app) as host:
        leaving = Page(f"ws://{host}/ws")
        assert leaving.ask("input.preset", {"name": "o"}).type == "input.values"
        (session,) = app.state.sessions
        assert health(f"http://{host}/")["sessions"] == 1
        params, _, _ = heavy_params(size=256)
        leaving.send("conv.run", params)
        leaving.send("conv.trace", dict(params, count=4096))
        leaving.send("conv.run", small_params(1))  # waits behind the heavy one
        deadline = time.monotonic() + 10
        while len(session.lanes) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        tasks = [lane.task for lane in session.lanes.values()]
        leaving.close()  # with work running and waiting
        deadline = time.monotonic() + 10
        while app.state.sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not app.state.sessions and health(f"http://{host}/")["sessions"] == 0
        assert session.closed and not session.lanes
        assert tasks and all(task.done() for task in tasks)
        with Page(f"ws://{host}/ws") as after:  # the server is fine afterwards
            assert after.ask("input.preset", {"name": "o"}).type == "input.values"
