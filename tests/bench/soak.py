"""Soak: the lecture hall's load for ten minutes, and the server's memory over time (it should stay flat).

    python tests/bench/soak.py [--seconds 600] [--every 30] [--clients 200] [--rate 5] [--procs 1]
                               [--size 7] [--port 8966] [--url ws://host:port/ws --pid PID]

Starts ``convscope`` on a loopback port and runs the load of tests/bench/lecture_hall.py
(every page sending conv.run at its own pace, every answer checked) for ``--seconds``.
Every ``--every`` seconds it prints the server's resident memory (RSS), the answers
that window, their p50/p99 latency and the requests lost; at the end one line with the
memory at the start, at the end and at its peak (the kernel's high-water mark, VmHWM),
and the drift from the first minute to the end. A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.lecture_hall import (  # noqa: E402
    Tally,
    add_load_arguments,
    describe,
    percentile,
    rss_mb,
    server_pid,
    start_load,
    wait_ready,
)
from tests.conftest import running_server  # noqa: E402


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def soak(url: str, pid: int, args: argparse.Namespace) -> None:
    """Run the load against ``url`` and print the memory of process ``pid`` as it goes."""
    wait_ready(url.replace("ws://", "http://").removesuffix("ws"))
    idle = rss_mb(pid)
    print(
        f"soak: {args.clients} clients × {args.rate:g} conv.run/s for {args.seconds:g} s, "
        f"{args.size}×{args.size} input, server pid {pid}; RSS idle {idle:.0f} MB",
        flush=True,
    )
    procs, out, start_wall = start_load(url, args, report_every=args.every)
    while time.time() < start_wall:
        time.sleep(0.01)
    start = rss_mb(pid)
    print(f"{'t (s)':>6} {'RSS MB':>7} {'answers/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'lost':>5}")
    print(f"{0:>6.0f} {start:>7.1f}   (every page connected)", flush=True)
    samples = [(0.0, start)]
    windows: dict[int, list[Tally]] = {}  # window index → what each load process saw in it
    reported: dict[int, int] = {}  # windows reported so far, per load process (by its first client)
    total, done = Tally(), 0
    while done < len(procs):
        kind, first, tally = out.get()
        if kind == "done":
            total.add(tally)
            done += 1
            continue
        index = reported.get(first, 0)
        reported[first] = index + 1
        windows.setdefault(index, []).append(tally)
        if len(windows[index]) == len(procs):  # every process reported this window
            window = Tally()
            for part in windows.pop(index):
                window.add(part)
            total.add(window)
            t = time.time() - start_wall
            rss = rss_mb(pid)
            samples.append((t, rss))
            ms = [v * 1000 for v in window.latencies]
            print(
                f"{t:>6.0f} {rss:>7.1f} {window.answered / args.every:>10.1f} {percentile(ms, 50):>7.1f} "
                f"{percentile(ms, 99):>7.1f} {window.lost + window.wrong:>5}",
                flush=True,
            )
    for p in procs:
        p.join()
    end, peak = rss_mb(pid), peak_mb(pid)
    samples.append((time.time() - start_wall, end))
    d = describe(total, args.clients, args.seconds)
    after_minute = next((rss for t, rss in samples if t >= 60), start)
    print(
        f"whole run: {d['rate']:.1f} answers/s, p50 {d['p50']:.1f} ms, p95 {d['p95']:.1f} ms, "
        f"p99 {d['p99']:.1f} ms, lost {d['lost']}"
    )
    print(
        f"memory: start {start:.1f} MB, end {end:.1f} MB, peak {peak:.1f} MB (VmHWM), "
        f"drift from the first minute to the end {end - after_minute:+.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_load_arguments(parser, 600.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between memory lines")
    parser.set_defaults(port=8966)
    args = parser.parse_args()
    if args.url:
        if not args.pid:
            raise SystemExit("--url needs --pid: the server's process, whose memory this prints")
        soak(args.url, args.pid, args)
        return
    log = Path("/tmp") / f"convscope-soak-{args.port}.log"
    with running_server(args.port, log=log) as http_url:
        soak(http_url.replace("http://", "ws://") + "ws", server_pid(), args)
    tracebacks = log.read_text().count("Traceback")
    if tracebacks:
        print(f"server tracebacks in {log}: {tracebacks}")


if __name__ == "__main__":
    main()
