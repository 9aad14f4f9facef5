"""Classic networks as layer tables, the "stack of small filters" argument and the CS231n pattern.

``NETWORKS[name] = (input_shape, layers, names)``: LeNet-5 (seed 003's table),
AlexNet (the variant deep-learning frameworks ship: 64-192-384-256-256
filters, 61,100,840 parameters), VGG-16 (138,357,544) and ResNet-18
(11,689,512). Layers are the specs of :func:`engine.shapes.layer_table`;
ReLUs and dropout learn nothing and are left out of the tables, as the seeds'
tables leave them out. LeNet-5, AlexNet and VGG-16 use only the types
``shapes.layer_table`` knows. ResNet-18 needs three more, which
:func:`layer_table` here adds on top of it, building each row from
``engine.shapes`` (``layer_table`` itself, ``window_output``):

* ``{"type": "residual", "filters": F, "stride": s}``: a basic block, two 3×3
  convolutions without bias, each followed by batch norm, plus a 1×1
  convolution and batch norm on the shortcut when the shape changes;
* ``{"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1}``: a pooling
  window over a padded map (shapes.layer_table pools without padding);
* ``{"type": "adaptive_avgpool", "size": 1}``: an average over each map down
  to size×size, whatever the input size.

So call :func:`table` (or :func:`layer_table` here) for any of NETWORKS;
``shapes.layer_table`` refuses ResNet-18's extra types by name.

Deeper networks are tables of blocks: ``BLOCK_NETWORKS`` holds GoogLeNet, ResNet-50, ResNet-152
and Xception (engine.architectures_nets, each as one framework ships it), whose rows are whole
Inception modules, bottleneck blocks and separable blocks (engine.architectures_blocks, which
also says what each is made of, for a diagram). ``ALL_NETWORKS`` is both tables; :func:`table`
takes any name in it.

Row shapes are engine.shapes' (H, W, C) for maps and (units,) after flattening.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import architectures_blocks as blocks
from . import architectures_nets as nets
from . import checks, shapes
from .errors import ArgumentError

Spec = dict


def _conv(filters: int, kernel: int, stride: int = 1, padding: int = 0, bias: bool = True) -> Spec:
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding, "bias": bias}


def _pool(kernel: int, stride: int | None = None, padding: int = 0) -> Spec:
    spec = {"type": "maxpool", "kernel": kernel, "stride": stride or kernel}
    if padding:
        spec["padding"] = padding
    return spec


FLATTEN: Spec = {"type": "flatten"}


def _dense(units: int) -> Spec:
    return {"type": "dense", "units": units}


def _alexnet() -> tuple:
    layers = [
        _conv(64, 11, 4, 2),
        _pool(3, 2),
        _conv(192, 5, 1, 2),
        _pool(3, 2),
        _conv(384, 3, 1, 1),
        _conv(256, 3, 1, 1),
        _conv(256, 3, 1, 1),
        _pool(3, 2),
        FLATTEN,
        _dense(4096),
        _dense(4096),
        _dense(1000),
    ]
    names = ["Conv1", "Pool1", "Conv2", "Pool2", "Conv3", "Conv4", "Conv5", "Pool3", "Flatten", "FC6", "FC7", "FC8"]
    return (3, 224, 224), layers, names


def _vgg16() -> tuple:
    layers, names = [], []
    for block, (filters, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], start=1):
        for i in range(1, convs + 1):
            layers.append(_conv(filters, 3, 1, 1))
            names.append(f"conv{block}_{i}")
        layers.append(_pool(2))
        names.append(f"pool{block}")
    layers += [FLATTEN, _dense(4096), _dense(4096), _dense(1000)]
    names += ["Flatten", "FC6", "FC7", "FC8"]
    return (3, 224, 224), layers, names


def _resnet18() -> tuple:
    layers = [_conv(64, 7, 2, 3, bias=False), {"type": "batchnorm"}, _pool(3, 2, padding=1)]
    names = ["conv1", "bn1", "maxpool"]
    for stage, filters in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            layers.append({"type": "residual", "filters": filters, "stride": 2 if stage > 1 and block == 0 else 1})
            names.append(f"layer{stage}.{block}")
    layers += [{"type": "adaptive_avgpool", "size": 1}, FLATTEN, _dense(1000)]
    names += ["avgpool", "flatten", "fc"]
    return (3, 224, 224), layers, names


NETWORKS: dict[str, tuple[tuple[int, int, int], list[Spec], list[str]]] = {
    "lenet5": (shapes.LENET5_INPUT, shapes.LENET5, shapes.LENET5_NAMES),
    "alexnet": _alexnet(),
    "vgg16": _vgg16(),
    "resnet18": _resnet18(),
}
TITLES = {
    "lenet5": "LeNet-5 (the seeds' 28×28 version)",
    "alexnet": "AlexNet (2012, as frameworks ship it)",
    "vgg16": "VGG-16 (2014)",
    "resnet18": "ResNet-18 (2015)",
    **nets.TITLES,
}
# Networks whose rows are whole blocks (each row a torchvision module or a Keras block).
BLOCK_NETWORKS = nets.NETWORKS
ALL_NETWORKS = {**NETWORKS, **BLOCK_NETWORKS}
SOURCES = nets.SOURCES


# ---------------------------------------------------------------- tables with the extra layer types


def _residual(c: int, h: int, w: int, spec: Spec, where: str) -> shapes.Row:
    """A basic block's row: its two convolutions and norms, and the shortcut's when the shape changes."""
    filters = checks.integer(f"{where}: filters", spec.get("filters"), 1, argument="layers")
    stride = checks.integer(f"{where}: stride", spec.get("stride", 1), 1, argument="layers")
    main = [
        _conv(filters, 3, stride, 1, bias=False),
        {"type": "batchnorm"},
        _conv(filters, 3, 1, 1, bias=False),
        {"type": "batchnorm"},
    ]
    rows = shapes.layer_table((c, h, w), main)
    shortcut = []
    if stride != 1 or filters != c:  # the identity no longer fits: project the input with a strided 1×1 convolution
        shortcut = shapes.layer_table((c, h, w), [_conv(filters, 1, stride, 0, bias=False), {"type": "batchnorm"}])
        if shortcut[-1].shape != rows[-1].shape:
            raise ArgumentError(
                "layers",
                f"{where}: the shortcut gives {shortcut[-1].shape}, the block {rows[-1].shape}; they cannot be added",
            )
    parts = rows + shortcut
    # The convolutions one by one, then the norms together: "3×3×64×128 + 3×3×128×128 + 1×1×64×128 + 3×(2×128)".
    convs = [r.formula for r in parts if r.kind == "conv"]
    norms = [r.formula for r in parts if r.kind == "batchnorm"]
    formula = " + ".join(convs + [f"{len(norms)}×({norms[0]})"])
    return shapes.Row("", "residual", rows[-1].shape, rows[-1].size, sum(r.params for r in parts), formula)


def _padded_pool(c: int, h: int, w: int, spec: Spec, kind: str, where: str) -> shapes.Row:
    kernel = checks.pair(f"{where}: kernel", spec.get("kernel"), 1, argument="layers")
    stride = checks.pair(f"{where}: stride", spec.get("stride", kernel), 1, argument="layers")
    pad = checks.integer(f"{where}: padding", spec.get("padding", 0), 0, argument="layers")
    out = shapes.window_output((h, w), kernel, stride, (pad, pad, pad, pad), what="window")
    if not out.fits_at_all:
        raise ArgumentError("layers", f"{where}: {out.problem()}")
    oh, ow = out.shape
    return shapes.Row("", kind, (oh, ow, c), oh * ow * c, 0, "")


def _adaptive(c: int, spec: Spec, where: str) -> shapes.Row:
    size = checks.integer(f"{where}: size", spec.get("size", 1), 1, argument="layers")
    return shapes.Row("", "adaptive_avgpool", (size, size, c), size * size * c, 0, "")


def layer_table(
    input_shape: tuple[int, int, int], layers: list[Spec], names: list[str] | None = None
) -> list[shapes.Row]:
    """:func:`engine.shapes.layer_table`, plus residual blocks, padded pooling and adaptive average pooling.

    Each ordinary layer is sized by ``shapes.layer_table`` itself, from the shape
    the layer before gave; a ValueError names the layer by its place and name.
    """
    c, h, w = (checks.integer(f"input {n}", v, 1) for n, v in zip(("channels", "height", "width"), input_shape))
    flat: int | None = None
    rows: list[shapes.Row] = []
    for i, spec in enumerate(layers):
        kind = spec.get("type")
        name = names[i] if names else f"{kind}{i + 1}"
        where = f"layer {i + 1} ({name})"
        block = kind in blocks.BLOCKS or (kind == "maxpool" and (spec.get("ceil") or spec.get("padding") == "same"))
        padded_pool = not block and kind in ("maxpool", "avgpool") and spec.get("padding", 0) != 0
        extra = kind in ("residual", "adaptive_avgpool") or padded_pool or block
        if extra and flat is not None:
            raise ArgumentError("layers", f"{where}: a {kind} layer cannot follow a flattened vector")
        if block:
            shape, params, formula = blocks.row((h, w, c), spec, where)
            row = shapes.Row("", kind, shape, shape[0] * shape[1] * shape[2], params, formula)
        elif kind == "residual":
            row = _residual(c, h, w, spec, where)
        elif kind == "adaptive_avgpool":
            row = _adaptive(c, spec, where)
        elif padded_pool:
            row = _padded_pool(c, h, w, spec, kind, where)
        else:
            if flat is not None and kind in ("conv", "maxpool", "avgpool"):
                raise ArgumentError("layers", f"{where}: a {kind} layer cannot follow a flattened vector")
            try:
                # A flattened vector goes in as flat×1×1: a dense layer then sees `flat` inputs, a norm `flat` features.
                row = shapes.layer_table((flat, 1, 1) if flat is not None else (c, h, w), [spec], [name])[0]
            except ArgumentError as exc:  # "layer 1 (name): ..." counts within this one call; say where it really is
                raise ArgumentError("layers", f"{where}: {str(exc).split(': ', 1)[-1]}") from None
        if flat is not None or len(row.shape) == 1:
            flat = row.shape[0] if len(row.shape) == 1 else flat
            row = shapes.Row(name, row.kind, (flat,), flat, row.params, row.formula)
        else:
            h, w, c = row.shape
            row = shapes.Row(name, row.kind, row.shape, row.size, row.params, row.formula)
        rows.append(row)
    return rows


def network(net: str) -> tuple[tuple[int, int, int], list[Spec], list[str]]:
    """``(input_shape, layers, names)`` of one of :data:`ALL_NETWORKS`."""
    if net not in ALL_NETWORKS:
        raise ArgumentError("net", f"net must be one of {', '.join(ALL_NETWORKS)}; got {net!r}")
    return ALL_NETWORKS[net]


def table(net: str) -> list[shapes.Row]:
    """The layer table of one of :data:`ALL_NETWORKS`."""
    return layer_table(*network(net))


def _look(row: shapes.Row) -> tuple:
    """A row without its name."""
    return row.kind, row.shape, row.size, row.params, row.formula


def fold(layers: list[Spec], rows: list[shapes.Row], least: int = 3) -> list[tuple[int, int]]:
    """Runs of at least ``least`` identical blocks in a row, as (first row, count): ResNet-152's layer3.1 to
    layer3.35 are one block 35 times over (same layer, shape and count), so a long table can show one row."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        block = layers[start].get("type") in blocks.BLOCKS  # a few equal single layers (VGG's) read better unfolded
        same = i < len(rows) and block and layers[i] == layers[start] and _look(rows[i]) == _look(rows[start])
        if not same:
            if i - start >= least:
                runs.append((start, i - start))
            start = i
    return runs


