"""One websocket session: read requests, answer them (small ones on the event loop, the rest on worker
threads), send the answers.

Each request type has a lane holding at most one waiting request: a newer one
replaces it (the older is dropped without an answer, since the page has moved
on), while the one already running finishes and is answered. Lanes of
different types run side by side, at most ``MAX_COMPUTING`` at once, each holding
its slot until its answer is sent. All sends go through one lock, so frames from
two lanes never interleave.

What one page can make the server hold is bounded: its waiting requests by their
bytes, its answers by the slots, and a send that the page does not take in
within ``SEND_SECONDS`` cuts its socket (a tab that stopped reading would
otherwise pin every answer it was sent). Closing the socket cancels every lane.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque

import anyio
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from .dispatch import Reply, answer, answer_small
from .errors import error, explain, show
from .limits import (
    MAX_COMPUTING,
    MAX_FRAME_BYTES,
    MAX_ID,
    MAX_LANES,
    MAX_REQUESTS_PER_SECOND,
    MAX_WAITING_BYTES,
    SEND_SECONDS,
)
from .models import Request
from .occupancy import Occupancy
from .table import Table

log = logging.getLogger("convscope.session")

POLICY_VIOLATION = 1008
GOING_AWAY = 1001
# JSON under this size parses faster on the loop than a hop to a thread takes.
PARSE_ON_LOOP = 64 * 1024


class Frame:
    """A big request's frame as it came: parsed again on the worker when its turn comes.

    Parsed, a grid's numbers take about six times the bytes of their text, so a request
    that waits in its lane waits as text.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: str | bytes):
        self.raw = raw


def _answer(table: Table, id: int, type_name: str, params: dict | Frame) -> Reply:
    if isinstance(params, Frame):
        params = json.loads(params.raw).get("params", {})  # it passed the envelope's checks once already
    return answer(table, id, type_name, params)


def _size(raw: str | bytes) -> int:
    """Bytes of a message; text is only encoded to count it when the count could matter."""
    if isinstance(raw, bytes) or len(raw) * 4 <= MAX_FRAME_BYTES or len(raw) > MAX_FRAME_BYTES:
        return len(raw)  # a UTF-8 character is 1 to 4 bytes, so this is exact enough either way
    return len(raw.encode())


class Lane:
    """The requests of one type for one session: one running, at most one waiting."""

    def __init__(self, session: Session, type_name: str):
        self.session, self.type_name = session, type_name
        self.waiting: tuple[int, dict | Frame, int] | None = None  # (id, params, the frame's bytes)
        self.task: asyncio.Task | None = None

    @property
    def waiting_bytes(self) -> int:
        return 0 if self.waiting is None else self.waiting[2]

    def submit(self, id: int, params: dict | Frame, size: int) -> None:
        self.waiting = (id, params, size)  # supersedes any request still waiting
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain(), name=f"lane {self.type_name}")

    async def _drain(self) -> None:
        while self.waiting is not None:
            async with self.session.computing:  # held until the answer is sent: bounds what is held
                if self.waiting is None:  # taken back while this lane waited for a slot
                    return
                (id, params, size), self.waiting = self.waiting, None
                # A slider's request costs less than the hop to a worker thread: answered here.
                reply = (
                    None
                    if isinstance(params, Frame)
                    else answer_small(self.session.table, id, self.type_name, params, size)
                )
                if reply is None:
                    # abandon_on_cancel: on disconnect the task ends at once; the worker thread
                    # finishes its (bounded) computation and its answer is dropped.
                    reply = await anyio.to_thread.run_sync(
                        _answer,
                        self.session.table,
                        id,
                        self.type_name,
                        params,
                        abandon_on_cancel=True,
                        limiter=self.session.limiter,
                    )
                await self.session.send(reply)

    def cancel(self) -> None:
        self.waiting = None
        if self.task is not None:
            self.task.cancel()


