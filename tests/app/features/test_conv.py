"""conv.run and conv.trace through the real server: the engine's numbers, shapes and sentences, and every refusal."""

from __future__ import annotations

import dataclasses
import json
from itertools import product

import numpy as np
import pytest

from app.core import limits as core_limits
from app.features import conv as conv_feature
from engine import conv2d, shapes, trace
from engine.pad import pad

from ..conftest import SEED001_K, SEED001_X, assert_explained, assert_still_answers, grid_params, ok_params

# ---------------------------------------------------------------- conv.run


def test_seed001_true_convolution(page):
    answer = page.ask("conv.run", ok_params())
    assert answer.type == "conv.result"
    np.testing.assert_array_equal(answer.arrays["output"], [[[45, 110], [40, 40]]])
    np.testing.assert_array_equal(answer.arrays["weights"], SEED001_K[:, :, ::-1, ::-1])  # flipped, as multiplied
    np.testing.assert_array_equal(answer.arrays["padded"], SEED001_X)
    np.testing.assert_array_equal(answer.arrays["bias"], [0])
    meta = answer.meta
    assert meta["output_shape"] == [1, 2, 2] and meta["fits"] is True and meta["problem"] is None
    assert meta["suggestions"] == {}
    assert meta["params"] == {"weights": 4, "bias": 1, "total": 5, "formula": "(2×2×1 + 1)×1"}
    assert {a["dtype"] for a in answer.header["arrays"]} == {"float32"}


def test_seed004_stride_3_does_not_fit_and_says_why(page):
    x = np.arange(49, dtype=np.float32).reshape(1, 7, 7)  # (1, 7, 7)
    w = np.ones((1, 1, 3, 3), np.float32)  # (1, 1, 3, 3)
    answer = page.ask("conv.run", grid_params(x, w, stride=[3, 3]))
    meta = answer.meta
    assert meta["fits"] is False
    assert meta["problem"] == "(7 − 3)/3 + 1 = 2.33: a 3×3 filter at stride 3 does not fit a 7×7 input"
    assert meta["suggestions"]["height"] == {"stride": 2, "padding": 1, "kernel": 4}
    assert meta["suggestions"] == shapes.window_output((7, 7), (3, 3), (3, 3)).suggestions()
    assert meta["output_shape"] == [1, 2, 2]  # floored, as frameworks do
    np.testing.assert_array_equal(answer.arrays["output"], conv2d(x[None], w, stride=3)[0])
    height = meta["axes"]["height"]
    assert height == {
        "n": 7,
        "k": 3,
        "s": 3,
        "pad_before": 0,
        "pad_after": 0,
        "d": 1,
        "span": 4,
        "exact": "7/3",
        "size": 2,
        "whole": False,
        "leftover": 1,
        "formula": "(7 − 3)/3 + 1 = 2.33",
    }


SETTINGS = [
    dict(
        C=3, F=1, H=7, W=7, K=(3, 3), stride=[1, 1], padding=[0, 0, 0, 0], dilation=[1, 1], pad_mode="zeros", flip=False
    ),
    dict(
        C=3, F=2, H=9, W=8, K=(3, 2), stride=[2, 1], padding=[1, 0, 2, 1], dilation=[1, 2], pad_mode="zeros", flip=True
    ),
    dict(
        C=2,
        F=4,
        H=10,
        W=11,
        K=(5, 5),
        stride=[3, 2],
        padding=[2, 2, 2, 2],
        dilation=[1, 1],
        pad_mode="reflect",
        flip=False,
    ),
    dict(
        C=1,
        F=16,
        H=12,
        W=6,
        K=(2, 4),
        stride=[1, 3],
        padding=[3, 1, 0, 2],
        dilation=[2, 1],
        pad_mode="replicate",
        flip=True,
    ),
    dict(
        C=3,
        F=3,
        H=40,
        W=33,
        K=(11, 11),
        stride=[8, 8],
        padding=[10, 10, 10, 10],
        dilation=[1, 1],
        pad_mode="zeros",
        flip=False,
    ),
]