def block_at(net: str, index: int) -> blocks.Block:
    """Row ``index`` of a network's table opened up: its branches and parts (a block's row only)."""
    input_shape, layers, names = network(net)
    index = checks.integer("block", index, 0, len(layers) - 1)
    if layers[index].get("type") not in blocks.BLOCKS:
        kinds = ", ".join(blocks.BLOCKS)
        raise ArgumentError("block", f"block must be the row of a block ({kinds}); row {index} ({names[index]}) is not")
    rows = layer_table(input_shape, layers[:index], names[:index])
    c, h, w = input_shape
    hwc = rows[-1].shape if rows else (h, w, c)
    return blocks.expand(hwc, layers[index], f"layer {index + 1} ({names[index]})")


def example_block(net: str) -> int | None:
    """The row a network's block diagram shows first (None for a network of single layers)."""
    name = nets.EXAMPLE_BLOCKS.get(net)
    return network(net)[2].index(name) if name else None


def norm_statistics(net: str) -> int:
    """Batch norm's running mean and variance over the whole network: 2 numbers per normalized channel.

    Not learned, so not in the table; Keras adds them to a model's parameter count, PyTorch does not.
    """
    input_shape, layers, names = network(net)
    rows = layer_table(input_shape, layers, names)
    c, h, w = input_shape
    total = 0
    for i, (spec, row) in enumerate(zip(layers, rows)):
        if spec.get("type") == "batchnorm":
            total += row.params  # γ and β: as many as the statistics
        elif spec.get("type") in blocks.BLOCKS:
            total += blocks.expand(rows[i - 1].shape if i else (h, w, c), spec).norm_params
    return total


