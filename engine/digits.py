"""Seed 003's LeNet-5 trained live on 4,000 MNIST digits, scored on the other 1,000, exactly repeatable.

conv 6 of 5×5 → ReLU → max pool → conv 16 of 5×5 → ReLU → max pool → 120 → 84 →
10, with SGD (momentum) or Adam, the learning rate multiplied by ``decay`` at
each epoch's start, and each epoch's images shifted by up to ``shift`` pixels
(engine.digits_data). Steps run through the fused LeNet-5 path (engine.lenet).

Determinism: the initial weights, each epoch's order and shifts come from
``config.seed`` and the epoch's number, so ``train(10); train(10)`` is the very
run of ``train(20)``, and the same config and the same calls give the same
weights bit for bit.

Looking inside (for the page): every layer's maps of one image, the gradient ×
input saliency of a class, each unit's receptive field on the input, the
confusion matrix of the test set, and the weights at past steps (a timeline of
at most ``TIMELINE_MAX`` snapshots, thinned as the run grows).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from . import checks, optim
from .dense import softmax, softmax_ce
from .digits_data import CLASSES, N_TRAIN, SHIFT_RANGE, SIZE, load, shifted
from .errors import ArgumentError
from .network import Network, lenet5_layers

OPTIMIZERS = ("sgd", "adam")
RANGES = {  # field: (low, high)
    "lr": (0.0001, 1.0),
    "momentum": (0.0, 0.99),
    "batch": (1, 256),
    "seed": (0, 2**31 - 1),
    "shift": SHIFT_RANGE,
    "decay": (0.5, 1.0),
}
HISTORY_MAX = 600  # points per curve; past this every other point is dropped
HISTORY_KEYS = ("steps", "epoch", "seconds", "train_loss", "train_acc", "test_loss", "test_acc")
TIMELINE_MAX = 48  # weight snapshots kept; past this every other one is dropped (the first and newest stay)
TRAIN_SCORED = 1000  # training images scored for the training curves: the first of each digit, unshifted
# The maps of one image, in the order the network makes them, with the layer index that makes each.
MAPS = ("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "fc1", "relu3", "fc2", "relu4", "logits")
_MAP_LAYER = {name: i for i, name in enumerate(("conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten"))}
_MAP_LAYER.update({"fc1": 7, "relu3": 8, "fc2": 9, "relu4": 10, "logits": 11})


@dataclass(frozen=True)
class DigitsConfig:
    """Everything that defines a run. Same config, same calls, same run, bit for bit."""

    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    batch: int = 64
    seed: int = 0
    shift: int = 2
    decay: float = 0.95

    def check(self) -> DigitsConfig:
        """Raise ArgumentError "<field> must be from A to B, got V" for the first bad field; returns self."""
        checks.choice("optimizer", self.optimizer, OPTIMIZERS)
        for name, (lo, hi) in RANGES.items():
            value = getattr(self, name)
            if isinstance(lo, int):
                checks.integer(name, value, lo, hi)
            else:
                checks.number(name, value, lo, hi)
        return self


def make_config(given: dict | None = None) -> DigitsConfig:
    """A checked config from a JSON-like dict; omitted fields take defaults, unknown keys are refused by name."""
    given = dict(given or {})
    names = [f.name for f in fields(DigitsConfig)]
    for key in given:
        if key not in names:
            raise ArgumentError(key, f"{key} is not a setting of a training run; the settings are {', '.join(names)}")
    return DigitsConfig(**given).check()


def config_dict(config: DigitsConfig) -> dict:
    return {f.name: getattr(config, f.name) for f in fields(config)}


@dataclass(frozen=True)
class Metrics:
    """Loss and accuracy after ``steps`` batches; every test prediction and the confusion matrix."""

    steps: int
    epoch: float
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    test_probs: np.ndarray = field(repr=False)  # (1000, 10) float32
    test_pred: np.ndarray = field(repr=False)  # (1000,) int64
    confusion: np.ndarray = field(repr=False)  # (10, 10) int64: [true, predicted]

    @property
    def class_acc(self) -> np.ndarray:
        """Accuracy on each digit's test images, (10,) float64."""
        return np.diag(self.confusion) / self.confusion.sum(axis=1)


def confusion(truth: np.ndarray, pred: np.ndarray, k: int = len(CLASSES)) -> np.ndarray:
    """Counts (k, k): row = the true digit, column = the predicted one."""
    return np.bincount(truth * k + pred, minlength=k * k).reshape(k, k)  # (k, k)


