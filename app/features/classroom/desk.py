"""One page's class desk: the class.* messages it sends, answered in order, and the class's frames pushed to it.

A student's page may join, answer and leave; every other message must carry the class's
secret, checked against the hash the store keeps, or it is refused naming ``key``. Nothing
a page sends reaches another page's answer: answers are keyed by the device that joined on
this socket. Each kind of message has its own rate (a flood gets ``busy``, never a closed
socket), and wrong class codes are rationed so that codes cannot be tried one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import anyio
from pydantic import ValidationError

from engine.errors import ArgumentError

from ...core import wire
from ...core.errors import Problem, error, explain
from ...core.guard import LOCAL_NAMES, host_name
from . import models
from .polls import bucket, label
from .predict import make_poll
from .room import holds_key, hub, open_class

log = logging.getLogger("convscope.classroom")

Send = Callable[[bytes | str], Awaitable[None]]

MODELS = {
    "class.join": (models.Join, models.JOINED),
    "class.answer": (models.Answer, models.ANSWERED),
    "class.leave": (models.Leave, models.LEFT),
    "class.start": (models.Start, models.STARTED),
    "class.teach": (models.Teach, models.TEACHING),
    "class.stage": (models.Stage, models.STAGED),
    "class.poll": (models.Poll, models.POLLED),
    "class.reveal": (models.Reveal, models.REVEALED),
    "class.end": (models.End, models.ENDED),
}
STUDENT = ("class.join", "class.answer", "class.leave")
NOT_REACHABLE = (
    "This server listens on this computer only, so phones and other laptops cannot reach it. "
    "Stop it and start it again with `convscope --class` (it serves your network and prints the links)."
)
NO_CLASS = "there is no class {code} on this server: check the code on the screen (a class that ended has no code)"


class Rate:
    """A token bucket: ``per_second`` on average, ``burst`` at once."""

    def __init__(self, per_second: float, burst: int):
        self.per_second, self.burst = per_second, burst
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# What one page may send: (per second, at once, how the refusal says it).
RATES = {
    "any": (20, 40, "20 class messages a second"),
    "class.join": (2, 10, "2 joins a second"),
    "class.answer": (4, 8, "4 answers a second"),
    "class.start": (0.1, 2, "one new class every 10 seconds"),
    "wrong_code": (0.1, 5, "a wrong class code every 10 seconds"),
}


def nickname_text(raw: str | None) -> str:
    """A nickname as the results show it: printable characters, spaces squeezed; "" for none."""
    if raw is None:
        return ""
    kept = "".join(ch for ch in raw if unicodedata.category(ch)[0] not in ("C",))
    return " ".join(kept.split())[:24]


class ClassDesk:
    """Made on the page's first class.* message; its outbox carries the class's pushed frames."""

    job = None  # no training job here (the server's health count reads every desk's)

    def __init__(self, send: Send, limiter: anyio.CapacityLimiter | None = None, occupancy=None):
        self.send, self.limiter = send, limiter
        self.hub = hub()
        self.joined: tuple[str, str] | None = None  # (class, device) this page answers for
        self.teaching: str | None = None
        self.rates = {name: Rate(per, burst) for name, (per, burst, _) in RATES.items()}
        self.outbox: dict[str, bytes] = {}  # the newest frame of each kind not yet sent
        self.ready = asyncio.Event()
        self.closed = False
        self.task = asyncio.create_task(self._deliver(), name="class outbox")

    @property
    def busy(self) -> bool:
        """A page in a class hears from it without asking: it is never closed for being idle."""
        return self.joined is not None or self.teaching is not None

    # -- the class's frames --

    def offer(self, kind: str, frame: bytes) -> None:
        self.outbox.pop(kind, None)  # the newest goes last: a reveal then the next question stay in order
        self.outbox[kind] = frame
        if kind == "closed":
            self.joined = self.teaching = None
        self.ready.set()

    async def _deliver(self) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            while self.outbox:
                kind = next(iter(self.outbox))
                await self.send(self.outbox.pop(kind))

    def close(self) -> None:
        self.closed = True
        self.task.cancel()
        joined, teaching = self.joined, self.teaching
        self.joined = self.teaching = None
        if teaching:
            self.hub.remove_teacher(teaching, self)
        if joined:
            with contextlib.suppress(RuntimeError):  # no loop: the server is stopping, the room goes with it
                asyncio.get_running_loop().create_task(self.hub.remove_student(joined[0], self))

    # -- requests --

    async def submit(self, id: int, type_name: str, params: dict) -> None:
        model, answer = MODELS[type_name]
        try:
            p = model.model_validate(params)
        except ValidationError as exc:
            return await self.send(error(id, "invalid", *explain(exc, model, type_name)))
        try:
            self._admit("any")
            if type_name in self.rates:
                self._admit(type_name)
            await self.hub.ensure_started()
            meta = await getattr(self, "_" + type_name.split(".")[1])(p)
            reply = wire.encode(id, answer, meta)
        except Problem as p:
            reply = error(id, p.code, p.field, p.message)
        except ArgumentError as exc:
            reply = error(id, "invalid" if exc.fits else "does_not_fit", f"predict.{exc.argument}", str(exc))
        except Exception:
            log.exception("%s request %s failed", type_name, id)
            reply = error(id, "internal", None, f"the server failed while answering {type_name}; the error was logged")
        await self.send(reply)

    def _admit(self, name: str) -> None:
        if not self.rates[name].take():
            raise Problem("busy", "type", f"a page may send at most {RATES[name][2]}; wait a moment and try again")

    async def _class(self, code: str):
        record = await self.hub.store.get(code)
        if record is None:
            raise Problem("invalid", "code", NO_CLASS.format(code=code))
        return record

    async def _instructor(self, p: models.Instructor):
        record = await self._class(p.code)
        if not holds_key(record, p.key):
            raise Problem("invalid", "key", "key: only the instructor's link drives the class, and this is not its key")
        return record

    # -- a student's --

    async def _join(self, p: models.Join) -> dict:
        record = await self.hub.store.get(p.code)
        if record is None:
            self._admit("wrong_code")  # guesses are rationed: codes cannot be tried one after another
            raise Problem("invalid", "code", NO_CLASS.format(code=p.code))
        if self.joined is not None and self.joined != (p.code, p.device):
            await self._leave(None)
        if self.joined is None:
            await self.hub.add_student(p.code, p.device, self)
            self.joined = (p.code, p.device)
        if nickname_text(p.nickname):
            await self.hub.store.set_nickname(p.code, p.device, nickname_text(p.nickname))
        meta = {"code": p.code, "stage": record.stage, "poll": None, "mine": None, "result": None}
        poll = await self.hub.store.get_poll(p.code, record.poll) if record.poll else None
        if poll is not None:
            meta["poll"] = poll.for_students()
            mine = await self.hub.store.answer_of(p.code, poll.id, p.device)
            meta["mine"] = {"key": mine, "label": label(poll, mine)} if mine is not None else None
            if poll.revealed:
                meta["result"] = await self.hub.tally_now(p.code, poll)
        return meta

    async def _answer(self, p: models.Answer) -> dict:
        if self.joined is None:
            raise Problem("invalid", "poll", "join a class first (class.join), then answer its poll")
        code, device = self.joined
        record = await self._class(code)
        poll = await self.hub.store.get_poll(code, p.poll)
        if poll is None or record.poll != p.poll:
            current = f"the open poll is {record.poll}" if record.poll else "no poll is open"
            raise Problem("invalid", "poll", f"poll must be the open poll's number; {current}, got {p.poll}")
        if poll.revealed:
            raise Problem("invalid", "poll", f"poll {p.poll} is closed: its answer has been shown")
        key = bucket(poll, p.choice, p.value, p.text)
        if key is None:
            raise Problem("invalid", *_wrong_form(poll, p))
        if await self.hub.store.answer(code, p.poll, device, key) is None:
            raise Problem("invalid", "poll", f"poll {p.poll} is closed: its answer has been shown")
        self.hub.tally_soon(code, p.poll)
        return {"poll": p.poll, "answer": {"key": key, "label": label(poll, key)}}

    async def _leave(self, p: models.Leave | None) -> dict:
        if self.joined is not None:
            code, _ = self.joined
            self.joined = None
            await self.hub.remove_student(code, self)
            return {"left": code}
        return {"left": None}

    # -- the instructor's --

    def _join_address(self, origin: str | None) -> tuple[str, bool]:
        """Where students open the class, and whether they can reach it from their own devices."""
        if origin is not None and host_name(urlsplit(origin).netloc) not in LOCAL_NAMES:
            return origin.rstrip("/") + "/join", True  # the address the instructor's page reached: so can theirs
        return self.hub.join, self.hub.lan

    async def _overview(self, record, reachable: bool) -> dict:
        code = record.code
        poll = await self.hub.store.get_poll(code, record.poll) if record.poll else None
        return {
            "code": code,
            "join": record.join,
            "join_url": f"{record.join}?code={code}",
            "qr": f"/class/{code}/qr.svg",
            "results": f"/class/{code}/results.csv",
            "reachable": reachable,
            "note": None if reachable else NOT_REACHABLE,
            "count": await self.hub.store.headcount(code),
            "stage": record.stage,
            "poll": poll.for_instructors() if poll else None,
            "tally": await self.hub.tally_now(code, poll) if poll else None,
        }

    def _teach_here(self, code: str) -> None:
        if self.teaching and self.teaching != code:
            self.hub.remove_teacher(self.teaching, self)
        self.teaching = code
        self.hub.add_teacher(code, self)

    async def _start(self, p: models.Start) -> dict:
        join, reachable = self._join_address(p.origin)
        opened = await open_class(self.hub.store, join)
        if opened is None:
            n = self.hub.store.max_classes
            raise Problem("busy", "type", f"this server already holds {n} open classes, its limit; end one first")
        code, key = opened
        self._teach_here(code)
        return {**await self._overview(await self._class(code), reachable), "key": key}

    async def _teach(self, p: models.Teach) -> dict:
        record = await self._instructor(p)
        join, reachable = self._join_address(p.origin)
        if p.origin is not None and join != record.join and reachable:
            await self.hub.store.set_join(record.code, join)
            record = await self._class(record.code)
        self._teach_here(record.code)
        return await self._overview(record, reachable)

    async def _stage(self, p: models.Stage) -> dict:
        await self._instructor(p)
        stage = {"path": p.path, "query": p.query, "section": p.section, "state": p.state}
        stored = await self.hub.store.set_stage(p.code, stage)
        await self.hub.store.publish(p.code, {"kind": "stage", "stage": stored})
        return {"seq": stored["seq"]}

    async def _poll(self, p: models.Poll) -> dict:
        await self._instructor(p)
        poll_id = await self.hub.store.new_poll_id(p.code)
        poll = await anyio.to_thread.run_sync(make_poll, p, poll_id, limiter=self.limiter)
        await self.hub.store.put_poll(p.code, poll)
        await self.hub.store.publish(p.code, {"kind": "poll", "poll": poll.for_instructors()})
        return {"poll": poll.for_instructors(), "tally": await self.hub.tally_now(p.code, poll)}

    async def _reveal(self, p: models.Reveal) -> dict:
        await self._instructor(p)
        poll = await self.hub.store.reveal(p.code, p.poll)
        if poll is None:
            raise Problem("invalid", "poll", f"poll must be one of this class's polls, got {p.poll}")
        result = await self.hub.tally_now(p.code, poll)
        await self.hub.store.publish(p.code, {"kind": "reveal", "poll": poll.for_instructors(), "tally": result})
        return {"poll": poll.for_instructors(), "tally": result}

    async def _end(self, p: models.End) -> dict:
        await self._instructor(p)
        await self.hub.store.publish(p.code, {"kind": "end"})  # heard before the code is gone
        await self.hub.store.end(p.code)
        return {"code": p.code}


def _wrong_form(poll, p: models.Answer) -> tuple[str, str]:
    """The field an answer of the wrong kind gave, and what the poll takes."""
    if poll.form == "choice" and p.choice is not None:
        return "choice", f"choice must be from 0 to {len(poll.options) - 1} (this poll's options), got {p.choice}"
    given = next(name for name in ("choice", "value", "text") if getattr(p, name) is not None)
    takes = {
        "choice": "a choice (an option's number, from 0)",
        "value": "a number (value)",
        "text": "a short text (text), such as 16 × 16 × 16",
    }[poll.form]
    return given, f"{given}: this poll takes {takes}"
