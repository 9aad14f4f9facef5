"""Every compute path engine.conv chooses is reached by cases checked against PyTorch, and each repeats.

The oracle cases of test_conv_vs_torch.py (tests/engine/conv_cases.py) run here
once more while tests/engine/conv_routes.py records, for every forward and
backward call, which way each of engine.conv's choosers answered and which
kernel functions ran. A chooser answer or a kernel function no case reaches,
or a path reached only without padding, only at stride 1, only undilated (and
so on), fails here: a path added to the engine later fails until cases reach it.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from tests.engine.conv_cases import MODES, ORACLE_CASES, PATH_CASES, Conv2dCase, run_engine
from tests.engine.conv_routes import Step, choosers, kernel_calls, recording


@pytest.fixture(scope="module")
def routes() -> dict[Conv2dCase, tuple[Step, ...]]:
    """Each oracle case's steps: conv2d, conv2d_backward, then ConvSpec.forward and .backward."""
    out = {}
    with recording() as steps:
        for case in ORACLE_CASES:
            start = len(steps)
            run_engine(case, *case.arrays())
            out[case] = tuple(steps[start:])
    return out


def test_the_recorder_sees_the_engine(routes):
    """Four steps a case, and the choosers and kernels it wraps are really there (the source was read)."""
    assert choosers() and kernel_calls()
    for case, steps in routes.items():
        assert [s.direction for s in steps] == ["forward", "backward"] * 2, case
        assert steps[3].need_input == case.need_input and steps[1].need_input is True, case


def test_every_kernel_function_engine_conv_calls_is_reached(routes):
    reached = {kernel for steps in routes.values() for step in steps for kernel in step.kernels}
    missing = sorted(kernel_calls() - reached)
    assert not missing, f"no oracle case reaches {missing}"


def test_every_chooser_answers_every_way_in_each_direction(routes):
    answers = defaultdict(set)  # (chooser, direction) -> its answers
    for steps in routes.values():
        for step in steps:
            for name, answer in step.choices:
                answers[name, step.direction].add(answer)
    for name in choosers():
        directions = [d for (n, d) in answers if n == name]
        assert directions, f"{name} is never asked by any oracle case"
        for direction in directions:
            seen = answers[name, direction]
            if all(isinstance(a, bool) for a in seen):
                assert seen == {False, True}, f"{name} in {direction} only ever answers {seen}"


def _dilated(case: Conv2dCase) -> bool:
    """A dilation shows only along an axis whose kernel is wider than one tap."""
    return any(d > 1 and k > 1 for d, k in zip(case.dilation, case.kernel))


def test_each_path_meets_padding_stride_dilation_flip_and_every_mode(routes):
    by_path = defaultdict(list)  # Step.path -> [(case, step)]
    for case, steps in routes.items():
        for step in steps:
            by_path[step.path].append((case, step))
    assert len(by_path) >= 4, sorted(by_path)  # forward and backward, on at least two paths each
    for path, seen in by_path.items():
        cases = [case for case, _ in seen]
        needs = {
            "unpadded": any(max(c.padding) == 0 for c in cases),
            "padded": any(max(c.padding) > 0 for c in cases),
            "at stride 1": any(c.stride == (1, 1) for c in cases),
            "strided": any(max(c.stride) > 1 for c in cases),
            "undilated": any(not _dilated(c) for c in cases),
            "dilated": any(_dilated(c) for c in cases),
            "unflipped": any(not c.flip for c in cases),
            "flipped": any(c.flip for c in cases),
            "with a batch": any(c.n > 1 for c in cases),
        }
        for mode in MODES:
            needs[f"with {mode} padding"] = any(c.pad_mode == mode and max(c.padding) > 0 for c in cases)
        if path[0] == "backward":
            needs["asking dL/dx"] = any(step.need_input for _, step in seen)
            needs["not asking dL/dx"] = any(step.need_input is False for _, step in seen)
        missing = [need for need, met in needs.items() if not met]
        assert not missing, f"path {path}: no oracle case {', '.join(missing)}"


def test_cases_made_for_a_path_take_it(routes):
    """The batches built for the matrix-multiply path take it, in every step; those built for the loops do not."""
    for case in PATH_CASES:
        answers = {answer for step in routes[case] for name, answer in step.choices if name == "_use_gemm"}
        assert answers == {case.path == "gemm"}, f"{case} was made for the {case.path} path, took gemm={answers}"


def _work(case: Conv2dCase) -> int:
    oh, ow = case.output_size()
    return case.n * case.f * oh * ow * case.c * case.kernel[0] * case.kernel[1]


@pytest.mark.usefixtures("engine_path")
def test_every_route_repeats_bit_for_bit(routes):
    """The cheapest case of each distinct route, twice, with every other route's case run in between."""
    by_route = defaultdict(list)
    for case, steps in routes.items():
        by_route[steps].append(case)
    chosen = [min(cases, key=_work) for cases in by_route.values()]
    assert len(chosen) >= 4
    inputs = [case.arrays() for case in chosen]
    first = [run_engine(case, *arrays).arrays() for case, arrays in zip(chosen, inputs)]
    for case, arrays, before in zip(chosen, inputs, first):
        again = run_engine(case, *arrays).arrays()
        for name, value in before.items():
            if value is None:
                assert again[name] is None, f"{name} of {case}"
            else:
                np.testing.assert_array_equal(again[name], value, err_msg=f"{name} of {case}")
