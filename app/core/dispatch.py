"""Answer one request from the table: params checked by its model, its handler called, the answer encoded.

:func:`answer` runs on a worker thread (the session sends it there), so a handler may
take as long as the engine needs without stalling any other page. A small request
(a playground's slider move: a 7×7 grid, a 3×3 kernel) costs less to answer than the
hop to a worker thread costs the event loop, and the hop's GIL hand-offs delay every
other page; :func:`answer_small` answers such a request where it is asked, on the loop.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from engine.errors import ArgumentError

from . import wire
from .errors import Problem, error, explain
from .table import Table

log = logging.getLogger("convscope.dispatch")

Reply = bytes | str  # a binary frame (a result) or a JSON text frame (an error)

# A request is small when its frame is at most SMALL_FRAME_BYTES (checking a grid costs about 1 µs per
# 40 bytes, holding the GIL wherever it runs) and its params model says the engine's work is at most
# SMALL_WORK multiply-adds (some 10,000 a µs; work a worker thread could do without the GIL). Only a
# model's own ``work()`` counts, not one it inherits (conv.trace's model extends conv.run's and does
# other work); a model without one is never small.
SMALL_FRAME_BYTES = 16 * 1024
SMALL_WORK = 500_000


def answer(table: Table, id: int, type_name: str, params: dict) -> Reply:
    """The reply to one request of a type the table lists; never raises (a failure of ours becomes ``internal``)."""
    return _answer(table, id, type_name, params, None)


def answer_small(table: Table, id: int, type_name: str, params: dict, size: int) -> Reply | None:
    """The reply, when the request is small enough to answer here and now; None when it is not.

    ``size``: the request frame's bytes. For a None, send the request to :func:`answer` on a worker
    thread (it is checked again there: a few µs for a small frame). Never raises.
    """
    if size > SMALL_FRAME_BYTES:
        return None
    return _answer(table, id, type_name, params, SMALL_WORK)


def _answer(table: Table, id: int, type_name: str, params: dict, most_work: int | None) -> Reply | None:
    message, feature = table.messages[type_name], table.feature_of[type_name]
    try:
        try:
            checked = message.params.model_validate(params)
        except ValidationError as exc:
            return error(id, "invalid", *explain(exc, message.params, type_name))
        if most_work is not None:
            work = type(checked).__dict__.get("work")
            if work is None or work(checked) > most_work:
                return None
        result = message.handler(checked)
        return wire.encode(id, message.answer, result.meta, result.arrays)
    except Problem as p:
        return error(id, p.code, p.field, p.message)
    except ArgumentError as exc:  # the engine refused an argument: its name says which field it was
        return error(id, "invalid" if exc.fits else "does_not_fit", feature.field_of(exc.argument), str(exc))
    except Exception:
        log.exception("%s request %s failed", type_name, id)
        return error(
            id,
            "internal",
            None,
            f"the server failed while answering {type_name}; the error was logged. Try again, or change a setting.",
        )
