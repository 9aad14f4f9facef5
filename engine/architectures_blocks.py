"""The blocks of the deeper networks, each one row of a layer table, and what each is made of.

Four block types, as the frameworks write them:

* ``{"type": "bottleneck", "width": 64, "filters": 256, "stride": 1, "shortcut": "projection"}``:
  ResNet-50's block as torchvision builds it (its "v1.5": the stride on the 3×3). A 1×1
  convolution narrows the map to ``width`` channels, a 3×3 works there, a 1×1 widens it to
  ``filters``; batch norm after each, no biases. The shortcut is ``"identity"`` or a
  ``"projection"`` (a strided 1×1 convolution and batch norm) where the shape changes.
* ``{"type": "inception", "ch1x1": 64, "ch3x3red": 96, "ch3x3": 128, "ch5x5red": 16, "ch5x5": 32,
  "pool_proj": 32, "k5": 3}``: GoogLeNet's module, torchvision's names. Four branches side by
  side, concatenated along the channels: a 1×1; a 1×1 then a 3×3; a 1×1 then the "5×5", whose
  kernel is ``k5`` (torchvision uses 3, a slip it keeps so its trained weights still load); a 3×3
  max pool then a 1×1. Every convolution has batch norm and no bias.
* ``{"type": "xception", "filters": [728, 728, 728], "downsample": False}``: one of Keras's
  Xception blocks. Separable 3×3 convolutions (each with batch norm, ReLU before each), then when
  ``downsample`` a 3×3 max pool at stride 2 and a strided 1×1 convolution on the shortcut.
* ``{"type": "sepconv", "filters": 1536}``: one depthwise-separable convolution (Keras's
  SeparableConv2D): a 3×3 filter for each input channel alone (depthwise), then a 1×1 across
  channels (pointwise); no bias.

A pool may also carry ``"padding": p`` or ``"same"`` and ``"ceil": true`` (PyTorch's
``ceil_mode``: a last window that starts inside the map is kept).

:func:`expand` turns a block (or such a pool) into its :class:`Part`s, branch by branch, sized
by ``engine.shapes``; a row of the table is their sum. ReLUs learn nothing and are left out.
Shapes are engine.shapes' (H, W, C).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import checks, shapes
from .errors import ArgumentError

Spec = dict
Shape = tuple[int, int, int]  # (H, W, C)
BLOCKS = ("bottleneck", "inception", "xception", "sepconv")


@dataclass(frozen=True)
class Part:
    """One layer inside a block: a convolution, a norm or a pool."""

    name: str  # the framework's name inside the block: "conv2", "branch2.1.conv", "sepconv1.depthwise"
    kind: str  # conv, depthwise, batchnorm, maxpool
    layer: str  # in words: "conv 3×3, 64 filters, stride 2"
    shape: Shape  # (H, W, C) after it
    params: int
    formula: str  # "" when it learns nothing
    madds: int  # multiply-adds of one forward pass of one image (0 for norms and pools)
    kernel: int = 1  # the window's side (1 for norms)


@dataclass(frozen=True)
class Branch:
    label: str  # "main path", "shortcut", "1×1", "pool → 1×1"
    parts: tuple[Part, ...]  # empty: the input passes unchanged (an identity shortcut)


@dataclass(frozen=True)
class Block:
    """A row's insides: its branches and how they meet."""

    kind: str
    input: Shape  # (H, W, C) coming in
    branches: tuple[Branch, ...]
    merge: str  # "add" (a shortcut), "concat" (Inception), "" (one path)
    shape: Shape  # (H, W, C) going out
    params: int
    formula: str
    madds: int

    @property
    def parts(self) -> list[Part]:
        return [p for b in self.branches for p in b.parts]

    @property
    def norm_params(self) -> int:
        """γ and β of its batch norms: 2 per channel (also the count of their running mean and variance)."""
        return sum(p.params for p in self.parts if p.kind == "batchnorm")


# ---------------------------------------------------------------- specs (the networks are written with these)


def conv(filters: int, kernel: int, stride: int = 1, padding: int = 0, bias: bool = True) -> Spec:
    return {"type": "conv", "filters": filters, "kernel": kernel, "stride": stride, "padding": padding, "bias": bias}