@pytest.mark.parametrize("s", SETTINGS, ids=[f"setting{i}" for i in range(len(SETTINGS))])
def test_conv_run_equals_the_engine(page, s):
    rng = np.random.default_rng(len(str(s)))
    x = rng.uniform(-5, 5, (s["C"], s["H"], s["W"])).astype(np.float32)  # (C, H, W)
    w = rng.standard_normal((s["F"], s["C"], *s["K"])).astype(np.float32)  # (F, C, KH, KW)
    b = rng.standard_normal(s["F"]).astype(np.float32)  # (F,)
    settings = {k: s[k] for k in ("stride", "padding", "dilation", "pad_mode", "flip")}
    answer = page.ask("conv.run", grid_params(x, w, b, **settings))
    engine_args = dict(settings, stride=tuple(s["stride"]), padding=tuple(s["padding"]), dilation=tuple(s["dilation"]))
    y = conv2d(x[None], w, b, **engine_args)[0]  # (F, OH, OW)
    np.testing.assert_array_equal(answer.arrays["output"], y)
    np.testing.assert_array_equal(answer.arrays["padded"], pad(x[None], tuple(s["padding"]), s["pad_mode"])[0])
    np.testing.assert_array_equal(answer.arrays["weights"], w[:, :, ::-1, ::-1] if s["flip"] else w)
    np.testing.assert_array_equal(answer.arrays["bias"], b)

    out = shapes.window_output((s["H"], s["W"]), s["K"], tuple(s["stride"]), tuple(s["padding"]), tuple(s["dilation"]))
    meta = conv_feature.ConvResultMeta.model_validate(answer.meta)  # the documented shape
    assert list(meta.output_shape) == [s["F"], *out.shape] == list(y.shape)
    assert meta.fits == out.whole and meta.problem == out.problem() and meta.suggestions == out.suggestions()
    assert meta.axes["width"].formula == out.cols.formula() and meta.axes["height"].span == out.rows.span
    assert meta.params.total == shapes.conv_params(s["K"], s["C"], s["F"]) == meta.params.weights + meta.params.bias
    top, _, left, _ = s["padding"]
    assert answer.meta["ranges"]["height"] == shapes.conv_ranges(
        s["H"], s["K"][0], s["stride"][0], top, s["dilation"][0]
    )
    assert answer.meta["ranges"]["width"] == shapes.conv_ranges(
        s["W"], s["K"][1], s["stride"][1], left, s["dilation"][1]
    )
    assert meta.limits == dataclasses.asdict(shapes.Limits())


def test_largest_setting_runs(page):
    x = np.random.default_rng(1).uniform(0, 1, (3, 256, 256)).astype(np.float32)  # (3, 256, 256)
    w = np.random.default_rng(2).uniform(-1, 1, (16, 3, 11, 11)).astype(np.float32)  # (16, 3, 11, 11)
    answer = page.ask("conv.run", grid_params(x, w, padding=[10] * 4, dilation=[5, 5]))
    y = conv2d(x[None], w, padding=10, dilation=5)[0]  # (16, 226, 226)
    np.testing.assert_array_equal(answer.arrays["output"], y)


# ---------------------------------------------------------------- conv.trace


def test_trace_of_seed001_first_step(page):
    answer = page.ask("conv.trace", dict(ok_params(), count=4))
    assert answer.type == "conv.trace"
    assert answer.meta == {"filter": 0, "start": 0, "count": 4, "steps_total": 4, "output_shape": [1, 2, 2]}
    a = answer.arrays
    np.testing.assert_array_equal(a["result"], [45, 110, 40, 40])
    np.testing.assert_array_equal(a["window"][0, 0], [[0, 80], [20, 40]])
    np.testing.assert_array_equal(a["products"][0, 0], [[0, 40], [5, 0]])  # 1×0 + 0.5×80 + 0.25×20 + 0×40
    np.testing.assert_array_equal(a["running_sum"][0], [0, 40, 45, 45])
    dtypes = {e["name"]: e["dtype"] for e in answer.header["arrays"]}
    assert dtypes == {
        "out_index": "int32",
        "origin": "int32",
        "window": "float32",
        "is_pad": "uint8",
        "products": "float32",
        "channel_sums": "float32",
        "running_sum": "float32",
        "bias": "float32",
        "result": "float32",
    }


