"""X vs O trained live: the train.* messages, answered by the page's training desk."""

from __future__ import annotations

from ...core.feature import Feature, Message, Widget
from .desk import TrainingDesk
from .models import IN_ORDER, MAPS, READY, SNAPSHOT, TrainClassifyParams

XO_CSS = ("css/playground.css", "css/xo.css")

FEATURE = Feature(
    name="training",
    messages=(
        *(Message(t, model, READY if t == "train.start" else SNAPSHOT, ordered=True) for t, model in IN_ORDER.items()),
        Message("train.classify", TrainClassifyParams, MAPS),
    ),
    widgets=(Widget("xo-train", "X vs O, training", XO_CSS), Widget("xo-draw", "X vs O, classify your own", XO_CSS)),
    desk=TrainingDesk,
)
