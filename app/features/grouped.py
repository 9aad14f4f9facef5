"""grouped.run: one small layer five ways (ordinary, grouped, depthwise, pointwise 1×1, depthwise-separable),
which input channels feed each output channel, and what every way costs, at the page's sizes and at a
real network's.

No math here: the maps come from engine.grouped (grouped_conv2d, depthwise_separable_steps), the
connection matrix and each channel's group from engine.grouped.connections and group_of, the output
size from engine.shapes, the parameter and multiply-add counts from engine.grouped.costs (read aloud by
engine.counts.words). The input and the weights are small whole numbers drawn from the seed (or all
ones), so a learner can add up a cell by hand. An engine refusal names its argument: ``w`` is the
page's kernel size ``k``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine import counts, shapes
from engine.grouped import MODES, Costs, connections, costs, depthwise_separable_steps, group_of, grouped_conv2d

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, Seed, inconsistent, whole

MAX_CHANNELS = 8  # a diagram a room can follow line by line
MAX_SIDE = 8
MAX_KERNEL = 5
MAX_PADDING = 2
REAL_SIDE = 512  # a real layer's output side
REAL_CHANNELS = 4096
REAL_KERNEL = 11


class RealLayer(Params):
    """A layer of a real network, only counted: its output is size × size."""

    size: whole(1, REAL_SIDE) = Field(56, description="H_out = W_out")
    c_in: whole(1, REAL_CHANNELS) = 256
    c_out: whole(1, REAL_CHANNELS) = 256
    k: whole(1, REAL_KERNEL) = 3
    groups: whole(1, REAL_CHANNELS) = Field(32, description="divides c_in and c_out")


class GroupedRunParams(Params):
    mode: Literal[MODES] = "grouped"
    c_in: whole(1, MAX_CHANNELS) = Field(4, description="input channels")
    c_out: whole(1, MAX_CHANNELS) = Field(4, description="output channels (depthwise keeps C_in)")
    height: whole(1, MAX_SIDE) = 5
    width: whole(1, MAX_SIDE) = 5
    k: whole(1, MAX_KERNEL) = Field(3, description="the k×k kernel's side (pointwise: 1)")
    padding: whole(0, MAX_PADDING) = 1
    groups: whole(1, MAX_CHANNELS) = Field(2, description="divides c_in and c_out")
    weights: Literal["seeded", "ones"] = Field("seeded", description="whole numbers −1, 0, 1 from the seed, or ones")
    seed: Seed = 1
    real: RealLayer = Field(default_factory=RealLayer, description="a real network's layer, counted side by side")

    @model_validator(mode="after")
    def _fits(self):
        for where, layer in (("", self), ("real.", self.real)):
            if layer.c_in % layer.groups or layer.c_out % layer.groups:
                raise inconsistent(
                    f"{where}groups",
                    f"{where}groups must divide both {where}c_in ({layer.c_in}) and {where}c_out ({layer.c_out}), "
                    f"got {layer.groups}: try {_divisors(layer.c_in, layer.c_out)}",
                )
        if self.k > min(self.height, self.width) + 2 * self.padding:
            raise inconsistent(
                "k",
                f"k must fit the padded input: at most {min(self.height, self.width) + 2 * self.padding} "
                f"for {self.height}×{self.width} with padding {self.padding}, got {self.k}",
            )
        return self


def _divisors(a: int, b: int) -> str:
    common = [d for d in range(1, min(a, b) + 1) if a % d == 0 and b % d == 0]
    return ", ".join(map(str, common[:12])) + (" …" if len(common) > 12 else "")


class CostMeta(BaseModel):
    mode: str
    label: str
    weights: int
    madds: int
    formula: str
    madds_formula: str
    madds_words: str  # read aloud: "1.8 billion"
    fewer: float  # the ordinary layer's weights ÷ these (also its multiply-adds ÷ these)


class CostsMeta(BaseModel):
    h_out: int
    w_out: int
    c_in: int
    c_out: int
    k: int
    groups: int
    modes: dict[str, CostMeta]
    ratio: float  # separable ÷ ordinary
    ratio_formula: str  # "1/256 + 1/3² = 0.115, 8.69× fewer"


class GroupedResultMeta(BaseModel):
    mode: str
    c_in: int
    c_out: int  # as run: depthwise keeps C_in
    groups: int  # as run: 1 (ordinary, pointwise, separable's 1×1), C_in (depthwise)
    k: int  # as run: 1 for pointwise
    padding: int
    input_shape: list[int]  # (C_in, H, W)
    output_shape: list[int]  # (C_out, H_out, W_out)
    filter_shape: list[int]  # (C_out, C_in/groups, k, k); separable: the depthwise filters
    reads: list[list[int]]  # for each output channel, the input channels it reads (from the connections)
    layer: CostsMeta  # every mode at this layer's sizes
    real: CostsMeta  # every mode at the real layer's


def _costs(c: Costs) -> CostsMeta:
    ordinary = c.by_mode["ordinary"].weights
    return CostsMeta(
        h_out=c.h_out,
        w_out=c.w_out,
        c_in=c.c_in,
        c_out=c.c_out,
        k=c.k,
        groups=c.groups,
        modes={
            m: CostMeta(
                mode=m,
                label=v.label,
                weights=v.weights,
                madds=v.madds,
                formula=v.formula,
                madds_formula=v.madds_formula,
                madds_words=counts.words(v.madds),
                fewer=ordinary / v.weights,
            )
            for m, v in c.by_mode.items()
        },
        ratio=float(c.ratio),
        ratio_formula=c.ratio_formula(),
    )


def _values(rng: np.random.Generator, shape: tuple, kind: str) -> np.ndarray:
    if kind == "ones":
        return np.ones(shape, np.float32)
    return rng.integers(-1, 2, size=shape).astype(np.float32)  # −1, 0 or 1: sums a learner can do


@answers("grouped.run", "grouped.result")
def grouped_run(p: GroupedRunParams) -> Answer:
    rng = np.random.default_rng(p.seed)
    x = rng.integers(0, 4, size=(1, p.c_in, p.height, p.width)).astype(np.float32)  # (1, C_in, H, W)
    k, groups, c_out, pad = p.k, p.groups, p.c_out, p.padding
    if p.mode in ("ordinary", "separable"):
        groups = 1  # separable: its 1×1 step, which mixes every channel
    elif p.mode == "depthwise":
        groups, c_out = p.c_in, p.c_in
    elif p.mode == "pointwise":
        groups, k, pad = 1, 1, 0  # a 1×1 window needs no padding
    arrays = {"input": x[0]}  # (C_in, H, W)
    if p.mode == "separable":
        wd = _values(rng, (p.c_in, 1, k, k), p.weights)  # (C_in, 1, k, k) one filter per channel
        wp = _values(rng, (c_out, p.c_in, 1, 1), p.weights)  # (C_out, C_in, 1, 1) mixes the channels
        middle, y = depthwise_separable_steps(x, wd, wp, padding=pad)  # (1, C_in, Ho, Wo), (1, C_out, Ho, Wo)
        arrays |= {"middle": middle[0], "filters": wd, "pointwise": wp[:, :, 0, 0]}  # pointwise: (C_out, C_in)
        arrays["connections_depthwise"] = connections(p.c_in, p.c_in, p.c_in)  # (C_in, C_in) one to one
        filter_shape = list(wd.shape)
        links = connections(p.c_in, c_out, 1)  # (C_out, C_in) through the 1×1: every input reaches every output
        in_groups = group_of(p.c_in, p.c_in)  # (C_in,) each channel its own depthwise filter
        out_groups = np.zeros(c_out, np.int32)  # (C_out,)
    else:
        w = _values(rng, (c_out, p.c_in // groups, k, k), p.weights)  # (C_out, C_in/groups, k, k)
        y = grouped_conv2d(x, w, padding=pad, groups=groups)  # (1, C_out, H_out, W_out)
        arrays["filters"] = w
        filter_shape = list(w.shape)
        links = connections(p.c_in, c_out, groups)  # (C_out, C_in)
        in_groups, out_groups = group_of(p.c_in, groups), group_of(c_out, groups)  # (C_in,), (C_out,)
    arrays |= {"output": y[0], "connections": links, "in_groups": in_groups, "out_groups": out_groups}
    # The table compares every mode at the k×k layer's output size, whichever mode is drawn.
    out = shapes.window_output((p.height, p.width), (p.k, p.k), padding=(p.padding,) * 4)
    layer = costs(*out.shape, p.c_in, p.c_out, p.k, p.groups)
    r = p.real
    real = costs(r.size, r.size, r.c_in, r.c_out, r.k, r.groups)
    meta = GroupedResultMeta(
        mode=p.mode,
        c_in=p.c_in,
        c_out=c_out,
        groups=groups,
        k=k,
        padding=pad,
        input_shape=list(x.shape[1:]),
        output_shape=list(y.shape[1:]),
        filter_shape=filter_shape,
        reads=[np.flatnonzero(row).tolist() for row in links],
        layer=_costs(layer),
        real=_costs(real),
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "grouped",
    (grouped_run,),
    widgets=(Widget("grouped", "Grouped and separable convolutions", (*LAYER_CSS, "js/widgets/grouped/grouped.css")),),
    fields={"w": "k", "x": "height"},
)
