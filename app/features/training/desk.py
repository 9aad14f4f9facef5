"""One page's X-vs-O training job: commands in order, training in chunks, snapshots streamed.

All work on the trainer happens in one driver task, one step at a time on a
worker thread, so the trainer is never touched by two threads at once and the
run (every weight at every step) depends only on the config and the order of
the page's requests, never on how the wall clock cut the chunks; only which
steps the history samples does. Snapshots go through a one-slot outbox:
a slow page gets the newest one, never a queue (PROTOCOL.md, "Training").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable

import anyio
import numpy as np
from pydantic import BaseModel, ValidationError

from engine import jit, xo_train
from engine.errors import ArgumentError
from engine.xo_data import CLASSES, Variations, named_samples

from ...core import wire
from ...core.errors import Problem, error, explain
from ...core.occupancy import Occupancy
from .models import (
    IN_ORDER,
    MAPS,
    MAX_QUEUED_BATCHES,
    MAX_STEP_BATCHES,
    MAX_WAITING,
    READY,
    SNAPSHOT,
    TRAINING_REQUESTS,
)

log = logging.getLogger("convscope.training")

SNAPSHOT_SECONDS = 1 / 30  # at most 30 pushed snapshots a second
CHUNK_SECONDS = 0.02  # at most this much training between two looks at the page's requests
MAX_STEPS = 20_000  # batches; playing stops there so a forgotten tab does not train all night
NO_JOB = "start a training run first (train.start)"

Send = Callable[[bytes | str], Awaitable[None]]


def _error(id: int | None, field: str | None, message: str, code: str = "invalid") -> str:
    return error(id, code, field, message)


def ranges(config: xo_train.TrainConfig) -> dict[str, list]:
    """Every setting's legal range, from the engine, so the page's sliders reach only what it accepts."""
    out = {name: list(lo_hi) for name, lo_hi in xo_train.RANGES.items()}
    out["pool"] = list(xo_train.pool_range(config.size, config.kernel))  # the window must fit the filter's map
    out.update({f"variations.{name}": [lo, hi] for name, (lo, hi, _unit) in Variations.RANGES.items()})
    return out


def next_record(step: int) -> int:
    """The first step after ``step`` whose metrics the curves keep: every step to 20, every 5th to 200,
    every 25th to 2000, then every 100th. Fixed steps, not whenever a snapshot went out, so a run
    replayed after a restart draws the same curves as the first time."""
    for limit, every in ((20, 1), (200, 5), (2000, 25)):
        if step < limit:
            return (step // every + 1) * every
    return (step // 100 + 1) * 100


class Job:
    """The trainer of one page, and the state of its play button."""

    max_steps = MAX_STEPS  # where playing stops (the desk reads it from the job, so another trainer may differ)

    def __init__(self, config: xo_train.TrainConfig, run: int):
        self.trainer = xo_train.Trainer(config)
        self.trainer.record()  # step 0, where every curve starts
        self.config = config
        self.run = run  # which train.start/reset made it: the page ignores snapshots of older runs
        self.playing = False
        self.stopped: str | None = None
        self.speed = 0  # batches a second; 0 = as fast as possible
        self.sample = 0
        self.seq = 0
        self.compute = 0.0  # seconds spent training
        self.first_perfect: int | None = None
        self.batch_seconds = 1e-4  # running estimate, sizes the chunks
        self.play_clock: tuple[float, int] | None = None  # (time, steps) when play (or a speed change) began

    # -- work done on a worker thread --

    def train(self, batches: int) -> None:
        t0 = time.perf_counter()
        t = self.trainer
        end = t.steps + batches
        while t.steps < end:
            # Until the test split is all right, look after every batch, so "100% at step N" is exact
            # and the same however the chunks fell (an evaluation costs about four batches).
            if self.first_perfect is None:
                t.train(1)
                if t.evaluate().test_acc >= 1.0:
                    self.first_perfect = t.steps
            else:
                t.train(min(end, next_record(t.steps)) - t.steps)
            if t.steps == next_record(t.steps - 1):
                t.record()
        spent = time.perf_counter() - t0
        self.compute += spent
        self.batch_seconds = 0.7 * self.batch_seconds + 0.3 * spent / batches

    def chunk(self, budget: float = CHUNK_SECONDS) -> int:
        """Batches to train now: about ``budget`` seconds of work, or what the speed limit lets through."""
        n = max(1, int(min(budget, CHUNK_SECONDS) / max(self.batch_seconds, 1e-7)))
        if self.speed:
            start, steps0 = self.play_clock
            due = int((time.monotonic() - start) * self.speed) - (self.trainer.steps - steps0)
            n = min(n, due)
        return max(0, min(n, MAX_STEPS - self.trainer.steps))

    def snapshot(self, id: int | None) -> bytes:
        t = self.trainer
        m = t.evaluate()  # the curves hold only the fixed steps train() recorded
        self.seq += 1
        x = t.dataset.test_x[self.sample, 0]  # (S, S)
        maps = t.maps(x, "trained")
        h = t.history
        arrays = {
            "history_steps": h["steps"],
            "history_train_loss": h["train_loss"],
            "history_train_acc": h["train_acc"],
            "history_test_loss": h["test_loss"],
            "history_test_acc": h["test_acc"],
            "filters": t.filters()[:, 0],  # (F, k, k)
            "test_probs": m.test_probs,  # (N, 2)
            "sample_conv": maps["conv"],
            "sample_relu": maps["relu"],
            "sample_pool": maps["pool"],
            "sample_probs": maps["probs"],
        }
        meta = {
            "run": self.run,
            "seq": self.seq,
            "step": t.steps,
            "epoch": t.epoch,
            "playing": self.playing,
            "stopped": self.stopped,
            "train_loss": m.train_loss,
            "train_acc": m.train_acc,
            "test_loss": m.test_loss,
            "test_acc": m.test_acc,
            "lr": t.lr,
            "momentum": t.momentum,
            "batch": t.batch,
            "speed": self.speed,
            "sample": self.sample,
            "compute_seconds": self.compute,
            "first_perfect_step": self.first_perfect,
            "max_steps": MAX_STEPS,
        }
        return wire.encode(id, SNAPSHOT, meta, {k: np.asarray(v, np.float32) for k, v in arrays.items()})

    def ready(self, id: int) -> bytes:
        d = self.trainer.dataset
        arrays = {
            "test_x": d.test_x[:, 0],
            "test_y": d.test_y.astype(np.int32),  # (N, S, S), (N,)
            "train_x": d.train_x[:, 0],
            "train_y": d.train_y.astype(np.int32),  # (M, S, S), (M,)
            "hand_filters": self.trainer.hand_filters()[:, 0],  # (F, k, k)
        }
        samples = named_samples(self.config.size)  # name -> (S, S)
        arrays.update({f"sample_{name}": grid for name, grid in samples.items()})
        meta = {
            "config": xo_train.config_dict(self.config),
            "classes": list(CLASSES),
            "samples": list(samples),
            "ranges": ranges(self.config),
            "max_steps": MAX_STEPS,
            "run": self.run,
        }
        return wire.encode(id, READY, meta, arrays)

    def classify(self, id: int, grid: np.ndarray) -> bytes:
        arrays, meta = {}, {"classes": list(CLASSES), "step": self.trainer.steps}
        for net in ("trained", "hand"):
            maps = self.trainer.maps(grid, net)
            arrays.update({f"{net}_{k}": maps[k] for k in ("conv", "relu", "pool", "scores", "probs")})
            best = int(np.argmax(maps["probs"]))
            meta[net] = {"label": CLASSES[best], "confidence": float(maps["probs"][best])}
        arrays["trained_filters"] = self.trainer.filters()[:, 0]  # (F, k, k)
        arrays["hand_filters"] = self.trainer.hand_filters()[:, 0]  # (F, k, k)
        return wire.encode(id, MAPS, meta, arrays)


def _exactly(fn, *args):
    """``fn`` on the compiled kernels only: a run replayed after a restart (PROTOCOL.md, "Training")
    must match the first to the last bit, and the NumPy twins that answer while a cold server
    compiles agree with the kernels only to float rounding."""
    with jit.exact():
        return fn(*args)


def _batches(type_name: str, params: object) -> int:
    """The batches a queued request asks for: a <feature>.step's count (1 when absent or malformed), else 0."""
    if not type_name.endswith(".step"):
        return 0
    n = params.get("batches", 1) if isinstance(params, dict) else 1
    return n if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= MAX_STEP_BATCHES else 1


