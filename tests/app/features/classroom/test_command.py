"""``convscope --class``: a class open on the network from the start, the same class after a restart, and the
Origin and Host checks holding for students who reach the server by its network address."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.cli import free_port, lan_addresses
from app.core import wire

from ...conftest import Page
from .conftest import command, device, printed_class

# Servers of their own, started and stopped: alone under `-n`.
pytestmark = pytest.mark.serial


def ws(host: str, **headers):
    return connect(f"ws://{host}/ws", additional_headers=headers, open_timeout=10)


def ask(socket, type_name: str, params: dict) -> dict:
    socket.send(json.dumps({"id": 1, "type": type_name, "params": params}))
    while True:
        frame = socket.recv(timeout=10)
        header = wire.decode(frame)[0] if isinstance(frame, bytes) else json.loads(frame)
        if header["id"] == 1:
            return header


def test_the_class_serves_the_network_and_prints_both_links(tmp_path):
    port = free_port()
    with command("--class", data=tmp_path, port=port) as (_, log):
        code, key, join = printed_class(log)
        network = lan_addresses()
        assert network, "the machine has no network address to serve a class on"
        assert join == f"http://{network[0]}:{port}/join"
        assert "on your network" in log.read_text() and key not in join
        lan = f"{network[0]}:{port}"
        page = urllib.request.urlopen(f"http://{lan}/join?code={code}", timeout=10).read().decode()
        assert "Join a class" in page and key not in page  # a student's phone, through the network address
        with ws(lan, Origin=f"http://{lan}") as student:
            assert ask(student, "class.join", {"code": code, "device": device()})["type"] == "class.joined"
        with ws(lan) as teacher:
            assert ask(teacher, "class.teach", {"code": code, "key": key})["meta"]["join"] == join


def test_the_origin_and_host_checks_hold_on_the_network(tmp_path):
    port = free_port()
    with command("--class", data=tmp_path, port=port) as (_, log):
        code, _, _ = printed_class(log)
        lan = f"{lan_addresses()[0]}:{port}"
        for origin in ("http://evil.example", f"http://evil.example:{port}", "http://192.0.2.250"):
            with pytest.raises(InvalidStatus) as refused:
                ws(lan, Origin=origin)
            assert refused.value.response.status_code == 403
        request = urllib.request.Request(f"http://{lan}/join", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
        with pytest.raises(InvalidStatus):
            ws(lan, Host="evil.example")


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_a_restarted_server_keeps_its_class_and_its_answers(tmp_path, stop):
    port = free_port()
    phones = [device() for _ in range(3)]
    with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (proc, log):
        code, key, _ = printed_class(log)
        host = f"127.0.0.1:{port}"
        teacher, students = Page(f"ws://{host}/ws"), [Page(f"ws://{host}/ws") for _ in phones]
        teacher.ask("class.teach", {"code": code, "key": key})
        teacher.ask("class.stage", {"code": code, "key": key, "path": "/playground", "query": "s=3"})
        poll = teacher.ask("class.poll", {"code": code, "key": key, "kind": "number", "prompt": "?", "value": 3})
        poll = poll.meta["poll"]["id"]
        for phone, page, value in zip(phones, students, (3, 3, 4)):
            page.ask("class.join", {"code": code, "device": phone})
            page.ask("class.answer", {"poll": poll, "value": value})
        time.sleep(0.6)  # the file is written a moment after the last answer; a kill before that loses it
        if stop == "kill":
            proc.send_signal(signal.SIGKILL)
        else:
            proc.terminate()
        proc.wait(timeout=15)
    with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (_, log):
        again, key_again, _ = printed_class(log)
        assert (again, key_again) == (code, key) and f"Class {code} is still open" in log.read_text()
        host = f"127.0.0.1:{port}"
        page = Page(f"ws://{host}/ws")
        joined = page.ask("class.join", {"code": code, "device": phones[2]})  # a phone back from its sleep
        assert joined.meta["stage"]["query"] == "s=3" and joined.meta["mine"]["label"] == "4"
        page.ask("class.answer", {"poll": poll, "value": 3})  # changes its answer: no fourth answer
        teacher = Page(f"ws://{host}/ws")
        tally = teacher.ask("class.reveal", {"code": code, "key": key, "poll": poll}).meta["tally"]
        assert (tally["total"], tally["right"]) == (3, 3)


def test_a_class_that_ended_is_not_kept_by_a_restart(tmp_path):
    port = free_port()
    with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (_, log):
        code, key, _ = printed_class(log)
        Page(f"ws://127.0.0.1:{port}/ws").ask("class.end", {"code": code, "key": key})
    with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (_, log):
        new, _, _ = printed_class(log)
        assert new != code and "is still open" not in log.read_text()
        gone = Page(f"ws://127.0.0.1:{port}/ws").ask("class.join", {"code": code, "device": device()})
        assert gone.header["field"] == "code"


def test_a_public_name_behind_a_load_balancer_is_answered_and_others_are_not(tmp_path):
    port = free_port()
    with command("--name", "convscope.dept.example", data=tmp_path, port=port):
        public = "http://convscope.dept.example"

        def through_the_balancer(origin: str):  # the public name in the Host header, the connection to this port
            sock = socket.create_connection(("127.0.0.1", port))
            uri = f"ws://convscope.dept.example:{port}/ws"
            return connect(uri, sock=sock, additional_headers={"Origin": origin}, open_timeout=10)

        with through_the_balancer(public) as page:
            started = ask(page, "class.start", {"origin": public})
        assert started["meta"]["join"] == f"{public}/join" and started["meta"]["reachable"] is True
        with pytest.raises(InvalidStatus):
            through_the_balancer("http://evil.example")
    with command(data=tmp_path, port=port), pytest.raises(InvalidStatus) as refused:  # without --name: refused
        through_the_balancer(public)
    assert refused.value.response.status_code in (400, 403)
