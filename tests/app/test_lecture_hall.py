"""A lecture hall on one server: many pages sending conv.run at once, each answered exactly once, correctly.

Through the real server on a loopback port (asyncio + websockets, many sockets at once).
These tests assert behaviour only: every request answered once, with its own id, the
right numbers and shapes, nothing lost and nothing extra. How fast is the benchmark's
business (tests/bench/lecture_hall.py).
"""

from __future__ import annotations

import asyncio
import json
import random

import numpy as np
import pytest
from websockets.asyncio.client import connect

from app.core import wire
from app.core.dispatch import SMALL_FRAME_BYTES, answer, answer_small
from app.core.limits import limits
from app.features import TABLE
from app.features.conv import ConvResultMeta
from app.features.grids import axis_meta
from engine import shapes
from tests.engine.reference import assert_close
from tests.engine.reference import conv2d as reference_conv2d

# Many clients at once: alone under `-n`, so no other test is starved by them.
pytestmark = pytest.mark.serial

CLIENTS = 40
QUIET = 0.3  # seconds to listen after the last answer, for answers that should not come


def request(rng: random.Random) -> dict:
    """A playground request: 7×7 input, 3×3 kernel, as the page sends it, with its own numbers and settings."""
    size, k = rng.choice((7, 7, 7, 9, 12)), rng.choice((3, 3, 2, 5))
    s, p = rng.choice((1, 1, 2, 3)), rng.choice((0, 0, 1, 2))
    return {
        "input": {
            "channels": 1,
            "height": size,
            "width": size,
            "values": [round(rng.uniform(-1, 1), 3) for _ in range(size * size)],
        },
        "kernels": {
            "filters": 1,
            "channels": 1,
            "height": k,
            "width": k,
            "values": [round(rng.uniform(-2, 2), 2) for _ in range(k * k)],
        },
        "bias": [round(rng.uniform(-1, 1), 2)],
        "stride": [s, s],
        "padding": [p, p, p, p],
        "dilation": [1, 1],
        "flip": rng.random() < 0.2,
        "pad_mode": "zeros",
    }


def check_answer(frame, params: dict) -> None:
    """A conv.result whose output is the reference convolution of these very numbers."""
    assert isinstance(frame, bytes), frame  # an error would come as text
    header, arrays = wire.decode(frame)
    assert header["type"] == "conv.result"
    x, k = params["input"], params["kernels"]
    xs = np.array(x["values"], np.float32).reshape(1, 1, x["height"], x["width"])  # (1, C, H, W)
    ws = np.array(k["values"], np.float32).reshape(1, 1, k["height"], k["width"])  # (F, C, KH, KW)
    expected = reference_conv2d(
        xs, ws, np.array(params["bias"]), params["stride"], params["padding"], params["dilation"], params["flip"]
    )[0]  # (F, OH, OW)
    assert header["meta"]["output_shape"] == list(expected.shape)
    assert_close(arrays["output"], expected, what="output")
    top, bottom, left, right = params["padding"]
    assert arrays["padded"].shape == (1, x["height"] + top + bottom, x["width"] + left + right)


async def quiet(ws) -> list:
    """Frames that arrive within QUIET seconds (none, when every request was answered once)."""
    extra = []
    try:
        while True:
            extra.append(await asyncio.wait_for(ws.recv(), QUIET))
    except TimeoutError:
        return extra


async def burst_in_lanes(url: str, index: int) -> None:
    """Five requests at once, each in its own lane (five widgets on one page): five answers, one each."""
    rng = random.Random(index)
    async with connect(url, max_size=2**24) as ws:
        sent = {}
        for n in range(5):
            sent[index * 100 + n + 1] = params = request(rng)
            await ws.send(
                json.dumps({"id": index * 100 + n + 1, "type": "conv.run", "params": params, "lane": f"w{n}"})
            )
        got = {}
        while len(got) < len(sent):
            frame = await asyncio.wait_for(ws.recv(), 60)
            id = wire.decode(frame)[0]["id"] if isinstance(frame, bytes) else json.loads(frame)["id"]
            assert id in sent and id not in got, f"answer {id}: never sent, or answered twice"
            got[id] = frame
        assert await quiet(ws) == []
    for id, params in sent.items():
        check_answer(got[id], params)