@pytest.mark.parametrize("f, start, count", [(0, 0, 1), (2, 5, 7), (1, 30, 4096), (2, 41, 1)])
def test_trace_steps_equal_the_engine_trace_of_that_filter(page, f, start, count):
    rng = np.random.default_rng(f + start)
    x = rng.uniform(-1, 1, (2, 8, 7)).astype(np.float32)  # (2, 8, 7)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)  # (3, 2, 3, 3)
    b = rng.standard_normal(3).astype(np.float32)  # (3,)
    settings = dict(stride=[1, 1], padding=[1, 1, 0, 2], dilation=[1, 1], pad_mode="replicate", flip=True)
    answer = page.ask("conv.trace", dict(grid_params(x, w, b, **settings), filter=f, start=start, count=count))
    engine_args = dict(settings, stride=(1, 1), padding=(1, 1, 0, 2), dilation=(1, 1))
    full = trace.conv2d_trace(x[None], w, b, **engine_args)  # every step of every filter
    y = conv2d(x[None], w, b, **engine_args)[0]  # (3, OH, OW)
    steps = y.shape[1] * y.shape[2]
    stop = min(steps, start + count)
    assert answer.meta == {
        "filter": f,
        "start": start,
        "count": stop - start,
        "steps_total": steps,
        "output_shape": list(y.shape),
    }
    mine = slice(f * steps + start, f * steps + stop)  # the full trace runs filter by filter
    for name in (
        "out_index",
        "origin",
        "window",
        "is_pad",
        "products",
        "channel_sums",
        "running_sum",
        "bias",
        "result",
    ):
        np.testing.assert_array_equal(answer.arrays[name], full.arrays()[name][mine], err_msg=name)
    np.testing.assert_allclose(answer.arrays["result"], y[f].ravel()[start:stop], rtol=1e-5, atol=1e-5)


def test_trace_of_a_large_input_sends_only_the_asked_steps(page):
    x = np.random.default_rng(3).uniform(0, 1, (3, 256, 256)).astype(np.float32)  # (3, 256, 256)
    w = np.random.default_rng(4).uniform(-1, 1, (4, 3, 11, 11)).astype(np.float32)  # (4, 3, 11, 11)
    answer = page.ask("conv.trace", dict(grid_params(x, w, padding=[5] * 4), filter=3, start=60000, count=4096))
    assert answer.meta["steps_total"] == 256 * 256 and answer.meta["count"] == 4096
    assert answer.arrays["window"].shape == (4096, 3, 11, 11)
    y = conv2d(x[None], w, padding=5)[0, 3].ravel()  # (65536,)
    np.testing.assert_allclose(answer.arrays["result"], y[60000:64096], rtol=1e-4, atol=1e-4)
    assert (answer.arrays["out_index"][:, 0] == 3).all()


# ---------------------------------------------------------------- refusals


def conv(**change) -> dict:
    """Valid conv.run params (3×5×5 input, one 3×3×3 filter) with some keys changed."""
    params = grid_params(np.ones((3, 5, 5), np.float32), np.ones((1, 3, 3, 3), np.float32))
    for key, value in change.items():
        if "." in key:
            outer, inner = key.split(".")
            params[outer] = dict(params[outer], **{inner: value})
        elif value is None:
            params.pop(key)
        else:
            params[key] = value
    return params


