"""Check functions for 1×1, grouped, depthwise and depthwise-separable convolutions (lessons/FORMAT.md,
"Check functions"). Same contract as :mod:`app.lessons.checks`, which lists these beside its own: each
returns ``(answer, work)`` from the engine's counts (engine.grouped.costs) or connection matrix, and a
bad argument raises ValueError naming it.

Channels are numbered from 1 here, as the widget labels them and as a lesson speaks of them.
"""

from __future__ import annotations

import numpy as np

from engine import checks
from engine.grouped import MODES, connections, costs, group_of

from .check_parts import Answer


def _costs(h_out, w_out, c_in, c_out, k, groups):
    try:
        return costs(h_out, w_out, c_in, c_out, k, groups)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'c_in')}: {exc}") from None


def grouped_params(mode, c_in, c_out, k, groups=1) -> Answer:
    """Weights (no biases) of one layer: ``mode`` is ordinary, grouped, depthwise, pointwise or separable."""
    mode = checks.choice("mode", mode, MODES)
    cost = _costs(1, 1, c_in, c_out, k, groups).by_mode[mode]
    return cost.weights, f"{cost.formula} = {cost.weights:,}"


def grouped_madds(mode, h_out, w_out, c_in, c_out, k, groups=1) -> Answer:
    """Multiply-adds of one layer for one image: H_out·W_out times its weights."""
    mode = checks.choice("mode", mode, MODES)
    cost = _costs(h_out, w_out, c_in, c_out, k, groups).by_mode[mode]
    return cost.madds, f"{cost.madds_formula} = {cost.madds:,}"


def separable_saving(c_out, k) -> Answer:
    """How many times fewer weights (and multiply-adds) separable needs than ordinary: 1 / (1/C_out + 1/k²)."""
    c = _costs(1, 1, 1, c_out, k, 1)
    return float(1 / c.ratio), c.ratio_formula()


def group_inputs(c_in, c_out, groups, output) -> Answer:
    """The input channels output channel ``output`` of a grouped layer reads, as text: ``"5, 6, 7, 8"``."""
    try:
        m = connections(c_in, c_out, groups)  # (C_out, C_in)
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'c_in')}: {exc}") from None
    o = checks.integer("output", output, 1, m.shape[0])
    reads = [str(i + 1) for i in np.flatnonzero(m[o - 1])]
    group = int(group_of(m.shape[0], groups)[o - 1]) + 1
    work = f"output {o} is in group {group} of {groups}, which reads {len(reads)} of the {m.shape[1]} inputs"
    return ", ".join(reads), f"{work}: {', '.join(reads)}"


CHECKS = {
    "grouped_params": grouped_params,
    "grouped_madds": grouped_madds,
    "separable_saving": separable_saving,
    "group_inputs": group_inputs,
}
