"""The transposed-convolution widget's message (app/features/transpose.py, "transpose.run"), as the
lesson on it uses it: the output is torch's, the canvas after the last stamp holds it once the
padding is cut, the sizes come with their formula and the sizes output_padding chooses among, and a
setting that cannot work is refused with the field and a reason."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.dispatch import answer
from app.features import TABLE
from app.features.transpose import TransposeRunParams, transpose_run


def run(**params) -> tuple[dict, dict]:
    answer = transpose_run.handler(TransposeRunParams(**params))
    return answer.meta, answer.arrays


PAIR = {"height": 2, "width": 2, "values": [1, 2, 3, 4], "kernel_size": 3, "kernel": [1] * 9}


@pytest.mark.parametrize("stride, padding, output_padding", [(2, 0, 0), (1, 0, 0), (2, 1, 1), (3, 1, 2)])
def test_the_answer_is_torchs_and_the_canvas_holds_it(stride, padding, output_padding):
    meta, arrays = run(**PAIR, stride=stride, padding=padding, output_padding=output_padding)
    x = torch.tensor(PAIR["values"], dtype=torch.float32).reshape(1, 1, 2, 2)
    w = torch.ones(1, 1, 3, 3)
    y = F.conv_transpose2d(x, w, stride=stride, padding=padding, output_padding=output_padding)[0, 0]
    np.testing.assert_array_equal(arrays["output"], y.numpy())
    top, left = meta["crop"]
    h, wd = meta["output_shape"]
    np.testing.assert_array_equal(arrays["running"][-1][top : top + h, left : left + wd], arrays["output"])
    assert meta["steps"] == 4 and arrays["stamps"].shape == (4, 3, 3)
    assert meta["rows"]["formula"].endswith(f"= {h}")
    assert meta["rows"]["size"] in meta["rows"]["shrink_from"]  # one of the sizes the convolution takes to 2


def test_a_setting_that_cannot_work_is_refused_with_its_field():
    params = {**PAIR, "kernel_size": 2, "kernel": [1, 2, 3, 4], "stride": 1, "padding": 3}
    error = json.loads(answer(TABLE, 7, "transpose.run", params))
    assert error["type"] == "error" and error["field"] == "padding" and "cuts the whole" in error["message"]
    error = json.loads(answer(TABLE, 8, "transpose.run", {**PAIR, "stride": 2, "output_padding": 2}))
    assert error["field"] == "output_padding" and "less than the stride" in error["message"]
    error = json.loads(answer(TABLE, 9, "transpose.run", {**PAIR, "values": [1, 2, 3]}))
    assert error["field"] == "values" and "height × width = 4" in error["message"]
