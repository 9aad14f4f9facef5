"""Grouped, depthwise and depthwise-separable convolutions, forward and backward side by side.

A grouped convolution cuts the input channels into ``groups`` equal slices and the filters into as
many; filter slice g sees only input slice g, so each filter is C_in/groups channels deep. With
one group it is the ordinary convolution; with C_in groups each filter sees one channel
(depthwise); a 1×1 kernel with one group mixes channels at each pixel and nothing else
(pointwise). A depthwise-separable convolution is a depthwise k×k followed by a pointwise 1×1.

Layout is PyTorch's: x (N, C_in, H, W), w (C_out, C_in/groups, KH, KW), as
``torch.nn.functional.conv2d(..., groups=g)`` takes them. Each group is one call of the compiled
:func:`engine.conv2d` (or its backward) on its slice, so no new kernel is compiled and the
numbers are exactly the ordinary convolution's.

The counts (exact Python ints) say what each kind of layer learns and how much work it does at
a given output size: parameters k·k·(C_in/g)·C_out, multiply-adds H_out·W_out times the weights.
They reuse the per-part counts of :mod:`engine.architectures_blocks` (which sizes Xception) so
the arithmetic lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import architectures_blocks as blocks
from . import checks, shapes
from .conv import conv2d, conv2d_backward
from .errors import ArgumentError

MODES = ("ordinary", "grouped", "depthwise", "pointwise", "separable")


# ---------------------------------------------------------------- which channels meet


def check_groups(c_in: int, c_out: int, groups) -> int:
    """``groups`` as an int that divides both channel counts; ArgumentError("groups") otherwise."""
    g = checks.integer("groups", groups, 1)
    if c_in % g or c_out % g:
        raise ArgumentError(
            "groups",
            f"groups must divide both the input channels ({c_in}) and the output channels ({c_out}), got {g}: "
            f"each group takes C_in/groups inputs and makes C_out/groups outputs",
        )
    return g


def group_of(channels: int, groups: int) -> np.ndarray:
    """The group each of ``channels`` consecutive channels belongs to: [0, 0, 1, 1] for 4 in 2."""
    return np.repeat(np.arange(groups, dtype=np.int32), channels // groups)  # (channels,)


def connections(c_in: int, c_out: int, groups: int = 1) -> np.ndarray:
    """(C_out, C_in) 1 where output channel o reads input channel i: the blocks of a grouped layer."""
    g = check_groups(checks.integer("c_in", c_in, 1), checks.integer("c_out", c_out, 1), groups)
    same = group_of(c_out, g)[:, None] == group_of(c_in, g)[None, :]  # (C_out, C_in)
    return same.astype(np.float32)


# ---------------------------------------------------------------- grouped convolution


def _check(x, w, b, groups):
    """(x, w, b, g) as contiguous float32, the filter depth checked against C_in/groups."""
    x = checks.array("x", x, 4, "(N, C_in, H, W)")
    w = checks.array("w", w, 4, "(C_out, C_in/groups, KH, KW)")
    g = check_groups(x.shape[1], w.shape[0], groups)
    if w.shape[1] * g != x.shape[1]:
        raise ArgumentError(
            "w",
            f"w must be C_in/groups = {x.shape[1]}/{g} = {x.shape[1] // g} channels deep, got {w.shape[1]}: "
            "each filter sees only its group's input channels",
        )
    b = checks.bias(b, w.shape[0], "filter")  # (C_out,)
    return x, w, b, g


def _slices(c_in: int, c_out: int, g: int):
    """For each group: the input channels it reads and the output channels (filters) it makes."""
    ci, co = c_in // g, c_out // g
    return [(slice(i * ci, (i + 1) * ci), slice(i * co, (i + 1) * co)) for i in range(g)]


def grouped_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """x (N, C_in, H, W) ⋆ w (C_out, C_in/groups, KH, KW) + b (C_out,), group by group.

    Returns (N, C_out, H_out, W_out). ``stride``, ``padding``, ``dilation`` as :func:`engine.conv2d`.
    """
    x, w, b, g = _check(x, w, b, groups)
    parts = [conv2d(x[:, i], w[o], b[o], stride, padding, dilation) for i, o in _slices(x.shape[1], w.shape[0], g)]
    return np.concatenate(parts, axis=1)  # (N, C_out, H_out, W_out): the groups' outputs side by side


def grouped_conv2d_backward(gy, x, w, stride=1, padding=0, dilation=1, groups=1):
    """Gradients (dL/dx, dL/dw, dL/db) of :func:`grouped_conv2d` given dL/dy (N, C_out, H_out, W_out).

    Each group is an ordinary convolution of its slices, so its gradients are that convolution's;
    an input channel gets gradient only from the filters of its own group.
    """
    x, w, _, g = _check(x, w, None, groups)
    gy = checks.array("gy", gy, 4, "(N, C_out, H_out, W_out)")
    if gy.shape[:2] != (x.shape[0], w.shape[0]):
        raise ArgumentError("gy", f"gy must have the output's batch and channels {(x.shape[0], w.shape[0])}")
    gx = np.empty(x.shape, np.float32)  # (N, C_in, H, W)
    gw = np.empty(w.shape, np.float32)  # (C_out, C_in/groups, KH, KW)
    gb = np.empty(w.shape[0], np.float32)  # (C_out,)
    for i, o in _slices(x.shape[1], w.shape[0], g):
        gx[:, i], gw[o], gb[o] = conv2d_backward(gy[:, o], x[:, i], w[o], stride, padding, dilation)
    return gx, gw, gb


# ---------------------------------------------------------------- depthwise-separable


def _check_separable(x, w_depthwise, w_pointwise):
    x = checks.array("x", x, 4, "(N, C_in, H, W)")
    wd = checks.array("w_depthwise", w_depthwise, 4, "(C_in, 1, k, k)")
    wp = checks.array("w_pointwise", w_pointwise, 4, "(C_out, C_in, 1, 1)")
    c_in = x.shape[1]
    if wd.shape[:2] != (c_in, 1):
        raise ArgumentError(
            "w_depthwise", f"w_depthwise must be one 1-deep filter per input channel, ({c_in}, 1, k, k), got {wd.shape}"
        )
    if wp.shape[1:] != (c_in, 1, 1):
        raise ArgumentError(
            "w_pointwise",
            f"w_pointwise must be 1×1 filters {c_in} channels deep, (C_out, {c_in}, 1, 1), got {wp.shape}",
        )
    return x, wd, wp


def depthwise_separable_steps(
    x, w_depthwise, w_pointwise, b_depthwise=None, b_pointwise=None, stride=1, padding=0, dilation=1
):
    """(middle, y): the depthwise maps (N, C_in, H_out, W_out) and the pointwise output (N, C_out, H_out, W_out)."""
    x, wd, wp = _check_separable(x, w_depthwise, w_pointwise)
    middle = grouped_conv2d(x, wd, b_depthwise, stride, padding, dilation, groups=x.shape[1])  # (N, C_in, Ho, Wo)
    return middle, grouped_conv2d(middle, wp, b_pointwise)  # (N, C_out, H_out, W_out): 1×1 mixes the channels


def depthwise_separable(
    x, w_depthwise, w_pointwise, b_depthwise=None, b_pointwise=None, stride=1, padding=0, dilation=1
):
    """Depthwise k×k (w_depthwise (C_in, 1, k, k)), then pointwise 1×1 (w_pointwise (C_out, C_in, 1, 1))."""
    steps = depthwise_separable_steps(x, w_depthwise, w_pointwise, b_depthwise, b_pointwise, stride, padding, dilation)
    return steps[1]  # (N, C_out, H_out, W_out)


def depthwise_separable_backward(gy, x, w_depthwise, w_pointwise, b_depthwise=None, stride=1, padding=0, dilation=1):
    """Gradients (dL/dx, dL/dw_depthwise, dL/dw_pointwise, dL/db_depthwise, dL/db_pointwise) given dL/dy.

    The pointwise step's input gradient is the depthwise step's upstream gradient (the chain rule
    through the maps in between, which are recomputed: they include the depthwise bias).
    """
    x, wd, wp = _check_separable(x, w_depthwise, w_pointwise)
    middle = grouped_conv2d(x, wd, b_depthwise, stride, padding, dilation, groups=x.shape[1])  # (N, C_in, Ho, Wo)
    g_middle, g_wp, g_bp = grouped_conv2d_backward(gy, middle, wp)  # (N, C_in, Ho, Wo), (C_out, C_in, 1, 1)
    gx, g_wd, g_bd = grouped_conv2d_backward(g_middle, x, wd, stride, padding, dilation, groups=x.shape[1])
    return gx, g_wd, g_wp, g_bd, g_bp


# ---------------------------------------------------------------- what each kind learns and costs


@dataclass(frozen=True)
class Cost:
    """One layer's learned numbers and work for one image at its output size."""

    mode: str
    label: str  # "grouped 3×3, 2 groups"
    weights: int
    biases: int  # one per output channel when counted, else 0
    madds: int  # multiply-adds: H_out·W_out·weights (a bias is an add, not a multiply-add)
    formula: str  # the weights as factors: "3×3×(256/32)×256"
    madds_formula: str  # "56×56 × 3×3×(256/32)×256"
    channels_out: int

    @property
    def params(self) -> int:
        return self.weights + self.biases


