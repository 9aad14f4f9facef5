"""Seed 002's X-vs-O classifier, trained live and exactly repeatable.

conv (F filters k×k) → ReLU → max pool → dense (2) → softmax, trained with SGD
and momentum on a seeded X/O split (:mod:`engine.xo_data`). Training steps run
through the network's fused compiled path; every view (curves, filters, maps,
predictions) reads the engine's own arrays.

Determinism: the data, the initial weights and the order of the minibatches all
come from ``config.seed``; the order of epoch e is a permutation seeded by
(seed, e), so ``train(10); train(10)`` is the very run of ``train(20)``.

Beside the trained network stands the lecture's hand-designed one: the three
features of seed 002 (two diagonals and a cross) as frozen filters, and a vote
(the dense layer) fitted to them once, deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from . import checks, shapes
from .dense import softmax, softmax_ce
from .errors import ArgumentError
from .network import Network
from .optim import SGD
from .xo_data import (
    CLASSES,
    N_TEST_RANGE,
    N_TRAIN_RANGE,
    SEED_RANGE,
    SIZE_RANGE,
    Variations,
    XODataset,
    draw,
    make_dataset,
)

RANGES = {  # field: (low, high)
    "size": SIZE_RANGE,
    "filters": (1, 8),
    "kernel": (2, 5),
    "pool": (1, 4),
    "lr": (0.0001, 1.0),
    "momentum": (0.0, 0.99),
    "batch": (1, 64),
    "seed": SEED_RANGE,
    "n_train": N_TRAIN_RANGE,
    "n_test": N_TEST_RANGE,
}
INITS = ("hand", "random")
HISTORY_MAX = 2000  # points kept per curve; past this the history is thinned to every other point
HISTORY_KEYS = ("steps", "epoch", "train_loss", "train_acc", "test_loss", "test_acc")
_HAND_FIT_STEPS = 500  # gradient steps that fit the hand network's vote (full batch, from zero)
_HAND_FIT_LR = 0.5
_HAND_FIT_DECAY = 1e-3  # a little weight decay keeps the vote's scores finite on separable data


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. Same config, same run, bit for bit.

    ``init="hand"`` starts the first filters from the lecture's three features
    (:func:`hand_filters`, at any kernel size); with more than 3 filters the
    rest keep their seeded random start, with fewer only the first are used.
    The dense layer starts from the same seeded random weights either way, so
    the two starts differ only in their filters.
    """

    size: int = 9
    filters: int = 3
    kernel: int = 3
    pool: int = 2
    init: str = "random"
    lr: float = 0.1
    momentum: float = 0.9
    batch: int = 8
    seed: int = 0
    variations: Variations = field(default_factory=Variations)
    n_train: int = 128
    n_test: int = 32

    def check(self) -> TrainConfig:
        """Raise ArgumentError "<field> must be from A to B, got V" for the first bad field; returns self."""
        for name, (lo, hi) in RANGES.items():
            value = getattr(self, name)
            if isinstance(lo, int):
                checks.integer(name, value, lo, hi)
            else:
                checks.number(name, value, lo, hi)
        checks.choice("init", self.init, INITS)
        if not isinstance(self.variations, Variations):
            raise TypeError(f"variations must be a Variations, got {type(self.variations).__name__}")
        self.variations.check()
        # Any filter (at most 5×5) fits the smallest grid (5×5); the pooling window must fit the filter's map.
        lo, hi = pool_range(self.size, self.kernel)
        if not lo <= self.pool <= hi:
            side = conv_side(self.size, self.kernel)
            raise ArgumentError(
                "pool",
                f"pool must be from {lo} to {hi} for the {side}×{side} map of a "
                f"{self.kernel}×{self.kernel} filter on a {self.size}×{self.size} grid, got {self.pool}",
            )
        return self

    def layers(self, filters: int | None = None) -> list[dict]:
        return [
            {"type": "conv", "filters": filters or self.filters, "kernel": self.kernel},
            {"type": "activation", "name": "relu"},
            {"type": "maxpool", "kernel": self.pool},
            {"type": "dense", "units": len(CLASSES)},
        ]

    def shape_table(self) -> list[shapes.Row]:
        """The network's rows (output shape, parameter count) from engine.shapes."""
        return shapes.layer_table((1, self.size, self.size), self.layers())


