"""arch.table (PROTOCOL.md, "arch.table"): a network's layer table from engine.architectures.

One of three things is asked for: a ``net`` by name (LeNet-5 to Xception), the CS231n
``pattern`` [(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K,SOFTMAX with its numbers, or a
``compare`` of N stacked k×k convolutions with the one layer that sees as far.
``frozen`` lists rows whose parameters are kept fixed (transfer learning). For a network
of blocks, ``block`` names the row to open into a diagram (its example block when left
out), and ``folds`` says which runs of identical blocks a long table may show as one row.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from engine import architectures as arch
from engine import architectures_blocks as blocks
from engine import counts, shapes
from engine.architectures import ALL_NETWORKS
from engine.errors import ArgumentError

from ..core.errors import Problem, show
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, whole

MAX_ROWS = 128  # the longest pattern (6 convs and ReLUs in each of 8 blocks, pools, 3 hidden FC layers) has 113
# What the network menu calls each of engine.architectures.ALL_NETWORKS.
NETWORK_LABELS = {
    "lenet5": "LeNet-5",
    "alexnet": "AlexNet",
    "vgg16": "VGG-16",
    "resnet18": "ResNet-18",
    "googlenet": "GoogLeNet",
    "resnet50": "ResNet-50",
    "resnet152": "ResNet-152",
    "xception": "Xception",
}


class PatternParams(Params):
    n: whole(1, 6) = Field(2, description="N, convolutions (each with its ReLU) before a pool")
    m: whole(1, 8) = Field(3, description="M, blocks of N convolutions and a pool")
    k: whole(0, 3) = Field(1, description="K, hidden fully connected layers (each with its ReLU)")
    channels: whole(1, 3) = Field(3, description="the input image's channels")
    size: whole(4, 256) = Field(32, description="the input image's side")
    filters: whole(1, 512) = Field(16, description="filters of the first block (doubled after each pool)")
    kernel: whole(1, 7) = Field(3, description="the convolutions' kernel side")
    pool: bool = Field(True, strict=True, description="a 2×2 max pool after each block")
    fc_units: whole(1, 4096) = Field(128, description="units of each hidden fully connected layer")
    classes: whole(1, 1000) = Field(10, description="the classes the softmax scores")


class CompareParams(Params):
    k: whole(2, 7) = Field(3, description="the small kernel's side")
    n: whole(1, 6) = Field(3, description="how many small layers are stacked")
    channels: whole(1, 1024) = Field(64, description="channels in and out of every layer (C)")
    size: whole(1, 256) = Field(32, description="the side of the map both sides are run on")
    bias: bool = Field(False, strict=True, description="count the biases too")


class ArchTableParams(Params):
    net: Literal[tuple(ALL_NETWORKS)] | None = None
    pattern: PatternParams | None = Field(
        None, description="{n, m, k, channels, size, filters, kernel, pool, fc_units, classes}"
    )
    compare: CompareParams | None = Field(None, description="{k, n, channels, size, bias}")
    frozen: list[whole(0, MAX_ROWS - 1)] = Field(
        default_factory=list, max_length=MAX_ROWS, description="of row numbers, from 0"
    )
    block: whole(0, MAX_ROWS - 1) | None = Field(
        None, description="the row of a block to draw (a net of blocks only; its example block when left out)"
    )

    @field_validator("frozen", mode="before")
    @classmethod
    def _row_numbers(cls, raw):
        """Row numbers in a student's words (the table's own length is checked by the handler)."""
        if isinstance(raw, list):
            for i, row in enumerate(raw):
                if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < MAX_ROWS:
                    raise inconsistent(
                        "frozen",
                        f"frozen must hold row numbers, whole numbers from 0 to {MAX_ROWS - 1}, "
                        f"got {show(row)} at position {i}",
                    )
        return raw

    @model_validator(mode="after")
    def _one_question(self):
        given = [name for name in ("net", "pattern", "compare") if getattr(self, name) is not None]
        if len(given) != 1:
            got = "none of them" if not given else " and ".join(given)
            raise inconsistent(
                "net", f"net must be given, or else pattern or compare: exactly one of the three, got {got}"
            )
        if self.compare is not None and self.frozen:
            raise inconsistent(
                "frozen", "frozen applies to the rows of a net or a pattern, not to compare; send an empty list"
            )
        if self.block is not None and self.net not in arch.BLOCK_NETWORKS:
            nets = ", ".join(arch.BLOCK_NETWORKS)
            raise inconsistent("block", f"block applies to a net of blocks ({nets}); leave it out here")
        return self


class RowMeta(BaseModel):
    name: str
    kind: str  # conv, maxpool, avgpool, adaptive_avgpool, residual, batchnorm, activation, flatten, dense
    layer: str  # the layer in words: "conv 5×5, 6 filters"
    shape: list[int]  # (C, H, W) for maps, (units,) for vectors
    size: int  # activations
    params: int
    formula: str
    share: float  # this row's part of all the parameters, 0 to 1
    receptive_field: int | None  # side of the input patch one output sees; None once every output sees everything
    frozen: bool
    block: bool  # a block that opens into a diagram (engine.architectures_blocks)


class Totals(BaseModel):
    params: int
    trainable: int
    frozen: int
    activations: int  # summed over the rows (the memory a forward pass writes)
    words: str  # the parameter count read aloud, engine.counts.words: "140 million"


class SideMeta(BaseModel):
    rows: list[RowMeta]
    params: int
    formula: str
    per_c2: int  # weights in units of C²: 27 for three 3×3 layers, 49 for one 7×7
    receptive_field: int
    fields: list[int]  # after each convolution
    nonlinearities: int


class CompareMeta(BaseModel):
    stack: SideMeta
    single: SideMeta
    k: int
    n: int
    big: int  # the single layer's kernel side: the stack's receptive field
    channels: int


class PartMeta(BaseModel):
    name: str  # the framework's name inside the block: "conv2", "branch2.1.conv"
    kind: str  # conv, depthwise, batchnorm, maxpool
    layer: str
    shape: list[int]  # C×H×W after it
    params: int
    formula: str
    madds: int  # multiply-adds for one image


class BranchMeta(BaseModel):
    label: str
    parts: list[PartMeta]  # empty: an identity shortcut


class CostMeta(BaseModel):
    params: int
    formula: str
    madds: int
    madds_formula: str


class SeparableMeta(BaseModel):
    """A block's first separable convolution against the ordinary convolution it replaces."""

    h: int
    w: int
    k: int
    c_in: int
    c_out: int
    separable: CostMeta
    ordinary: CostMeta
    params_ratio: float  # ordinary ÷ separable
    madds_ratio: float


