"""The one home of shape arithmetic: output sizes, legal ranges, parameter counts.

Every array the engine allocates is sized here, and the formula the browser
shows is rendered from the same numbers, so what a student reads is what the
kernels did.

Output size along one axis of a convolution or pooling window::

    out = (n + p_before + p_after - d (k - 1) - 1) / s + 1

With symmetric padding p and no dilation this is the familiar
``(n + 2p - k) / s + 1``. Frameworks floor a fractional value (the last cells
that the window cannot reach are dropped); we keep the exact fraction so a
lesson can say why a setting does not fit and which nearby settings do.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

from . import checks
from .errors import ArgumentError

# Upper bounds for the search of nearby settings that fit (not limits of the ops).
_SEARCH = 64


@dataclass(frozen=True)
class AxisSize:
    """The output size of one axis, exactly."""

    n: int  # input size along the axis
    k: int  # kernel (window) size
    s: int  # stride
    pad_before: int
    pad_after: int
    d: int  # dilation

    @cached_property
    def span(self) -> int:
        """Distance the window can travel: padded input minus the dilated kernel's extent."""
        return self.n + self.pad_before + self.pad_after - self.d * (self.k - 1) - 1

    @cached_property
    def exact(self) -> Fraction:
        return Fraction(self.span, self.s) + 1

    @cached_property
    def fits_at_all(self) -> bool:
        """The (dilated) window is no larger than the padded input."""
        return self.span >= 0

    @cached_property
    def whole(self) -> bool:
        """Every stride lands exactly on the last window position: no cells left over."""
        return self.fits_at_all and self.span % self.s == 0

    @cached_property
    def size(self) -> int:
        """The size the kernels produce (floored, as deep-learning frameworks do); 0 if nothing fits."""
        return self.span // self.s + 1 if self.fits_at_all else 0

    @cached_property
    def leftover(self) -> int:
        """Padded input cells past the last window: never covered by any window."""
        return self.span % self.s if self.fits_at_all else 0

    def formula(self) -> str:
        """The formula with this axis's numbers substituted, e.g. ``(7 − 3)/3 + 1 = 2.33``."""
        pad = self.pad_before + self.pad_after
        terms = f"{self.n}"
        if pad:
            terms += (
                f" + 2×{self.pad_before}"
                if self.pad_before == self.pad_after
                else f" + {self.pad_before} + {self.pad_after}"
            )
        terms += f" − {self.k}" if self.d == 1 else f" − {self.d}×({self.k} − 1) − 1"
        value = self.exact
        shown = str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"
        return f"({terms})/{self.s} + 1 = {shown}"

    def no_position(self) -> str | None:
        """In 1-D words, why a filter has no position on this axis (None when it has one)."""
        if self.fits_at_all:
            return None
        reach = f" (dilated to {self.d * (self.k - 1) + 1})" if self.d > 1 else ""
        padded = "padded input" if self.pad_before or self.pad_after else "input"
        length = self.n + self.pad_before + self.pad_after
        return (
            f"a filter of {self.k} taps{reach} is longer than the {padded} of {length}, so there is no position for it"
        )


def axis(n: int, k: int, s: int = 1, pad_before: int = 0, pad_after: int | None = None, d: int = 1) -> AxisSize:
    """Checked :class:`AxisSize`; ``pad_after`` defaults to ``pad_before``."""
    pad_after = pad_before if pad_after is None else pad_after
    return AxisSize(
        checks.integer("input size", n, 1),
        checks.integer("kernel size", k, 1),
        checks.integer("stride", s, 1),
        checks.integer("padding", pad_before, 0),
        checks.integer("padding", pad_after, 0),
        checks.integer("dilation", d, 1),
    )


def _nearest(value: int, candidates, ok) -> int | None:
    """The candidate closest to ``value`` for which ``ok`` holds (ties: the smaller)."""
    best = None
    for c in candidates:
        if ok(c) and (best is None or abs(c - value) < abs(best - value)):
            best = c
    return best


