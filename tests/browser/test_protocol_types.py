"""The browser's table of request types (static/js/socket.js) matches the server's models."""

from __future__ import annotations

import json
import re
from pathlib import Path

from app.protocol import ANSWERS, REQUESTS

SOCKET_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "socket.js"


def test_browser_request_types_match_the_server():
    source = SOCKET_JS.read_text()
    block = re.search(r"export const REQUEST_TYPES = (\{.*?\});", source, re.S).group(1)
    table = json.loads(re.sub(r",\s*}", "}", block))
    assert set(table) == set(REQUESTS)
    assert table == ANSWERS
