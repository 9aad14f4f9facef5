"""activation.run and activation.backward: an activation on a feature map, its curve, and its gradient."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field, model_validator

from engine import activations
from engine.activations import ACTIVATIONS

from ..core.feature import LAYER_CSS, Answer, Feature, Widget, answers
from ..core.models import Bounded, InputGrid, Params, Upstream, check_input, check_upstream, inconsistent, number_text
from .grids import input_array


class ActivationParams(Params):
    """What both messages name: the feature map, the activation, and the one parameter some activations take."""

    input: InputGrid = Field(description="{channels, height, width, values}")
    name: Literal[tuple(ACTIVATIONS)]
    param: Annotated[float, Field(strict=True, ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="the leaky_relu slope (0 to 1) or the elu alpha (0 to 10)"
    )

    @model_validator(mode="after")
    def _param_fits(self):
        check_input(self.input)
        if self.name == "leaky_relu" and self.param is not None and self.param > 1:
            raise inconsistent(
                "param", f"param (the leaky_relu slope) must be from 0 to 1, got {number_text(self.param)}"
            )
        return self


class ActivationRunParams(ActivationParams):
    curve_min: Bounded = -5.0
    curve_max: Bounded = 5.0

    @model_validator(mode="after")
    def _curve_range(self):
        if self.curve_min >= self.curve_max:
            lo, hi = number_text(self.curve_min), number_text(self.curve_max)
            raise inconsistent("curve_max", f"curve_max must be larger than curve_min ({lo}), got {hi}")
        return self


class ActivationBackwardParams(ActivationParams):
    """activation.backward: dL/dx of an activation, given the forward input and dL/dy."""

    upstream: Upstream = Field(description="{values: [C·H·W numbers]}")

    @model_validator(mode="after")
    def _upstream_fits(self):
        x = self.input
        check_upstream(self.upstream, (x.channels, x.height, x.width), "channels × height × width")
        return self


class ActivationMeta(BaseModel):
    name: str
    param: float | None  # the value used: the engine's default when none was sent


# The one parameter some activations take, as ActivationRunParams checks it (slope 0–1, alpha 0–10),
# handed to the /layers page so its slider keeps no range of its own.
ACTIVATION_PARAMS = {"leaky_relu": ("slope", 1.0, 0.01), "elu": ("alpha", 10.0, 0.1)}

# What the activation menu calls each function the engine offers (the names are ACTIVATIONS').
ACTIVATION_LABELS = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "abs": "Absolute value",
    "sigmoid": "Sigmoid",
    "tanh": "tanh",
    "elu": "ELU",
    "selu": "SELU",
}


def activation_choices() -> list[dict]:
    choices = []
    for name, (_, _, default) in ACTIVATIONS.items():
        label, hi, step = ACTIVATION_PARAMS.get(name, (None, None, None))
        param = None if default is None else {"label": label, "min": 0, "max": hi, "step": step, "default": default}
        choices.append({"name": name, "param": param})
    return choices


CURVE_POINTS = 201  # enough for a smooth curve at any width the page draws it


@answers("activation.run", "activation.result")
def activation_run(p: ActivationRunParams) -> Answer:
    x = input_array(p.input)[0]  # (C, H, W)
    y = activations.activation(p.name, x, p.param)  # (C, H, W)
    # The curve is the same engine call on an even grid, so the page never evaluates the function itself.
    curve_x = np.linspace(p.curve_min, p.curve_max, CURVE_POINTS, dtype=np.float32)  # (201,)
    curve_y = activations.activation(p.name, curve_x, p.param)  # (201,)
    default = ACTIVATIONS[p.name][2]
    used = None if default is None else (default if p.param is None else p.param)
    meta = ActivationMeta(name=p.name, param=used)
    return Answer(meta.model_dump(), {"output": y, "curve_x": curve_x, "curve_y": curve_y})


@answers("activation.backward", "activation.grad")
def activation_backward(p: ActivationBackwardParams) -> Answer:
    x = input_array(p.input)[0]  # (C, H, W)
    gy = np.asarray(p.upstream.values, np.float32).reshape(x.shape)  # (C, H, W)
    y = activations.activation(p.name, x, p.param)  # (C, H, W)
    # f'(x) is the engine's own backward fed upstream ones, so the page's "mask" is the same code as the gradient.
    derivative = activations.activation_backward(p.name, np.ones_like(x), x, p.param)  # (C, H, W)
    grad = activations.activation_backward(p.name, gy, x, p.param)  # (C, H, W)
    default = activations.ACTIVATIONS[p.name][2]
    used = None if default is None else (default if p.param is None else p.param)
    meta = ActivationMeta(name=p.name, param=used)
    return Answer(meta.model_dump(), {"output": y, "derivative": derivative, "grad": grad})


FEATURE = Feature(
    "activation",
    (activation_run, activation_backward),
    widgets=(Widget("activation", "Activations", LAYER_CSS),),
    fields={"x": "input", "gy": "upstream.values", "activation": "name", "slope": "param", "alpha": "param"},
)
