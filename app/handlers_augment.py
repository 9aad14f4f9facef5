"""augment.run: the picture, the ops applied in order, and n seeded random variants, from engine.augment.

No math here: the picture comes from app.presets, every pixel of every result
from engine.augment; this module walks the ops and names the one the engine
refuses, by position.
"""

from __future__ import annotations

import numpy as np

from engine import augment

from . import presets, wire
from .protocol import ANSWERS, Problem
from .protocol_augment import AugmentImage, AugmentMeta, AugmentRunParams


def picture(img: AugmentImage) -> np.ndarray:
    """The request's picture (C, H, W) from 0 to 1."""
    if img.values is not None:
        return np.asarray(img.values, np.float32).reshape(img.channels, img.height, img.width)  # (C, H, W)
    return presets.input_image(img.preset, img.height, img.width, img.channels)  # (C, H, W), 0..1 for these presets


def augment_run(id: int, p: AugmentRunParams) -> bytes:
    x = picture(p.image)  # (C, H, W)
    out, applied = x, []
    for i, op in enumerate(p.ops):
        try:
            out, used = augment.apply(out, [op.model_dump(exclude_none=True)])  # (C, H, W)
        except ValueError as exc:
            name = str(exc).split(" ", 1)[0]
            raise Problem("invalid", f"ops[{i}].{name}", f"op {i + 1} ({op.op}): {exc}") from None
        applied += used
    arrays = {"image": x, "output": out}
    variants = seed = ranges = None
    if p.random is not None:
        r = p.random
        ranges = r.ranges()
        try:
            arrays["variants"], variants = augment.random_augment(x, list(r.ops), r.seed, r.n, **ranges)  # (n, C, H, W)
        except ValueError as exc:
            raise Problem("invalid", f"random.{str(exc).split(' ', 1)[0]}", f"random: {exc}") from None
        seed = r.seed
    meta = AugmentMeta(shape=x.shape, source=p.image.preset or "values", applied=applied, variants=variants, seed=seed, ranges=ranges)
    return wire.encode(id, ANSWERS["augment.run"], meta.model_dump(), arrays)
