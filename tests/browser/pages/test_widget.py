"""Every widget type alone on its page (/widget/<type>): it mounts, asks the engine, draws, and
keeps its state in the URL; an unknown type gets a page that lists the real ones."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from app.features import TABLE

from ..conftest import screenshot

MODULE_TYPES = list(TABLE.widgets)


@pytest.mark.parametrize("type", MODULE_TYPES)
def test_each_widget_mounts_alone_and_draws_the_engines_answer(page, server_url, type):
    page.goto(f"{server_url}widget/{type}")
    page.wait_for_function("document.querySelector('#widget').dataset.ready", timeout=60_000)
    assert page.evaluate("window.convscopeWidget.type") == type
    # Ready means the first engine answer is drawn; the widget shows numbers, not only controls.
    assert any(ch.isdigit() for ch in page.locator("#widget").inner_text())
    screenshot(page, f"widget-{type}")


def test_an_unknown_widget_type_lists_the_real_ones(server_url):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{server_url}widget/no-such-widget", timeout=10)
    assert caught.value.code == 404
    text = caught.value.read().decode()
    assert all(t in text for t in MODULE_TYPES)
