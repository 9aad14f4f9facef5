"""The receptive-field check functions (app/lessons/checks_receptive.py) against PyTorch: the stack built
with every weight 1 (a pool as the sum over its window), autograd of one unit with respect to the input.
The path count is that gradient at a cell, the cells reached its nonzero count, the box its extent, the
side the extent of a unit far from the border, a dilated window's reach the extent of one tap's spread."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.lessons import checks_receptive as cr
from app.lessons.checks import run_check

STACKS = [
    [{"k": 3}, {"k": 3}, {"k": 3}],
    [{"k": 3}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3}],
    [{"k": 5, "s": 2}, {"k": 3}],
    [{"k": 3, "d": 1}, {"k": 3, "d": 2}, {"k": 3, "d": 4}],
    [{"k": 3, "d": 2}, {"k": 3, "d": 2}],
    [{"k": 2}, {"k": 2}],
    [{"k": 3, "p": 1, "s": 2}, {"kind": "avgpool", "k": 3, "s": 2, "p": 1}, {"k": 3, "d": 3, "p": 2}],
]


def grad(n: int, layers: list[dict], row: int, col: int) -> np.ndarray:
    """d(unit (row, col) of the last layer)/d(input), every weight 1, in float64."""
    x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
    h = x
    for layer in layers:
        ones = torch.ones(1, 1, layer["k"], layer["k"], dtype=torch.float64)
        h = F.conv2d(h, ones, stride=layer.get("s", 1), padding=layer.get("p", 0), dilation=layer.get("d", 1))
    h[0, 0, row, col].backward()
    return x.grad[0, 0].numpy()


def last_side(n: int, layers: list[dict]) -> int:
    x = torch.zeros(1, 1, n, n)
    for layer in layers:
        x = F.conv2d(
            x, torch.ones(1, 1, layer["k"], layer["k"]), None, layer.get("s", 1), layer.get("p", 0), layer.get("d", 1)
        )
    return x.shape[-1]


@pytest.mark.parametrize("layers", STACKS)
def test_the_side_is_the_extent_of_what_an_inner_unit_sees(layers):
    n = 40
    size = last_side(n, layers)
    g = grad(n, layers, size // 2, size // 2)
    rows = np.nonzero(g.any(axis=1))[0]
    answer, work = cr.receptive_side(layers)
    assert answer == rows.max() - rows.min() + 1
    assert work.startswith("1 + ") and work.endswith(f"= {answer}")


@pytest.mark.parametrize("layers", STACKS)
def test_path_counts_and_cells_reached_are_torchs(layers):
    n = 17
    size = last_side(n, layers)
    rng = np.random.default_rng(len(layers))
    for _ in range(3):
        row, col = (int(v) for v in rng.integers(0, size, 2))
        g = grad(n, layers, row, col)
        reached, work = cr.cells_reached(n, layers, row, col)
        assert reached == np.count_nonzero(g)
        assert work.startswith(f"{reached} of the ")
        r, c = np.argwhere(g == g.max())[0]
        count, work = cr.path_count(n, layers, row, col, [int(r), int(c)])
        assert count == g[r, c] and work.endswith(f"= {count}")
        assert cr.path_count(n, layers, row, col, [0, 0])[0] == g[0, 0]


@pytest.mark.parametrize("layers", STACKS)
def test_the_box_holds_what_reaches_and_is_its_extent_without_padding(layers):
    n = 17
    size = last_side(n, layers)
    for row in (0, size - 1):
        g = grad(n, layers, row, row)
        rows = np.nonzero(g.any(axis=1))[0]
        first, _ = cr.receptive_box(n, layers, row, "first")
        last, work = cr.receptive_box(n, layers, row, "last")
        assert first <= rows.min() and rows.max() <= last and f"to {last}".replace("-", "−") in work
        if not any(layer.get("p", 0) for layer in layers):
            assert (first, last) == (rows.min(), rows.max())


def test_a_border_unit_reaches_into_the_padding():
    layers = [{"k": 3, "p": 1}, {"k": 3, "p": 1}]
    assert cr.receptive_box(8, layers, 0) == (-2, "−2 + 0×1 = −2, and −2 + 5 − 1 = 2: rows −2 to 2")
    assert cr.cells_reached(8, layers, 0, 0) == (9, "9 of the 3×3 = 9 cells of its box (no holes)")


@pytest.mark.parametrize("k, d", [(3, 1), (3, 2), (2, 4), (5, 3), (1, 4)])
def test_a_dilated_windows_reach_is_the_spread_of_its_taps(k, d):
    g = grad(2 * d * k + 1, [{"k": k, "d": d}], 0, 0)
    rows = np.nonzero(g.any(axis=1))[0]
    assert cr.dilated_reach(k, d)[0] == rows.max() + 1
    assert np.count_nonzero(g) == k * k  # the taps, with d − 1 cells skipped between them


def test_run_check_finds_them_and_bad_arguments_are_named():
    assert run_check({"fn": "receptive_side", "layers": [{"k": 3, "d": 2}, {"k": 3, "d": 2}]})[0] == 9
    with pytest.raises(ValueError, match=r"layers\[1\]\.k"):
        cr.receptive_box(5, [{"k": 3}, {"k": 5}], 0)
    with pytest.raises(ValueError, match=r"layers\[0\]\.kind"):
        cr.receptive_side([{"kind": "pool", "k": 2}])
    with pytest.raises(ValueError, match=r"at must be an input cell"):
        cr.path_count(8, [{"k": 3}], 0, 0, 3)
    with pytest.raises(ValueError, match=r"row must be"):
        cr.cells_reached(8, [{"k": 3}], 6, 0)
    with pytest.raises(ValueError, match=r"end must be one of"):
        cr.receptive_box(8, [{"k": 3}], 0, "middle")
