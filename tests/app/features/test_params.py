"""params.count through the real server: each count is engine.counts' and equals the torch layer it stands for;
the seeds' numbers to the digit; every refusal names its field and range."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from app.pages import page_context
from engine import counts

from ..conftest import assert_explained


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_seed001_200x200_image_40k_hidden_units(page):
    a = page.ask(
        "params.count", {"height": 200, "width": 200, "channels": 1, "units": 40_000, "window": 10, "filters": 100}
    )
    assert a.type == "params.counts" and a.arrays == {}
    m = a.meta
    assert m["inputs"] == counts.inputs(200, 200, 1) == 40_000 and m["inputs_formula"] == "200×200×1"
    assert m["fully"]["total"] == 200 * 200 * 40_000 == 1_600_000_000
    assert (m["fully"]["words"], m["fully"]["rough"]) == ("1.6 billion", "2 billion")  # the slide's "~2B"
    assert m["local"]["total"] == 40_000 * 10 * 10 == 4_000_000 and m["local"]["words"] == "4 million"
    assert m["shared"]["total"] == 100 * 10 * 10 == 10_000 and m["shared"]["words"] == "10 thousand"
    assert m["shared"]["total"] == numel(nn.Conv2d(1, 100, 10, bias=False))
    for name, c in (
        ("fully", counts.fully_connected(200, 200, 1, 40_000)),
        ("local", counts.locally_connected(40_000, 10, 1)),
        ("shared", counts.shared_filters(100, 10, 1)),
    ):
        assert m[name] == {
            "weights": c.weights,
            "bias": c.bias,
            "total": c.total,
            "formula": c.formula,
            "words": counts.words(c.total),
            "rough": counts.rough(c.total),
            "log10": counts.log10(c.total),
            "power_of_two": counts.power_of_two(c.total),
        }


def test_seed000_256x256_pixels_1024_classes_is_2_to_the_26(page):
    m = page.ask("params.count", {"height": 256, "width": 256, "units": 1024}).meta
    assert m["inputs"] == 65_536 and m["inputs_power_of_two"] == 16 and m["units_power_of_two"] == 10
    assert m["fully"]["total"] == 2**26 == 67_108_864 and m["fully"]["power_of_two"] == 26
    assert m["fully"]["total"] == numel(nn.Linear(65_536, 1024, bias=False, device="meta"))


@pytest.mark.parametrize(
    "h, w, c, units, window, filters", [(32, 32, 3, 10, 5, 6), (28, 28, 1, 120, 3, 16), (7, 9, 2, 5, 7, 3)]
)
def test_biases_counted_as_torch_counts_them(page, h, w, c, units, window, filters):
    m = page.ask(
        "params.count",
        {"height": h, "width": w, "channels": c, "units": units, "window": window, "filters": filters, "bias": True},
    ).meta
    assert m["fully"]["total"] == numel(nn.Linear(h * w * c, units))
    assert m["shared"]["total"] == numel(nn.Conv2d(c, filters, window))
    assert m["local"]["total"] == units * (window * window * c + 1)  # one own window and bias per unit
    assert m["local"]["bias"] == units and m["fully"]["bias"] == units and m["shared"]["bias"] == filters


def test_one_by_one_convolution_seed004(page):
    m = page.ask("params.count", {"c_in": 64, "c_out": 32, "map_height": 56, "map_width": 56}).meta["pointwise"]
    conv = nn.Conv2d(64, 32, 1)
    assert m["params"]["total"] == numel(conv) == 2080 and m["params"]["weights"] == 2048
    assert m["shape_in"] == [64, 56, 56]
    assert m["shape_out"] == list(conv(torch.zeros(1, 64, 56, 56)).shape[1:]) == [32, 56, 56]
    assert m["dot_length"] == 64
    assert m["params"]["formula"] == counts.pointwise(64, 32, 56, 56).count.formula


def test_defaults_are_the_seed001_example(page):
    m = page.ask("params.count", {}).meta
    assert (m["fully"]["total"], m["local"]["total"], m["shared"]["total"]) == (1_600_000_000, 4_000_000, 10_000)
    props = page_context()["schemas"]["params.count"]["properties"]  # the page's sliders read their bounds here
    bounds = {
        name: props[name]["maximum"] for name in ("height", "width", "channels", "units", "window", "filters", "c_in")
    }
    assert bounds == {
        "height": 1024,
        "width": 1024,
        "channels": 4,
        "units": 1_000_000,
        "window": 64,
        "filters": 4096,
        "c_in": 4096,
    }


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"height": 0}, "height", "height must be from 1 to 1024, got 0"),
        ({"width": 2000}, "width", "width must be from 1 to 1024, got 2000"),
        ({"channels": 5}, "channels", "channels must be from 1 to 4, got 5"),
        ({"units": 0}, "units", "units must be from 1 to 1000000, got 0"),
        ({"units": 2.5}, "units", "units must be a whole number from 1 to 1000000"),
        ({"window": 65}, "window", "window must be from 1 to 64, got 65"),
        (
            {"height": 20, "window": 30},
            "window",
            "window must be from 1 to 20 (the image's height): a unit's window lies inside the image, got 30",
        ),
        ({"filters": 5000}, "filters", "filters must be from 1 to 4096, got 5000"),
        ({"bias": 1}, "bias", "bias must be true or false"),
        ({"c_out": 0}, "c_out", "c_out must be from 1 to 4096, got 0"),
        ({"map_width": 0}, "map_width", "map_width must be from 1 to 1024, got 0"),
        (
            {"pixels": 5},
            "pixels",
            "pixels is not a parameter of params.count; it takes height, width, channels, units, window",
        ),
    ],
)
def test_errors_name_the_field_and_its_range(page, params, field, message):
    assert_explained(page, "params.count", params, "invalid", field, message)