class BlockMeta(BaseModel):
    row: int
    name: str
    layer: str
    kind: str  # bottleneck, inception, xception, sepconv
    input_shape: list[int]  # C×H×W coming in
    shape: list[int]  # C×H×W going out
    merge: str  # add, concat or "" (one path)
    branches: list[BranchMeta]
    params: int
    formula: str
    madds: int
    separable: SeparableMeta | None


class Fold(BaseModel):
    start: int  # the run's first row
    count: int  # identical blocks in a row


class ArchTableMeta(BaseModel):
    mode: Literal["net", "pattern", "compare"]
    title: str
    source: str | None  # the framework model a net of blocks is written after
    framework_params: int  # the count that framework prints (Keras adds batch norm's running statistics)
    statistics: int  # those statistics: 2 per normalized channel, not learned
    input_shape: tuple[int, int, int]  # (C, H, W)
    rows: list[RowMeta]
    totals: Totals
    largest: str | None  # the row holding the most parameters
    by_kind: dict[str, int]  # parameters in conv (and residual), fully connected and other (norm) rows
    by_kind_share: dict[str, float]  # the same as parts of all the parameters, 0 to 1
    ranges: dict[str, dict[str, int]]  # pattern: the M slider's legal range given the rest
    compare: CompareMeta | None
    folds: list[Fold]
    block: BlockMeta | None


# ---------------------------------------------------------------- the handler

