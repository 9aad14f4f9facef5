"""LeNet-5 trained live on MNIST digits: the digits.* messages, answered by the page's digits desk."""

from __future__ import annotations

from ...core.feature import Feature, Message, Widget
from .desk import DigitsDesk
from .models import IN_ORDER, MAPS, READY, SNAPSHOT, DigitsClassifyParams

DIGITS_CSS = ("css/playground.css", "css/digits.css")

FEATURE = Feature(
    name="digits",
    messages=(
        *(Message(t, model, READY if t == "digits.start" else SNAPSHOT, ordered=True) for t, model in IN_ORDER.items()),
        Message("digits.classify", DigitsClassifyParams, MAPS),
    ),
    # One widget: the training view and the drawing pad, sharing a run (``dgShow`` picks what shows).
    widgets=(Widget("digits", "LeNet-5 on MNIST", DIGITS_CSS),),
    desk=DigitsDesk,
)
