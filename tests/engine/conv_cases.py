"""The convolution settings the engine is checked on, and how each is run and checked.

A case is one setting (batch, channels, filters, sizes, stride, padding per side,
dilation, flip, padding mode) and its seeded arrays. The oracle is PyTorch in
float64 on the same float32 inputs, so any difference beyond float32 rounding
is the engine's. Each case runs the engine two ways: through the public
functions (``conv2d``, ``conv2d_backward``) and as a network's layer runs it
(``ConvSpec.forward`` keeping what its backward pass reuses, then
``ConvSpec.backward``, without the input gradient when the case says so).

Groups of cases:

* ``RANDOM_CASES``: hundreds of small random settings, uneven padding and all.
* ``SLIDER_CASES``: every value of every playground slider, its ends included,
  with ranges read from the ``conv.run`` request model (what the page bounds
  its sliders by), so a changed limit moves the cases with it.
* ``EDGE_CASES``: the sliders' ends together, and settings whose output is 1×1.
* ``PATH_CASES``: batches made for the matrix-multiply path and for the direct
  loops, each labelled with the path it must take (tests/engine/test_conv_paths.py).
* ``FULL_SIZE_CASES``: the playground's largest setups, 256×256×3 with 16
  filters of 11×11.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from app.features.conv import ConvRunParams
from engine import conv2d, conv2d_backward
from engine.conv import ConvSpec
from engine.pad import MODES as ENGINE_MODES


@dataclass(frozen=True)
class Conv2dCase:
    n: int
    c: int
    f: int
    size: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    dilation: tuple[int, int]
    flip: bool
    pad_mode: str
    bias: bool
    seed: int
    need_input: bool = True  # whether the kept-forward run asks for dL/dx (a network's first layer does not)
    path: str | None = None  # "gemm" or "direct" for a case made to take that path

    def __str__(self) -> str:
        return (
            f"n{self.n}c{self.c}f{self.f}-{self.size[0]}x{self.size[1]}-k{self.kernel[0]}x{self.kernel[1]}"
            f"-s{self.stride[0]}x{self.stride[1]}-p{'.'.join(map(str, self.padding))}"
            f"-d{self.dilation[0]}x{self.dilation[1]}-{self.pad_mode}{'-flip' if self.flip else ''}"
        )

    def fits(self) -> bool:
        top, bottom, left, right = self.padding
        reach = [d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel)]
        return reach[0] <= self.size[0] + top + bottom and reach[1] <= self.size[1] + left + right

    def output_size(self) -> tuple[int, int]:
        """Written out here from the formula, not asked of the engine."""
        top, bottom, left, right = self.padding
        oh = (self.size[0] + top + bottom - self.dilation[0] * (self.kernel[0] - 1) - 1) // self.stride[0] + 1
        ow = (self.size[1] + left + right - self.dilation[1] * (self.kernel[1] - 1) - 1) // self.stride[1] + 1
        return oh, ow

    def arrays(self):
        """Random float32 x, w, b and an upstream gradient gy of the output's shape."""
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.n, self.c, *self.size)).astype(np.float32)  # (N, C, H, W)
        w = rng.standard_normal((self.f, self.c, *self.kernel)).astype(np.float32)  # (F, C, KH, KW)
        b = rng.standard_normal(self.f).astype(np.float32) if self.bias else None  # (F,)
        gy = rng.standard_normal((self.n, self.f, *self.output_size())).astype(np.float32)  # (N, F, OH, OW)
        return x, w, b, gy

    def engine_kwargs(self) -> dict:
        return dict(
            stride=self.stride, padding=self.padding, dilation=self.dilation, pad_mode=self.pad_mode, flip=self.flip
        )


# ------------------------------------------------------------------ running a case


