"""engine/receptive.py against PyTorch: the same stack built in torch with every weight 1 (a pool as
the sum over its window), autograd of one unit with respect to the input. Its nonzero cells and
their counts must be the engine's path counts exactly, over many seeded random stacks with
strides, padding, dilation and pools; the boxes must hold those cells; the side must be
engine.shapes.receptive_field's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import shapes
from engine.errors import ArgumentError
from engine.receptive import Window, stack


def torch_paths(n: int, layers: list[Window], level: int, row: int, col: int, on: int = 0) -> np.ndarray:
    """d(unit)/d(map ``on``) with all-ones weights, in float64: the path counts, computed by autograd."""
    sides = [n]
    for w in layers:
        sides.append((sides[-1] + 2 * w.p - w.d * (w.k - 1) - 1) // w.s + 1)
    x = torch.zeros(1, 1, sides[on], sides[on], dtype=torch.float64, requires_grad=True)
    h = x
    for w in layers[on:level]:
        if w.kind != "conv" and w.d == 1:  # a pool as a window: the average times its size is the sum
            h = F.avg_pool2d(h, w.k, w.s, w.p, count_include_pad=True) * w.k**2
        else:
            ones = torch.ones(1, 1, w.k, w.k, dtype=torch.float64)
            h = F.conv2d(h, ones, stride=w.s, padding=w.p, dilation=w.d)
    h[0, 0, row, col].backward()
    return x.grad[0, 0].numpy()


def random_stack(seed: int) -> tuple[int, list[Window]]:
    """A stack that keeps at least one unit at every layer: conv or pool, k 1–5, s 1–3, p, d 1–3."""
    rng = np.random.default_rng(seed)
    while True:
        n = int(rng.integers(5, 33))
        layers, size = [], n
        for _ in range(int(rng.integers(1, 5))):
            kind = str(rng.choice(["conv", "conv", "maxpool", "avgpool"]))
            k = int(rng.integers(1, 6))
            p = int(rng.integers(0, 3)) if kind == "conv" else int(rng.integers(0, k // 2 + 1))
            w = Window(kind, k, int(rng.integers(1, 4)), p, int(rng.integers(1, 4)))
            size = (size + 2 * w.p - w.d * (w.k - 1) - 1) // w.s + 1
            if size < 1:
                break
            layers.append(w)
        if layers:
            return n, layers


def as_dicts(layers):
    return [{"kind": w.kind, "k": w.k, "s": w.s, "p": w.p, "d": w.d} for w in layers]


@pytest.mark.parametrize("seed", range(60))
def test_path_counts_are_torchs_gradient_of_the_unit(seed):
    n, layers = random_stack(seed)
    s = stack(n, as_dicts(layers))
    rng = np.random.default_rng(1000 + seed)
    level = int(rng.integers(1, len(layers) + 1))
    size = s.levels[level].size
    row, col = int(rng.integers(0, size)), int(rng.integers(0, size))
    on = int(rng.integers(0, level))
    got = s.paths(level, row, col, on)
    expected = torch_paths(n, layers, level, row, col, on)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)  # the same cells, the same counts, exactly
    # Every cell that reaches the unit lies in its box (cut to the map).
    rows, cols = np.nonzero(got)
    (r0, r1), (c0, c1) = s.box(level, row, on), s.box(level, col, on)
    assert rows.size and r0 <= rows.min() and rows.max() <= r1 and c0 <= cols.min() and cols.max() <= c1
    cut_rows = s.boxes(level, on)[row]
    assert cut_rows[2] <= rows.min() and rows.max() <= cut_rows[3]


def unpadded_stacks(count: int) -> list[tuple[int, list[Window]]]:
    """The first ``count`` random stacks that still fit with their padding taken away."""
    found, seed = [], 0
    while len(found) < count:
        n, layers = random_stack(seed)
        layers = [Window(w.kind, w.k, w.s, 0, w.d) for w in layers]
        size = n
        for w in layers:
            size = (size - w.d * (w.k - 1) - 1) // w.s + 1 if size >= w.d * (w.k - 1) + 1 else 0
        if size >= 1:
            found.append((n, layers))
        seed += 1
    return found


@pytest.mark.parametrize("n, layers", unpadded_stacks(30))
def test_without_padding_the_box_is_exactly_the_extent_of_the_cells_that_reach(n, layers):
    s = stack(n, as_dicts(layers))
    level = len(layers)
    row = col = s.levels[level].size - 1
    got = s.paths(level, row, col)
    rows, cols = np.nonzero(got)
    first, last, cut_first, cut_last = s.boxes(level)[row]
    assert (rows.min(), rows.max()) == (first, last) == (cut_first, cut_last)
    assert last - first + 1 == s.levels[level].field
    assert (cols.min(), cols.max()) == (first, last)


@pytest.mark.parametrize("seed", range(30))
def test_the_side_is_engine_shapes_receptive_field(seed):
    n, layers = random_stack(seed)
    s = stack(n, as_dicts(layers))
    specs = [
        {"type": "conv", "filters": 1, "kernel": w.k, "stride": w.s, "padding": w.p, "dilation": w.d}
        if w.kind == "conv" or w.d > 1
        else {"type": w.kind, "kernel": w.k, "stride": w.s}
        for w in layers
    ]
    for level in range(1, len(layers) + 1):
        assert s.levels[level].field == shapes.receptive_field(specs[:level])
        assert s.field_text(level).endswith(f"= {s.levels[level].field}")
        assert 1 + sum(s.terms(level)) == s.levels[level].field
        assert s.levels[level].jump == int(np.prod([w.s for w in layers[:level]]))


def test_the_courses_stacks():
    three = stack(16, [{"k": 3}] * 3)
    assert [lv.field for lv in three.levels] == [1, 3, 5, 7]
    dilated = stack(20, [{"k": 3, "d": 1}, {"k": 3, "d": 2}, {"k": 3, "d": 4}])
    assert dilated.field_text(3) == "1 + 2 + 4 + 8 = 15"
    assert dilated.term_texts(3) == ["1×(3 − 1)×1", "2×(3 − 1)×1", "4×(3 − 1)×1"]
    # One 3×3 at d = 2 reads 9 cells spread over 5×5; two leave holes; 1, 2, 4 leaves none.
    single = stack(9, [{"k": 3, "d": 2}])
    assert np.count_nonzero(single.paths(1, 2, 2)) == 9 and single.levels[1].field == 5
    twice = stack(12, [{"k": 3, "d": 2}] * 2).paths(2, 0, 0)
    assert np.count_nonzero(twice) == 25 and twice[0].tolist()[:9] == [1, 0, 2, 0, 3, 0, 2, 0, 1]
    filled = dilated.paths(3, 5, 5)
    assert np.count_nonzero(filled) == 15 * 15
    # A stride early multiplies every later layer's growth.
    pooled = stack(16, [{"k": 3}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3}])
    assert pooled.field_text(3) == "1 + 2 + 1 + 4 = 8"
    # Seed 000's 256 → 255 → 254 with two 2×2 windows, at a small scale.
    seed = stack(8, [{"k": 2}, {"k": 2}])
    assert seed.sides == [8, 7, 6] and seed.paths(2, 0, 0)[:3, :3].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_a_unit_at_the_border_reaches_into_the_padding():
    s = stack(8, [{"k": 3, "p": 1}, {"k": 3, "p": 1}])
    assert s.box(2, 0) == (-2, 2)
    assert s.boxes(2)[0].tolist() == [-2, 2, 0, 2]
    assert s.box(2, 0, on=1) == (-1, 1) and s.boxes(2, on=1)[7].tolist() == [6, 8, 6, 7]


def test_counts_past_float32_stay_exact():
    s = stack(40, [{"k": 7}] * 6)  # 7¹² paths in all, counts past 2²⁴ in the middle
    got = s.paths(6, 1, 1)
    assert got.max() > 2**24
    assert got.sum() == 7**12  # every path ends in the input: no padding
    row = np.ones(1)
    for _ in range(6):
        row = np.convolve(row, np.ones(7))  # (37,) one axis's counts, in float64: exact this small
    np.testing.assert_array_equal(got[1:38, 1:38], np.outer(row, row).astype(np.int64))  # unit 1 sees 1 … 37


@pytest.mark.parametrize(
    "layers, n, argument, words",
    [
        ([{"k": 3}, {"k": 5}], 5, "layers[1].k", "layer 2 (conv 5×5): its output vanishes"),
        ([{"k": 3, "d": 4}], 8, "layers[0].k", "dilated to 9"),
        ([{"kind": "maxpool", "k": 2, "p": 2}], 8, "layers[0].p", "at most 1"),
        ([{"kind": "pool", "k": 2}], 8, "layers[0].kind", "must be one of"),
        ([{"k": 3, "s": 0}], 8, "layers[0].s", "at least 1"),
        ([], 8, "layers", "non-empty"),
    ],
)
def test_refusals_name_the_layer_and_field(layers, n, argument, words):
    with pytest.raises(ArgumentError) as caught:
        stack(n, layers)
    assert caught.value.argument == argument
    assert words in str(caught.value)