async def paced(url: str, index: int, count: int = 6, rate: float = 5.0) -> None:
    """A page at its own pace (a random phase, then ``rate`` a second) in one lane; each request is sent on its
    schedule but never before the previous answer, so none can supersede another: all answered, in order."""
    rng = random.Random(1000 + index)
    async with connect(url, max_size=2**24) as ws:
        loop = asyncio.get_running_loop()
        due = loop.time() + rng.random() / rate
        ids = []
        for n in range(count):
            await asyncio.sleep(max(0.0, due - loop.time()))
            params = request(rng)
            id = index * 100 + n + 1
            await ws.send(json.dumps({"id": id, "type": "conv.run", "params": params}))
            frame = await asyncio.wait_for(ws.recv(), 60)
            assert isinstance(frame, bytes), frame  # an error would come as text
            assert wire.decode(frame)[0]["id"] == id
            check_answer(frame, params)
            ids.append(id)
            due += 1 / rate
        assert await quiet(ws) == []
        assert ids == sorted(ids) and len(ids) == count


async def hall(url: str, page) -> None:
    await asyncio.gather(*(page(url, i) for i in range(1, CLIENTS + 1)))


def test_a_burst_from_every_page_is_answered_once_each(ws_url):
    asyncio.run(hall(ws_url, burst_in_lanes))


def test_pages_at_their_own_pace_lose_nothing(ws_url):
    asyncio.run(hall(ws_url, paced))


def meta_from_the_engine(params: dict) -> dict:
    """conv.result's meta as the documented model builds it, straight from engine.shapes (no cache)."""
    x, k = params["input"], params["kernels"]
    stride, padding, dilation = tuple(params["stride"]), tuple(params["padding"]), tuple(params["dilation"])
    out = shapes.window_output((x["height"], x["width"]), (k["height"], k["width"]), stride, padding, dilation)
    layer = {"type": "conv", "filters": k["filters"], "kernel": (k["height"], k["width"])}
    row = shapes.layer_table(
        (x["channels"], x["height"], x["width"]),
        [{**layer, "stride": stride, "padding": padding, "dilation": dilation}],
    )[0]
    before = {"height": padding[0], "width": padding[2]}
    return ConvResultMeta(
        output_shape=(k["filters"], *out.shape),
        fits=out.whole,
        problem=out.problem(),
        suggestions=out.suggestions(),
        axes={"height": axis_meta(out.rows), "width": axis_meta(out.cols)},
        params={
            "weights": k["height"] * k["width"] * x["channels"] * k["filters"],
            "bias": k["filters"],
            "total": row.params,
            "formula": row.formula,
        },
        ranges={
            name: shapes.conv_ranges(ax.n, ax.k, ax.s, before[name], ax.d, shapes.Limits())
            for name, ax in (("height", out.rows), ("width", out.cols))
        },
        limits=limits(),
    ).model_dump(mode="json")


def test_a_setting_asked_again_gets_the_same_meta_as_the_engine_gives(page):
    """The meta of a setting is made once and reused; every answer still says what the engine says of it."""
    rng = random.Random(7)
    for _ in range(12):
        params = request(rng)
        for again in range(2):  # the second time the setting is known, with other numbers
            if again:
                params["input"]["values"] = [round(rng.uniform(-1, 1), 3) for _ in params["input"]["values"]]
            answer_ = page.ask("conv.run", params)
            assert answer_.meta == meta_from_the_engine(params)


@pytest.mark.parametrize("seed", range(3))
def test_a_small_request_answered_on_the_loop_is_the_same_frame(seed):
    """answer_small (for the event loop) and answer (on a worker thread) give the same bytes, errors included."""
    rng = random.Random(seed)
    for n in range(30):
        params = request(rng)
        if n % 5 == 0:
            params["stride"] = [9, 1]  # refused: invalid
        if n % 7 == 0:
            params["kernels"] = {"filters": 1, "height": 11, "width": 11, "values": [1] * 121}  # does_not_fit
        small = answer_small(TABLE, n + 1, "conv.run", params, 600)
        assert small is not None and small == answer(TABLE, n + 1, "conv.run", params)


def test_a_large_request_goes_to_a_worker_thread():
    """Big frames, heavy engine work and types without a work estimate are never answered on the loop."""
    params = request(random.Random(0))
    assert answer_small(TABLE, 1, "conv.run", params, SMALL_FRAME_BYTES + 1) is None
    heavy = {
        "input": {"channels": 3, "height": 40, "width": 40, "values": [0.5] * 4800},
        "kernels": {"filters": 16, "height": 7, "width": 7, "values": [0.1] * (16 * 3 * 49)},
    }
    assert answer_small(TABLE, 1, "conv.run", heavy, 15_000) is None
    assert answer_small(TABLE, 1, "conv.trace", params, 600) is None  # conv.trace's model does other work
