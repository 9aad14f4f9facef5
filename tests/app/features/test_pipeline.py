"""pipeline.run through the real server: every map equals the engine's ops run in sequence and PyTorch;
shapes, formulas and parameter counts are engine.shapes'; every refusal names its stage and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as tf
from pydantic import ValidationError

from app.core.errors import explain
from app.features import pictures as presets
from app.features.grids import axis_meta
from app.features.pipeline import MAX_MAP_VALUES, MAX_WORK, PipelineResultMeta, PipelineRunParams
from engine import conv2d, shapes
from engine.activations import activation
from engine.pool import avg_pool2d, max_pool2d

from ..conftest import assert_explained

ROOT = Path(__file__).resolve().parents[3]

# ---------------------------------------------------------------- building requests and expectations


def grid(x: np.ndarray) -> dict:
    """The `input` param from an engine array x (C, H, W)."""
    return {"channels": x.shape[0], "height": x.shape[1], "width": x.shape[2], "values": x.ravel().tolist()}


def conv(
    w: np.ndarray, b: np.ndarray | None = None, stride=(1, 1), padding=(0, 0, 0, 0), channels: bool = False
) -> dict:
    """A conv stage from weights w (F, C, KH, KW)."""
    kernels = {"filters": w.shape[0], "height": w.shape[2], "width": w.shape[3], "values": w.ravel().tolist()}
    if channels:
        kernels["channels"] = w.shape[1]
    stage = {"kind": "conv", "kernels": kernels, "stride": list(stride), "padding": list(padding)}
    if b is not None:
        stage["bias"] = b.tolist()
    return stage


def act(name: str, param: float | None = None) -> dict:
    return {"kind": "act", "name": name, **({} if param is None else {"param": param})}


def pool(mode: str = "max", kernel=(2, 2), stride=(2, 2)) -> dict:
    return {"kind": "pool", "mode": mode, "kernel": list(kernel), "stride": list(stride)}


def engine_maps(x: np.ndarray, stages: list[dict]) -> list[np.ndarray]:
    """The engine's ops applied in sequence, as a reader would chain them by hand: [x, y1, ..., yN], each (C, H, W)."""
    maps = [x]
    y = x[None]  # (1, C, H, W)
    for s in stages:
        if s["kind"] == "conv":
            k = s["kernels"]
            w = np.array(k["values"], np.float32).reshape(
                k["filters"], y.shape[1], k["height"], k["width"]
            )  # (F, C, KH, KW)
            b = np.array(s.get("bias") or [0] * k["filters"], np.float32)  # (F,)
            y = conv2d(y, w, b, stride=tuple(s["stride"]), padding=tuple(s["padding"]))  # (1, F, OH, OW)
        elif s["kind"] == "act":
            y = activation(s["name"], y, s.get("param"))  # (1, C, H, W)
        elif s["mode"] == "max":
            y = max_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))[0]  # (1, C, OH, OW)
        else:
            y = avg_pool2d(y, tuple(s["kernel"]), tuple(s["stride"]))  # (1, C, OH, OW)
        maps.append(y[0])
    return maps


TORCH_ACT = {
    "relu": lambda t, p: tf.relu(t),
    "leaky_relu": lambda t, p: tf.leaky_relu(t, 0.01 if p is None else p),
    "abs": lambda t, p: t.abs(),
    "sigmoid": lambda t, p: torch.sigmoid(t),
    "tanh": lambda t, p: torch.tanh(t),
    "elu": lambda t, p: tf.elu(t, 1.0 if p is None else p),
    "selu": lambda t, p: tf.selu(t),
}


def torch_maps(x: np.ndarray, stages: list[dict]) -> list[np.ndarray]:
    """The same stack in PyTorch (float64): conv2d on a zero-padded map, the activation, max/avg_pool2d (floored)."""
    y = torch.from_numpy(x[None].astype(np.float64))  # (1, C, H, W)
    maps = [x]
    for s in stages:
        if s["kind"] == "conv":
            k = s["kernels"]
            w = torch.tensor(k["values"], dtype=torch.float64).reshape(
                k["filters"], y.shape[1], k["height"], k["width"]
            )
            b = torch.tensor(s.get("bias") or [0.0] * k["filters"], dtype=torch.float64)
            t, bottom, left, right = s["padding"]
            y = tf.conv2d(tf.pad(y, (left, right, t, bottom)), w, b, stride=tuple(s["stride"]))  # (1, F, OH, OW)
        elif s["kind"] == "act":
            y = TORCH_ACT[s["name"]](y, s.get("param"))
        else:
            op = tf.max_pool2d if s["mode"] == "max" else tf.avg_pool2d
            y = op(y, tuple(s["kernel"]), tuple(s["stride"]))  # (1, C, OH, OW)
        maps.append(y[0].numpy())
    return maps