# Everything else with parameters is "other" (norms); a block's own norms count with its convolutions.
PARAM_KINDS = {"conv": "conv", "residual": "conv", "dense": "dense", **dict.fromkeys(blocks.BLOCKS, "conv")}
RELU = {"type": "activation", "name": "ReLU"}


def _chw(shape: tuple[int, ...]) -> list[int]:
    """engine.shapes' (H, W, C) as the page shows it, C×H×W; a vector stays (units,)."""
    return [shape[2], shape[0], shape[1]] if len(shape) == 3 else list(shape)


def _shape(row: shapes.Row) -> list[int]:
    return _chw(row.shape)


def _rows(input_shape, layers, names, frozen: set[int] = frozenset()) -> list[RowMeta]:
    table = arch.layer_table(input_shape, layers, names)
    total = sum(r.params for r in table)
    fields = arch.receptive_fields(layers)
    return [
        RowMeta(
            name=r.name,
            kind=r.kind,
            layer=arch.describe(spec),
            shape=_shape(r),
            size=r.size,
            params=r.params,
            formula=r.formula,
            share=r.params / total if total else 0.0,
            receptive_field=field,
            frozen=i in frozen,
            block=spec.get("type") in blocks.BLOCKS,
        )
        for i, (r, spec, field) in enumerate(zip(table, layers, fields))
    ]


def _totals(rows: list[RowMeta]) -> Totals:
    total = sum(r.params for r in rows)
    frozen = sum(r.params for r in rows if r.frozen)
    return Totals(
        params=total,
        trainable=total - frozen,
        frozen=frozen,
        activations=sum(r.size for r in rows),
        words=counts.words(total),
    )


def _by_kind(rows: list[RowMeta]) -> dict[str, int]:
    out = {"conv": 0, "dense": 0, "other": 0}
    for r in rows:
        out[PARAM_KINDS.get(r.kind, "other")] += r.params
    return out


def _pattern_title(p: PatternParams) -> str:
    pool = "-POOL" if p.pool else ""
    return f"[(CONV-RELU)×{p.n}{pool}]×{p.m}-(FC-RELU)×{p.k}-FC, SOFTMAX"


def _pattern(p: PatternParams):
    settings = {
        "channels": p.channels,
        "size": p.size,
        "filters": p.filters,
        "kernel": p.kernel,
        "pool": p.pool,
        "fc_units": p.fc_units,
        "classes": p.classes,
    }
    input_shape, layers, names = arch.pattern_layers(p.n, p.m, p.k, **settings)
    ranges = {"m": {"min": 1, "max": arch.pattern_max_m(p.n, p.k, **settings)}}
    return input_shape, layers, names, ranges


def _side(side: arch.Side, c: int, size: int, label: str) -> SideMeta:
    layers, names = [], []
    for i, spec in enumerate(side.layers, start=1):  # each convolution with its ReLU, as the argument counts them
        layers += [spec, RELU]
        names += [f"{label}{i}", f"relu{i}"]
    return SideMeta(
        rows=_rows((c, size, size), layers, names),
        params=side.params,
        formula=side.formula,
        per_c2=side.per_c2,
        receptive_field=side.receptive_field,
        fields=side.fields,
        nonlinearities=side.nonlinearities,
    )


def _compare(p: CompareParams) -> CompareMeta:
    cmp = arch.stack_vs_single(p.k, p.n, p.channels, p.bias)
    return CompareMeta(
        stack=_side(cmp.stack, p.channels, p.size, "conv"),
        single=_side(cmp.single, p.channels, p.size, "conv"),
        k=p.k,
        n=p.n,
        big=cmp.single.receptive_field,
        channels=p.channels,
    )


def _separable(block: blocks.Block) -> SeparableMeta | None:
    cmp = blocks.first_separable(block)
    if cmp is None:
        return None
    cost = lambda c: CostMeta(params=c.params, formula=c.formula, madds=c.madds, madds_formula=c.madds_formula)  # noqa: E731
    return SeparableMeta(
        h=cmp.h,
        w=cmp.w,
        k=cmp.k,
        c_in=cmp.c_in,
        c_out=cmp.c_out,
        separable=cost(cmp.separable),
        ordinary=cost(cmp.ordinary),
        params_ratio=cmp.params_ratio,
        madds_ratio=cmp.madds_ratio,
    )