def pool(kernel: int, stride: int | None = None, padding: int | str = 0, ceil: bool = False) -> Spec:
    spec: Spec = {"type": "maxpool", "kernel": kernel, "stride": stride or kernel}
    if padding:
        spec["padding"] = padding
    if ceil:
        spec["ceil"] = True
    return spec


def dense(units: int) -> Spec:
    return {"type": "dense", "units": units}


NORM: Spec = {"type": "batchnorm"}
FLATTEN: Spec = {"type": "flatten"}


# ---------------------------------------------------------------- the parts, sized by engine.shapes


def same_padding(n: int, k: int, s: int) -> tuple[int, int]:
    """Keras's "same": the output is ⌈n/s⌉ wide; the padding that takes, the odd cell after (as TensorFlow)."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _padding(h: int, w: int, k: int, s: int, padding) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for a padding given as a number of cells or as "same"."""
    if padding == "same":
        return (*same_padding(h, k, s), *same_padding(w, k, s))
    p = checks.integer("padding", padding, 0, argument="layers")
    return p, p, p, p


def _fit(h: int, w: int, k: int, s: int, padding, what: str, where: str) -> tuple[int, int]:
    out = shapes.window_output((h, w), (k, k), (s, s), _padding(h, w, k, s, padding), what=what)
    if not out.fits_at_all:
        raise ArgumentError("layers", f"{where}: {out.problem()}")
    return out.shape


def _ceil_axis(n: int, k: int, s: int, p: int) -> int:
    """PyTorch's ceil_mode: a window sticking out past the end counts, if it starts inside the map or its padding."""
    ax = shapes.axis(n, k, s, p)
    out = ax.size + (1 if ax.leftover else 0)
    return out - 1 if (out - 1) * s >= n + p else out


def conv_part(name: str, hwc: Shape, filters: int, k: int, s: int = 1, padding=0, where: str = "") -> Part:
    """A convolution without bias (every block's convolutions are followed by batch norm)."""
    h, w, c = hwc
    oh, ow = _fit(h, w, k, s, padding, "filter", where)
    params = shapes.conv_params((k, k), c, filters, bias=False)
    stride = f", stride {s}" if s != 1 else ""
    return Part(
        name,
        "conv",
        f"conv {k}×{k}, {filters}{stride}",
        (oh, ow, filters),
        params,
        f"{k}×{k}×{c}×{filters}",
        oh * ow * params,  # each output cell: k·k·c multiply-adds per filter
        k,
    )


def depthwise_part(name: str, hwc: Shape, k: int = 3, padding="same", where: str = "") -> Part:
    """One k×k filter per channel, each seeing its own channel only (Keras's DepthwiseConv2D, no bias)."""
    h, w, c = hwc
    oh, ow = _fit(h, w, k, 1, padding, "filter", where)
    params = shapes.conv_params((k, k), 1, c, bias=False)  # c filters of one channel each
    words = f"depthwise {k}×{k}, {c} channels"
    return Part(name, "depthwise", words, (oh, ow, c), params, f"{k}×{k}×{c}", oh * ow * params, k)


def norm_part(name: str, hwc: Shape) -> Part:
    c = hwc[2]
    return Part(name, "batchnorm", "batch norm", hwc, 2 * c, f"2×{c}", 0)


def pool_part(name: str, hwc: Shape, k: int, s: int, padding=0, ceil: bool = False, where: str = "") -> Part:
    h, w, c = hwc
    if ceil:
        p = checks.integer("padding", padding, 0, argument="layers")
        _fit(h, w, k, s, p, "window", where)  # a window that fits nowhere is refused before rounding up
        oh, ow = _ceil_axis(h, k, s, p), _ceil_axis(w, k, s, p)
    else:
        oh, ow = _fit(h, w, k, s, padding, "window", where)
    return Part(name, "maxpool", pool_words(k, s, padding, ceil), (oh, ow, c), 0, "", 0, k)


def pool_words(k: int, s: int, padding=0, ceil: bool = False) -> str:
    text = f"max pool {k}×{k}, stride {s}"
    if padding == "same":
        text += ", pad same"
    elif padding:
        text += f", pad {padding}"
    return text + (", ceil" if ceil else "")


# ---------------------------------------------------------------- the blocks


def _filters(spec: Spec, key: str, where: str) -> int:
    return checks.integer(f"{where}: {key}", spec.get(key), 1, argument="layers")