class TrainingDesk:
    """A page's training desk: queue, driver task, outbox. Made on the first train.* request.

    The queue, the driver, the pacing of snapshots, the caps and the in-order commands
    (``_play``, ``_pause``, ``_step``, ``_reset``) are the same for any trainer of the
    same face (app.features.digits subclasses it): only ``in_order``, ``no_job``,
    ``_start``, ``_set`` and ``_classify`` know the X-vs-O run.
    """

    in_order = IN_ORDER  # the in-order request models by type
    no_job = NO_JOB

    def __init__(self, send: Send, limiter: anyio.CapacityLimiter | None, occupancy: Occupancy | None = None):
        self.send, self.limiter = send, limiter
        self.occupancy = occupancy or Occupancy()  # the server's count of training runs
        self.job: Job | None = None
        self.queued_batches = 0  # batches the train.step requests in the queue ask for
        self.holding, self.closed = False, False  # whether this page counts as one of the server's runs
        self.holding_lock = threading.Lock()
        self.runs = 0
        self.queue: asyncio.Queue[tuple[int, str, dict]] = asyncio.Queue()
        self.classify_waiting: tuple[int, dict] | None = None
        self.wake = asyncio.Event()
        self.outbox: bytes | None = None
        self.outbox_ready = asyncio.Event()
        # A token bucket paces the pushes: 30 tokens a second, at most 2 saved up, one per snapshot.
        # A batch that lands a little early still gets its snapshot, and the average never passes 30.
        self.tokens, self.tokens_at = 1.0, time.monotonic()
        self.tasks = [
            asyncio.create_task(self._drive(), name="training driver"),
            asyncio.create_task(self._deliver(), name="training outbox"),
        ]

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.playing

    async def submit(self, id: int, type_name: str, params: dict) -> None:
        if type_name.endswith(".classify"):
            self.classify_waiting = (id, params)  # a newer drawing replaces one not yet classified
        elif self.queue.qsize() >= MAX_WAITING:
            await self.send(
                _error(id, "type", f"type: at most {MAX_WAITING} training requests may wait; wait for their answers")
            )
            return
        else:
            batches = _batches(type_name, params)
            if self.queued_batches + batches > MAX_QUEUED_BATCHES:
                waiting = self.queued_batches
                message = (
                    f"batches: the steps waiting may add up to {MAX_QUEUED_BATCHES} batches, "
                    f"{waiting} already wait; wait for their answers"
                )
                await self.send(_error(id, "batches", message, "busy"))
                return
            self.queued_batches += batches
            self.queue.put_nowait((id, type_name, params))
        self.wake.set()

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        with self.holding_lock:  # a train.start still on a worker thread sees ``closed`` and counts nothing
            self.closed = True
            if self.holding:
                self.occupancy.end_run()
            self.holding = False
        self.job = None

    async def _thread(self, fn, *args):
        return await anyio.to_thread.run_sync(_exactly, fn, *args, abandon_on_cancel=True, limiter=self.limiter)

    async def _drive(self) -> None:
        while True:
            try:
                if not self.queue.empty():
                    id, type_name, params = self.queue.get_nowait()
                    self.queued_batches -= _batches(type_name, params)
                    await self.send(await self._thread(self._command, id, type_name, params))
                    if type_name.endswith((".start", ".reset")) and self.job is not None:
                        self._post(await self._thread(self.job.snapshot, None))
                elif self.classify_waiting is not None:
                    (id, params), self.classify_waiting = self.classify_waiting, None
                    await self.send(await self._thread(self._classify, id, params))
                elif self.busy:
                    await self._play_once()
                else:
                    self.wake.clear()
                    await self.wake.wait()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug of ours must not end the page's training desk
                log.exception("training driver failed")
                if self.job is not None:
                    self.job.playing = False
                await self.send(
                    _error(
                        None,
                        None,
                        "the server failed while training; the error was logged. Press play to go on.",
                        "internal",
                    )
                )

    async def _play_once(self) -> None:
        job = self.job
        # Train until the next snapshot is due, so snapshots keep their 30 a second.
        n = job.chunk(self._until_token())
        if n == 0:
            if job.trainer.steps >= job.max_steps:
                job.playing, job.stopped = False, "max_steps"
                self._post(await self._thread(job.snapshot, None))
                return
            # The speed limit holds the next batch back; sleep until it is due, or a request arrives.
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=max(0.001, 1 / job.speed))
            return
        await self._thread(job.train, n)
        if self._take_token() and self.job is job:
            self._post(await self._thread(job.snapshot, None))

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(2.0, self.tokens + (now - self.tokens_at) / SNAPSHOT_SECONDS)
        self.tokens_at = now

    def _until_token(self) -> float:
        self._refill()
        return max(0.0, (1.0 - self.tokens) * SNAPSHOT_SECONDS)

    def _take_token(self) -> bool:
        self._refill()
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def _post(self, frame: bytes) -> None:
        self.outbox = frame  # replaces a snapshot the page has not been sent yet
        self.outbox_ready.set()

    async def _deliver(self) -> None:
        while True:
            await self.outbox_ready.wait()
            self.outbox_ready.clear()
            frame, self.outbox = self.outbox, None
            if frame is not None:
                await self.send(frame)

    # -- on a worker thread --

    def _command(self, id: int, type_name: str, raw: dict) -> bytes | str:
        """One in-order request, ``<prefix>.<verb>``: checked, carried out by ``_<verb>``, answered by a snapshot."""
        model: type[BaseModel] = self.in_order[type_name]
        try:
            p = model.model_validate(raw)
        except ValidationError as exc:
            return _error(id, *explain(exc, model, type_name))
        verb = type_name.partition(".")[2]
        try:
            if verb == "start":
                return self._start(id, p)
            if self.job is None:
                raise Problem("invalid", "type", self.no_job)
            getattr(self, f"_{verb}")(self.job, p)
            return self.job.snapshot(id)
        except Problem as r:
            return _error(id, r.field, r.message, r.code)
        except ArgumentError as exc:  # the engine refused a setting, naming it
            prefix = "config." if verb == "start" else ""
            return _error(id, prefix + exc.argument, str(exc))

    def _play(self, job: Job, p) -> None:
        job.playing, job.stopped = job.trainer.steps < job.max_steps, None
        job.play_clock = (time.monotonic(), job.trainer.steps)

    def _pause(self, job: Job, p) -> None:
        job.playing = False

    def _step(self, job: Job, p) -> None:
        n = min(p.batches, job.max_steps - job.trainer.steps)  # a run never goes past max_steps
        if n > 0:
            job.train(n)

    def _reset(self, job: Job, p) -> None:
        # The same run again from step 0 with the settings in use now: the live changes, the speed
        # and the chosen sample carry over, so "reset, play" replays what was on screen.
        self.runs += 1
        self.job = type(job)(job.trainer.config, self.runs)
        self.job.speed, self.job.sample = job.speed, job.sample
        self.outbox = None  # a snapshot of the old run must not follow the reset's answer

    def _start(self, id: int, p) -> bytes:
        config = xo_train.make_config(p.config.given())  # raises ArgumentError naming the field
        with self.holding_lock:  # a page's new run replaces its old one: only its first counts
            if self.closed:
                raise Problem("busy", None, "the page has left")
            if not self.holding:
                refusal = self.occupancy.start_run()
                if refusal is not None:
                    raise Problem("busy", None, refusal)
                self.holding = True
        self.runs += 1
        self.job = Job(config, self.runs)
        self.outbox = None
        return self.job.ready(id)

    def _set(self, job: Job, p) -> None:
        if p.sample is not None and p.sample >= job.config.n_test:
            raise Problem(
                "invalid",
                "sample",
                f"sample must be from 0 to {job.config.n_test - 1} (a test example), got {p.sample}",
            )
        job.trainer.set_hyper(lr=p.lr, momentum=p.momentum, batch=p.batch)
        if p.speed is not None:
            job.speed = p.speed
            job.play_clock = (time.monotonic(), job.trainer.steps)
        if p.sample is not None:
            job.sample = p.sample

    def _classify(self, id: int, raw: dict) -> bytes | str:
        model = TRAINING_REQUESTS["train.classify"]
        try:
            p = model.model_validate(raw)
        except ValidationError as exc:
            return _error(id, *explain(exc, model, "train.classify"))
        if self.job is None:
            return _error(id, "type", NO_JOB)
        size = self.job.config.size
        if (p.grid.height, p.grid.width) != (size, size):
            return _error(
                id, "grid", f"grid must be {size}×{size} (the run's size), got {p.grid.height}×{p.grid.width}"
            )
        grid = np.asarray(p.grid.values, np.float32).reshape(size, size)  # (S, S)
        return self.job.classify(id, grid)