def fixes(ax: AxisSize) -> dict[str, int]:
    """The nearest stride, padding and kernel size that make this axis fit exactly."""
    out: dict[str, int] = {}
    stride = _nearest(
        ax.s,
        range(1, max(ax.s, ax.span) + _SEARCH),
        lambda s: AxisSize(ax.n, ax.k, s, ax.pad_before, ax.pad_after, ax.d).whole,
    )
    padding = _nearest(
        ax.pad_before,
        range(0, ax.pad_before + ax.s * ax.k + _SEARCH),
        lambda p: AxisSize(ax.n, ax.k, ax.s, p, p, ax.d).whole,
    )
    kernel = _nearest(
        ax.k, range(1, ax.k + _SEARCH), lambda k: AxisSize(ax.n, k, ax.s, ax.pad_before, ax.pad_after, ax.d).whole
    )
    for name, value, current in (
        ("stride", stride, ax.s),
        ("padding", padding, ax.pad_before),
        ("kernel", kernel, ax.k),
    ):
        if value is not None and value != current:
            out[name] = value
    return out


@dataclass(frozen=True)
class Output2D:
    """Output size of a 2-D window op, per axis, with a sentence when it does not fit."""

    rows: AxisSize
    cols: AxisSize
    what: str = "filter"  # "filter" for convolution, "window" for pooling

    @cached_property
    def shape(self) -> tuple[int, int]:
        return self.rows.size, self.cols.size

    @cached_property
    def fits_at_all(self) -> bool:
        return self.rows.fits_at_all and self.cols.fits_at_all

    @cached_property
    def whole(self) -> bool:
        return self.rows.whole and self.cols.whole

    def suggestions(self) -> dict[str, dict[str, int]]:
        """Per axis that does not fit exactly, the nearest stride, padding and kernel that do."""
        return {name: fixes(ax) for name, ax in (("height", self.rows), ("width", self.cols)) if not ax.whole}

    def problem(self) -> str | None:
        """A sentence a student understands when the setting does not fit, else None."""
        r, c = self.rows, self.cols
        size = f"{r.k}×{c.k} {self.what}"
        stride = f"stride {r.s}" if r.s == c.s else f"stride {r.s}×{c.s}"
        padded = f"{r.n + r.pad_before + r.pad_after}×{c.n + c.pad_before + c.pad_after}"
        if not self.fits_at_all:
            reach = f"{r.d * (r.k - 1) + 1}×{c.d * (c.k - 1) + 1}"
            dilated = f" (dilated to {reach})" if (r.d, c.d) != (1, 1) else ""
            which = (
                "padded input" if (r.pad_before, r.pad_after, c.pad_before, c.pad_after) != (0, 0, 0, 0) else "input"
            )
            return f"{a(size)} {size}{dilated} is larger than the {padded} {which}, so there is no position for it"
        bad = [a for a in (r, c) if not a.whole]
        if not bad:
            return None
        formula = bad[0].formula()
        pad = "" if (r.pad_before, r.pad_after, c.pad_before, c.pad_after) == (0, 0, 0, 0) else f" (padded to {padded})"
        return f"{formula}: {a(size)} {size} at {stride} does not fit {a(str(r.n))} {r.n}×{c.n} input{pad}"


def a(text: str) -> str:
    """The article for a phrase starting with a number, as it is said: "an 8×8", "an 11×11", "a 7×7"."""
    digits = text[: len(text) - len(text.lstrip("0123456789"))]
    eleven = len(digits) % 3 == 2 and digits[:2] in ("11", "18")  # eleven, eighteen (thousand)
    return "an" if digits.startswith("8") or eleven else "a"


def window_output(
    size: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int] = (1, 1),
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    dilation: tuple[int, int] = (1, 1),
    what: str = "filter",
) -> Output2D:
    """Output size of a 2-D convolution (``what="filter"``) or pooling (``"window"``)."""
    top, bottom, left, right = padding
    rows = AxisSize(size[0], kernel[0], stride[0], top, bottom, dilation[0])
    cols = AxisSize(size[1], kernel[1], stride[1], left, right, dilation[1])
    return Output2D(rows, cols, what)


