"""The X/O generator: classes are what they say, every variation moves the geometry within its bound,
the split is seeded, and the seed's two printed grids are recovered faithfully."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.xo_data import (
    CLASSES,
    NAMED_SAMPLES,
    Variations,
    draw,
    make_dataset,
    named_samples,
    printed_rows,
    recover_seed_distorted,
    recover_seed_x,
)

NONE = Variations.none()

# Seed 002, "Would you classify this as an X?", the two grids as its text prints them (tabs as spaces).
SEED_TEXT_X = """\
-1 -1 -1 -1 -1 -1 -1 -1 -1 -1
-1 1 -1 -1 -1 -1 -1 1 -1
-1 -1 1 -1 -1 -1 1 -1 -1
-1 -1 -1 1 -1 1 -1 -1 -1
-1 -1 -1 -1 1 -1 -1 -1 -1
-1 -1 -1 1 -1 1 -1 -1 -1
-1 -1 -1 1 -1 1 -1 -1 -1
-1 -1 1 -1 -1 -1 1 -1 -1
-1 1 -1 -1 -1 -1 -1 1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1
"""
SEED_TEXT_DISTORTED = """\
-1 -1 -1 -1 -1 -1 -1 -1 -1 -1
-1 -1 -1 -1 -1 -1 -1 1 -1 -1
-1 1 -1 -1 -1 -1 1 -1 -1 -1
-1 -1 1 1 -1 -1 1 -1 -1 -1
-1 -1 -1 -1 1 -1 -1 -1 -1 -1
-1 -1 -1 1 -1 1 -1 -1 -1 -1
-1 -1 -1 1 -1 1 -1 1 -1 -1
-1 -1 1 -1 -1 -1 1 -1 -1 -1
-1 -1 1 -1 -1 -1 -1 -1 1 -1
-1 -1 -1 -1 -1 -1 -1 -1 -1 -1
"""


def key(grid: np.ndarray) -> bytes:
    return np.asarray(grid, np.int8).tobytes()


def images_of(ds, label: int) -> np.ndarray:
    """Every image of one class, train and test together: (M, S, S)."""
    return np.concatenate([ds.train_x[ds.train_y == label], ds.test_x[ds.test_y == label]])[:, 0]


def ink_distance_to_x(grid: np.ndarray) -> float:
    """Largest distance from an ink pixel's centre to the canonical X's strokes (the box's diagonals)."""
    s = grid.shape[0]
    lo, hi = 1.0, s - 2.0
    r, c = np.nonzero(grid > 0)
    worst = 0.0
    for (r0, c0), (r1, c1) in (((lo, lo), (hi, hi)), ((lo, hi), (hi, lo))):
        dr, dc = r1 - r0, c1 - c0
        t = np.clip(((r - r0) * dr + (c - c0) * dc) / (dr * dr + dc * dc), 0, 1)
        d = np.hypot(r - r0 - t * dr, c - c0 - t * dc)
        worst = d if np.isscalar(worst) and worst == 0.0 else np.minimum(worst, d)
    return float(np.max(worst)) if np.size(worst) else 0.0


# ---------------------------------------------------------------- the canonical shapes


@pytest.mark.parametrize("size", range(5, 17))
def test_canonical_x_has_its_centre_and_both_diagonals_on(size):
    x = draw("X", size)
    diag = np.arange(1, size - 1)
    assert (x[diag, diag] == 1).all() and (x[diag, size - 1 - diag] == 1).all()
    mid = (size - 1) // 2
    assert (x[mid : size - mid, mid : size - mid] == 1).all()  # the centre cell (the 2×2 centre at even sizes)
    # Nothing but the two strokes, a pen 1 pixel wide: at most 2 ink cells per row.
    assert ((x == 1).sum(axis=1) <= 2).all()
    np.testing.assert_array_equal(x, x.T)
    np.testing.assert_array_equal(x, x[::-1])


@pytest.mark.parametrize("size", range(5, 17))
def test_canonical_o_is_a_clean_ring_with_its_centre_off(size):
    o = draw("O", size)
    centre, radius = (size - 1) / 2, (size - 3) / 2
    r, c = np.indices(o.shape)
    dist = np.hypot(r - centre, c - centre)
    assert (o[dist < radius - 1] == -1).all()  # the hole, centre included
    assert (o[dist > radius + 1] == -1).all()  # the outside
    # Closed: every row and column the ring crosses has ink on both sides of the centre.
    inside = slice(int(np.ceil(centre - radius + 0.5)), int(centre + radius - 0.5) + 1)
    for line in (*o[inside], *o.T[inside]):
        ink = np.nonzero(line > 0)[0]
        assert ink.min() < centre < ink.max()
    for turned in (o.T, o[::-1], o[:, ::-1]):
        np.testing.assert_array_equal(o, turned)


def test_default_9x9_x_is_exactly_the_seed_x():
    np.testing.assert_array_equal(draw(0, 9), NAMED_SAMPLES["seed_x"])


def test_values_are_only_plus_and_minus_one_with_every_variation_on():
    v = Variations(shift=3, scale=0.5, rotation=45, thickness=3, noise=0.3, distorted=True)
    for size in (5, 9, 16):
        ds = make_dataset(size, 40, 20, v, seed=4)
        for arr in (ds.train_x, ds.test_x):
            assert arr.dtype == np.float32 and arr.shape[1:] == (1, size, size)
            assert set(np.unique(arr)) <= {-1.0, 1.0}


# ---------------------------------------------------------------- the classes in the default data


def test_default_data_classes_are_what_they_say():
    ds = make_dataset(seed=0)
    xs, os_ = images_of(ds, 0), images_of(ds, 1)
    # Shifts of at most one pixel move the X's crossing, which stays ink, within the centre's 3×3 block.
    assert (xs[:, 3:6, 3:6] == 1).any(axis=(1, 2)).all()
    assert (os_[:, 4, 4] == -1).all()  # an O's hole covers the centre
    # Each image is closer to its own canonical shape than to the other class's.
    canon = np.stack([draw(0), draw(1)]).reshape(2, -1)  # (2, 81)
    for label, imgs in ((0, xs), (1, os_)):
        agree = imgs.reshape(len(imgs), -1) @ canon.T  # (M, 2)
        assert (agree[:, label] > agree[:, 1 - label]).mean() > 0.9
    assert CLASSES == ("X", "O")


# ---------------------------------------------------------------- each variation: changes images, respects its bound


def test_shift_moves_the_shape_by_whole_pixels_within_the_bound():
    for s in (1, 2):
        ds = make_dataset(n_train=100, n_test=40, variations=replace(NONE, shift=s), seed=1)
        for label in (0, 1):
            allowed = {key(draw(label, 9, (dy, dx))): (dy, dx) for dy in range(-s, s + 1) for dx in range(-s, s + 1)}
            found = {allowed.get(key(img), "outside") for img in images_of(ds, label)}
            assert "outside" not in found
            assert any(max(abs(dy), abs(dx)) == s for dy, dx in found)  # the bound is reached
            assert len(found) > 1


@pytest.mark.parametrize(
    ("field", "bound", "render"),
    [
        ("rotation", 20.0, lambda label, a: draw(label, 9, rotation=a)),
        ("scale", 0.3, lambda label, a: draw(label, 9, scale=1 + a)),
        ("thickness", 3.0, lambda label, a: draw(label, 9, thickness=1 + (a + 3) / 3)),
    ],
)
def test_each_continuous_variation_is_a_rendering_within_its_bound(field, bound, render):
    """Every image is the geometry drawn at some setting within the bound (searched on a fine grid)."""
    ds = make_dataset(n_train=60, n_test=20, variations=replace(NONE, **{field: bound}), seed=2)
    span = {"rotation": bound, "scale": bound, "thickness": 3.0}[field]
    settings = np.linspace(-span, span, 801)
    changed = 0
    for label in (0, 1):
        allowed = {key(render(label, a)) for a in settings}
        got = {key(img) for img in images_of(ds, label)}
        assert got <= allowed
        changed += len(got) > 1
    assert changed  # the variation changes images (a turned ring is the same ring, so O may not change)


def test_rotation_beyond_its_bound_draws_other_images():
    """The bound matters: the X's turned by up to 20° never include the + of a 45° turn."""
    ds = make_dataset(n_train=60, n_test=20, variations=replace(NONE, rotation=20.0), seed=2)
    plus = key(draw(0, 9, rotation=45))
    assert plus not in {key(img) for img in images_of(ds, 0)}


def test_thicker_pens_contain_the_thin_strokes_and_stay_inside_the_widest():
    ds = make_dataset(n_train=60, n_test=20, variations=replace(NONE, thickness=2.0), seed=3)
    for label in (0, 1):
        thin, widest = draw(label, 9, thickness=1.0) == 1, draw(label, 9, thickness=2.0) == 1
        imgs = images_of(ds, label) == 1
        assert (imgs >= thin).all() and (imgs <= widest).all()
        assert (imgs.sum(axis=(1, 2)) > thin.sum()).any()


def test_noise_flips_pixels_with_the_given_probability():
    for p in (0.0, 0.05, 0.2):
        ds = make_dataset(n_train=200, n_test=100, variations=replace(NONE, noise=p), seed=5)
        flipped, total = 0, 0
        for label in (0, 1):
            imgs = images_of(ds, label)
            flipped += int((imgs != draw(label, 9)).sum())
            total += imgs.size
        sd = np.sqrt(p * (1 - p) / total)
        assert abs(flipped / total - p) <= 4 * sd + 1e-12


def test_distorted_makes_strokes_wobble_near_the_canonical_shape():
    ds = make_dataset(n_train=200, n_test=100, variations=replace(NONE, distorted=True), seed=6)
    for label in (0, 1):
        imgs = images_of(ds, label)
        # Half the draws keep the clean shape; a dataset holds each image once, so it appears once here.
        clean = sum(np.array_equal(img, draw(label, 9)) for img in imgs)
        assert clean == 1
        assert ds.distinct[CLASSES[label]] == 150  # every wobble is a new image
    # A wobbly X keeps its ink within 1.7 pixels of the canonical strokes (0.63 of wobble, half a pen, a
    # sample point's offset) and still crosses near the centre.
    for img in images_of(ds, 0):
        assert ink_distance_to_x(img) <= 1.7
        assert (img[3:6, 3:6] == 1).any()


def test_the_seed_distorted_x_is_the_kind_of_image_distorted_draws():
    """The seed's distorted X stays as close to the canonical strokes as the generator's wobble does."""
    assert ink_distance_to_x(NAMED_SAMPLES["seed_distorted_x"]) <= 1.7
    assert not np.array_equal(NAMED_SAMPLES["seed_distorted_x"], draw(0, 9))


# ---------------------------------------------------------------- the split


def test_split_shapes_dtypes_and_balanced_classes():
    ds = make_dataset(9, 128, 32, seed=0)
    assert ds.train_x.shape == (128, 1, 9, 9) and ds.test_x.shape == (32, 1, 9, 9)
    assert ds.train_y.dtype == np.int64 and ds.test_y.dtype == np.int64
    assert np.bincount(ds.train_y).tolist() == [64, 64] and np.bincount(ds.test_y).tolist() == [16, 16]
    assert ds.train_x.flags.c_contiguous and ds.test_x.flags.c_contiguous
    # Training examples come mixed; test examples X's first, then O's.
    assert ds.test_y.tolist() == [0] * 16 + [1] * 16
    assert 0 < ds.train_y[:64].sum() < 64


def test_same_seed_same_arrays_other_seed_other_arrays():
    a, b, c = make_dataset(seed=7), make_dataset(seed=7), make_dataset(seed=8)
    for name in ("train_x", "train_y", "test_x", "test_y"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.train_x, c.train_x)
    assert not np.array_equal(a.test_x, c.test_x)


def test_default_test_images_never_appear_in_training_and_are_distinct():
    for seed in (0, 1, 2):
        ds = make_dataset(seed=seed)
        train = {key(img) for img in ds.train_x[:, 0]}
        test = [key(img) for img in ds.test_x[:, 0]]
        assert not train & set(test)
        assert len(set(test)) == len(test)
        assert len(train) == len(ds.train_x)
        assert ds.distinct == {"X": 80, "O": 80}


def test_a_small_variation_space_is_divided_and_repeated():
    """Shifts only: 9 distinct images per class; a third go to test, the rest to training, each repeated."""
    ds = make_dataset(9, 64, 32, replace(NONE, shift=1), seed=0)
    assert ds.distinct == {"X": 9, "O": 9}
    for label in (0, 1):
        train = {key(img) for img in ds.train_x[ds.train_y == label, 0]}
        test = {key(img) for img in ds.test_x[ds.test_y == label, 0]}
        assert not train & test
        assert len(test) == 3 and len(train) == 6


def test_with_no_variations_train_and_test_both_hold_the_canonical_shapes():
    ds = make_dataset(9, 16, 8, NONE, seed=0)
    assert ds.distinct == {"X": 1, "O": 1}
    for x, y in ((ds.train_x, ds.train_y), (ds.test_x, ds.test_y)):
        for img, label in zip(x[:, 0], y):
            np.testing.assert_array_equal(img, draw(label, 9))


def test_odd_counts_give_x_the_extra_example():
    ds = make_dataset(9, 11, 5, seed=0)
    assert np.bincount(ds.train_y).tolist() == [6, 5] and np.bincount(ds.test_y).tolist() == [3, 2]


# ---------------------------------------------------------------- the seed's printed grids


def test_the_printed_rows_are_the_seed_text():
    from engine import xo_data

    assert printed_rows(xo_data.SEED_X_PRINTED) == printed_rows(SEED_TEXT_X)
    assert printed_rows(xo_data.SEED_DISTORTED_PRINTED) == printed_rows(SEED_TEXT_DISTORTED)


def test_seed_x_recovery_drops_the_repeated_row_and_the_tenth_value():
    rows = printed_rows(SEED_TEXT_X)
    assert len(rows) == 10 and [len(r) for r in rows] == [10] + [9] * 9
    assert rows[6] == rows[5] and rows[0][9] == -1
    x = recover_seed_x(rows)
    assert x.shape == (9, 9)
    # Row by row the recovery is the printed text: rows 0–5 as printed (row 0 cut to 9), then rows 7–9.
    expected = [rows[0][:9], *rows[1:6], *rows[7:]]
    np.testing.assert_array_equal(x, np.array(expected, np.float32))
    np.testing.assert_array_equal(NAMED_SAMPLES["seed_x"], x)
    # The classic X: strokes from (1, 1) to (7, 7) and (1, 7) to (7, 1).
    on = {(int(r), int(c)) for r, c in zip(*np.nonzero(x > 0))}
    assert on == {(i, i) for i in range(1, 8)} | {(i, 8 - i) for i in range(1, 8)}


def test_seed_distorted_recovery_crops_the_all_minus_one_last_row_and_column():
    rows = printed_rows(SEED_TEXT_DISTORTED)
    grid = np.array(rows, np.float32)
    assert grid.shape == (10, 10) and (grid[9] == -1).all() and (grid[:, 9] == -1).all()
    d = recover_seed_distorted(rows)
    np.testing.assert_array_equal(d, grid[:9, :9])
    np.testing.assert_array_equal(NAMED_SAMPLES["seed_distorted_x"], d)
    assert int((d > 0).sum()) == int((grid > 0).sum()) == 16  # cropping lost no ink


def test_named_samples_at_every_size():
    for size in range(5, 17):
        samples = named_samples(size)
        assert set(samples) == {"seed_x", "seed_distorted_x", "o"}
        for grid in samples.values():
            assert grid.shape == (size, size) and grid.dtype == np.float32
            assert set(np.unique(grid)) <= {-1.0, 1.0}
        np.testing.assert_array_equal(samples["seed_x"], draw(0, size))
        np.testing.assert_array_equal(samples["o"], draw(1, size))
    big = named_samples(13)["seed_distorted_x"]
    np.testing.assert_array_equal(big[2:11, 2:11], NAMED_SAMPLES["seed_distorted_x"])
    assert (big[:2] == -1).all() and (big[11:] == -1).all()
    np.testing.assert_array_equal(named_samples(7)["seed_distorted_x"], NAMED_SAMPLES["seed_distorted_x"][1:8, 1:8])


# ---------------------------------------------------------------- errors name the field and its range


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rotation": 60}, "variations.rotation must be from 0 to 45 degrees, got 60"),
        ({"shift": 4}, "variations.shift must be from 0 to 3 pixels, got 4"),
        ({"shift": 1.5}, "variations.shift must be a whole number from 0 to 3 pixels, got 1.5"),
        ({"scale": -0.1}, "variations.scale must be from 0 to 0.5, got -0.1"),
        ({"thickness": 0.5}, "variations.thickness must be from 1 to 3 pixels, got 0.5"),
        ({"noise": 0.31}, "variations.noise must be from 0 to 0.3, got 0.31"),
        ({"noise": float("nan")}, "variations.noise must be from 0 to 0.3, got nan"),
        ({"distorted": "yes"}, "variations.distorted must be true or false, got 'yes'"),
    ],
)
def test_variation_errors_name_the_field_and_range(change, message):
    with pytest.raises(ValueError) as err:
        Variations(**change).check()
    assert str(err.value) == message
    with pytest.raises(ValueError, match=message.split(",")[0]):
        make_dataset(variations=Variations(**change))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 4}, "size must be from 5 to 16, got 4"),
        ({"size": 17}, "size must be from 5 to 16, got 17"),
        ({"n_train": 1}, "n_train must be from 2 to 1024, got 1"),
        ({"n_test": 600}, "n_test must be from 2 to 512, got 600"),
        ({"seed": -1}, "seed must be from 0 to 2147483647, got -1"),
    ],
)
def test_dataset_errors_name_the_argument_and_range(kwargs, message):
    with pytest.raises(ValueError) as err:
        make_dataset(**kwargs)
    assert str(err.value) == message


def test_draw_errors_name_the_argument():
    for kwargs, message in (
        ({"label": "Z"}, "label must be one of 'X', 'O', got 'Z'"),
        ({"label": 2}, "label must be from 0 to 1, got 2"),
        ({"label": 0, "size": 20}, "size must be from 5 to 16, got 20"),
    ):
        with pytest.raises(ValueError) as err:
            draw(**kwargs)
        assert str(err.value) == message


def test_named_samples_are_read_only():
    with pytest.raises(ValueError):
        NAMED_SAMPLES["seed_x"][0, 0] = 1