class Session:
    def __init__(
        self,
        websocket: WebSocket,
        table: Table,
        idle_seconds: float,
        limiter: anyio.CapacityLimiter | None = None,
        occupancy: Occupancy | None = None,
    ):
        self.ws = websocket
        self.table = table
        self.idle_seconds = idle_seconds
        self.limiter = limiter  # worker threads shared by every session's engine work
        self.lanes: dict[tuple[str, str | None], Lane] = {}  # keyed by (type, lane)
        self.send_lock = asyncio.Lock()
        self.recent: deque[float] = deque()  # arrival times within the last second
        self.last_seen = time.monotonic()
        self.closed = False
        self.send_failed = False  # logged once per session
        self.desks: dict[str, object] = {}  # by feature: the page's desks (its training job), made on first use
        self.occupancy = occupancy or Occupancy()
        self.computing = asyncio.Semaphore(MAX_COMPUTING)

    async def send(self, reply: Reply) -> None:
        async with self.send_lock:
            if self.closed:
                return
            try:
                message = {"type": "websocket.send", "bytes" if isinstance(reply, bytes) else "text": reply}
                await asyncio.wait_for(self.ws.send(message), SEND_SECONDS)
            except TimeoutError:  # the page stopped reading: cut it off rather than hold its answers
                log.warning("a page took in nothing for %.0f s; its connection was cut", SEND_SECONDS)
                self._abort()
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True  # the page went away mid-send; the read loop ends the session
            except Exception:  # a frame of ours that cannot be sent: a bug; the page keeps its socket
                if not self.send_failed:
                    log.exception("sending a frame failed")
                self.send_failed = True

    def _abort(self) -> None:
        """Drop the connection at once, unsent bytes and all (a polite close would wait behind them)."""
        self.closed = True
        abort = self.ws.scope.get("convscope.abort")  # set by the server's outermost middleware
        if abort is not None:
            abort()
        self.reader.cancel()  # the read loop ends the session (without a transport, this is the way out)

    async def close(self, code: int, reason: str) -> None:
        async with self.send_lock:
            if not self.closed:
                self.closed = True
                with contextlib.suppress(RuntimeError, OSError):
                    await self.ws.close(code, reason)

    async def run(self) -> None:
        self.reader = asyncio.current_task()
        await self.ws.accept()
        watchdog = asyncio.create_task(self._close_when_idle(), name="idle watchdog")
        try:
            while not self.closed:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect" or self.closed:
                    break
                self.last_seen = time.monotonic()
                raw = message.get("text") if message.get("text") is not None else message.get("bytes") or b""
                size = _size(raw)
                if not await self._admit(size):
                    break
                try:
                    await self._dispatch(raw, size)
                except Exception:  # a bug of ours must not cost the page its socket
                    log.exception("dispatching a message failed")
                    await self.send(
                        error(None, "internal", None, "the server failed to read this message; the error was logged")
                    )
        except WebSocketDisconnect:
            pass
        except asyncio.CancelledError:
            if not self.closed:  # the server is stopping, not a page cut off by _abort
                raise
            self.reader.uncancel()
        finally:
            self.closed = True
            watchdog.cancel()
            for lane in self.lanes.values():
                lane.cancel()
            self.lanes.clear()
            for desk in self.desks.values():
                desk.close()  # ends the job: nothing trains for a page that left

    async def _admit(self, size: int) -> bool:
        """False (and the socket closed with 1008) for abuse: an oversized frame or a flood."""
        if size > MAX_FRAME_BYTES:
            await self.send(
                error(
                    None,
                    "too_large",
                    None,
                    f"a message must be at most 8 MB, got {size / 2**20:.1f} MB; closing the connection",
                )
            )
            await self.close(POLICY_VIOLATION, "message over 8 MB")
            return False
        now = time.monotonic()
        self.recent.append(now)
        while self.recent and self.recent[0] <= now - 1.0:
            self.recent.popleft()
        if len(self.recent) > MAX_REQUESTS_PER_SECOND:
            await self.close(POLICY_VIOLATION, f"more than {MAX_REQUESTS_PER_SECOND} requests a second")
            return False
        return True

    async def _dispatch(self, raw: str | bytes, size: int) -> None:
        try:
            if len(raw) > PARSE_ON_LOOP:
                data = await anyio.to_thread.run_sync(json.loads, raw, abandon_on_cancel=True)
            else:
                data = json.loads(raw)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            return await self.send(error(None, "bad_json", None, "the message is not valid JSON"))
        if not isinstance(data, dict):
            return await self.send(
                error(
                    None,
                    "bad_json",
                    None,
                    f"the message must be a JSON object {{id, type, params}}, got a {type(data).__name__}",
                )
            )
        raw_id = data.get("id")
        id = raw_id if isinstance(raw_id, int) and not isinstance(raw_id, bool) and 1 <= raw_id <= MAX_ID else None
        try:
            request = Request.model_validate(data)
        except ValidationError as exc:
            return await self.send(error(id, "invalid", *explain(exc, Request, "the message")))
        message = self.table.messages.get(request.type)
        if message is None:
            known = ", ".join(self.table.messages)
            return await self.send(
                error(request.id, "unknown_type", "type", f"type must be one of {known}, got {show(request.type)}")
            )
        if message.handler is None:  # a message its feature's desk answers, in order, with the page's state
            feature = self.table.feature_of[request.type]
            desk = self.desks.get(feature.name)
            if desk is None:
                desk = self.desks[feature.name] = feature.desk(self.send, self.limiter, self.occupancy)
            return await desk.submit(request.id, request.type, request.params)
        key = (request.type, request.lane)
        lane = self.lanes.get(key)
        if lane is None:
            if len(self.lanes) >= MAX_LANES:
                return await self.send(
                    error(
                        request.id,
                        "invalid",
                        "lane",
                        f"lane: a page may use at most {MAX_LANES} distinct (type, lane) pairs; reuse a lane name",
                    )
                )
            lane = self.lanes[key] = Lane(self, request.type)
        waiting = sum(other.waiting_bytes for other in self.lanes.values() if other is not lane)
        if waiting and waiting + size > MAX_WAITING_BYTES:  # one request alone is bounded by the frame cap
            message = (
                f"params: a page's requests waiting for the server may add up to {MAX_WAITING_BYTES // 2**20} MB, "
                f"{waiting / 2**20:.1f} MB already wait; wait for their answers"
            )
            return await self.send(error(request.id, "busy", "params", message))
        lane.submit(request.id, Frame(raw) if len(raw) > PARSE_ON_LOOP else request.params, size)

    async def _close_when_idle(self) -> None:
        """Close a page that has sent nothing for ``idle_seconds``; it reconnects when used again."""
        while not self.closed:
            busy = any(lane.task is not None and not lane.task.done() for lane in self.lanes.values())
            busy = busy or any(desk.busy for desk in self.desks.values())
            quiet = time.monotonic() - self.last_seen
            if quiet >= self.idle_seconds and not busy:
                await self.close(GOING_AWAY, "idle")
                return
            await asyncio.sleep(max(0.05, min(self.idle_seconds - quiet, self.idle_seconds, 30.0)))
