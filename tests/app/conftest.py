"""A page's side of the websocket, for tests that talk to the real server."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import pytest
import uvicorn
from websockets.sync.client import connect

from app.cli import server_config
from app.core import wire


@dataclass
class Answer:
    """One server message: a decoded binary frame, or a JSON error (``arrays`` empty)."""

    header: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def id(self):
        return self.header["id"]

    @property
    def type(self):
        return self.header["type"]

    @property
    def meta(self):
        return self.header.get("meta", {})


class Page:
    """One open socket, as a browser tab holds it."""

    def __init__(self, url: str):
        # Trace frames can be ~18 MB; the client's 1 MiB default would refuse them.
        self._connection = connect(url, max_size=64 * 2**20, open_timeout=10)
        self.ws = self._connection.__enter__()  # what a with-block does; pages live across a fixture
        self.last_id = 0

    def send(self, type: str, params: dict | None = None, id: int | None = None, lane: str | None = None) -> int:
        self.last_id = id if id is not None else self.last_id + 1
        message = {"id": self.last_id, "type": type, "params": params or {}}
        if lane is not None:
            message["lane"] = lane
        self.ws.send(json.dumps(message))
        return self.last_id

    def recv(self, timeout: float = 60) -> Answer:
        message = self.ws.recv(timeout=timeout)
        if isinstance(message, bytes):
            return Answer(*wire.decode(message))
        return Answer(json.loads(message))

    def ask(self, type: str, params: dict | None = None, timeout: float = 60) -> Answer:
        """Send one request and return its answer (which must carry its id); pushes (no id) are skipped."""
        id = self.send(type, params)
        answer = self.recv(timeout)
        while answer.id is None and answer.type != "error":  # a training snapshot pushed meanwhile
            answer = self.recv(timeout)
        assert answer.id == id, answer.header
        return answer

    def close(self):
        self._connection.__exit__(None, None, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@pytest.fixture(scope="session")
def ws_url(server_url):
    return server_url.replace("http://", "ws://") + "ws"


@pytest.fixture
def page(ws_url):
    p = Page(ws_url)
    yield p
    p.close()


@pytest.fixture
def open_page(ws_url):
    """A factory of extra pages, all closed at the end of the test."""
    pages = []

    def make() -> Page:
        pages.append(Page(ws_url))
        return pages[-1]

    yield make
    for p in pages:
        p.close()


def health(server_url) -> dict:
    return json.loads(urllib.request.urlopen(server_url + "healthz", timeout=5).read())


def grid_params(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, **settings) -> dict:
    """conv.run params from engine arrays x (C, H, W) and w (F, C, KH, KW)."""
    params = {
        "input": {"channels": x.shape[0], "height": x.shape[1], "width": x.shape[2], "values": x.ravel().tolist()},
        "kernels": {"filters": w.shape[0], "height": w.shape[2], "width": w.shape[3], "values": w.ravel().tolist()},
        **settings,
    }
    if b is not None:
        params["bias"] = b.tolist()
    return params


# ---------------------------------------------------------------- shared checks

SEED001_X = np.array([[[0, 80, 40], [20, 40, 0], [0, 0, 40]]], np.float32)  # (1, 3, 3)
SEED001_K = np.array([[[[0, 0.25], [0.5, 1]]]], np.float32)  # (1, 1, 2, 2)


def ok_params() -> dict:
    return grid_params(SEED001_X, SEED001_K, flip=True)


def assert_still_answers(page):
    """After any error the socket must still serve a good request."""
    answer = page.ask("conv.run", ok_params())
    assert answer.type == "conv.result"
    np.testing.assert_array_equal(answer.arrays["output"][0], [[45, 110], [40, 40]])


def assert_explained(page, type_name, params, code, field, message):
    """A bad request gets the one error shape, naming the field, in our words; the socket stays open."""
    answer = page.ask(type_name, params)
    assert answer.header == {
        "id": page.last_id,
        "type": "error",
        "code": code,
        "field": field,
        "message": answer.header["message"],
    }
    assert message in answer.header["message"], answer.header["message"]
    assert "Input should" not in answer.header["message"]  # never pydantic's own wording
    assert_still_answers(page)


@contextmanager
def serve(app):
    """Run ``app`` as the command does, on a free loopback port in this process (so a test can patch or
    inspect it); yields ``"127.0.0.1:port"``."""
    server = uvicorn.Server(server_config(app, host="127.0.0.1", port=0))  # the system picks a free port as it binds
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the in-process server did not start"
        time.sleep(0.02)
    try:
        yield f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
