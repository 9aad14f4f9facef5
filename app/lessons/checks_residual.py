"""Check functions of the residual-block lesson (lessons/FORMAT.md, "Check functions"): the shape
through a block, the parameters of a basic against a bottleneck block, a gradient through the
skip and through F, and a chain's gradient norm. Same contract as :mod:`app.lessons.checks`:
each returns ``(answer, work)`` computed by the engine, and a bad argument raises ValueError
naming it.
"""

from __future__ import annotations

import numpy as np

from engine import architectures_blocks as blocks
from engine import checks, shapes
from engine.residual import CHAIN_ACTIVATIONS, CHAIN_MODES, block_backward, depth_study, make_block

from .check_parts import MINUS, TIMES, Answer, _grid, _number, _value

PATHS = ("total", "skip", "residual")
KINDS = ("basic", "bottleneck")


def _hwc(value, name: str = "input") -> tuple[int, int, int]:
    if not isinstance(value, list) or len(value) != 3:
        raise ValueError(f"{name} must be [channels, height, width], got {value!r}")
    c, h, w = (checks.integer(f"{name}[{i}]", v, 1) for i, v in enumerate(value))
    return h, w, c


def block_shape(input, out_channels, stride=1, k=3) -> Answer:
    """A basic block's output, as text height × width × channels: conv1 (k×k, stride s, 'same' padding)
    sets it, and the shortcut (the input, or a 1×1 projection at stride s) must give the same to add."""
    h, w, c = _hwc(input)
    c_out = checks.integer("out_channels", out_channels, 1)
    s = checks.integer("stride", stride, 1, 2)
    k = checks.integer("k", k, 1)
    if k % 2 == 0:
        raise ValueError(f"k must be odd ('same' padding), got {k}")
    main = [shapes.axis(n, k, s, k // 2) for n in (h, w)]  # conv1; conv2 keeps its size at stride 1
    side = [shapes.axis(n, 1, s, 0) for n in (h, w)]  # the projection
    if [a.size for a in main] != [a.size for a in side]:
        raise ValueError(f"input: the shortcut and F disagree on the size at stride {s}")
    identity = s == 1 and c_out == c
    text = f"{main[0].size} {TIMES} {main[1].size} {TIMES} {c_out}"
    across = "the same across" if h == w else f"across {_floored(main[1])}"
    work = f"F: {_floored(main[0])} ({across}); "
    work += "the shortcut is x itself" if identity else f"the shortcut is a 1{TIMES}1 projection: {_floored(side[0])}"
    return text, f"{work}; {c_out} filters give {c_out} channels: {text}"


def _floored(ax) -> str:
    return ax.formula() + ("" if ax.whole else f", floored to {ax.size}")


def block_params(kind, channels, width=None, norm=False) -> Answer:
    """Learned numbers of one block whose shortcut is the identity: ``basic`` (two 3×3, channels → channels)
    or ``bottleneck`` (1×1 to ``width``, 3×3, 1×1 back); no biases, and with ``norm`` batch norm's γ and β."""
    kind = checks.choice("kind", kind, KINDS)
    c = checks.integer("channels", channels, 1)
    if not isinstance(norm, bool):
        raise ValueError(f"norm must be true or false, got {norm!r}")
    hwc = (8, 8, c)  # parameters do not depend on the map's size
    if kind == "bottleneck":
        if width is None:
            raise ValueError("width is required for a bottleneck: the channels its 3×3 works on")
        width = checks.integer("width", width, 1)
        parts = blocks.expand(hwc, {"type": "bottleneck", "width": width, "filters": c}).parts
    else:
        if width is not None:
            raise ValueError("width is for a bottleneck; a basic block keeps its channels")
        conv1 = blocks.conv_part("conv1", hwc, c, 3, padding=1)
        conv2 = blocks.conv_part("conv2", conv1.shape, c, 3, padding=1)
        parts = [conv1, blocks.norm_part("bn1", conv1.shape), conv2, blocks.norm_part("bn2", conv2.shape)]
    kept = [p for p in parts if norm or p.kind != "batchnorm"]
    total = sum(p.params for p in kept)
    return total, " + ".join(f"{p.formula} ({p.params:,})" for p in kept) + f" = {total:,}"


def residual_grad(input, w1, w2, row, col, upstream=None, path="total", b1=0, b2=0) -> Answer:
    """∂L/∂x at (``row``, ``col``) of a one-channel block with an identity shortcut, stride 1 and 'same'
    padding, for ∂L/∂y = ``upstream`` (all ones when left out): along the ``skip``, through F
    (``residual``) or their sum (``total``)."""
    x = _grid("input", input, 2)  # (H, W)
    k1, k2 = _grid("w1", w1, 2), _grid("w2", w2, 2)  # (k, k) each
    path = checks.choice("path", path, PATHS)
    h, w = x.shape
    row, col = checks.integer("row", row, 0, h - 1), checks.integer("col", col, 0, w - 1)
    bias = [np.array([checks.number(name, v)], np.float32) for name, v in (("b1", b1), ("b2", b2))]  # (1,) each
    try:
        block = make_block(k1[None, None], k2[None, None], bias[0], bias[1])
    except ValueError as exc:
        raise ValueError(f"{getattr(exc, 'argument', 'w1')}: {exc}") from None
    gy = np.ones((1, 1, h, w), np.float32) if upstream is None else _grid("upstream", upstream, 2)[None, None]
    if gy.shape != (1, 1, h, w):
        raise ValueError(f"upstream must have the input's shape {h} × {w} (stride 1), got {gy.shape[2:]}")
    g = block_backward(gy, x[None, None], block)
    skip, through = g.x_skip[0, 0, row, col], g.x_residual[0, 0, row, col]
    value = {"total": g.x, "skip": g.x_skip, "residual": g.x_residual}[path][0, 0, row, col]
    work = f"along the skip {_number(skip)}, through F {_number(through)}"
    work += f": total {_number(skip)} + {_paren(through)} = {_number(g.x[0, 0, row, col])}"
    return _value(value), work


def chain_grad_norm(depth, scale, activation="relu", mode="plain", layer=0, seed=1) -> Answer:
    """‖∂L/∂x_layer‖ in the depth study's chain (engine.residual; x_0 the input, the upstream's norm 1)."""
    act = checks.choice("activation", activation, CHAIN_ACTIVATIONS)
    mode = checks.choice("mode", mode, CHAIN_MODES)
    study = depth_study(depth, scale, act, (mode,), seed)
    layer = checks.integer("layer", layer, 0, study.depth)
    norms = getattr(study, mode)  # (L + 1,)
    steps = study.depth - layer
    value = float(norms[layer])
    per = value ** (1 / steps) if steps and value > 0 else 1.0
    sub = str(layer).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
    work = f"‖∂L/∂x{sub}‖ = {value:.3g} after {steps} layer{'s' if steps != 1 else ''} from the upstream's 1"
    if steps and value > 0:
        work += f", about {per:.3g} {TIMES} per layer"
    return value, work


def _paren(v) -> str:
    text = _number(v)
    return f"({text})" if text.startswith(MINUS) else text


CHECKS = {
    "block_shape": block_shape,
    "block_params": block_params,
    "residual_grad": residual_grad,
    "chain_grad_norm": chain_grad_norm,
}
