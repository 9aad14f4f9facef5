"""engine.architectures against PyTorch: every network written here in torch, row by row.

Each network is written in this file as its authors (and torchvision) build it, one
named torch module per row of the engine's table. The oracle for a row's name is that
list, for its parameter count ``sum(p.numel() for p in module.parameters())``, for its
shape a forward pass of a zero tensor. The engine's own layer specs are also built as
torch modules, so each spec is checked to mean what its row says. Everything is built
on torch's "meta" device: shapes and counts without VGG's 500 MB of weights.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import architectures as arch
from engine import shapes


class BasicBlock(nn.Module):
    """ResNet's basic block, as torchvision writes it (conv-bn-relu-conv-bn, + shortcut, relu)."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def torch_layer(spec: dict, c: int, flat: int | None) -> nn.Module:
    """The torch module for one row of a table, given the channels (or flat features) coming in."""
    kind = spec["type"]
    if kind == "conv":
        pad = spec.get("padding", 0)
        return nn.Conv2d(c, spec["filters"], spec["kernel"], spec.get("stride", 1), pad, bias=spec.get("bias", True))
    if kind == "maxpool":
        return nn.MaxPool2d(spec["kernel"], spec.get("stride", spec["kernel"]), spec.get("padding", 0))
    if kind == "avgpool":
        return nn.AvgPool2d(spec["kernel"], spec.get("stride", spec["kernel"]))
    if kind == "adaptive_avgpool":
        return nn.AdaptiveAvgPool2d(spec.get("size", 1))
    if kind == "flatten":
        return nn.Flatten()
    if kind == "dense":
        return nn.Linear(flat, spec["units"], bias=spec.get("bias", True))
    if kind == "batchnorm":
        return nn.BatchNorm1d(flat) if flat is not None else nn.BatchNorm2d(c)
    if kind == "residual":
        return BasicBlock(c, spec["filters"], spec.get("stride", 1))
    if kind == "activation":
        return nn.Softmax(dim=1) if spec.get("name") == "softmax" else nn.ReLU()
    raise AssertionError(kind)


def torch_rows(input_shape, layers) -> list[tuple[int, tuple]]:
    """(params, shape as engine.shapes writes it) per layer, from torch modules run on a zero tensor."""
    out = []
    with torch.device("meta"), torch.no_grad():
        x = torch.zeros(1, *input_shape)  # (1, C, H, W)
        for spec in layers:
            flat = x.shape[1] if x.dim() == 2 else None
            module = torch_layer(spec, x.shape[1], flat).eval()
            x = module(x)  # (1, C, H, W) or (1, F)
            shape = (x.shape[2], x.shape[3], x.shape[1]) if x.dim() == 4 else (x.shape[1],)
            out.append((sum(p.numel() for p in module.parameters()), shape))
    return out


# ---------------------------------------------------------------- the networks, written here


def lenet5() -> list[tuple[str, nn.Module]]:
    """LeNet-5 as seed 003's table gives it: 28×28 grey in, two 5×5 convolutions and 2×2 pools, three dense."""
    return [
        ("Conv1", nn.Conv2d(1, 6, 5)),
        ("Pool1", nn.MaxPool2d(2)),
        ("Conv2", nn.Conv2d(6, 16, 5)),
        ("Pool2", nn.MaxPool2d(2)),
        ("Flatten", nn.Flatten()),
        ("FC1", nn.Linear(16 * 4 * 4, 120)),
        ("FC2", nn.Linear(120, 84)),
        ("Softmax", nn.Linear(84, 10)),  # the classifier the softmax reads
    ]


