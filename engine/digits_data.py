"""5,000 MNIST digits that ship inside the engine (engine/data/mnist_5k.npz), and their fixed split.

The file holds 500 images of each digit, 28×28 uint8 (0 paper, 255 ink), the
zeros first (engine/data/README.md credits MNIST's authors and gives its licence).
The split never changes: of each digit's 500 images, in the file's order, the
first 400 train and the last 100 test; 4,000 training and 1,000 test digits.

Pixels reach the network as ink from 0 to 1 (value / 255). The only augmentation
is a shift: each epoch every training image moves by a seeded whole number of
pixels (up to ``shift`` each way, paper filling in), which the digits' own
variety of position suggests and which costs one copy of the set per epoch.

Reading the file is the engine's one read, of a file in its own package, once per
process; nothing is downloaded.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

from . import checks

CLASSES = tuple(str(d) for d in range(10))
SIZE = 28
PER_CLASS = 500
TRAIN_PER_CLASS = 400  # the first 400 of each digit train, the last 100 test
N_TRAIN = 10 * TRAIN_PER_CLASS
N_TEST = 10 * (PER_CLASS - TRAIN_PER_CLASS)
SHIFT_RANGE = (0, 4)


@dataclass(frozen=True)
class Digits:
    """The split as the network reads it: images (N, 1, 28, 28) float32 in [0, 1], labels (N,) int64."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@functools.cache
def raw() -> tuple[np.ndarray, np.ndarray]:
    """The file's arrays: images (5000, 28, 28) uint8, labels (5000,) uint8 (read-only, shared)."""
    data = resources.files(__package__).joinpath("data", "mnist_5k.npz").read_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]  # (5000, 28, 28), (5000,)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def split_mask(labels: np.ndarray) -> np.ndarray:
    """True for a training image: among the first TRAIN_PER_CLASS of its digit, in the file's order."""
    rank = np.empty(labels.size, np.int64)  # (5000,) position of each image among its digit's
    for d in range(10):
        where = np.flatnonzero(labels == d)  # (500,)
        rank[where] = np.arange(where.size)
    return rank < TRAIN_PER_CLASS  # (5000,)


@functools.cache
def load() -> Digits:
    """The fixed split, scaled to [0, 1] (shared: do not write into it)."""
    images, labels = raw()
    train = split_mask(labels)  # (5000,)
    x = (images.astype(np.float32) / np.float32(255))[:, None]  # (5000, 1, 28, 28)
    y = labels.astype(np.int64)  # (5000,)
    parts = [np.ascontiguousarray(a) for a in (x[train], y[train], x[~train], y[~train])]
    for a in parts:
        a.flags.writeable = False
    return Digits(*parts)


def shifted(x: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Every image of x (N, 1, H, W) moved by its own seeded offset in [−shift, shift]² (paper fills in)."""
    shift = checks.integer("shift", shift, *SHIFT_RANGE)
    if shift == 0:
        return x
    n, _, h, w = x.shape
    padded = np.pad(x[:, 0], ((0, 0), (shift, shift), (shift, shift)))  # (N, H+2s, W+2s)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (h, w), axis=(1, 2))  # (N, 2s+1, 2s+1, H, W)
    at = rng.integers(0, 2 * shift + 1, (n, 2))  # (N, 2) the window each image is read from
    return np.ascontiguousarray(windows[np.arange(n), at[:, 0], at[:, 1]])[:, None]  # (N, 1, H, W)
