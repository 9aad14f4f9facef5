"""LeNet-5 on MNIST from pressing Play: test accuracy over time and snapshots reaching the page, printed.

Starts a server as a user would, opens one page's socket, starts the default run and
plays it for ``--seconds`` of wall-clock time, reading every pushed snapshot as a page
would. Prints the test accuracy as it is recorded, and ends with the line
``test accuracy A% after T s of training, S snapshots/s`` (A: the newest recorded test
accuracy when time is up; T: the wall-clock seconds since Play; S: snapshots received a
second). Never asserted: the numbers depend on the machine and on what else it runs.

    python tests/bench/bench_digits.py [--seconds 15] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from websockets.sync.client import connect  # noqa: E402

from app.core import wire  # noqa: E402
from tests.conftest import running_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--port", type=int, default=8979)
    args = parser.parse_args()
    with running_server(args.port) as url, connect(url.replace("http", "ws") + "ws", max_size=2**26) as ws:

        def send(id: int, type: str, params: dict) -> None:
            ws.send(json.dumps({"id": id, "type": type, "params": params}))

        def frame(timeout: float):
            header, arrays = wire.decode(ws.recv(timeout=timeout))
            return header, arrays

        send(1, "digits.start", {"config": {"seed": args.seed}})
        while frame(300)[0]["id"] != 1:  # the first start may wait for the kernels to compile
            pass
        send(2, "digits.play", {})
        start = time.monotonic()
        snapshots, last, reached = 0, None, None
        shown = -1
        while (now := time.monotonic() - start) < args.seconds:
            try:
                header, _ = frame(max(0.05, args.seconds - now))
            except TimeoutError:  # time is up before the next snapshot
                continue
            if header.get("type") != "digits.snapshot":
                continue
            snapshots += header["id"] is None
            m = header["meta"]
            last = m
            if m["recorded_step"] != shown:
                shown = m["recorded_step"]
                print(f"{now:6.2f} s  step {m['recorded_step']:5d}  test accuracy {m['test_acc'] * 100:5.1f}%")
            if reached is None and m["test_acc"] >= 0.97:
                reached = now
        elapsed = time.monotonic() - start
        send(3, "digits.pause", {})
    if reached is not None:
        print(f"first at 97% after {reached:.1f} s (the engine's own clock: step {last['first_target']['step']})")
    print(
        f"test accuracy {last['test_acc'] * 100:.1f}% after {elapsed:.1f} s of training, "
        f"{snapshots / elapsed:.1f} snapshots/s"
    )


if __name__ == "__main__":
    main()
