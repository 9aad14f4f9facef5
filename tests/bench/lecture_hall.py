"""Lecture hall: many pages on one server process, each sending conv.run at its own pace.

    python tests/bench/lecture_hall.py [--clients 200] [--rate 5] [--seconds 30] [--procs 1]
                                       [--size 7] [--kernel 3] [--port 8960] [--url ws://host:port/ws --pid PID]

Starts ``convscope`` on a loopback port (or uses ``--url``), opens ``--clients``
websockets (asyncio + ``websockets``, in ``--procs`` load processes apart from the
server) and has each send conv.run ``--rate`` times a second on its own schedule (a
random phase, so the hall does not send in lockstep). Each request is what the
playground sends by default (the X input, 7×7, the ↘ diagonal 3×3 kernel, bias 0)
with a kernel value edited and the stride and padding moved, as a student does, so
no two requests carry the same numbers. Latency is send → the answer carrying that
id; an answer must be a conv.result with the output shape the settings give.

Prints clients, the rate achieved, p50/p95/p99 latency in ms and the requests lost
(never answered, answered twice, or answered wrongly), the load processes' own
lateness (how far behind schedule they sent: if large, the load generator, not the
server, is the bottleneck; add --procs; one process takes about 40% of a core at
1,000 requests a second) and the server's CPU and memory; the last line is a
one-line summary. On a shared machine the numbers swing with other programs' load:
the server's line says how long its threads waited for a CPU. A benchmark prints
numbers; it asserts nothing.

A page's lane holds one waiting request and a newer one supersedes it (PROTOCOL.md):
at 5 a second a request would only be dropped when the server is more than 200 ms
behind, and such a drop is counted as lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import struct
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

GRACE_SECONDS = 5.0  # after the last send, how long to wait for answers before counting the rest lost
CONNECTING_AT_ONCE = 20  # the server listens with a backlog of 128: connect in waves


def defaults(size: int, k: int) -> tuple[list[float], list[float]]:
    """The playground's default page at this size: the "x" input preset and the "diagonal_down" kernel."""
    from app.features import pictures

    x = pictures.input_image("x", size, size, 1)  # (1, H, W)
    w, _ = pictures.kernel("diagonal_down", k, 1, 1)  # (1, 1, K, K)
    return x.ravel().tolist(), w.ravel().tolist()


def make_params(rng: random.Random, args: dict) -> tuple[dict, tuple[int, int, int]]:
    """One conv.run a student's page sends, and the output shape it must get: (F, OH, OW)."""
    size, k = args["size"], args["kernel"]
    kernel = list(args["kernel_values"])
    kernel[rng.randrange(k * k)] = round(rng.uniform(-2, 2), 2)  # an edited kernel value: no two alike
    pixels = list(args["input_values"])
    pixels[rng.randrange(size * size)] = round(rng.uniform(-1, 1), 3)  # a painted cell
    s = rng.choice((1, 1, 1, 2, 3))  # the stride slider, mostly at its default
    p = rng.choice((0, 0, 0, 1, 2))  # the padding slider
    params = {
        "input": {"channels": 1, "height": size, "width": size, "values": pixels},
        "kernels": {"filters": 1, "channels": 1, "height": k, "width": k, "values": kernel},
        "bias": [0],
        "stride": [s, s],
        "padding": [p, p, p, p],
        "dilation": [1, 1],
        "flip": False,
        "pad_mode": "zeros",
    }
    out = (size + 2 * p - k) // s + 1
    return params, (1, out, out)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# ---------------------------------------------------------------- one load process


