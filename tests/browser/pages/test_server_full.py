"""A page the server has no room for says so, in the server's words, and gets in once a place frees."""

from __future__ import annotations

from app.core.occupancy import Occupancy
from app.pages import create_app

from ...app.conftest import Page, serve
from ..conftest import open_page, screenshot

# Chromium logs the refused handshake's close itself; that is the server saying "later", not the page.
CLOSED = "WebSocket connection"


def test_a_full_server_is_shown_as_full_and_the_page_gets_in_when_a_place_frees(browser):
    app = create_app(warm=False, occupancy=Occupancy(max_sessions=1))
    with serve(app) as host, open_page(browser, ignore=lambda text: CLOSED in text) as page:
        holder = Page(f"ws://{host}/ws")  # the one place, taken
        try:
            page.set_viewport_size({"width": 1024, "height": 768})
            page.goto(f"http://{host}/playground")
            note = page.locator(".offline-note")
            note.wait_for(state="visible")
            page.wait_for_function(
                "document.querySelector('.offline-title').textContent.startsWith('The server is full')"
            )
            assert "It says: the server is full (1 page open)" in note.inner_text()
            assert page.locator("input[type=range][data-key=stride]").is_disabled()
            screenshot(page, "server-full-1024")
        finally:
            holder.close()
        note.wait_for(state="hidden", timeout=30000)  # it tries again by itself and is let in
        assert page.locator("input[type=range][data-key=stride]").is_enabled()
        page.wait_for_function("window.convscope !== undefined")
        page.evaluate("window.convscope.ready")
