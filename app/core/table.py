"""The feature table read as maps: message type → message and feature, widget name → widget.

Built once from the features ``app.features`` lists; a type or widget named twice
is a mistake caught when the table is built, not when a page first asks.
"""

from __future__ import annotations

from collections.abc import Iterable

from .feature import Feature, Message, Widget
from .schemas import page_schema


class Table:
    def __init__(self, features: Iterable[Feature]):
        self.features = tuple(features)
        self.messages: dict[str, Message] = {}
        self.feature_of: dict[str, Feature] = {}
        self.widgets: dict[str, Widget] = {}
        for feature in self.features:
            for message in feature.messages:
                if message.type in self.messages:
                    raise ValueError(
                        f"message type {message.type!r} is listed by {self.feature_of[message.type].name} "
                        f"and {feature.name}"
                    )
                if message.handler is None and feature.desk is None:
                    raise ValueError(f"{message.type} has no handler and {feature.name} has no desk to answer it")
                self.messages[message.type] = message
                self.feature_of[message.type] = feature
            for widget in feature.widgets:
                if widget.name in self.widgets:
                    raise ValueError(f"widget {widget.name!r} is listed twice")
                self.widgets[widget.name] = widget

    def protocol(self) -> dict[str, dict]:
        """What the page's socket client needs: each request's answer type, and whether it is carried out in order."""
        return {t: {"answer": m.answer, "ordered": m.ordered} for t, m in self.messages.items()}

    def schemas(self) -> dict[str, dict]:
        """Each request's parameters as a schema: every bound, default and choice the page's controls use."""
        return {t: page_schema(m.params) for t, m in self.messages.items()}
