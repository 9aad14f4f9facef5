"""The seeds' deeper networks (GoogLeNet, ResNet-50, ResNet-152, Xception) in engine.architectures,
against PyTorch models written in tests/engine/torch_deep_nets.py from torchvision's and Keras's
definitions: every row's name, parameters and shape; each network's total against the figure its
framework publishes; receptive fields against the reach of a gradient; blocks opened into their parts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import architectures as arch
from engine import architectures_blocks as blocks

from . import torch_deep_nets as ref

DEEP = ["googlenet", "resnet50", "resnet152", "xception"]
# Published counts: torchvision's model pages (num_params) and Keras's model.summary() ("Total params").
PUBLISHED = {"googlenet": 6_624_904, "resnet50": 25_557_032, "resnet152": 60_192_808, "xception": 22_910_480}
GOOGLENET_WITH_AUX = 13_004_888  # torchvision's googlenet(aux_logits=True), as it is trained
XCEPTION_TRAINABLE = 22_855_952  # Keras's "Trainable params"; the other 54,528 are batch norm's statistics


def hwc(t: torch.Tensor) -> tuple[int, ...]:
    """A torch output as engine.shapes writes a row's shape: (H, W, C) for a map, (units,) for a vector."""
    return (t.shape[2], t.shape[3], t.shape[1]) if t.dim() == 4 else (t.shape[1],)


def reference_rows(net: str) -> list[tuple[str, int, tuple[int, ...]]]:
    """(name, parameters, output shape) of each reference module, run on a zero image on the meta device."""
    out = []
    with torch.device("meta"), torch.no_grad():
        rows = ref.build(net)
        x = torch.zeros(1, 3, ref.INPUTS[net], ref.INPUTS[net])  # (1, 3, H, W)
        for name, module in rows:
            if isinstance(module, ref.BasicConv2d):  # torchvision's conv and its norm: two rows of the table
                x = module.conv(x)  # (1, C', H, W)
                out += [(f"{name}.conv", ref.count(module.conv), hwc(x)), (f"{name}.bn", ref.count(module.bn), hwc(x))]
                continue
            x = module.eval()(x)  # (1, C', H', W') or (1, F)
            out.append((name, ref.count(module), hwc(x)))
    return out


@pytest.mark.parametrize("net", DEEP)
def test_every_row_is_the_frameworks_module(net):
    rows = arch.table(net)
    expected = reference_rows(net)
    assert [r.name for r in rows] == [name for name, _, _ in expected]
    assert [(r.name, r.params, r.shape) for r in rows] == expected
    for row in rows:
        assert row.size == (row.shape[0] if len(row.shape) == 1 else row.shape[0] * row.shape[1] * row.shape[2])


@pytest.mark.parametrize("net", DEEP)
def test_totals_are_the_published_figures(net):
    learned = sum(r.params for r in arch.table(net))
    with torch.device("meta"):
        model = nn.Sequential(*[m for _, m in ref.build(net)])
    assert learned == ref.count(model)
    keras = net == "xception"  # Keras also counts batch norm's running mean and variance
    assert arch.norm_statistics(net) == ref.statistics(model)
    assert arch.framework_count(net) == learned + (ref.statistics(model) if keras else 0) == PUBLISHED[net]


def test_xception_learns_keras_trainable_count():
    assert sum(r.params for r in arch.table("xception")) == XCEPTION_TRAINABLE
    assert arch.norm_statistics("xception") == PUBLISHED["xception"] - XCEPTION_TRAINABLE


def test_googlenet_without_its_auxiliary_classifiers():
    with torch.device("meta"):
        aux = sum(ref.count(m) for m in ref.googlenet_aux())
    assert sum(r.params for r in arch.table("googlenet")) + aux == GOOGLENET_WITH_AUX


@pytest.mark.parametrize("net", DEEP)
def test_every_formula_adds_up_to_its_count(net):
    for row in arch.table(net):  # "1×1×256×64 + 3×3×64×64 + … + 2×(64 + 64 + 256)" read as arithmetic
        if row.formula:
            assert eval(row.formula.replace("×", "*"), {"__builtins__": {}}) == row.params, row
        else:
            assert row.params == 0, row


# ---------------------------------------------------------------- receptive fields


