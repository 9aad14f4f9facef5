"""arch.table through the real server: rows are engine.architectures' (and torch's: tests/engine/test_architectures.py),
shapes travel as C×H×W, frozen rows are added up server-side; every refusal names its field and range."""

from __future__ import annotations

import pytest
from torch import nn

from engine import architectures as arch
from engine import counts, shapes

from ..conftest import assert_explained


def as_chw(row: shapes.Row) -> list[int]:
    return [row.shape[2], row.shape[0], row.shape[1]] if len(row.shape) == 3 else list(row.shape)


@pytest.mark.parametrize("net", list(arch.NETWORKS))
def test_each_network_is_the_engine_table(page, net):
    a = page.ask("arch.table", {"net": net})
    assert a.type == "arch.table" and a.arrays == {}
    m = a.meta
    rows = arch.table(net)
    total = sum(r.params for r in rows)
    assert m["mode"] == "net" and m["title"] == arch.TITLES[net]
    assert m["input_shape"] == list(arch.NETWORKS[net][0])
    assert [(r["name"], r["kind"], r["shape"], r["size"], r["params"], r["formula"]) for r in m["rows"]] == [
        (r.name, r.kind, as_chw(r), r.size, r.params, r.formula) for r in rows
    ]
    assert [r["layer"] for r in m["rows"]] == [arch.describe(s) for s in arch.NETWORKS[net][1]]
    assert [r["receptive_field"] for r in m["rows"]] == arch.receptive_fields(arch.NETWORKS[net][1])
    assert [r["share"] for r in m["rows"]] == [r.params / total for r in rows]
    assert m["totals"] == {
        "params": total,
        "trainable": total,
        "frozen": 0,
        "activations": sum(r.size for r in rows),
        "words": counts.words(total),
    }
    assert m["largest"] == max(rows, key=lambda r: r.params).name
    assert sum(m["by_kind"].values()) == total
    assert m["by_kind_share"] == {k: v / total for k, v in m["by_kind"].items()}


def test_vgg16_total_and_where_its_parameters_live(page):
    m = page.ask("arch.table", {"net": "vgg16"}).meta
    assert m["totals"]["params"] == 138_357_544
    assert m["largest"] == "FC6"
    dense = sum(r.params for r in arch.table("vgg16") if r.kind == "dense")
    assert m["by_kind"]["dense"] == dense and dense / m["totals"]["params"] > 0.89


def test_lenet5_is_seed003s_table(page):
    m = page.ask("arch.table", {"net": "lenet5"}).meta
    plain = shapes.layer_table(shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)
    assert [r["params"] for r in m["rows"]] == [r.params for r in plain]
    assert m["rows"][0]["shape"] == [6, 24, 24] and m["rows"][0]["formula"] == "(5×5×1 + 1)×6"


def test_freezing_rows_counts_trainable_parameters(page):
    rows = arch.table("resnet18")
    frozen = [i for i, r in enumerate(rows) if r.name != "fc"]  # feature extraction: train only the new classifier
    m = page.ask("arch.table", {"net": "resnet18", "frozen": frozen}).meta
    fc = next(r for r in rows if r.name == "fc")
    assert fc.params == sum(p.numel() for p in nn.Linear(512, 1000).parameters())
    assert m["totals"]["trainable"] == fc.params
    assert m["totals"]["frozen"] == sum(r.params for r in rows) - fc.params
    assert [r["frozen"] for r in m["rows"]] == [r.name != "fc" for r in rows]


def test_pattern_expanded_by_the_engine(page):
    pattern = {
        "n": 2,
        "m": 3,
        "k": 1,
        "channels": 3,
        "size": 32,
        "filters": 16,
        "kernel": 3,
        "pool": True,
        "fc_units": 128,
        "classes": 10,
    }
    m = page.ask("arch.table", {"pattern": pattern}).meta
    input_shape, layers, names = arch.pattern_layers(
        2, 3, 1, channels=3, size=32, filters=16, kernel=3, pool=True, fc_units=128, classes=10
    )
    rows = arch.layer_table(input_shape, layers, names)
    assert m["mode"] == "pattern" and m["title"] == "[(CONV-RELU)×2-POOL]×3-(FC-RELU)×1-FC, SOFTMAX"
    assert [(r["name"], r["params"], r["shape"]) for r in m["rows"]] == [(r.name, r.params, as_chw(r)) for r in rows]
    assert m["ranges"] == {
        "m": {
            "min": 1,
            "max": arch.pattern_max_m(
                2, 1, channels=3, size=32, filters=16, kernel=3, pool=True, fc_units=128, classes=10
            ),
        }
    }
    assert m["ranges"]["m"]["max"] == 5