def conv_params(kernel: tuple[int, int], c_in: int, c_out: int, bias: bool = True) -> int:
    """Learned numbers in a convolution layer: ``(k_h k_w c_in + 1) c_out`` with bias."""
    return (kernel[0] * kernel[1] * c_in + int(bias)) * c_out


def dense_params(n_in: int, n_out: int, bias: bool = True) -> int:
    """Learned numbers in a fully connected layer: ``(n_in + 1) n_out`` with bias."""
    return (n_in + int(bias)) * n_out


# ---------------------------------------------------------------- legal ranges


@dataclass(frozen=True)
class Limits:
    """Caps the interface puts on each setting (the ops themselves need none)."""

    size: int = 256
    kernel: int = 11
    stride: int = 8
    padding: int = 10
    dilation: int = 5
    filters: int = 16
    channels: int = 3


def conv_ranges(n: int, k: int, s: int, p: int, d: int, limits: Limits = Limits()) -> dict[str, dict]:
    """For one axis, the legal range of each setting with the others held fixed.

    A setting is legal when the (dilated) kernel still fits inside the padded
    input, so at least one output cell exists. Within the range, ``fits`` lists
    the values that leave no cells over (the formula gives a whole number).
    Padding stops at ``d (k - 1)``: beyond that, border outputs see only zeros.
    Plain integer arithmetic: the server asks on every slider move.
    """

    def describe(name: str, lo: int, hi: int) -> dict:
        ok, fits = [], []
        v = {"n": n, "k": k, "s": s, "p": p, "d": d}  # one dict, the named entry moved along
        for value in range(lo, hi + 1):
            v[name] = value
            span = v["n"] + 2 * v["p"] - v["d"] * (v["k"] - 1) - 1  # as AxisSize.span, symmetric padding
            if span >= 0:
                ok.append(value)
                if span % v["s"] == 0:
                    fits.append(value)
        if not ok:
            return {"min": lo, "max": lo, "fits": []}
        return {"min": ok[0], "max": ok[-1], "fits": fits}

    return {
        "size": describe("n", 1, limits.size),
        "kernel": describe("k", 1, limits.kernel),
        "stride": describe("s", 1, limits.stride),
        "padding": describe("p", 0, min(limits.padding, max(0, d * (k - 1)))),
        "dilation": describe("d", 1, limits.dilation if k > 1 else 1),
    }


def pool_ranges(n: int, k: int, s: int, limits: Limits = Limits()) -> dict[str, dict]:
    """Legal window size and stride of an unpadded pooling layer along one axis."""
    full = conv_ranges(n, k, s, 0, 1, limits)
    return {"size": full["size"], "kernel": full["kernel"], "stride": full["stride"]}


# ---------------------------------------------------------------- layer stacks


@dataclass(frozen=True)
class Row:
    """One row of a network's shape table."""

    name: str
    kind: str
    shape: tuple[int, ...]  # (H, W, C) for maps, (units,) after flattening
    size: int  # number of activations
    params: int
    formula: str  # how the parameter count is made up, "" when 0


def _norm_layer(spec: dict) -> dict:
    kind = spec.get("type")
    if kind == "conv":
        return {
            "type": "conv",
            "filters": checks.integer("filters", spec.get("filters"), 1),
            "kernel": checks.pair("kernel", spec.get("kernel"), 1),
            "stride": checks.pair("stride", spec.get("stride", 1), 1),
            "padding": checks.padding4("padding", spec.get("padding", 0)),
            "dilation": checks.pair("dilation", spec.get("dilation", 1), 1),
            "bias": bool(spec.get("bias", True)),
        }
    if kind in ("maxpool", "avgpool"):
        kernel = checks.pair("kernel", spec.get("kernel"), 1)
        return {"type": kind, "kernel": kernel, "stride": checks.pair("stride", spec.get("stride", kernel), 1)}
    if kind == "dense":
        return {
            "type": "dense",
            "units": checks.integer("units", spec.get("units"), 1),
            "bias": bool(spec.get("bias", True)),
        }
    if kind in ("flatten", "activation", "batchnorm", "lcn"):
        return dict(spec)
    raise ArgumentError(
        "layers",
        f"layer type must be one of conv, maxpool, avgpool, dense, flatten, activation, batchnorm, lcn; got {kind!r}",
    )


