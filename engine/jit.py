"""The one place where Numba options are set, kernels meet their NumPy twins, and the disk cache is chosen.

Every kernel in the engine is compiled with the same flags:

* ``nogil=True`` so the server can run kernels on worker threads;
* a disk cache in a directory named by a hash of the engine's source, so an edit
  to any kernel invalidates every cached kernel (Numba only notices edits to the
  file that holds the function it caches, not to the kernels it calls in other
  modules);
* a restricted ``fastmath`` set: re-association lets LLVM vectorise the float32
  sums in the gradient kernels; no ``nnan``/``ninf`` so NaN and infinity still
  propagate the way a student would expect.

Cold start. Compiling every kernel takes 15–35 s on an empty cache. A kernel that
Python calls has a NumPy twin beside it (:func:`twin_of`): the same arguments, the
same arrays written, the same numbers within float rounding. While the server's
warm-up compiles on its thread (:func:`compiling`), a call from any other thread
for which no compiled version exists yet runs the twin instead of compiling a
second time or waiting for the compiler; once the warm-up has compiled it, the
same call runs the kernel. Outside a warm-up (tests, scripts) a kernel compiles
on first call, as Numba does.

The hook is Numba's own: the dispatcher calls ``_compile_for_args`` (from C) only
when no compiled version fits the arguments, and calls whatever it returns; a
call that finds a compiled version never reaches Python, so the twins cost
nothing once warm.

Cache directory (:func:`cache_store`), chosen the first time a kernel compiles,
never on import: the first of ``$CONVSCOPE_CACHE_DIR``, ``$XDG_CACHE_HOME`` (or
``~/.cache``)``/convscope`` and the system temp dir's ``convscope-<uid>`` that is
writable is used to read and write; one that is read-only but holds kernels is
only read (missing kernels compile in memory); with none, kernels compile in
memory. Anything but the plain case is said in one log line, never a traceback.
``NUMBA_CACHE_DIR`` does not apply to the engine's kernels.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from numba.core.caching import CompileResultCacheImpl, FunctionCache, _CacheLocator
from numba.core.registry import CPUDispatcher

log = logging.getLogger("convscope.engine")

_ENGINE_DIR = Path(__file__).resolve().parent


# A module that holds kernels imports one of these decorators from this one.
_KERNEL_IMPORT = re.compile(rb"^from \.jit import [^\n]*\b(?:kernel|strict_kernel)\b", re.MULTILINE)


def kernel_sources() -> list[Path]:
    """This file and every engine module that compiles kernels: what the cached machine code is made of.

    A module of plain NumPy (or one that only calls compiled ops) cannot change a
    compiled kernel, so editing it keeps the cache.
    """
    return [p for p in sorted(_ENGINE_DIR.glob("*.py")) if p.name == "jit.py" or _KERNEL_IMPORT.search(p.read_bytes())]


@functools.cache
def _source_digest() -> str:
    """A short hash of the kernels' source files (:func:`kernel_sources`): the cache key of the kernels."""
    digest = hashlib.sha256()
    for path in kernel_sources():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------ where the cache lives


@dataclass(frozen=True)
class CacheStore:
    """Where compiled kernels are read from and whether they are written there; ``path`` None: memory only."""

    path: Path | None
    writable: bool