def framework_count(net: str) -> int:
    """The parameter count the network's framework prints: the table's, plus the statistics where Keras counts them."""
    learned = sum(r.params for r in table(net))
    return learned + (norm_statistics(net) if net in nets.COUNTS_NORM_STATISTICS else 0)


def receptive_fields(layers: list[Spec]) -> list[int | None]:
    """Per layer, the side of the input patch one of its outputs sees (engine.shapes.receptive_field).

    None from the first layer whose every output sees the whole input (flatten,
    fully connected, adaptive pooling). A residual block sees as its two 3×3
    convolutions do: the shortcut adds no reach; the deeper blocks reach as their
    farthest path (engine.architectures_blocks.windows). Each window adds
    (k − 1)·d·jump, and its stride multiplies the jump (engine.shapes.receptive_field).
    The side may exceed the input's: border outputs see padding there.
    """
    windows: list[Spec] = []
    fields: list[int | None] = []
    for spec in layers:
        kind = spec.get("type")
        if kind in ("flatten", "dense", "adaptive_avgpool") or (fields and fields[-1] is None):
            fields.append(None)
            continue
        if kind == "residual":
            windows += [_conv(1, 3, spec.get("stride", 1), 1), _conv(1, 3, 1, 1)]
        elif kind in blocks.BLOCKS:
            windows += blocks.windows(spec)
        elif kind in ("conv", "maxpool", "avgpool"):
            windows.append(spec)
        fields.append(shapes.receptive_field(windows))
    return fields


