"""arch.table: a network's layer table, the CS231n pattern expanded, or a stack of small filters vs one large one.

No math here: rows, shapes, parameter counts and formulas are
engine.architectures.layer_table's (engine.shapes underneath), receptive
fields engine.shapes.receptive_field's. This module adds up the rows the
learner froze, names the largest row, and lays it all out for the wire.
"""

from __future__ import annotations

from engine import architectures as arch
from engine import counts, shapes

from . import wire
from .protocol import ANSWERS, Problem
from .protocol_arch import (
    ArchTableMeta,
    ArchTableParams,
    CompareMeta,
    CompareParams,
    PatternParams,
    RowMeta,
    SideMeta,
    Totals,
)

PARAM_KINDS = {"conv": "conv", "residual": "conv", "dense": "dense"}  # everything else with parameters: "other" (norms)
RELU = {"type": "activation", "name": "ReLU"}


def _shape(row: shapes.Row) -> list[int]:
    """engine.shapes' (H, W, C) as the page shows it, C×H×W; a vector stays (units,)."""
    return [row.shape[2], row.shape[0], row.shape[1]] if len(row.shape) == 3 else list(row.shape)


def _rows(input_shape, layers, names, frozen: set[int] = frozenset()) -> list[RowMeta]:
    table = arch.layer_table(input_shape, layers, names)
    total = sum(r.params for r in table)
    fields = arch.receptive_fields(layers)
    return [RowMeta(name=r.name, kind=r.kind, layer=arch.describe(spec), shape=_shape(r), size=r.size, params=r.params,
                    formula=r.formula, share=r.params / total if total else 0.0, receptive_field=field, frozen=i in frozen)
            for i, (r, spec, field) in enumerate(zip(table, layers, fields))]


def _totals(rows: list[RowMeta]) -> Totals:
    total = sum(r.params for r in rows)
    frozen = sum(r.params for r in rows if r.frozen)
    return Totals(params=total, trainable=total - frozen, frozen=frozen, activations=sum(r.size for r in rows), words=counts.words(total))


def _by_kind(rows: list[RowMeta]) -> dict[str, int]:
    out = {"conv": 0, "dense": 0, "other": 0}
    for r in rows:
        out[PARAM_KINDS.get(r.kind, "other")] += r.params
    return out


def _pattern_title(p: PatternParams) -> str:
    pool = "-POOL" if p.pool else ""
    return f"[(CONV-RELU)×{p.n}{pool}]×{p.m}-(FC-RELU)×{p.k}-FC, SOFTMAX"


def _pattern(p: PatternParams):
    settings = {"channels": p.channels, "size": p.size, "filters": p.filters, "kernel": p.kernel, "pool": p.pool,
                "fc_units": p.fc_units, "classes": p.classes}
    input_shape, layers, names = arch.pattern_layers(p.n, p.m, p.k, **settings)
    ranges = {"m": {"min": 1, "max": arch.pattern_max_m(p.n, p.k, **settings)}}
    return input_shape, layers, names, ranges


def _side(side: arch.Side, c: int, size: int, label: str) -> SideMeta:
    layers, names = [], []
    for i, spec in enumerate(side.layers, start=1):  # each convolution with its ReLU, as the argument counts them
        layers += [spec, RELU]
        names += [f"{label}{i}", f"relu{i}"]
    return SideMeta(rows=_rows((c, size, size), layers, names), params=side.params, formula=side.formula, per_c2=side.per_c2,
                    receptive_field=side.receptive_field, fields=side.fields, nonlinearities=side.nonlinearities)


def _compare(p: CompareParams) -> CompareMeta:
    cmp = arch.stack_vs_single(p.k, p.n, p.channels, p.bias)
    return CompareMeta(stack=_side(cmp.stack, p.channels, p.size, "conv"), single=_side(cmp.single, p.channels, p.size, "conv"),
                       k=p.k, n=p.n, big=cmp.single.receptive_field, channels=p.channels)


def _check_frozen(frozen: list[int], count: int) -> set[int]:
    for i, row in enumerate(frozen):
        if row >= count:
            raise Problem("invalid", "frozen", f"frozen must hold row numbers from 0 to {count - 1} (this table has {count} rows), "
                          f"got {row} at position {i}")
    return set(frozen)


def arch_table(id: int, p: ArchTableParams) -> bytes:
    ranges, compare = {}, None
    try:
        if p.net is not None:
            input_shape, layers, names = arch.NETWORKS[p.net]
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
    except ValueError as exc:  # a window that no longer fits the map it gets: engine.shapes' sentence, naming the layer
        field = "pattern.m" if p.pattern is not None else "compare.size"
        hint = ("; use fewer blocks M, a larger input or no pooling" if p.pattern is not None
                else "; use a larger map, fewer layers or a smaller kernel")
        raise Problem("does_not_fit", field, f"{exc}{hint}") from None
    largest = max(rows, key=lambda r: r.params).name if rows and any(r.params for r in rows) else None
    by_kind, total = _by_kind(rows), sum(r.params for r in rows)
    meta = ArchTableMeta(mode="net" if p.net else "pattern" if p.pattern else "compare", title=title, input_shape=input_shape,
                         rows=rows, totals=_totals(rows), largest=largest, by_kind=by_kind,
                         by_kind_share={k: v / total if total else 0.0 for k, v in by_kind.items()}, ranges=ranges, compare=compare)
    return wire.encode(id, ANSWERS["arch.table"], meta.model_dump())
