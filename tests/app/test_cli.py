"""The ``convscope`` command: serves, prints its URL, reports a taken port and exits (port 0: any free one)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from ..conftest import ROOT, running_server


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


def start_on(port: int) -> subprocess.CompletedProcess:
    """Run ``convscope`` on a port expected to be taken: it must end by itself."""
    command = [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_a_taken_port_is_reported_and_the_command_exits(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = start_on(port)
    assert done.returncode == 2 and done.stdout == ""
    assert f"port {port} on 127.0.0.1 is in use by another program" in done.stderr
    assert "--port 0" in done.stderr and "Traceback" not in done.stderr


def test_another_convscope_on_the_port_is_named(server_url):
    port = int(server_url.rsplit(":", 1)[1].strip("/"))
    done = start_on(port)
    assert done.returncode == 2
    assert f"in use by another Convscope, open at http://localhost:{port}/" in done.stderr


def test_port_0_takes_any_free_port(tmp_path):
    with running_server(0, log=tmp_path / "server.log") as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        assert port != 0
        assert json.loads(urllib.request.urlopen(url + "healthz", timeout=5).read())["ok"] is True


def get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_serving_a_class_prints_the_network_address_and_answers_to_it(tmp_path):
    import socket

    from app.cli import lan_addresses

    addresses = lan_addresses()  # none on a machine with loopback only: then the machine's name is the check
    with running_server(0, log=tmp_path / "server.log", host="0.0.0.0") as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        printed = (tmp_path / "server.log").read_text()
        assert printed.count("on your network: http://") == len(addresses)
        for address in addresses:
            assert f"on your network: http://{address}:{port}/" in printed
            status, body = get(f"http://{address}:{port}/healthz")  # as a student's phone asks
            assert status == 200 and json.loads(body)["ok"] is True
        # A phone that reaches the laptop by its name sends that name as the Host.
        status, body = get(f"http://127.0.0.1:{port}/healthz", host=f"{socket.gethostname()}:{port}")
        assert status == 200 and json.loads(body)["ok"] is True
        assert get(f"http://127.0.0.1:{port}/healthz", host="evil.example")[0] == 400  # still no other names
