"""engine.counts: the seeds' parameter counts to the digit, each against torch layers built to match."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import counts


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_seed000_linear_classifier_on_256x256_pixels_with_1024_classes():
    assert counts.inputs(256, 256) == 65_536 and counts.power_of_two(65_536) == 16
    c = counts.fully_connected(256, 256, 1, 1024)
    assert c.weights == c.total == 2**26 == 67_108_864 and c.bias == 0
    assert counts.power_of_two(c.total) == 26
    assert c.formula == "256×256×1 × 1,024"
    assert c.total == numel(nn.Linear(65_536, 1024, bias=False, device="meta"))  # shapes only, no 256 MB


def test_seed001_fully_connected_200x200_with_40k_hidden_units_is_about_2_billion():
    c = counts.fully_connected(200, 200, 1, 40_000)
    assert c.total == 200 * 200 * 40_000 == 1_600_000_000
    assert counts.words(c.total) == "1.6 billion" and counts.rough(c.total) == "2 billion"
    assert c.formula == "200×200×1 × 40,000"


def test_seed001_locally_connected_10x10_is_4_million():
    c = counts.locally_connected(40_000, 10, 1)
    assert c.total == 4_000_000 and counts.words(c.total) == "4 million"
    assert c.formula == "40,000 × 10×10×1"
    # One unit's own 10×10 weights, 40,000 times (a LazyLinear per unit would be the torch picture; this is it in
    # small).
    assert counts.locally_connected(3, 10, 1).total == sum(numel(nn.Linear(100, 1, bias=False)) for _ in range(3))


def test_shared_100_filters_of_10x10_is_10_thousand():
    c = counts.shared_filters(100, 10, 1)
    assert c.total == 10_000 and counts.words(c.total) == "10 thousand"
    assert c.total == numel(nn.Conv2d(1, 100, 10, bias=False))
    assert c.formula == "100 × 10×10×1"


@pytest.mark.parametrize("h, w, ch, units", [(32, 32, 3, 10), (7, 5, 2, 3), (1, 1, 1, 1)])
def test_fully_connected_with_and_without_bias_against_torch(h, w, ch, units):
    for bias in (False, True):
        c = counts.fully_connected(h, w, ch, units, bias)
        assert c.total == numel(nn.Linear(h * w * ch, units, bias=bias))
        assert c.weights == h * w * ch * units and c.bias == (units if bias else 0)
    assert counts.fully_connected(32, 32, 3, 10, bias=True).formula == "(32×32×3 + 1) × 10"


@pytest.mark.parametrize("filters, window, ch", [(6, 5, 1), (16, 5, 6), (10, 3, 10), (1, 1, 1)])
def test_shared_filters_are_a_conv_layer_in_torch(filters, window, ch):
    for bias in (False, True):
        c = counts.shared_filters(filters, window, ch, bias)
        assert c.total == numel(nn.Conv2d(ch, filters, window, bias=bias))
    # Seed 000's "3×3×10 kernel, 10 output channels = 900 parameters".
    assert counts.shared_filters(10, 3, 10).total == 900


def test_locally_connected_bias_is_one_per_unit():
    c = counts.locally_connected(40_000, 10, 3, bias=True)
    assert (c.weights, c.bias, c.total) == (40_000 * 300, 40_000, 40_000 * 301)
    assert c.formula == "40,000 × (10×10×3 + 1)"


def test_one_by_one_convolution_seed004():
    # 56×56×64 through a 1×1 conv with 32 filters: 56×56×32, each filter a 64-long dot product.
    p = counts.pointwise(64, 32, 56, 56)
    conv = nn.Conv2d(64, 32, 1)
    assert p.count.total == numel(conv) == 2080 and p.count.weights == 2048
    assert p.shape_in == (64, 56, 56)
    assert p.shape_out == tuple(conv(torch.zeros(1, 64, 56, 56)).shape[1:]) == (32, 56, 56)
    assert p.dot_length == 64
    assert counts.pointwise(64, 32, 56, 56, bias=False).count.total == numel(nn.Conv2d(64, 32, 1, bias=False))


@pytest.mark.parametrize(
    "n, two, rough",
    [
        (0, "0", "0"),
        (7, "7", "7"),
        (999, "1 thousand", "1 thousand"),
        (2080, "2.1 thousand", "2 thousand"),
        (67_108_864, "67 million", "70 million"),
        (61_100_840, "61 million", "60 million"),
        (138_357_544, "140 million", "100 million"),
        (1_600_000_000, "1.6 billion", "2 billion"),
        (1_050_000, "1.1 million", "1 million"),
        (3 * 10**12, "3 trillion", "3 trillion"),
    ],
)
def test_words(n, two, rough):
    assert counts.words(n) == two and counts.rough(n) == rough


def test_log10_and_powers_of_two():
    assert counts.log10(10_000) == 4.0 and counts.log10(1) == 0.0 and counts.log10(0) == 0.0
    assert counts.power_of_two(1024) == 10 and counts.power_of_two(1000) is None and counts.power_of_two(0) is None


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: counts.fully_connected(0, 5, 1, 3), r"^height must be at least 1, got 0"),
        (lambda: counts.fully_connected(5, 5, 1, 2.5), r"^units must be a whole number"),
        (lambda: counts.locally_connected(4, 0), r"^window must be at least 1, got 0"),
        (lambda: counts.shared_filters(0, 3), r"^filters must be at least 1, got 0"),
        (lambda: counts.pointwise(3, 0, 4, 4), r"^c_out must be at least 1, got 0"),
        (lambda: counts.words(-1), r"^n must be at least 0, got -1"),
    ],
)
def test_errors_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
