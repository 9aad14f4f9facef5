"""receptive.run: a stack of window layers over a square input, what each unit sees of the maps below.

No math here: the sizes, r, the jump, the growth written out, every unit's box and the focused
unit's path counts all come from engine.receptive (checked against PyTorch's autograd by
tests/engine/test_receptive.py). An engine refusal names its argument (``layers[1].k``), which is
the request's own field path.

Every unit's box on every map below it travels in each answer (a few kilobytes: a box is separable,
so one row of four numbers per unit index along an axis), so the outline follows the pointer from
one grid to another without a round trip. The path counts belong to one unit; moving the focus
asks again: a stack of at most six small windows over at most 32×32 cells, answered in about 5 ms
(median) on loopback with the 1, 2, 4, 8 stack, measured on a busy two-core machine.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from engine.errors import ArgumentError
from engine.receptive import stack

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, tagged, whole

MAX_SIDE = 32  # a 32×32 input: still a cell per pixel at a projector's resolution
MAX_LAYERS = 6
MAX_K = 7
MAX_S = 3
MAX_P = 4  # "same" padding for a 3×3 at d = 4, the dilated stacks' last layer
MAX_D = 8  # dilations 1, 2, 4, 8: the doubling stack of lesson 12, on a 32×32 input


class ReceptiveLayer(Params):
    kind: Literal["conv", "maxpool", "avgpool"] = "conv"
    k: whole(1, MAX_K) = Field(3, description="the window's side")
    s: whole(1, MAX_S) = Field(1, description="the stride")
    p: whole(0, MAX_P) = Field(0, description="padding on each side (a pool: at most k/2)")
    d: whole(1, MAX_D) = Field(1, description="the dilation: taps d cells apart")


LAYER_KINDS = {"conv": ReceptiveLayer, "maxpool": ReceptiveLayer, "avgpool": ReceptiveLayer}


class ReceptiveRunParams(Params):
    n: whole(1, MAX_SIDE) = Field(16, description="the input's side (it is square)")
    layers: list[dict] = Field(
        max_length=MAX_LAYERS + 1, description="the stack from the input up: each {kind, k, s, p, d}"
    )
    level: whole(0, MAX_LAYERS) = Field(0, description="the focused unit's layer (1: the first; 0: the last)")
    row: whole(-1, MAX_SIDE - 1) = Field(-1, description="the focused unit's row on that map (−1: the centre)")
    col: whole(-1, MAX_SIDE - 1) = Field(-1, description="the focused unit's column (−1: the centre)")

    @field_validator("layers")
    @classmethod
    def _each_layer(cls, layers: list[dict]) -> list[ReceptiveLayer]:
        # Each layer checked alone, so a refusal names it: "layers[2].d", "layer 3 (conv): ...".
        if not 1 <= len(layers) <= MAX_LAYERS:
            raise inconsistent("layers", f"layers must hold 1 to {MAX_LAYERS} layers, got {len(layers)}")
        return [
            tagged(
                {"kind": "conv", **raw} if isinstance(raw, dict) else raw,
                LAYER_KINDS,
                "kind",
                f"layers[{i}]",
                f"layer {i + 1}",
                example='{"kind": "conv", "k": 3}',
                choices="conv, maxpool or avgpool",
                noun="layer",
            )
            for i, raw in enumerate(layers)
        ]

    @model_validator(mode="after")
    def _level_in_stack(self):
        if self.level > len(self.layers):
            raise inconsistent(
                "level", f"level must be a layer of the stack, 1 to {len(self.layers)}, got {self.level}"
            )
        return self


class LevelMeta(BaseModel):
    size: int  # the map's side
    field: int  # r: the side of the input patch one unit sees
    jump: int  # j: input cells between neighbouring units' patches
    start: int  # input coordinate of unit 0's first patch cell (negative: in the padding)
    formula: str  # the size with the numbers in; "" for the input
    label: str  # "conv 3×3 d=2"; "input" for level 0
    growth: str  # "1 + 2 + 4 = 7", r written out up to this map
    terms: list[str]  # each layer's d×(k − 1)×j up to this map


class FocusMeta(BaseModel):
    level: int
    row: int
    col: int
    box: list[int]  # on the input: first row, last row, first col, last col (may reach into the padding)
    cut: list[int]  # the same box cut to the image
    reached: int  # input cells with at least one path
    in_box: int  # cells of the cut box
    paths: int  # paths from the image into the unit, all cells together
    most: int  # the largest count of one cell


class ReceptiveResultMeta(BaseModel):
    n: int
    levels: list[LevelMeta]  # the input, then each layer's map
    focus: FocusMeta


@answers("receptive.run", "receptive.result")
def receptive_run(p: ReceptiveRunParams) -> Answer:
    layers = [layer.model_dump() for layer in p.layers]
    st = stack(p.n, layers)
    top = len(p.layers)
    level = p.level or top
    size = st.levels[level].size
    for name, value in (("row", p.row), ("col", p.col)):
        if value >= size:
            raise ArgumentError(
                name, f"{name} must be 0 to {size - 1} on layer {level}'s {size}×{size} map, got {value}"
            )
    row, col = ((size - 1) // 2 if v < 0 else v for v in (p.row, p.col))
    arrays = {}
    for above in range(1, top + 1):
        # (above, S_above, 4): each unit index's box on each map below: first, last, then cut to that map.
        arrays[f"boxes{above}"] = np.stack([st.boxes(above, on) for on in range(above)]).astype(np.int32)
    for on in range(level):
        # Each axis's counts stay below 7⁵ per cell (one free tap per layer but the last), so a count is
        # at most 7¹⁰ < 2³¹: exact in int32.
        arrays[f"paths{on}"] = st.paths(level, row, col, on).astype(np.int32)  # (S_on, S_on)
    rows, cols = st.boxes(level)[row], st.boxes(level)[col]
    counts = arrays["paths0"]  # (n, n)
    cut = [int(rows[2]), int(rows[3]), int(cols[2]), int(cols[3])]
    focus = FocusMeta(
        level=level,
        row=row,
        col=col,
        box=[int(rows[0]), int(rows[1]), int(cols[0]), int(cols[1])],
        cut=cut,
        reached=int(np.count_nonzero(counts)),
        in_box=(cut[1] - cut[0] + 1) * (cut[3] - cut[2] + 1),
        paths=int(counts.sum(dtype=np.int64)),
        most=int(counts.max()),
    )
    levels = [
        LevelMeta(
            size=lv.size,
            field=lv.field,
            jump=lv.jump,
            start=lv.start,
            formula=lv.formula,
            label=st.layers[i - 1].label() if i else "input",
            growth=st.field_text(i),
            terms=st.term_texts(i),
        )
        for i, lv in enumerate(st.levels)
    ]
    meta = ReceptiveResultMeta(n=p.n, levels=levels, focus=focus)
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "receptive",
    (receptive_run,),
    widgets=(Widget("receptive", "Receptive fields", (*LAYER_CSS, "js/widgets/receptive/receptive.css")),),
)
