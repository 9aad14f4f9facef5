"""The server's caps: the engine's limits for a lesson's grids, and what one page may send."""

from __future__ import annotations

import dataclasses
import math

from engine import shapes

LIMITS = shapes.Limits()
MAX_VALUE = 1e6  # abs bound on any number in a grid: far beyond any lesson, far below float32 overflow
MAX_TRACE_STEPS = 4096
MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # decoded image file
MAX_FRAME_BYTES = 8 * 1024 * 1024  # one websocket message; larger closes the socket (abuse)
MAX_REQUESTS_PER_SECOND = 200
MAX_ID = 2**53 - 1  # the largest integer a browser's Number holds exactly
# A send the page has not taken in for this long means a page that stopped reading (a stuck tab, a
# hostile script): its socket is cut, so what it was sent cannot pile up in the server's memory.
SEND_SECONDS = 5.0
MAX_COMPUTING = 2  # one page's requests computed at once: bounds the answers it can hold unsent
# One page's requests waiting in their lanes, by their frames' size; one alone may be any frame up to 8 MB.
MAX_WAITING_BYTES = 4 * 1024 * 1024
MAX_LANES = 64  # distinct (type, lane) pairs one page may use; far above any lesson's widgets
# Base64 spends 4 characters per 3 bytes; leave room for a "data:image/png;base64," prefix.
MAX_UPLOAD_CHARS = 4 * math.ceil(MAX_UPLOAD_BYTES / 3) + 64


def limits() -> dict[str, int]:
    """The engine's limits by name, for the pages."""
    return dataclasses.asdict(LIMITS)
