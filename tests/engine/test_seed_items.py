"""The seeds' figures that tests/engine/test_seeds.py leaves out, one named test each: seed 000's
256 → 255 → 254 chain and its subsample to 127; seed 002's 65 million and over a billion weights;
seed 004's 28×28×6 and 24×24×10 volumes, its 32 → 28 → 24 shrinking and its 3072 × 10 fully
connected layer; seed 003's ResNet-50 and DenseNet-121 figures. Shapes and counts come from the
engine (engine.shapes, engine.architectures) and are checked against PyTorch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine import architectures, conv2d, dense, max_pool2d, shapes


def torch_count(module: nn.Module) -> int:
    return sum(t.numel() for t in module.parameters())


def chain(input_shape, layers) -> list[tuple]:
    """The (H, W, C) shape after each layer, as engine.shapes works them out."""
    return [row.shape for row in shapes.layer_table(input_shape, layers)]


# ---------------------------------------------------------------- seed 000


def test_seed000_256_to_255_to_254():
    """Input 256×256×3, Conv2d(3→10) 255×255×10, Conv2d(10→20) 254×254×20: a 2×2 filter, stride 1."""
    layers = [{"type": "conv", "filters": 10, "kernel": 2}, {"type": "conv", "filters": 20, "kernel": 2}]
    assert chain((3, 256, 256), layers) == [(255, 255, 10), (254, 254, 20)]
    y = F.conv2d(torch.zeros(1, 3, 256, 256), torch.zeros(10, 3, 2, 2))  # (1, 10, 255, 255)
    y = F.conv2d(y, torch.zeros(20, 10, 2, 2))  # (1, 20, 254, 254)
    assert tuple(y.shape) == (1, 20, 254, 254)


def test_seed000_subsample_2x2_takes_255_to_127():
    """The chain's "Subsample (2x2)": 2×2 windows at stride 2 over 255 cells fit 127 times (the last is dropped)."""
    assert chain((10, 255, 255), [{"type": "maxpool", "kernel": 2, "stride": 2}]) == [(127, 127, 10)]
    x = np.random.default_rng(0).normal(size=(1, 10, 255, 255)).astype(np.float32)  # (1, 10, 255, 255)
    y, _ = max_pool2d(x, 2, 2)  # (1, 10, 127, 127)
    np.testing.assert_array_equal(y, F.max_pool2d(torch.from_numpy(x), 2, 2).numpy())
    assert y.shape == (1, 10, 127, 127)


# ---------------------------------------------------------------- seed 002


def test_seed002_one_hidden_layer_of_1000_is_65_million_weights():
    """A 256×256 input is 65,536 neurons; one hidden layer of 1,000 units: "65 million parameters"."""
    weights = shapes.dense_params(256 * 256, 1000, bias=False)
    assert weights == torch_count(nn.Linear(256 * 256, 1000, bias=False)) == 65_536_000
    assert weights // 10**6 == 65  # "65 million": 65.5 million, read down


def test_seed002_two_hidden_layers_of_15000_are_over_a_billion_weights():
    first = shapes.dense_params(256 * 256, 15_000, bias=False)
    second = shapes.dense_params(15_000, 15_000, bias=False)
    assert first == 256 * 256 * 15_000 and second == 15_000**2
    assert first + second == 1_208_040_000 > 10**9
    assert shapes.dense_params(256 * 256, 15_000) + shapes.dense_params(15_000, 15_000) > 10**9  # biases or not


# ---------------------------------------------------------------- seed 004


def test_seed004_six_5x5_filters_make_28x28x6():
    assert chain((3, 32, 32), [{"type": "conv", "filters": 6, "kernel": 5}]) == [(28, 28, 6)]
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 3, 32, 32)).astype(np.float32)  # (1, 3, 32, 32)
    w = rng.normal(size=(6, 3, 5, 5)).astype(np.float32)  # (6, 3, 5, 5)
    y = conv2d(x, w)  # (1, 6, 28, 28)
    np.testing.assert_allclose(y, F.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy(), rtol=1e-4, atol=1e-4)


def test_seed004_ten_5x5x6_filters_make_24x24x10():
    assert chain((6, 28, 28), [{"type": "conv", "filters": 10, "kernel": 5}]) == [(24, 24, 10)]
    assert shapes.conv_params((5, 5), 6, 10) == torch_count(nn.Conv2d(6, 10, 5)) == (5 * 5 * 6 + 1) * 10


def test_seed004_32_to_28_to_24_with_5x5_filters():
    """Repeated 5×5 filters shrink the volume 4 cells a layer: 32 → 28 → 24 (→ 20 …)."""
    layers = [{"type": "conv", "filters": 6, "kernel": 5}, {"type": "conv", "filters": 10, "kernel": 5}]
    assert [shape[:2] for shape in chain((3, 32, 32), layers)] == [(28, 28), (24, 24)]
    sizes = [32]
    while sizes[-1] >= 5:
        sizes.append(shapes.axis(sizes[-1], 5).size)
    assert sizes[:4] == [32, 28, 24, 20]


