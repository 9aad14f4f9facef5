"""The server's one classroom hub, set up by the ``convscope`` command (its store, the address students open).

A server started without it (a test's ``create_app()``) gets an in-memory hub on first use:
classes work, kept in this process only, written to no file.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from .hub import Hub
from .models import CODE_LENGTH, CODE_LETTERS
from .store import ClassRecord, ClassStore, MemoryStore

_hub: Hub | None = None


def configure(store: ClassStore, join: str, lan: bool) -> Hub:
    """Use ``store`` for every class of this process. ``join``: the join page's address; ``lan``: whether the
    server listens on the network (else only this machine reaches it)."""
    global _hub
    _hub = Hub(store, join, lan)
    return _hub


def hub() -> Hub:
    global _hub
    if _hub is None:
        _hub = Hub(MemoryStore())
    return _hub


def new_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


def new_key() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: 32 characters of the key pattern's alphabet


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def holds_key(record: ClassRecord, key: str) -> bool:
    return hmac.compare_digest(record.key_hash, key_hash(key))


async def open_class(store: ClassStore, join: str) -> tuple[str, str] | None:
    """A new class: (its code, the instructor's secret), or None when the store holds as many as it may."""
    if await store.count_classes() >= store.max_classes:
        return None
    key = new_key()
    while True:
        code = new_code()
        if await store.create(ClassRecord(code, key_hash(key), time.time(), join)):
            return code, key
