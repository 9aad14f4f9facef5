"""GoogLeNet, ResNet-50/152 and Keras's Xception written in torch.nn, one module per row of a table.

Written from torchvision's model definitions (googlenet.py, resnet.py) and Keras's
applications/xception.py, not from engine.architectures: each builder returns the network as
``[(row name, module), ...]`` under the framework's own module or layer names, so the engine's
table is checked row by row against modules that run. Nothing here is trained; the counts and
shapes are what the tests read.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

Rows = list[tuple[str, nn.Module]]


class BasicConv2d(nn.Module):
    """torchvision's GoogLeNet convolution: no bias, batch norm (eps 0.001), ReLU."""

    def __init__(self, c_in: int, c_out: int, **kw):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, bias=False, **kw)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """torchvision's module; its "5×5" branch has kernel_size=3 (torchvision's comment: "a known bug")."""

    def __init__(self, c_in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, pool=nn.MaxPool2d):
        super().__init__()
        self.branch1 = BasicConv2d(c_in, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            BasicConv2d(c_in, ch3x3red, kernel_size=1), BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1)
        )
        self.branch3 = nn.Sequential(
            BasicConv2d(c_in, ch5x5red, kernel_size=1), BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1)
        )
        self.branch4 = nn.Sequential(
            pool(kernel_size=3, stride=1, padding=1, ceil_mode=True), BasicConv2d(c_in, pool_proj, kernel_size=1)
        )

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """An auxiliary classifier (training only; the trained model has none)."""

    def __init__(self, c_in: int, classes: int = 1000):
        super().__init__()
        self.conv = BasicConv2d(c_in, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, classes)


def googlenet(pool=nn.MaxPool2d) -> Rows:
    """torchvision.models.googlenet(aux_logits=False), its children in forward order (dropout left out)."""
    ceil = lambda k: pool(k, stride=2, ceil_mode=True)  # noqa: E731
    rows: Rows = [
        ("conv1", BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)),
        ("maxpool1", ceil(3)),
        ("conv2", BasicConv2d(64, 64, kernel_size=1)),
        ("conv3", BasicConv2d(64, 192, kernel_size=3, padding=1)),
        ("maxpool2", ceil(3)),
        ("inception3a", Inception(192, 64, 96, 128, 16, 32, 32, pool)),
        ("inception3b", Inception(256, 128, 128, 192, 32, 96, 64, pool)),
        ("maxpool3", ceil(3)),
        ("inception4a", Inception(480, 192, 96, 208, 16, 48, 64, pool)),
        ("inception4b", Inception(512, 160, 112, 224, 24, 64, 64, pool)),
        ("inception4c", Inception(512, 128, 128, 256, 24, 64, 64, pool)),
        ("inception4d", Inception(512, 112, 144, 288, 32, 64, 64, pool)),
        ("inception4e", Inception(528, 256, 160, 320, 32, 128, 128, pool)),
        ("maxpool4", ceil(2)),
        ("inception5a", Inception(832, 256, 160, 320, 32, 128, 128, pool)),
        ("inception5b", Inception(832, 384, 192, 384, 48, 128, 128, pool)),
        ("avgpool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(1024, 1000)),
    ]
    return rows


def googlenet_aux() -> list[nn.Module]:
    """The two auxiliary classifiers torchvision adds when aux_logits=True (after inception4a and 4d)."""
    return [InceptionAux(512), InceptionAux(528)]


