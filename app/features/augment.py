"""augment.run (PROTOCOL.md, "augment.run"): flips, rotation, crop and scale, colour jitter on one picture.

The picture is a preset made by the server (``photo`` at a size: the cat in
colour, the camera in grey; or ``digit``) or values from 0 to 1. ``ops`` are
applied in order to give one ``output``; ``random`` asks for n seeded random
variants. Each op is checked by its own model, one at a time, so an error names
it by position: field ``ops[1].angle``, "op 2 (rotate): angle must be from -360
to 360, got 400".
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator

from engine import augment
from engine.augment import MODES, OPS, RANDOM_RANGES
from engine.errors import ArgumentError

from ..core.errors import Problem, show
from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.limits import LIMITS
from ..core.models import Params, Seed, Size, inconsistent, real, tagged, whole
from . import pictures

MAX_OPS = 8
MAX_VARIANTS = 16
# Every picture travels back (the original, the output, each variant): together no more numbers
# than sixteen full-size maps, a 4 MB answer (the pipeline's bound).
MAX_VALUES = LIMITS.filters * LIMITS.size**2
PRESETS = ("photo", "digit")


Unit = real(0, 1)
Factor = real(0, 5)


class AugmentImage(Params):
    preset: Literal[PRESETS] | None = Field(None, description="photo (the cat in colour, the camera in grey) or digit")
    channels: Literal[1, 3] = 3
    height: Size = 128
    width: Size = 128
    values: list[Unit] | None = Field(
        None, max_length=LIMITS.channels * LIMITS.size**2, description="C·H·W numbers from 0 to 1, (C, H, W) order"
    )

    @model_validator(mode="after")
    def _one_source(self):
        if (self.preset is None) == (self.values is None):
            raise inconsistent("image.preset", 'image needs a preset ("photo" or "digit") or values, and not both')
        need = self.channels * self.height * self.width
        if self.values is not None and len(self.values) != need:
            raise inconsistent(
                "image.values",
                f"image.values must hold {need} numbers (channels × height × width = "
                f"{self.channels} × {self.height} × {self.width}), got {len(self.values)}",
            )
        return self

    def count(self) -> int:
        return self.channels * self.height * self.width


class FlipOp(Params):
    op: Literal["hflip", "vflip"]


class RotateOp(Params):
    op: Literal["rotate"]
    angle: real(-360, 360) = Field(0.0, description="degrees, counter-clockwise")
    mode: Literal[MODES] = "constant"
    fill: Unit = 0.0


class CropOp(Params):
    op: Literal["crop"]
    scale: real(0.1, 1) = Field(1.0, description="the share of each side kept")
    x: Unit = Field(0.5, description="0 at the left edge, 1 at the right")
    y: Unit = Field(0.5, description="0 at the top edge, 1 at the bottom")
    box: tuple[whole(0, LIMITS.size), whole(0, LIMITS.size), whole(1, LIMITS.size), whole(1, LIMITS.size)] | None = (
        Field(
            None,
            description="[top, left, height, width] in pixels, instead of scale, x and y",
            json_schema_extra={"parts": ["top", "left", "height", "width"]},
        )
    )


class JitterOp(Params):
    op: Literal["jitter"]
    brightness: Factor = 1.0
    contrast: Factor = 1.0
    saturation: Factor = 1.0
    hue: real(-0.5, 0.5) = Field(0.0, description="a share of a full turn of the colour wheel")


OP_MODELS: dict[str, type[Params]] = {
    "hflip": FlipOp,
    "vflip": FlipOp,
    "rotate": RotateOp,
    "crop": CropOp,
    "jitter": JitterOp,
}
Op = FlipOp | RotateOp | CropOp | JitterOp
NAMES = ", ".join(OPS)


def _op(i: int, raw) -> Params:
    """Op ``i`` checked by its own model; any error re-raised naming ``ops[i]``."""
    example = '{"op": "rotate", "angle": 15}'
    return tagged(
        raw, OP_MODELS, "op", f"ops[{i}]", f"op {i + 1}", example=example, choices=f"one of {NAMES}", noun="op"
    )


class RandomAugment(Params):
    ops: list[Literal[OPS]] = Field(max_length=len(OPS), description=f"names of ops to draw, in order: {NAMES}")
    seed: Seed = 0
    n: whole(1, MAX_VARIANTS) = 8
    angle: real(0, 180) = Field(RANDOM_RANGES["angle"], description="rotations from −angle to angle degrees")
    scale: tuple[real(0.1, 1), real(0.1, 1)] = Field(
        RANDOM_RANGES["scale"],
        description="[smallest, largest] share of each side kept",
        json_schema_extra={"parts": ["smallest", "largest"]},
    )
    brightness: real(0, 1) = Field(RANDOM_RANGES["brightness"], description="factors from 1 − b to 1 + b")
    contrast: real(0, 1) = RANDOM_RANGES["contrast"]
    saturation: real(0, 1) = RANDOM_RANGES["saturation"]
    hue: real(0, 0.5) = RANDOM_RANGES["hue"]
    mode: Literal[MODES] = "constant"
    fill: Unit = 0.0

    @model_validator(mode="after")
    def _consistent(self):
        if not self.ops:
            raise inconsistent("random.ops", f"random.ops must name at least one op to draw: {NAMES}")
        if len(set(self.ops)) != len(self.ops):
            raise inconsistent("random.ops", f"random.ops must name each op at most once, got {list(self.ops)}")
        if self.scale[0] > self.scale[1]:
            raise inconsistent(
                "random.scale",
                f"random.scale must be [smallest, largest], from 0.1 to 1, smallest first, got {list(self.scale)}",
            )
        return self

    def ranges(self) -> dict:
        return self.model_dump(exclude={"ops", "seed", "n"})


class AugmentRunParams(Params):
    image: AugmentImage = Field(description="{preset, channels, height, width} or {channels, height, width, values}")
    ops: list[Op] = Field(
        default_factory=list, description=f"a list of up to {MAX_OPS} ops, each an object with an op: {NAMES}"
    )
    random: RandomAugment | None = Field(None, description="{ops, seed, n, ...}: n seeded random variants")

    @field_validator("ops", mode="before")
    @classmethod
    def _each_op(cls, raw):
        if not isinstance(raw, list):
            raise inconsistent("ops", f"ops must be a list of up to {MAX_OPS} ops, got {show(raw)}")
        if len(raw) > MAX_OPS:
            raise inconsistent("ops", f"ops must hold at most {MAX_OPS} ops, got {len(raw)}")
        return [_op(i, o) for i, o in enumerate(raw)]

    @model_validator(mode="after")
    def _fits(self):
        img = self.image
        for i, o in enumerate(self.ops):
            if isinstance(o, CropOp) and o.box is not None:
                top, left, h, w = o.box
                if h > img.height or w > img.width or top + h > img.height or left + w > img.width:
                    raise inconsistent(
                        f"ops[{i}].box",
                        f"op {i + 1} (crop): box must lie inside the {img.height}×{img.width} "
                        f"picture (top + height ≤ {img.height}, left + width ≤ {img.width}), got {list(o.box)}: "
                        "augmentation never invents pixels beyond the edge",
                    )
        if self.random is not None:
            most = MAX_VALUES // img.count() - 2  # the original and the output travel too
            if self.random.n > most:
                raise inconsistent(
                    "random.n",
                    f"random.n must be from 1 to {max(most, 0)} for a {img.channels}×{img.height}×{img.width} "
                    f"picture (an answer holds at most {MAX_VALUES:,} numbers), got {self.random.n}",
                )
        return self


# ---------------------------------------------------------------- the answer's meta


class AugmentMeta(BaseModel):
    shape: tuple[int, int, int]  # (C, H, W) of the picture and of every result
    source: str  # the preset's name, or "values"
    applied: list[dict]  # ops as applied: every default filled in, a crop's box in pixels
    variants: list[list[dict]] | None  # each random variant's ops as drawn and applied
    seed: int | None
    ranges: dict | None  # the random ranges used


# ---------------------------------------------------------------- the handler


def picture(img: AugmentImage) -> np.ndarray:
    """The request's picture (C, H, W) from 0 to 1."""
    if img.values is not None:
        return np.asarray(img.values, np.float32).reshape(img.channels, img.height, img.width)  # (C, H, W)
    return pictures.input_image(img.preset, img.height, img.width, img.channels)  # (C, H, W), 0..1 for these presets