def run(page, x: np.ndarray, stages: list[dict]):
    answer = page.ask("pipeline.run", {"input": grid(x), "stages": stages})
    assert answer.type == "pipeline.result", answer.header
    return answer


def check_maps(answer, x: np.ndarray, stages: list[dict], atol: float = 1e-4):
    """Every map equals the engine's ops in sequence (exactly) and PyTorch (to float32 rounding); shapes agree with
    meta.
    """
    got = [answer.arrays[f"map{i}"] for i in range(len(stages) + 1)]
    assert set(answer.arrays) == {f"map{i}" for i in range(len(stages) + 1)}
    assert all(m.dtype == np.float32 for m in got)
    for i, (mine, engine, ref) in enumerate(zip(got, engine_maps(x, stages), torch_maps(x, stages))):
        np.testing.assert_array_equal(mine, engine, err_msg=f"map{i} vs the engine")
        np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=atol, err_msg=f"map{i} vs torch")
    assert answer.meta["input_shape"] == list(x.shape)
    assert [s["shape"] for s in answer.meta["stages"]] == [list(m.shape) for m in got[1:]]


def shapes_of(x_shape, stages: list[dict]) -> list:
    """engine.shapes.layer_table's rows for the stack (the oracle for shapes, params and formulas)."""
    layers = []
    for s in stages:
        if s["kind"] == "conv":
            k = s["kernels"]
            layers.append(
                {
                    "type": "conv",
                    "filters": k["filters"],
                    "kernel": (k["height"], k["width"]),
                    "stride": tuple(s["stride"]),
                    "padding": tuple(s["padding"]),
                }
            )
        elif s["kind"] == "act":
            layers.append({"type": "activation"})
        else:
            layers.append({"type": f"{s['mode']}pool", "kernel": tuple(s["kernel"]), "stride": tuple(s["stride"])})
    return shapes.layer_table(x_shape, layers)


# ---------------------------------------------------------------- results


def test_the_x_through_the_xo_filters_relu_and_max_pooling(page):
    """The lecture's picture (seed 002): a 9×9 X, the three 3×3 X/O features, ReLU, 2×2 max pooling."""
    x = presets.input_image("x", 9, 9, 1)  # (1, 9, 9)
    w, b = presets.kernel("xo_set", 3, 1, 3)  # (3, 1, 3, 3), (3,)
    stages = [conv(w, b), act("relu"), pool()]
    answer = run(page, x, stages)
    check_maps(answer, x, stages)
    meta = PipelineResultMeta.model_validate(answer.meta)
    assert [s.shape for s in meta.stages] == [(3, 7, 7), (3, 7, 7), (3, 3, 3)]
    assert [s.params for s in meta.stages] == [shapes.conv_params((3, 3), 1, 3), 0, 0] == [30, 0, 0]
    assert meta.total_params == 30 and meta.stages[0].params_formula == "(3×3×1 + 1)×3"
    assert [s.label for s in meta.stages] == ["conv 3×3, 3 filters, stride 1", "ReLU", "max pool 2×2, stride 2"]
    assert [s.op for s in meta.stages] == ["conv", "ReLU", "max pool"]
    # Per-axis sizing as conv.result and pool.result give it; a 2×2 window at stride 2 leaves a 7×7 map's last row over.
    out = shapes.window_output((7, 7), (2, 2), (2, 2), what="window")
    assert meta.stages[2].formula == {"height": axis_meta(out.rows), "width": axis_meta(out.cols)}
    assert meta.stages[2].fits is False and meta.stages[2].problem == out.problem()
    assert "(7 − 2)/2 + 1 = 3.50" in meta.stages[2].problem
    assert meta.stages[1].formula is None and meta.stages[1].fits and meta.stages[1].problem is None
    assert meta.stages[0].ranges["width"] == shapes.conv_ranges(9, 3, 1, 0, 1)
    assert meta.stages[2].ranges["height"] == shapes.pool_ranges(7, 2, 2)
    assert meta.work == 3 * 7 * 7 * 9 + 3 * 7 * 7 + 3 * 3 * 3 * 4
    # The X lights the two diagonal filters on its strokes: the pooled maps hold their full 9-tap match.
    assert answer.arrays["map3"][0].max() == 9 and answer.arrays["map3"][2].max() == 9