def alexnet() -> list[tuple[str, nn.Module]]:
    """AlexNet as torchvision builds it (64-192-384-256-256 filters); at 224×224 its adaptive pool is already 6×6."""
    return [
        ("Conv1", nn.Conv2d(3, 64, 11, 4, 2)),
        ("Pool1", nn.MaxPool2d(3, 2)),
        ("Conv2", nn.Conv2d(64, 192, 5, padding=2)),
        ("Pool2", nn.MaxPool2d(3, 2)),
        ("Conv3", nn.Conv2d(192, 384, 3, padding=1)),
        ("Conv4", nn.Conv2d(384, 256, 3, padding=1)),
        ("Conv5", nn.Conv2d(256, 256, 3, padding=1)),
        ("Pool3", nn.MaxPool2d(3, 2)),
        ("Flatten", nn.Flatten()),
        ("FC6", nn.Linear(256 * 6 * 6, 4096)),
        ("FC7", nn.Linear(4096, 4096)),
        ("FC8", nn.Linear(4096, 1000)),
    ]


def vgg16() -> list[tuple[str, nn.Module]]:
    """VGG-16, configuration D: 3×3 convolutions in five blocks of 2, 2, 3, 3, 3, each closed by a 2×2 pool."""
    rows, c = [], 3
    for block, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for i in range(1, convs + 1):
            rows.append((f"conv{block}_{i}", nn.Conv2d(c, filters, 3, padding=1)))
            c = filters
        rows.append((f"pool{block}", nn.MaxPool2d(2)))
    head = [("Flatten", nn.Flatten()), ("FC6", nn.Linear(512 * 7 * 7, 4096))]
    return rows + head + [("FC7", nn.Linear(4096, 4096)), ("FC8", nn.Linear(4096, 1000))]