def _positive(module: nn.Module) -> None:
    """Weights that make every path add: no output can cancel another, so the gradient is non-zero exactly where
    the output looks. Batch norm back to the identity (mean 0, variance 1, γ 1, β 0)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.constant_(m.weight, 1.0 / m.weight[0].numel())
        elif isinstance(m, nn.BatchNorm2d):
            m.reset_parameters()  # also the running statistics


def gradient_reach(net: str, last: int) -> list[int]:
    """Per row up to ``last``: the side of the input square whose pixels move one central output of that row.

    Max pools become average pools over the same windows (a max sends the gradient to one winner, which hides
    the window's reach); ReLUs are left out (an inactive one would hide it too).
    """
    with torch.device("meta"):
        rows = ref.build(net, pool=nn.AvgPool2d)[: last + 1]
    model = nn.Sequential(*[m for _, m in rows]).to_empty(device="cpu").eval().requires_grad_(False)
    _positive(model)
    side = ref.INPUTS[net]
    x = torch.ones(1, 3, side, side, requires_grad=True)  # (1, 3, S, S)
    outs, y = [], x
    for module in model:
        y = module(y)  # (1, C, H, W)
        outs.append(y)
    reach = []
    for y in outs:
        h, w = y.shape[2] // 2, y.shape[3] // 2
        (g,) = torch.autograd.grad(y[0, :, h, w].sum(), x, retain_graph=True)  # (1, 3, S, S)
        seen = g[0].abs().sum(0) > 0  # (S, S)
        rows_, cols = torch.nonzero(seen.any(1)).flatten(), torch.nonzero(seen.any(0)).flatten()
        assert rows_[0] > 0 and rows_[-1] < side - 1, f"{net}: the reach touches the border; test a shorter prefix"
        assert rows_[-1] - rows_[0] == cols[-1] - cols[0]
        reach.append(int(rows_[-1] - rows_[0] + 1))
    return reach


# The longest prefix whose central output still sees less than the whole image.
PREFIX = {"googlenet": "inception4b", "resnet50": "layer3.1", "resnet152": "layer2.3", "xception": "block5"}


@pytest.mark.slow  # a backward pass through a 224×224 prefix per row
@pytest.mark.parametrize("net", DEEP)
def test_receptive_fields_are_how_far_a_gradient_reaches(net):
    _, layers, names = arch.network(net)
    fields = arch.receptive_fields(layers)
    with torch.device("meta"):
        modules = [name for name, _ in ref.build(net)]
    last = modules.index(PREFIX[net])
    reach = dict(zip(modules, gradient_reach(net, last)))
    for name, field in zip(names, fields):
        module = name.rsplit(".", 1)[0] if name.endswith((".conv", ".bn")) else name  # conv1.conv: module conv1
        if module in reach:
            assert field == reach[module], name
    assert len(reach) == last + 1


@pytest.mark.parametrize("net", DEEP)
def test_receptive_field_grows_by_k_minus_1_times_the_jump(net):
    """r_out = r_in + (k − 1)·jump, the jump multiplied by each stride: ResNet's stem by hand, then the blocks."""
    fields = dict(zip(arch.network(net)[2], arch.receptive_fields(arch.network(net)[1])))
    if net.startswith("resnet"):
        # conv1 7×7/2: 1 + 6 = 7 (jump 2); maxpool 3×3/2: 7 + 2·2 = 11 (jump 4); layer1.0's 3×3: 11 + 2·4 = 19.
        assert (fields["conv1"], fields["maxpool"], fields["layer1.0"], fields["layer1.1"]) == (7, 11, 19, 27)
        assert fields["layer2.0"] == 35 + 2 * 4  # the stride-2 3×3 reaches with the old jump, 4, and makes it 8
        assert fields["layer2.1"] == fields["layer2.0"] + 2 * 8
    if net == "googlenet":  # torchvision's "5×5" branch is a 3×3: each module at 28×28 adds 2·8
        assert fields["inception3b"] - fields["inception3a"] == 2 * 8
    if net == "xception":  # block5: three separable 3×3 at jump 16 (block1's stride 2, three pools)
        assert fields["block5"] - fields["block4"] == 3 * 2 * 16
    assert fields[arch.network(net)[2][-1]] is None  # the classifier sees everything


# ---------------------------------------------------------------- blocks opened up, folded runs


def _hooked_parts(module: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, tuple[int, ...], int]]:
    """name → (parameters, output shape, multiply-adds) for each leaf module of a block, from one forward pass."""
    seen: dict[str, tuple[int, tuple[int, ...], int]] = {}
    hooks = []
    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d)):

            def hook(mod, args, out, name=name):
                macs = out.numel() * mod.weight[0].numel() if isinstance(mod, nn.Conv2d) else 0
                seen[name] = (ref.count(mod), hwc(out), macs)

            hooks.append(m.register_forward_hook(hook))
    with torch.no_grad():
        module.eval()(x)
    for h in hooks:
        h.remove()
    return seen


@pytest.mark.parametrize(
    "net, row",
    [
        ("googlenet", "inception3a"),
        ("googlenet", "inception5b"),
        ("resnet50", "layer2.0"),
        ("resnet50", "layer1.1"),
        ("resnet152", "layer4.0"),
        ("xception", "block2"),
        ("xception", "block5"),
        ("xception", "block13"),
        ("xception", "block14_sepconv1"),
    ],
)
def test_a_block_opens_into_the_torch_modules(net, row):
    names = arch.network(net)[2]
    block = arch.block_at(net, names.index(row))
    with torch.device("meta"):
        module = dict(ref.build(net))[row]
    module = module.to_empty(device="cpu")  # shapes and counts only: the weights may hold anything
    h, w, c = block.input
    seen = _hooked_parts(module, torch.zeros(1, c, h, w))  # (1, C, H, W)
    weighted = [p for p in block.parts if p.params]
    if isinstance(module, ref.XceptionBlock | ref.SeparableConv2d):  # Keras's "same" pool is F.pad and a pool
        seen = {k.replace("pool.pool", "pool"): v for k, v in seen.items()}
    assert sorted(p.name for p in weighted) == sorted(k for k, v in seen.items() if v[0])
    for p in block.parts:
        assert (p.params, p.shape, p.madds) == seen[p.name], p
    assert block.params == ref.count(module)
    with torch.no_grad():
        assert block.shape == hwc(module.eval()(torch.zeros(1, c, h, w)))