def test_seed004_fully_connected_3072_to_10():
    """A 32×32×3 image stretched to 3072 × 1; a 10 × 3072 weight matrix gives 10 numbers."""
    assert shapes.dense_params(32 * 32 * 3, 10, bias=False) == 10 * 3072 == 30_720
    rng = np.random.default_rng(10)
    image = rng.normal(size=(1, 3, 32, 32)).astype(np.float32)  # (1, 3, 32, 32)
    x = image.reshape(1, -1)  # (1, 3072)
    w = rng.normal(size=(10, 3072)).astype(np.float32)  # (10, 3072)
    y = dense(x, w)  # (1, 10)
    assert y.shape == (1, 10)
    np.testing.assert_allclose(y, F.linear(torch.from_numpy(x), torch.from_numpy(w)).numpy(), rtol=1e-4, atol=1e-3)
    # Each of the 10 numbers is a 3072-long dot product of one row of w with the whole image.
    assert np.isclose(y[0, 3], np.dot(w[3].astype(np.float64), x[0].astype(np.float64)), rtol=1e-4)


# ---------------------------------------------------------------- seed 003


class Bottleneck(nn.Module):
    """ResNet-50's block: 1×1 down to `planes`, 3×3, 1×1 up to 4·planes; a projection when the shape changes."""

    def __init__(self, inplanes: int, planes: int, stride: int):
        super().__init__()
        out = planes * 4
        self.body = nn.Sequential(
            nn.Conv2d(inplanes, planes, 1, bias=False),
            nn.BatchNorm2d(planes),
            nn.ReLU(),
            nn.Conv2d(planes, planes, 3, stride, 1, bias=False),
            nn.BatchNorm2d(planes),
            nn.ReLU(),
            nn.Conv2d(planes, out, 1, bias=False),
            nn.BatchNorm2d(out),
        )
        changes = stride != 1 or inplanes != out
        self.shortcut = (
            nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            if changes
            else nn.Identity()
        )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet50() -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    inplanes = 64
    for planes, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(inplanes, planes, stride if i == 0 else 1))
            inplanes = planes * 4
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


class DenseLayer(nn.Module):
    """BN, ReLU, 1×1 to 4·growth, BN, ReLU, 3×3 to growth; its output joins its input's channels."""

    def __init__(self, channels: int, growth: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels),
            nn.ReLU(),
            nn.Conv2d(channels, 4 * growth, 1, bias=False),
            nn.BatchNorm2d(4 * growth),
            nn.ReLU(),
            nn.Conv2d(4 * growth, growth, 3, padding=1, bias=False),
        )

    def forward(self, x):
        return torch.cat([x, self.body(x)], 1)


def densenet121(growth: int = 32) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    channels = 64
    for i, count in enumerate((6, 12, 24, 16)):
        for _ in range(count):
            layers.append(DenseLayer(channels, growth))
            channels += growth
        if i < 3:  # a transition halves the channels and the map
            layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.Conv2d(channels, channels // 2, 1, bias=False)]
            layers.append(nn.AvgPool2d(2, 2))
            channels //= 2
    layers += [nn.BatchNorm2d(channels), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers, nn.Linear(channels, 1000))


def weight_layers(model: nn.Module, skip_projections: bool = False) -> int:
    """Convolutions and fully connected layers: the layers a network's name counts."""
    count = 0
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)) and not (skip_projections and "shortcut" in name):
            count += 1
    return count


def test_seed003_resnet50_has_about_25_million_parameters():
    """ "Residual network: 25 millions of parameters". The engine's ResNet-50 table and a ResNet-50
    built here in torch agree to the parameter; its name counts 50 weight layers (the projection
    shortcuts aside). The slide's "168 layers" is not a count of weight layers."""
    model = resnet50()
    engine_total = sum(row.params for row in architectures.table("resnet50"))
    assert engine_total == torch_count(model) == 25_557_032
    assert int(engine_total / 1e6) == 25
    assert weight_layers(model, skip_projections=True) == 50
    assert tuple(model(torch.zeros(1, 3, 64, 64)).shape) == (1, 1000)


def test_seed003_densenet121_has_121_layers_and_about_8_million_parameters():
    """ "Dense network: 121 layers, 8 millions of parameters": 120 convolutions and one classifier."""
    model = densenet121()
    assert weight_layers(model) == 121
    assert torch_count(model) == 7_978_856
    assert round(torch_count(model) / 1e6) == 8
    assert tuple(model(torch.zeros(1, 3, 64, 64)).shape) == (1, 1000)
