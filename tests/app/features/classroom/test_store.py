"""The in-process store and its file, and how answers are bucketed and tallied."""

from __future__ import annotations

import asyncio
import json

from app.features.classroom.polls import PollRecord, bucket, is_right, tally
from app.features.classroom.room import holds_key, open_class
from app.features.classroom.store import TTL_SECONDS, MemoryStore


def run(coro):
    return asyncio.run(coro)


def test_a_class_and_its_answers_survive_a_new_store_on_the_same_file(tmp_path):
    path = tmp_path / "classes.json"

    async def first():
        store = MemoryStore(path)
        code, key = await open_class(store, "http://10.0.0.2:8765/join")
        await store.set_stage(code, {"path": "/xo", "query": "", "section": None, "state": None})
        poll = PollRecord(await store.new_poll_id(code), "choice", "choice", "?", 1, "b", options=["a", "b"])
        await store.put_poll(code, poll)
        await store.answer(code, poll.id, "device-one-000000", "1")
        await store.answer(code, poll.id, "device-two-000000", "0")
        await store.set_nickname(code, "device-one-000000", "ada")
        await store.close()  # as the server does when it stops
        return code, key, poll.id

    code, key, poll_id = run(first())
    assert path.stat().st_mode & 0o077 == 0  # the answers are the owner's to read only

    async def second():
        store = MemoryStore(path)
        record = await store.get(code)
        assert record is not None and holds_key(record, key) and not holds_key(record, key + "x")
        assert record.stage["path"] == "/xo" and record.join == "http://10.0.0.2:8765/join"
        counts, _ = await store.counts(code, poll_id)
        assert counts == {"1": 1, "0": 1}
        assert await store.nicknames(code) == {"device-one-000000": "ada"}
        assert await store.new_poll_id(code) == poll_id + 1  # numbering goes on
        seq = record.stage["seq"]
        assert (await store.set_stage(code, {"path": "/"}))["seq"] == seq + 1

    run(second())


def test_a_class_nobody_ended_expires_a_day_after_its_last_stage_or_poll(tmp_path):
    """As Redis's keys do: classes left open never keep the server's places (max_classes) for good."""
    path = tmp_path / "classes.json"
    now = [1_000_000.0]
    clock = lambda: now[0]  # noqa: E731

    async def go():
        store = MemoryStore(path, clock=clock)
        store.max_classes = 2
        code, _ = await open_class(store, "http://10.0.0.2:8765/join")
        other, _ = await open_class(store, "http://10.0.0.2:8765/join")
        now[0] += TTL_SECONDS - 60
        await store.set_stage(code, {"path": "/xo"})  # in use: a day from now again
        now[0] += 120  # the other class's day is over; this one's is not
        assert await store.get(other) is None and await store.get(code) is not None
        assert await store.count_classes() == 1
        third, _ = await open_class(store, "http://10.0.0.2:8765/join")  # its place is free again
        await store.close()
        # The file keeps when each was last used: a restarted server expires them alike.
        now[0] += TTL_SECONDS - 30
        again = MemoryStore(path, clock=clock)
        assert await again.get(code) is None and await again.get(third) is not None
        assert await again.count_classes() == 1

    run(go())


def test_the_file_never_holds_the_secret_itself(tmp_path):
    path = tmp_path / "classes.json"

    async def make():
        store = MemoryStore(path)
        opened = await open_class(store, "http://localhost:8765/join")
        await store.close()
        return opened

    _, key = run(make())
    assert key not in path.read_text() and json.loads(path.read_text())["classes"]


def test_a_damaged_file_starts_an_empty_store(tmp_path):
    path = tmp_path / "classes.json"
    path.write_text('{"classes": {"ABCDE": {"record": ')
    assert run(MemoryStore(path).count_classes()) == 0


def test_answers_after_the_reveal_or_to_an_old_poll_are_not_counted(tmp_path):
    async def go():
        store = MemoryStore()
        code, _ = await open_class(store, "x")
        old = PollRecord(await store.new_poll_id(code), "number", "value", "?", 2, "2")
        await store.put_poll(code, old)
        new = PollRecord(await store.new_poll_id(code), "number", "value", "?", 3, "3")
        await store.put_poll(code, new)
        assert await store.answer(code, old.id, "d" * 16, "2") is None
        await store.reveal(code, new.id)
        assert await store.answer(code, new.id, "d" * 16, "3") is None
        assert (await store.counts(code, new.id))[0] == {}

    run(go())


def test_numbers_are_bucketed_as_written_and_judged_within_the_tolerance():
    poll = PollRecord(1, "number", "value", "?", 2.5, "2.5", tolerance=0.1)
    assert [bucket(poll, None, v, None) for v in (2.5, 2.50000001, -3.0, 4)] == ["2.5", "2.5", "\u22123", "4"]
    assert [is_right(poll, k) for k in ("2.5", "2.6", "2.4", "2.7", "\u22122.5")] == [True, True, True, False, False]
    shape = PollRecord(2, "lesson", "text", "?", "16 × 16 × 16", "16 × 16 × 16")
    assert is_right(shape, bucket(shape, None, None, " 16x16 X 16 ")) and not is_right(shape, bucket(shape, 0, 0, "16"))


def test_the_tally_shows_every_option_the_share_right_and_the_top_wrong_answers():
    poll = PollRecord(3, "choice", "choice", "?", 2, "c", options=["a", "b", "c", "d"])
    t = tally(poll, {"0": 4, "1": 7, "2": 9, "3": 1})
    assert [(b["label"], b["count"], b["right"]) for b in t["bars"]] == [
        ("a", 4, False),
        ("b", 7, False),
        ("c", 9, True),
        ("d", 1, False),
    ]
    assert (t["total"], t["right"], t["share_right"]) == (21, 9, 9 / 21)
    assert t["wrong"] == [{"label": "b", "count": 7}, {"label": "a", "count": 4}, {"label": "d", "count": 1}]
    many = PollRecord(4, "number", "value", "?", 5, "5")
    t = tally(many, {str(n): n for n in range(1, 14)})
    assert len(t["bars"]) == 10 and t["bars"][0]["label"] == "13" and t["other"] == 1 + 2 + 3
    assert t["total"] == sum(range(1, 14)) and t["right"] == 5
