"""The ``convscope`` command: serves, prints its URL, moves on when the port is taken."""

from __future__ import annotations

import json
import socket
import time
import urllib.request

from app.cli import free_port


def test_index_shows_the_engine_sized_lenet_table(server_url):
    html = urllib.request.urlopen(server_url, timeout=5).read().decode()
    assert "<title>Convscope</title>" in html
    assert "24 × 24 × 6" in html and "30840" in html and "(256 + 1)×120" in html


def test_health_reports_the_engine_warming_up_then_ready(server_url):
    deadline = time.monotonic() + 120
    while True:
        health = json.loads(urllib.request.urlopen(server_url + "healthz", timeout=5).read())
        assert health["ok"] is True
        if health["engine_ready"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert health["engine_ready"] is True


def test_static_files_are_served_locally(server_url):
    css = urllib.request.urlopen(server_url + "static/css/site.css", timeout=5).read().decode()
    assert "font-family" in css


def test_next_free_port_when_the_default_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        assert free_port("127.0.0.1", port) > port
