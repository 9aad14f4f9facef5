"""The check functions of the grouped and separable lesson (app/lessons/checks_grouped.py): weights are
torch modules' numel, multiply-adds the products a ones convolution makes (or, for layers too large to
convolve here, torch's weight count times its output size), the separable saving 1 / (1/C_out + 1/k²),
and the inputs an output channel reads are where torch's gradient reaches; bad arguments are named."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from app.lessons import checks_grouped as cg
from app.lessons.checks import run_check


def layers(mode: str, c_in: int, c_out: int, k: int, groups: int) -> list[nn.Conv2d]:
    depth = nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False)
    point = nn.Conv2d(c_in, c_out, 1, bias=False)
    return {
        "ordinary": [nn.Conv2d(c_in, c_out, k, bias=False)],
        "grouped": [nn.Conv2d(c_in, c_out, k, groups=groups, bias=False)],
        "depthwise": [depth],
        "pointwise": [point],
        "separable": [depth, point],
    }[mode]


CASES = [(64, 128, 3, 4), (256, 256, 3, 32), (32, 64, 5, 2), (8, 16, 3, 8), (192, 64, 1, 1)]


@pytest.mark.parametrize("mode", ["ordinary", "grouped", "depthwise", "pointwise", "separable"])
@pytest.mark.parametrize("c_in, c_out, k, groups", CASES)
def test_grouped_params_is_torchs_numel(mode, c_in, c_out, k, groups):
    answer, work = cg.grouped_params(mode, c_in, c_out, k, groups)
    assert answer == sum(p.numel() for m in layers(mode, c_in, c_out, k, groups) for p in m.parameters())
    assert work.endswith(f"= {answer:,}")


@pytest.mark.parametrize("mode", ["ordinary", "grouped", "depthwise", "pointwise", "separable"])
def test_grouped_madds_counts_every_product_of_a_ones_convolution(mode):
    h_out, w_out, c_in, c_out, k, groups = 6, 5, 8, 12, 3, 4
    total, x = 0, torch.ones(1, c_in, h_out + k - 1, w_out + k - 1, dtype=torch.float64)
    for m in layers(mode, c_in, c_out, k, groups):
        kk = m.kernel_size[0]
        x = torch.ones(1, m.in_channels, h_out + kk - 1, w_out + kk - 1, dtype=torch.float64)
        total += int(F.conv2d(x, torch.ones_like(m.weight, dtype=torch.float64), groups=m.groups).sum())
    assert cg.grouped_madds(mode, h_out, w_out, c_in, c_out, k, groups)[0] == total


def test_grouped_madds_of_a_real_layer_is_its_weights_at_every_output_cell():
    answer, work = cg.grouped_madds("ordinary", 56, 56, 256, 256, 3)
    assert answer == 56 * 56 * nn.Conv2d(256, 256, 3, bias=False).weight.numel() == 1_849_688_064
    assert work == "56×56 × 3×3×256×256 = 1,849,688,064"


@pytest.mark.parametrize("c_out, k", [(256, 3), (64, 5), (1, 1), (32, 7)])
def test_separable_saving_is_ordinary_over_separable(c_out, k):
    ordinary = nn.Conv2d(16, c_out, k, bias=False).weight.numel()
    separable = nn.Conv2d(16, 16, k, groups=16, bias=False).weight.numel() + nn.Conv2d(16, c_out, 1).weight.numel()
    answer, work = cg.separable_saving(c_out, k)
    assert answer == pytest.approx(ordinary / separable) == pytest.approx(1 / (1 / c_out + 1 / k**2))
    assert work.startswith(f"1/{c_out} + 1/{k}²")
    assert run_check({"fn": "separable_saving", "c_out": c_out, "k": k, "digits": 1})[0] == round(answer, 1)


@pytest.mark.parametrize("c_in, c_out, groups", [(8, 8, 2), (8, 12, 4), (6, 6, 6), (4, 8, 1)])
def test_group_inputs_are_where_torchs_gradient_reaches(c_in, c_out, groups):
    x = torch.ones(1, c_in, 3, 3, requires_grad=True)
    y = F.conv2d(x, torch.ones(c_out, c_in // groups, 1, 1), groups=groups)
    for o in range(1, c_out + 1):
        (g,) = torch.autograd.grad(y[0, o - 1].sum(), x, retain_graph=True)
        reached = [str(i + 1) for i in torch.nonzero(g[0].sum(dim=(1, 2))).flatten().tolist()]
        answer, work = cg.group_inputs(c_in, c_out, groups, o)
        assert answer == ", ".join(reached)
        assert work.endswith(answer)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="^groups: groups must divide"):
        cg.grouped_params("grouped", 6, 4, 3, 4)
    with pytest.raises(ValueError, match="^mode must be one of"):
        cg.grouped_params("dilated", 6, 4, 3)
    with pytest.raises(ValueError, match="^output must be from 1 to 8"):
        cg.group_inputs(8, 8, 2, 9)
    with pytest.raises(ValueError, match="^k: k must be at least 1"):
        cg.separable_saving(8, 0)
