"""Hostile and odd messages: each gets exactly one short, sendable answer; other sites cannot drive the server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ...conftest import running_server
from ..conftest import Page


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("hostile") / "server.log"
    with running_server(0, log=log) as url:
        yield url, log
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]  # nothing a client sent made the server fail


@pytest.fixture
def raw(server):
    """A page that sends raw text, as a browser's JSON.stringify would make it."""
    page = Page(server[0].replace("http://", "ws://") + "ws")
    yield page
    page.close()


def answer_to(page: Page, text: str) -> dict:
    page.ws.send(text)
    return page.recv(timeout=30).header


# A browser's JSON.stringify writes a lone UTF-16 surrogate as the escape \\ud800: valid JSON, not valid UTF-8.
SURROGATE = r"\ud800"


@pytest.mark.parametrize(
    "text, id, field",
    [
        ('{"id":21,"type":"kernel.preset","params":{"name":"cross","size":"@"}}'.replace("@", SURROGATE), 21, "size"),
        ('{"id":14,"type":"conv.run","params":"@"}'.replace("@", SURROGATE), 14, "params"),
        ('{"id":"@","type":"conv.run"}'.replace("@", SURROGATE), None, "id"),
        ('{"id":24,"type":"train.start","params":{"config":{"size":"@"}}}'.replace("@", SURROGATE), 24, "config.size"),
        ('{"id":25,"type":"@"}'.replace("@", SURROGATE), 25, "type"),
    ],
)
def test_a_lone_surrogate_gets_a_structured_answer(raw, text, id, field):
    header = answer_to(raw, text)
    assert (header["type"], header["id"], header["field"]) == ("error", id, field), header
    assert header["code"] in ("invalid", "unknown_type") and header["message"]
    assert raw.ask("kernel.preset", {"name": "sobel_x"}).type == "kernel.values"  # the page is still served


def test_a_huge_unknown_type_is_not_echoed(raw):
    header = answer_to(raw, json.dumps({"id": 3, "type": "x" * 3_000_000}))
    assert (header["id"], header["field"], header["code"]) == (3, "type", "invalid")
    assert len(json.dumps(header)) < 500
    header = answer_to(raw, json.dumps({"id": 4, "type": "y" * 60}))
    assert (header["code"], header["field"]) == ("unknown_type", "type") and len(header["message"]) < 1000


def test_an_id_beyond_a_browsers_integers_is_refused_without_echo(raw):
    header = answer_to(raw, json.dumps({"id": 10**40, "type": "conv.run"}))
    assert (header["id"], header["field"], header["code"]) == (None, "id", "invalid")
    assert str(10**40) not in header["message"]


def test_a_variation_far_out_of_range_is_refused_by_name(raw):
    config = {"variations": {"shift": 10**30}}
    header = answer_to(raw, json.dumps({"id": 5, "type": "train.start", "params": {"config": config}}))
    assert (header["id"], header["code"], header["field"]) == (5, "invalid", "config.variations.shift"), header


def test_a_5000_digit_number_is_refused_briefly(raw):
    header = answer_to(
        raw, '{"id": 6, "type": "kernel.preset", "params": {"name": "cross", "size": %s}}' % ("9" * 5000)
    )
    assert header["type"] == "error" and len(header["message"]) < 500


def open_socket(url: str, **headers):
    return connect(url.replace("http://", "ws://") + "ws", additional_headers=headers, open_timeout=10)


def test_a_websocket_from_another_site_is_refused(server):
    url = server[0]
    with pytest.raises(InvalidStatus) as refused:
        open_socket(url, Origin="http://evil.example")
    assert refused.value.response.status_code == 403
    port = url.rsplit(":", 1)[1].strip("/")
    for origin in (f"http://localhost:{port}", f"http://127.0.0.1:{port}"):  # the server's own pages
        with open_socket(url, Origin=origin) as ws:
            ws.send(json.dumps({"id": 1, "type": "kernel.preset", "params": {"name": "cross"}}))
            assert isinstance(ws.recv(timeout=30), bytes)


def test_another_host_name_is_refused(server):
    url = server[0]
    request = urllib.request.Request(url + "playground", headers={"Host": "evil.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    with pytest.raises(InvalidStatus):
        open_socket(url, Host="evil.example")
    assert urllib.request.urlopen(url + "playground", timeout=10).status == 200


@pytest.mark.parametrize("path", ["openapi.json", "docs", "redoc"])
def test_no_api_docs_or_schema_routes(server, path):
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server[0] + path, timeout=10)
    assert missing.value.code == 404