BAD = [
    # (type, params, code, field, exact message or a fragment of it)
    ("conv.run", conv(stride=[12, 1]), "invalid", "stride", "stride must be from 1 to 8, got 12 for the height"),
    ("conv.run", conv(stride=[1, 0]), "invalid", "stride", "stride must be from 1 to 8, got 0 for the width"),
    ("conv.run", conv(stride=[1, 1, 1]), "invalid", "stride", "stride must hold 2 numbers [height, width], got 3"),
    ("conv.run", conv(stride=2), "invalid", "stride", "stride must be a list [height, width], got 2"),
    (
        "conv.run",
        conv(padding=[0, 0, 11, 0]),
        "invalid",
        "padding",
        "padding must be from 0 to 10, got 11 for the left",
    ),
    ("conv.run", conv(padding=[-1, 0, 0, 0]), "invalid", "padding", "padding must be from 0 to 10, got -1 for the top"),
    ("conv.run", conv(dilation=[6, 1]), "invalid", "dilation", "dilation must be from 1 to 5, got 6 for the height"),
    (
        "conv.run",
        conv(**{"input.height": 257}),
        "invalid",
        "input.height",
        "input.height must be from 1 to 256, got 257",
    ),
    ("conv.run", conv(**{"input.width": 0}), "invalid", "input.width", "input.width must be from 1 to 256, got 0"),
    (
        "conv.run",
        conv(**{"input.channels": 4}),
        "invalid",
        "input.channels",
        "input.channels must be from 1 to 3, got 4",
    ),
    (
        "conv.run",
        conv(**{"kernels.height": 12}),
        "invalid",
        "kernels.height",
        "kernels.height must be from 1 to 11, got 12",
    ),
    (
        "conv.run",
        conv(**{"kernels.filters": 17}),
        "invalid",
        "kernels.filters",
        "kernels.filters must be from 1 to 16, got 17",
    ),
    (
        "conv.run",
        conv(**{"input.height": 2.5}),
        "invalid",
        "input.height",
        "input.height must be a whole number from 1 to 256, got 2.5",
    ),
    (
        "conv.run",
        conv(**{"input.height": "5"}),
        "invalid",
        "input.height",
        'input.height must be a whole number from 1 to 256, got "5"',
    ),
    (
        "conv.run",
        conv(**{"kernels.values": [1] * 26}),
        "invalid",
        "kernels.values",
        "kernels.values must hold 27 numbers (filters × channels × height × width = 1 × 3 × 3 × 3), got 26",
    ),
    (
        "conv.run",
        conv(**{"input.values": [1] * 74}),
        "invalid",
        "input.values",
        "input.values must hold 75 numbers (channels × height × width = 3 × 5 × 5), got 74",
    ),
    (
        "conv.run",
        conv(**{"input.values": [1] * 10 + [2e6] + [1] * 64}),
        "invalid",
        "input.values",
        "input.values must hold finite numbers from -1000000 to 1000000, got 2000000.0 at position 10",
    ),
    ("conv.run", conv(**{"input.values": [1] * 74 + ["a"]}), "invalid", "input.values", 'got "a" at position 74'),
    (
        "conv.run",
        conv(**{"kernels.channels": 1}),
        "invalid",
        "kernels.channels",
        "kernels.channels must equal the input's channels (3), got 1: a filter spans every input channel",
    ),
    ("conv.run", conv(bias=[0, 1]), "invalid", "bias", "bias must hold 1 number (one per filter), got 2"),
    ("conv.run", conv(flip="yes"), "invalid", "flip", 'flip must be true or false, got "yes"'),
    (
        "conv.run",
        conv(pad_mode="circular"),
        "invalid",
        "pad_mode",
        "pad_mode must be 'zeros', 'reflect' or 'replicate', got \"circular\"",
    ),
    ("conv.run", conv(input=None), "invalid", "input", "input is required: {channels, height, width, values}"),
    ("conv.run", conv(input=7), "invalid", "input", "input must be an object {channels, height, width, values}, got 7"),
    (
        "conv.run",
        conv(strides=[2, 2]),
        "invalid",
        "strides",
        "strides is not a parameter of conv.run; it takes input, kernels, bias",
    ),
    (
        "conv.run",
        conv(**{"kernels.height": 6, "kernels.values": [1] * 54}),
        "does_not_fit",
        "kernels",
        "a 6×3 filter is larger than the 5×5 input, so there is no position for it",
    ),
    (
        "conv.run",
        conv(dilation=[3, 3]),
        "does_not_fit",
        "kernels",
        "a 3×3 filter (dilated to 7×7) is larger than the 5×5 input",
    ),
    (
        "conv.run",
        conv(padding=[5, 5, 0, 0], pad_mode="reflect"),
        "invalid",
        "padding",
        "padding must be smaller than the input size (5) for reflect padding, got 5",
    ),
    ("conv.trace", conv(filter=1), "invalid", "filter", "filter must be from 0 to 0 (there is 1 filter), got 1"),
    ("conv.trace", conv(filter=16), "invalid", "filter", "filter must be from 0 to 15, got 16"),
    ("conv.trace", conv(count=4097), "invalid", "count", "count must be from 1 to 4096, got 4097"),
    ("conv.trace", conv(count=0), "invalid", "count", "count must be from 1 to 4096, got 0"),
    ("conv.trace", conv(start=9), "invalid", "start", "start must be from 0 to 8, got 9"),
    ("conv.trace", conv(start=-1), "invalid", "start", "start must be from 0 to 2147483647, got -1"),
]