def receptive_fields(net: Network) -> dict[str, np.ndarray]:
    """Each spatial map's units' input windows: name -> (H, W, 4) int32 rows [top, left, bottom, right] (inclusive).

    Walks the window layers back to the input: a unit at (i, j) of a layer with
    kernel k and stride s sees rows i·s … i·s + k − 1 of the layer before. The
    dense layers see the whole image.
    """
    out = {}
    lo_scale, span = 1, 1  # a unit of the current layer starts at i·lo_scale and covers `span` input rows
    names = iter(("conv1", "relu1", "pool1", "conv2", "relu2", "pool2"))
    for layer in net.layers[:6]:
        if layer.kind == "conv":
            k, s = layer.params["w"].shape[2], layer.conv.stride[0]
        elif layer.kind == "maxpool":
            k, s = layer.pool.kernel[0], layer.pool.stride[0]
        else:
            k, s = 1, 1
        span += (k - 1) * lo_scale
        lo_scale *= s
        name = next(names)
        side = net.table[len(out)].shape[0]
        i = np.arange(side)  # (side,)
        top = np.broadcast_to((i * lo_scale)[:, None], (side, side))  # (side, side)
        left = np.broadcast_to((i * lo_scale)[None, :], (side, side))  # (side, side)
        out[name] = np.stack([top, left, top + span - 1, left + span - 1], axis=-1).astype(np.int32)  # (side, side, 4)
    return out