@pytest.mark.parametrize(
    "stage",
    [
        conv(
            np.random.default_rng(1).uniform(-1, 1, (4, 2, 3, 2)).astype(np.float32),
            np.array([0.5, -1, 0, 2], np.float32),
            stride=(2, 1),
            padding=(1, 0, 2, 1),
        ),
        conv(np.random.default_rng(2).uniform(-1, 1, (1, 2, 1, 1)).astype(np.float32), channels=True),
        act("relu"),
        act("leaky_relu", 0.2),
        act("abs"),
        act("sigmoid"),
        act("tanh"),
        act("elu", 3.5),
        act("selu"),
        act("leaky_relu"),
        pool("max", (3, 2), (2, 2)),
        pool("avg", (2, 3), (1, 2)),
        pool("max", (1, 1), (1, 1)),
    ],
    ids=lambda s: s["kind"] + "-" + str(s.get("name") or s.get("mode") or s["kernels"]["filters"]),
)
def test_each_stage_kind_alone(page, stage):
    x = np.random.default_rng(0).uniform(-3, 3, (2, 7, 8)).astype(np.float32)  # (2, 7, 8)
    answer = run(page, x, [stage])
    check_maps(answer, x, [stage])
    row = shapes_of(x.shape, [stage])[0]
    meta = answer.meta["stages"][0]
    assert meta["shape"] == [row.shape[2], row.shape[0], row.shape[1]]  # the table is (H, W, C)
    assert meta["params"] == row.params == answer.meta["total_params"]
    if stage["kind"] == "act":
        default = {"leaky_relu": 0.01, "elu": 1.0}.get(stage["name"])
        assert meta["param"] == stage.get("param", default)


def two_blocks(seed: int, stride, padding, mode, name):
    """conv → act → pool, twice: the second conv spans the first one's filters."""
    rng = np.random.default_rng(seed)
    w1 = rng.uniform(-1, 1, (3, 1, 3, 3)).astype(np.float32)  # (3, 1, 3, 3)
    w2 = rng.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)  # (4, 3, 3, 3) over the 3 maps of the first conv
    b2 = rng.uniform(-1, 1, 4).astype(np.float32)  # (4,)
    return [
        conv(w1, stride=stride, padding=padding),
        act(name),
        pool(mode),
        conv(w2, b2, padding=(1, 1, 1, 1), channels=True),
        act(name),
        pool(mode, (2, 2), (1, 1)),
    ]


@pytest.mark.parametrize(
    "seed, stride, padding, mode, name",
    [
        (0, (1, 1), (0, 0, 0, 0), "max", "relu"),
        (1, (1, 1), (1, 1, 1, 1), "avg", "tanh"),
        (2, (2, 1), (2, 0, 1, 1), "max", "leaky_relu"),
        (3, (1, 2), (0, 0, 0, 0), "avg", "relu"),
    ],
)
def test_two_blocks_equal_the_engine_in_sequence_and_torch(page, seed, stride, padding, mode, name):
    x = np.random.default_rng(10 + seed).uniform(-1, 1, (1, 12, 11)).astype(np.float32)  # (1, 12, 11)
    stages = two_blocks(seed, stride, padding, mode, name)
    answer = run(page, x, stages)
    check_maps(answer, x, stages)
    rows = shapes_of(x.shape, stages)
    assert [s["shape"] for s in answer.meta["stages"]] == [[r.shape[2], r.shape[0], r.shape[1]] for r in rows]
    assert [s["params"] for s in answer.meta["stages"]] == [r.params for r in rows]
    assert [s["params_formula"] for s in answer.meta["stages"]] == [r.formula for r in rows]
    assert answer.meta["stages"][3]["params"] == shapes.conv_params((3, 3), 3, 4) == (3 * 3 * 3 + 1) * 4
    assert answer.meta["total_params"] == 30 + 112
    assert answer.meta["stages"][3]["label"] == "conv 3×3, 4 filters, stride 1, padding 1"


