"""A poll as the instructor pushes it: its right answer and working computed here, by the engine, at push time.

``predict`` polls are taken from the widget on stage (the playground's output width or next
output cell, the class the X-vs-O network picks for a drawn grid); ``lesson`` polls are a
lesson's own question, whose answer the lesson already had the engine compute. Nothing of the
answer leaves the server until the reveal. Runs on a worker thread: a convolution or the
network's first fit takes longer than the event loop should wait.
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from engine import conv2d, trace, xo_train
from engine.xo_data import CLASSES

from ...core.errors import Problem
from ...lessons.checks import output_size
from ..grids import conv_arrays, conv_output, conv_settings
from . import models
from .polls import PollRecord, number_text, plain

_nets_lock = threading.Lock()
ON_STAGE = "the playground on stage: "
ON_XO = "X vs O on stage: the hand-designed network"


def make_poll(p: models.Poll, poll_id: int) -> PollRecord:
    """The poll for a checked ``class.poll`` request; :class:`Problem` naming the field when it cannot be made."""
    if p.kind == "choice":
        return PollRecord(poll_id, "choice", "choice", p.prompt, p.answer, p.options[p.answer], options=list(p.options))
    if p.kind == "number":
        return PollRecord(poll_id, "number", "value", p.prompt, p.value, number_text(p.value), tolerance=p.tolerance)
    if p.kind == "lesson":
        return _lesson_poll(p.lesson, poll_id)
    which = p.predict
    if which.output_size is not None:
        return _output_size(which.output_size, poll_id)
    if which.next_value is not None:
        return _next_value(which.next_value, poll_id)
    return _network_pick(which.network_pick, poll_id)


def _output_size(q: models.OutputSize, poll_id: int) -> PollRecord:
    size, work = output_size(q.n, q.k, q.s, q.p, q.d)
    dilation = f", dilation {q.d}" if q.d > 1 else ""
    setting = f"{q.n} cells, a {q.k}-wide kernel, stride {q.s}, padding {q.p}{dilation}"
    prompt = f"Predict: how many cells wide will the output be? ({setting})"
    return PollRecord(
        poll_id,
        "predict",
        "value",
        prompt,
        size,
        number_text(size),
        working=work,
        source="the playground on stage: the output's width",
    )


def _next_value(q: models.NextValue, poll_id: int) -> PollRecord:
    p = q.conv
    x, w, b = conv_arrays(p)  # (1, C, H, W), (F, C, KH, KW), (F,)
    if q.filter >= w.shape[0]:
        raise Problem("invalid", "predict.next_value.filter", f"filter must be from 0 to {w.shape[0] - 1}")
    conv_output(p)  # a kernel with no position at all is refused, naming it
    settings = conv_settings(p)
    y = conv2d(x, w, b, **settings)  # (1, F, OH, OW)
    _, _, oh, ow = y.shape
    if q.cell >= oh * ow:
        raise Problem("invalid", "predict.next_value.cell", f"cell must be from 0 to {oh * ow - 1} ({oh}×{ow} output)")
    t = trace.conv2d_trace(x, w, b, **settings, start=q.filter * oh * ow + q.cell, count=1)
    row, col = divmod(q.cell, ow)
    value = float(y[0, q.filter, row, col])
    products = " + ".join(f"{_term(a)}×{_term(k)}" for a, k in zip(t.window[0].ravel(), t.weights[q.filter].ravel()))
    bias = float(t.bias[0])
    work = products + (f" + {_term(bias)}" if bias else "") + f" = {number_text(value)}"
    where = f"row {row + 1}, column {col + 1}" + (f" of filter {q.filter + 1}" if w.shape[0] > 1 else "")
    prompt = f"Predict: what value will the output cell at {where} hold?"
    answer = float(np.float32(value))
    answer = int(answer) if answer.is_integer() else answer
    shown = number_text(answer)
    # Within 0.01: a student types what the grid shows, two decimals at most.
    return PollRecord(
        poll_id,
        "predict",
        "value",
        prompt,
        answer,
        shown,
        tolerance=0.01,
        working=work,
        source="the playground on stage: the next cell",
    )


def _term(v: float) -> str:
    text = number_text(v)
    return f"({text})" if text.startswith("\u2212") else text


@functools.cache
def _trainer(size: int) -> xo_train.Trainer:
    return xo_train.Trainer(xo_train.make_config({"size": size}))


def _network_pick(q: models.NetworkPick, poll_id: int) -> PollRecord:
    if len(q.grid) != q.size * q.size:
        raise Problem(
            "invalid",
            "predict.network_pick.grid",
            f"predict.network_pick.grid must hold {q.size * q.size} numbers (size × size), got {len(q.grid)}",
        )
    grid = np.asarray(q.grid, np.float32).reshape(q.size, q.size)  # (S, S)
    with _nets_lock:  # a trainer is not to be used from two threads at once
        probs = _trainer(q.size).maps(grid, "hand")["probs"]  # (2,)
    best = int(np.argmax(probs))
    shares = ", ".join(f"{name} {100 * float(p):.0f}%" for name, p in zip(CLASSES, probs))
    work = f"the hand-designed filters, ReLU, pooling and the vote: {shares}"
    prompt = "Predict: which class will the network pick for this drawing?"
    return PollRecord(
        poll_id, "predict", "choice", prompt, best, CLASSES[best], options=list(CLASSES), working=work, source=ON_XO
    )


def _lesson_poll(q: models.LessonQuestion, poll_id: int) -> PollRecord:
    from app.lessons.course import load_course  # the lessons read the feature table: imported when used

    lesson = load_course().find(q.slug)
    if lesson is None:
        raise Problem("invalid", "lesson.slug", f"lesson.slug: there is no lesson called {q.slug!r}")
    found = next((x for x in lesson.questions if x["id"] == q.question), None)
    if found is None:
        ids = ", ".join(x["id"] for x in lesson.questions) or "none"
        raise Problem("invalid", "lesson.question", f"lesson.question must be one of this lesson's: {ids}")
    source = f"{lesson.meta.title}, question {q.question}"
    prompt = plain(found["prompt"])
    if found["kind"] == "choice":
        options = [plain(c) for c in found["choices"]]
        return PollRecord(
            poll_id, "lesson", "choice", prompt, found["answer"], options[found["answer"]], options=options,
            working=plain(found["work"]), source=source,
        )  # fmt: skip
    answer = found["answer"]
    form = "text" if isinstance(answer, str) else "value"
    shown = answer if isinstance(answer, str) else number_text(answer)
    return PollRecord(
        poll_id, "lesson", form, prompt, answer, shown, tolerance=found.get("tolerance", 0) or 0,
        working=plain(found["work"]), source=source,
    )  # fmt: skip