def describe(spec: Spec) -> str:
    """A layer in words for a table's first column: "conv 5×5, 6 filters", "max pool 3×3, stride 2"."""
    kind = spec.get("type")
    if kind in blocks.BLOCKS or (kind == "maxpool" and spec.get("ceil")):
        return blocks.describe(spec)
    if kind == "conv":
        kh, kw = checks.pair("kernel", spec["kernel"], 1)
        text = f"conv {kh}×{kw}, {spec['filters']} filter{'s' if spec['filters'] != 1 else ''}"
        stride = checks.pair("stride", spec.get("stride", 1), 1)
        if stride != (1, 1):
            text += f", stride {stride[0]}" if stride[0] == stride[1] else f", stride {stride[0]}×{stride[1]}"
        pad = spec.get("padding", 0)
        if pad:
            text += f", pad {pad}"
        return text if spec.get("bias", True) else text + ", no bias"
    if kind in ("maxpool", "avgpool"):
        kh, kw = checks.pair("kernel", spec["kernel"], 1)
        stride = checks.pair("stride", spec.get("stride", spec["kernel"]), 1)
        text = f"{'max' if kind == 'maxpool' else 'average'} pool {kh}×{kw}, stride {stride[0]}"
        return text + (f", pad {spec['padding']}" if spec.get("padding") else "")
    if kind == "dense":
        return f"fully connected, {spec['units']:,} units"
    if kind == "residual":
        shortcut = " + 1×1 shortcut" if spec.get("stride", 1) != 1 else ""
        stride = f", stride {spec['stride']}" if spec.get("stride", 1) != 1 else ""
        return f"2 × conv 3×3, {spec['filters']} filters{stride}{shortcut}"
    if kind == "adaptive_avgpool":
        return f"average of each map to {spec.get('size', 1)}×{spec.get('size', 1)}"
    if kind == "batchnorm":
        return "batch norm"
    if kind == "flatten":
        return "flatten to a vector"
    if kind == "activation":
        return spec.get("name", "activation")
    return str(kind)


