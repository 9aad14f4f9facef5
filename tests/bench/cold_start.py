"""Server start → page served → first conv.run answered, on an empty kernel cache and then on a full one.

Starts ``convscope`` with a fresh, empty ``CONVSCOPE_CACHE_DIR``, fetches /playground
as soon as the server answers, then opens the websocket and sends a conv.run at once
(seed 001's 3×3 picture), then a few of the playground's size (1×28×28, two 3×3
filters, padding 1) while the kernels still compile; then waits for /healthz to say
``engine_ready``. Then starts a second server on the cache the first one filled.
Times are from the start of the process (wall clock, this machine).

    python tests/bench/cold_start.py [--runs 1] [--root PATH]

``--root`` measures another checkout (for example a worktree of an older commit).
A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.core import wire  # noqa: E402

SEED001 = {
    "input": {"channels": 1, "height": 3, "width": 3, "values": [0, 80, 40, 20, 40, 0, 0, 0, 40]},
    "kernels": {"filters": 1, "height": 2, "width": 2, "values": [0, 0.25, 0.5, 1]},
    "flip": True,
}


def playground_params(rng: np.random.Generator) -> dict:
    return {
        "input": {"channels": 1, "height": 28, "width": 28, "values": rng.uniform(0, 1, 784).round(3).tolist()},
        "kernels": {"filters": 2, "height": 3, "width": 3, "values": rng.standard_normal(18).round(3).tolist()},
        "padding": [1, 1, 1, 1],
    }


def ask(ws, id: int, params: dict) -> dict:
    ws.send(json.dumps({"id": id, "type": "conv.run", "params": params}))
    message = ws.recv(timeout=120)
    header = wire.decode(message)[0] if isinstance(message, bytes) else json.loads(message)
    if header.get("type") != "conv.result":
        raise SystemExit(f"conv.run was not answered with a result: {header}")
    return header


def get(url: str) -> bytes | None:
    try:
        return urllib.request.urlopen(url, timeout=2).read()
    except OSError:
        return None


def one_start(root: Path, cache: Path, log: Path) -> dict[str, float]:
    """Start a server on ``cache``; the seconds from its start to each event."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", CONVSCOPE_CACHE_DIR=str(cache), XDG_CACHE_HOME=str(cache / "xdg"))
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "--no-browser", "--port", "0"],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    times: dict[str, float] = {}
    try:
        url = None
        while url is None:
            match = re.search(r"(http://\S+/)", log.read_text())
            url = match and match.group(1)
            if proc.poll() is not None:
                raise SystemExit(f"convscope exited: {log.read_text()}")
            time.sleep(0.005)
        times["URL printed"] = time.perf_counter() - start
        while get(url + "playground") is None:
            time.sleep(0.01)
        times["page served"] = time.perf_counter() - start
        with connect(url.replace("http://", "ws://") + "ws", max_size=2**26, open_timeout=30) as ws:
            ask(ws, 1, SEED001)
            times["first conv.run answered"] = time.perf_counter() - start
            rng = np.random.default_rng(0)
            laps = []
            for i in range(5):
                t = time.perf_counter()
                ask(ws, 2 + i, playground_params(rng))
                laps.append(time.perf_counter() - t)
            times["then conv.run 28×28, median"] = statistics.median(laps)
        times["engine ready at answer"] = float(b'"engine_ready":true' in (get(url + "healthz") or b""))
        while b'"engine_ready":true' not in (get(url + "healthz") or b""):
            time.sleep(0.1)
        times["engine ready"] = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return times


def show(title: str, runs: list[dict[str, float]]) -> None:
    print(title)
    for key in runs[0]:
        values = [r[key] for r in runs]
        if key == "engine ready at answer":
            print(f"  {'engine ready when answered':28s} {sum(values):.0f} of {len(values)} runs")
        elif "median" in key:
            print(f"  {key:28s} {statistics.median(values) * 1000:8.1f} ms")
        else:
            print(
                f"  {key:28s} {statistics.median(values):8.2f} s"
                + (f"  (runs: {', '.join(f'{v:.2f}' for v in values)})" if len(values) > 1 else "")
            )
    page, first = (
        statistics.median(r["page served"] for r in runs),
        statistics.median(r["first conv.run answered"] for r in runs),
    )
    print(f"  {'first answer after the page':28s} {first - page:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold and warm starts to make (default 1)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to start (default: this one)")
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="convscope-cold-") as tmp:
            cache = Path(tmp) / "cache"
            cold.append(one_start(args.root, cache, Path(tmp) / "cold.log"))
            warm.append(one_start(args.root, cache, Path(tmp) / "warm.log"))
    print(f"convscope at {args.root}, {os.cpu_count()} cores, {args.runs} run(s); seconds from the server's start")
    show("empty kernel cache:", cold)
    show("kernel cache filled by that run:", warm)


if __name__ == "__main__":
    main()
