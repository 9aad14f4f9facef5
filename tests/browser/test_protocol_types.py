"""The browser's table of request types (static/js/socket.js) matches the server's models."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.protocol import ANSWERS, REQUESTS

SOCKET_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "socket.js"
# Server types no page sends yet (none now: the backprop widget sends the gradient types);
# remove a name here once socket.js learns it, so the page cannot silently forget a type.
NOT_YET_IN_THE_PAGE: set[str] = set()


def test_browser_request_types_match_the_server():
    source = SOCKET_JS.read_text()
    block = re.search(r"export const REQUEST_TYPES = (\{.*?\});", source, re.S).group(1)
    table = json.loads(re.sub(r",\s*}", "}", block))
    assert set(table) <= set(REQUESTS), set(table) - set(REQUESTS)  # every type the page sends exists on the server
    assert table == {name: ANSWERS[name] for name in table}  # and expects the answer the server gives
    assert set(REQUESTS) - set(table) == NOT_YET_IN_THE_PAGE - set(table)
    assert NOT_YET_IN_THE_PAGE <= set(REQUESTS)


def test_the_page_never_gives_up_on_requests_the_server_carries_out_in_order():
    """Training controls are queued, not superseded, on the server; the page must wait for each answer."""
    from app.protocol_training import IN_ORDER

    source = SOCKET_JS.read_text()
    listed = re.search(r"const IN_ORDER = new Set\(\[(.*?)\]\)", source, re.S).group(1)
    assert set(re.findall(r'"([\w.]+)"', listed)) == set(IN_ORDER)
