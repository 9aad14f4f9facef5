"""Slider change → output drawn, in the playground, in Chromium: p50 and p95 against targets.

Starts ``convscope`` on a free port, opens /playground with a photo input (16×16 and 64×64,
target p95 ≤ 30 ms), then the lecture's large setups: a 227×227 photo
with an 11×11 random filter at stride 4 (target p95 ≤ 50 ms) and the largest setup,
256×256×3 with 16 filters of 11×11 at stride 4 (target p95 ≤ 100 ms). On each it makes
slider changes alternating stride, kernel size and padding, as a keyboard user would
(arrows on a focused slider). The page marks each change and each drawn result
(``performance.mark('convscope:change')`` → ``'convscope:drawn'``, measure
``convscope:change-to-drawn``); this script reads those measures. A kernel-size change
costs two round trips (the preset at the new size, then the run). It also counts the bytes
the page sends per change (a large input travels once, then by its name) and ends with a
summary of p50 and p95 against each target. The machine's load is printed first: other work
on it slows every number.

    python tests/bench/bench_playground.py [--changes 100] [--setups 16 64 photo227 volume256]

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
PORT = 0  # any free port (the URL it prints says which): a second run on the machine cannot collide
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
# Counts what the page's socket sends, so each change's request bytes can be read.
COUNT_SENT = """
(() => {
  window.benchSent = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.benchSent += typeof data === "string" ? data.length : data.byteLength; // ASCII JSON: a byte a character
    return send.call(this, data);
  };
})();
"""
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
# The large setups sit at the largest kernel (11), so their kernel slider goes down first.
ROUND_DOWN = [
    (slider, {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight"}[key]) if slider == "kernel" else (slider, key)
    for slider, key in ROUND
]
WARMUP = 12
# name: (query, round, target p95 in ms)
SETUPS = {
    "16": ("in=photo&h=16&w=16&kp=box_blur", ROUND, 30),
    "64": ("in=photo&h=64&w=64&kp=box_blur", ROUND, 30),
    "photo227": ("in=photo&h=227&w=227&k=11&s=4&kp=random", ROUND_DOWN, 50),
    "volume256": ("in=photo&h=256&w=256&c=3&f=16&k=11&s=4&kp=random", ROUND_DOWN, 100),
}


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


def run_setup(browser, url: str, name: str, changes: int) -> tuple[dict[str, list[float]], list[float]]:
    """Times per control (ms) and the kB the page sent for each change."""
    query, steps, _ = SETUPS[name]
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.add_init_script(COUNT_SENT)
    page.goto(f"{url}playground?{query}")
    page.wait_for_function("window.convscope !== undefined")
    page.evaluate("window.convscope.ready")
    times: dict[str, list[float]] = {}
    sent: list[float] = []
    for i in range(WARMUP + changes):
        slider, key = steps[i % len(steps)]
        before, sent_before = page.evaluate(f"[performance.getEntriesByName('{MEASURE}').length, window.benchSent]")
        page.locator(f"#ctl-{slider}").focus()
        page.keyboard.press(key)
        page.wait_for_function(f"n => performance.getEntriesByName('{MEASURE}').length > n", arg=before)
        if i >= WARMUP:
            sent.append((page.evaluate("window.benchSent") - sent_before) / 1000)
            total, drawing = page.evaluate(
                f"[performance.getEntriesByName('{MEASURE}').at(-1).duration, "
                f"performance.getEntriesByName('{DRAWING}').at(-1).duration]"
            )
            times.setdefault(slider, []).append(total)
            times.setdefault("(drawing)", []).append(drawing)
    shape = page.evaluate("window.convscope.lastResult.meta.output_shape")
    page.close()
    print(f"  ({query}: output ends at {shape[1]}×{shape[2]}×{shape[0]})")
    return times, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    args = parser.parse_args()
    proc, url = start_server()
    try:
        with sync_playwright() as p:
            path = CHROMIUM if os.access(CHROMIUM, os.X_OK) else None
            browser = p.chromium.launch(executable_path=path, args=FLAGS)
            load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
            print(f"machine: {os.cpu_count()} cores, load average {load} (1, 5, 15 min)")
            print(f"slider change → output drawn, {args.changes} changes per size (ms)")
            print(f"{'setup':>10} {'control':>9} {'n':>4} {'p50':>7} {'p95':>7} {'max':>7}")
            summary = []
            for setup in args.setups:
                target = SETUPS[setup][2]
                times, sent = run_setup(browser, url, setup, args.changes)
                every = [t for name, ts in times.items() if name != "(drawing)" for t in ts]
                for name, ts in [*times.items(), ("all", every)]:
                    print(
                        f"{setup:>10} {name:>9} {len(ts):>4} {statistics.median(ts):>7.1f} "
                        f"{percentile(ts, 95):>7.1f} {max(ts):>7.1f}"
                    )
                p95 = percentile(every, 95)
                print(f"  p95 {p95:.1f} ms = {p95 / target:.2f} × the {target} ms target")
                print(f"  sent per change: p50 {statistics.median(sent):.1f} kB, max {max(sent):.1f} kB")
                summary.append((setup, statistics.median(every), p95, target))
            print("summary: slider change → output drawn, every control (ms)")
            print(f"{'setup':>10} {'p50':>7} {'p95':>7} {'target':>7} {'p95/target':>11}")
            for setup, p50, p95, target in summary:
                verdict = "within" if p95 <= target else "over"
                print(f"{setup:>10} {p50:>7.1f} {p95:>7.1f} {target:>7} {p95 / target:>11.2f}  {verdict}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
