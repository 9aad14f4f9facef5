"""Only pages this server serves may drive it: the Host and a websocket's Origin must name this server.

A page on any other site a student visits could otherwise open a websocket to the
server on their laptop (a browser lets any page try), and a name that resolves to
127.0.0.1 (DNS rebinding) could reach its pages. Requests whose Host is not one of
the names the server answers to get 400; a websocket whose Origin is another site
is refused before it opens (the browser sees 403). Clients that send no Origin
(not a browser) are let through: the Host check still holds for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


def host_name(netloc: str) -> str:
    """``"[::1]:8765"`` → ``"::1"``, ``"Example.org:80"`` → ``"example.org"``."""
    netloc = netloc.strip().lower()
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")] if "]" in netloc else netloc
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class HostGuard:
    """ASGI middleware: refuse a request for a host, or a websocket from an origin, this server is not."""

    def __init__(self, app: ASGIApp, names: Iterable[str] = ()):
        self.app = app
        self.names = {*LOCAL_NAMES, *(host_name(n) for n in names)}

    def allowed(self, scope: Scope) -> bool:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if host_name(headers.get("host", "")) not in self.names:
            return False
        origin = headers.get("origin")
        return scope["type"] != "websocket" or origin is None or host_name(urlsplit(origin).netloc) in self.names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.allowed(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "this server serves its own pages only"})
        else:
            body = b"This server answers only to its own address (localhost)."
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": body})
