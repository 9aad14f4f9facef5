"""The digits that ship with the engine: their file, their labels and the fixed split."""

from __future__ import annotations

import numpy as np
import pytest

from engine import digits_data
from engine.digits_data import N_TEST, N_TRAIN, load, raw, shifted


def test_the_file_holds_500_images_of_each_digit():
    images, labels = raw()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    assert images.max() == 255 and images.min() == 0
    # Every image has ink, and MNIST's digits sit inside a blank border.
    assert (images.reshape(5000, -1).max(axis=1) > 128).all()
    assert images[:, 0, :].max() < 64


def test_the_split_is_the_first_400_of_each_digit_for_training():
    images, labels = raw()
    d = load()
    assert (
        (d.train_x.shape, d.test_x.shape)
        == ((N_TRAIN, 1, 28, 28), (N_TEST, 1, 28, 28))
        == ((4000, 1, 28, 28), (1000, 1, 28, 28))
    )
    assert np.bincount(d.train_y).tolist() == [400] * 10
    assert np.bincount(d.test_y).tolist() == [100] * 10
    # The rule written out again: walk the file, count each digit's images.
    seen = [0] * 10
    train_idx, test_idx = [], []
    for i, label in enumerate(labels):
        (train_idx if seen[label] < 400 else test_idx).append(i)
        seen[label] += 1
    np.testing.assert_array_equal(d.train_x[:, 0] * 255, images[train_idx].astype(np.float32))
    np.testing.assert_array_equal(d.test_x[:, 0] * 255, images[test_idx].astype(np.float32))
    np.testing.assert_array_equal(d.test_y, labels[test_idx])
    assert d.train_x.dtype == np.float32 and d.train_x.min() >= 0 and d.train_x.max() == 1


def test_no_test_image_is_also_a_training_image():
    d = load()
    train = {row.tobytes() for row in d.train_x}
    assert sum(row.tobytes() in train for row in d.test_x) == 0


def test_the_split_cannot_be_written_into():
    with pytest.raises(ValueError):
        load().train_x[0, 0, 0, 0] = 1


def test_a_shift_moves_each_image_by_its_own_seeded_offset():
    x = load().train_x[:50]
    moved = shifted(x, 2, np.random.default_rng(5))
    again = shifted(x, 2, np.random.default_rng(5))
    np.testing.assert_array_equal(moved, again)
    offsets = np.random.default_rng(5).integers(0, 5, (50, 2)) - 2  # what the shift drew: dy, dx
    for i, (dy, dx) in enumerate(offsets):
        expect = np.zeros((28, 28), np.float32)
        src = x[i, 0]
        # Reading the window at (2 + dy, 2 + dx) of the padded image moves the picture by (−dy, −dx).
        for r in range(28):
            for c in range(28):
                rr, cc = r + dy, c + dx
                if 0 <= rr < 28 and 0 <= cc < 28:
                    expect[r, c] = src[rr, cc]
        np.testing.assert_array_equal(moved[i, 0], expect)
    assert len({tuple(o) for o in offsets}) > 5  # images move differently
    assert shifted(x, 0, np.random.default_rng(5)) is x


def test_a_shift_out_of_range_is_named():
    with pytest.raises(ValueError, match=r"shift must be from 0 to 4, got 9"):
        shifted(load().train_x[:2], 9, np.random.default_rng(0))
    assert digits_data.SHIFT_RANGE == (0, 4)
