"""The grouped widget's message (app/features/grouped.py, "grouped.run"): each mode's maps are torch's
convolutions of the input and filters it sent (the separable pair's maps in between too), each output
channel reads the input channels torch's gradient reaches, the counts are torch modules' numel at the
page's sizes and at the real layer's, and a setting that cannot work is refused with its field."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.core.dispatch import answer
from app.features import TABLE
from app.features.grouped import GroupedRunParams, grouped_run


def run(**params) -> tuple[dict, dict]:
    reply = grouped_run.handler(GroupedRunParams(**params))
    return reply.meta, reply.arrays


def torch_output(meta: dict, arrays: dict) -> torch.Tensor:
    x = torch.tensor(arrays["input"])[None]  # (1, C_in, H, W)
    w = torch.tensor(arrays["filters"])
    if meta["mode"] == "separable":
        middle = F.conv2d(x, w, padding=meta["padding"], groups=meta["c_in"])
        np.testing.assert_array_equal(arrays["middle"], middle[0].numpy())
        return F.conv2d(middle, torch.tensor(arrays["pointwise"])[:, :, None, None])[0]
    return F.conv2d(x, w, padding=meta["padding"], groups=meta["groups"])[0]


@pytest.mark.parametrize("mode", ["ordinary", "grouped", "depthwise", "pointwise", "separable"])
@pytest.mark.parametrize(
    "c_in, c_out, groups, k, seed", [(4, 4, 2, 3, 1), (6, 8, 2, 3, 5), (8, 8, 4, 5, 9), (3, 6, 3, 2, 2)]
)
def test_the_maps_are_torchs_and_each_output_reads_where_the_gradient_reaches(mode, c_in, c_out, groups, k, seed):
    meta, arrays = run(mode=mode, c_in=c_in, c_out=c_out, groups=groups, k=k, seed=seed, height=6, width=7)
    y = torch_output(meta, arrays)
    np.testing.assert_array_equal(arrays["output"], y.numpy())
    assert meta["output_shape"] == list(y.shape)
    assert set(np.unique(arrays["filters"])) <= {-1.0, 0.0, 1.0}  # sums a learner can do by hand
    expected_groups = {"ordinary": 1, "grouped": groups, "depthwise": c_in, "pointwise": 1, "separable": 1}[mode]
    assert meta["groups"] == expected_groups
    assert meta["c_out"] == (c_in if mode == "depthwise" else c_out)
    # Which inputs each output channel reads: where a ones input's gradient lands, through the mode's layers.
    x = torch.ones(1, c_in, 6, 7, requires_grad=True)
    if mode == "separable":
        out = F.conv2d(F.conv2d(x, torch.ones(c_in, 1, k, k), padding=1, groups=c_in), torch.ones(c_out, c_in, 1, 1))
    else:
        kk = 1 if mode == "pointwise" else k
        out = F.conv2d(x, torch.ones(meta["c_out"], c_in // meta["groups"], kk, kk), groups=meta["groups"])
    for o in range(meta["c_out"]):
        (g,) = torch.autograd.grad(out[0, o].sum(), x, retain_graph=True)
        assert meta["reads"][o] == torch.nonzero(g[0].sum(dim=(1, 2))).flatten().tolist()
        np.testing.assert_array_equal(np.flatnonzero(arrays["connections"][o]), meta["reads"][o])
    assert arrays["out_groups"].shape == (meta["c_out"],) and arrays["in_groups"].shape == (c_in,)


def test_ones_weights_make_each_output_the_sum_of_what_it_reads():
    meta, arrays = run(mode="grouped", c_in=4, c_out=2, groups=2, k=1, padding=0, weights="ones")
    x = arrays["input"]
    np.testing.assert_array_equal(arrays["output"][0], x[0] + x[1])
    np.testing.assert_array_equal(arrays["output"][1], x[2] + x[3])


def _numel(mode: str, c_in: int, c_out: int, k: int, groups: int) -> int:
    mods = {
        "ordinary": [nn.Conv2d(c_in, c_out, k, bias=False)],
        "grouped": [nn.Conv2d(c_in, c_out, k, groups=groups, bias=False)],
        "depthwise": [nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False)],
        "pointwise": [nn.Conv2d(c_in, c_out, 1, bias=False)],
    }
    mods["separable"] = mods["depthwise"] + mods["pointwise"]
    return sum(p.numel() for m in mods[mode] for p in m.parameters())


def test_counts_side_by_side_are_torchs_at_both_sizes():
    real = {"size": 56, "c_in": 256, "c_out": 256, "k": 3, "groups": 32}
    meta, _ = run(mode="ordinary", c_in=6, c_out=4, groups=2, k=3, padding=0, height=7, width=8, real=real)
    layer = meta["layer"]
    assert (layer["h_out"], layer["w_out"]) == (5, 6)
    for mode, cost in layer["modes"].items():
        assert cost["weights"] == _numel(mode, 6, 4, 3, 2), mode
        assert cost["madds"] == 5 * 6 * cost["weights"]
    assert meta["real"]["modes"]["ordinary"]["weights"] == 589_824
    for mode, cost in meta["real"]["modes"].items():
        assert cost["weights"] == _numel(mode, 256, 256, 3, 32), mode
        assert cost["fewer"] == pytest.approx(589_824 / cost["weights"])
    assert meta["real"]["ratio"] == pytest.approx(1 / 256 + 1 / 9)


def refusal(params: dict) -> dict:
    reply = json.loads(answer(TABLE, 7, "grouped.run", params))
    assert reply["type"] == "error"
    return reply


def test_a_setting_that_cannot_work_is_refused_with_its_field():
    e = refusal({"mode": "grouped", "c_in": 6, "c_out": 4, "groups": 3})
    assert (
        e["field"] == "groups" and "divide both c_in (6) and c_out (4)" in e["message"] and "try 1, 2" in e["message"]
    )
    e = refusal({"real": {"size": 56, "c_in": 256, "c_out": 256, "k": 3, "groups": 3}})
    assert e["field"] == "real.groups" and "real.c_in (256)" in e["message"]
    e = refusal({"height": 2, "width": 3, "padding": 0, "k": 4})
    assert e["field"] == "k" and "at most 2" in e["message"]
    e = refusal({"c_in": 9})
    assert e["field"] == "c_in" and "8" in e["message"]
    e = refusal({"mode": "dilated"})
    assert e["field"] == "mode" and "separable" in e["message"]
    e = refusal({"real": {"c_out": 5000}})
    assert e["field"] == "real.c_out" and "4096" in e["message"]
    e = refusal({"seed": 1, "strides": 2})
    assert e["field"] == "strides"
