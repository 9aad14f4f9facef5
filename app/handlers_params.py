"""params.count: the three ways of connecting an image to a layer, and a 1×1 convolution, counted by engine.counts.

No math here: every count, formula and reading ("1.6 billion", "2 billion",
2²⁶) is engine.counts'; this module only lays them out for the wire.
"""

from __future__ import annotations

from engine import counts

from . import wire
from .protocol import ANSWERS
from .protocol_params import (
    CountMeta,
    ParamsCountMeta,
    ParamsCountParams,
    PointwiseMeta,
    limits,
)


def count_meta(c: counts.Count) -> CountMeta:
    return CountMeta(weights=c.weights, bias=c.bias, total=c.total, formula=c.formula, words=counts.words(c.total),
                     rough=counts.rough(c.total), log10=counts.log10(c.total), power_of_two=counts.power_of_two(c.total))


def params_count(id: int, p: ParamsCountParams) -> bytes:
    one = counts.pointwise(p.c_in, p.c_out, p.map_height, p.map_width)
    inputs = counts.inputs(p.height, p.width, p.channels)
    meta = ParamsCountMeta(
        inputs=inputs,
        inputs_formula=f"{p.height}×{p.width}×{p.channels}",
        inputs_power_of_two=counts.power_of_two(inputs),
        units_power_of_two=counts.power_of_two(p.units),
        fully=count_meta(counts.fully_connected(p.height, p.width, p.channels, p.units, p.bias)),
        local=count_meta(counts.locally_connected(p.units, p.window, p.channels, p.bias)),
        shared=count_meta(counts.shared_filters(p.filters, p.window, p.channels, p.bias)),
        pointwise=PointwiseMeta(shape_in=one.shape_in, shape_out=one.shape_out, dot_length=one.dot_length, params=count_meta(one.count)),
        limits=limits(),
    )
    return wire.encode(id, ANSWERS["params.count"], meta.model_dump())
