"""This process's side of every class: the pages it holds, and the store's events turned into frames for them.

Each event is encoded once, as one binary frame, and that same frame is offered to every
student (or instructor) page of the class here: 200 phones cost one encoding, not 200. A page
takes frames through its own small outbox that keeps the newest of each kind, so one slow
phone never holds up the others or makes the server queue for it. Answers and arrivals come in
bursts; the tally and the headcount the projector shows are published at most ten times a
second per class, carrying a version so that an older tally never replaces a newer one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Protocol

from ...core import wire
from . import models
from .polls import PollRecord, tally
from .store import ClassStore

log = logging.getLogger("convscope.classroom")

NEWS_SECONDS = 0.1  # tallies and headcounts: at most ten a second per class
HEARTBEAT_SECONDS = 5.0  # a shared store hears which devices this process still holds


class Member(Protocol):
    def offer(self, kind: str, frame: bytes) -> None: ...


class Room:
    """One class's pages on this process."""

    def __init__(self):
        self.students: dict[Member, str] = {}  # page -> its device
        self.teachers: set[Member] = set()
        self.sockets: Counter[str] = Counter()  # device -> its pages here (a phone with two tabs is one student)


class Hub:
    def __init__(self, store: ClassStore, join: str = "http://localhost:8765/join", lan: bool = False):
        self.store = store
        self.join = join  # where students open the class: the server's network address when it serves one
        self.lan = lan  # whether the server listens on the network (else only this machine reaches it)
        self.rooms: dict[str, Room] = {}
        self.versions: dict[str, int] = {}  # class -> newest tally version sent here
        self.pending: dict[tuple[str, str], asyncio.TimerHandle] = {}  # (class, "tally"|"count") -> timer
        self.tally_poll: dict[str, int] = {}
        self.starting: asyncio.Future | None = None
        self.heartbeat: asyncio.Task | None = None
        store.listen(self.on_event)

    async def ensure_started(self) -> None:
        """Start hearing the store's events (on the server's loop, when the first class page arrives).

        Pages that arrive together wait for the same start; a start that failed (Redis unreachable) is
        tried again by the next page."""
        if self.starting is None:
            self.starting = asyncio.ensure_future(self._start())
        try:
            await asyncio.shield(self.starting)
        except Exception:
            self.starting = None
            raise

    async def _start(self) -> None:
        await self.store.start()
        self.heartbeat = asyncio.create_task(self._beat(), name="class heartbeat")

    async def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await self.store.close()

    # -- pages coming and going --

    async def add_student(self, code: str, device: str, page: Member) -> None:
        room = self.rooms.setdefault(code, Room())
        room.students[page] = device
        room.sockets[device] += 1
        if room.sockets[device] == 1:
            await self.store.arrive(code, device)
            self.count_soon(code)

    async def remove_student(self, code: str, page: Member) -> None:
        room = self.rooms.get(code)
        device = room.students.pop(page, None) if room else None
        if device is None:
            return
        room.sockets[device] -= 1
        if room.sockets[device] <= 0:
            del room.sockets[device]
            await self.store.depart(code, device)
            self.count_soon(code)
        self._drop_if_empty(code)

    def add_teacher(self, code: str, page: Member) -> None:
        self.rooms.setdefault(code, Room()).teachers.add(page)

    def remove_teacher(self, code: str, page: Member) -> None:
        room = self.rooms.get(code)
        if room is not None:
            room.teachers.discard(page)
            self._drop_if_empty(code)

    def _drop_if_empty(self, code: str) -> None:
        room = self.rooms.get(code)
        if room is not None and not room.students and not room.teachers:
            del self.rooms[code]

    # -- news published for every process --

    def tally_soon(self, code: str, poll_id: int) -> None:
        self.tally_poll[code] = poll_id
        self._soon(code, "tally", self._publish_tally)

    def count_soon(self, code: str) -> None:
        self._soon(code, "count", self._publish_count)

    def _soon(self, code: str, what: str, fn) -> None:
        if (code, what) in self.pending:
            return
        loop = asyncio.get_running_loop()

        def fire():
            self.pending.pop((code, what), None)
            loop.create_task(self._quietly(fn(code)))

        self.pending[(code, what)] = loop.call_later(NEWS_SECONDS, fire)

    async def _quietly(self, work) -> None:
        try:
            await work
        except Exception:  # the store was unreachable a moment: the next answer or heartbeat tries again
            log.exception("publishing class news failed")

    async def _publish_tally(self, code: str) -> None:
        poll_id = self.tally_poll.get(code)
        poll = await self.store.get_poll(code, poll_id) if poll_id else None
        if poll is None:
            return
        counts, version = await self.store.counts(code, poll_id)
        await self.store.publish(code, {"kind": "tally", "version": version, "tally": tally(poll, counts)})

    async def _publish_count(self, code: str) -> None:
        if await self.store.get(code) is not None:
            await self.store.publish(code, {"kind": "count", "count": await self.store.headcount(code)})

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            for code, room in list(self.rooms.items()):
                with contextlib.suppress(Exception):
                    await self.store.refresh(code, list(room.sockets))
                    if room.teachers:
                        await self._publish_count(code)  # a process that died no longer counts its phones

    async def tally_now(self, code: str, poll: PollRecord) -> dict:
        counts, _ = await self.store.counts(code, poll.id)
        return tally(poll, counts)

    # -- events from the store, as frames for the pages here --

    def on_event(self, code: str, event: dict) -> None:
        room = self.rooms.get(code)
        kind = event.get("kind")
        if kind == "tally":
            if event["version"] < self.versions.get(code, -1):
                return  # an older count, overtaken on its way here
            self.versions[code] = event["version"]
        if room is None:
            return
        if kind == "stage":
            self._send(room.students, "follow", models.FOLLOW, event["stage"])
        elif kind == "poll":
            poll = PollRecord.from_dict(event["poll"])
            self._send(room.students, "question", models.QUESTION, {"poll": poll.for_students()})
            empty = tally(poll, {})
            self._send(room.teachers, "tally", models.TALLY, {"poll": poll.for_instructors(), "tally": empty})
        elif kind == "reveal":
            poll = PollRecord.from_dict(event["poll"])
            result = {"poll": poll.for_students(), "tally": event["tally"]}
            self._send([*room.students, *room.teachers], "result", models.RESULT, result)
        elif kind == "tally":
            self._send(room.teachers, "tally", models.TALLY, {"tally": event["tally"]})
        elif kind == "count":
            self._send(room.teachers, "count", models.COUNT, {"count": event["count"]})
        elif kind == "end":
            self._send([*room.students, *room.teachers], "closed", models.CLOSED, {"code": code})
            self.rooms.pop(code, None)

    @staticmethod
    def _send(pages, kind: str, frame_type: str, meta: dict) -> None:
        pages = list(pages)
        if not pages:
            return
        frame = wire.encode(None, frame_type, meta)  # once, for every page
        for page in pages:
            page.offer(kind, frame)
