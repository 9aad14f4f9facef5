"""Past one process: two ``convscope --redis`` servers share one class through a real redis-server.

Students on either server follow the instructor on the other, a poll's answers from both are
counted once each, the instructor may drive from either, and the class outlives a server's
restart because it lives in Redis.
"""

from __future__ import annotations

import asyncio
import csv
import io

import pytest

from app.cli import free_port
from app.features.classroom.polls import PollRecord
from app.features.classroom.redis_store import RedisStore
from app.features.classroom.room import open_class

from ...conftest import Page
from .conftest import Classroom, Teacher, command, device, push

# Servers and a redis-server of their own: alone under `-n`.
pytestmark = pytest.mark.serial


@pytest.fixture
def two_servers(tmp_path, redis_url):
    """Two server processes on their own ports and data folders, one Redis."""
    a, b = free_port(), free_port()
    with (
        command("--redis", redis_url, data=tmp_path / "a", port=a),
        command("--redis", redis_url, data=tmp_path / "b", port=b),
    ):
        rooms = Classroom(f"127.0.0.1:{a}"), Classroom(f"127.0.0.1:{b}")
        yield rooms
        for room in rooms:
            room.close()


def test_students_on_both_servers_follow_and_are_counted_once(two_servers):
    a, b = two_servers
    teacher = a.teacher()
    on_a = [a.student(teacher.code) for _ in range(3)]
    phone = device()
    on_b = [b.student(teacher.code, phone), b.student(teacher.code, phone), b.student(teacher.code)]  # a phone's 2 tabs
    seq = teacher.ask("class.stage", {"path": "/layers", "query": "ps=3"}).meta["seq"]
    for student in on_a + on_b:
        follow = push(student, "class.follow").meta
        assert (follow["path"], follow["query"], follow["seq"]) == ("/layers", "ps=3", seq)
    counts = [push(teacher.page, "class.count").meta["count"]]
    while counts[-1] != 5:  # 3 on A, 2 devices on B
        counts.append(push(teacher.page, "class.count").meta["count"])

    poll = teacher.poll(kind="choice", prompt="?", options=["a", "b"], answer=1).meta["poll"]["id"]
    for student, choice in zip(on_a + on_b, (1, 1, 0, 0, 1, 1)):
        student.ask("class.answer", {"poll": poll, "choice": choice})
    on_b[0].ask("class.answer", {"poll": poll, "choice": 1})  # the phone changes its mind, on server B
    tallies = [push(teacher.page, "class.tally").meta["tally"]]
    while tallies[-1]["total"] < 5 or tallies[-1]["right"] < 4:
        tallies.append(push(teacher.page, "class.tally").meta["tally"])

    # The instructor's link works on either server: drive from B, results from B.
    from_b = Teacher(b.page(), teacher.code, teacher.key)
    assert from_b.ask("class.teach").meta["count"] == 5
    revealed = from_b.ask("class.reveal", {"poll": poll}).meta["tally"]
    assert (revealed["total"], [bar["count"] for bar in revealed["bars"]]) == (5, [1, 4])
    for student in on_a + on_b:
        assert push(student, "class.result").meta["tally"] == revealed
    status, body, _ = b.get(f"class/{teacher.code}/results.csv", {"X-Class-Key": teacher.key})
    assert status == 200 and len(list(csv.DictReader(io.StringIO(body.decode())))) == 5

    assert teacher.ask("class.end").type == "class.ended"
    for student in on_b:
        assert push(student, "class.closed").meta == {"code": teacher.code}
    gone = b.page().ask("class.join", {"code": teacher.code, "device": device()})
    assert gone.header["field"] == "code"


def test_a_student_on_one_server_cannot_drive_the_class_on_the_other(two_servers):
    a, b = two_servers
    teacher = a.teacher()
    watcher = a.student(teacher.code)
    intruder = b.student(teacher.code)
    refused = intruder.ask("class.stage", {"code": teacher.code, "key": "k" * 32, "path": "/xo"})
    assert (refused.type, refused.header["field"]) == ("error", "key")
    assert teacher.ask("class.stage", {"path": "/playground"}).type == "class.staged"
    assert push(watcher, "class.follow").meta["path"] == "/playground"  # the first follow: the intruder's made none


def test_the_class_outlives_a_restart_of_a_server(tmp_path, redis_url):
    port = free_port()
    with command("--redis", redis_url, data=tmp_path, port=port):
        room = Classroom(f"127.0.0.1:{port}")
        teacher = room.teacher()
        phone = device()
        room.student(teacher.code, phone)
        teacher.ask("class.stage", {"path": "/xo", "query": "lr=0.5"})
        poll = teacher.poll(kind="number", prompt="?", value=2).meta["poll"]["id"]
        room.pages[-1].ask("class.answer", {"poll": poll, "value": 2})
        room.close()
    with command("--redis", redis_url, data=tmp_path, port=port):
        page = Page(f"ws://127.0.0.1:{port}/ws")
        joined = page.ask("class.join", {"code": teacher.code, "device": phone}).meta
        assert joined["stage"]["query"] == "lr=0.5" and joined["mine"]["label"] == "2"
        page.close()


def test_two_processes_answering_at_once_count_every_device_exactly_once(redis_url):
    """The answer script under contention: two stores (two processes' worth), 100 devices each, some answering
    twice from both sides, all at the same moment."""

    async def go():
        one, two = RedisStore(redis_url), RedisStore(redis_url)
        code, _ = await open_class(one, "http://x/join")
        poll = PollRecord(await one.new_poll_id(code), "choice", "choice", "?", 0, "a", options=["a", "b", "c"])
        await one.put_poll(code, poll)
        devices = [device() for _ in range(200)]
        work = []
        for n, d in enumerate(devices):
            store = one if n % 2 else two
            work.append(store.answer(code, poll.id, d, str(n % 3)))
            if n % 7 == 0:
                other = two if n % 2 else one
                work.append(other.answer(code, poll.id, d, str((n + 1) % 3)))
        await asyncio.gather(*work)
        counts, _ = await one.counts(code, poll.id)
        answers = (await two.answers(code))[poll.id]
        await one.close()
        await two.close()
        return counts, answers, devices

    counts, answers, devices = asyncio.run(go())
    assert sum(counts.values()) == len(devices) == len(answers)
    for bucket in ("0", "1", "2"):
        assert counts.get(bucket, 0) == sum(1 for v in answers.values() if v == bucket)
