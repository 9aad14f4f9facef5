"""The live X-vs-O trainer: how fast the default run learns, and what a snapshot costs.

Prints the first-use time (compiling the kernels, or loading them from the
cache), the compute time the default run (seed 0, and a few more seeds) needs
to reach 100% test accuracy, batches per second, the cost of evaluate()+record()
and of maps(), and how many snapshots per second a loop that evaluates every N
batches could send. Target: 100% test accuracy within 1 s of compute.

    python tests/bench/bench_xo.py [--seeds 0 1 2 3 4] [--repeats 2000]

A benchmark prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.xo_data import NAMED_SAMPLES, make_dataset
from engine.xo_train import TrainConfig, Trainer

CHUNK = 10  # batches between evaluations while racing to 100%


def median_us(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def time_to_target(seed: int, max_steps: int = 20_000) -> tuple[int, float, float]:
    """Steps, training compute (s) and compute including the evaluations, until test accuracy is 100%."""
    trainer = Trainer(TrainConfig(seed=seed))
    train_s = eval_s = 0.0
    while trainer.steps < max_steps:
        start = time.perf_counter()
        trainer.train(CHUNK)
        mid = time.perf_counter()
        metrics = trainer.record()
        eval_s += time.perf_counter() - mid
        train_s += mid - start
        if metrics.test_acc == 1.0:
            break
    return trainer.steps, train_s, train_s + eval_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()

    start = time.perf_counter()
    trainer = Trainer(TrainConfig())
    trainer.train(1)
    trainer.record()
    trainer.maps(NAMED_SAMPLES["seed_x"])
    trainer.maps(NAMED_SAMPLES["seed_x"], "hand")
    print(f"first use (compile or load the kernels, build data and nets): {time.perf_counter() - start:.2f} s")

    print(f"make_dataset() 9×9, 128+32:        {median_us(make_dataset, 20) / 1e3:8.1f} ms")
    print(f"make_dataset(16) 16×16, 128+32:    {median_us(lambda: make_dataset(16), 5) / 1e3:8.1f} ms")
    print(f"Trainer(TrainConfig()) (a reset):  {median_us(lambda: Trainer(TrainConfig()), 20) / 1e3:8.1f} ms")
    print(f"trainer.reset() (same data):       {median_us(trainer.reset, 200):8.1f} µs")

    print("\ndefault run to 100% test accuracy (evaluating every", CHUNK, "batches):")
    for seed in args.seeds:
        steps, train_s, total_s = time_to_target(seed)
        print(
            f"  seed {seed}: {steps:5d} batches, {train_s * 1e3:7.2f} ms of training, "
            f"{total_s * 1e3:7.2f} ms with evaluations"
        )

    trainer = Trainer(TrainConfig())
    trainer.train(100)
    batches = 5000
    start = time.perf_counter()
    trainer.train(batches)
    step_s = (time.perf_counter() - start) / batches
    print(f"\nbatches/s (batch {trainer.config.batch}): {1 / step_s:,.0f}   ({step_s * 1e6:.1f} µs per batch)")

    eval_us = median_us(trainer.evaluate, args.repeats)
    record_us = median_us(trainer.record, args.repeats)
    x = NAMED_SAMPLES["seed_distorted_x"]
    print(
        f"evaluate():          {eval_us:8.1f} µs  ({trainer.config.n_train}+{trainer.config.n_test} "
        "examples, one forward)"
    )
    print(f"evaluate()+record(): {record_us:8.1f} µs")
    print(f"maps(x, 'trained'):  {median_us(lambda: trainer.maps(x), args.repeats):8.1f} µs")
    print(f"maps(x, 'hand'):     {median_us(lambda: trainer.maps(x, 'hand'), args.repeats):8.1f} µs")
    print(f"filters():           {median_us(trainer.filters, args.repeats):8.1f} µs")

    print("\nevaluating every N batches, the loop could run:")
    for n in (1, 5, 10, 25, 50, 100):
        cycle = n * step_s + record_us * 1e-6
        print(f"  N = {n:3d}: {1 / cycle:8,.0f} snapshots/s, {n / cycle:9,.0f} batches/s")


if __name__ == "__main__":
    main()