def layer_table(input_shape: tuple[int, int, int], layers: list[dict], names: list[str] | None = None) -> list[Row]:
    """Output shape, activation count and parameter count of every layer in a stack.

    ``input_shape`` is (C, H, W). A dense layer after a map flattens it first.
    Raises ValueError naming the layer when a window does not fit.
    """
    c, h, w = (checks.integer(f"input {n}", v, 1) for n, v in zip(("channels", "height", "width"), input_shape))
    flat: int | None = None
    rows: list[Row] = []
    for i, raw in enumerate(layers):
        spec = _norm_layer(raw)
        name = names[i] if names else f"{spec['type']}{i + 1}"
        kind = spec["type"]
        params, formula = 0, ""
        if kind in ("conv", "maxpool", "avgpool"):
            if flat is not None:
                raise ArgumentError(
                    "layers", f"layer {i + 1} ({name}): a {kind} layer cannot follow a flattened vector"
                )
            conv = kind == "conv"
            out = window_output(
                (h, w),
                spec["kernel"],
                spec["stride"],
                spec["padding"] if conv else (0, 0, 0, 0),
                spec["dilation"] if conv else (1, 1),
                "filter" if conv else "window",
            )
            if not out.fits_at_all:
                raise ArgumentError("layers", f"layer {i + 1} ({name}): {out.problem()}")
            h, w = out.shape
            if conv:
                kh, kw = spec["kernel"]
                params = conv_params(spec["kernel"], c, spec["filters"], spec["bias"])
                formula = (
                    f"({kh}×{kw}×{c} + 1)×{spec['filters']}" if spec["bias"] else f"{kh}×{kw}×{c}×{spec['filters']}"
                )
                c = spec["filters"]
        elif kind == "flatten":
            flat = flat if flat is not None else c * h * w
        elif kind == "dense":
            n_in = flat if flat is not None else c * h * w
            flat = spec["units"]
            params = dense_params(n_in, flat, spec["bias"])
            formula = f"({n_in} + 1)×{flat}" if spec["bias"] else f"{n_in}×{flat}"
        elif kind == "batchnorm":
            params = 2 * (flat if flat is not None else c)
            formula = f"2×{flat if flat is not None else c}"
        shape = (flat,) if flat is not None else (h, w, c)
        size = flat if flat is not None else h * w * c
        rows.append(Row(name, kind, shape, size, params, formula))
    return rows


# LeNet-5 as the seeds tabulate it (28×28 grey input, ReLU/activations omitted).
LENET5_INPUT = (1, 28, 28)
LENET5 = [
    {"type": "conv", "filters": 6, "kernel": 5},
    {"type": "maxpool", "kernel": 2},
    {"type": "conv", "filters": 16, "kernel": 5},
    {"type": "maxpool", "kernel": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 120},
    {"type": "dense", "units": 84},
    {"type": "dense", "units": 10},
]
LENET5_NAMES = ["Conv1", "Pool1", "Conv2", "Pool2", "Flatten", "FC1", "FC2", "Softmax"]


def receptive_field(layers: list[dict]) -> int:
    """Side of the input region one output cell of a stack of square window layers sees."""
    field_, jump = 1, 1
    for raw in layers:
        spec = _norm_layer(raw)
        if spec["type"] in ("conv", "maxpool", "avgpool"):
            dil = spec.get("dilation", (1, 1))[0]
            field_ += dil * (spec["kernel"][0] - 1) * jump
            jump *= spec["stride"][0]
    return field_
