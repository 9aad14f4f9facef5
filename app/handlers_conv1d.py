"""conv1d.run: the output of a 1-D convolution and every step of it (engine.conv1d, engine.trace.conv1d_trace).

No math here: the output comes from engine.conv1d, the steps from the engine's
trace (built from the same index arithmetic and checked against it by
tests/engine/test_trace.py), and the output length and its formula from
engine.shapes.
"""

from __future__ import annotations

import numpy as np

from engine import conv1d, shapes, trace

from . import wire
from .grids import axis_meta
from .protocol import ANSWERS, Problem
from .protocol_conv1d import Conv1dResultMeta, Conv1dRunParams, limits


def _leftover(ax: shapes.AxisSize) -> str | None:
    """A sentence when the stride does not land on the end of the padded signal (the output is floored)."""
    if ax.whole:
        return None
    cells = "value" if ax.leftover == 1 else f"{ax.leftover} values"
    return (f"{ax.formula()}: at stride {ax.s} the kernel's last position leaves the last {cells} of the padded signal "
            f"unvisited, so the output has {ax.size} values")


def conv1d_run(id: int, p: Conv1dRunParams) -> bytes:
    x = np.asarray(p.signal, np.float32)[None, None]  # (1, 1, L)
    w = np.asarray(p.kernel, np.float32)[None, None]  # (1, 1, K)
    try:
        y = conv1d(x, w, None, p.stride, p.padding, 1, p.flip)[0, 0]  # (L_out,)
    except ValueError as exc:  # the only refusal left after validation: a kernel longer than the padded signal
        raise Problem("does_not_fit", "kernel", str(exc).replace("kernel size must", "kernel must", 1)) from None
    t = trace.conv1d_trace(x, w, None, p.stride, p.padding, 1, p.flip)
    ax = shapes.axis(len(p.signal), len(p.kernel), p.stride, p.padding)
    arrays = {
        "output": y,
        "padded": t.padded[0],  # (Lp,)
        "weights": t.weights[0, 0],  # (K,) as multiplied: turned around when flip
        "origin": t.origin,  # (S,) the first tap's position in the padded signal
        "positions": t.positions,  # (S, K)
        "window": t.window[:, 0, :],  # (S, K) signal values under the taps
        "is_pad": t.is_pad,  # (S, K)
        "products": t.products[:, 0, :],  # (S, K) weights × window
        "running_sum": t.running_sum,  # (S, K)
        "result": t.result,  # (S,) = output
    }
    meta = Conv1dResultMeta(length=axis_meta(ax), output_length=ax.size, steps=len(t.result), flip=p.flip,
                            problem=_leftover(ax), limits=limits())
    return wire.encode(id, ANSWERS["conv1d.run"], meta.model_dump(), arrays)