class Trainer:
    """One live run: train in chunks, record, look inside, go back to a past step. One thread at a time."""

    def __init__(self, config: DigitsConfig = DigitsConfig()):
        self.config = config.check()
        self.data = load()
        # The training images scored for the curves: the first 100 of each digit.
        first = np.concatenate([np.flatnonzero(self.data.train_y == d)[: TRAIN_SCORED // 10] for d in range(10)])
        self._scored_x = np.ascontiguousarray(self.data.train_x[first])  # (1000, 1, 28, 28)
        self._scored_y = self.data.train_y[first]  # (1000,)
        self._start()

    def _start(self) -> None:
        c = self.config
        self.net = Network((1, SIZE, SIZE), lenet5_layers(), seed=c.seed)
        self._viewer: Network | None = None  # a second network for past weights, made on first use
        settings = {"lr": c.lr, "momentum": c.momentum} if c.optimizer == "sgd" else {"lr": c.lr}
        self.optimizer = optim.make(c.optimizer, **settings)
        self.steps = 0
        self._seen = 0
        self._epoch = -1
        self._pos = 0
        self._begin_epoch(0)
        self._history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self._timeline: list[tuple[int, np.ndarray]] = []  # (step, flat weights)
        self.last_metrics: Metrics | None = None
        self.last_loss = float("nan")

    def reset(self) -> None:
        self._start()

    def _begin_epoch(self, epoch: int) -> None:
        """The epoch's order and shifted images, both from (seed, epoch); the learning rate decays once an epoch."""
        self._epoch, self._pos = epoch, 0
        c = self.config
        self._order = np.random.default_rng((c.seed, 7, epoch)).permutation(N_TRAIN)  # (4000,)
        self._images = shifted(
            self.data.train_x, c.shift, np.random.default_rng((c.seed, 11, epoch))
        )  # (4000, 1, 28, 28)
        self.optimizer.lr = c.lr * c.decay**epoch

    @property
    def epoch(self) -> float:
        return self._seen / N_TRAIN

    @property
    def lr_now(self) -> float:
        """The learning rate the next batch uses (the setting times decay^epoch)."""
        return float(self.optimizer.lr)

    def _next_indices(self, b: int) -> np.ndarray:
        """The next ``b`` images of this epoch; a batch never spans two epochs (the last one is shorter)."""
        if self._pos >= N_TRAIN:
            self._begin_epoch(self._epoch + 1)
        idx = self._order[self._pos : self._pos + b]  # (≤ B,)
        self._pos += idx.size
        return idx

    def train(self, batches: int) -> None:
        batches = checks.integer("batches", batches, 0)
        y = self.data.train_y
        for _ in range(batches):
            idx = self._next_indices(self.config.batch)  # (B,)
            self.last_loss, _ = self.net.train_step(self.optimizer, self._images[idx], y[idx])
            self.steps += 1
            self._seen += idx.size

    def set_hyper(self, lr=None, momentum=None, batch=None) -> None:
        """Learning rate, momentum (SGD) or batch size from the next step on; checked, None keeps."""
        changes = {}
        if lr is not None:
            changes["lr"] = checks.number("lr", lr, *RANGES["lr"])
        if momentum is not None:
            changes["momentum"] = checks.number("momentum", momentum, *RANGES["momentum"])
        if batch is not None:
            changes["batch"] = checks.integer("batch", batch, *RANGES["batch"])
        self.config = replace(self.config, **changes)
        self.optimizer.lr = self.config.lr * self.config.decay**self._epoch
        if isinstance(self.optimizer, optim.SGD):
            self.optimizer.momentum = self.config.momentum

    # ------------------------------------------------------------ measuring

    def evaluate(self, net: Network | None = None) -> Metrics:
        net = net or self.net
        test_logits = net.logits(self.data.test_x)  # (1000, 10)
        train_logits = net.logits(self._scored_x)  # (1000, 10)
        test_loss, test_probs, _ = softmax_ce(test_logits, self.data.test_y)
        train_loss, _, _ = softmax_ce(train_logits, self._scored_y)
        pred = test_logits.argmax(axis=1)  # (1000,)
        return Metrics(
            steps=self.steps,
            epoch=self.epoch,
            train_loss=float(train_loss),
            train_acc=float(np.mean(train_logits.argmax(axis=1) == self._scored_y)),
            test_loss=float(test_loss),
            test_acc=float(np.mean(pred == self.data.test_y)),
            test_probs=test_probs,
            test_pred=pred,
            confusion=confusion(self.data.test_y, pred),
        )

    def record(self, seconds: float = 0.0) -> Metrics:
        """Evaluate, append to the curves and keep these weights on the timeline; returns the metrics."""
        m = self.evaluate()
        self.last_metrics = m
        h = self._history
        for key in HISTORY_KEYS:
            h[key].append(float(seconds if key == "seconds" else getattr(m, key)))
        if len(h["steps"]) > HISTORY_MAX:
            for key in HISTORY_KEYS:
                h[key] = h[key][::2]
        self._timeline.append((self.steps, self.flat_params()))
        if len(self._timeline) > TIMELINE_MAX:
            self._timeline = self._timeline[::2]  # an odd count: the first and the newest stay
        return m

    @property
    def history(self) -> dict[str, np.ndarray]:
        return {k: np.array(v, np.float64) for k, v in self._history.items()}  # (points,) each

    @property
    def timeline_steps(self) -> list[int]:
        return [step for step, _ in self._timeline]

    def flat_params(self) -> np.ndarray:
        return np.concatenate([p.ravel() for p in self.net.named_params().values()])  # (44426,)

    def at_step(self, step: int) -> Network:
        """The network with the weights the timeline kept at ``step`` (a copy: the run is untouched)."""
        kept = dict(self._timeline)
        if step not in kept:
            raise ArgumentError("at", f"at must be a step the timeline kept ({self.timeline_steps}), got {step}")
        if self._viewer is None:
            self._viewer = Network((1, SIZE, SIZE), lenet5_layers(), seed=self.config.seed)
        at = 0
        for p in self._viewer.named_params().values():
            p[...] = kept[step][at : at + p.size].reshape(p.shape)
            at += p.size
        return self._viewer

    def filters(self, net: Network | None = None) -> np.ndarray:
        return (net or self.net).named_params()["0.w"][:, 0].copy()  # (6, 5, 5)

    # ------------------------------------------------------------ one image

    def _image(self, x) -> np.ndarray:
        x = checks.array("x", x, 2, f"({SIZE}, {SIZE})")
        if x.shape != (SIZE, SIZE):
            raise ArgumentError("x", f"x must have shape ({SIZE}, {SIZE}), got {x.shape}")
        return np.ascontiguousarray(x, np.float32)[None, None]  # (1, 1, 28, 28)

    def maps(self, x, net: Network | None = None) -> dict[str, np.ndarray]:
        """Every layer's output for one image x (28, 28), the class probabilities, and the saliency.

        Maps: conv1, relu1 (6, 24, 24), pool1 (6, 12, 12), conv2, relu2 (16, 8, 8), pool2 (16, 4, 4),
        fc1, relu3 (120,), fc2, relu4 (84,), logits (10,); probs (10,); saliency (28, 28): the gradient of
        the predicted digit's score with respect to each pixel, times the pixel (gradient × input).
        """
        net = net or self.net
        x4 = self._image(x)  # (1, 1, 28, 28)
        logits, outs = net.forward(x4, train=True, keep=True)
        result = {name: outs[_MAP_LAYER[name]][0].copy() for name in MAPS}
        result["probs"] = softmax(logits)[0].astype(np.float32)  # (10,)
        first = net.layers[0]
        g = np.zeros_like(logits)  # (1, 10) d(score of the predicted digit)/d(logits)
        g[0, int(np.argmax(logits[0]))] = 1
        first.needs_input_grad = True  # the one backward pass that wants dL/dx of the first layer
        try:
            grad = net.backward(g)  # (1, 1, 28, 28)
        finally:
            first.needs_input_grad = False
        result["gradient"] = grad[0, 0].astype(np.float32)  # (28, 28)
        result["saliency"] = (grad[0, 0] * x4[0, 0]).astype(np.float32)  # (28, 28)
        return result


def warm_up() -> None:
    """Compile (or load) the fused LeNet-5 kernels: a run's first step otherwise waits for the compiler."""
    net = Network((1, SIZE, SIZE), lenet5_layers(), seed=0)
    x = np.zeros((2, 1, SIZE, SIZE), np.float32)  # (2, 1, 28, 28)
    net.train_step(optim.SGD(0.01), x, np.array([0, 1]))
    net.logits(x)
