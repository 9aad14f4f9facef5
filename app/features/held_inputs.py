"""Large inputs the server holds, so a page sends its picture once and names it after that.

A 256×256×3 input is about 2 MB of JSON numbers, and reading them costs more than the
convolution; a slider's conv.run changes only the settings. So an answer to a request
carrying a large input names it (``input_ref`` in the meta), and the page's next requests
send that name instead of the numbers (``input_ref`` beside an empty ``input.values``).

The name is the server's own digest of the numbers it read (BLAKE2b of the shape and the
float32 bytes): a page can name only numbers it sent or already knows, and two pages on
the same preset share one copy. What is held is bounded for the whole server
(``MAX_BYTES``, the least recently used input leaving first), not per page: a page whose
input has left, or that reconnects to a restarted server, is told its ``input_ref`` is
unknown and sends the numbers again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import numpy as np

# Inputs smaller than this travel as numbers every time: their JSON is small and reading it cheap.
MIN_VALUES = 4096  # a 64×64 picture
MAX_BYTES = 64 * 2**20  # about 80 of the largest inputs (3×256×256 float32, 768 kB each)
REF_PATTERN = r"^[0-9a-f]{32}$"


def digest(x: np.ndarray) -> str:
    """The name of a C-contiguous float32 array: 32 hex digits of BLAKE2b over its shape and bytes."""
    h = hashlib.blake2b(repr(x.shape).encode(), digest_size=16)
    h.update(x.data)
    return h.hexdigest()


class HeldInputs:
    """Arrays by digest, at most ``max_bytes`` of them; safe to use from the loop and worker threads."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self._arrays: OrderedDict[str, np.ndarray] = OrderedDict()  # oldest use first
        self._bytes = 0
        self._lock = threading.Lock()

    def hold(self, x: np.ndarray) -> str:
        """Keep ``x`` (never written to afterwards, by the caller or the engine) and return its name."""
        ref = digest(x)
        with self._lock:
            if ref in self._arrays:
                self._arrays.move_to_end(ref)
                return ref
            self._arrays[ref] = x
            self._bytes += x.nbytes
            while self._bytes > self.max_bytes and len(self._arrays) > 1:
                _, old = self._arrays.popitem(last=False)
                self._bytes -= old.nbytes
        return ref

    def get(self, ref: str) -> np.ndarray | None:
        """The array named ``ref``, or None when it is not held (never was, or has left)."""
        with self._lock:
            x = self._arrays.get(ref)
            if x is not None:
                self._arrays.move_to_end(ref)
            return x

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._arrays)


HELD = HeldInputs()  # the server's, shared by every page
