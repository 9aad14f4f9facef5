"""What a feature is: its messages (request model, answer type, handler) and its widgets.

A feature module builds one :class:`Feature` from its own models and handlers;
``app.features`` lists them in one table, which the socket session, the pages,
the lesson renderer and the tests read. Nothing registers itself by being imported.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import numpy as np
from pydantic import BaseModel


@dataclass(frozen=True)
class Answer:
    """What a handler returns: the answer frame's JSON ``meta`` and its arrays (sent raw, in this order)."""

    meta: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """One request type: its params model, the type of the frame that answers it, and who answers.

    ``handler`` computes the answer on a worker thread from the checked params. A
    message without one is answered by its feature's desk (a page's training job),
    which keeps state between messages. ``ordered`` messages are carried out in turn
    and never superseded by a newer one (a double-clicked "step" steps twice).
    """

    type: str
    params: type[BaseModel]
    answer: str
    handler: Callable[[Any], Answer] | None = None
    ordered: bool = False


# The style sheets every widget on the layers page shares (grids, sliders, panes).
LAYER_CSS = ("css/playground.css", "css/layers.css")


def answers(type_name: str, answer: str) -> Callable[[Callable[[Any], Answer]], Message]:
    """Make a handler the :class:`Message` it answers; the request model is its parameter's annotation.

    So a handler, its type and its model are declared in one place::

        @answers("pool.run", "pool.result")
        def pool_run(p: PoolRunParams) -> Answer: ...
    """

    def make(handler: Callable[[Any], Answer]) -> Message:
        (name,) = inspect.signature(handler).parameters  # one parameter: the checked params
        return Message(type_name, get_type_hints(handler)[name], answer, handler)

    return make


@dataclass(frozen=True)
class Widget:
    """A widget a page or lesson mounts: its ES module (face: fields, consistent, mount) and style sheets.

    The module is ``js/widgets/<name>/index.js`` unless given.
    """

    name: str
    title: str
    css: tuple[str, ...] = ()
    module: str = ""  # path under /static

    def __post_init__(self):
        if not self.module:
            object.__setattr__(self, "module", f"js/widgets/{self.name}/index.js")


@dataclass(frozen=True)
class Feature:
    """One feature: its messages and widgets, and how engine arguments map to the wire's fields.

    ``fields`` maps an :class:`engine.errors.ArgumentError`'s argument (``"w"``) to
    the request field the page knows it by (``"kernels"``); an argument missing
    from it is sent under its own name. ``desk`` makes the per-page object that
    answers the messages without a handler.
    """

    name: str
    messages: tuple[Message, ...] = ()
    widgets: tuple[Widget, ...] = ()
    fields: Mapping[str, str] = field(default_factory=dict)
    desk: Callable[..., Any] | None = None

    def field_of(self, argument: str) -> str:
        return self.fields.get(argument, argument)
