"""Binary frames: a small JSON header, then raw little-endian arrays at 8-byte offsets.

Layout (see PROTOCOL.md)::

    [uint32 LE header length L][L bytes UTF-8 JSON][zeros to a multiple of 8][array data]

Every array starts at a multiple of 8 from the start of the array data, and the
data itself starts at a multiple of 8 in the frame, so the browser can make
``Float32Array`` views straight onto the received buffer without copying.
"""

from __future__ import annotations

import json
import struct
from typing import Literal

import numpy as np
from pydantic import BaseModel

ALIGN = 8
# Wire name -> the little-endian dtype it is sent as. Booleans travel as uint8 (0 or 1).
DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"), "uint8": np.dtype("u1")}
_WIRE_NAME = {
    np.dtype(np.float32): "float32",
    np.dtype(np.int32): "int32",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "uint8",
}


class ArrayEntry(BaseModel):
    name: str
    dtype: Literal["float32", "int32", "uint8"]
    shape: list[int]
    offset: int
    nbytes: int


class FrameHeader(BaseModel):
    """The JSON header of a binary frame (:func:`encode` writes it)."""

    id: int | None
    type: str
    meta: dict
    arrays: list[ArrayEntry]


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _wire_array(name: str, array: np.ndarray) -> tuple[str, np.ndarray]:
    """The array as it goes on the wire: its wire dtype name and a C-contiguous little-endian copy or view."""
    array = np.asarray(array)
    wire = _WIRE_NAME.get(array.dtype.newbyteorder("=")) if array.dtype.kind != "b" else "uint8"
    if wire is None:
        # A float64 or int64 here is a bug upstream (the engine works in float32); say so loudly.
        raise TypeError(f"array {name!r} has dtype {array.dtype}; the wire carries float32, int32, uint8 or bool")
    if array.dtype.kind == "b":
        array = array.view(np.uint8)  # same shape: bools are one byte, 0 or 1
    return wire, np.ascontiguousarray(array, dtype=DTYPES[wire])  # same shape


def encode(id: int | None, type: str, meta: dict | None = None, arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One binary frame carrying ``meta`` (JSON) and ``arrays`` (raw bytes), in the order given."""
    placed = []
    offset = 0
    for name, array in (arrays or {}).items():
        wire, data = _wire_array(name, array)
        placed.append(
            ({"name": name, "dtype": wire, "shape": list(data.shape), "offset": offset, "nbytes": data.nbytes}, data)
        )
        offset = _aligned(offset + data.nbytes)
    header = json.dumps(
        {"id": id, "type": type, "meta": meta or {}, "arrays": [entry for entry, _ in placed]},
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    ).encode()
    start = _aligned(4 + len(header))
    frame = bytearray(start + offset)  # zero-filled, so the padding is zeros
    struct.pack_into("<I", frame, 0, len(header))
    frame[4 : 4 + len(header)] = header
    for entry, data in placed:
        at = start + entry["offset"]
        frame[at : at + data.nbytes] = data.tobytes()
    return bytes(frame)


def decode(frame: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a frame back: (header, arrays by name). The tests use it; the browser does the same in JS."""
    (length,) = struct.unpack_from("<I", frame, 0)
    header = json.loads(bytes(frame[4 : 4 + length]).decode())
    start = _aligned(4 + length)
    arrays = {}
    for entry in header["arrays"]:
        dtype = DTYPES[entry["dtype"]]
        count = entry["nbytes"] // dtype.itemsize
        flat = np.frombuffer(frame, dtype, count, start + entry["offset"])  # (prod(shape),)
        arrays[entry["name"]] = flat.reshape(entry["shape"])  # shape from the header
    return header, arrays
