"""Slider change → output drawn, in the playground, in Chromium: p50 and p95 (target p95 ≤ 30 ms).

Starts ``convscope`` on port 8911, opens /playground with a photo input (16×16, then
64×64), and makes 100 slider changes alternating stride, kernel size and padding, as a
keyboard user would (arrows on a focused slider). The page marks each change and each
drawn result (``performance.mark('convscope:change')`` → ``'convscope:drawn'``, measure
``convscope:change-to-drawn``); this script reads those measures. A kernel-size change
costs two round trips (the preset at the new size, then the run).

    python tests/bench/bench_playground.py [--changes 100] [--sizes 16 64]

A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
PORT = 8911
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MEASURE = "convscope:change-to-drawn"
DRAWING = "convscope:answer-to-drawn"  # the part of it spent in the page after the answer came
# (slider, key to press): stride 1↔2, kernel 3↔4, padding 0↔1; the second round undoes the first.
ROUND = [
    ("stride", "ArrowRight"),
    ("kernel", "ArrowRight"),
    ("padding", "ArrowRight"),
    ("stride", "ArrowLeft"),
    ("kernel", "ArrowLeft"),
    ("padding", "ArrowLeft"),
]
WARMUP = 12


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
    deadline = time.monotonic() + 60
    while True:  # wait until the engine has compiled (or loaded its cache), so no change pays for it
        try:
            if b'"engine_ready":true' in urllib.request.urlopen(url + "healthz", timeout=2).read():
                return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("convscope did not become ready")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_size(browser, url: str, size: int, changes: int) -> dict[str, list[float]]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{url}playground?in=photo&h={size}&w={size}&kp=box_blur")
    page.wait_for_function("window.convscope !== undefined")
    page.evaluate("window.convscope.ready")
    times: dict[str, list[float]] = {}
    for i in range(WARMUP + changes):
        slider, key = ROUND[i % len(ROUND)]
        before = page.evaluate(f"performance.getEntriesByName('{MEASURE}').length")
        page.locator(f"#ctl-{slider}").focus()
        page.keyboard.press(key)
        page.wait_for_function(f"n => performance.getEntriesByName('{MEASURE}').length > n", arg=before)
        if i >= WARMUP:
            total, drawing = page.evaluate(
                f"[performance.getEntriesByName('{MEASURE}').at(-1).duration, "
                f"performance.getEntriesByName('{DRAWING}').at(-1).duration]"
            )
            times.setdefault(slider, []).append(total)
            times.setdefault("(drawing)", []).append(drawing)
    shape = page.evaluate("window.convscope.lastResult.meta.output_shape")
    page.close()
    print(f"  ({size}×{size} input, output ends at {shape[1]}×{shape[2]})")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 64])
    args = parser.parse_args()
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
            browser = p.chromium.launch(executable_path=path, args=FLAGS)
            print(f"slider change → output drawn, {args.changes} changes per size (ms)")
            print(f"{'input':>8} {'control':>8} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7}")
            for size in args.sizes:
                times = run_size(browser, url, size, args.changes)
                every = [t for name, ts in times.items() if name != "(drawing)" for t in ts]
                for name, ts in [*times.items(), ("all", every)]:
                    print(
                        f"{size:>5}×{size:<2} {name:>8} {len(ts):>4} {statistics.median(ts):>7.1f} "
                        f"{percentile(ts, 95):>7.1f} {max(ts):>7.1f}"
                    )
                verdict = "meets" if percentile(every, 95) <= 30 else "misses"
                print(f"  p95 {percentile(every, 95):.1f} ms {verdict} the 30 ms target")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
