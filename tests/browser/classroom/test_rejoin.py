"""Phones that lose the class come back by themselves: the server restarted under them (the class kept in
its file), or the page hidden and shown again (a phone that slept); each catches up on what it missed."""

from __future__ import annotations

import signal

import pytest

from app.cli import free_port
from tests.app.features.classroom.conftest import command, printed_class

from ..restartable import wait_engine_ready
from .conftest import join, pages_of

# A server of its own, stopped and started again: alone under `-n`.
pytestmark = pytest.mark.serial
STORE = "window.convscope.store.get()"


@pytest.mark.parametrize("stop", ["terminate", "kill"])
def test_phones_rejoin_a_restarted_server_and_catch_up(browser, tmp_path, stop):
    port = free_port()
    url = f"http://localhost:{port}/"
    with pages_of(browser, ignore_away=True) as pages:
        with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (proc, log):
            code, key, _ = printed_class(log)
            wait_engine_ready(url)
            teacher = pages.instructor()
            teacher.goto(f"{url}class/teach#code={code}&key={key}")
            teacher.wait_for_url(url)
            teacher.goto(url + "playground?s=2")
            phones = [pages.phone() for _ in range(2)]
            for phone in phones:
                join(phone, url, code)
                phone.wait_for_function(f"{STORE}.stride === 2")
            teacher.click(".class-chip")
            teacher.get_by_role("button", name="The output's width").click()
            phones[0].locator("#class-number-input").fill("3")
            phones[0].locator(".class-number button").tap()
            phones[0].wait_for_function("window.convscopeClass.state.mine")
            teacher.wait_for_timeout(600)  # the class file is written a moment after the answer
            proc.send_signal(signal.SIGKILL if stop == "kill" else signal.SIGTERM)
            proc.wait(timeout=15)
        for phone in phones:
            phone.wait_for_function("window.convscopeClass.state && document.body.classList.contains('server-away')")
        with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port):
            wait_engine_ready(url)
            for page in (teacher, *phones):  # each socket reconnects by itself (backoff up to 4 s)
                page.wait_for_function("window.convscope.socket.connected", timeout=30_000)
            teacher.wait_for_function("window.convscopeClass.state.count === 2", timeout=30_000)
            teacher.evaluate("window.convscope.store.set({stride: 3})")  # a change made after the restart
            for phone in phones:
                phone.wait_for_function(f"{STORE}.stride === 3", timeout=10_000)
                assert phone.evaluate("window.convscopeClass.state.poll.id") == 1  # the poll survived
            assert phones[0].evaluate("window.convscopeClass.state.mine.label") == "3"  # and the answer
            teacher.get_by_role("button", name="Reveal the answer").click()
            phones[0].locator(".class-verdict").wait_for()
            assert teacher.evaluate("window.convscopeClass.state.tally.total") == 1


def test_a_phone_that_slept_catches_up_when_shown_again(browser, tmp_path):
    port = free_port()
    url = f"http://localhost:{port}/"
    asleep = {"now": False}

    def network(ws):  # between the phone and the server: asleep, what the server sends never arrives
        server = ws.connect_to_server()
        server.on_message(lambda message: None if asleep["now"] else ws.send(message))

    # the pages close before the server stops: a page still open would log its refused reconnection
    with command("--class", "--host", "127.0.0.1", data=tmp_path, port=port) as (_, log), pages_of(browser) as pages:
        code, key, _ = printed_class(log)
        wait_engine_ready(url)
        teacher = pages.instructor()
        teacher.goto(f"{url}class/teach#code={code}&key={key}")
        teacher.wait_for_url(url)
        teacher.goto(url + "playground")
        phone = pages.phone()
        phone.route_web_socket("**/ws", network)
        join(phone, url, code)
        asleep["now"] = True
        teacher.evaluate("window.convscope.store.set({padding: 2})")
        teacher.click(".class-chip")
        teacher.get_by_role("button", name="The output's width").click()
        teacher.wait_for_timeout(800)  # long enough for both to have reached an awake phone
        assert phone.evaluate(f"{STORE}.padding") == 0 and phone.locator(".class-card").is_hidden()
        asleep["now"] = False
        phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # the screen comes back on
        phone.wait_for_function(f"{STORE}.padding === 2", timeout=30_000)
        phone.wait_for_selector(".class-card:not([hidden])", timeout=30_000)
