"""augment.run through the real server: the picture, the ops in order, seeded random variants, and every refusal."""

from __future__ import annotations

import numpy as np
import pytest

from app.features import pictures as presets
from app.features.augment import AugmentMeta
from engine import augment

from ..conftest import assert_explained

PHOTO = {"preset": "photo", "channels": 3, "height": 48, "width": 40}
OPS = [
    {"op": "crop", "scale": 0.7, "x": 0.2, "y": 0.9},
    {"op": "hflip"},
    {"op": "rotate", "angle": 25, "mode": "reflect"},
    {"op": "jitter", "brightness": 1.2, "contrast": 0.8, "saturation": 1.5, "hue": 0.1},
]


def test_the_ops_are_applied_in_order_by_the_engine(page):
    answer = page.ask("augment.run", {"image": PHOTO, "ops": OPS})
    assert answer.type == "augment.result"
    x = presets.input_image("photo", 48, 40, 3)  # (3, 48, 40) the cat
    np.testing.assert_array_equal(answer.arrays["image"], x)
    expected, applied = augment.apply(x, OPS)
    np.testing.assert_array_equal(answer.arrays["output"], expected)
    meta = AugmentMeta.model_validate(answer.meta)
    assert meta.shape == (3, 48, 40) and meta.source == "photo" and meta.variants is None and meta.seed is None
    assert meta.applied == applied
    assert meta.applied[0]["box"] == list(augment.crop_box(x.shape, 0.7, 0.2, 0.9))  # the box in pixels
    assert meta.applied[2] == {"op": "rotate", "angle": 25, "mode": "reflect", "fill": 0}
    assert "variants" not in answer.arrays


def test_no_ops_gives_the_picture_back_and_a_flip_mirrors_it(page):
    answer = page.ask("augment.run", {"image": {"preset": "photo", "channels": 1, "height": 16, "width": 16}})
    np.testing.assert_array_equal(answer.arrays["output"], answer.arrays["image"])
    assert answer.meta["applied"] == [] and answer.arrays["image"].shape == (1, 16, 16)  # the camera, in grey
    values = np.random.default_rng(0).uniform(0, 1, (1, 4, 5)).astype(np.float32)  # (1, 4, 5)
    image = {"channels": 1, "height": 4, "width": 5, "values": values.ravel().tolist()}
    answer = page.ask("augment.run", {"image": image, "ops": [{"op": "hflip"}]})
    np.testing.assert_array_equal(answer.arrays["output"], values[:, :, ::-1])
    assert answer.meta["source"] == "values"


def test_a_crop_box_in_pixels(page):
    answer = page.ask("augment.run", {"image": PHOTO, "ops": [{"op": "crop", "box": [4, 6, 20, 30]}]})
    x = presets.input_image("photo", 48, 40, 3)  # (3, 48, 40)
    np.testing.assert_array_equal(answer.arrays["output"], augment.crop_and_scale(x, 4, 6, 20, 30))
    assert answer.meta["applied"][0]["box"] == [4, 6, 20, 30]


def test_random_variants_are_seeded_and_listed(page):
    params = {
        "image": PHOTO,
        "random": {
            "ops": ["crop", "hflip", "rotate", "jitter"],
            "seed": 5,
            "n": 8,
            "angle": 30,
            "hue": 0.05,
            "mode": "reflect",
        },
    }
    first, again = page.ask("augment.run", params), page.ask("augment.run", params)
    x = presets.input_image("photo", 48, 40, 3)  # (3, 48, 40)
    variants, listed = augment.random_augment(
        x, ["crop", "hflip", "rotate", "jitter"], 5, 8, angle=30, hue=0.05, mode="reflect"
    )
    np.testing.assert_array_equal(first.arrays["variants"], variants)
    np.testing.assert_array_equal(again.arrays["variants"], variants)  # same seed, same eight pictures
    meta = AugmentMeta.model_validate(first.meta)
    assert meta.variants == listed and meta.seed == 5
    assert meta.ranges == {
        "angle": 30,
        "scale": [0.6, 1.0],
        "brightness": 0.3,
        "contrast": 0.3,
        "saturation": 0.3,
        "hue": 0.05,
        "mode": "reflect",
        "fill": 0,
    }
    other = page.ask("augment.run", {**params, "random": {**params["random"], "seed": 6}})
    assert not np.array_equal(other.arrays["variants"], variants)
    np.testing.assert_array_equal(first.arrays["output"], x)  # no ops: the output is the picture


