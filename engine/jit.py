"""The one place where Numba options are set.

Every kernel in the engine is compiled with the same flags:

* ``nogil=True`` so the server can run kernels on worker threads;
* a disk cache in a directory named by a hash of the engine's source, so an edit
  to any kernel invalidates every cached kernel (Numba only notices edits to the
  file that holds the function it caches, not to the kernels it calls in other
  modules);
* a restricted ``fastmath`` set: re-association lets LLVM vectorise the float32
  sums in the gradient kernels; no ``nnan``/``ninf`` so NaN and infinity still
  propagate the way a student would expect.

Importing the engine touches no disk and no environment: the cache directory is
chosen, hashed and made the first time a kernel compiles (the server's warm-up
does that at start), and Numba is told of it through its config, not the
environment.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from pathlib import Path

import numba
from numba.core.caching import FunctionCache

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


@functools.cache
def cache_dir() -> Path:
    """Where compiled kernels live: per user, per engine source, always writable.

    ``CONVSCOPE_CACHE_DIR`` overrides the base; otherwise ``$XDG_CACHE_HOME`` or
    ``~/.cache``; if neither is writable (a read-only home), the system temp dir.
    Found (and made) once, on first use.
    """
    bases = []
    if os.environ.get("CONVSCOPE_CACHE_DIR"):
        bases.append(Path(os.environ["CONVSCOPE_CACHE_DIR"]))
    bases.append(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "convscope")
    bases.append(Path(tempfile.gettempdir()) / f"convscope-{os.getuid() if hasattr(os, 'getuid') else 'user'}")
    digest = _source_digest()
    for base in bases:
        candidate = base / f"numba-{digest}"
        if _writable(candidate):
            return candidate
    raise RuntimeError("no writable directory for the kernel cache; set CONVSCOPE_CACHE_DIR")


class _CacheOnFirstCompile:
    """Numba's disk cache of one kernel, made when the kernel first compiles rather than when it is decorated.

    Numba fixes a kernel's cache directory when its cache object is built; building
    it here, on first use, is what keeps the import free of I/O. A NUMBA_CACHE_DIR
    set by the user is kept.
    """

    def __init__(self, py_func):
        self._py_func = py_func
        self._cache: FunctionCache | None = None

    def _real(self) -> FunctionCache:
        if self._cache is None:
            if not numba.config.CACHE_DIR:
                numba.config.CACHE_DIR = str(cache_dir())
            self._cache = FunctionCache(self._py_func)
        return self._cache

    def load_overload(self, sig, target_context):
        return self._real().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        self._real().save_overload(sig, data)

    def flush(self):
        self._real().flush()

    @property
    def cache_path(self):
        return self._real().cache_path


def _compiled(**options):
    """A decorator: ``numba.njit(**options)`` with the disk cache attached lazily."""

    def decorate(fn):
        dispatcher = numba.njit(**options)(fn)
        dispatcher._cache = _CacheOnFirstCompile(fn)
        return dispatcher

    return decorate


FASTMATH = {"reassoc", "contract", "nsz"}

# Every kernel is serial: the server runs requests side by side on worker
# threads instead, and parallel kernels compile three times slower.
kernel = _compiled(nogil=True, fastmath=FASTMATH, error_model="numpy")

# For checks whose meaning rests on IEEE rules (x − x is NaN for ±inf), which
# re-association would be free to fold away.
strict_kernel = _compiled(nogil=True, error_model="numpy")