def test_compare_three_3x3_with_one_7x7(page):
    m = page.ask("arch.table", {"compare": {"k": 3, "n": 3, "channels": 64, "size": 32}}).meta
    cmp = arch.stack_vs_single(3, 3, 64)
    c = m["compare"]
    assert m["mode"] == "compare" and m["rows"] == [] and m["title"] == "3 stacked 3×3 convolutions vs one 7×7"
    assert (c["k"], c["n"], c["big"], c["channels"]) == (3, 3, 7, 64)
    for side, want in (("stack", cmp.stack), ("single", cmp.single)):
        got = c[side]
        assert (
            got["params"],
            got["formula"],
            got["per_c2"],
            got["receptive_field"],
            got["fields"],
            got["nonlinearities"],
        ) == (want.params, want.formula, want.per_c2, want.receptive_field, want.fields, want.nonlinearities)
    assert (c["stack"]["per_c2"], c["single"]["per_c2"]) == (27, 49)
    # Both sides shrink a 32×32 map to 26×26: the same reach.
    assert c["stack"]["rows"][-1]["shape"] == c["single"]["rows"][-1]["shape"] == [64, 26, 26]
    assert [r["kind"] for r in c["stack"]["rows"]] == ["conv", "activation"] * 3
    assert sum(r["params"] for r in c["stack"]["rows"]) == cmp.stack.params


def test_compare_with_biases(page):
    c = page.ask("arch.table", {"compare": {"k": 3, "n": 2, "channels": 8, "bias": True}}).meta["compare"]
    assert c["stack"]["params"] == 2 * sum(p.numel() for p in nn.Conv2d(8, 8, 3).parameters())
    assert c["single"]["params"] == sum(p.numel() for p in nn.Conv2d(8, 8, 5).parameters())


@pytest.mark.parametrize(
    "params, code, field, message",
    [
        ({}, "invalid", "net", "exactly one of the three, got none of them"),
        ({"net": "vgg16", "compare": {}}, "invalid", "net", "got net and compare"),
        (
            {"net": "vgg19"},
            "invalid",
            "net",
            "net must be 'lenet5', 'alexnet', 'vgg16', 'resnet18', 'googlenet', 'resnet50', 'resnet152' or 'xception'",
        ),
        ({"pattern": {"n": 7}}, "invalid", "pattern.n", "pattern.n must be from 1 to 6, got 7"),
        ({"pattern": {"m": 0}}, "invalid", "pattern.m", "pattern.m must be from 1 to 8, got 0"),
        ({"pattern": {"k": 4}}, "invalid", "pattern.k", "pattern.k must be from 0 to 3, got 4"),
        ({"pattern": {"size": 2}}, "invalid", "pattern.size", "pattern.size must be from 4 to 256, got 2"),
        (
            {"pattern": {"m": 6, "size": 32}},
            "does_not_fit",
            "pattern.m",
            "layer 30 (pool6): a 2×2 window is larger than the 1×1 input, so there is no position "
            "for it; use fewer blocks M",
        ),
        ({"pattern": {"layers": 3}}, "invalid", "pattern.layers", "pattern.layers is not a parameter of pattern"),
        ({"compare": {"k": 1}}, "invalid", "compare.k", "compare.k must be from 2 to 7, got 1"),
        (
            {"compare": {"k": 3, "n": 6, "size": 5}},
            "does_not_fit",
            "compare.size",
            "a 3×3 filter is larger than the 1×1 input",
        ),
        (
            {"compare": {}, "frozen": [0]},
            "invalid",
            "frozen",
            "frozen applies to the rows of a net or a pattern, not to compare",
        ),
        (
            {"net": "lenet5", "frozen": [8]},
            "invalid",
            "frozen",
            "frozen must hold row numbers from 0 to 7 (this table has 8 rows), got 8 at position 0",
        ),
        (
            {"net": "lenet5", "frozen": [-1]},
            "invalid",
            "frozen",
            "frozen must hold row numbers, whole numbers from 0 to 127, got -1 at position 0",
        ),
        ({"net": "lenet5", "frozen": "all"}, "invalid", "frozen", "frozen must be a list of row numbers"),
    ],
)
def test_errors_name_the_field_and_its_range(page, params, code, field, message):
    assert_explained(page, "arch.table", params, code, field, message)
