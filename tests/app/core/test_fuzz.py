"""Property-based fuzzing of the protocol: every frame, however hostile, gets exactly one structured answer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from ...conftest import running_server
from ..fuzzing import TYPES, FuzzClient, expected_id, frames, message, text_of


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    with running_server(0, log=log) as url, connect(url.replace("http", "ws") + "ws", max_size=2**26) as ws:
        yield FuzzClient(ws)
    text = log.read_text()
    assert "Traceback" not in text and "Task exception" not in text, text[-3000:]


def check(client: FuzzClient, frame) -> None:
    answers = client.exchange(frame)
    assert len(answers) == 1, (str(frame)[:200], answers)
    (answer,) = answers
    assert answer["id"] == expected_id(frame)
    if answer["type"] == "error":
        assert answer["code"] != "internal", (str(frame)[:200], answer)
        assert answer["message"] and len(answer["message"]) < 1000


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
# The websocket client draws each frame's mask from the random module while a draw is open; that is
# the client's business, not a strategy that depends on random state.
MASKS = pytest.mark.filterwarnings("ignore:Do not use the `random` module")


@MASKS
@pytest.mark.parametrize("type_name", TYPES)
@FUZZ
@given(data=st.data())
def test_every_message_of_every_type_gets_one_answer(client, type_name, data):
    check(client, text_of(data.draw(message(type_name))))


@MASKS
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(frame=frames)
def test_any_frame_gets_one_answer(client, frame):
    check(client, frame)