def make_config(given: dict | None = None) -> TrainConfig:
    """A checked TrainConfig from a JSON-like dict (``variations`` a nested dict); omitted fields take defaults.

    Unknown keys are refused by name, so a misspelt setting is never ignored.
    """
    given = dict(given or {})
    names = [f.name for f in fields(TrainConfig)]
    for key in given:
        if key not in names:
            raise ArgumentError(key, f"{key} is not a setting of a training run; the settings are {', '.join(names)}")
    variations = given.pop("variations", None)
    if isinstance(variations, dict):
        known = [f.name for f in fields(Variations)]
        for key in variations:
            if key not in known:
                raise ArgumentError(
                    f"variations.{key}", f"variations.{key} is not a variation; the variations are {', '.join(known)}"
                )
        variations = Variations(**variations)
    elif variations is None:
        variations = Variations()
    return TrainConfig(**given, variations=variations).check()


def config_dict(config: TrainConfig) -> dict:
    """The config as plain JSON values, variations nested: what make_config reads back."""
    out = {f.name: getattr(config, f.name) for f in fields(config) if f.name != "variations"}
    out["variations"] = config.variations.as_dict()
    return out


def conv_side(size: int, kernel: int) -> int:
    """Side of the filter's map on the grid (no padding, stride 1), from engine.shapes."""
    return shapes.window_output((size, size), (kernel, kernel)).shape[0]


def pool_range(size: int, kernel: int) -> tuple[int, int]:
    """Legal pooling windows for this grid and filter: a window must fit the filter's map.

    For a slider's limits, so it never reaches a setting that check() refuses.
    """
    side = conv_side(size, kernel)
    fits = [
        p
        for p in range(RANGES["pool"][0], RANGES["pool"][1] + 1)
        if shapes.window_output((side, side), (p, p), (p, p), what="window").fits_at_all
    ]
    return fits[0], fits[-1]


def hand_filters(kernel: int = 3) -> np.ndarray:
    """The lecture's features as (3, 1, k, k) float32: "\\" diagonal, "x" cross, "/" diagonal.

    +1 on the pattern, −1 elsewhere, divided by k² so a perfect match on a ±1
    image scores 1 (the lecture's "average of the products"). At even k the
    cross has no centre cell and at k = 2 it covers the whole window.
    """
    k = checks.integer("kernel", kernel, *RANGES["kernel"])
    down = np.eye(k, dtype=bool)  # (k, k) "\"
    up = down[:, ::-1]  # (k, k) "/"
    planes = np.stack([down, down | up, up])  # (3, k, k) in the order of the xo_set kernel preset
    return (np.where(planes, 1.0, -1.0) / k**2).astype(np.float32)[:, None]  # (3, 1, k, k)


@dataclass(frozen=True)
class Metrics:
    """Loss and accuracy on both splits after ``steps`` batches, and every test prediction."""

    steps: int
    epoch: float
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    test_probs: np.ndarray = field(repr=False)  # (N_test, 2) float32
    test_pred: np.ndarray = field(repr=False)  # (N_test,) int64


