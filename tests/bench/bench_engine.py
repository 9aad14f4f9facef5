"""Engine speed against PyTorch CPU: medians and ratios, printed, never asserted.

Each side runs in its own process (PyTorch and Numba threads slow each other
down when they share one), on the same inputs, and the parent prints a table.

    python tests/bench/bench_engine.py            # the table
    python tests/bench/bench_engine.py --compile  # also cold-compile and warm-start times
    python tests/bench/bench_engine.py --only lenet --rounds 5  # LeNet-5's step alone, side by side
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    ("xo_b1", "X-vs-O fwd+bwd, batch 1"),
    ("xo_b16", "X-vs-O fwd+bwd, batch 16"),
    ("conv28", "conv 28×28, 6 filters 5×5, fwd+bwd"),
    ("lenet_b1", "LeNet-5 SGD step, batch 1"),
    ("lenet_b64", "LeNet-5 SGD step, batch 64"),
    ("photo", "conv 3×64×64, ten 3×3 filters, fwd"),
    ("sobel", "Sobel 256×256, fwd"),
]
SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def median_seconds(fn, budget: float = 1.0, rounds: int = 30) -> float:
    """Median time of one call, from ``rounds`` rounds each long enough to time reliably."""
    for _ in range(3):
        fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    per_round = max(1, int(budget / rounds / once))
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(per_round):
            fn()
        samples.append((time.perf_counter() - t) / per_round)
    return statistics.median(samples)


def inputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "xo1": rng.standard_normal((1, 1, 9, 9)).astype(np.float32),  # (1, 1, 9, 9)
        "xo16": rng.standard_normal((16, 1, 9, 9)).astype(np.float32),  # (16, 1, 9, 9)
        "mnist1": rng.standard_normal((1, 1, 28, 28)).astype(np.float32),  # (1, 1, 28, 28)
        "mnist64": rng.standard_normal((64, 1, 28, 28)).astype(np.float32),  # (64, 1, 28, 28)
        "photo": rng.standard_normal((1, 3, 64, 64)).astype(np.float32),  # (1, 3, 64, 64)
        "photo_w": rng.standard_normal((10, 3, 3, 3)).astype(np.float32),  # (10, 3, 3, 3)
        "big": rng.standard_normal((1, 1, 256, 256)).astype(np.float32),  # (1, 1, 256, 256)
        "w28": rng.standard_normal((6, 1, 5, 5)).astype(np.float32),  # (6, 1, 5, 5)
        "gy28": rng.standard_normal((1, 6, 24, 24)).astype(np.float32),  # (1, 6, 24, 24)
    }


def engine_cases() -> dict:
    sys.path.insert(0, str(ROOT))
    from engine import SGD, Network, conv2d, conv2d_backward
    from engine.network import XO_INPUT, XO_LAYERS, lenet5_layers

    d = inputs()
    xo = Network(XO_INPUT, XO_LAYERS, seed=0)
    lenet = Network((1, 28, 28), lenet5_layers(), seed=0)
    opt = SGD(0.01, momentum=0.9)
    labels = {n: np.arange(n) % 2 for n in (1, 16)} | {64: np.arange(64) % 10}
    sobel = np.array(SOBEL_X, np.float32)[None, None]  # (1, 1, 3, 3)

    def conv28():
        conv2d(d["mnist1"], d["w28"])
        conv2d_backward(d["gy28"], d["mnist1"], d["w28"])

    return {
        "xo_b1": lambda: xo.loss_and_grads(d["xo1"], labels[1]),
        "xo_b16": lambda: xo.loss_and_grads(d["xo16"], labels[16]),
        "conv28": conv28,
        "lenet_b1": lambda: lenet.train_step(opt, d["mnist1"], labels[64][:1]),
        "lenet_b64": lambda: lenet.train_step(opt, d["mnist64"], labels[64]),
        "photo": lambda: conv2d(d["photo"], d["photo_w"]),
        "sobel": lambda: conv2d(d["big"], sobel),
    }


def torch_cases() -> dict:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    d = {k: torch.tensor(v) for k, v in inputs().items()}
    xo = nn.Sequential(nn.Conv2d(1, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(27, 2))
    lenet = nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )
    opt = torch.optim.SGD(lenet.parameters(), 0.01, momentum=0.9)
    labels = {n: torch.arange(n) % 2 for n in (1, 16)} | {64: torch.arange(64) % 10}
    sobel = torch.tensor(SOBEL_X, dtype=torch.float32)[None, None]
    w28 = d["w28"].clone().requires_grad_()

    def xo_step(x, y):
        xo.zero_grad()
        F.cross_entropy(xo(x), y).backward()

    def lenet_step(x, y):
        opt.zero_grad()
        F.cross_entropy(lenet(x), y).backward()
        opt.step()

    def conv28():
        x = d["mnist1"].clone().requires_grad_()
        F.conv2d(x, w28).backward(d["gy28"])

    def no_grad(fn):
        def run():
            with torch.no_grad():
                fn()

        return run

    return {
        "xo_b1": lambda: xo_step(d["xo1"], labels[1]),
        "xo_b16": lambda: xo_step(d["xo16"], labels[16]),
        "conv28": conv28,
        "lenet_b1": lambda: lenet_step(d["mnist1"], labels[64][:1]),
        "lenet_b64": lambda: lenet_step(d["mnist64"], labels[64]),
        "photo": no_grad(lambda: F.conv2d(d["photo"], d["photo_w"])),
        "sobel": no_grad(lambda: F.conv2d(d["big"], sobel)),
    }


def run_side(side: str, only: str = "") -> None:
    cases = engine_cases() if side == "engine" else torch_cases()
    print(json.dumps({name: median_seconds(fn) for name, fn in cases.items() if name.startswith(only)}))


def child(args: list[str], env: dict | None = None) -> str:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip().splitlines()[-1]


def startup_times() -> tuple[float, float]:
    """(cold, warm) seconds from a fresh process to every engine kernel ready."""
    code = (
        f"import time; t = time.perf_counter(); import sys; sys.path.insert(0, {str(ROOT)!r});"
        "from engine.warmup import warm_up; warm_up(); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, CONVSCOPE_CACHE_DIR=cache)
        env.pop("NUMBA_CACHE_DIR", None)
        run = lambda: float(
            subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
        )
        return run(), run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", choices=("engine", "torch"))
    parser.add_argument("--compile", action="store_true", help="also time a cold compile and a warm start")
    parser.add_argument("--rounds", type=int, default=3, help="alternating engine/PyTorch rounds (default 3)")
    parser.add_argument("--only", default="", help="only the cases whose name starts with this (e.g. lenet)")
    args = parser.parse_args()
    if args.side:
        run_side(args.side, args.only)
        return
    # This machine's speed drifts from minute to minute, so the two sides take
    # turns, several rounds each, and each side keeps its best median.
    runs: dict[str, list[dict]] = {"engine": [], "torch": []}
    for _ in range(args.rounds):
        for side in runs:
            runs[side].append(json.loads(child(["--side", side, "--only", args.only])))
    cases = [(name, label) for name, label in CASES if name.startswith(args.only)]
    engine, torch_ = ({name: min(r[name] for r in rs) for name, _ in cases} for rs in runs.values())
    print(f"best of {args.rounds} alternating rounds, each the median of 30 timings")
    print(f"{'case':44} {'engine':>11} {'PyTorch':>11} {'speed-up':>9}")
    for name, label in cases:
        e, t = engine[name], torch_[name]
        print(f"{label:44} {fmt(e):>11} {fmt(t):>11} {t / e:>8.1f}×")
    if "lenet_b64" in engine:
        lenet = engine["lenet_b64"], torch_["lenet_b64"]
        print(
            f"LeNet-5 batch 64: {1 / lenet[0]:.0f} steps/s (engine) vs {1 / lenet[1]:.0f} steps/s "
            f"(PyTorch), time ratio {lenet[0] / lenet[1]:.2f} (aim: at most 0.8)"
        )
        print(f"LeNet-5 batch 1: {torch_['lenet_b1'] / engine['lenet_b1']:.1f}× PyTorch's speed (aim: at least 5×)")
    if args.compile:
        cold, warm = startup_times()
        print(
            f"kernels ready from a fresh process: cold compile {cold:.1f} s, warm start from the disk "
            f"cache {warm:.2f} s"
        )


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


if __name__ == "__main__":
    main()