@pytest.mark.parametrize(
    "type_name, params, code, field, message", BAD, ids=[f"{b[0]}-{b[3]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_params_are_explained_and_the_socket_stays_open(page, type_name, params, code, field, message):
    assert_explained(page, type_name, params, code, field, message)


def test_envelope_errors(page):
    cases = [
        ("not json", {"id": None, "code": "bad_json", "field": None}),
        ("[1, 2]", {"id": None, "code": "bad_json", "field": None}),
        ('"text"', {"id": None, "code": "bad_json", "field": None}),
        (json.dumps({"type": "conv.run", "params": {}}), {"id": None, "code": "invalid", "field": "id"}),
        (json.dumps({"id": 0, "type": "conv.run"}), {"id": None, "code": "invalid", "field": "id"}),
        (json.dumps({"id": 5, "type": "conv.jump", "params": {}}), {"id": 5, "code": "unknown_type", "field": "type"}),
        (json.dumps({"id": 6, "params": {}}), {"id": 6, "code": "invalid", "field": "type"}),
        (json.dumps({"id": 7, "type": "conv.run", "params": [1]}), {"id": 7, "code": "invalid", "field": "params"}),
        (json.dumps({"id": 8, "type": "conv.run"}), {"id": 8, "code": "invalid", "field": "input"}),
        ("[" * 100_000 + "]" * 100_000, {"id": None, "code": "bad_json", "field": None}),
    ]
    for text, expected in cases:
        page.ws.send(text)
        answer = page.recv().header
        assert answer["type"] == "error" and {k: answer[k] for k in expected} == expected, (text[:40], answer)
        assert answer["message"] and "Input should" not in answer["message"]
        assert_still_answers(page)
    page.ws.send(b"\xff\xfe not utf-8")  # a binary frame that is not JSON
    assert page.recv().header["code"] == "bad_json"
    page.ws.send(
        json.dumps({"id": 9, "type": "kernel.preset", "params": {"name": "sobel_x"}}).encode()
    )  # JSON as bytes is fine
    assert page.recv().header["type"] == "kernel.values"


def test_every_bound_in_the_models_comes_from_the_engine_limits():
    limits = shapes.Limits()
    schema = json.dumps(conv_feature.ConvTraceParams.model_json_schema())
    for name, hi in [
        ("size", limits.size),
        ("kernel", limits.kernel),
        ("stride", limits.stride),
        ("padding", limits.padding),
        ("dilation", limits.dilation),
        ("filters", limits.filters),
    ]:
        assert f'"maximum": {hi}' in schema, name
    assert core_limits.limits() == dataclasses.asdict(limits)


@pytest.mark.parametrize("kh, kw", list(product([1, 3], [2, 5])))
def test_params_meta_counts_like_the_layer_table(page, kh, kw):
    x = np.ones((2, 6, 6), np.float32)  # (2, 6, 6)
    w = np.ones((3, 2, kh, kw), np.float32)  # (3, 2, KH, KW)
    meta = page.ask("conv.run", grid_params(x, w)).meta
    row = shapes.layer_table((2, 6, 6), [{"type": "conv", "filters": 3, "kernel": (kh, kw)}])[0]
    assert meta["params"] == {"weights": kh * kw * 2 * 3, "bias": 3, "total": row.params, "formula": row.formula}