def _block(net: str, row: int | None) -> BlockMeta | None:
    """The diagram's block: ``row`` of a net of blocks, or its example block."""
    row = arch.example_block(net) if row is None else row
    if row is None:
        return None
    _, layers, names = arch.network(net)
    try:
        b = arch.block_at(net, row)
    except ArgumentError as exc:
        raise Problem("invalid", "block", str(exc)) from None
    part = lambda p: PartMeta(  # noqa: E731
        name=p.name, kind=p.kind, layer=p.layer, shape=_chw(p.shape), params=p.params, formula=p.formula, madds=p.madds
    )
    return BlockMeta(
        row=row,
        name=names[row],
        layer=arch.describe(layers[row]),
        kind=b.kind,
        input_shape=_chw(b.input),
        shape=_chw(b.shape),
        merge=b.merge,
        branches=[BranchMeta(label=br.label, parts=[part(p) for p in br.parts]) for br in b.branches],
        params=b.params,
        formula=b.formula,
        madds=b.madds,
        separable=_separable(b),
    )


def _check_frozen(frozen: list[int], count: int) -> set[int]:
    for i, row in enumerate(frozen):
        if row >= count:
            raise Problem(
                "invalid",
                "frozen",
                f"frozen must hold row numbers from 0 to {count - 1} (this table has {count} rows), "
                f"got {row} at position {i}",
            )
    return set(frozen)


@answers("arch.table", "arch.table")
def arch_table(p: ArchTableParams) -> Answer:
    ranges, compare = {}, None
    try:
        if p.net is not None:
            input_shape, layers, names = arch.network(p.net)
            title = arch.TITLES[p.net]
        elif p.pattern is not None:
            input_shape, layers, names, ranges = _pattern(p.pattern)
            title = _pattern_title(p.pattern)
        else:
            compare = _compare(p.compare)
            k, n, big = compare.k, compare.n, compare.big
            input_shape, layers, names = (p.compare.channels, p.compare.size, p.compare.size), [], []
            title = f"{n} stacked {k}×{k} convolutions vs one {big}×{big}"
        frozen = _check_frozen(p.frozen, len(layers))
        rows = _rows(input_shape, layers, names, frozen) if layers else []
    except (
        ArgumentError
    ) as exc:  # a window that no longer fits the map it gets: engine.shapes' sentence, naming the layer
        field = "pattern.m" if p.pattern is not None else "compare.size"
        hint = (
            "; use fewer blocks M, a larger input or no pooling"
            if p.pattern is not None
            else "; use a larger map, fewer layers or a smaller kernel"
        )
        raise Problem("does_not_fit", field, f"{exc}{hint}") from None
    largest = max(rows, key=lambda r: r.params).name if rows and any(r.params for r in rows) else None
    by_kind, total = _by_kind(rows), sum(r.params for r in rows)
    deep = p.net in arch.BLOCK_NETWORKS
    meta = ArchTableMeta(
        mode="net" if p.net else "pattern" if p.pattern else "compare",
        title=title,
        source=arch.SOURCES.get(p.net),
        framework_params=arch.framework_count(p.net) if p.net else total,
        statistics=arch.norm_statistics(p.net) if deep else 0,
        input_shape=input_shape,
        rows=rows,
        totals=_totals(rows),
        largest=largest,
        by_kind=by_kind,
        by_kind_share={k: v / total if total else 0.0 for k, v in by_kind.items()},
        ranges=ranges,
        compare=compare,
        folds=[Fold(start=a, count=n) for a, n in arch.fold(layers, arch.layer_table(input_shape, layers))]
        if deep
        else [],
        block=_block(p.net, p.block) if deep else None,
    )
    return Answer(meta.model_dump())


FEATURE = Feature(
    "architecture",
    (arch_table,),
    widgets=(Widget("architecture", "Architectures", (*LAYER_CSS, "css/architecture.css")),),
)
