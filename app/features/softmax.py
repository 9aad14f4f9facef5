"""softmax.run: one example's logits to probabilities to a loss and its gradient, every step.

No math here: each step is engine.softmax_steps' (built on engine.softmax_cross_entropy, the op the
networks train with, and checked against PyTorch by tests/engine/test_softmax_steps.py). An engine
refusal names its argument; the page's ``label`` is the engine's ``label``, its ``smoothing`` the
engine's ``smoothing``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from engine.softmax_steps import MAX_SMOOTHING, MAX_TEMPERATURE, MIN_TEMPERATURE, softmax_steps

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Params, inconsistent, real, whole

MIN_CLASSES = 2
MAX_CLASSES = 10  # the ten digits
MAX_LOGIT = 1000  # far past where a probability rounds to 0 or 1, and still exact in float32 steps of 0.1

Logit = real(-MAX_LOGIT, MAX_LOGIT)
ClassName = Annotated[str, Field(strict=True, min_length=1, max_length=12)]  # shown as text, never as markup


class SoftmaxRunParams(Params):
    logits: list[Logit] = Field(
        min_length=MIN_CLASSES, max_length=MAX_CLASSES, description="one score z per class, finite"
    )
    names: list[ClassName] | None = None  # optional: one name per class, such as X and O
    label: whole(0, MAX_CLASSES - 1) = Field(0, description="the true class y, from 0")
    temperature: real(MIN_TEMPERATURE, MAX_TEMPERATURE) = Field(1.0, description="T: z/T")
    smoothing: real(0, MAX_SMOOTHING) = Field(0.0, description="label smoothing ε")

    @model_validator(mode="after")
    def _fits(self):
        c = len(self.logits)
        if self.label >= c:
            raise inconsistent(
                "label", f"label must be a class from 0 to {c - 1} (there are {c} logits), got {self.label}"
            )
        if self.names is not None and len(self.names) != c:
            raise inconsistent("names", f"names must hold one name per logit ({c}), got {len(self.names)}")
        return self


class SoftmaxResultMeta(BaseModel):
    classes: int  # C
    names: list[str]  # one per class: the given ones, else "0", "1", …
    label: int  # y
    predicted: int  # the class with the largest probability (the first of a tie)
    top: list[int]  # every class with the largest probability: two or more are a tie
    temperature: float  # T
    smoothing: float  # ε
    total: float  # Σ e^(z/T − max)
    loss: float  # −Σ t ln p (−ln p_y without smoothing)
    logsumexp: float  # ln Σ e^(z/T)
    loss_uniform: float  # ln C, the loss of an equal guess


@answers("softmax.run", "softmax.result")
def softmax_run(p: SoftmaxRunParams) -> Answer:
    s = softmax_steps(p.logits, p.label, p.temperature, p.smoothing)
    arrays = {
        "logits": s.logits,  # (C,) z
        "scaled": s.scaled,  # (C,) z / T
        "shifted": s.shifted,  # (C,) z/T − max
        "exps": s.exps,  # (C,) e^(z/T − max)
        "probs": s.probs,  # (C,) p
        "log_probs": s.log_probs,  # (C,) ln p
        "target": s.target,  # (C,) onehot(y), smoothed by ε
        "grad": s.grad,  # (C,) ∂L/∂z = (p − target)/T
    }
    meta = SoftmaxResultMeta(
        classes=s.classes,
        names=list(p.names) if p.names else [str(i) for i in range(s.classes)],
        label=s.label,
        predicted=s.predicted,
        top=s.top,
        temperature=s.temperature,
        smoothing=s.smoothing,
        total=s.total,
        loss=s.loss,
        logsumexp=s.logsumexp,
        loss_uniform=s.uniform_loss,
    )
    return Answer(meta.model_dump(), arrays)


FEATURE = Feature(
    "softmax",
    (softmax_run,),
    widgets=(Widget("softmax", "Softmax and cross-entropy", (*LAYER_CSS, "js/widgets/softmax/softmax.css")),),
)
