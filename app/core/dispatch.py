"""Answer one request from the table: params checked by its model, its handler called, the answer encoded.

Everything here runs on a worker thread (the session sends it there), so a handler
may take as long as the engine needs without stalling any other page.
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


def answer(table: Table, id: int, type_name: str, params: dict) -> Reply:
    """The reply to one request of a type the table lists; never raises (a failure of ours becomes ``internal``)."""
    message, feature = table.messages[type_name], table.feature_of[type_name]
    try:
        try:
            checked = message.params.model_validate(params)
        except ValidationError as exc:
            return error(id, "invalid", *explain(exc, message.params, type_name))
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