def resnet18() -> list[tuple[str, nn.Module]]:
    """ResNet-18 as torchvision builds it: a 7×7 stem, four stages of two basic blocks, average pool, one dense."""
    rows = [
        ("conv1", nn.Conv2d(3, 64, 7, 2, 3, bias=False)),
        ("bn1", nn.BatchNorm2d(64)),
        ("maxpool", nn.MaxPool2d(3, 2, 1)),
    ]
    c = 64
    for stage, filters in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            rows.append((f"layer{stage}.{block}", BasicBlock(c, filters, 2 if stage > 1 and block == 0 else 1)))
            c = filters
    return rows + [("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(512, 1000))]


WRITTEN = {"lenet5": (lenet5, (1, 28, 28)), "alexnet": (alexnet, (3, 224, 224))}
WRITTEN |= {"vgg16": (vgg16, (3, 224, 224)), "resnet18": (resnet18, (3, 224, 224))}


def written_rows(net: str) -> list[tuple[str, int, tuple]]:
    """(name, parameters, shape as engine.shapes writes it) of each row of the network written above."""
    build, input_shape = WRITTEN[net]
    out = []
    with torch.device("meta"), torch.no_grad():
        x = torch.zeros(1, *input_shape)  # (1, C, H, W)
        for name, module in build():
            x = module.eval()(x)  # (1, C, H, W) or (1, F)
            shape = (x.shape[2], x.shape[3], x.shape[1]) if x.dim() == 4 else (x.shape[1],)
            out.append((name, sum(p.numel() for p in module.parameters()), shape))
    return out


def test_every_network_is_written_here():
    assert set(arch.NETWORKS) == set(WRITTEN)


@pytest.mark.parametrize("net", list(arch.NETWORKS))
def test_every_row_matches_the_network_written_in_torch(net):
    """Names, parameter counts and shapes row by row against torch modules written here, not read from the engine."""
    rows = arch.table(net)
    assert arch.NETWORKS[net][0] == WRITTEN[net][1]
    expected = written_rows(net)
    assert [r.name for r in rows] == [name for name, _, _ in expected]
    for row, (name, params, shape) in zip(rows, expected, strict=True):
        assert (row.params, row.shape) == (params, shape), name
        assert row.size == (shape[0] if len(shape) == 1 else shape[0] * shape[1] * shape[2]), name


@pytest.mark.parametrize("net", list(arch.NETWORKS))
def test_each_layer_spec_builds_the_torch_layer_of_its_row(net):
    """The engine's own layer specs, built as torch modules, give the same counts and shapes as its table."""
    input_shape, layers, _ = arch.NETWORKS[net]
    rows = arch.table(net)
    for row, (params, shape) in zip(rows, torch_rows(input_shape, layers), strict=True):
        assert (row.params, row.shape) == (params, shape), row.name


@pytest.mark.parametrize("net", list(arch.NETWORKS))
def test_totals_match_a_whole_torch_model(net):
    with torch.device("meta"):  # counts without VGG's 500 MB of weights
        model = nn.Sequential(*[module for _, module in WRITTEN[net][0]()])
        total = sum(p.numel() for p in model.parameters())
    assert sum(r.params for r in arch.table(net)) == total


def test_the_published_totals():
    # The counts frameworks print for these models (torchvision's summaries); the torch tests above are the oracle.
    totals = {net: sum(r.params for r in arch.table(net)) for net in arch.NETWORKS}
    assert totals == {"lenet5": 44_426, "alexnet": 61_100_840, "vgg16": 138_357_544, "resnet18": 11_689_512}


def test_lenet5_is_the_seed_table():
    plain = shapes.layer_table(shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES)
    assert arch.table("lenet5") == plain  # the ordinary layers go through engine.shapes unchanged
    assert [r.params for r in plain] == [156, 0, 2416, 0, 0, 30840, 10164, 850]


@pytest.mark.parametrize("net", ["lenet5", "alexnet", "vgg16"])
def test_plain_networks_need_nothing_beyond_shapes_layer_table(net):
    assert arch.table(net) == shapes.layer_table(*arch.NETWORKS[net])


def test_resnet18_extra_types_are_refused_by_name_in_shapes():
    with pytest.raises(ValueError, match="layer type must be one of"):
        shapes.layer_table(*arch.NETWORKS["resnet18"])


def test_vgg16_parameters_live_in_the_fully_connected_layers():
    rows = arch.table("vgg16")
    dense = sum(r.params for r in rows if r.kind == "dense")
    assert dense / sum(r.params for r in rows) > 0.89  # 123,642,856 of 138,357,544
    assert max(rows, key=lambda r: r.params).name == "FC6"  # 25,088 × 4,096 + 4,096


def test_errors_name_the_layer_by_its_place():
    with pytest.raises(ValueError, match=r"^layer 3 \(p\): a 2×2 window is larger than the 1×1 input"):
        arch.layer_table(
            (1, 2, 2),
            [{"type": "maxpool", "kernel": 2}, {"type": "activation"}, {"type": "maxpool", "kernel": 2}],
            ["a", "b", "p"],
        )
    with pytest.raises(ValueError, match=r"^layer 2 \(r\): a residual layer cannot follow a flattened vector"):
        arch.layer_table((1, 4, 4), [{"type": "flatten"}, {"type": "residual", "filters": 2}], ["f", "r"])
    with pytest.raises(ValueError, match=r"^net must be one of lenet5, alexnet, vgg16, resnet18"):
        arch.table("lenet6")  # no such network


# ---------------------------------------------------------------- a stack of small filters


@pytest.mark.parametrize("k, n, c", [(3, 3, 64), (3, 2, 16), (5, 2, 8), (2, 4, 3), (3, 1, 5)])
def test_stack_vs_single_against_torch(k, n, c):
    cmp = arch.stack_vs_single(k, n, c)
    big = n * (k - 1) + 1
    stack = nn.Sequential(*[nn.Conv2d(c, c, k, bias=False) for _ in range(n)])
    single = nn.Conv2d(c, c, big, bias=False)
    assert cmp.stack.params == sum(p.numel() for p in stack.parameters())
    assert cmp.single.params == sum(p.numel() for p in single.parameters())
    assert cmp.stack.receptive_field == cmp.single.receptive_field == big
    # Same field: on any map both sides give the same output size (torch on zeros).
    x = torch.zeros(1, c, big + 5, big + 5)
    assert stack(x).shape == single(x).shape
    assert cmp.stack.fields == [i * (k - 1) + 1 for i in range(1, n + 1)]
    assert (cmp.stack.nonlinearities, cmp.single.nonlinearities) == (n, 1)
    assert (cmp.stack.per_c2, cmp.single.per_c2) == (n * k * k, big * big)


def test_three_3x3_cost_27c2_against_49c2_for_one_7x7():
    cmp = arch.stack_vs_single(3, 3, 64)
    assert (cmp.stack.per_c2, cmp.single.per_c2) == (27, 49)
    assert cmp.stack.params == 27 * 64 * 64 and cmp.single.params == 49 * 64 * 64
    assert cmp.stack.formula == "3 × (3×3×64×64)" and cmp.single.formula == "7×7×64×64"
    with_bias = arch.stack_vs_single(3, 3, 64, bias=True)
    stack = nn.Sequential(*[nn.Conv2d(64, 64, 3) for _ in range(3)])
    assert with_bias.stack.params == sum(p.numel() for p in stack.parameters())
    assert with_bias.single.params == sum(p.numel() for p in nn.Conv2d(64, 64, 7).parameters())


# ---------------------------------------------------------------- [(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K,SOFTMAX


@pytest.mark.parametrize("n, m, k, pool", [(1, 1, 0, True), (2, 3, 1, True), (3, 2, 2, False), (1, 5, 2, True)])
def test_pattern_against_torch(n, m, k, pool):
    input_shape, layers, names = arch.pattern_layers(n, m, k, pool=pool)
    rows = arch.layer_table(input_shape, layers, names)
    assert [r.name for r in rows] == names  # the table keeps the names it is given, in order
    for row, (params, shape) in zip(rows, torch_rows(input_shape, layers), strict=True):
        assert (row.params, row.shape) == (params, shape), row.name
    kinds = [s["type"] for s in layers]
    assert kinds.count("conv") == n * m
    assert kinds.count("maxpool") == (m if pool else 0)
    assert kinds.count("dense") == k + 1  # K hidden layers and the classifier
    assert names[-1] == "softmax" and layers[-1] == {"type": "activation", "name": "softmax"}
    assert rows[-1].shape == (10,)


def test_pattern_reads_as_the_seed_writes_it():
    _, layers, names = arch.pattern_layers(2, 2, 1)
    assert names == [
        "conv1_1",
        "relu1_1",
        "conv1_2",
        "relu1_2",
        "pool1",
        "conv2_1",
        "relu2_1",
        "conv2_2",
        "relu2_2",
        "pool2",
        "flatten",
        "fc1",
        "relu_fc1",
        "scores",
        "softmax",
    ]
    assert [s["filters"] for s in layers if s["type"] == "conv"] == [16, 16, 32, 32]  # doubled after each pool


def test_pattern_max_m_is_the_last_m_that_fits():
    assert arch.pattern_max_m(2, 1, size=32) == 5  # 32 → 16 → 8 → 4 → 2 → 1
    with pytest.raises(ValueError, match=r"\(pool6\): a 2×2 window is larger than the 1×1 input"):
        arch.layer_table(*arch.pattern_layers(2, 6, 1, size=32))
    assert arch.pattern_max_m(2, 1, size=32, pool=False) == 8


def test_describe():
    assert (
        arch.describe({"type": "conv", "filters": 64, "kernel": 11, "stride": 4, "padding": 2})
        == "conv 11×11, 64 filters, stride 4, pad 2"
    )
    assert arch.describe({"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}) == "max pool 3×3, stride 2, pad 1"
    assert arch.describe({"type": "dense", "units": 4096}) == "fully connected, 4,096 units"
    assert (
        arch.describe({"type": "residual", "filters": 128, "stride": 2})
        == "2 × conv 3×3, 128 filters, stride 2 + 1×1 shortcut"
    )


@pytest.mark.parametrize("net", list(arch.NETWORKS))
def test_every_formula_adds_up_to_its_count(net):
    for row in arch.table(net):
        if row.formula:  # "3×3×64×128 + 3×3×128×128 + 1×1×64×128 + 3×(2×128)" read as arithmetic
            assert eval(row.formula.replace("×", "*"), {"__builtins__": {}}) == row.params, row
        else:
            assert row.params == 0