class Trainer:
    """One live training run: train in chunks, measure, look inside, reset.

    Not thread-safe: a forward pass for maps() and a training step both touch
    the same weights, so call a trainer from one thread at a time.
    """

    def __init__(self, config: TrainConfig = TrainConfig()):
        self.config = config.check()
        c = config
        self.dataset: XODataset = make_dataset(c.size, c.n_train, c.n_test, c.variations, c.seed)
        # Both splits in one array: evaluate() runs a single batched forward pass.
        self._all_x = np.ascontiguousarray(
            np.concatenate([self.dataset.train_x, self.dataset.test_x])
        )  # (N_train+N_test, 1, S, S)
        self._hand_net: Network | None = None  # built on first use, kept across resets (same data, same shapes)
        self._start()

    # ------------------------------------------------------------ life cycle

    def _start(self) -> None:
        c = self.config
        self.net = Network((1, c.size, c.size), c.layers(), seed=c.seed)
        if c.init == "hand":
            w = self.net.named_params()["0.w"]  # (F, 1, k, k), written in place
            n = min(c.filters, 3)
            w[:n] = hand_filters(c.kernel)[:n]
            self.net.named_params()["0.b"][:n] = 0.0
        self.optimizer = SGD(c.lr, c.momentum)
        self.steps = 0
        self._seen = 0  # examples drawn so far
        self._epoch = 0  # index of the permutation being read
        self._pos = 0  # next position in it
        self._order = self._permutation(0)  # (N_train,)
        self._history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self.last_loss = float("nan")  # loss of the latest minibatch

    def reset(self) -> None:
        """A fresh run from the current config (which includes any set_hyper changes)."""
        self._start()

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng((self.config.seed, 7, epoch)).permutation(self.config.n_train)  # (N_train,)

    @property
    def epoch(self) -> float:
        """Examples seen divided by the training set's size."""
        return self._seen / self.config.n_train

    @property
    def lr(self) -> float:
        return self.config.lr

    @property
    def momentum(self) -> float:
        return self.config.momentum

    @property
    def batch(self) -> int:
        return self.config.batch

    # ------------------------------------------------------------ training

    def _next_indices(self, b: int) -> np.ndarray:
        """The next ``b`` positions of the epoch order; a batch that reaches an epoch's end continues into the next."""
        n = self.config.n_train
        if self._pos + b < n:
            idx = self._order[self._pos : self._pos + b]  # (B,)
            self._pos += b
            return idx
        parts = []
        while b:
            take = min(b, n - self._pos)
            parts.append(self._order[self._pos : self._pos + take])
            self._pos += take
            b -= take
            if self._pos == n:
                self._epoch += 1
                self._order, self._pos = self._permutation(self._epoch), 0
        return np.concatenate(parts)  # (B,)

    def train(self, batches: int) -> None:
        """Run ``batches`` minibatch steps of SGD; chunking never changes the run."""
        batches = checks.integer("batches", batches, 0)
        x_all, y_all = self.dataset.train_x, self.dataset.train_y
        for _ in range(batches):
            idx = self._next_indices(self.config.batch)  # (B,)
            self.last_loss, _ = self.net.train_step(self.optimizer, x_all[idx], y_all[idx])
            self.steps += 1
            self._seen += idx.size

    def set_hyper(self, lr=None, momentum=None, batch=None) -> None:
        """Change learning rate, momentum or batch size from the next step on (checked; None keeps).

        A new batch size does not restart the epoch: the next batch takes that
        many examples from where the current permutation stands. The run is
        therefore a function of the config and of the sequence of calls (which
        step each change came before), and repeats exactly when they repeat.
        The momentum buffer is kept, as PyTorch keeps it.
        """
        changes = {}
        if lr is not None:
            changes["lr"] = checks.number("lr", lr, *RANGES["lr"])
        if momentum is not None:
            changes["momentum"] = checks.number("momentum", momentum, *RANGES["momentum"])
        if batch is not None:
            changes["batch"] = checks.integer("batch", batch, *RANGES["batch"])
        self.config = replace(self.config, **changes)
        self.optimizer.lr = self.config.lr
        self.optimizer.momentum = self.config.momentum

    # ------------------------------------------------------------ measuring

    def evaluate(self) -> Metrics:
        """Loss and accuracy on both splits from one batched forward pass (no training mode, no side effects)."""
        n = self.config.n_train
        logits = self.net.forward(self._all_x)  # (N_train+N_test, 2)
        train_loss, _, _ = softmax_ce(logits[:n], self.dataset.train_y)
        test_loss, test_probs, _ = softmax_ce(np.ascontiguousarray(logits[n:]), self.dataset.test_y)
        pred = logits.argmax(axis=1)  # (N_train+N_test,)
        return Metrics(
            steps=self.steps,
            epoch=self.epoch,
            train_loss=float(train_loss),
            train_acc=float(np.mean(pred[:n] == self.dataset.train_y)),
            test_loss=float(test_loss),
            test_acc=float(np.mean(pred[n:] == self.dataset.test_y)),
            test_probs=test_probs,
            test_pred=pred[n:].astype(np.int64),
        )

    def record(self) -> Metrics:
        """Evaluate and append to the history; returns the metrics.

        Past HISTORY_MAX points every other point is dropped (the first and the
        newest always stay), so older parts of a long run are drawn coarser.
        """
        m = self.evaluate()
        h = self._history
        for key in HISTORY_KEYS:
            h[key].append(float(getattr(m, key)))
        if len(h["steps"]) > HISTORY_MAX:
            for key in HISTORY_KEYS:
                h[key] = h[key][::2]  # HISTORY_MAX + 1 points, an odd count: the first and the newest stay
        return m

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Recorded curves: ``steps, epoch, train_loss, train_acc, test_loss, test_acc`` as float64 arrays."""
        return {k: np.array(v, np.float64) for k, v in self._history.items()}  # (points,) each

    def filters(self) -> np.ndarray:
        """The trained network's filters, a (F, 1, k, k) float32 copy."""
        return self.net.named_params()["0.w"].copy()  # (F, 1, k, k)

    def hand_filters(self) -> np.ndarray:
        """The hand-designed filters at this kernel size, (3, 1, k, k) float32."""
        return hand_filters(self.config.kernel)

    # ------------------------------------------------------------ the hand-designed network

    @property
    def hand_net(self) -> Network:
        """The lecture's network: the three hand filters, frozen, and a vote (dense layer) fitted to them.

        The vote is a softmax regression on the pooled maps of the training set,
        full batch from zero weights, so it is deterministic; it is fitted once
        per trainer and kept across resets (the data and shapes do not change).
        """
        if self._hand_net is None:
            c = self.config
            net = Network((1, c.size, c.size), c.layers(filters=3), seed=c.seed)
            params = net.named_params()
            params["0.w"][:] = hand_filters(c.kernel)
            params["0.b"][:] = 0.0
            # The training set, and the canonical X and O each as often as an eighth of it, so the
            # lecture's own shapes are always classified right even where the variations crowd them out.
            reps = max(1, c.n_train // 8)
            canon = np.stack([draw(0, c.size)] * reps + [draw(1, c.size)] * reps)[:, None]  # (2R, 1, S, S)
            x = np.concatenate([self.dataset.train_x, canon])  # (N+2R, 1, S, S)
            y = np.concatenate([self.dataset.train_y, np.repeat([0, 1], reps)])  # (N+2R,)
            _, outputs = net.forward(x, keep=True)
            feats = outputs[2].reshape(x.shape[0], -1).astype(np.float64)  # (N+2R, D) pooled maps
            params["3.w"][:], params["3.b"][:] = _fit_vote(feats, y)
            self._hand_net = net
        return self._hand_net

    def maps(self, x, which: str = "trained") -> dict[str, np.ndarray]:
        """Every intermediate map of one (S, S) image through the trained or the hand network.

        Returns float32 arrays: input (1, S, S), conv and relu (F, H1, W1), pool
        (F, H2, W2), scores (2,) the logits, probs (2,).
        """
        which = checks.choice("which", which, ("trained", "hand"))
        s = self.config.size
        x = checks.array("x", x, 2, f"({s}, {s})")
        if x.shape != (s, s):
            raise ArgumentError("x", f"x must have shape ({s}, {s}), got {x.shape}")
        net = self.net if which == "trained" else self.hand_net
        logits, (conv, relu, pool, _) = net.forward(x[None, None], keep=True)
        return {
            "input": x[None].copy(),  # (1, S, S)
            "conv": conv[0].copy(),  # (F, H1, W1)
            "relu": relu[0].copy(),  # (F, H1, W1)
            "pool": pool[0].copy(),  # (F, H2, W2)
            "scores": logits[0].copy(),  # (2,)
            "probs": softmax(logits)[0].astype(np.float32),  # (2,)
        }


def _fit_vote(feats: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression (2 classes) by full-batch gradient descent in float64: (w (2, D), b (2,)) float32."""
    n, d = feats.shape
    w = np.zeros((len(CLASSES), d))  # (2, D)
    b = np.zeros(len(CLASSES))  # (2,)
    onehot = np.eye(len(CLASSES))[labels]  # (N, 2)
    for _ in range(_HAND_FIT_STEPS):
        z = feats @ w.T + b  # (N, 2)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)  # (N, 2)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / n  # (N, 2)
        w -= _HAND_FIT_LR * (g.T @ feats + _HAND_FIT_DECAY * w)
        b -= _HAND_FIT_LR * g.sum(axis=0)
    return w.astype(np.float32), b.astype(np.float32)  # (2, D), (2,)
