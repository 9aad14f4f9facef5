"""A class on one server: simulated students follow the instructor's changes, then answer one poll.

    python tests/bench/bench_classroom.py [--students 200] [--changes 60] [--rate 5] [--procs 1]
                                          [--port 8970] [--redis redis://host:6379/0]

Starts ``convscope --class`` on a loopback port (its data folder a fresh temporary one),
connects ``--students`` websockets (asyncio + ``websockets``, in ``--procs`` processes apart
from the server) that each join the class with their own device id, and has the instructor's
socket put ``--changes`` new states on stage, ``--rate`` a second. Fan-out latency is the
instructor's send → a student's receipt of that very state (``time.perf_counter``, the
machine's monotonic clock, the same in every process), over every student and change; a state
a student never received is lost. Then the instructor pushes a four-option poll; every student
answers (every tenth answers twice, changing its mind, as a re-joined phone does), and the
revealed tally must count each student exactly once, in the buckets their answers name.

Prints the latencies, what was lost, the poll, the load processes' and the server's CPU; the
last line is exactly ``students N: fan-out p50 A ms, p95 B ms, p99 C ms, lost D, poll answers
counted E/N``. A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.lecture_hall import header_of, percentile, rss_mb, sched_seconds, wait_ready  # noqa: E402

CONNECTING_AT_ONCE = 20
GRACE_SECONDS = 2.0  # after the last change, how long a state may still arrive before it counts as lost
OPTIONS = ["A", "B", "C", "D"]


def choice_of(index: int) -> int:
    return index % len(OPTIONS)


# ---------------------------------------------------------------- the students (load processes)


async def _student(url: str, index: int, code: str, gate, seen: dict, answers: dict) -> None:
    """One phone: joins, notes when each state arrives, answers the poll. Runs until cancelled."""
    from websockets.asyncio.client import connect

    async with gate:
        ws = await connect(url, open_timeout=60, ping_interval=None)
    join = {"code": code, "device": secrets.token_hex(12)}
    await ws.send(json.dumps({"id": 1, "type": "class.join", "params": join}))
    next_id = 2
    async with ws:
        async for frame in ws:
            now = time.perf_counter()
            head = header_of(frame)
            kind = head.get("type")
            if kind == "class.follow":
                seen.setdefault(index, {})[head["meta"]["query"]] = now
            elif kind == "class.question":
                poll = head["meta"]["poll"]["id"]
                picks = [choice_of(index + 1), choice_of(index)] if index % 10 == 0 else [choice_of(index)]
                for pick in picks:  # a change of mind replaces the first answer
                    message = {"id": next_id, "type": "class.answer", "params": {"poll": poll, "choice": pick}}
                    await ws.send(json.dumps(message))
                    next_id += 1
            elif kind == "class.answered":
                answers[index] = head["meta"]["answer"]["key"]
            elif kind == "error":
                answers.setdefault("errors", []).append(head)


async def _students(url: str, first: int, count: int, code: str, finish, out) -> None:
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    seen: dict = {}
    answers: dict = {}
    cpu0 = time.process_time()
    tasks = [asyncio.create_task(_student(url, first + i, code, gate, seen, answers)) for i in range(count)]
    out.put(("started", first, count))  # the instructor's count says when every one has joined
    await asyncio.to_thread(finish.wait)
    failed = sum(t.done() and not t.cancelled() and t.exception() is not None for t in tasks)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.put(("done", first, {"seen": seen, "answers": answers, "failed": failed, "cpu": time.process_time() - cpu0}))


def student_process(url: str, first: int, count: int, code: str, finish, out) -> None:
    asyncio.run(_students(url, first, count, code, finish, out))


# ---------------------------------------------------------------- the server and the instructor


def start_server(port: int, data: Path, log: Path, redis: str | None) -> subprocess.Popen:
    command = [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(port), "--class", "--host", "127.0.0.1"]
    if redis:
        command += ["--redis", redis]
    out = open(log, "w")  # noqa: SIM115 (the child holds it)
    env = dict(os.environ, PYTHONUNBUFFERED="1", CONVSCOPE_DATA_DIR=str(data))
    return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)


def printed_class(log: Path, proc: subprocess.Popen) -> tuple[str, str]:
    deadline = time.monotonic() + 120
    while True:
        found = re.search(r"/class/teach#code=([A-Z0-9]{5})&key=([A-Za-z0-9_-]+)", log.read_text())
        if found:
            return found.group(1), found.group(2)
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"convscope --class printed no class: {log.read_text()[-2000:]}")
        time.sleep(0.05)


class Instructor:
    def __init__(self, ws, code: str, key: str):
        self.ws, self.code, self.key = ws, code, key
        self.next_id = 1
        self.count = 0
        self.tally: dict | None = None
        self.answers: dict[int, dict] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.ws:
            head = header_of(frame)
            if head.get("id") is not None:
                self.answers[head["id"]] = head
            elif head["type"] == "class.count":
                self.count = head["meta"]["count"]
            elif head["type"] == "class.tally":
                self.tally = head["meta"]["tally"]

    async def ask(self, type_name: str, params: dict) -> dict:
        id = self.next_id
        self.next_id += 1
        await self.ws.send(
            json.dumps({"id": id, "type": type_name, "params": {"code": self.code, "key": self.key, **params}})
        )
        while id not in self.answers:
            await asyncio.sleep(0.002)
        return self.answers.pop(id)

    async def until(self, condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True


async def drive(url: str, code: str, key: str, args, procs_out, finish, pid: int) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, open_timeout=60, ping_interval=None) as ws:
        teacher = Instructor(ws, code, key)
        await teacher.ask("class.teach", {})
        for _ in range(args.procs):
            kind, *_ = await asyncio.to_thread(procs_out.get, True, 300)
            assert kind == "started", kind
        joined = await teacher.until(lambda: teacher.count >= args.students, 60)
        print(f"students joined: {teacher.count} of {args.students}" + ("" if joined else " (timed out)"), flush=True)

        ran0, waited0 = sched_seconds(pid)
        t0 = time.monotonic()
        sent: dict[str, float] = {}
        period = 1.0 / args.rate
        due = time.perf_counter()
        for n in range(args.changes):
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            query = f"bench={n}"
            sent[query] = time.perf_counter()
            await teacher.ask("class.stage", {"path": "/playground", "query": query})
            due += period
        await asyncio.sleep(GRACE_SECONDS)
        ran, waited = sched_seconds(pid)
        spent = time.monotonic() - t0
        following_cpu = ((ran - ran0) / spent, (waited - waited0) / spent)
        rss = rss_mb(pid)

        poll_at = time.perf_counter()
        polled = await teacher.ask(
            "class.poll", {"kind": "choice", "prompt": "Which?", "options": OPTIONS, "answer": 0}
        )
        poll = polled["meta"]["poll"]["id"]
        counted = await teacher.until(lambda: teacher.tally and teacher.tally["total"] >= args.students, 30)
        poll_seconds = time.perf_counter() - poll_at
        await asyncio.sleep(0.5)  # the changes of mind, if any are still on their way
        revealed = await teacher.ask("class.reveal", {"poll": poll})
        finish.set()
        tally = revealed["meta"]["tally"]
        return sent, tally, poll_seconds, counted, following_cpu, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--changes", type=int, default=60, help="states the instructor puts on stage")
    parser.add_argument("--rate", type=float, default=5.0, help="changes a second")
    parser.add_argument("--procs", type=int, default=1, help="student load processes")
    parser.add_argument("--port", type=int, default=8970)
    parser.add_argument("--redis", help="a Redis URL: the class lives there (convscope --redis)")
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="convscope-bench-class-"))
    log = Path(tempfile.gettempdir()) / f"convscope-bench-classroom-{args.port}.log"
    proc = start_server(args.port, data, log, args.redis)
    try:
        code, key = printed_class(log, proc)
        http = f"http://127.0.0.1:{args.port}/"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(http + "healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not answer") from None
                time.sleep(0.1)
        wait_ready(http)  # the engine's warm-up holds the interpreter while it compiles: measure after it
        url = f"ws://127.0.0.1:{args.port}/ws"
        print(
            f"classroom: {args.students} students in {args.procs} load process(es), {args.changes} changes at "
            f"{args.rate:g}/s, one poll; server {url}" + (f", Redis {args.redis}" if args.redis else ""),
            flush=True,
        )
        ctx = mp.get_context("spawn")
        out, finish = ctx.Queue(), ctx.Event()
        procs, first = [], 0
        for n in range(args.procs):
            count = args.students // args.procs + (1 if n < args.students % args.procs else 0)
            p = ctx.Process(target=student_process, args=(url, first, count, code, finish, out), daemon=True)
            p.start()
            procs.append(p)
            first += count
        sent, tally, poll_seconds, counted, following_cpu, rss = asyncio.run(
            drive(url, code, key, args, out, finish, proc.pid)
        )
        seen, answers, failed, cpu = {}, {}, 0, 0.0
        for _ in procs:
            kind, _, result = out.get(timeout=120)
            seen.update(result["seen"])
            answers.update(result["answers"])
            failed += result["failed"]
            cpu += result["cpu"]
        for p in procs:
            p.join(timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=15)

    latencies, lost = [], 0
    by_change: dict[str, list[float]] = {query: [] for query in sent}
    for index in range(args.students):
        got = seen.get(index, {})
        for query, at in sent.items():
            if query in got:
                latencies.append((got[query] - at) * 1000)
                by_change[query].append(latencies[-1])
            else:
                lost += 1
    expected = [0] * len(OPTIONS)
    for index in range(args.students):
        expected[choice_of(index)] += 1
    bars = [bar["count"] for bar in tally["bars"]]
    exact = bars == expected and tally["total"] == args.students
    counted_right = tally["total"] if exact else min(tally["total"], sum(min(a, b) for a, b in zip(bars, expected)))
    p50, p95, p99 = (percentile(latencies, q) for q in (50, 95, 99))
    top = max(latencies, default=float("nan"))
    print(f"fan-out ms over {len(latencies)} receipts: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {top:.1f}")
    # Whether the slow receipts are whole changes (the server, or the machine, paused) or a few students.
    worst = sorted(by_change.items(), key=lambda kv: -max(kv[1], default=0))[:3]
    print(
        "slowest changes (first / median / last receipt, ms): "
        + "; ".join(f"{q}: {min(v):.0f} / {percentile(v, 50):.0f} / {max(v):.0f}" for q, v in worst if v)
    )
    print(f"states lost: {lost} of {args.students * len(sent)}; student sockets that failed: {failed}")
    errors = answers.get("errors", [])
    print(
        f"poll: every answer counted {poll_seconds * 1000:.0f} ms after the push"
        if counted
        else "poll: the answers were not all counted within 30 s"
    )
    print(f"poll tally {bars} (expected {expected}), total {tally['total']}, errors answered {len(errors)}")
    print(
        f"server while following: ran {following_cpu[0]:.0%} of a core, its threads waited {following_cpu[1]:.0%} "
        f"for a CPU (other programs' load shows here); RSS {rss:.0f} MB; machine load {os.getloadavg()[0]:.1f}"
    )
    print(f"load processes: {cpu:.1f} CPU seconds in all")
    tracebacks = log.read_text().count("Traceback")
    if tracebacks:
        print(f"server tracebacks in {log}: {tracebacks}")
    print(
        f"students {args.students}: fan-out p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, lost {lost}, "
        f"poll answers counted {counted_right}/{args.students}"
    )


if __name__ == "__main__":
    main()