@dataclass(frozen=True)
class Costs:
    """Every kind of layer at one size: C_in → C_out channels, k×k, H_out×W_out outputs, g groups."""

    h_out: int
    w_out: int
    c_in: int
    c_out: int
    k: int
    groups: int
    by_mode: dict  # mode -> Cost
    ratio: Fraction  # separable ÷ ordinary weights, exactly 1/C_out + 1/k²

    def ratio_formula(self) -> str:
        r = self.ratio
        return f"1/{self.c_out} + 1/{self.k}² = {float(r):.4g}, {float(1 / r):.4g}× fewer"


def costs(h_out: int, w_out: int, c_in: int, c_out: int, k: int, groups: int = 1, bias: bool = False) -> Costs:
    """Parameters and multiply-adds of each mode (MODES) for one layer's sizes.

    Depthwise is C_in → C_in (one filter per channel, depth multiplier 1); pointwise is the 1×1 from
    C_in to C_out; separable is the two of them; grouped has ``groups`` groups.
    """
    ho, wo = checks.integer("h_out", h_out, 1), checks.integer("w_out", w_out, 1)
    c_in, c_out, k = checks.integer("c_in", c_in, 1), checks.integer("c_out", c_out, 1), checks.integer("k", k, 1)
    g = check_groups(c_in, c_out, groups)
    bias = bool(bias)
    hwc = (ho, wo, c_in)  # "same" padding at stride 1 keeps ho×wo: each part's madds are ho·wo·weights
    size = f"{ho}×{wo}"
    plain = blocks.conv_part("conv", hwc, c_out, k, 1, "same")
    depth = blocks.depthwise_part("depthwise", hwc, k, "same")
    point = blocks.conv_part("pointwise", hwc, c_out, 1)
    g_weights = shapes.conv_params((k, k), c_in // g, c_out, bias=False)
    g_formula = f"{k}×{k}×({c_in}/{g})×{c_out}"

    def cost(mode, label, weights, biases, formula, out):
        mf = f"{size} × ({formula})" if "+" in formula else f"{size} × {formula}"
        return Cost(mode, label, weights, biases if bias else 0, ho * wo * weights, formula, mf, out)

    by_mode = {
        "ordinary": cost("ordinary", f"ordinary {k}×{k}", plain.params, c_out, plain.formula, c_out),
        "grouped": cost("grouped", f"grouped {k}×{k}, {g} groups", g_weights, c_out, g_formula, c_out),
        "depthwise": cost("depthwise", f"depthwise {k}×{k}", depth.params, c_in, depth.formula, c_in),
        "pointwise": cost("pointwise", "pointwise 1×1", point.params, c_out, point.formula, c_out),
        "separable": cost(
            "separable",
            f"separable {k}×{k} + 1×1",
            depth.params + point.params,
            c_in + c_out,
            f"{depth.formula} + {point.formula}",
            c_out,
        ),
    }
    ratio = Fraction(by_mode["separable"].weights, by_mode["ordinary"].weights)
    assert ratio == Fraction(1, c_out) + Fraction(1, k * k)  # Xception's trade, exactly
    return Costs(ho, wo, c_in, c_out, k, g, by_mode, ratio)