@answers("augment.run", "augment.result")
def augment_run(p: AugmentRunParams) -> Answer:
    x = picture(p.image)  # (C, H, W)
    out, applied = x, []
    for i, op in enumerate(p.ops):
        try:
            out, used = augment.apply(out, [op.model_dump(exclude_none=True)])  # (C, H, W)
        except ArgumentError as exc:  # the models check what the engine checks; if it still refuses, name the op
            raise Problem("invalid", f"ops[{i}].{exc.argument}", f"op {i + 1} ({op.op}): {exc}") from None
        applied += used
    arrays = {"image": x, "output": out}
    variants = seed = ranges = None
    if p.random is not None:
        r = p.random
        ranges = r.ranges()
        try:
            arrays["variants"], variants = augment.random_augment(x, list(r.ops), r.seed, r.n, **ranges)  # (n, C, H, W)
        except ArgumentError as exc:
            raise Problem("invalid", f"random.{exc.argument}", f"random: {exc}") from None
        seed = r.seed
    meta = AugmentMeta(
        shape=x.shape, source=p.image.preset or "values", applied=applied, variants=variants, seed=seed, ranges=ranges
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "augment", (augment_run,), widgets=(Widget("augment", "Data augmentation", (*LAYER_CSS, "css/augment.css")),)
)
