"""How the ``convscope`` command sets up classes: the store (Redis when given, else this process and a
file), the address students open, and the class ``--class`` keeps open across restarts."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from .hub import Hub
from .room import configure, holds_key, open_class
from .store import ClassStore, MemoryStore, data_dir


def make_store(port: int, redis_url: str | None) -> ClassStore:
    if redis_url:
        from .redis_store import RedisStore  # imported only when asked for: the default needs no Redis client

        return RedisStore(redis_url)
    return MemoryStore(data_dir() / f"classes-{port}.json")


def join_address(host: str, port: int, network: list[str], every_address: bool) -> tuple[str, bool]:
    """The join page's address and whether other devices reach it: the first network address when serving
    every interface, the address given when one was, else this machine's own name (students cannot reach it)."""
    if every_address and network:
        return f"http://{network[0]}:{port}/join", True
    if not every_address and host not in ("127.0.0.1", "::1", "localhost"):
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/join", True
    return f"http://localhost:{port}/join", False


def setup(port: int, redis_url: str | None, join: str, lan: bool) -> Hub:
    return configure(make_store(port, redis_url), join, lan)


def _link_file(port: int) -> Path:
    return data_dir() / f"class-link-{port}.json"


async def _standing(store: ClassStore, port: int, join: str) -> tuple[str, str, bool]:
    try:
        kept = json.loads(_link_file(port).read_text())
        record = await store.get(kept["code"])
        if record is not None and holds_key(record, kept["key"]):
            await store.set_join(record.code, join)  # the laptop may be on another network since
            return kept["code"], kept["key"], True
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no class kept for this port, or an unreadable note of it: open a new one
    opened = await open_class(store, join)
    if opened is None:
        raise SystemExit("convscope: the class store already holds as many open classes as it may; end one first")
    code, key = opened
    path = _link_file(port)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the key drives the class: its owner's only
    with os.fdopen(fd, "w") as out:
        json.dump({"code": code, "key": key}, out)
    return code, key, False


def standing_class(port: int, redis_url: str | None, join: str) -> tuple[str, str, bool]:
    """The class ``--class`` opens: the one it opened on this port before, while it is still open (a restart
    keeps it), else a new one. Returns (code, key, whether it was kept)."""

    async def run():
        store = make_store(port, redis_url)  # its own, for this loop: the server makes another on its own loop
        try:
            return await _standing(store, port, join)
        finally:
            await store.close()

    return asyncio.run(run())


def teach_link(port: int, code: str, key: str) -> str:
    """The instructor's link: the secret after '#', so the browser never sends it in a request."""
    return f"http://localhost:{port}/class/teach#code={code}&key={key}"