class Bottleneck(nn.Module):
    """torchvision's Bottleneck (expansion 4, stride on conv2), downsample when the shape changes."""

    def __init__(self, c_in: int, width: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.downsample = None
        if stride != 1 or c_in != 4 * width:
            self.downsample = nn.Sequential(
                nn.Conv2d(c_in, 4 * width, 1, stride, bias=False), nn.BatchNorm2d(4 * width)
            )

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


def resnet(layers: tuple[int, ...], pool=nn.MaxPool2d) -> Rows:
    """torchvision's ResNet with Bottleneck blocks: resnet50 is (3, 4, 6, 3), resnet152 (3, 8, 36, 3)."""
    rows: Rows = [("conv1", nn.Conv2d(3, 64, 7, 2, 3, bias=False)), ("bn1", nn.BatchNorm2d(64))]
    rows.append(("maxpool", pool(kernel_size=3, stride=2, padding=1)))
    c = 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), layers), start=1):
        for i in range(count):
            rows.append((f"layer{stage}.{i}", Bottleneck(c, width, 2 if stage > 1 and i == 0 else 1)))
            c = 4 * width
    rows += [("avgpool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(2048, 1000))]
    return rows


class SamePool(nn.Module):
    """Keras's MaxPooling2D(3, strides=2, padding="same"): ⌈n/2⌉ outputs, the odd padding cell after."""

    def __init__(self, pool=nn.MaxPool2d):
        super().__init__()
        self.pool = pool(3, 2)

    def forward(self, x):
        pads = []
        for n in (x.shape[3], x.shape[2]):  # F.pad takes the last axis first
            out = -(-n // 2)
            total = max((out - 1) * 2 + 3 - n, 0)
            pads += [total // 2, total - total // 2]
        return self.pool(F.pad(x, pads, value=-torch.inf if isinstance(self.pool, nn.MaxPool2d) else 0.0))


class SeparableConv2d(nn.Module):
    """Keras's SeparableConv2D(filters, 3, padding="same", use_bias=False): depthwise, then pointwise."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class XceptionBlock(nn.Module):
    """A Keras Xception block: (ReLU, separable conv, batch norm) per filter count, then when it
    downsamples a "same" 3×3 max pool at stride 2 and a strided 1×1 convolution on the shortcut."""

    def __init__(self, c_in: int, filters: list[int], downsample: bool, pool=nn.MaxPool2d):
        super().__init__()
        c = c_in
        for i, f in enumerate(filters, start=1):
            self.add_module(f"sepconv{i}", SeparableConv2d(c, f))
            self.add_module(f"sepconv{i}_bn", nn.BatchNorm2d(f, eps=0.001))
            c = f
        self.count = len(filters)
        self.pool = SamePool(pool) if downsample else None
        self.shortcut = None
        if downsample:  # Conv2D(1, strides=2, padding="same", use_bias=False) and batch norm
            self.shortcut = nn.Sequential()
            self.shortcut.add_module("conv", nn.Conv2d(c_in, c, 1, 2, bias=False))
            self.shortcut.add_module("bn", nn.BatchNorm2d(c, eps=0.001))

    def forward(self, x):
        y = x
        for i in range(1, self.count + 1):
            y = getattr(self, f"sepconv{i}_bn")(getattr(self, f"sepconv{i}")(F.relu(y)))
        if self.pool is not None:
            y = self.pool(y)
        return y + (self.shortcut(x) if self.shortcut is not None else x)


def xception(pool=nn.MaxPool2d) -> Rows:
    """keras.applications.Xception(include_top=True): its layers and blocks in order (ReLUs left out)."""
    rows: Rows = [
        ("block1_conv1", nn.Conv2d(3, 32, 3, 2, bias=False)),
        ("block1_conv1_bn", nn.BatchNorm2d(32, eps=0.001)),
        ("block1_conv2", nn.Conv2d(32, 64, 3, bias=False)),
        ("block1_conv2_bn", nn.BatchNorm2d(64, eps=0.001)),
        ("block2", XceptionBlock(64, [128, 128], True, pool)),
        ("block3", XceptionBlock(128, [256, 256], True, pool)),
        ("block4", XceptionBlock(256, [728, 728], True, pool)),
    ]
    rows += [(f"block{n}", XceptionBlock(728, [728, 728, 728], False, pool)) for n in range(5, 13)]
    rows += [
        ("block13", XceptionBlock(728, [728, 1024], True, pool)),
        ("block14_sepconv1", SeparableConv2d(1024, 1536)),
        ("block14_sepconv1_bn", nn.BatchNorm2d(1536, eps=0.001)),
        ("block14_sepconv2", SeparableConv2d(1536, 2048)),
        ("block14_sepconv2_bn", nn.BatchNorm2d(2048, eps=0.001)),
        ("avg_pool", nn.AdaptiveAvgPool2d(1)),
        ("predictions", nn.Sequential(nn.Flatten(), nn.Linear(2048, 1000))),
    ]
    return rows


INPUTS = {"googlenet": 224, "resnet50": 224, "resnet152": 224, "xception": 299}


def build(net: str, pool=nn.MaxPool2d) -> Rows:
    """The reference rows of ``net``; ``pool=nn.AvgPool2d`` swaps every max pool for an average of the same window."""
    if net == "googlenet":
        return googlenet(pool)
    if net == "resnet50":
        return resnet((3, 4, 6, 3), pool)
    if net == "resnet152":
        return resnet((3, 8, 36, 3), pool)
    return xception(pool)


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def statistics(module: nn.Module) -> int:
    """Batch norm's running mean and variance: buffers to PyTorch, non-trainable parameters to Keras."""
    return sum(
        b.numel() for name, b in module.named_buffers() if name.rsplit(".", 1)[-1] in ("running_mean", "running_var")
    )
