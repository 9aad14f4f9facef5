"""How fast the course's newer widgets answer: one request's round trip on loopback, printed, never asserted.

A real server (``convscope``, as a user starts it, on a free port), one page's websocket, and for each
message the setup its lesson opens with, plus a heavier one at the message's limits: the median and
95th percentile of ``--rounds`` round trips (request sent to the last binary frame of its answer).
A slider move waits on exactly this, so under ~30 ms it feels immediate.

    python tests/bench/bench_lesson_widgets.py
    python tests/bench/bench_lesson_widgets.py --rounds 200
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.app.conftest import Page  # noqa: E402
from tests.conftest import running_server  # noqa: E402


def wait_engine_ready(url: str) -> None:
    """Until its warm-up has compiled the kernels, a server answers with their slower NumPy twins."""
    while not json.loads(urllib.request.urlopen(url + "healthz", timeout=5).read())["engine_ready"]:
        time.sleep(0.2)


PACE = 0.01  # seconds from one request to the next, at least


def ramp(n: int, lo: float = -3, hi: float = 3) -> list[float]:
    """n whole-ish numbers from lo to hi: inputs like a lesson's."""
    return [round(lo + (hi - lo) * i / max(1, n - 1)) for i in range(n)]


def dilated(n: int, ds: list[int]) -> dict:
    return {"n": n, "layers": [{"kind": "conv", "k": 3, "s": 1, "p": 0, "d": d} for d in ds]}


# (message, what, params): the lesson's opening setup, then one at the message's limits.
CASES = [
    ("transpose.run", "2×2 input, 3×3 kernel, stride 2", {"values": [1, 2, 3, 4], "kernel": [1] * 9, "stride": 2}),
    (
        "transpose.run",
        "6×6 input, 4×4 kernel, stride 3",
        {"height": 6, "width": 6, "values": ramp(36), "kernel_size": 4, "kernel": ramp(16), "stride": 3},
    ),
    ("im2col.run", "4×4, two 3×3 filters", {"values": ramp(16), "weights": ramp(18)}),
    (
        "im2col.run",
        "3×8×8, four 4×4 filters",
        {"channels": 3, "height": 8, "width": 8, "values": ramp(192), "filters": 4, "kernel_size": 4},
    ),
    ("receptive.run", "three 3×3 on 16×16", {"n": 16, "layers": [{"kind": "conv", "k": 3}] * 3}),
    ("receptive.run", "dilations 1, 2, 4, 8 on 32×32", dilated(32, [1, 2, 4, 8])),
    ("grouped.run", "the lesson's default", {}),
    (
        "grouped.run",
        "separable, 8 channels 8×8, k 5",
        {"mode": "separable", "c_in": 8, "c_out": 8, "height": 8, "width": 8, "k": 5},
    ),
    ("residual.run", "the lesson's default", {}),
    (
        "residual.run",
        "projection, 4 channels, depth 50",
        {"shortcut": "projection", "stride": 2, "channels": 2, "out_channels": 4, "height": 8, "width": 8, "depth": 50},
    ),
    ("softmax.run", "three logits", {"logits": [2, 1, 0.1], "label": 0}),
    (
        "softmax.run",
        "ten logits, T 0.5, ε 0.1",
        {"logits": ramp(10, -5, 5), "label": 3, "temperature": 0.5, "smoothing": 0.1},
    ),
]


def complete(params: dict, type_name: str) -> dict:
    """im2col's weights follow its filters and kernel: filled in here so each case states only what it varies."""
    if type_name == "im2col.run" and "weights" not in params:
        f, c, k = params.get("filters", 2), params.get("channels", 1), params.get("kernel_size", 3)
        params = {**params, "weights": ramp(f * c * k * k, -1, 1)}
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    with running_server(0) as url:
        wait_engine_ready(url)
        with Page(url.replace("http://", "ws://") + "ws") as page:
            print(f"{'message':<14} {'setup':<36} {'p50 ms':>7} {'p95 ms':>7}")
            worst = 0.0
            for type_name, what, params in CASES:
                params = complete(params, type_name)
                first = page.ask(type_name, params)
                assert not first.type.endswith("error"), (type_name, first.meta)
                times = []
                for _ in range(args.rounds):
                    start = time.perf_counter()
                    page.ask(type_name, params)
                    took = time.perf_counter() - start
                    times.append(took * 1000)
                    time.sleep(max(0.0, PACE - took))  # a page may send at most 200 requests a second
                p50 = statistics.median(times)
                p95 = statistics.quantiles(times, n=20)[-1]
                worst = max(worst, p95)
                print(f"{type_name:<14} {what:<36} {p50:>7.1f} {p95:>7.1f}")
            print(f"slowest p95 {worst:.1f} ms over {len(CASES)} setups, {args.rounds} rounds each")


if __name__ == "__main__":
    main()
