"""Check functions for softmax and cross-entropy (lessons/FORMAT.md, "Check functions"). Same
contract as :mod:`app.lessons.checks`, which lists these beside its own: each returns
``(answer, work)`` computed by the engine (:func:`engine.softmax_steps.softmax_steps`), and a bad
argument raises ValueError naming it.
"""

from __future__ import annotations

from engine import checks
from engine.softmax_steps import softmax_steps

from .check_parts import MINUS, Answer, _grid, _number, _value


def _steps(logits, label, temperature=1, smoothing=0):
    z = _grid("logits", logits, 1)  # (C,)
    return softmax_steps(z, label, temperature, smoothing)


def _sub(i: int) -> str:
    """A class index as a subscript: p₃."""
    return str(i).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _index(name: str, value, classes: int) -> int:
    return checks.integer(name, value, 0, classes - 1)


def _scaled(s, sub: str = "") -> str:
    """How the exponent reads: ``z₁`` or ``z₁/T``."""
    return f"z{sub}" if s.temperature == 1 else f"z{sub}/{_number(s.temperature)}"


def softmax_prob(logits, index, temperature=1) -> Answer:
    """p_index of softmax(logits / temperature): e^(z_i − max) over the sum of all of them."""
    s = _steps(logits, 0, temperature)
    i = _index("index", index, s.classes)
    exps = " + ".join(_number(round(float(e), 4)) for e in s.exps)
    mine = _number(round(float(s.exps[i]), 4))
    work = f"e^({_scaled(s, _sub(i))} {MINUS} max) / Σ e^({_scaled(s)} {MINUS} max) = {mine} / ({exps})"
    work += f" = {_number(s.probs[i])}"
    return _value(s.probs[i]), work


def cross_entropy(logits, label, temperature=1, smoothing=0) -> Answer:
    """The loss −ln p_label (PyTorch's ``cross_entropy``; ``smoothing`` is its ``label_smoothing``)."""
    s = _steps(logits, label, temperature, smoothing)
    y = s.label
    if s.smoothing == 0:
        work = f"{MINUS}ln p{_sub(y)} = {MINUS}ln {_number(s.probs[y])} = {_number(s.loss)}"
    else:
        eps, mean = _number(s.smoothing), _number(-float(s.log_probs.mean()))
        work = (
            f"(1 {MINUS} {eps})·({MINUS}ln p{_sub(y)}) + {eps}·mean({MINUS}ln p) = "
            f"(1 {MINUS} {eps})·{_number(-s.log_probs[y])} + {eps}·{mean} = {_number(s.loss)}"
        )
    return _value(s.loss), work


def softmax_grad(logits, label, index, temperature=1) -> Answer:
    """∂L/∂z_index of the cross-entropy: p_index − 1 for the true class, p_index for the others (÷ T)."""
    s = _steps(logits, label, temperature)
    i = _index("index", index, s.classes)
    one = 1 if i == s.label else 0
    p = _number(s.probs[i])
    if s.temperature == 1:
        work = f"p{_sub(i)} {MINUS} {one} = {p} {MINUS} {one}"
    else:
        t = _number(s.temperature)
        work = f"(p{_sub(i)} {MINUS} {one})/{t} = ({p} {MINUS} {one})/{t}"
    return _value(s.grad[i]), f"{work} = {_number(s.grad[i])}"


CHECKS = {"softmax_prob": softmax_prob, "cross_entropy": cross_entropy, "softmax_grad": softmax_grad}