# ---------------------------------------------------------------- three 3×3 layers vs one 7×7


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its layers (each followed by a ReLU) and what they cost."""

    layers: list[Spec]
    receptive_field: int  # side of the input patch one output sees (engine.shapes.receptive_field)
    fields: list[int]  # the receptive field after each layer
    params: int  # learned numbers, biases included when asked
    formula: str
    per_c2: int  # weights in units of C² (C channels in, C out): 27 for three 3×3, 49 for one 7×7
    nonlinearities: int  # ReLUs: one after each layer


@dataclass(frozen=True)
class StackVsSingle:
    stack: Side
    single: Side


def stack_vs_single(k_small: int = 3, n: int = 3, c: int = 64, bias: bool = False) -> StackVsSingle:
    """``n`` stacked k×k convolutions (C channels in and out) vs one convolution with the same receptive field.

    Seed 003 (after CS231n): three 3×3 layers see a 7×7 patch, as one 7×7 layer
    does, with 3·9·C² = 27C² weights instead of 49C², and three non-linearities
    instead of one. Unpadded stride-1 layers, so both sides also shrink a map by
    the same amount.
    """
    k_small = checks.integer("k_small", k_small, 1)
    n = checks.integer("n", n, 1)
    c = checks.integer("c", c, 1)
    stack = [_conv(c, k_small, bias=bias) for _ in range(n)]
    field = shapes.receptive_field(stack)
    single = [_conv(c, field, bias=bias)]
    each = shapes.conv_params((k_small, k_small), c, c, bias)
    one = shapes.conv_params((field, field), c, c, bias)
    factor = f"(({k_small}×{k_small}×{c} + 1)×{c})" if bias else f"({k_small}×{k_small}×{c}×{c})"
    return StackVsSingle(
        stack=Side(
            stack,
            field,
            [shapes.receptive_field(stack[: i + 1]) for i in range(n)],
            n * each,
            f"{n} × {factor}",
            n * k_small * k_small,
            n,
        ),
        single=Side(
            single,
            field,
            [field],
            one,
            f"({field}×{field}×{c} + 1)×{c}" if bias else f"{field}×{field}×{c}×{c}",
            field * field,
            1,
        ),
    )


# ---------------------------------------------------------------- [(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K,SOFTMAX


def pattern_layers(
    n: int,
    m: int,
    k: int,
    *,
    channels: int = 3,
    size: int = 32,
    filters: int = 16,
    kernel: int = 3,
    pool: bool = True,
    fc_units: int = 128,
    classes: int = 10,
    max_filters: int = 512,
) -> tuple[tuple[int, int, int], list[Spec], list[str]]:
    """The pattern of seed 004 (CS231n) expanded to layer specs: ``(input_shape, layers, names)``.

    M blocks of N convolutions (kernel×kernel, padded to keep the size: ``(kernel − 1)//2``
    on each side), each followed by a ReLU, then a 2×2 max pool when ``pool``; the
    filters double after each block (VGG's habit) up to ``max_filters``. Then K
    fully connected layers of ``fc_units`` with ReLUs, and the classifier: a
    fully connected layer of ``classes`` scores and the softmax.
    """
    n = checks.integer("N", n, 1)
    m = checks.integer("M", m, 1)
    k = checks.integer("K", k, 0)
    channels = checks.integer("channels", channels, 1)
    size = checks.integer("size", size, 1)
    filters = checks.integer("filters", filters, 1)
    kernel = checks.integer("kernel", kernel, 1)
    fc_units = checks.integer("fc_units", fc_units, 1)
    classes = checks.integer("classes", classes, 1)
    layers: list[Spec] = []
    names: list[str] = []
    relu: Spec = {"type": "activation", "name": "ReLU"}
    for block in range(1, m + 1):
        width = min(max_filters, filters * 2 ** (block - 1))
        for i in range(1, n + 1):
            layers += [_conv(width, kernel, 1, (kernel - 1) // 2), relu]
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        if pool:
            layers.append(_pool(2))
            names.append(f"pool{block}")
    layers.append(FLATTEN)
    names.append("flatten")
    for i in range(1, k + 1):
        layers += [_dense(fc_units), relu]
        names += [f"fc{i}", f"relu_fc{i}"]
    layers += [_dense(classes), {"type": "activation", "name": "softmax"}]
    names += ["scores", "softmax"]
    return (channels, size, size), layers, names


def pattern_max_m(n: int, k: int, **settings) -> int:
    """The most blocks M whose pooling still fits the input (at least 1; at most 8)."""
    best = 1
    for m in range(1, 9):
        try:
            layer_table(*pattern_layers(n, m, k, **settings))
        except ValueError:
            break
        best = m
    return best
