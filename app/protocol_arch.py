"""arch.table (PROTOCOL.md, "arch.table"): a network's layer table from engine.architectures.

One of three things is asked for: a classic ``net`` by name, the CS231n
``pattern`` [(CONV-RELU)*N-POOL?]*M-(FC-RELU)*K,SOFTMAX with its numbers, or a
``compare`` of N stacked k×k convolutions with the one layer that sees as far.
``frozen`` lists rows whose parameters are kept fixed (transfer learning).

app.protocol imports this module at its end, and this module adds
``arch.table`` to its REQUESTS and ANSWERS tables (as app.protocol_pipeline does).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from engine.architectures import NETWORKS

from .protocol import ANSWERS, REQUESTS, Params, _show, inconsistent, whole

MAX_ROWS = 128  # the longest pattern (6 convs and ReLUs in each of 8 blocks, pools, 3 hidden FC layers) has 113


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
    net: Literal[tuple(NETWORKS)] | None = None
    pattern: PatternParams | None = Field(None, description="{n, m, k, channels, size, filters, kernel, pool, fc_units, classes}")
    compare: CompareParams | None = Field(None, description="{k, n, channels, size, bias}")
    frozen: list[whole(0, MAX_ROWS - 1)] = Field(default_factory=list, max_length=MAX_ROWS, description="of row numbers, from 0")

    @field_validator("frozen", mode="before")
    @classmethod
    def _row_numbers(cls, raw):
        """Row numbers in a student's words (the table's own length is checked by the handler)."""
        if isinstance(raw, list):
            for i, row in enumerate(raw):
                if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < MAX_ROWS:
                    raise inconsistent("frozen", f"frozen must hold row numbers, whole numbers from 0 to {MAX_ROWS - 1}, "
                                       f"got {_show(row)} at position {i}")
        return raw

    @model_validator(mode="after")
    def _one_question(self):
        given = [name for name in ("net", "pattern", "compare") if getattr(self, name) is not None]
        if len(given) != 1:
            got = "none of them" if not given else " and ".join(given)
            raise inconsistent("net", f"net must be given, or else pattern or compare: exactly one of the three, got {got}")
        if self.compare is not None and self.frozen:
            raise inconsistent("frozen", "frozen applies to the rows of a net or a pattern, not to compare; send an empty list")
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


class ArchTableMeta(BaseModel):
    mode: Literal["net", "pattern", "compare"]
    title: str
    input_shape: tuple[int, int, int]  # (C, H, W)
    rows: list[RowMeta]
    totals: Totals
    largest: str | None  # the row holding the most parameters
    by_kind: dict[str, int]  # parameters in conv (and residual), fully connected and other (norm) rows
    by_kind_share: dict[str, float]  # the same as parts of all the parameters, 0 to 1
    ranges: dict[str, dict[str, int]]  # pattern: the M slider's legal range given the rest
    compare: CompareMeta | None


REQUESTS["arch.table"] = ArchTableParams
ANSWERS["arch.table"] = "arch.table"
