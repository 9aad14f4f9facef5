"""The class store in Redis, shared by every server process given the same ``--redis`` URL.

Layout, for a class with code C (``K`` = ``convscope:class:C``):

- ``K`` (hash): ``key_hash``, ``created``, ``join``, ``stage`` (JSON) and ``stage_seq``, ``poll`` (the poll on
  screen), ``closed`` (the last poll revealed), ``next_poll``, ``version`` (answers counted so far);
- ``K:polls`` (hash): poll number → the poll as JSON, its answer included;
- ``K:answers:N`` (hash): device → the bucket of its answer to poll N; ``K:counts:N`` (hash): bucket → count;
- ``K:nicks`` (hash): device → nickname; ``K:here`` (sorted set): device → when a process last said it holds it;
- ``convscope:classes`` (set): the open codes; the channel ``K`` carries the class's events to every process.

Everything that must not interleave (a new stage and its number, an answer replacing an earlier one and
the two counts it moves) is one Lua script, so two processes never count a device twice. Every key of a
class expires a day after its last stage or poll: a class nobody ended does not stay for ever.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import redis.asyncio as redis

from .polls import PollRecord
from .store import TTL_SECONDS, ClassRecord, ClassStore

log = logging.getLogger("convscope.classroom")

PREFIX = "convscope:class:"
CODES = "convscope:classes"
MAX_CONNECTIONS = 32  # per process: one listens for events, the rest carry the pages' requests
HERE_SECONDS = 15.0  # a device counts as here while a process has said so within this long (heartbeat 5 s)

STAGE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local seq = redis.call('HINCRBY', KEYS[1], 'stage_seq', 1)
redis.call('HSET', KEYS[1], 'stage', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return seq
"""