GOOD = {"image": {"preset": "photo", "height": 16, "width": 16}}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {**GOOD, "ops": [{"op": "rotate", "angle": 400}]},
            "ops[0].angle",
            "op 1 (rotate): angle must be from -360 to 360, got 400",
        ),
        (
            {**GOOD, "ops": [{"op": "hflip"}, {"op": "spin"}]},
            "ops[1].op",
            "op 2: op must be one of hflip, vflip, rotate, crop, jitter",
        ),
        (
            {**GOOD, "ops": [{"op": "rotate", "mode": "wrap"}]},
            "ops[0].mode",
            "op 1 (rotate): mode must be 'constant', 'edge' or 'reflect'",
        ),
        (
            {**GOOD, "ops": [{"op": "crop", "scale": 0.05}]},
            "ops[0].scale",
            "op 1 (crop): scale must be from 0.1 to 1, got 0.05",
        ),
        (
            {**GOOD, "ops": [{"op": "crop", "box": [10, 0, 8, 8]}]},
            "ops[0].box",
            "box must lie inside the 16×16 picture",
        ),
        (
            {**GOOD, "ops": [{"op": "jitter", "hue": 0.8}]},
            "ops[0].hue",
            "op 1 (jitter): hue must be from -0.5 to 0.5, got 0.8",
        ),
        (
            {**GOOD, "ops": [{"op": "jitter", "brightness": -1}]},
            "ops[0].brightness",
            "brightness must be from 0 to 5, got -1",
        ),
        ({**GOOD, "ops": [{"op": "hflip", "angle": 3}]}, "ops[0].angle", "angle is not a parameter of a hflip op"),
        ({**GOOD, "ops": [{"op": "hflip"}] * 9}, "ops", "ops must hold at most 8 ops, got 9"),
        ({**GOOD, "ops": "hflip"}, "ops", "ops must be a list of up to 8 ops"),
        ({**GOOD, "random": {"ops": ["hflip", "hflip"]}}, "random.ops", "random.ops must name each op at most once"),
        (
            {**GOOD, "random": {"ops": ["twist"]}},
            "random.ops",
            "random.ops must be 'hflip', 'vflip', 'rotate', 'crop' or 'jitter'",
        ),
        (
            {**GOOD, "random": {"ops": []}},
            "random.ops",
            "random.ops must name at least one op to draw: hflip, vflip, rotate, crop, jitter",
        ),
        ({**GOOD, "random": {"ops": ["crop"], "n": 17}}, "random.n", "random.n must be from 1 to 16, got 17"),
        ({**GOOD, "random": {"ops": ["crop"], "scale": [0.9, 0.5]}}, "random.scale", "smallest first"),
        (
            {**GOOD, "random": {"ops": ["crop"], "angle": 200}},
            "random.angle",
            "random.angle must be from 0 to 180, got 200",
        ),
        (
            {"image": {"preset": "photo", "height": 256, "width": 256}, "random": {"ops": ["crop"], "n": 8}},
            "random.n",
            "random.n must be from 1 to 3 for a 3×256×256 picture",
        ),
        ({"image": {"preset": "x"}}, "image.preset", "image.preset must be 'photo' or 'digit'"),
        ({"image": {"height": 4}}, "image.preset", 'image needs a preset ("photo" or "digit") or values, and not both'),
        (
            {"image": {"channels": 1, "height": 2, "width": 2, "values": [0, 1, 2, 0]}},
            "image.values",
            "image.values must hold finite numbers from 0 to 1, got 2 at position 2",
        ),
        (
            {"image": {"channels": 1, "height": 2, "width": 2, "values": [0, 1]}},
            "image.values",
            "image.values must hold 4 numbers",
        ),
        ({"image": {"preset": "photo", "channels": 2}}, "image.channels", "image.channels must be 1 or 3"),
    ],
)
def test_refusals_name_the_field_and_its_range(page, params, field, message):
    assert_explained(page, "augment.run", params, "invalid", field, message)
