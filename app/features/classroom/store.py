"""Where a class lives: the :class:`ClassStore` interface and its in-process implementation.

A class is one small record (its code, the hash of the instructor's secret, the join address,
what is on stage, the poll on screen) plus its polls, each poll's answers keyed by the device
that gave them (so a student who joins again changes their answer instead of adding one) and
their counts by bucket, and the optional nicknames. Every change the pages must hear of is an
event the store publishes to every server process's hub (:mod:`.hub`).

:class:`MemoryStore` keeps all of it in this process, the default, and writes it to a small
JSON file in the user's data folder a moment after each change (and when the server stops), so
a restarted server still has its class: same code, same secret, same results. As in Redis, a
class expires a day after its last stage or poll, so classes nobody ended never fill the
server's places (``max_classes``) for good. The Redis store (:mod:`.redis_store`) serves several
processes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .polls import PollRecord

log = logging.getLogger("convscope.classroom")

Listener = Callable[[str, dict], None]  # (class code, event)
SAVE_SECONDS = 0.2  # a burst of answers is written once
TTL_SECONDS = 24 * 3600  # a class lasts this long after its last stage or poll (both stores)


@dataclass
class ClassRecord:
    code: str
    key_hash: str
    created: float
    join: str  # the address students open, without the code: "http://192.168.1.20:8765/join"
    stage: dict | None = None  # {path, query, section, state, seq}
    poll: int | None = None  # the poll on screen


def data_dir() -> Path:
    """``$CONVSCOPE_DATA_DIR``, else ``$XDG_DATA_HOME/convscope``, else ``~/.local/share/convscope``."""
    given = os.environ.get("CONVSCOPE_DATA_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "convscope"


class ClassStore:
    """What a class store does. Every method is a coroutine run on the server's event loop."""

    max_classes = 64  # classes open at once: a prankster cannot fill the server's memory with them

    def __init__(self):
        self.listeners: list[Listener] = []

    def listen(self, fn: Listener) -> None:
        self.listeners.append(fn)

    async def start(self) -> None:
        """Begin hearing the other processes' events (a no-op in one process)."""

    async def close(self) -> None:
        """Write what is unwritten and let go of connections."""

    async def create(self, record: ClassRecord) -> bool:
        """Add a class; False when its code is taken (the caller draws another)."""
        raise NotImplementedError

    async def get(self, code: str) -> ClassRecord | None:
        raise NotImplementedError

    async def count_classes(self) -> int:
        raise NotImplementedError

    async def set_join(self, code: str, join: str) -> None:
        raise NotImplementedError

    async def set_stage(self, code: str, stage: dict) -> dict:
        """Put ``stage`` on stage with the next sequence number (``seq``); returns it as stored."""
        raise NotImplementedError

    async def new_poll_id(self, code: str) -> int:
        raise NotImplementedError

    async def put_poll(self, code: str, poll: PollRecord) -> None:
        """Keep ``poll`` and put it on screen: answers go to it from now on."""
        raise NotImplementedError

    async def get_poll(self, code: str, poll_id: int) -> PollRecord | None:
        raise NotImplementedError

    async def polls(self, code: str) -> list[PollRecord]:
        raise NotImplementedError

    async def answer(self, code: str, poll_id: int, device: str, key: str) -> int | None:
        """Count ``device``'s answer (replacing its earlier one) while ``poll_id`` is open.

        Returns the counts' new version, or None when the poll is not the open one (revealed or replaced).
        """
        raise NotImplementedError

    async def answer_of(self, code: str, poll_id: int, device: str) -> str | None:
        raise NotImplementedError

    async def counts(self, code: str, poll_id: int) -> tuple[dict[str, int], int]:
        """(answers by bucket, version): the version grows with every counted answer."""
        raise NotImplementedError

    async def answers(self, code: str) -> dict[int, dict[str, str]]:
        raise NotImplementedError

    async def reveal(self, code: str, poll_id: int) -> PollRecord | None:
        """Close ``poll_id`` and mark it revealed; None when there is no such poll."""
        raise NotImplementedError

    async def set_nickname(self, code: str, device: str, nickname: str) -> None:
        raise NotImplementedError

    async def nicknames(self, code: str) -> dict[str, str]:
        raise NotImplementedError

    async def end(self, code: str) -> bool:
        """Forget the class: its code stops working. False when there was none."""
        raise NotImplementedError

    async def arrive(self, code: str, device: str) -> None:
        """A device has its first socket in the class on this process."""
        raise NotImplementedError

    async def depart(self, code: str, device: str) -> None:
        """A device's last socket in the class on this process has gone."""
        raise NotImplementedError

    async def refresh(self, code: str, devices: list[str]) -> None:
        """The devices this process still holds (a heartbeat, for stores shared between processes)."""

    async def headcount(self, code: str) -> int:
        raise NotImplementedError

    async def publish(self, code: str, event: dict) -> None:
        raise NotImplementedError

    def _deliver(self, code: str, event: dict) -> None:
        for fn in self.listeners:
            try:
                fn(code, event)
            except Exception:  # one listener's bug must not stop the others hearing
                log.exception("a class event listener failed")


