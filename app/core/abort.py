"""Let a session cut its connection at once, even when the page stopped reading.

A websocket close is a frame like any other: it waits behind the bytes the page
has not taken in, so for a page that stopped reading it never goes out. The
server's transport can drop the connection instead; this middleware, the
outermost, sees the server's own ``send`` (uvicorn's protocol object) and puts
its transport's ``abort`` in the scope as ``"convscope.abort"``. Under a server
without one the key is absent and the session ends its side only.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class AbortHandle:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None and hasattr(transport, "abort"):
                scope["convscope.abort"] = transport.abort
        await self.app(scope, receive, send)