def _writable(directory: Path) -> str | None:
    """None if ``directory`` is (made and) writable, else the reason it is not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _holds_kernels(directory: Path) -> bool:
    try:
        return any(directory.glob("*.nbi"))
    except OSError:
        return False


def _bases() -> Iterator[Path]:
    """The directories the cache may live under, in order of preference."""
    if os.environ.get("CONVSCOPE_CACHE_DIR"):
        yield Path(os.environ["CONVSCOPE_CACHE_DIR"])
    try:
        user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except (RuntimeError, KeyError):  # no home directory to speak of
        user_cache = None
    if user_cache is not None:
        yield user_cache / "convscope"
    temp = _temp_dir()
    if temp is not None:
        yield temp / f"convscope-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def _temp_dir() -> Path | None:
    try:
        return Path(tempfile.gettempdir())
    except OSError:  # FileNotFoundError: "No usable temporary directory found"
        return None


_CHOOSING = threading.Lock()


def cache_store() -> CacheStore:
    """The kernel cache, chosen (and made) once, on first compile; logs one line unless it is the first choice."""
    with _CHOOSING:
        return _choose_store()


@functools.cache
def _choose_store() -> CacheStore:
    name = f"numba-{_source_digest()}"
    refused: list[str] = []
    for base in _bases():
        directory = base / name
        reason = _writable(directory)
        if reason is None:
            if refused:
                log.warning("convscope: kernel cache: cannot use %s; using %s instead", "; ".join(refused), directory)
            return CacheStore(directory, True)
        if _holds_kernels(directory):
            log.warning(
                "convscope: kernel cache %s is read-only (%s): loading compiled kernels from it, "
                "compiling any others in memory",
                directory,
                reason,
            )
            return CacheStore(directory, False)
        refused.append(f"{directory} ({reason})")
    if _temp_dir() is None:
        refused.append("no usable temp directory")
    log.warning(
        "convscope: no writable directory for the kernel cache (%s): kernels compile in memory "
        "at every start; set CONVSCOPE_CACHE_DIR to a writable directory to keep them",
        "; ".join(refused),
    )
    return CacheStore(None, False)


def cache_dir() -> Path | None:
    """The kernel cache's directory (None: kernels are kept in memory only)."""
    return cache_store().path


class _Locator(_CacheLocator):
    """Numba's cache files of one kernel, in the chosen directory and nowhere else.

    Numba's own locators fall back on their own (next to the source, then a
    per-user directory) when one cannot be written; this one does not. The
    freshness stamp is the engine's digest, which already names the directory,
    so a cache built from an identical copy of the engine elsewhere is valid.
    """

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._path = str(cache_store().path)

    def ensure_cache_path(self):
        os.makedirs(self._path, exist_ok=True)  # chosen and probed by cache_store(); this only remakes it

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        return _source_digest()

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        return cls(py_func, py_file)


class _EngineCacheImpl(CompileResultCacheImpl):
    _locator_classes = [_Locator]


class _EngineCache(FunctionCache):
    _impl_class = _EngineCacheImpl


class _DiskCache:
    """One kernel's disk cache, opened when it first compiles (importing the engine touches no disk).

    Reading a damaged file is a miss (and its index is emptied, to be written
    afresh); a failed write turns writing off for the rest of the run. Either is
    logged once and never stops a compile.
    """

    _trouble_told = False  # for the whole process: one line, however many kernels meet the trouble
    _saving_failed = False

    def __init__(self, py_func):
        self._py_func = py_func
        self._cache: FunctionCache | None = None
        self._store: CacheStore | None = None

    def _open(self) -> FunctionCache | None:
        if self._store is None:
            self._store = cache_store()
            if self._store.path is not None:
                self._cache = _EngineCache(self._py_func)
        return self._cache

    @classmethod
    def _tell(cls, what: str, exc: BaseException, then: str) -> None:
        if not cls._trouble_told:
            cls._trouble_told = True
            log.warning("convscope: kernel cache: %s (%s: %s); %s", what, type(exc).__name__, exc, then)

    def load_overload(self, sig, target_context):
        cache = self._open()
        if cache is None:
            return None
        try:
            return cache.load_overload(sig, target_context)
        except Exception as exc:  # noqa: BLE001 (a truncated or foreign file: compile instead)
            self._tell(f"could not read {cache.cache_path}", exc, "compiling the kernels it should hold")
            if self._store.writable:
                with contextlib.suppress(Exception):
                    cache.flush()  # an empty index in its place, so this compile is saved over it
            return None

    def save_overload(self, sig, data):
        cache = self._open()
        if cache is None or not self._store.writable or _DiskCache._saving_failed:
            return
        try:
            cache.save_overload(sig, data)
        except Exception as exc:  # noqa: BLE001 (a full disk, a directory removed: the compile stands)
            _DiskCache._saving_failed = True
            self._tell(f"could not write to {cache.cache_path}", exc, "kernels compiled from now on stay in memory")

    def flush(self):
        cache = self._open()
        if cache is not None and self._store.writable:
            cache.flush()

    @property
    def cache_path(self):
        cache = self._open()
        return cache.cache_path if cache is not None else None


