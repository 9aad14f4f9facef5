"""The softmax check functions (app/lessons/checks_softmax.py) against PyTorch: a probability
(F.softmax), the loss (F.cross_entropy, with label_smoothing), a gradient component (autograd),
each with a temperature; their working shows the numbers; reached through run_check by name, with
``digits``; bad arguments refused by name."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from app.lessons import checks_softmax as cs
from app.lessons.checks import run_check

CASES = [
    ([2.0, 1.0, 0.1], 0, 1.0),
    ([2.0, 1.0, 0.1], 2, 0.5),
    ([3.0, -1.0], 1, 2.0),
    ([0.5, 2.5, -1.0, 1.0, 0.0], 3, 1.0),
    ([1000.0, -1000.0, 0.0], 1, 1.0),
]


def torch_case(logits, label, t, eps=0.0):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)  # (C,)
    loss = F.cross_entropy((z / t)[None], torch.tensor([label]), label_smoothing=eps)
    loss.backward()
    return F.softmax(z.detach() / t, dim=0).tolist(), loss.item(), z.grad.tolist()


@pytest.mark.parametrize("logits, label, t", CASES)
def test_softmax_prob_is_torchs(logits, label, t):
    p, _, _ = torch_case(logits, label, t)
    for i in range(len(logits)):
        answer, work = cs.softmax_prob(logits, i, temperature=t)
        assert math.isclose(answer, p[i], rel_tol=1e-5, abs_tol=1e-7)
        assert work.startswith("e^(z") and work.endswith(f"= {cs._number(answer)}")


@pytest.mark.parametrize("logits, label, t", CASES)
@pytest.mark.parametrize("eps", [0.0, 0.1, 0.4])
def test_cross_entropy_is_torchs(logits, label, t, eps):
    _, loss, _ = torch_case(logits, label, t, eps)
    answer, work = cs.cross_entropy(logits, label, temperature=t, smoothing=eps)
    assert math.isclose(answer, loss, rel_tol=1e-5)
    assert math.isfinite(answer)  # 1000 against −1000 and wrong: 2000, not infinity
    assert ("mean" in work) == (eps > 0)


@pytest.mark.parametrize("logits, label, t", CASES)
def test_softmax_grad_is_autograds(logits, label, t):
    p, _, grad = torch_case(logits, label, t)
    for i in range(len(logits)):
        answer, work = cs.softmax_grad(logits, label, i, temperature=t)
        assert math.isclose(answer, grad[i], rel_tol=1e-4, abs_tol=1e-6)
        assert f"− {1 if i == label else 0}" in work
    # The gradients of one example add up to 0: what the true class gains, the others lose.
    total = sum(cs.softmax_grad(logits, label, i, temperature=t)[0] for i in range(len(logits)))
    assert abs(total) < 1e-5


def test_the_working_reads_as_a_learner_writes_it():
    assert cs.cross_entropy([2, 1, 0.1], 2)[1] == "−ln p₂ = −ln 0.0985659 = 2.31703"
    assert cs.softmax_grad([2, 1, 0.1], 0, 0)[1] == "p₀ − 1 = 0.659001 − 1 = −0.340999"
    assert cs.softmax_prob([2, 1, 0.1], 0)[1] == "e^(z₀ − max) / Σ e^(z − max) = 1 / (1 + 0.3679 + 0.1496) = 0.659001"


def test_run_check_reaches_them_by_name_and_rounds():
    answer, work = run_check({"fn": "cross_entropy", "logits": [0, 0, 0, 0], "label": 1, "digits": 3})
    assert answer == round(math.log(4), 3) and work.endswith("≈ 1.386")
    answer, _ = run_check({"fn": "softmax_prob", "logits": [1, 1], "index": 0})
    assert answer == 0.5


@pytest.mark.parametrize(
    "spec, name",
    [
        ({"fn": "softmax_prob", "logits": [1], "index": 0}, "logits"),
        ({"fn": "softmax_prob", "logits": [1, 2], "index": 2}, "index"),
        ({"fn": "softmax_prob", "logits": [1, "x"], "index": 0}, "logits"),
        ({"fn": "cross_entropy", "logits": [1, 2], "label": 2}, "label"),
        ({"fn": "cross_entropy", "logits": [1, 2], "label": 0, "smoothing": 0.7}, "smoothing"),
        ({"fn": "softmax_grad", "logits": [1, 2], "label": 0, "index": 0, "temperature": 0}, "temperature"),
        ({"fn": "softmax_grad", "logits": [1, 2], "label": 0}, "index"),
    ],
)
def test_bad_arguments_are_named(spec, name):
    with pytest.raises(ValueError, match=name):
        run_check(spec)