def test_a_deep_stack_of_twelve_stages(page):
    """The most stages a request may hold; channels grow 1 → 2 → 4 → 8 → 16 while the map shrinks."""
    x = np.random.default_rng(5).uniform(-1, 1, (1, 32, 32)).astype(np.float32)  # (1, 32, 32)
    rng = np.random.default_rng(6)
    stages, c = [], 1
    for f in (2, 4, 8, 16):
        stages += [
            conv(rng.uniform(-1, 1, (f, c, 3, 3)).astype(np.float32), padding=(1, 1, 1, 1)),
            act("relu"),
            pool("max"),
        ]
        c = f
    answer = run(page, x, stages)
    check_maps(answer, x, stages, atol=1e-3)
    assert answer.meta["stages"][-1]["shape"] == [16, 2, 2]
    assert answer.meta["total_params"] == sum(
        shapes.conv_params((3, 3), a, b) for a, b in ((1, 2), (2, 4), (4, 8), (8, 16))
    )


# ---------------------------------------------------------------- refusals


X9 = grid(presets.input_image("x", 9, 9, 1))
XO = conv(presets.kernel("xo_set", 3, 1, 3)[0])


def p(*stages, input=X9) -> dict:
    return {"input": input, "stages": list(stages)}


def big_input() -> dict:
    return grid(np.zeros((1, 256, 256), np.float32))


