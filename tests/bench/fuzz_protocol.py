"""Send thousands of hostile frames to a fresh server and print what came back, by outcome.

    python tests/bench/fuzz_protocol.py [--count 10000] [--port 8950]

Every request type gets frames from tests/app/fuzzing.py (fields out of range, wrong
types, huge numbers, lone surrogates, deep nesting, stray keys), plus frames that are
not messages at all. Prints counts of results, errors by code, frames answered more
than once or not at all, the server's tracebacks, and its memory before and after.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from tests.app.fuzzing import TYPES, FuzzClient, expected_id, frames, message, text_of  # noqa: E402
from tests.conftest import running_server, server_rss_mb  # noqa: E402

# The websocket client draws its frame masks from the random module inside a draw; not a strategy's doing.
warnings.filterwarnings("ignore", "Do not use the `random` module")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8950)
    args = parser.parse_args()
    log = Path(tempfile.gettempdir()) / f"convscope-fuzz-{args.port}.log"
    counts: collections.Counter[str] = collections.Counter()
    with running_server(args.port, log=log) as url, connect(url.replace("http", "ws") + "ws", max_size=2**26) as ws:
        client = FuzzClient(ws, rate=180)
        while not json.loads(urllib.request.urlopen(url + "healthz", timeout=5).read())["engine_ready"]:
            time.sleep(0.2)  # compiling kernels takes memory once; measure from a warm engine
        before = server_rss_mb(args.port)
        warm: list[float] = []  # the memory after the first tenth, when every type has run at least once
        start = time.monotonic()

        @settings(
            max_examples=args.count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(frame=st.one_of(st.sampled_from(TYPES).flatmap(message).map(text_of), frames))
        def send(frame):
            if sum(counts.values()) == args.count // 10:
                warm.append(server_rss_mb(args.port))
            answers = client.exchange(frame, timeout=30)
            if not answers:
                counts["unanswered"] += 1
            elif len(answers) > 1:
                counts["answered more than once"] += 1
            elif answers[0]["id"] != expected_id(frame):
                counts["answer with the wrong id"] += 1
            elif answers[0]["type"] == "error":
                counts[f"error {answers[0]['code']}"] += 1
            else:
                counts["result"] += 1

        send()
        seconds = time.monotonic() - start
        after = server_rss_mb(args.port)
    text = log.read_text()
    total = sum(counts.values())
    print(f"{total} frames in {seconds:.0f} s")
    for outcome, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {outcome:28} {n:6d}  ({n / total:.1%})")
    print(f"server tracebacks in its log: {text.count('Traceback')}")
    print(
        f"server memory: {before:.0f} MB with the engine warm, {warm[0] if warm else float('nan'):.0f} MB "
        f"after the first tenth, {after:.0f} MB after all"
    )
    bad = (
        counts["unanswered"]
        + counts["answered more than once"]
        + counts["answer with the wrong id"]
        + counts["error internal"]
    )
    print(f"internal: {counts['error internal']}, unanswered: {counts['unanswered']}, bad answers: {bad}")


if __name__ == "__main__":
    main()