ANSWER = """
if redis.call('HGET', KEYS[1], 'poll') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'closed') == ARGV[1] then
  return false
end
local old = redis.call('HGET', KEYS[2], ARGV[2])
if old == ARGV[3] then return tonumber(redis.call('HGET', KEYS[1], 'version') or '0') end
if old then redis.call('HINCRBY', KEYS[3], old, -1) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""


class RedisStore(ClassStore):
    max_classes = 512  # a department's worth of courses at once

    def __init__(self, url: str):
        super().__init__()
        self.url = url
        # A hall answering at once waits its turn for a connection instead of failing ("too many connections").
        pool = redis.BlockingConnectionPool.from_url(
            url, max_connections=MAX_CONNECTIONS, timeout=20, decode_responses=True
        )
        self.pool = pool
        self.client = redis.Redis(connection_pool=pool)
        self._stage = self.client.register_script(STAGE)
        self._answer = self.client.register_script(ANSWER)
        self.reader: asyncio.Task | None = None

    # -- the news, through Redis pub/sub --

    async def start(self) -> None:
        await self.client.ping()  # an unreachable Redis is said at once, not at the first answer
        subscribed = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self._listen(subscribed), name="class events")
        await subscribed

    async def _listen(self, subscribed: asyncio.Future) -> None:
        delay = 0.1
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(PREFIX + "*")
                if not subscribed.done():
                    subscribed.set_result(None)
                delay = 0.1
                async for message in pubsub.listen():
                    if message["type"] == "pmessage":
                        self._deliver(message["channel"].removeprefix(PREFIX), json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis restarted or the network dropped: hear again once it is back
                log.warning("class events from Redis stopped (%s); subscribing again", exc)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
            finally:
                await pubsub.aclose()

    async def publish(self, code: str, event: dict) -> None:
        await self.client.publish(PREFIX + code, json.dumps(event))

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.client.aclose()
        await self.pool.disconnect()

    # -- the class --

    async def create(self, record: ClassRecord) -> bool:
        k = PREFIX + record.code
        if not await self.client.hsetnx(k, "key_hash", record.key_hash):
            return False
        async with self.client.pipeline(transaction=True) as p:
            p.hset(k, mapping={"created": record.created, "join": record.join, "next_poll": 1, "version": 0})
            p.expire(k, TTL_SECONDS)
            p.sadd(CODES, record.code)
            await p.execute()
        return True

    async def get(self, code: str) -> ClassRecord | None:
        h = await self.client.hgetall(PREFIX + code)
        if "key_hash" not in h:
            return None
        stage = {**json.loads(h["stage"]), "seq": int(h["stage_seq"])} if "stage" in h else None
        poll = int(h["poll"]) if h.get("poll") else None
        return ClassRecord(code, h["key_hash"], float(h.get("created", 0)), h.get("join", ""), stage, poll)

    async def count_classes(self) -> int:
        codes = sorted(await self.client.smembers(CODES))
        async with self.client.pipeline(transaction=False) as p:
            for code in codes:
                p.exists(PREFIX + code)
            alive = await p.execute()
        gone = [code for code, here in zip(codes, alive) if not here]  # expired without an end
        if gone:
            await self.client.srem(CODES, *gone)
        return len(codes) - len(gone)

    async def set_join(self, code: str, join: str) -> None:
        await self.client.hset(PREFIX + code, "join", join)

    async def set_stage(self, code: str, stage: dict) -> dict:
        seq = await self._stage(keys=[PREFIX + code], args=[json.dumps(stage), TTL_SECONDS])
        if seq is None:
            raise KeyError(code)
        return {**stage, "seq": int(seq)}

    async def new_poll_id(self, code: str) -> int:
        return int(await self.client.hincrby(PREFIX + code, "next_poll", 1)) - 1

    async def put_poll(self, code: str, poll: PollRecord) -> None:
        k = PREFIX + code
        async with self.client.pipeline(transaction=True) as p:
            p.hset(f"{k}:polls", str(poll.id), json.dumps(poll.for_instructors()))
            p.hset(k, "poll", str(poll.id))
            for key in (k, f"{k}:polls", f"{k}:nicks", f"{k}:answers:{poll.id}", f"{k}:counts:{poll.id}"):
                p.expire(key, TTL_SECONDS)
            await p.execute()

    async def get_poll(self, code: str, poll_id: int) -> PollRecord | None:
        data = await self.client.hget(f"{PREFIX}{code}:polls", str(poll_id))
        return PollRecord.from_dict(json.loads(data)) if data else None

    async def polls(self, code: str) -> list[PollRecord]:
        found = await self.client.hgetall(f"{PREFIX}{code}:polls")
        return [PollRecord.from_dict(json.loads(found[i])) for i in sorted(found, key=int)]

    async def answer(self, code: str, poll_id: int, device: str, key: str) -> int | None:
        k = PREFIX + code
        keys = [k, f"{k}:answers:{poll_id}", f"{k}:counts:{poll_id}"]
        version = await self._answer(keys=keys, args=[str(poll_id), device, key])
        return None if version is None else int(version)

    async def answer_of(self, code: str, poll_id: int, device: str) -> str | None:
        return await self.client.hget(f"{PREFIX}{code}:answers:{poll_id}", device)

    async def counts(self, code: str, poll_id: int) -> tuple[dict[str, int], int]:
        k = PREFIX + code
        async with self.client.pipeline(transaction=True) as p:
            p.hgetall(f"{k}:counts:{poll_id}")
            p.hget(k, "version")
            counts, version = await p.execute()
        return {b: int(n) for b, n in counts.items() if int(n) > 0}, int(version or 0)

    async def answers(self, code: str) -> dict[int, dict[str, str]]:
        ids = sorted(int(i) for i in await self.client.hkeys(f"{PREFIX}{code}:polls"))
        async with self.client.pipeline(transaction=False) as p:
            for i in ids:
                p.hgetall(f"{PREFIX}{code}:answers:{i}")
            found = await p.execute()
        return dict(zip(ids, found))

    async def reveal(self, code: str, poll_id: int) -> PollRecord | None:
        poll = await self.get_poll(code, poll_id)
        if poll is None:
            return None
        poll.revealed = True
        k = PREFIX + code
        async with self.client.pipeline(transaction=True) as p:
            p.hset(f"{k}:polls", str(poll_id), json.dumps(poll.for_instructors()))
            p.hset(k, "closed", str(poll_id))  # the answer script refuses answers to it from now on
            await p.execute()
        return poll

    async def set_nickname(self, code: str, device: str, nickname: str) -> None:
        await self.client.hset(f"{PREFIX}{code}:nicks", device, nickname)

    async def nicknames(self, code: str) -> dict[str, str]:
        return await self.client.hgetall(f"{PREFIX}{code}:nicks")

    async def end(self, code: str) -> bool:
        k = PREFIX + code
        ids = await self.client.hkeys(f"{k}:polls")
        keys = [k, f"{k}:polls", f"{k}:nicks", f"{k}:here"]
        keys += [f"{k}:{what}:{i}" for i in ids for what in ("answers", "counts")]
        async with self.client.pipeline(transaction=True) as p:
            p.delete(*keys)
            p.srem(CODES, code)
            gone, _ = await p.execute()
        return gone > 0

    # -- who is here: each process says which devices it holds --

    async def arrive(self, code: str, device: str) -> None:
        await self.refresh(code, [device])

    async def depart(self, code: str, device: str) -> None:
        await self.client.zrem(f"{PREFIX}{code}:here", device)

    async def refresh(self, code: str, devices: list[str]) -> None:
        if not devices or not await self.client.exists(PREFIX + code):
            return
        now = time.time()
        here = f"{PREFIX}{code}:here"
        async with self.client.pipeline(transaction=False) as p:
            p.zadd(here, dict.fromkeys(devices, now))
            p.expire(here, TTL_SECONDS)
            await p.execute()

    async def headcount(self, code: str) -> int:
        here = f"{PREFIX}{code}:here"
        since = time.time() - HERE_SECONDS
        async with self.client.pipeline(transaction=False) as p:
            p.zremrangebyscore(here, "-inf", since)
            p.zcard(here)
            _, count = await p.execute()
        return int(count)