def test_block_kinds_and_how_they_meet():
    inception = arch.block_at("googlenet", arch.example_block("googlenet"))
    assert inception.merge == "concat" and len(inception.branches) == 4
    assert inception.shape[2] == sum(b.parts[-1].shape[2] for b in inception.branches)  # 64 + 128 + 32 + 32
    bottleneck = arch.block_at("resnet50", arch.example_block("resnet50"))
    assert bottleneck.merge == "add" and [p.name for p in bottleneck.branches[1].parts] == [
        "downsample.0",
        "downsample.1",
    ]
    identity = arch.block_at("resnet50", arch.network("resnet50")[2].index("layer2.1"))
    assert identity.branches[1].parts == ()  # the input passes unchanged
    assert arch.network("xception")[2][arch.example_block("xception")] == "block5"
    assert all(arch.example_block(n) is None for n in arch.NETWORKS)


@pytest.mark.parametrize("h, c_in, c_out, k", [(19, 728, 728, 3), (10, 1024, 1536, 3), (7, 8, 16, 5)])
def test_separable_against_the_ordinary_convolution(h, c_in, c_out, k):
    cmp = blocks.separable_vs_ordinary(h, h, c_in, c_out, k)
    with torch.device("meta"):
        depth = nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in, bias=False)
        point = nn.Conv2d(c_in, c_out, 1, bias=False)
        plain = nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False)
    macs = lambda m: h * h * m.weight[0].numel() * m.out_channels  # noqa: E731  same padding: h×h outputs
    assert cmp.separable.params == ref.count(depth) + ref.count(point)
    assert cmp.ordinary.params == ref.count(plain)
    assert cmp.separable.madds == macs(depth) + macs(point) and cmp.ordinary.madds == macs(plain)
    assert cmp.params_ratio == pytest.approx(1 / (1 / c_out + 1 / (k * k)))  # Chollet's ratio
    for side in (cmp.separable, cmp.ordinary):
        assert eval(side.formula.replace("×", "*"), {"__builtins__": {}}) == side.params
        assert eval(side.madds_formula.replace("×", "*"), {"__builtins__": {}}) == side.madds


def test_repeated_blocks_fold_into_runs():
    def runs(net):
        input_shape, layers, names = arch.network(net)
        return [(names[start], count) for start, count in arch.fold(layers, arch.table(net))]

    # torchvision: each stage's first block projects; the rest repeat. Keras: the middle flow is 8 blocks.
    assert runs("resnet50") == [("layer2.1", 3), ("layer3.1", 5)]
    assert runs("resnet152") == [("layer2.1", 7), ("layer3.1", 35)]
    assert runs("xception") == [("block5", 8)]
    assert runs("googlenet") == []  # no two Inception modules are alike
    assert all(runs(net) == [] for net in arch.NETWORKS)  # short tables of single layers stay whole


def test_errors_name_the_row():
    with pytest.raises(ValueError, match=r"^block must be the row of a block .*row 0 \(conv1\) is not"):
        arch.block_at("resnet50", 0)
    bad = {"type": "bottleneck", "width": 64, "filters": 256, "stride": 1, "shortcut": "identity"}
    with pytest.raises(ValueError, match=r"^layer 1 \(b\): the identity shortcut gives .*use shortcut: projection"):
        arch.layer_table((64, 8, 8), [bad], ["b"])
    with pytest.raises(ValueError, match=r"net must be one of .*googlenet, resnet50, resnet152, xception; got 'vgg19'"):
        arch.table("vgg19")
    with pytest.raises(ValueError, match=r"^layer 2 \(i\): a inception layer cannot follow a flattened vector"):
        arch.layer_table((3, 8, 8), [{"type": "flatten"}, {"type": "inception"}], ["f", "i"])


def test_describe_the_blocks():
    _, layers, names = arch.network("resnet50")
    assert arch.describe(layers[names.index("layer2.0")]) == "1×1, 128 → 3×3, 128 → 1×1, 512, stride 2 + 1×1 shortcut"
    _, layers, names = arch.network("googlenet")
    assert arch.describe(layers[names.index("maxpool1")]) == "max pool 3×3, stride 2, ceil"
    assert arch.describe(layers[names.index("inception3a")]).startswith("4 branches: 1×1, 64 | 1×1, 96 → 3×3, 128")
    _, layers, names = arch.network("xception")
    assert arch.describe(layers[names.index("block5")]) == "3 × separable 3×3, 728 + identity"
