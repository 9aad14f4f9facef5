"""engine.softmax_steps against PyTorch: F.softmax, F.log_softmax, F.cross_entropy (with
label_smoothing) and autograd's gradient with respect to the logits, over random logits, huge ones
(±1000: no overflow, no NaN), ties, 2 to 10 classes and temperatures; each step is what its name
says; the answer agrees with engine.softmax_cross_entropy; arguments refused with their names."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine import softmax_cross_entropy
from engine.errors import ArgumentError
from engine.softmax_steps import softmax_steps


def torch_answer(z: np.ndarray, y: int, t: float, eps: float):
    """(softmax, log_softmax, loss, dL/dz) of z / t from PyTorch, in float64 so it is the reference."""
    logits = torch.tensor(z, dtype=torch.float64, requires_grad=True)  # (C,)
    scaled = logits / t  # (C,)
    loss = F.cross_entropy(scaled[None], torch.tensor([y]), label_smoothing=eps)
    loss.backward()
    p = F.softmax(scaled, dim=0)  # (C,)
    log_p = F.log_softmax(scaled, dim=0)  # (C,)
    return p.detach().numpy(), log_p.detach().numpy(), loss.item(), logits.grad.numpy()


def cases():
    rng = np.random.default_rng(14)
    out = []
    for i in range(40):
        c = int(rng.integers(2, 11))
        z = (rng.standard_normal(c) * rng.choice([0.5, 3, 30])).astype(np.float32)  # (C,)
        t = float(rng.choice([1.0, 0.05, 0.5, 2.0, 20.0]))
        eps = float(rng.choice([0.0, 0.0, 0.1, 0.5]))
        out.append(pytest.param(z, int(rng.integers(0, c)), t, eps, id=f"random-{i}-C{c}-T{t}-e{eps}"))
    huge = np.array([1000, -1000, 0, 999.5], np.float32)
    out += [
        pytest.param(huge, 0, 1.0, 0.0, id="huge-right"),
        pytest.param(huge, 1, 1.0, 0.0, id="huge-wrong"),  # p_y is 0 in float32; the loss is 2000, not inf
        pytest.param(huge, 1, 0.05, 0.1, id="huge-cold-smoothed"),
        pytest.param(np.array([-1000, -1000], np.float32), 1, 1.0, 0.0, id="both-very-negative"),
        pytest.param(np.full(10, 2.5, np.float32), 3, 1.0, 0.0, id="ten-tied"),
        pytest.param(np.array([1, 3, 3], np.float32), 2, 1.0, 0.0, id="two-tied-at-top"),
        pytest.param(np.array([0.3, -0.3], np.float32), 0, 1.0, 0.0, id="two-classes"),
    ]
    return out


@pytest.mark.parametrize("z, y, t, eps", cases())
def test_every_step_agrees_with_torch(z, y, t, eps):
    s = softmax_steps(z, y, temperature=t, smoothing=eps)
    p, log_p, loss, grad = torch_answer(z, y, t, eps)
    for name in ("scaled", "shifted", "exps", "probs", "log_probs", "target", "grad"):
        assert np.isfinite(getattr(s, name)).all(), name
    np.testing.assert_allclose(s.probs, p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(s.exps / s.total, p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(s.log_probs, log_p, rtol=1e-5, atol=1e-4)
    assert math.isclose(s.loss, loss, rel_tol=1e-5, abs_tol=1e-5)
    np.testing.assert_allclose(s.grad, grad, rtol=1e-4, atol=1e-6 / t)
    # The steps are what they say: z/T, shifted so the largest is 0, exponentiated, summed.
    np.testing.assert_allclose(s.scaled, z / np.float32(t), rtol=1e-6)
    assert s.shifted.max() == 0 and s.exps.max() == 1
    np.testing.assert_array_equal(s.shifted, s.scaled - s.scaled.max())
    np.testing.assert_allclose(s.exps, np.exp(s.shifted.astype(np.float64)), rtol=1e-6, atol=1e-30)
    assert math.isclose(s.total, float(np.exp(s.shifted.astype(np.float64)).sum()), rel_tol=1e-6)
    assert math.isclose(s.logsumexp, float(torch.logsumexp(torch.tensor(z / t, dtype=torch.float64), 0)), rel_tol=1e-6)
    onehot = np.eye(len(z))[y]  # (C,)
    np.testing.assert_allclose(s.target, (1 - eps) * onehot + eps / len(z), rtol=1e-6)
    assert s.predicted == int(np.argmax(p)) and s.uniform_loss == math.log(len(z))


@pytest.mark.parametrize("z, y, t, eps", cases())
def test_the_log_sum_exp_form_is_the_loss_without_smoothing(z, y, t, eps):
    s = softmax_steps(z, y, temperature=t)
    assert math.isclose(s.logsumexp - float(s.scaled[y]), s.loss, rel_tol=1e-5, abs_tol=1e-5)
    assert math.isclose(-float(s.log_probs[y]), s.loss, rel_tol=1e-5, abs_tol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_the_steps_give_engine_softmax_cross_entropys_answer(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(1 + seed % 9 + 1).astype(np.float32) * 4  # (C,)
    y = int(rng.integers(0, len(z)))
    loss, probs, grad = softmax_cross_entropy(z[None], np.array([y]))
    s = softmax_steps(z, y)
    assert s.loss == loss
    np.testing.assert_array_equal(s.probs, probs[0])
    np.testing.assert_array_equal(s.grad, grad[0])


def test_the_landmarks_of_the_loss():
    """Equal logits: every p is 1/C and the loss is ln C; one class far ahead and right: 0."""
    s = softmax_steps(np.zeros(10, np.float32), 7)
    np.testing.assert_allclose(s.probs, 0.1, rtol=1e-6)
    assert math.isclose(s.loss, math.log(10), rel_tol=1e-6)
    s = softmax_steps(np.array([40, 0, 0], np.float32), 0)
    assert s.loss < 1e-15 and s.probs[0] == 1
    # Confident and wrong: the loss grows with the gap (here 40), the gradient pushes with full force.
    s = softmax_steps(np.array([40, 0, 0], np.float32), 1)
    assert math.isclose(s.loss, 40, rel_tol=1e-6)
    np.testing.assert_allclose(s.grad, [1, -1, 0], atol=1e-6)


def test_a_tie_at_the_top_is_every_class_in_it():
    assert softmax_steps(np.full(10, 2.5, np.float32), 3).top == list(range(10))
    s = softmax_steps(np.array([1, 3, 3], np.float32), 0)
    assert s.top == [1, 2] and s.predicted == 1  # argmax takes the first; top says it is no real choice
    assert softmax_steps(np.array([1, 3, 2.9], np.float32), 0).top == [1]


def test_a_constant_added_to_every_logit_changes_nothing():
    z = np.array([2.0, 1.0, 0.1], np.float32)
    a, b = softmax_steps(z, 0), softmax_steps(z + 100, 0)
    # Equal up to float32's rounding of 100.1 and 100.2 (steps of 2⁻¹⁶ near 100).
    np.testing.assert_allclose(a.probs, b.probs, rtol=1e-4)
    np.testing.assert_allclose(a.shifted, b.shifted, atol=1e-5)
    assert math.isclose(a.loss, b.loss, rel_tol=1e-4)


def test_temperature_sharpens_or_flattens():
    z = np.array([2.0, 1.0, 0.1], np.float32)
    cold, warm, hot = (softmax_steps(z, 0, temperature=t) for t in (0.5, 1.0, 5.0))
    assert cold.probs[0] > warm.probs[0] > hot.probs[0] > 1 / 3
    # The true class is the top one: a colder softmax is surer of it, a hotter one nears ln 3 from below.
    assert cold.loss < warm.loss < hot.loss < math.log(3)
    assert cold.predicted == warm.predicted == hot.predicted == 0


@pytest.mark.parametrize(
    "args, argument",
    [
        (([1.0], 0), "logits"),
        (([[1.0, 2.0]], 0), "logits"),
        (([1.0, float("nan")], 0), "logits"),
        (([1.0, float("inf")], 0), "logits"),
        (([1.0, 2.0], 2), "label"),
        (([1.0, 2.0], -1), "label"),
        (([1.0, 2.0], 0, 0.01), "temperature"),
        (([1.0, 2.0], 0, 21.0), "temperature"),
        (([1.0, 2.0], 0, 1.0, 0.6), "smoothing"),
        (([1.0, 2.0], 0, 1.0, -0.1), "smoothing"),
    ],
)
def test_arguments_are_refused_by_name(args, argument):
    with pytest.raises(ArgumentError) as caught:
        softmax_steps(*args)
    assert caught.value.argument == argument and argument in str(caught.value)
