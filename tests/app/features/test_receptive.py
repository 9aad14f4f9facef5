"""receptive.run (app/features/receptive.py) as the receptive-field widget uses it: the path counts of
the focused unit on every map below it are PyTorch's autograd of that unit (all weights 1), every
unit's box holds exactly the cells that reach it (no padding here), the growth is written out with
its numbers, and a stack that cannot work is refused with the layer and the field."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.dispatch import answer
from app.features import TABLE
from app.features.receptive import ReceptiveRunParams, receptive_run

DILATED = [{"k": 3, "d": 1, "p": 1}, {"k": 3, "d": 2, "p": 2}, {"k": 3, "d": 4, "p": 4}]  # "same" padding
POOLED = [{"k": 3, "p": 1}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3, "d": 2, "p": 2}, {"kind": "avgpool", "k": 3}]


def run(**params) -> tuple[dict, dict]:
    result = receptive_run.handler(ReceptiveRunParams(**params))
    return result.meta, result.arrays


def torch_maps(n: int, layers: list[dict], level: int, row: int, col: int) -> list[np.ndarray]:
    """d(unit)/d(each map below it), every weight 1 and every pool a sum over its window, in float64."""
    maps = [torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)]
    for layer in layers[:level]:
        k, s, p, d = layer["k"], layer.get("s", 1), layer.get("p", 0), layer.get("d", 1)
        ones = torch.ones(1, 1, k, k, dtype=torch.float64)
        maps.append(F.conv2d(maps[-1], ones, stride=s, padding=p, dilation=d))
        maps[-1].retain_grad()
    maps[-1][0, 0, row, col].backward()
    return [m.grad[0, 0].numpy() for m in maps[:-1]]


@pytest.mark.parametrize(
    "n, layers, level, row, col",
    [(20, DILATED, 3, 7, 9), (16, POOLED, 4, 0, 2), (16, POOLED, 2, 7, 3), (9, [{"k": 3, "d": 2}] * 2, 2, 0, 0)],
)
def test_the_path_counts_are_torchs_gradient_on_every_map_below(n, layers, level, row, col):
    meta, arrays = run(n=n, layers=layers, level=level, row=row, col=col)
    expected = torch_maps(n, layers, level, row, col)
    assert sorted(k for k in arrays if k.startswith("paths")) == [f"paths{m}" for m in range(level)]
    for m, grad in enumerate(expected):
        np.testing.assert_array_equal(arrays[f"paths{m}"], grad)
    focus = meta["focus"]
    assert focus["reached"] == np.count_nonzero(expected[0])
    assert focus["paths"] == expected[0].sum() and focus["most"] == expected[0].max()
    assert arrays["paths0"].dtype == np.int32


def test_without_padding_every_units_box_is_the_extent_of_what_reaches_it():
    layers = [{"k": 3}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3, "d": 2}]
    meta, arrays = run(n=17, layers=layers, level=3, row=0, col=0)
    sizes = [lv["size"] for lv in meta["levels"]]
    assert sizes == [17, 15, 7, 3]
    assert arrays["boxes3"].shape == (3, 3, 4)
    for i in range(3):
        grad = torch_maps(17, layers, 3, i, i)
        for m in range(3):
            rows = np.nonzero(grad[m].any(axis=1))[0]
            first, last, cut_first, cut_last = arrays["boxes3"][m, i]
            assert (rows.min(), rows.max()) == (first, last) == (cut_first, cut_last)


def test_the_growth_is_written_out_and_the_border_box_reaches_into_the_padding():
    meta, arrays = run(n=20, layers=DILATED, level=3, row=0, col=19)
    top = meta["levels"][3]
    assert top["growth"] == "1 + 2 + 4 + 8 = 15" and top["field"] == 15 and top["jump"] == 1
    assert top["terms"] == ["1×(3 − 1)×1", "2×(3 − 1)×1", "4×(3 − 1)×1"]
    assert [lv["label"] for lv in meta["levels"]] == ["input", "conv 3×3 p=1", "conv 3×3 p=2 d=2", "conv 3×3 p=4 d=4"]
    assert meta["levels"][1]["formula"] == "(20 + 2×1 − 3)/1 + 1 = 20"
    assert meta["focus"]["box"] == [-7, 7, 12, 26] and meta["focus"]["cut"] == [0, 7, 12, 19]
    assert meta["focus"]["in_box"] == 8 * 8 == np.count_nonzero(arrays["paths0"])  # 1, 2, 4 leave no hole
    meta, _ = run(n=8, layers=[{"k": 3, "p": 1}, {"k": 3, "p": 1}], level=2, row=0, col=7)
    assert meta["focus"]["box"] == [-2, 2, 5, 9] and meta["focus"]["cut"] == [0, 2, 5, 7]
    assert meta["focus"]["in_box"] == 9 and meta["focus"]["reached"] == 9


def test_a_stride_multiplies_the_growth_of_every_later_layer():
    meta, _ = run(n=16, layers=[{"k": 3}, {"kind": "maxpool", "k": 2, "s": 2}, {"k": 3}], level=3)
    assert [lv["jump"] for lv in meta["levels"]] == [1, 1, 2, 2]
    assert meta["levels"][3]["growth"] == "1 + 2 + 1 + 4 = 8"


@pytest.mark.parametrize(
    "params, field, words",
    [
        ({"n": 5, "layers": [{"k": 3}, {"k": 5}]}, "layers[1].k", "layer 2 (conv 5×5): its output vanishes"),
        ({"n": 8, "layers": [{"k": 3}, {"k": 3, "d": 9}]}, "layers[1].d", "from 1 to 8, got 9"),
        ({"n": 8, "layers": [{"k": 3}, {"kind": "pool", "k": 2}]}, "layers[1].kind", "conv, maxpool or avgpool"),
        (
            {"n": 8, "layers": [{"kind": "maxpool", "k": 2, "p": 2}]},
            "layers[0].p",
            "layer 1: a 2×2 pool takes a padding of at most 1",
        ),
        ({"n": 8, "layers": [{"k": 3}] * 7}, "layers", "1 to 6 layers, got 7"),
        ({"n": 8, "layers": [{"k": 3}], "level": 2}, "level", "1 to 1, got 2"),
        ({"n": 8, "layers": [{"k": 3}], "row": 6}, "row", "0 to 5"),
        ({"n": 40, "layers": [{"k": 3}]}, "n", "32"),
    ],
)
def test_a_stack_that_cannot_work_is_refused_with_its_layer_and_field(params, field, words):
    error = json.loads(answer(TABLE, 7, "receptive.run", params))
    assert error["type"] == "error" and error["field"] == field, error
    assert words in error["message"], error["message"]


def test_by_default_the_focus_is_the_centre_unit_of_the_last_layer():
    meta, arrays = run(n=16, layers=[{"k": 3}, {"k": 3}, {"k": 3}])  # 16 → 14 → 12 → 10
    assert {k: meta["focus"][k] for k in ("level", "row", "col")} == {"level": 3, "row": 4, "col": 4}
    np.testing.assert_array_equal(arrays["paths0"], torch_maps(16, [{"k": 3}] * 3, 3, 4, 4)[0])
    assert meta["focus"]["box"] == [4, 10, 4, 10] and meta["focus"]["reached"] == 49
