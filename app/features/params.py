"""params.count (PROTOCOL.md, "params.count"): learned numbers of fully connected, locally connected and
shared-filter layers on an image, and of a 1×1 convolution on a volume.
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from engine import counts

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, whole

# Generous for a lesson (a 1024×1024 colour photo, a million hidden units), and every count stays an
# exact integer in a browser's Number (below 2**53): 1024·1024·4 × 1,000,000 ≈ 4.2·10¹².
MAX_SIDE = 1024
MAX_CHANNELS = 4
MAX_UNITS = 1_000_000
MAX_WINDOW = 64
MAX_FILTERS = 4096
MAX_DEPTH = 4096  # a 1×1 convolution's channels in and out


class ParamsCountParams(Params):
    height: whole(1, MAX_SIDE) = Field(200, description="the image's height in pixels")
    width: whole(1, MAX_SIDE) = Field(200, description="the image's width in pixels")
    channels: whole(1, MAX_CHANNELS) = Field(1, description="1 for grey, 3 for colour")
    units: whole(1, MAX_UNITS) = Field(40_000, description="hidden units (or output classes) of the next layer")
    window: whole(1, MAX_WINDOW) = Field(10, description="the side of each unit's window")
    filters: whole(1, MAX_FILTERS) = Field(100, description="shared filters")
    bias: bool = Field(False, strict=True, description="count one bias per unit (per filter when shared)")
    c_in: whole(1, MAX_DEPTH) = Field(64, description="a 1×1 convolution's input channels")
    c_out: whole(1, MAX_DEPTH) = Field(32, description="a 1×1 convolution's filters")
    map_height: whole(1, MAX_SIDE) = Field(56, description="the height of the volume the 1×1 convolution slides over")
    map_width: whole(1, MAX_SIDE) = Field(56, description="its width")

    @model_validator(mode="after")
    def _window_inside(self):
        side = min(self.height, self.width)
        if self.window > side:
            raise inconsistent(
                "window",
                f"window must be from 1 to {side} (the image's {'height' if self.height <= self.width else 'width'}): "
                f"a unit's window lies inside the image, got {self.window}",
            )
        return self


class CountMeta(BaseModel):
    weights: int
    bias: int
    total: int
    formula: str  # the factors, "200×200×1 × 40,000"
    words: str  # "1.6 billion" (two significant figures)
    rough: str  # "2 billion" (one: as a slide rounds it)
    log10: float  # for a log-scale bar
    power_of_two: int | None  # 26 when total = 2**26


class PointwiseMeta(BaseModel):
    shape_in: tuple[int, int, int]  # (C_in, H, W)
    shape_out: tuple[int, int, int]  # (C_out, H, W)
    dot_length: int
    params: CountMeta  # with one bias per filter


class ParamsCountMeta(BaseModel):
    inputs: int  # the image as a vector: H·W·C numbers
    inputs_formula: str  # "200×200×1"
    inputs_power_of_two: int | None
    units_power_of_two: int | None
    fully: CountMeta
    local: CountMeta
    shared: CountMeta
    pointwise: PointwiseMeta
    limits: dict[str, int]


def limits() -> dict[str, int]:
    return {
        "side": MAX_SIDE,
        "channels": MAX_CHANNELS,
        "units": MAX_UNITS,
        "window": MAX_WINDOW,
        "filters": MAX_FILTERS,
        "depth": MAX_DEPTH,
    }


# ---------------------------------------------------------------- the handler


def count_meta(c: counts.Count) -> CountMeta:
    return CountMeta(
        weights=c.weights,
        bias=c.bias,
        total=c.total,
        formula=c.formula,
        words=counts.words(c.total),
        rough=counts.rough(c.total),
        log10=counts.log10(c.total),
        power_of_two=counts.power_of_two(c.total),
    )


@answers("params.count", "params.counts")
def params_count(p: ParamsCountParams) -> Answer:
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
        pointwise=PointwiseMeta(
            shape_in=one.shape_in, shape_out=one.shape_out, dot_length=one.dot_length, params=count_meta(one.count)
        ),
        limits=limits(),
    )
    return Answer(meta.model_dump())


FEATURE = Feature(
    "params", (params_count,), widgets=(Widget("params", "Counting parameters", (*LAYER_CSS, "css/params.css")),)
)
