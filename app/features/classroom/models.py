"""The class.* messages: what a student page and the instructor's pages may send, and the frames that answer.

A student may only join (a class code, the device's own id, a nickname if they like), answer
the poll on screen, and leave. Everything else carries the class code and the instructor's
secret (``key``), which the server checks against the hash it keeps. Every model refuses
unknown keys, so a misspelt field is named in the error rather than ignored.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ...core.limits import LIMITS
from ...core.models import Number, Params, inconsistent, whole
from ..conv import ConvRunParams

CODE_LETTERS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector from the back row
CODE_LENGTH = 5
MAX_OPTIONS = 8
MAX_STATE_CHARS = 64 * 1024  # a page's settings as the instructor's page holds them (a drawn grid fits)
MAX_QUERY_CHARS = 64 * 1024
MAX_POLL_ID = 1_000_000

# Answer frames (one per request type) and the frames pushed to the pages of a class (id null).
JOINED, ANSWERED, LEFT = "class.joined", "class.answered", "class.left"
STARTED, TEACHING, STAGED, POLLED, REVEALED, ENDED = (
    "class.started",
    "class.teaching",
    "class.staged",
    "class.polled",
    "class.revealed",
    "class.ended",
)
FOLLOW, QUESTION, RESULT, COUNT, TALLY, CLOSED = (
    "class.follow",  # students: what is on stage
    "class.question",  # students: the poll to answer (no answer in it), or none
    "class.result",  # students and instructors: a revealed poll with its answer, working and tally
    "class.count",  # instructors: students connected
    "class.tally",  # instructors: answers so far
    "class.closed",  # everyone: the class has ended
)

Code = Annotated[
    str,
    Field(
        strict=True,
        min_length=CODE_LENGTH,
        max_length=CODE_LENGTH,
        pattern=r"^[A-Za-z0-9]+$",
        description="the class code the projector shows: 5 letters and digits",
    ),
]
Device = Annotated[
    str,
    Field(
        strict=True,
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the id this device keeps for itself: 16 to 64 letters, digits, _ or -",
    ),
]
Key = Annotated[
    str,
    Field(
        strict=True,
        min_length=16,
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="the instructor's secret, from the instructor's link",
    ),
]
PollId = whole(1, MAX_POLL_ID)
Text = Annotated[str, Field(strict=True, min_length=1, max_length=500)]


class Join(Params):
    code: Code
    device: Device
    nickname: Annotated[str, Field(strict=True, max_length=24, description="optional")] | None = None

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()  # typed on a phone in any case


class Answer(Params):
    """One answer to the open poll: ``choice`` for a multiple choice, ``value`` for a number, ``text`` for a shape."""

    poll: PollId
    choice: whole(0, MAX_OPTIONS - 1) | None = None
    value: Number | None = None
    text: Annotated[str, Field(strict=True, min_length=1, max_length=40)] | None = None

    @model_validator(mode="after")
    def _one(self):
        given = [name for name in ("choice", "value", "text") if getattr(self, name) is not None]
        if len(given) != 1:
            got = "none" if not given else " and ".join(given)
            raise inconsistent("choice", f"choice, value or text: give exactly one, got {got}")
        return self


class Leave(Params):
    pass


class Start(Params):
    origin: Annotated[str, Field(strict=True, max_length=200, pattern=r"^https?://[A-Za-z0-9.:\[\]_-]+$")] | None = None


class Instructor(Params):
    """What every instructor message carries: the class and the secret that drives it."""

    code: Code
    key: Key

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class Teach(Instructor):
    origin: Annotated[str, Field(strict=True, max_length=200, pattern=r"^https?://[A-Za-z0-9.:\[\]_-]+$")] | None = None


class Stage(Instructor):
    """What is on stage: the page, its settings as the address bar holds them, and as the page's store holds them."""

    path: Annotated[str, Field(strict=True, max_length=200, pattern=r"^/([A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*)?$")]
    query: Annotated[str, Field(strict=True, max_length=MAX_QUERY_CHARS)] = ""
    section: Annotated[str, Field(strict=True, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    state: dict | None = None

    @field_validator("state")
    @classmethod
    def _small(cls, value: dict | None) -> dict | None:
        if value is not None and len(json.dumps(value, separators=(",", ":"))) > MAX_STATE_CHARS:
            raise ValueError(f"state must be at most {MAX_STATE_CHARS} characters of JSON")
        return value


class OutputSize(Params):
    """The output's width from the playground's settings on one axis."""

    n: whole(1, LIMITS.size)
    k: whole(1, LIMITS.kernel)
    s: whole(1, LIMITS.stride) = 1
    p: whole(0, LIMITS.padding) = 0
    d: whole(1, LIMITS.dilation) = 1


class NextValue(Params):
    """The next output cell of the convolution on stage: the playground's request, the filter and the cell."""

    conv: ConvRunParams
    filter: whole(0, LIMITS.filters - 1) = 0
    cell: whole(0, LIMITS.size**2 - 1)


class NetworkPick(Params):
    """The class the hand-designed X-vs-O network picks for a drawn grid (size × size, row by row)."""

    size: whole(5, 15) = 9
    grid: list[Annotated[float, Field(strict=True, ge=-1, le=1, allow_inf_nan=False)]] = Field(max_length=15 * 15)


class Predict(Params):
    output_size: OutputSize | None = None
    next_value: NextValue | None = None
    network_pick: NetworkPick | None = None

    @model_validator(mode="after")
    def _one(self):
        given = [name for name in ("output_size", "next_value", "network_pick") if getattr(self, name) is not None]
        if len(given) != 1:
            raise inconsistent("predict", "predict must hold exactly one of output_size, next_value, network_pick")
        return self


class LessonQuestion(Params):
    slug: Annotated[str, Field(strict=True, max_length=80, pattern=r"^[a-z0-9-]+$")]
    question: Annotated[str, Field(strict=True, max_length=80, pattern=r"^[a-z0-9-]+$")]


class Poll(Instructor):
    """A poll to push. ``choice``: prompt, options, answer (the right option's index). ``number``: prompt,
    value, tolerance. ``predict``: from the widget on stage, the answer computed by the engine now.
    ``lesson``: one of a lesson's questions, its answer the lesson's (computed by the engine)."""

    kind: Literal["choice", "number", "predict", "lesson"]
    prompt: Text | None = None
    options: list[Annotated[str, Field(strict=True, min_length=1, max_length=120)]] | None = Field(
        None, min_length=2, max_length=MAX_OPTIONS
    )
    answer: whole(0, MAX_OPTIONS - 1) | None = None
    value: Number | None = None
    tolerance: Annotated[float, Field(strict=True, ge=0, le=1e6, allow_inf_nan=False)] = 0
    predict: Predict | None = None
    lesson: LessonQuestion | None = None

    @model_validator(mode="after")
    def _complete(self):
        need = {
            "choice": ("prompt", "options", "answer"),
            "number": ("prompt", "value"),
            "predict": ("predict",),
            "lesson": ("lesson",),
        }[self.kind]
        for name in need:
            if getattr(self, name) is None:
                raise inconsistent(name, f"{name} is required for a {self.kind} poll")
        if self.kind == "choice" and self.answer >= len(self.options):
            raise inconsistent(
                "answer", f"answer must be an option's index, from 0 to {len(self.options) - 1}, got {self.answer}"
            )
        return self


class Reveal(Instructor):
    poll: PollId


class End(Instructor):
    pass