# ------------------------------------------------------------------ kernels and their twins


class _Background:
    """Which thread compiles in the background (the warm-up), if any."""

    def __init__(self):
        self.lock = threading.Lock()
        self.thread: int | None = None


_BACKGROUND = _Background()


@contextmanager
def compiling() -> Iterator[None]:
    """Compile kernels on this thread; meanwhile other threads answer with the twins of those not compiled yet.

    One thread at a time: a second warm-up waits for the first and then finds
    everything compiled. On leaving, a kernel nobody compiled compiles on first call.
    """
    with _BACKGROUND.lock:
        _BACKGROUND.thread = threading.get_ident()
        try:
            yield
        finally:
            _BACKGROUND.thread = None


_EXACT = threading.local()


@contextmanager
def exact() -> Iterator[None]:
    """On this thread, always the kernels themselves: a call compiles (waiting for the compiler) rather
    than take a twin. For work whose numbers must repeat to the last bit, as a training run replayed
    after a restart must: the twins agree with the kernels only to float rounding."""
    before = getattr(_EXACT, "on", False)
    _EXACT.on = True
    try:
        yield
    finally:
        _EXACT.on = before


def _compiling_elsewhere() -> bool:
    thread = _BACKGROUND.thread
    return thread is not None and thread != threading.get_ident() and not getattr(_EXACT, "on", False)


class Kernel(CPUDispatcher):
    """A Numba dispatcher that, while the warm-up compiles elsewhere, answers uncompiled calls with its twin."""

    twin: Callable | None = None  # the NumPy twin, set by twin_of

    def _compile_for_args(self, *args, **kws):
        # Reached only when no compiled version fits the arguments; Numba calls what this returns.
        if self.twin is not None and _compiling_elsewhere():
            return self.twin
        return super()._compile_for_args(*args, **kws)


KERNELS: list[Kernel] = []  # every kernel, in the order they were defined


def twin_of(kernel: Kernel) -> Callable[[Callable], Callable]:
    """A decorator: the plain-NumPy function that computes what ``kernel`` computes, with its arguments."""

    def register(fn: Callable) -> Callable:
        kernel.twin = fn
        return fn

    return register


def reshaped(a: np.ndarray, *shape: int) -> np.ndarray:
    """``a`` reshaped without a copy, for a twin writing a kernel's output in place (a copy would lose it)."""
    view = a.reshape(shape)
    if view.size and not np.may_share_memory(view, a):
        raise ValueError(f"an output of shape {a.shape} cannot be viewed as {shape} without a copy")
    return view


def _compiled(**options):
    """A decorator: a :class:`Kernel` with these Numba options and the lazily opened disk cache."""

    def decorate(fn):
        if numba.config.DISABLE_JIT:
            return fn
        dispatcher = Kernel(py_func=fn, targetoptions={"nopython": True, **options})
        dispatcher._cache = _DiskCache(fn)
        KERNELS.append(dispatcher)
        return dispatcher

    return decorate


FASTMATH = {"reassoc", "contract", "nsz"}

# Every kernel is serial: the server runs requests side by side on worker
# threads instead, and parallel kernels compile three times slower.
kernel = _compiled(nogil=True, fastmath=FASTMATH, error_model="numpy")

# For checks whose meaning rests on IEEE rules (x − x is NaN for ±inf), which
# re-association would be free to fold away.
strict_kernel = _compiled(nogil=True, error_model="numpy")
