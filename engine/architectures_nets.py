"""GoogLeNet, ResNet-50, ResNet-152 and Xception as layer tables of blocks (engine.architectures_blocks).

Each is written as one framework ships it, row names being that framework's module or layer names:

* GoogLeNet (Inception v1): ``torchvision.models.googlenet`` with its trained weights, so batch norm
  after every convolution (the 2014 paper had none), the "5×5" branches with 3×3 kernels (torchvision
  keeps that slip so the weights load) and no auxiliary classifiers (they only help training, and the
  trained model drops them). 6,624,904 parameters.
* ResNet-50 and ResNet-152: ``torchvision.models.resnet50`` and ``resnet152``, bottleneck blocks with
  the stride on the 3×3 convolution. 25,557,032 and 60,192,808 parameters.
* Xception: ``keras.applications.Xception``, 299×299 input. 22,855,952 learned parameters; Keras's
  summary says 22,910,480 because it also counts each batch norm's running mean and variance (54,528
  numbers it calls non-trainable), which PyTorch keeps as buffers, not parameters.

ReLUs and dropout learn nothing and are left out, as in the other tables.
"""

from __future__ import annotations

from .architectures_blocks import FLATTEN, NORM, conv, dense, pool

Spec = dict
Net = tuple[tuple[int, int, int], list[Spec], list[str]]


def googlenet() -> Net:
    layers: list[Spec] = []
    names: list[str] = []

    def basic(name: str, filters: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        layers.extend([conv(filters, kernel, stride, padding, bias=False), NORM])  # torchvision's BasicConv2d
        names.extend([f"{name}.conv", f"{name}.bn"])

    def maxpool(name: str, kernel: int = 3) -> None:
        layers.append(pool(kernel, 2, ceil=True))
        names.append(name)

    def inception(name: str, *ch: int) -> None:
        keys = ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")
        layers.append({"type": "inception", **dict(zip(keys, ch)), "k5": 3})  # torchvision's 3×3 in the "5×5" branch
        names.append(name)

    basic("conv1", 64, 7, 2, 3)
    maxpool("maxpool1")
    basic("conv2", 64, 1)
    basic("conv3", 192, 3, 1, 1)
    maxpool("maxpool2")
    inception("inception3a", 64, 96, 128, 16, 32, 32)
    inception("inception3b", 128, 128, 192, 32, 96, 64)
    maxpool("maxpool3")
    inception("inception4a", 192, 96, 208, 16, 48, 64)
    inception("inception4b", 160, 112, 224, 24, 64, 64)
    inception("inception4c", 128, 128, 256, 24, 64, 64)
    inception("inception4d", 112, 144, 288, 32, 64, 64)
    inception("inception4e", 256, 160, 320, 32, 128, 128)
    maxpool("maxpool4", 2)
    inception("inception5a", 256, 160, 320, 32, 128, 128)
    inception("inception5b", 384, 192, 384, 48, 128, 128)
    layers += [{"type": "adaptive_avgpool", "size": 1}, FLATTEN, dense(1000)]
    names += ["avgpool", "flatten", "fc"]
    return (3, 224, 224), layers, names


def resnet(blocks: tuple[int, int, int, int]) -> Net:
    """torchvision's ResNet of bottleneck blocks: (3, 4, 6, 3) is ResNet-50, (3, 8, 36, 3) ResNet-152."""
    layers = [conv(64, 7, 2, 3, bias=False), NORM, pool(3, 2, padding=1)]
    names = ["conv1", "bn1", "maxpool"]
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks), start=1):
        for i in range(count):
            layers.append(
                {
                    "type": "bottleneck",
                    "width": width,
                    "filters": 4 * width,
                    "stride": 2 if stage > 1 and i == 0 else 1,
                    "shortcut": "projection" if i == 0 else "identity",  # each stage's first block changes the shape
                }
            )
            names.append(f"layer{stage}.{i}")
    layers += [{"type": "adaptive_avgpool", "size": 1}, FLATTEN, dense(1000)]
    names += ["avgpool", "flatten", "fc"]
    return (3, 224, 224), layers, names


def xception() -> Net:
    layers = [conv(32, 3, 2, bias=False), NORM, conv(64, 3, bias=False), NORM]
    names = ["block1_conv1", "block1_conv1_bn", "block1_conv2", "block1_conv2_bn"]
    for n, filters in ((2, 128), (3, 256), (4, 728)):  # entry flow: each block halves the map
        layers.append({"type": "xception", "filters": [filters, filters], "downsample": True})
        names.append(f"block{n}")
    for n in range(5, 13):  # middle flow: eight identical blocks at 19×19×728
        layers.append({"type": "xception", "filters": [728, 728, 728], "downsample": False})
        names.append(f"block{n}")
    layers.append({"type": "xception", "filters": [728, 1024], "downsample": True})  # exit flow
    names.append("block13")
    layers += [{"type": "sepconv", "filters": 1536}, NORM, {"type": "sepconv", "filters": 2048}, NORM]
    names += ["block14_sepconv1", "block14_sepconv1_bn", "block14_sepconv2", "block14_sepconv2_bn"]
    layers += [{"type": "adaptive_avgpool", "size": 1}, dense(1000)]
    names += ["avg_pool", "predictions"]
    return (3, 299, 299), layers, names


NETWORKS: dict[str, Net] = {
    "googlenet": googlenet(),
    "resnet50": resnet((3, 4, 6, 3)),
    "resnet152": resnet((3, 8, 36, 3)),
    "xception": xception(),
}
TITLES = {
    "googlenet": "GoogLeNet / Inception v1 (2014)",
    "resnet50": "ResNet-50 (2015)",
    "resnet152": "ResNet-152 (2015)",
    "xception": "Xception (2016)",
}
SOURCES = {
    "googlenet": "torchvision's googlenet as its trained weights ship: batch norm, 3×3 in the “5×5” "
    "branches, no auxiliary classifiers",
    "resnet50": "torchvision's resnet50: bottleneck blocks, the stride on the 3×3",
    "resnet152": "torchvision's resnet152: bottleneck blocks, the stride on the 3×3",
    "xception": "Keras's Xception (keras.applications)",
}
# Frameworks that count batch norm's running mean and variance among a model's parameters.
COUNTS_NORM_STATISTICS = {"xception"}
# The block each network's diagram draws first: one of each kind.
EXAMPLE_BLOCKS = {"googlenet": "inception3a", "resnet50": "layer2.0", "resnet152": "layer2.0", "xception": "block5"}
