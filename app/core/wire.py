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


# Arrays already as the wire carries them (little-endian, C-contiguous) go as they are.
_AS_IS = {np.dtype("<f4"): "float32", np.dtype("<i4"): "int32", np.dtype("u1"): "uint8"}


def _wire_array(name: str, array: np.ndarray) -> tuple[str, np.ndarray]:
    """The array as it goes on the wire: its wire dtype name and a C-contiguous little-endian copy or view."""
    if type(array) is np.ndarray and array.flags.c_contiguous:
        wire = _AS_IS.get(array.dtype)
        if wire is not None:
            return wire, array
    array = np.asarray(array)
    wire = _WIRE_NAME.get(array.dtype.newbyteorder("=")) if array.dtype.kind != "b" else "uint8"
    if wire is None:
        # A float64 or int64 here is a bug upstream (the engine works in float32); say so loudly.
        raise TypeError(f"array {name!r} has dtype {array.dtype}; the wire carries float32, int32, uint8 or bool")
    if array.dtype.kind == "b":
        array = array.view(np.uint8)  # same shape: bools are one byte, 0 or 1
    return wire, np.ascontiguousarray(array, dtype=DTYPES[wire])  # same shape


# One encoder for every header: json.dumps with options builds a new one per call.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


class Meta(dict):
    """A meta whose JSON is written once, for an answer many requests share (settings → meta caches).

    It is a plain dict to read; :func:`encode` splices its UTF-8 JSON (``data``) into the header
    instead of encoding it again. Never change one after it is made: ``data`` would no longer say the same.
    """

    __slots__ = ("data",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.data = _dumps(self).encode()


# Names of types and arrays as JSON strings: a few dozen, written by the code (never by a page).
_NAMES: dict[str, bytes] = {}


def _name(text: str) -> bytes:
    data = _NAMES.get(text)
    if data is None:
        data = _dumps(text).encode()
        if len(_NAMES) < 4096:
            _NAMES[text] = data
    return data


def encode(id: int | None, type: str, meta: dict | None = None, arrays: dict[str, np.ndarray] | None = None) -> bytes:
    """One binary frame carrying ``meta`` (JSON) and ``arrays`` (raw bytes), in the order given.

    The header is the JSON of ``{"id", "type", "meta", "arrays"}`` byte for byte as one ``json.dumps``
    with compact separators writes it; it is put together from parts so that a shared meta
    (:class:`Meta`) is never encoded again. The frame is joined once, the arrays' bytes without a copy.
    """
    entries, data_parts = [], []
    offset = 0
    for name, array in (arrays or {}).items():
        wire, data = _wire_array(name, array)
        dims = ",".join(map(str, data.shape))
        entries.append(
            b'{"name":%b,"dtype":"%b","shape":[%b],"offset":%d,"nbytes":%d}'
            % (_name(name), wire.encode(), dims.encode(), offset, data.nbytes)
        )
        end = offset + data.nbytes
        data_parts.append(data)  # a C-contiguous array is a buffer of exactly its bytes
        offset = _aligned(end)
        if offset > end:
            data_parts.append(bytes(offset - end))  # zeros up to the next 8-byte offset
    meta_data = meta.data if isinstance(meta, Meta) else _dumps(meta or {}).encode()
    id_data = _dumps(id).encode()
    header = b'{"id":%b,"type":%b,"meta":%b,"arrays":[%b]}' % (id_data, _name(type), meta_data, b",".join(entries))
    start = _aligned(4 + len(header))
    return b"".join([struct.pack("<I", len(header)), header, bytes(start - 4 - len(header)), *data_parts])


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
