"""Binary frames: what goes in comes out, at 8-byte offsets, little-endian."""

from __future__ import annotations

import json
import struct
from itertools import pairwise

import numpy as np
import pytest

from app.core import wire


def arrays_of_odd_sizes() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "a": rng.standard_normal((3, 5, 7)).astype(np.float32),  # 420 bytes: not a multiple of 8
        "flags": rng.random((5, 3)) > 0.5,  # bool travels as uint8
        "idx": rng.integers(-9, 9, (7, 3)).astype(np.int32),  # 84 bytes
        "bytes": np.arange(3, dtype=np.uint8),  # 3 bytes
        "scalar_like": np.array([2.5], np.float32),
        "empty": np.zeros((0, 4), np.float32),
    }


@pytest.mark.parametrize("meta_text", ["", "x", "xyz" * 7, "é" * 5])  # shifts the header length through every residue
def test_round_trip_and_alignment(meta_text):
    arrays = arrays_of_odd_sizes()
    frame = wire.encode(7, "conv.result", {"note": meta_text, "shape": [1, 2]}, arrays)
    header, back = wire.decode(frame)
    assert (
        header["id"] == 7 and header["type"] == "conv.result" and header["meta"] == {"note": meta_text, "shape": [1, 2]}
    )
    wire.FrameHeader.model_validate(header)  # the header has the documented shape
    assert [e["name"] for e in header["arrays"]] == list(arrays)  # order kept

    (length,) = struct.unpack_from("<I", frame, 0)
    start = -(-(4 + length) // 8) * 8
    assert frame[4 + length : start] == b"\0" * (start - 4 - length)  # zero padding before the data
    assert start % 8 == 0
    for entry in header["arrays"]:
        src = arrays[entry["name"]]
        assert entry["offset"] % 8 == 0
        assert entry["shape"] == list(src.shape)
        assert entry["nbytes"] == src.size * np.dtype(wire.DTYPES[entry["dtype"]]).itemsize
        expected_dtype = "uint8" if src.dtype == bool else str(src.dtype)
        assert entry["dtype"] == expected_dtype
        np.testing.assert_array_equal(back[entry["name"]], src.astype(back[entry["name"]].dtype))
    last = header["arrays"][-1]
    assert len(frame) >= start + last["offset"] + last["nbytes"]


def test_arrays_do_not_overlap_and_follow_each_other():
    header, _ = wire.decode(wire.encode(1, "t", {}, arrays_of_odd_sizes()))
    spans = [(e["offset"], e["offset"] + e["nbytes"]) for e in header["arrays"]]
    for (_a0, a1), (b0, _) in pairwise(spans):
        assert a1 <= b0 < a1 + 8


def test_bytes_are_little_endian():
    frame = wire.encode(
        1, "t", {}, {"one": np.array([1.0], np.float32), "n": np.array([1], np.int32), "big": np.array([1.0], ">f4")}
    )
    header, back = wire.decode(frame)
    (length,) = struct.unpack_from("<I", frame, 0)
    start = -(-(4 + length) // 8) * 8
    offsets = {e["name"]: e["offset"] for e in header["arrays"]}
    assert frame[start + offsets["one"] : start + offsets["one"] + 4] == b"\x00\x00\x80\x3f"
    assert frame[start + offsets["n"] : start + offsets["n"] + 4] == b"\x01\x00\x00\x00"
    assert frame[start + offsets["big"] : start + offsets["big"] + 4] == b"\x00\x00\x80\x3f"  # big-endian input swapped
    assert back["big"][0] == 1.0


def test_non_contiguous_arrays_are_sent_as_their_values():
    a = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::-2]  # (4, 3) a strided view
    _, back = wire.decode(wire.encode(1, "t", {}, {"a": a}))
    np.testing.assert_array_equal(back["a"], a)


def test_wrong_dtype_is_a_bug_and_says_so():
    with pytest.raises(TypeError, match="float64"):
        wire.encode(1, "t", {}, {"a": np.zeros(3)})


def test_header_is_plain_json_without_nan():
    with pytest.raises(ValueError):
        wire.encode(1, "t", {"bad": float("nan")}, {})
    frame = wire.encode(None, "t", {"problem": "(7 − 3)/3 + 1 = 2.33"}, {})
    (length,) = struct.unpack_from("<I", frame, 0)
    assert json.loads(frame[4 : 4 + length].decode())["meta"]["problem"] == "(7 − 3)/3 + 1 = 2.33"
    assert len(frame) % 8 == 0
