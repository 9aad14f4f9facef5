"""X vs O trained live, in Chromium: snapshots received and drawn per second, and the time to 100%.

Starts ``convscope`` on port 8912, opens /xo at each speed (batches a second; 0 is "Max"),
presses Play and counts, over ``--seconds``, the snapshots the page received and the frames
it drew (``window.convscopeXO.counters``: the page draws the newest snapshot once per
animation frame and drops the rest). "Behind" is how many snapshots the page held but had
not drawn when the count ended; "lag" is the time from a snapshot's arrival to its frame.
The time to 100% runs from the Play click to the first frame showing 100% test accuracy.
Target: at least 20 snapshots a second received, without falling behind (at a speed below 20
batches a second, a snapshot per batch: there is nothing newer to send).

    python tests/bench/bench_xo_page.py [--seconds 5] [--speeds 30 100 0]

A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
PORT = 8912
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TARGET = 20  # snapshots a second

# Installed in the page before Play: when Play was pressed, when 100% test accuracy was first drawn.
WATCH = """() => {
  window.benchXO = { playAt: null, perfectAt: null };
  window.convscopeXO.run.subscribe(({ snapshot }) => {
    const first = snapshot && snapshot.meta.test_acc === 1 && window.benchXO.perfectAt === null;
    if (first) window.benchXO.perfectAt = performance.now();
  });
  window.benchXO.playAt = performance.now();
  document.querySelector(".xo-play").click();
}"""
COUNTS = (
    "({...window.convscopeXO.counters, seq: window.convscopeXO.meta.seq, step: window.convscopeXO.meta.step,"
    " now: performance.now()})"
)


def start_server() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--no-browser", "--port", str(PORT)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+/)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"convscope printed no URL: {line!r}")
    url = match.group(1)
    deadline = time.monotonic() + 120
    while True:  # wait until the engine has compiled (or loaded its cache), so no run pays for it
        try:
            if b'"engine_ready":true' in urllib.request.urlopen(url + "healthz", timeout=2).read():
                return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("convscope did not become ready")
        time.sleep(0.2)


def run_speed(browser, url: str, speed: int, seconds: float) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}xo?speed={speed}")
    page.wait_for_function(
        "window.convscopeXO && window.convscopeXO.meta && document.querySelector('#train-widget').dataset.ready",
        timeout=120_000,
    )
    page.evaluate(WATCH)
    page.wait_for_function("window.convscopeXO.meta.playing", timeout=60_000)
    page.wait_for_timeout(300)  # past the first frames
    a = page.evaluate(COUNTS)
    # Count for `seconds`, or until the run stops by itself (at "max" it trains its last batch in under a second).
    page.wait_for_function(
        "!window.convscopeXO.meta.playing", timeout=seconds * 1000
    ) if speed == 0 else page.wait_for_timeout(seconds * 1000)
    b = page.evaluate(COUNTS)
    page.wait_for_function("window.benchXO.perfectAt !== null", timeout=120_000)
    perfect = page.evaluate(
        "({ms: window.benchXO.perfectAt - window.benchXO.playAt, step: window.convscopeXO.meta.first_perfect_step})"
    )
    page.close()
    span = (b["now"] - a["now"]) / 1000
    return {
        "received": (b["received"] - a["received"]) / span,
        "drawn": (b["drawn"] - a["drawn"]) / span,
        "stale": b["stale"] - a["stale"],
        "behind": b["seq"] - b["drawnSeq"],
        "lag": b["lagMs"],
        "max_lag": b["maxLagMs"],
        "batches": (b["step"] - a["step"]) / span,
        "perfect_ms": perfect["ms"],
        "perfect_step": perfect["step"],
        "span": span,
        "draw_ms": (b["drawMs"] - a["drawMs"]) / max(1, b["drawn"] - a["drawn"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--speeds", type=int, nargs="+", default=[30, 100, 0])
    args = parser.parse_args()
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
            browser = p.chromium.launch(executable_path=path, args=FLAGS)
            print(f"/xo playing for {args.seconds:g} s per speed (default run: seed 0, 9×9, 3 filters)")
            print(
                f"{'speed':>6} {'counted':>8} {'batches/s':>10} {'received/s':>11} {'drawn/s':>8} "
                f"{'draw ms':>8} {'stale':>6} "
                f"{'behind':>7} {'lag ms':>7} {'max lag':>8} {'100% after':>11} {'at step':>8}"
            )
            for speed in args.speeds:
                r = run_speed(browser, url, speed, args.seconds)
                name = "max" if speed == 0 else f"{speed}/s"
                print(
                    f"{name:>6} {r['span']:>7.1f}s {r['batches']:>10.0f} {r['received']:>11.1f} "
                    f"{r['drawn']:>8.1f} {r['draw_ms']:>8.1f} "
                    f"{r['stale']:>6} {r['behind']:>7} "
                    f"{r['lag']:>7.1f} {r['max_lag']:>8.1f} {r['perfect_ms'] / 1000:>10.2f}s {r['perfect_step']!s:>8}"
                )
                # Below TARGET batches a second a snapshot per batch is the most there is to send.
                need = min(TARGET, r["batches"])
                verdict = "meets" if r["received"] >= 0.95 * need and r["behind"] <= 1 else "misses"
                print(
                    f"  {verdict} the target: {need:.0f} snapshots a second (one per batch, at most {TARGET}) "
                    "without falling behind"
                )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
