"""Shape arithmetic: the formula, its explanations, legal ranges and layer tables."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import conv2d, max_pool2d, shapes


def test_formula_matches_the_kernels_for_every_small_setting():
    for n, k, s, pb, pa, d in itertools.product(range(1, 9), range(1, 5), range(1, 4), range(3), range(3), range(1, 3)):
        ax = shapes.AxisSize(n, k, s, pb, pa, d)
        if not ax.fits_at_all:
            continue
        y = conv2d(
            np.zeros((1, 1, 1, n), np.float32), np.zeros((1, 1, 1, k), np.float32), None, (1, s), (0, 0, pb, pa), (1, d)
        )
        assert y.shape[3] == ax.size
        # Whole exactly when the last window ends on the last padded cell.
        last_end = (ax.size - 1) * s + d * (k - 1) + 1
        assert ax.whole == (last_end == n + pb + pa)
        assert ax.leftover == n + pb + pa - last_end


def test_formula_text_with_dilation_and_uneven_padding():
    assert shapes.AxisSize(9, 3, 2, 1, 0, 2).formula() == "(9 + 1 + 0 − 2×(3 − 1) − 1)/2 + 1 = 3.50"


def test_too_large_kernel_is_explained():
    out = shapes.window_output((4, 4), (5, 5))
    assert not out.fits_at_all and out.shape == (0, 0)
    assert out.problem() == "a 5×5 filter is larger than the 4×4 input, so there is no position for it"
    dilated = shapes.window_output((6, 6), (3, 3), dilation=(3, 3))
    assert "dilated to 7×7" in dilated.problem()
    padded = shapes.window_output((2, 2), (5, 5), padding=(1, 0, 1, 0))
    assert padded.problem() == "a 5×5 filter is larger than the 3×3 padded input, so there is no position for it"


def test_pooling_problem_speaks_of_a_window():
    out = shapes.window_output((7, 7), (2, 2), (2, 2), what="window")
    assert out.problem() == "(7 − 2)/2 + 1 = 3.50: a 2×2 window at stride 2 does not fit a 7×7 input"


def test_whole_setting_has_no_problem_and_no_suggestions():
    out = shapes.window_output((28, 28), (5, 5))
    assert out.problem() is None and out.suggestions() == {}


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "d"), [(7, 3, 3, 0, 1), (9, 3, 2, 1, 1), (5, 5, 1, 0, 1), (12, 3, 4, 2, 2), (1, 1, 1, 0, 1)]
)
def test_legal_ranges_are_exactly_the_settings_that_produce_output(n, k, s, p, d):
    ranges = shapes.conv_ranges(n, k, s, p, d)
    limits = shapes.Limits()
    settings = {"size": n, "kernel": k, "stride": s, "padding": p, "dilation": d}
    names = {"size": "n", "kernel": "k", "stride": "s", "padding": "p", "dilation": "d"}
    for name, r in ranges.items():
        assert r["min"] <= settings[name] <= r["max"], name  # the current setting is always legal
        for value in range(0 if name == "padding" else 1, getattr(limits, name) + 1):
            v = dict(settings) | {name: value}
            ax = shapes.AxisSize(v["size"], v["kernel"], v["stride"], v["padding"], v["padding"], v["dilation"])
            inside = r["min"] <= value <= r["max"]
            if inside:
                assert ax.fits_at_all, (name, value)
                assert (value in r["fits"]) == ax.whole, (name, value)
            elif name != "padding" and not (name == "dilation" and k == 1):
                assert not ax.fits_at_all, (names[name], value)


def test_padding_range_stops_where_borders_would_see_only_zeros():
    assert shapes.conv_ranges(8, 3, 1, 0, 1)["padding"]["max"] == 2
    assert shapes.conv_ranges(8, 3, 1, 0, 2)["padding"]["max"] == 4
    assert shapes.conv_ranges(8, 1, 1, 0, 1)["padding"] == {"min": 0, "max": 0, "fits": [0]}


def test_layer_table_flattens_before_dense_and_counts_batchnorm():
    rows = shapes.layer_table(
        (3, 8, 8),
        [
            {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
            {"type": "batchnorm"},
            {"type": "avgpool", "kernel": 2},
            {"type": "dense", "units": 5, "bias": False},
        ],
    )
    assert [r.shape for r in rows] == [(8, 8, 4), (8, 8, 4), (4, 4, 4), (5,)]
    assert [r.params for r in rows] == [(9 * 3 + 1) * 4, 8, 0, 64 * 5]
    assert rows[0].formula == "(3×3×3 + 1)×4"


def test_layer_table_names_the_layer_that_does_not_fit():
    with pytest.raises(ValueError, match=r"layer 3 \(conv3\): a 5×5 filter is larger than the 4×4 input"):
        shapes.layer_table(
            (1, 12, 12),
            [
                {"type": "conv", "filters": 2, "kernel": 5},
                {"type": "maxpool", "kernel": 2},
                {"type": "conv", "filters": 2, "kernel": 5},
            ],
        )
    with pytest.raises(ValueError, match="layer type must be one of"):
        shapes.layer_table((1, 4, 4), [{"type": "lstm"}])
    with pytest.raises(ValueError, match="filters must be at least 1"):
        shapes.layer_table((1, 4, 4), [{"type": "conv", "filters": 0, "kernel": 3}])


def test_three_3x3_layers_see_as_far_as_one_7x7_with_fewer_parameters():
    three = [{"type": "conv", "filters": 64, "kernel": 3, "padding": 1}] * 3
    one = [{"type": "conv", "filters": 64, "kernel": 7, "padding": 3}]
    assert shapes.receptive_field(three) == shapes.receptive_field(one) == 7
    p3 = sum(r.params for r in shapes.layer_table((64, 32, 32), three))
    p1 = sum(r.params for r in shapes.layer_table((64, 32, 32), one))
    assert p3 == 3 * (9 * 64 + 1) * 64 and p1 == (49 * 64 + 1) * 64 and p3 < p1


def test_pool_sizes_agree_with_the_kernel():
    for n, k, s in itertools.product(range(2, 10), range(1, 4), range(1, 4)):
        if k > n:
            continue
        y, _ = max_pool2d(np.zeros((1, 1, n, n), np.float32), k, s)
        assert y.shape[2] == shapes.window_output((n, n), (k, k), (s, s), what="window").rows.size


@pytest.mark.parametrize(
    ("n", "k", "sentence"),
    [
        (7, 8, "an 8×8 filter is larger than the 7×7 input, so there is no position for it"),
        (9, 11, "an 11×11 filter is larger than the 9×9 input, so there is no position for it"),
        (5, 7, "a 7×7 filter is larger than the 5×5 input, so there is no position for it"),
    ],
)
def test_a_problem_reads_as_said_aloud(n, k, sentence):
    assert shapes.window_output((n, n), (k, k)).problem() == sentence


def test_an_eight_by_eight_input_that_does_not_fit_is_an_8x8():
    assert shapes.window_output((8, 8), (3, 3), stride=(2, 2)).problem().endswith("does not fit an 8×8 input")
