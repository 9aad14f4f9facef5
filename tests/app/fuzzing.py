"""Hostile messages for every request type, made by hypothesis: the fuzz test and tests/bench/fuzz_protocol.py use them.

Each message names a real type and mostly real fields (taken from the page's schemas),
with values from all over JSON: out of range, of the wrong type, huge, deeply nested,
lone surrogates, and now and then a valid one. Some frames are not messages at all.
"""

from __future__ import annotations

import json
import time

from hypothesis import strategies as st

from app.pages import page_context

SCHEMAS = page_context()["schemas"]
TYPES = sorted(SCHEMAS)
SURROGATES = ["\ud800", "\udfff", "a\ud834b"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(SURROGATES),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _near(schema: dict):
    """A value around what ``schema`` accepts: its bounds and one past them, its choices and one that is not."""
    if "anyOf" in schema:
        return st.one_of(*[_near(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if "enum" in schema:
        return st.sampled_from([*schema["enum"], "not-a-choice"])
    if kind == "integer":
        lo, hi = schema.get("minimum", -(10**6)), schema.get("maximum", 10**6)
        return st.integers(min_value=lo - 2, max_value=hi + 2)
    if kind == "number":
        lo, hi = schema.get("minimum", -1e6), schema.get("maximum", 1e6)
        return st.floats(min_value=lo - 1, max_value=hi + 1, allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "object" and "properties" in schema:
        return params_for(schema)
    if kind == "array":
        item = schema.get("items") or (schema.get("prefixItems") or [{}])[0]
        return st.lists(_near(item) if item else values, max_size=min(schema.get("maxItems", 12), 12))
    return values


def params_for(schema: dict):
    """An object with some of the schema's fields (near what they accept, or anything) and now and then a stray key."""
    fields = {name: st.one_of(_near(sub), values) for name, sub in schema.get("properties", {}).items()}
    return st.fixed_dictionaries({}, optional={**fields, "strayKey": values})


def message(type_name: str):
    """The envelope around params for ``type_name``; the id is drawn so that most are valid."""
    ids = st.one_of(st.integers(min_value=1, max_value=10**6), values)
    params = st.one_of(params_for(SCHEMAS[type_name]), values)
    lanes = st.one_of(st.sampled_from(["a", "b-1"]), values)
    return st.fixed_dictionaries({"id": ids, "type": st.just(type_name), "params": params}, optional={"lane": lanes})


def text_of(msg: dict) -> str:
    """The frame a browser would send: JSON.stringify writes a lone surrogate as an escape, as json.dumps does."""
    return json.dumps(msg)


frames = st.one_of(
    st.sampled_from(TYPES).flatmap(message).map(text_of),
    st.text(max_size=40),  # not JSON, or JSON that is not an object
    st.binary(max_size=40),
    st.just("[" * 100_000),  # nested far deeper than any parser allows
    # a number of thousands of digits (Python's JSON refuses more than 4300)
    st.integers(min_value=4000, max_value=6000).map(
        lambda n: '{"id": 1, "type": "conv.run", "params": {"stride": %s}}' % ("9" * n)
    ),
)


MAX_ID = 2**53 - 1


def expected_id(frame: str | bytes):
    """The id an answer to ``frame`` must carry: its own when it is a JSON object with a valid id, else null.

    Parsed as the server parses it (Python's json, with its 4,300-digit limit on integers).
    """
    try:
        data = json.loads(frame)
    except (ValueError, RecursionError):
        return None
    raw = data.get("id") if isinstance(data, dict) else None
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= MAX_ID else None


class FuzzClient:
    """One socket that sends a frame, then a sentinel request, and collects every answer until both are in.

    Pushed training snapshots (id null, not errors) are set aside. At most ``rate`` frames a second
    go out, under the server's flood limit.
    """

    def __init__(self, ws, rate: float = 120):
        self.ws, self.gap, self.sentinel, self.last = ws, 1 / rate, 2**52, 0.0

    def _send(self, frame: str | bytes) -> None:
        wait = self.last + self.gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.last = time.monotonic()
        self.ws.send(frame)

    def exchange(self, frame: str | bytes, timeout: float = 60) -> list[dict]:
        """The answers to ``frame`` (each a header: decoded frame or error), in arrival order."""
        from app.core import wire

        self._send(frame)
        self.sentinel += 1
        self._send(
            json.dumps({"id": self.sentinel, "type": "kernel.preset", "params": {"name": "cross"}, "lane": "sentinel"})
        )
        want, answers, seen_sentinel = expected_id(frame), [], False
        deadline = time.monotonic() + timeout
        while not (seen_sentinel and any(a["id"] == want for a in answers)):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                raw = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            header = wire.decode(raw)[0] if isinstance(raw, bytes) else json.loads(raw)
            if header["id"] == self.sentinel:
                seen_sentinel = True
            elif not (header["id"] is None and header["type"] != "error"):  # a pushed snapshot is no answer
                answers.append(header)
        return answers
