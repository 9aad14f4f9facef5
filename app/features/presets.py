"""input.preset, kernel.preset and image.upload: the pictures and kernels a page starts from.

The pictures and kernels themselves are made by app.features.pictures; this module
checks the requests and lays the grids out for the wire.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from ..core.errors import Problem
from ..core.feature import Answer, Feature, answers
from ..core.limits import LIMITS, MAX_UPLOAD_BYTES, MAX_UPLOAD_CHARS
from ..core.models import Channels, KernelSize, Params, Seed, Size, inconsistent, whole
from . import pictures

# What a chip or menu calls each input preset (the names are the model's; see LABELS in app.pages).
INPUT_LABELS = {
    "x": "X",
    "o": "O",
    "digit": "7",
    "vertical_edge": "Vertical edge",
    "horizontal_edge": "Horizontal edge",
    "checkerboard": "Checkerboard",
    "photo": "Photo",
    "seed001": "Seed 001",
    "seed002": "Seed 002",
    "seed003": "Seed 003",
    "random": "Random values",
    "zeros": "Blank",
}
# What the kernel menu calls each kernel preset.
KERNEL_LABELS = {
    "identity": "Identity",
    "box_blur": "Box blur",
    "gaussian": "Gaussian blur",
    "sharpen": "Sharpen",
    "sobel_x": "Sobel x",
    "sobel_y": "Sobel y",
    "prewitt_x": "Prewitt x",
    "prewitt_y": "Prewitt y",
    "laplacian": "Laplacian",
    "emboss": "Emboss",
    "vertical_edge": "Vertical edge",
    "horizontal_edge": "Horizontal edge",
    "diagonal_down": "Diagonal ↘ (X feature)",
    "diagonal_up": "Diagonal ↗ (X feature)",
    "cross": "Cross",
    "xo_set": "X/O set (3 filters)",
    "seed001": "Seed 001 (2×2)",
    "seed001_detector": "Seed 001 detector",
    "seed002": "Seed 002 (two 3×3×3 filters)",
    "random": "Random",
}


class InputPresetParams(Params):
    name: Literal[tuple(pictures.INPUTS)]
    height: Size = 9
    width: Size = 9
    channels: Channels = 1
    seed: Seed = 0
    cells: whole(1, 32) = Field(2, description="squares along each side of the checkerboard")
    # For `random`: values from −spread to spread, rounded to `decimals` places when given
    # (short numbers read from the back row of a lecture hall).
    spread: Annotated[float, Field(strict=True, ge=0.001, le=1000, allow_inf_nan=False)] = 1.0
    decimals: whole(0, 6) | None = None


class KernelPresetParams(Params):
    name: Literal[tuple(pictures.KERNELS)]
    size: KernelSize = 3
    channels: Channels = 1
    filters: whole(1, LIMITS.filters) = 1
    seed: Seed = 0


class ImageUploadParams(Params):
    data: str = Field(
        min_length=1, max_length=MAX_UPLOAD_CHARS, description="(base64 of a PNG or JPEG file of at most 4 MB)"
    )
    height: Size = 64
    width: Size = 64
    channels: Literal[1, 3] = 1
    # The grid's longer side; the shorter one follows the picture's shape (a 600×400 photo at 42 is 42×28).
    # Without it the picture is stretched to height × width, as before.
    size: Size | None = Field(None, description="cells along the picture's longer side, its aspect ratio kept")

    @model_validator(mode="after")
    def _one_way_to_size(self):
        if self.size is not None and self.model_fields_set & {"height", "width"}:
            raise inconsistent(
                "size",
                "size sets the longer side and keeps the picture's shape, so it cannot come with height or "
                f"width; send size alone (1 to {LIMITS.size}), or height and width to stretch the picture to them",
            )
        return self


class InputValuesMeta(BaseModel):
    name: str
    channels: int
    height: int
    width: int


class UploadMeta(InputValuesMeta):
    source_height: int  # the picture's own size in pixels, upright (after its EXIF rotation)
    source_width: int
    aspect_kept: bool  # the grid has the picture's shape (to within a cell's rounding)


class KernelValuesMeta(BaseModel):
    name: str
    filters: int
    channels: int
    height: int
    width: int


def _input_values(name: str, values: np.ndarray) -> Answer:
    c, h, w = values.shape
    meta = InputValuesMeta(name=name, channels=c, height=h, width=w)
    return Answer(meta.model_dump(), {"values": values})


@answers("input.preset", "input.values")
def input_preset(p: InputPresetParams) -> Answer:
    values = pictures.input_image(
        p.name, p.height, p.width, p.channels, p.seed, p.cells, p.spread, p.decimals
    )  # (C, H, W)
    return _input_values(p.name, values)


@answers("kernel.preset", "kernel.values")
def kernel_preset(p: KernelPresetParams) -> Answer:
    w, b = pictures.kernel(p.name, p.size, p.channels, p.filters, p.seed)  # (F, C, K, K), (F,)
    f, c, kh, kw = w.shape
    meta = KernelValuesMeta(name=p.name, filters=f, channels=c, height=kh, width=kw)
    return Answer(meta.model_dump(), {"values": w, "bias": b})


@answers("image.upload", "input.values")
def image_upload(p: ImageUploadParams) -> Answer:
    text = p.data.split(",", 1)[1] if p.data.startswith("data:") else p.data  # a data: URL as FileReader makes it
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Problem(
            "invalid",
            "data",
            "data must be the picture's file in base64 (letters, digits, + and /), but it is not valid base64",
        ) from None
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem("invalid", "data", f"data must be a file of at most 4 MB, got {len(data) / 2**20:.1f} MB")
    values, (source_h, source_w) = pictures.upload(data, p.height, p.width, p.channels, p.size)  # (C, H, W)
    c, h, w = values.shape
    meta = UploadMeta(
        name="upload",
        channels=c,
        height=h,
        width=w,
        source_height=source_h,
        source_width=source_w,
        aspect_kept=p.size is not None or pictures.same_shape((h, w), (source_h, source_w)),
    )
    return Answer(meta.model_dump(), {"values": values})


FEATURE = Feature("presets", (input_preset, kernel_preset, image_upload))
