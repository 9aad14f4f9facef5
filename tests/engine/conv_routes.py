"""Which compute path a convolution took, seen from outside the engine.

``engine.conv`` chooses a path on every call (its ``_use_*`` functions: today
``_use_gemm``, im2col + BLAS or the direct Numba loops) and runs it through the
functions of the kernel modules it imports. A :class:`Step` is what one forward
or backward call did: each chooser's answer and the kernel functions called.
They are recorded by wrapping those functions from here, not by asking the
engine to report, and the list of what to wrap is read from engine/conv.py's
source: a path added there later (a new chooser, a new kernel) is recorded too,
and the coverage test fails until an oracle case reaches it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from engine import conv


@dataclass(frozen=True)
class Step:
    direction: str  # "forward" or "backward"
    choices: tuple[tuple[str, object], ...]  # (chooser, its answer) in the order asked
    kernels: tuple[str, ...]  # "module.function" of each kernel function called, in first-call order
    need_input: bool | None  # backward only: whether dL/dx was asked for

    @property
    def path(self) -> tuple:
        """The path proper: direction and the choosers' answers (the kernels follow from the setting)."""
        return self.direction, self.choices


def choosers() -> list[str]:
    """The functions engine.conv asks which path to take."""
    return sorted(name for name, value in vars(conv).items() if name.startswith("_use_") and callable(value))


def _kernel_modules() -> dict[str, types.ModuleType]:
    """engine.conv's names for the kernel modules it imports (engine.conv_kernels and any sibling)."""
    return {
        name: value
        for name, value in vars(conv).items()
        if isinstance(value, types.ModuleType) and value.__name__.startswith("engine.conv")
    }


@functools.cache
def kernel_calls() -> frozenset[str]:
    """Every "module.function" of a kernel module that engine/conv.py's source calls."""
    modules = _kernel_modules()
    calls = set()
    for node in ast.walk(ast.parse(inspect.getsource(conv))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in modules:
                calls.add(f"{modules[owner.id].__name__.removeprefix('engine.')}.{node.func.attr}")
    return frozenset(calls)


@contextmanager
def recording() -> Iterator[list[Step]]:
    """While open, every ConvSpec.forward / backward call appends its Step to the list yielded."""
    steps: list[Step] = []
    open_steps: list[dict] = []  # the call being recorded (a stack, should one call another)

    def chooser_spy(name, original):
        def spy(*args, **kwargs):
            answer = original(*args, **kwargs)
            if open_steps:
                open_steps[-1]["choices"].append((name, answer))
            return answer

        return spy

    def kernel_spy(name, original):
        def spy(*args, **kwargs):
            if open_steps and name not in open_steps[-1]["kernels"]:
                open_steps[-1]["kernels"].append(name)
            return original(*args, **kwargs)

        return spy

    def direction_spy(direction, original):
        signature = inspect.signature(original)

        def spy(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            need = bound.arguments.get("need_input") if direction == "backward" else None
            open_steps.append({"choices": [], "kernels": []})
            try:
                return original(*args, **kwargs)
            finally:
                done = open_steps.pop()
                steps.append(Step(direction, tuple(done["choices"]), tuple(done["kernels"]), need))

        return spy

    with pytest.MonkeyPatch.context() as mp:
        for name in choosers():
            mp.setattr(conv, name, chooser_spy(name, getattr(conv, name)))
        modules = {m.__name__.removeprefix("engine."): m for m in _kernel_modules().values()}
        for call in kernel_calls():
            module_name, function = call.split(".")
            module = modules[module_name]
            mp.setattr(module, function, kernel_spy(call, getattr(module, function)))
        for direction in ("forward", "backward"):
            mp.setattr(conv.ConvSpec, direction, direction_spy(direction, getattr(conv.ConvSpec, direction)))
        yield steps
