"""One page's LeNet-5 run on MNIST digits: the X-vs-O training desk's queue, pacing and caps, with this trainer.

The desk (app.features.training.desk.TrainingDesk) keeps the requests in order,
trains in short chunks on a worker thread and pushes the newest snapshot, never
a queue; this module says what a digits run is: its job, its commands, its
frames. Metrics are recorded at fixed steps (:func:`next_record`), so a run
replayed after a reload or a restart draws the very same curves and timeline.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import ValidationError

from engine import digits
from engine.digits_data import CLASSES, raw, split_mask
from engine.errors import ArgumentError

from ...core import wire
from ...core.errors import Problem, explain
from ..training.desk import CHUNK_SECONDS, TrainingDesk, _error
from .models import IN_ORDER, MAPS, READY, REQUESTS, SIDE, SNAPSHOT

MAX_STEPS = 20_000  # batches; playing stops there
NO_JOB = "start a training run first (digits.start)"
# Snapshots a second at most. A snapshot carries the chosen digit's maps at every layer (about 40 KB).
SNAPSHOT_SECONDS = 1 / 20


def next_record(step: int) -> int:
    """The first step after ``step`` whose metrics the curves and the timeline keep: every 10th step to 100,
    every 50th to 1,000, then every 100th. Fixed steps, so a replayed run records the same points."""
    for limit, every in ((100, 10), (1000, 50)):
        if step < limit:
            return (step // every + 1) * every
    return (step // 100 + 1) * 100


def ranges() -> dict[str, list]:
    return {name: list(lo_hi) for name, lo_hi in digits.RANGES.items()}


class Job:
    """The trainer of one page, the state of its play button, and the step it shows (the timeline)."""

    max_steps = MAX_STEPS

    def __init__(self, config: digits.DigitsConfig, run: int):
        self.trainer = digits.Trainer(config)
        self.config = config
        self.run = run
        self.playing = False
        self.stopped: str | None = None
        self.speed = 0
        self.sample = 0
        self.seq = 0
        self.compute = 0.0  # seconds spent training (and recording)
        self.first_target: tuple[int, float] | None = None  # (step, seconds) the test accuracy first reached 97%
        self.view: int | None = None  # a timeline step shown instead of the run as it is, or None
        self._viewed: tuple[int, digits.Metrics] | None = None
        self.batch_seconds = 1e-3
        self.play_clock: tuple[float, int] | None = None
        self._record()

    def _record(self) -> None:
        m = self.trainer.record(self.compute)
        if self.first_target is None and m.test_acc >= 0.97:
            self.first_target = (m.steps, self.compute)

    def train(self, batches: int) -> None:
        t = self.trainer
        end = t.steps + batches
        t0 = time.perf_counter()
        while t.steps < end:
            t.train(min(end, next_record(t.steps)) - t.steps)
            if t.steps == next_record(t.steps - 1):
                self.compute += time.perf_counter() - t0
                t0 = time.perf_counter()
                self._record()
        spent = time.perf_counter() - t0
        self.compute += spent
        self.batch_seconds = 0.7 * self.batch_seconds + 0.3 * max(spent, 1e-6) / batches

    def replay(self, step: int, changes: list) -> None:
        """Bring the run to ``step`` as it went the first time: each live change before the step it came."""
        for change in sorted(changes, key=lambda c: c.at):
            self.train(max(0, min(change.at, MAX_STEPS) - self.trainer.steps))
            s = change.set
            self.trainer.set_hyper(lr=s.lr, momentum=s.momentum, batch=s.batch)
        self.train(max(0, min(step, MAX_STEPS) - self.trainer.steps))

    def chunk(self, budget: float = CHUNK_SECONDS) -> int:
        n = max(1, int(min(budget, CHUNK_SECONDS) / max(self.batch_seconds, 1e-7)))
        if self.speed:
            start, steps0 = self.play_clock
            due = int((time.monotonic() - start) * self.speed) - (self.trainer.steps - steps0)
            n = min(n, due)
        return max(0, min(n, MAX_STEPS - self.trainer.steps))

    def _shown(self):
        """(network, its metrics, its step): the viewed timeline step, or the run now."""
        t = self.trainer
        if self.view is None:
            return t.net, t.last_metrics, t.steps
        net = t.at_step(self.view)
        if self._viewed is None or self._viewed[0] != self.view:
            self._viewed = (self.view, t.evaluate(net))  # scoring 2,000 digits: once per step looked at
        return net, self._viewed[1], self.view

    def snapshot(self, id: int | None) -> bytes:
        t = self.trainer
        net, m, step = self._shown()
        self.seq += 1
        maps = t.maps(t.data.test_x[self.sample, 0], net)
        h = t.history
        arrays = {f"history_{k}": h[k] for k in digits.HISTORY_KEYS}
        arrays |= {
            "filters": t.filters(net),  # (6, 5, 5)
            "confusion": m.confusion.astype(np.int32),  # (10, 10) [true, predicted]
            "class_acc": m.class_acc,  # (10,)
            "test_pred": m.test_pred.astype(np.int32),  # (1000,)
            "timeline": np.array(t.timeline_steps, np.int32),  # (T,)
        }
        arrays |= {f"sample_{k}": v for k, v in maps.items()}
        first = self.first_target
        meta = {
            "run": self.run,
            "seq": self.seq,
            "step": t.steps,
            "shown_step": step,
            "view": self.view,
            "epoch": t.epoch,
            "playing": self.playing,
            "stopped": self.stopped,
            "train_loss": m.train_loss,
            "train_acc": m.train_acc,
            "test_loss": m.test_loss,
            "test_acc": m.test_acc,
            "recorded_step": m.steps,
            "lr": t.config.lr,
            "lr_now": t.lr_now,
            "momentum": t.config.momentum,
            "batch": t.config.batch,
            "speed": self.speed,
            "sample": self.sample,
            "label": CLASSES[int(t.data.test_y[self.sample])],
            "compute_seconds": self.compute,
            "first_target": None if first is None else {"step": first[0], "seconds": first[1]},
            "max_steps": MAX_STEPS,
        }
        out = {k: np.asarray(v, np.int32 if v.dtype.kind == "i" else np.float32) for k, v in arrays.items()}
        return wire.encode(id, SNAPSHOT, meta, out)

    def ready(self, id: int) -> bytes:
        t = self.trainer
        images, labels = raw()
        test = ~split_mask(labels)  # (5000,)
        arrays = {
            "test_x": np.ascontiguousarray(images[test]),  # (1000, 28, 28) uint8, 0 paper to 255 ink
            "test_y": t.data.test_y.astype(np.int32),  # (1000,)
        }
        arrays |= {f"field_{name}": f for name, f in digits.receptive_fields(t.net).items()}  # (H, W, 4) each
        meta = {
            "config": digits.config_dict(self.config),
            "classes": list(CLASSES),
            "ranges": ranges(),
            "optimizers": list(digits.OPTIMIZERS),
            "max_steps": MAX_STEPS,
            "run": self.run,
            "layers": [{"name": row.name, "shape": list(row.shape), "params": row.params} for row in t.net.table],
            "maps": list(digits.MAPS),
        }
        return wire.encode(id, READY, meta, arrays)

    def classify(self, id: int, grid: np.ndarray) -> bytes:
        net, _, step = self._shown()
        maps = self.trainer.maps(grid, net)
        best = int(np.argmax(maps["probs"]))
        meta = {"classes": list(CLASSES), "label": CLASSES[best], "confidence": float(maps["probs"][best])}
        meta |= {"step": step, "run": self.run}
        arrays = {k: np.asarray(v, np.float32) for k, v in maps.items()}
        arrays["filters"] = self.trainer.filters(net)
        return wire.encode(id, MAPS, meta, arrays)


class DigitsDesk(TrainingDesk):
    """The training desk with a digits job: digits.* commands, the timeline, resuming a run by replaying it."""

    in_order = IN_ORDER
    no_job = NO_JOB

    def _until_token(self) -> float:
        self._refill()
        return max(0.0, (1.0 - self.tokens) * SNAPSHOT_SECONDS)

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(2.0, self.tokens + (now - self.tokens_at) / SNAPSHOT_SECONDS)
        self.tokens_at = now

    def _play(self, job: Job, p) -> None:
        job.view = None  # playing leaves the timeline for now
        super()._play(job, p)

    def _step(self, job: Job, p) -> None:
        job.view = None
        super()._step(job, p)

    def _start(self, id: int, p) -> bytes:
        config = digits.make_config(p.config.given())
        with self.holding_lock:
            if self.closed:
                raise Problem("busy", None, "the page has left")
            if not self.holding:
                refusal = self.occupancy.start_run()
                if refusal is not None:
                    raise Problem("busy", None, refusal)
                self.holding = True
        self.runs += 1
        job = Job(config, self.runs)
        if p.resume is not None:
            try:
                job.replay(p.resume.step, p.resume.changes)
            except ArgumentError as exc:  # a change the engine refuses: the run cannot be what it was
                raise Problem("invalid", "resume", f"resume: {exc}") from None
        self.job = job
        self.outbox = None
        return job.ready(id)

    def _set(self, job: Job, p) -> None:
        job.trainer.set_hyper(lr=p.lr, momentum=p.momentum, batch=p.batch)
        if p.speed is not None:
            job.speed = p.speed
            job.play_clock = (time.monotonic(), job.trainer.steps)
        if p.sample is not None:
            job.sample = p.sample

    def _view(self, job: Job, p) -> None:
        at = p.at
        if at < 0:
            job.view = None
            return
        kept = job.trainer.timeline_steps
        if at not in kept:
            raise Problem(
                "invalid", "at", f"at must be a step the timeline kept ({', '.join(map(str, kept))}), got {at}"
            )
        job.playing = False  # looking back pauses the run
        job.view = at

    def _classify(self, id: int, raw_params: dict) -> bytes | str:
        model = REQUESTS["digits.classify"]
        try:
            p = model.model_validate(raw_params)
        except ValidationError as exc:
            return _error(id, *explain(exc, model, "digits.classify"))
        if self.job is None:
            return _error(id, "type", NO_JOB)
        grid = np.asarray(p.values, np.float32).reshape(SIDE, SIDE)  # (28, 28)
        return self.job.classify(id, grid)
