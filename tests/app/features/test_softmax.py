"""The softmax widget's message (app/features/softmax.py, "softmax.run"): every step's numbers are
PyTorch's (softmax, log_softmax, cross_entropy with label smoothing, autograd's gradient), the
predicted class and ln C come along, huge logits stay finite, and hostile or inconsistent input is
refused with the field that is wrong and its legal range."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.dispatch import answer
from app.features import TABLE
from app.features.softmax import SoftmaxRunParams, softmax_run


def run(**params) -> tuple[dict, dict]:
    got = softmax_run.handler(SoftmaxRunParams(**params))
    return got.meta, got.arrays


def refusal(params: dict) -> dict:
    error = json.loads(answer(TABLE, 7, "softmax.run", params))
    assert error["type"] == "error", error
    return error


@pytest.mark.parametrize(
    "logits, label, t, eps",
    [
        ([2.0, 1.0, 0.1], 0, 1.0, 0.0),
        ([2.0, 1.0, 0.1], 2, 0.5, 0.1),
        ([0.3, -1.2], 1, 3.0, 0.0),
        ([4.1, -2, 0.5, 1, 0, -1, 3.9, 2, -0.5, 1.5], 6, 1.0, 0.2),
        ([1000, -1000, 0], 1, 0.05, 0.5),
    ],
)
def test_every_step_is_torchs(logits, label, t, eps):
    meta, arrays = run(logits=logits, label=label, temperature=t, smoothing=eps)
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)  # (C,)
    loss = F.cross_entropy((z / t)[None], torch.tensor([label]), label_smoothing=eps)
    loss.backward()
    p = F.softmax(z.detach() / t, dim=0).numpy()  # (C,)
    np.testing.assert_allclose(arrays["probs"], p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(arrays["log_probs"], F.log_softmax(z.detach() / t, dim=0).numpy(), rtol=1e-5)
    np.testing.assert_allclose(arrays["grad"], z.grad.numpy(), rtol=1e-4, atol=1e-6 / t)
    assert math.isclose(meta["loss"], loss.item(), rel_tol=1e-5)
    np.testing.assert_allclose(arrays["exps"] / meta["total"], p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(arrays["shifted"], np.float32(logits) / np.float32(t) - max(logits) / t, atol=1e-3)
    assert meta["predicted"] == int(np.argmax(p)) and meta["label"] == label and meta["top"] == [meta["predicted"]]
    assert meta["loss_uniform"] == math.log(len(logits)) and meta["classes"] == len(logits)
    assert meta["names"] == [str(i) for i in range(len(logits))]
    assert all(np.isfinite(a).all() for a in arrays.values())


def test_names_travel_with_the_answer():
    meta, _ = run(logits=[1.5, -0.5], names=["X", "O"], label=1)
    assert meta["names"] == ["X", "O"]


def test_equal_logits_are_a_uniform_guess():
    meta, arrays = run(logits=[0.0] * 10, label=4)
    np.testing.assert_allclose(arrays["probs"], 0.1, rtol=1e-6)
    assert math.isclose(meta["loss"], meta["loss_uniform"], rel_tol=1e-6)
    assert meta["top"] == list(range(10))


@pytest.mark.parametrize(
    "patch, field, words",
    [
        ({"logits": [1.0]}, "logits", "at least 2"),
        ({"logits": [0.0] * 11}, "logits", "at most 10"),
        ({"logits": [1.0, 1001.0]}, "logits", "1000"),
        ({"logits": [1.0, "2"]}, "logits", ""),
        ({"label": 3}, "label", "from 0 to 2"),
        ({"label": -1}, "label", "0"),
        ({"temperature": 0.0}, "temperature", "0.05"),
        ({"temperature": 25}, "temperature", "20"),
        ({"smoothing": 0.9}, "smoothing", "0.5"),
        ({"names": ["a", "b"]}, "names", "one name per logit (3)"),
        ({"names": ["a", "b", "a name far too long"]}, "names", "12"),
        ({"surprise": 1}, "surprise", ""),
    ],
)
def test_hostile_or_inconsistent_input_is_refused_by_field(patch, field, words):
    error = refusal({"logits": [2.0, 1.0, 0.1], "label": 0, **patch})
    assert error["field"].split(".")[0] == field, error
    assert words in error["message"], error


def test_nan_and_infinity_are_refused_naming_the_logits():
    for bad in ("NaN", "Infinity", "-Infinity"):
        params = json.loads(
            f'{{"logits": [1, {bad}], "label": 0}}'
        )  # Python's JSON reader takes them; the model must not
        error = refusal(params)
        assert error["field"].startswith("logits"), error