BAD = [
    # Shapes that do not flow: a window larger than the map it gets, the engine's sentence naming the stage.
    (
        p(XO, act("relu"), pool("max", (8, 8), (2, 2))),
        "does_not_fit",
        "stages[2].kernel",
        "stage 3 (pool): an 8×8 window is larger than the 7×7 input, so there is no position for it",
    ),
    (
        p(XO, pool("max", (2, 2), (8, 8)), pool()),
        "does_not_fit",
        "stages[2].kernel",
        "stage 3 (pool): a 2×2 window is larger than the 1×1 input",
    ),
    (
        p(XO, pool(), conv(np.ones((1, 3, 5, 5), np.float32))),
        "does_not_fit",
        "stages[2].kernels",
        "stage 3 (conv): a 5×5 filter is larger than the 3×3 input, so there is no position for it",
    ),
    (
        p(conv(np.ones((1, 1, 11, 11), np.float32), padding=(1, 0, 0, 0))),
        "does_not_fit",
        "stages[0].kernels",
        "stage 1 (conv): an 11×11 filter is larger than the 10×9 padded input",
    ),
    # Channels that do not flow: the second conv must span the first one's 3 filters.
    (
        p(XO, act("relu"), conv(np.ones((2, 1, 3, 3), np.float32), channels=True)),
        "invalid",
        "stages[2].kernels.channels",
        "stage 3 (conv): kernels.channels must equal the channels coming in, 3 (from stage 1's 3 filters), got 1",
    ),
    (
        p(XO, conv(np.ones((2, 1, 3, 3), np.float32))),
        "invalid",
        "stages[1].kernels.values",
        (
            "stage 2 (conv): kernels.values must hold 54 numbers (filters × channels × height × width = 2 × 3 × 3 × 3, "
            "the channels coming in from stage 1's 3 filters), got 18"
        ),
    ),
    (
        p(conv(np.ones((2, 1, 3, 3), np.float32), np.ones(3, np.float32))),
        "invalid",
        "stages[0].bias",
        "stage 1 (conv): bias must hold 2 numbers (one per filter), got 3",
    ),
    # Each stage's own fields, named by position, with the legal range.
    (
        p(XO, act("swish")),
        "invalid",
        "stages[1].name",
        "stage 2 (act): name must be 'relu', 'leaky_relu', 'abs', 'sigmoid', 'tanh', 'elu' or 'selu', got \"swish\"",
    ),
    (
        p(XO, act("leaky_relu", 1.5)),
        "invalid",
        "stages[1].param",
        "stage 2 (act): param (the leaky_relu slope) must be from 0 to 1, got 1.5",
    ),
    (p(XO, act("elu", 11)), "invalid", "stages[1].param", "stage 2 (act): param must be from 0 to 10, got 11"),
    (
        p(XO, pool("max", (2, 2), (1, 12))),
        "invalid",
        "stages[1].stride",
        "stage 2 (pool): stride must be from 1 to 8, got 12 for the width",
    ),
    (p(XO, pool("min")), "invalid", "stages[1].mode", "stage 2 (pool): mode must be 'max' or 'avg', got \"min\""),
    (
        p(dict(XO, stride=[0, 1])),
        "invalid",
        "stages[0].stride",
        "stage 1 (conv): stride must be from 1 to 8, got 0 for the height",
    ),
    (
        p(dict(XO, padding=[0, 0, 11, 0])),
        "invalid",
        "stages[0].padding",
        "stage 1 (conv): padding must be from 0 to 10, got 11 for the left",
    ),
    (
        p(dict(XO, kernels=dict(XO["kernels"], values=[1] * 26 + [float("nan")]))),
        "invalid",
        "stages[0].kernels.values",
        "stage 1 (conv): kernels.values must hold finite numbers from -1000000 to 1000000, got NaN at position 26",
    ),
    (
        p(dict(XO, dilation=[2, 2])),
        "invalid",
        "stages[0].dilation",
        "stage 1 (conv): dilation is not a parameter of a conv stage; it takes kind, kernels, bias, stride, padding",
    ),
    (
        p(XO, {"kind": "dense", "units": 10}),
        "invalid",
        "stages[1].kind",
        "stage 2: kind must be 'conv', 'act' or 'pool', got \"dense\"",
    ),
    (p(XO, {"name": "relu"}), "invalid", "stages[1].kind", "stage 2: kind is required: 'conv', 'act' or 'pool'"),
    (
        p(XO, {"kind": ["act"]}),
        "invalid",
        "stages[1].kind",
        "stage 2: kind must be 'conv', 'act' or 'pool', got [\"act\"]",
    ),
    (p(XO, "relu"), "invalid", "stages[1]", "stage 2: stages[1] must be an object"),
    # The list itself.
    (
        p(*[XO, act("relu"), pool("max", (1, 1), (1, 1))] * 4, act("relu")),
        "invalid",
        "stages",
        "stages must hold 1 to 12 stages, got 13",
    ),
    (p(), "invalid", "stages", "stages must hold 1 to 12 stages, got 0"),
    (
        {"input": X9},
        "invalid",
        "stages",
        "stages is required: a list of 1 to 12 stages, each an object with a kind: conv, act or pool",
    ),
    ({"input": X9, "stages": {"kind": "act"}}, "invalid", "stages", "stages must be a list of 1 to 12 stages"),
    (
        p(act("relu"), input=dict(X9, values=[1] * 80)),
        "invalid",
        "input.values",
        "input.values must hold 81 numbers (channels × height × width = 1 × 9 × 9), got 80",
    ),
    # Too much work for one request: refused before the engine starts, naming `stages`.
    (
        p(
            conv(np.zeros((16, 1, 11, 11), np.float32), padding=(5, 5, 5, 5)),
            conv(np.zeros((16, 16, 4, 4), np.float32)),
            input=big_input(),
        ),
        "invalid",
        "stages",
        f"multiply-adds, and the limit is {MAX_WORK:,}",
    ),
    (
        p(conv(np.zeros((16, 1, 1, 1), np.float32)), input=big_input()),
        "invalid",
        "stages",
        f"stages: this pipeline's maps hold {65536 * 17:,} numbers together, and the limit is {MAX_MAP_VALUES:,}",
    ),
]


@pytest.mark.parametrize("params, code, field, message", BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_pipelines_are_explained_and_the_socket_stays_open(page, params, code, field, message):
    assert_explained(page, "pipeline.run", params, code, field, message)


def test_the_work_bound_is_the_largest_single_convolution():
    assert MAX_WORK == 256 * 256 * 3 * 16 * 11 * 11
    assert MAX_MAP_VALUES == 16 * 256 * 256


def test_explain_names_the_stage_by_its_position():
    """Each stage is checked on its own: left to pydantic, a tagged union's error path reads `stages.pool.stride`."""
    try:
        PipelineRunParams.model_validate(p(XO, pool("max", (2, 2), (1, 12))))
    except ValidationError as exc:
        assert explain(exc, PipelineRunParams, "pipeline.run")[0] == "stages[1].stride"
    else:
        raise AssertionError("a stride of 12 was accepted")