@dataclass
class _Class:
    record: ClassRecord
    polls: dict[int, PollRecord]
    answers: dict[int, dict[str, str]]  # poll id -> device -> bucket
    nicknames: dict[str, str]
    next_poll: int = 1
    seq: int = 0
    version: int = 0  # counted answers so far: tallies carry it so an older one never overwrites a newer
    touched: float = 0.0  # when it was made or last had a stage or a poll (time.time())

    def counts(self, poll_id: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for key in self.answers.get(poll_id, {}).values():
            out[key] = out.get(key, 0) + 1
        return out


class MemoryStore(ClassStore):
    """The classes of this one process, kept in ``path`` (a JSON file) when given."""

    def __init__(self, path: Path | None = None, clock: Callable[[], float] = time.time):
        super().__init__()
        self.path = path
        self.clock = clock
        self.classes: dict[str, _Class] = {}
        self.present: dict[str, set[str]] = {}  # code -> devices with a socket open
        self._save_timer: asyncio.TimerHandle | None = None
        self._saving: asyncio.Task | None = None
        self._load()

    # -- the file --

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text())
            for code, c in data.get("classes", {}).items():
                self.classes[code] = _Class(
                    record=ClassRecord(**c["record"]),
                    polls={int(i): PollRecord.from_dict(p) for i, p in c["polls"].items()},
                    answers={int(i): dict(a) for i, a in c["answers"].items()},
                    nicknames=dict(c.get("nicknames", {})),
                    next_poll=int(c["next_poll"]),
                    seq=int(c["seq"]),
                    version=int(c.get("version", 0)),
                    touched=float(c.get("touched", c["record"]["created"])),
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:  # a damaged file must not stop the server
            log.warning("the classes in %s could not be read (%s); starting without them", self.path, exc)

    def snapshot(self) -> str:
        classes = {
            code: {
                "record": asdict(c.record),
                "polls": {str(i): p.for_instructors() for i, p in c.polls.items()},
                "answers": {str(i): a for i, a in c.answers.items()},
                "nicknames": c.nicknames,
                "next_poll": c.next_poll,
                "seq": c.seq,
                "version": c.version,
                "touched": c.touched,
            }
            for code, c in self.classes.items()
        }
        return json.dumps({"version": 1, "classes": classes})

    def save_now(self) -> None:
        """Write the file at once (atomically: a crash mid-write leaves the old one)."""
        if self._save_timer is not None:
            self._save_timer.cancel()
            self._save_timer = None
        if self.path is not None:
            _write(self.path, self.snapshot())

    def _changed(self) -> None:
        if self.path is None or self._save_timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save_now()
            return
        self._save_timer = loop.call_later(SAVE_SECONDS, self._save_soon)

    def _save_soon(self) -> None:
        self._save_timer = None
        text = self.snapshot()  # taken on the loop: no other coroutine changes it meanwhile
        self._saving = asyncio.get_running_loop().create_task(asyncio.to_thread(_write, self.path, text))

    async def close(self) -> None:
        if self._saving is not None:
            with contextlib.suppress(Exception):
                await self._saving
        self.save_now()

    # -- the class --

    def _expire(self) -> None:
        """Forget the classes whose last stage or poll is more than a day old (Redis's keys expire so)."""
        old = self.clock() - TTL_SECONDS
        for code in [code for code, c in self.classes.items() if c.touched < old]:
            del self.classes[code]
            self.present.pop(code, None)
            self._changed()

    async def create(self, record: ClassRecord) -> bool:
        self._expire()
        if record.code in self.classes:
            return False
        self.classes[record.code] = _Class(record, {}, {}, {}, touched=self.clock())
        self._changed()
        return True

    async def get(self, code: str) -> ClassRecord | None:
        self._expire()
        c = self.classes.get(code)
        return c.record if c else None

    async def count_classes(self) -> int:
        self._expire()
        return len(self.classes)

    async def set_join(self, code: str, join: str) -> None:
        self.classes[code].record.join = join
        self._changed()

    async def set_stage(self, code: str, stage: dict) -> dict:
        c = self.classes[code]
        c.seq += 1
        c.record.stage = {**stage, "seq": c.seq}
        c.touched = self.clock()
        self._changed()
        return c.record.stage

    async def new_poll_id(self, code: str) -> int:
        c = self.classes[code]
        c.next_poll += 1
        return c.next_poll - 1

    async def put_poll(self, code: str, poll: PollRecord) -> None:
        c = self.classes[code]
        c.polls[poll.id] = poll
        c.answers.setdefault(poll.id, {})
        c.record.poll = poll.id
        c.touched = self.clock()
        self._changed()

    async def get_poll(self, code: str, poll_id: int) -> PollRecord | None:
        c = self.classes.get(code)
        return c.polls.get(poll_id) if c else None

    async def polls(self, code: str) -> list[PollRecord]:
        c = self.classes.get(code)
        return [c.polls[i] for i in sorted(c.polls)] if c else []

    async def answer(self, code: str, poll_id: int, device: str, key: str) -> int | None:
        c = self.classes.get(code)
        if c is None or c.record.poll != poll_id or c.polls[poll_id].revealed:
            return None
        if c.answers[poll_id].get(device) != key:
            c.answers[poll_id][device] = key
            c.version += 1
            self._changed()
        return c.version

    async def answer_of(self, code: str, poll_id: int, device: str) -> str | None:
        c = self.classes.get(code)
        return c.answers.get(poll_id, {}).get(device) if c else None

    async def counts(self, code: str, poll_id: int) -> tuple[dict[str, int], int]:
        c = self.classes.get(code)
        return (c.counts(poll_id), c.version) if c else ({}, 0)

    async def answers(self, code: str) -> dict[int, dict[str, str]]:
        c = self.classes.get(code)
        return {i: dict(a) for i, a in c.answers.items()} if c else {}

    async def reveal(self, code: str, poll_id: int) -> PollRecord | None:
        c = self.classes.get(code)
        poll = c.polls.get(poll_id) if c else None
        if poll is not None:
            poll.revealed = True
            self._changed()
        return poll

    async def set_nickname(self, code: str, device: str, nickname: str) -> None:
        c = self.classes.get(code)
        if c is not None and c.nicknames.get(device) != nickname:
            c.nicknames[device] = nickname
            self._changed()

    async def nicknames(self, code: str) -> dict[str, str]:
        c = self.classes.get(code)
        return dict(c.nicknames) if c else {}

    async def end(self, code: str) -> bool:
        self.present.pop(code, None)
        if self.classes.pop(code, None) is None:
            return False
        self._changed()
        return True

    # -- who is here, and the news --

    async def arrive(self, code: str, device: str) -> None:
        self.present.setdefault(code, set()).add(device)

    async def depart(self, code: str, device: str) -> None:
        self.present.get(code, set()).discard(device)

    async def headcount(self, code: str) -> int:
        return len(self.present.get(code, ()))

    async def publish(self, code: str, event: dict) -> None:
        self._deliver(code, event)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step; readable by its owner only (it holds the students' answers)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("the class could not be saved to %s (%s); it lives in memory only", path, exc)