@dataclass
class Tally:
    """What one load process saw, in one reporting window (or the whole run)."""

    latencies: list[float] = field(default_factory=list)  # seconds, send → answer
    lag: list[float] = field(default_factory=list)  # seconds the send was behind its schedule
    sent: int = 0
    answered: int = 0
    lost: int = 0  # never answered: superseded (a newer one was answered) or none within the grace period
    wrong: int = 0  # answered twice, with an id never sent, an error, or a wrong shape
    errors: dict = field(default_factory=dict)  # error code → count
    connect_failed: int = 0
    cpu: float = 0.0  # CPU seconds the load process spent (its own cost, to tell whether it keeps up)

    def add(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.lag += other.lag
        self.sent += other.sent
        self.answered += other.answered
        self.lost += other.lost
        self.wrong += other.wrong
        self.connect_failed += other.connect_failed
        self.cpu += other.cpu
        for k, v in other.errors.items():
            self.errors[k] = self.errors.get(k, 0) + v


def header_of(frame: bytes | str) -> dict:
    """The JSON header of a binary frame (the arrays are not needed to check the answer), or an error."""
    if isinstance(frame, str):
        return json.loads(frame)
    (length,) = struct.unpack_from("<I", frame, 0)
    return json.loads(frame[4 : 4 + length])


async def _connect(url: str, gate: asyncio.Semaphore):
    from websockets.asyncio.client import connect

    async with gate:
        try:
            return await connect(url, max_size=2**26, open_timeout=60, ping_interval=None)
        except Exception:
            return None


async def _client(ws, index: int, args: dict, start: float, stop: float, tally: Tally) -> None:
    """One page: sends conv.run on its own schedule from ``start`` to ``stop``, checks every answer."""
    rng = random.Random(args["seed"] * 100_003 + index)
    period = 1.0 / args["rate"]
    pending: dict[int, tuple[float, tuple]] = {}  # id → (sent at, expected shape)

    async def receive() -> None:
        async for frame in ws:
            now = time.perf_counter()
            head = header_of(frame)
            id = head.get("id")
            if id not in pending:
                tally.wrong += 1  # answered twice, or an id this page never sent
                continue
            sent_at, shape = pending.pop(id)
            # One lane answers in the order sent: an older request still waiting was superseded, so lost.
            for older in [n for n in pending if n < id]:
                del pending[older]
                tally.lost += 1
            if head.get("type") == "error":
                tally.errors[head.get("code")] = tally.errors.get(head.get("code"), 0) + 1
                tally.wrong += 1
            elif head.get("type") != "conv.result" or tuple(head["meta"]["output_shape"]) != shape:
                tally.wrong += 1
            else:
                tally.answered += 1
                tally.latencies.append(now - sent_at)

    async with ws:
        reader = asyncio.create_task(receive())
        due = start + rng.random() * period  # each page keeps its own pace: a random phase
        id = 0
        while due < stop:
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            params, shape = make_params(rng, args)
            id += 1
            text = json.dumps({"id": id, "type": "conv.run", "params": params})
            now = time.perf_counter()
            tally.lag.append(max(0.0, now - due))
            pending[id] = (now, shape)
            tally.sent += 1
            await ws.send(text)
            due += period
        deadline = time.perf_counter() + GRACE_SECONDS
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        tally.lost += len(pending)
        reader.cancel()


async def _load(url: str, first: int, count: int, args: dict, go, start_wall, out) -> None:
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
    sockets = await asyncio.gather(*(_connect(url, gate) for _ in range(count)))
    out.put(("ready", first, count))
    await asyncio.to_thread(go.wait)  # every process connected: the main process names the start
    # Every process starts at the same wall-clock moment; perf_counter from there on.
    start = time.perf_counter() + (start_wall.value - time.time())
    stop = start + args["seconds"]
    cpu0 = time.process_time()
    windows = [Tally() for _ in range(count)]
    windows[0].connect_failed = sum(ws is None for ws in sockets)
    tasks = [
        asyncio.create_task(_client(ws, first + i, args, start, stop, windows[i]))
        for i, ws in enumerate(sockets)
        if ws is not None
    ]
    report = args.get("report_every")
    if report:  # the soak: hand over what was seen so far every `report` seconds
        next_at = start + report
        while not all(t.done() for t in tasks):
            await asyncio.sleep(max(0.0, min(next_at - time.perf_counter(), 1.0)))
            if time.perf_counter() >= next_at:
                total = Tally()
                for w in windows:
                    total.add(w)
                    w.__init__()  # counts restart; each client keeps adding to the same object
                out.put(("window", first, total))
                next_at += report
    await asyncio.gather(*tasks)
    total = Tally()
    for w in windows:
        total.add(w)
    total.cpu = time.process_time() - cpu0
    out.put(("done", first, total))


def load_process(url: str, first: int, count: int, args: dict, go, start_wall, out) -> None:
    asyncio.run(_load(url, first, count, args, go, start_wall, out))


# ---------------------------------------------------------------- the server side


def server_pid() -> int:
    """The server this script started (tests.conftest.running_server): our child running app.cli."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if b"app.cli" in cmd and ppid == os.getpid():
                return int(proc.name)
    raise LookupError("the server's process was not found")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sched_seconds(pid: int) -> tuple[float, float]:
    """(CPU seconds run, seconds spent runnable but waiting for a CPU) over all the process's threads.

    The second says how much other programs (or the server's own threads, each other) kept it from running.
    """
    ran = waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "schedstat").read_text().split()
        except OSError:
            continue
        ran += int(fields[0])
        waited += int(fields[1])
    return ran / 1e9, waited / 1e9


def wait_ready(http_url: str) -> None:
    """Until the engine has compiled (or loaded its cache), so no request pays for it."""
    deadline = time.monotonic() + 120
    while b'"engine_ready":true' not in urllib.request.urlopen(http_url + "healthz", timeout=5).read():
        if time.monotonic() > deadline:
            raise SystemExit("the server's engine did not become ready")
        time.sleep(0.2)


def start_load(url: str, args: argparse.Namespace, report_every: float | None = None):
    """Start the load processes, wait until every page is connected; returns (processes, queue, start time).

    The pages begin sending together, half a second after this returns (``time.time()`` of the start).
    """
    ctx = mp.get_context("spawn")
    out, go, start_wall = ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    settings = {
        "rate": args.rate,
        "seconds": args.seconds,
        "size": args.size,
        "kernel": args.kernel,
        "seed": args.seed,
        "report_every": report_every,
    }
    settings["input_values"], settings["kernel_values"] = defaults(args.size, args.kernel)
    procs, first = [], 0
    for n in range(args.procs):
        count = args.clients // args.procs + (1 if n < args.clients % args.procs else 0)
        p = ctx.Process(target=load_process, args=(url, first, count, settings, go, start_wall, out), daemon=True)
        p.start()
        procs.append(p)
        first += count
    for _ in procs:
        kind, *_ = out.get(timeout=300)
        assert kind == "ready", kind
    start_wall.value = time.time() + 0.5
    go.set()
    return procs, out, start_wall.value


def describe(t: Tally, clients: int, seconds: float) -> dict:
    ms = [v * 1000 for v in t.latencies]
    return {
        "clients": clients,
        "rate": t.answered / seconds if seconds else float("nan"),
        "sent_rate": t.sent / seconds if seconds else float("nan"),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms, default=float("nan")),
        "lost": t.lost + t.wrong + t.connect_failed,
        "lag_p99": percentile([v * 1000 for v in t.lag], 99),
    }


def add_load_arguments(parser: argparse.ArgumentParser, seconds: float) -> None:
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=5.0, help="conv.run per second per client")
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--procs", type=int, default=1, help="load generator processes")
    parser.add_argument("--size", type=int, default=7, help="input height and width (the playground's default: 7)")
    parser.add_argument("--kernel", type=int, default=3, help="kernel height and width (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=8960)
    parser.add_argument("--url", help="a running server's websocket (ws://host:port/ws) instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process, for its CPU and memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser, 30.0)
    args = parser.parse_args()

    from tests.conftest import running_server

    def run(url: str, pid: int | None) -> None:
        wait_ready(url.replace("ws://", "http://").removesuffix("ws"))
        print(
            f"lecture hall: {args.clients} clients × {args.rate:g} conv.run/s for {args.seconds:g} s, "
            f"{args.size}×{args.size} input, {args.kernel}×{args.kernel} kernel, "
            f"{args.procs} load process(es), server {url}",
            flush=True,
        )
        procs, out, start_wall = start_load(url, args)
        while time.time() < start_wall:
            time.sleep(0.01)
        (ran0, waited0), load_cpu0 = (sched_seconds(pid) if pid else (0.0, 0.0)), time.monotonic()
        total = Tally()
        for _ in procs:
            _, _, tally = out.get()
            total.add(tally)
        for p in procs:
            p.join()
        spent = time.monotonic() - load_cpu0
        ran, waited = sched_seconds(pid) if pid else (float("nan"), float("nan"))
        ran, waited = (ran - ran0) / spent, (waited - waited0) / spent
        d = describe(total, args.clients, args.seconds)
        print(f"sent {total.sent} ({d['sent_rate']:.1f}/s), answered {total.answered}, lost {d['lost']}", end="")
        print(
            f" (unanswered {total.lost}, wrong or twice {total.wrong}, errors {total.errors or 0}, "
            f"connections failed {total.connect_failed})"
        )
        print(f"rate achieved: {d['rate']:.1f} answers/s ({d['rate'] / args.clients:.2f} per client)")
        print(f"latency ms: p50 {d['p50']:.1f}  p95 {d['p95']:.1f}  p99 {d['p99']:.1f}  max {d['max']:.1f}")
        print(
            f"load generator: {d['lag_p99']:.1f} ms behind its schedule (p99), "
            f"{total.cpu / spent / args.procs:.0%} of a core per process"
        )
        if pid:
            print(
                f"server: ran {ran:.0%} of a core, its threads waited {waited:.0%} for a CPU (other programs, "
                f"or each other), "
                f"RSS {rss_mb(pid):.0f} MB"
            )
        print(
            f"summary: clients={args.clients} rate={d['rate']:.1f}/s p50={d['p50']:.1f}ms p95={d['p95']:.1f}ms "
            f"p99={d['p99']:.1f}ms lost={d['lost']}"
        )

    if args.url:
        run(args.url, args.pid)
        return
    log = Path("/tmp") / f"convscope-lecture-hall-{args.port}.log"
    with running_server(args.port, log=log) as http_url:
        run(http_url.replace("http://", "ws://") + "ws", server_pid())
    tracebacks = log.read_text().count("Traceback")
    if tracebacks:
        print(f"server tracebacks in {log}: {tracebacks}")


if __name__ == "__main__":
    main()