def _bottleneck(hwc: Shape, spec: Spec, where: str) -> tuple[list[Branch], str]:
    width, filters = _filters(spec, "width", where), _filters(spec, "filters", where)
    stride = checks.integer(f"{where}: stride", spec.get("stride", 1), 1, argument="layers")
    shortcut = spec.get("shortcut", "identity")
    if shortcut not in ("identity", "projection"):
        raise ArgumentError("layers", f"{where}: shortcut must be 'identity' or 'projection', got {shortcut!r}")
    main = [conv_part("conv1", hwc, width, 1, where=where)]
    main.append(norm_part("bn1", main[-1].shape))
    main.append(conv_part("conv2", main[-1].shape, width, 3, stride, 1, where))
    main.append(norm_part("bn2", main[-1].shape))
    main.append(conv_part("conv3", main[-1].shape, filters, 1, where=where))
    main.append(norm_part("bn3", main[-1].shape))
    side: list[Part] = []
    if shortcut == "projection":
        side.append(conv_part("downsample.0", hwc, filters, 1, stride, where=where))
        side.append(norm_part("downsample.1", side[-1].shape))
    out = side[-1].shape if side else hwc
    if out != main[-1].shape:
        raise ArgumentError(
            "layers",
            f"{where}: the {shortcut} shortcut gives {out}, the block {main[-1].shape}; they cannot be added"
            + ("; use shortcut: projection" if shortcut == "identity" else ""),
        )
    return [Branch("main path", tuple(main)), Branch(f"{shortcut} shortcut", tuple(side))], "add"


