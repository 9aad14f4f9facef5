"""The one place where Numba options are set.

Every kernel in the engine is compiled with the same flags:

* ``nogil=True`` so the server can run kernels on worker threads;
* ``cache=True`` with a cache directory that depends on the engine's source, so
  an edit to any kernel invalidates every cached kernel (Numba only notices
  edits to the file that holds the function it caches, not to the kernels it
  calls in other modules);
* a restricted ``fastmath`` set: re-association lets LLVM vectorise the float32
  sums in the gradient kernels; no ``nnan``/``ninf`` so NaN and infinity still
  propagate the way a student would expect.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_ENGINE_DIR = Path(__file__).resolve().parent


def _source_digest() -> str:
    """A short hash of every engine source file: the cache key of the kernels."""
    digest = hashlib.sha256()
    for path in sorted(_ENGINE_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
        return True
    except OSError:
        return False


def cache_dir() -> Path:
    """Where compiled kernels live: per user, per engine source, always writable.

    ``CONVSCOPE_CACHE_DIR`` overrides the base; otherwise ``$XDG_CACHE_HOME`` or
    ``~/.cache``; if neither is writable (a read-only home), the system temp dir.
    """
    bases = []
    if os.environ.get("CONVSCOPE_CACHE_DIR"):
        bases.append(Path(os.environ["CONVSCOPE_CACHE_DIR"]))
    bases.append(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "convscope")
    bases.append(Path(tempfile.gettempdir()) / f"convscope-{os.getuid() if hasattr(os, 'getuid') else 'user'}")
    for base in bases:
        candidate = base / f"numba-{_source_digest()}"
        if _writable(candidate):
            return candidate
    raise RuntimeError("no writable directory for the kernel cache; set CONVSCOPE_CACHE_DIR")


# Numba reads NUMBA_CACHE_DIR when it is imported and again when a cached
# function is first compiled, so set both before any kernel is decorated.
CACHE_DIR = cache_dir()
os.environ.setdefault("NUMBA_CACHE_DIR", str(CACHE_DIR))

import numba  # noqa: E402  (must follow the cache set-up above)

numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]

FASTMATH = {"reassoc", "contract", "nsz"}

# Every kernel is serial: the server runs requests side by side on worker
# threads instead, and parallel kernels compile three times slower.
kernel = numba.njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")

# For checks whose meaning rests on IEEE rules (x − x is NaN for ±inf), which
# re-association would be free to fold away.
strict_kernel = numba.njit(cache=True, nogil=True, error_model="numpy")