@dataclass(frozen=True)
class EngineResults:
    """Every array the engine gave for one case, by the public functions and as a layer runs it."""

    y: np.ndarray  # (N, F, OH, OW)
    gx: np.ndarray  # (N, C, H, W)
    gw: np.ndarray  # (F, C, KH, KW)
    gb: np.ndarray  # (F,)
    kept_y: np.ndarray  # (N, F, OH, OW) ConvSpec.forward
    kept_gx: np.ndarray | None  # (N, C, H, W) ConvSpec.backward from what forward kept; None without need_input
    kept_gw: np.ndarray  # (F, C, KH, KW)
    kept_gb: np.ndarray  # (F,)

    def arrays(self) -> dict[str, np.ndarray | None]:
        return dict(vars(self))


def run_engine(case: Conv2dCase, x, w, b, gy) -> EngineResults:
    kwargs = case.engine_kwargs()
    y = conv2d(x, w, b, **kwargs)  # (N, F, OH, OW)
    gx, gw, gb = conv2d_backward(gy, x, w, **kwargs)
    spec = ConvSpec.make(**kwargs)
    checked = spec.check(x, w, b)  # (N, C, H, W), (F, C, KH, KW), (F,)
    kept_y, saved = spec.forward(*checked)  # (N, F, OH, OW)
    kept_gx, kept_gw, kept_gb = spec.backward(gy, saved, x.shape, checked[1], case.need_input)
    return EngineResults(y, gx, gw, gb, kept_y, kept_gx, kept_gw, kept_gb)