def _inception(hwc: Shape, spec: Spec, where: str) -> tuple[list[Branch], str]:
    k5 = checks.integer(f"{where}: k5", spec.get("k5", 5), 1, argument="layers")
    ch = {key: _filters(spec, key, where) for key in ("ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj")}

    def basic(name: str, shape: Shape, filters: int, k: int) -> list[Part]:  # torchvision's BasicConv2d
        conv_ = conv_part(f"{name}.conv", shape, filters, k, 1, (k - 1) // 2, where)
        return [conv_, norm_part(f"{name}.bn", conv_.shape)]

    b1 = basic("branch1", hwc, ch["ch1x1"], 1)
    b2 = basic("branch2.0", hwc, ch["ch3x3red"], 1)
    b2 += basic("branch2.1", b2[-1].shape, ch["ch3x3"], 3)
    b3 = basic("branch3.0", hwc, ch["ch5x5red"], 1)
    b3 += basic("branch3.1", b3[-1].shape, ch["ch5x5"], k5)
    b4 = [pool_part("branch4.0", hwc, 3, 1, 1, ceil=True, where=where)]
    b4 += basic("branch4.1", b4[-1].shape, ch["pool_proj"], 1)
    branches = [
        Branch("1×1", tuple(b1)),
        Branch("1×1 → 3×3", tuple(b2)),
        Branch(f"1×1 → {k5}×{k5}" + (" (the paper's 5×5)" if k5 != 5 else ""), tuple(b3)),
        Branch("pool → 1×1", tuple(b4)),
    ]
    return branches, "concat"


def _separable(name: str, hwc: Shape, filters: int, where: str) -> list[Part]:
    """Keras's SeparableConv2D 3×3, "same", no bias: depthwise, then pointwise (a 1×1 convolution)."""
    prefix = f"{name}." if name else ""
    depth = depthwise_part(f"{prefix}depthwise", hwc, 3, "same", where)
    point = conv_part(f"{prefix}pointwise", depth.shape, filters, 1, where=where)
    return [depth, point]


def _xception(hwc: Shape, spec: Spec, where: str) -> tuple[list[Branch], str]:
    filters = spec.get("filters")
    if not isinstance(filters, list) or not filters:
        raise ArgumentError("layers", f"{where}: filters must be a list of channel counts, got {filters!r}")
    downsample = bool(spec.get("downsample", False))
    main: list[Part] = []
    shape = hwc
    for i, f in enumerate(filters, start=1):
        main += _separable(f"sepconv{i}", shape, checks.integer(f"{where}: filters", f, 1, argument="layers"), where)
        main.append(norm_part(f"sepconv{i}_bn", main[-1].shape))
        shape = main[-1].shape
    side: list[Part] = []
    if downsample:
        main.append(pool_part("pool", shape, 3, 2, "same", where=where))
        side.append(conv_part("shortcut.conv", hwc, filters[-1], 1, 2, "same", where))
        side.append(norm_part("shortcut.bn", side[-1].shape))
    out = side[-1].shape if side else hwc
    if out != main[-1].shape:
        raise ArgumentError(
            "layers", f"{where}: the shortcut gives {out}, the block {main[-1].shape}; they cannot be added"
        )
    label = "projection shortcut" if side else "identity shortcut"
    return [Branch("main path", tuple(main)), Branch(label, tuple(side))], "add"


def _sepconv(hwc: Shape, spec: Spec, where: str) -> tuple[list[Branch], str]:
    return [Branch("separable", tuple(_separable("", hwc, _filters(spec, "filters", where), where)))], ""


def _pool(hwc: Shape, spec: Spec, where: str) -> tuple[list[Branch], str]:
    k = checks.integer(f"{where}: kernel", spec.get("kernel"), 1, argument="layers")
    s = checks.integer(f"{where}: stride", spec.get("stride", k), 1, argument="layers")
    part = pool_part(spec["type"], hwc, k, s, spec.get("padding", 0), bool(spec.get("ceil")), where)
    return [Branch("pool", (part,))], ""


BUILDERS = {"bottleneck": _bottleneck, "inception": _inception, "xception": _xception, "sepconv": _sepconv}


def is_block(spec: Spec) -> bool:
    """A row this module sizes: a block, or a max pool with padding or ceil rounding (engine.shapes has neither)."""
    kind = spec.get("type")
    return kind in BLOCKS or (kind == "maxpool" and bool(spec.get("padding") or spec.get("ceil")))


def expand(hwc: Shape, spec: Spec, where: str = "block") -> Block:
    """A block (or padded pool) at an input of (H, W, C): its parts branch by branch, and their sums."""
    kind = spec.get("type")
    build = BUILDERS.get(kind) or (_pool if kind == "maxpool" else None)
    if build is None:
        raise ArgumentError("layers", f"{where}: a block must be one of {', '.join(BLOCKS)}; got {kind!r}")
    branches, merge = build(hwc, spec, where)
    ends = [b.parts[-1].shape if b.parts else hwc for b in branches]
    if merge == "concat":
        if len({e[:2] for e in ends}) != 1:
            raise ArgumentError("layers", f"{where}: the branches end at different sizes {ends}; they cannot be joined")
        shape = (*ends[0][:2], sum(e[2] for e in ends))
    else:
        shape = ends[0]
    parts = [p for b in branches for p in b.parts]
    return Block(
        kind,
        hwc,
        tuple(branches),
        merge,
        shape,
        sum(p.params for p in parts),
        formula(parts),
        sum(p.madds for p in parts),
    )


def formula(parts: list[Part]) -> str:
    """The weights one by one, then the norms together: "1×1×64×64 + 3×3×64×64 + … + 2×(64 + 64 + 256)"."""
    weights = [p.formula for p in parts if p.params and p.kind != "batchnorm"]
    norms = [str(p.shape[2]) for p in parts if p.kind == "batchnorm"]
    if len(norms) > 1:
        weights.append(f"2×({' + '.join(norms)})")
    elif norms:
        weights.append(f"2×{norms[0]}")
    return " + ".join(weights)


def row(hwc: Shape, spec: Spec, where: str) -> tuple[Shape, int, str]:
    """(shape, params, formula) of a block's row."""
    b = expand(hwc, spec, where)
    return b.shape, b.params, b.formula


def windows(spec: Spec) -> list[Spec]:
    """The windows a row slides over its input, in order, for its receptive field.

    A block reaches as its farthest-reaching path: a shortcut or a 1×1 adds nothing, and
    Inception's branches (all at stride 1) reach as their widest, the "5×5" (k5) or the 3×3s.
    """
    kind = spec.get("type")
    one = lambda k, s=1: {"type": "conv", "filters": 1, "kernel": k, "stride": s}  # noqa: E731
    if kind == "bottleneck":
        return [one(1), one(3, spec.get("stride", 1)), one(1)]
    if kind == "inception":
        return [one(max(3, spec.get("k5", 5)))]  # the 3×3 branch, the "5×5" branch, the 3×3 pool
    if kind == "xception":
        return [one(3) for _ in spec["filters"]] + ([one(3, 2)] if spec.get("downsample") else [])
    if kind == "sepconv":
        return [one(3)]
    return [{"type": "conv", "filters": 1, "kernel": spec["kernel"], "stride": spec.get("stride", spec["kernel"])}]


def describe(spec: Spec) -> str:
    """A block in words for a table: "1×1, 64 → 3×3, 64 → 1×1, 256, stride 2 + 1×1 shortcut"."""
    kind = spec.get("type")
    if kind == "bottleneck":
        w, f, s = spec["width"], spec["filters"], spec.get("stride", 1)
        text = f"1×1, {w} → 3×3, {w} → 1×1, {f}" + (f", stride {s}" if s != 1 else "")
        return text + (" + 1×1 shortcut" if spec.get("shortcut") == "projection" else "")
    if kind == "inception":
        k5 = spec.get("k5", 5)
        return (
            f"4 branches: 1×1, {spec['ch1x1']} | 1×1, {spec['ch3x3red']} → 3×3, {spec['ch3x3']} | "
            f"1×1, {spec['ch5x5red']} → {k5}×{k5}, {spec['ch5x5']} | pool → 1×1, {spec['pool_proj']}"
        )
    if kind == "xception":
        fs = spec["filters"]
        same = all(f == fs[0] for f in fs)
        convs = f"{len(fs)} × separable 3×3, {fs[0]}" if same else " → ".join(f"separable 3×3, {f}" for f in fs)
        return convs + (" → max pool 3×3, stride 2 + 1×1 shortcut" if spec.get("downsample") else " + identity")
    if kind == "sepconv":
        return f"separable 3×3, {spec['filters']} filters (depthwise + pointwise)"
    return pool_words(
        spec["kernel"], spec.get("stride", spec["kernel"]), spec.get("padding", 0), bool(spec.get("ceil"))
    )


# ---------------------------------------------------------------- a separable convolution against the one it replaces


@dataclass(frozen=True)
class Cost:
    params: int
    formula: str
    madds: int
    madds_formula: str


@dataclass(frozen=True)
class SeparableVsOrdinary:
    """One k×k convolution from c_in to c_out channels on an h×w map (same padding, no bias), two ways."""

    h: int
    w: int
    k: int
    c_in: int
    c_out: int
    separable: Cost  # depthwise k×k on each channel, then pointwise 1×1 across them
    ordinary: Cost
    params_ratio: float  # ordinary ÷ separable
    madds_ratio: float


def separable_vs_ordinary(h: int, w: int, c_in: int, c_out: int, k: int = 3) -> SeparableVsOrdinary:
    """Xception's trade: 1/c_out + 1/k² of the weights and of the work (Chollet 2017)."""
    h, w = checks.integer("h", h, 1), checks.integer("w", w, 1)
    c_in, c_out, k = checks.integer("c_in", c_in, 1), checks.integer("c_out", c_out, 1), checks.integer("k", k, 1)
    hwc = (h, w, c_in)
    depth = depthwise_part("depthwise", hwc, k, "same")
    point = conv_part("pointwise", depth.shape, c_out, 1)
    whole = conv_part("conv", hwc, c_out, k, 1, "same")
    oh, ow = whole.shape[:2]
    sep = Cost(
        depth.params + point.params,
        f"{depth.formula} + {point.formula}",
        depth.madds + point.madds,
        f"{oh}×{ow}×({depth.formula} + {point.formula})",
    )
    plain = Cost(whole.params, whole.formula, whole.madds, f"{oh}×{ow}×{whole.formula}")
    return SeparableVsOrdinary(h, w, k, c_in, c_out, sep, plain, plain.params / sep.params, plain.madds / sep.madds)


def first_separable(block: Block) -> SeparableVsOrdinary | None:
    """A block's first separable convolution (depthwise, then pointwise) against one ordinary convolution."""
    parts = block.parts
    i = next((i for i, p in enumerate(parts) if p.kind == "depthwise"), None)
    if i is None:
        return None
    h, w, c_in = parts[i].shape
    return separable_vs_ordinary(h, w, c_in, parts[i + 1].shape[2], parts[i].kernel)