def torch_conv2d(case: Conv2dCase, x, w, b, gy):
    """PyTorch's y, dL/dx, dL/dw, dL/db in float64 for L = sum(y * gy)."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)  # (N, C, H, W)
    wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)  # (F, C, KH, KW)
    bt = torch.tensor(np.zeros(case.f) if b is None else b, dtype=torch.float64, requires_grad=True)  # (F,)
    top, bottom, left, right = case.padding
    mode = "constant" if case.pad_mode == "zeros" else case.pad_mode
    xp = F.pad(xt, (left, right, top, bottom), mode=mode)  # (N, C, Hp, Wp)
    kernel = wt.flip((2, 3)) if case.flip else wt  # (F, C, KH, KW)
    y = F.conv2d(xp, kernel, bt, stride=case.stride, dilation=case.dilation)  # (N, F, OH, OW)
    (y * torch.from_numpy(gy.astype(np.float64))).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


# ------------------------------------------------------------------ the sliders' ranges


def _bounds(items: list[dict]) -> tuple[int, int]:
    """The range every entry of a setting shares (height and width, or the four sides)."""
    lows, highs = {item["minimum"] for item in items}, {item["maximum"] for item in items}
    assert len(lows) == len(highs) == 1, f"the entries of a setting have different ranges: {items}"
    return lows.pop(), highs.pop()


def slider_limits() -> dict[str, tuple[int, int]]:
    """Each playground slider's (lowest, highest) value, from conv.run's request schema as the page reads it."""
    schema = ConvRunParams.model_json_schema()
    grid, kernels, props = schema["$defs"]["InputGrid"], schema["$defs"]["KernelGrid"], schema["properties"]
    return {
        "size": _bounds([grid["properties"]["height"], grid["properties"]["width"]]),
        "channels": _bounds([grid["properties"]["channels"]]),
        "filters": _bounds([kernels["properties"]["filters"]]),
        "kernel": _bounds([kernels["properties"]["height"], kernels["properties"]["width"]]),
        "stride": _bounds(props["stride"]["prefixItems"]),
        "padding": _bounds(props["padding"]["prefixItems"]),
        "dilation": _bounds(props["dilation"]["prefixItems"]),
    }


def pad_modes() -> tuple[str, ...]:
    """Every padding mode the engine offers, and any the page offers besides (which must then work too)."""
    offered = ConvRunParams.model_json_schema()["properties"]["pad_mode"]["enum"]
    return tuple(dict.fromkeys([*ENGINE_MODES, *offered]))


LIMITS = slider_limits()
MODES = pad_modes()


# ------------------------------------------------------------------ random settings


def conv2d_case(index: int, max_size: int = 20, modes=MODES) -> Conv2dCase:
    """A random setting in which the dilated kernel fits the padded input (rejection sampling)."""
    rng = np.random.default_rng(20_000 + index)
    while True:
        size = tuple(int(v) for v in rng.integers(1, max_size + 1, 2))
        mode = str(rng.choice(modes))
        padding = [int(v) for v in rng.integers(0, 4, 4)]
        if index % 8 == 0:
            padding = [0, 0, 0, 0]  # the unpadded fast path
        if mode == "reflect":  # reflection needs a cell to reflect onto
            padding = [min(p, size[i // 2] - 1) for i, p in enumerate(padding)]
        stride = (
            (1, 1) if index % 3 == 0 else tuple(int(v) for v in rng.integers(1, 4, 2))
        )  # stride 1 has its own kernel
        case = Conv2dCase(
            n=int(rng.integers(1, 5)),
            c=int(rng.integers(1, 5)),
            f=int(rng.integers(1, 6)),
            size=size,
            kernel=tuple(int(v) for v in rng.integers(1, 6, 2)),
            stride=stride,
            padding=tuple(padding),
            dilation=tuple(int(v) for v in rng.integers(1, 4, 2)),
            flip=bool(rng.integers(2)),
            pad_mode=mode,
            bias=index % 5 != 4,
            seed=index,
            need_input=index % 4 != 3,
        )
        if case.fits():
            return case


RANDOM_CASES = [conv2d_case(i) for i in range(240)]
# Maps large enough that the stride-1 kernel works through several row chunks.
LARGE_CASES = [
    Conv2dCase(1, 2, 2, (40, 37), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), False, "zeros", True, 901),
    Conv2dCase(2, 1, 3, (70, 65), (5, 2), (1, 1), (2, 0, 1, 3), (2, 1), True, "zeros", True, 902),
    Conv2dCase(1, 3, 1, (33, 50), (4, 3), (1, 1), (3, 3, 3, 3), (1, 3), False, "reflect", True, 903),
    Conv2dCase(1, 1, 2, (64, 64), (3, 5), (2, 1), (0, 1, 2, 0), (1, 1), True, "replicate", False, 904),
    Conv2dCase(3, 3, 4, (40, 40), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), False, "zeros", True, 905, False),
    Conv2dCase(5, 2, 5, (48, 45), (4, 5), (2, 1), (1, 0, 0, 2), (1, 2), True, "replicate", True, 906),
    Conv2dCase(4, 4, 3, (36, 36), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1), False, "zeros", False, 907),
]


# ------------------------------------------------------------------ every slider value


def _slider_case(name: str, value: int, index: int) -> Conv2dCase:
    """A small seeded setting with slider ``name`` at ``value`` on both axes (all four sides for padding)."""
    rng = np.random.default_rng(40_000 + index)
    mode = MODES[index % len(MODES)]
    while True:
        pick = dict(
            kernel=int(rng.integers(1, 6)),
            stride=int(rng.integers(1, 4)),
            dilation=int(rng.integers(1, 3)),
            padding=int(rng.integers(0, 3)),
            channels=int(rng.integers(LIMITS["channels"][0], LIMITS["channels"][1] + 1)),
            filters=int(rng.integers(1, 5)),
        )
        pick[name] = value
        k, d, p = pick["kernel"], pick["dilation"], pick["padding"]
        if name == "size":
            size = value
        else:  # from the smallest input the window fits (and reflection can mirror) to a couple of dozen more
            smallest = max(1, d * (k - 1) + 1 - 2 * p, p + 1 if mode == "reflect" else 1)
            size = min(LIMITS["size"][1], smallest + int(rng.integers(0, 24)))
        case = Conv2dCase(
            n=int(rng.integers(1, 3)),
            c=pick["channels"],
            f=pick["filters"],
            size=(size, size),
            kernel=(k, k),
            stride=(pick["stride"],) * 2,
            padding=(p,) * 4,
            dilation=(d,) * 2,
            flip=index % 2 == 1,
            pad_mode=mode,
            bias=index % 3 != 2,
            seed=40_000 + index,
            need_input=index % 4 != 1,
        )
        # A dilation shows only on a kernel of two taps or more, a stride only between two outputs or more.
        shows = name != "dilation" or value == 1 or k > 1
        shows = shows and (name != "stride" or min(case.output_size()) > 1)
        if case.fits() and (mode != "reflect" or p < size) and shows:
            return case


def _slider_values(name: str) -> list[int]:
    lo, hi = LIMITS[name]
    if name != "size":
        return list(range(lo, hi + 1))
    return sorted({lo, lo + 1, 5, 17, 64, 100, hi - 1, hi})  # both ends of 1..256, a few between


SLIDER_CASES = [
    _slider_case(name, value, i)
    for i, (name, value) in enumerate(
        (name, value)
        for name in ("kernel", "stride", "dilation", "padding", "channels", "filters", "size")
        for value in _slider_values(name)
    )
]


# ------------------------------------------------------------------ the ends together, 1×1 outputs

_K, _S, _D, _P = LIMITS["kernel"][1], LIMITS["stride"][1], LIMITS["dilation"][1], LIMITS["padding"][1]
_REACH = _D * (_K - 1) + 1  # the widest window the sliders allow
_C, _F, _N = LIMITS["channels"][1], LIMITS["filters"][1], LIMITS["size"][1]

EDGE_CASES = [
    # Every slider at its lowest: a 1×1 input, a 1×1 kernel, a 1×1 output.
    Conv2dCase(1, 1, 1, (1, 1), (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), False, "zeros", True, 801),
    # The largest kernel on an input its size: one position.
    Conv2dCase(1, _C, _F, (_K, _K), (_K, _K), (1, 1), (0, 0, 0, 0), (1, 1), True, "zeros", True, 802),
    # The largest kernel at the largest dilation on an input exactly its reach, at the largest stride.
    Conv2dCase(2, _C, _F, (_REACH, _REACH), (_K, _K), (_S, _S), (0, 0, 0, 0), (_D, _D), False, "zeros", True, 803),
    # The same window over the largest padding: the input is the reach less both borders.
    Conv2dCase(
        1, _C, _F, (_REACH - 2 * _P,) * 2, (_K, _K), (_S, _S), (_P,) * 4, (_D, _D), True, "zeros", True, 804, False
    ),
    Conv2dCase(1, 2, 3, (_REACH - 2 * _P,) * 2, (_K, _K), (_S, _S), (_P,) * 4, (_D, _D), False, "replicate", True, 805),
    Conv2dCase(
        1, 1, 2, (_REACH - 2 * _P,) * 2, (_K, _K), (_S, _S), (_P,) * 4, (_D, _D), False, "reflect", False, 806, False
    ),
    # Reflection around a 3×3 input, a 5×5 kernel: one output.
    Conv2dCase(2, 1, 2, (3, 3), (5, 5), (1, 1), (1, 1, 1, 1), (1, 1), True, "reflect", True, 807),
    # The largest stride over an input shorter than it: one output per axis whatever the kernel.
    Conv2dCase(1, 2, 2, (4, 4), (7, 7), (_S, _S), (3, 3, 3, 3), (1, 1), False, "replicate", True, 808),
    # One row of the widest map.
    Conv2dCase(1, _C, _F, (1, _N), (1, _K), (1, _S), (0, 0, _P, _P), (1, _D), False, "zeros", True, 809),
    Conv2dCase(1, 1, 4, (_N, 1), (_K, 1), (_S, 1), (_P, _P, 0, 0), (_D, 1), True, "replicate", True, 810, False),
    # Uneven sides at their ends: all padding on one side, none on the other.
    Conv2dCase(2, _C, 5, (20, 23), (_K, 3), (2, _S), (_P, 0, 0, _P), (2, _D), False, "zeros", True, 811),
]


# ------------------------------------------------------------------ the paths a batch can take

# Batches with long dot products (channels × taps ≥ 64) and work (batch × filters × outputs × taps)
# past the threshold that sends a batch to im2col + BLAS: the matrix-multiply path,
# at stride 1 (wide columns) and strided, with and without padding and dilation, every mode.
_GEMM = [
    (4, 3, 16, (32, 30), (5, 5), (1, 1), (0, 0, 0, 0), (1, 1), False, "zeros", True),
    (3, 3, 16, (34, 33), (5, 5), (1, 1), (2, 1, 0, 3), (2, 1), True, "zeros", True),
    (2, 3, 16, (96, 90), (5, 5), (2, 3), (1, 2, 2, 1), (1, 2), False, "reflect", False),
    (4, 2, 12, (64, 64), (6, 6), (2, 2), (0, 0, 0, 0), (1, 1), False, "zeros", True),
    (2, 3, 16, (40, 40), (5, 5), (1, 1), (4, 4, 4, 4), (3, 3), True, "replicate", False),
    (2, 3, 8, (48, 44), (7, 7), (1, 1), (3, 3, 3, 3), (1, 1), False, "reflect", True),
    (3, 3, 16, (60, 60), (5, 5), (3, 2), (2, 2, 1, 1), (2, 2), False, "replicate", True),
    (8, _C, _F, (128, 128), (_K, _K), (_S, _S), (_P,) * 4, (_D, _D), True, "zeros", True),
    (2, _C, _F, (64, 64), (_K, _K), (1, 1), (5, 5, 5, 5), (1, 1), False, "zeros", True),
    (8, 8, 16, (20, 18), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), False, "zeros", True),
    (8, 9, 16, (24, 24), (3, 3), (2, 1), (1, 1, 0, 0), (1, 1), False, "zeros", True),
    (16, 4, 16, (31, 29), (4, 5), (3, 2), (0, 1, 2, 0), (1, 2), True, "zeros", True),
]
# Batches the direct loops keep: short dot products, however large the batch, or little work.
_DIRECT = [
    (16, 1, 6, (28, 28), (5, 5), (1, 1), (0, 0, 0, 0), (1, 1), False, "zeros", True),
    (16, 2, 8, (40, 40), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), False, "reflect", True),
    (2, 3, 4, (12, 12), (5, 5), (1, 1), (2, 2, 2, 2), (1, 1), True, "replicate", True),
]
PATH_CASES = [
    Conv2dCase(*setting, seed=700 + i, need_input=i % 2 == 0, path=path)
    for i, (setting, path) in enumerate([(s, "gemm") for s in _GEMM] + [(s, "direct") for s in _DIRECT])
]


# ------------------------------------------------------------------ the playground's largest setups

FULL_SIZE_CASES = [
    # 16 filters of 11×11 over a 256×256 colour picture, padded to keep its size.
    Conv2dCase(1, _C, _F, (_N, _N), (_K, _K), (1, 1), (5, 5, 5, 5), (1, 1), False, "zeros", True, 601),
    # Every slider at its end at once.
    Conv2dCase(1, _C, _F, (_N, _N), (_K, _K), (_S, _S), (_P,) * 4, (_D, _D), True, "reflect", True, 602, False),
    Conv2dCase(1, _C, _F, (_N, _N - 1), (_K, _K - 1), (2, 3), (_P, 0, 3, _P), (2, 3), False, "replicate", False, 603),
]

ORACLE_CASES = RANDOM_CASES + LARGE_CASES + SLIDER_CASES + EDGE_CASES + PATH_CASES + FULL_SIZE_CASES
