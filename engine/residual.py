"""The residual block, forward and backward side by side, and a depth study of plain against residual chains.

A basic block (ResNet-18's, without its batch norms) computes::

    y = relu(F(x) + shortcut(x)),    F(x) = conv2(relu(conv1(x)))

conv1 is k×k at stride s, conv2 is k×k at stride 1, both with 'same' padding (k // 2 on each side).
The shortcut is the identity when the block keeps the shape, or a 1×1 convolution at stride s (a
projection) when it changes the channels or the size. Because the sum is ``F(x) + x``, its
Jacobian is ``∂F/∂x + I``: the gradient reaching the sum goes to x twice, once unchanged along
the skip and once through F's layers. :func:`block_backward` returns both parts and their sum.

:func:`depth_study` chains L such additions (or, plain, L layers with no addition) on one
seeded 8×8 map and measures the gradient's norm at every layer's input for one fixed upstream
gradient: the plain chain multiplies it by each layer's Jacobian and it shrinks (or grows)
geometrically; the residual chain adds each layer's part to an identity path and it stays near
the upstream's size while the layers are small.

Everything here composes compiled ops (engine.conv2d, conv2d_backward, activation and its
backward) with NumPy; no new kernel. Layout is NCHW float32; weights are (C_out, C_in, k, k).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import checks
from .activations import activation, activation_backward
from .conv import conv2d, conv2d_backward
from .errors import ArgumentError

SHORTCUTS = ("identity", "projection")
CHAIN_MODES = ("plain", "residual")
CHAIN_ACTIVATIONS = ("relu", "tanh", "identity")
CHAIN_SIDE = 8  # the depth study's maps: one channel, 8×8
MAX_DEPTH = 200


@dataclass(frozen=True)
class Block:
    """The block's weights and stride, checked against each other."""

    w1: np.ndarray  # (C_out, C_in, k, k)
    b1: np.ndarray  # (C_out,)
    w2: np.ndarray  # (C_out, C_out, k, k)
    b2: np.ndarray  # (C_out,)
    stride: int
    ws: np.ndarray | None  # (C_out, C_in, 1, 1) the projection, or None for the identity
    bs: np.ndarray | None  # (C_out,)

    @property
    def padding(self) -> int:
        return self.w1.shape[2] // 2  # 'same' at stride 1 for an odd k

    @property
    def shortcut(self) -> str:
        return "identity" if self.ws is None else "projection"


def make_block(w1, w2, b1=None, b2=None, stride=1, ws=None, bs=None) -> Block:
    """A checked :class:`Block`; ArgumentError names the argument that does not fit."""
    w1 = checks.array("w1", w1, 4, "(C_out, C_in, k, k)")
    w2 = checks.array("w2", w2, 4, "(C_out, C_out, k, k)")
    stride = checks.integer("stride", stride, 1, 2)
    c_out, c_in, k, k2 = w1.shape
    if k != k2 or k % 2 == 0:
        raise ArgumentError("w1", f"w1 must be square with an odd side ('same' padding), got {k} × {k2}")
    if w2.shape != (c_out, c_out, k, k):
        raise ArgumentError("w2", f"w2 must be {(c_out, c_out, k, k)} (C_out, C_out, k, k), got {w2.shape}")
    b1 = checks.bias(b1, c_out, "filter")  # (C_out,)
    b2 = checks.bias(b2, c_out, "filter")  # (C_out,)
    if ws is None:
        if c_in != c_out or stride != 1:
            raise ArgumentError(
                "shortcut",
                f"an identity shortcut needs the block to keep the shape (C_in {c_in} → C_out {c_out}, "
                f"stride {stride}); use a 1×1 projection",
            )
        return Block(w1, b1, w2, b2, stride, None, None)
    ws = checks.array("ws", ws, 4, "(C_out, C_in, 1, 1)")
    if ws.shape != (c_out, c_in, 1, 1):
        raise ArgumentError("ws", f"ws must be {(c_out, c_in, 1, 1)} (C_out, C_in, 1, 1), got {ws.shape}")
    return Block(w1, b1, w2, b2, stride, ws, checks.bias(bs, c_out, "filter"))


@dataclass(frozen=True)
class BlockMaps:
    """Every map of the forward pass, (N, C_out, H_out, W_out) each."""

    conv1: np.ndarray
    relu1: np.ndarray
    conv2: np.ndarray  # F(x), the residual
    shortcut: np.ndarray  # x itself, or its projection
    sum: np.ndarray  # F(x) + shortcut(x)
    y: np.ndarray  # relu of the sum


def block_forward(x, block: Block) -> BlockMaps:
    x = _input(x, block)
    p, s = block.padding, block.stride
    conv1 = conv2d(x, block.w1, block.b1, stride=s, padding=p)  # (N, C_out, H_out, W_out)
    relu1 = activation("relu", conv1)  # (N, C_out, H_out, W_out)
    conv2 = conv2d(relu1, block.w2, block.b2, padding=p)  # (N, C_out, H_out, W_out)
    short = x if block.ws is None else conv2d(x, block.ws, block.bs, stride=s)  # (N, C_out, H_out, W_out)
    if short.shape != conv2.shape:  # e.g. an even input at stride 2 with k = 1: the projection reaches one cell less
        raise ArgumentError("x", f"the shortcut gives {short.shape[2:]} but F gives {conv2.shape[2:]}: they cannot add")
    total = conv2 + short  # (N, C_out, H_out, W_out)
    return BlockMaps(conv1, relu1, conv2, short, total, activation("relu", total))


@dataclass(frozen=True)
class BlockGrads:
    """The backward pass from ∂L/∂y: every map's gradient and the weights'."""

    sum: np.ndarray  # ∂L/∂(sum) = ∂L/∂F = ∂L/∂shortcut   (N, C_out, H_out, W_out)
    relu1: np.ndarray  # ∂L/∂relu1   (N, C_out, H_out, W_out)
    conv1: np.ndarray  # ∂L/∂conv1   (N, C_out, H_out, W_out)
    x_skip: np.ndarray  # the part of ∂L/∂x along the shortcut   (N, C_in, H, W)
    x_residual: np.ndarray  # the part through F   (N, C_in, H, W)
    x: np.ndarray  # their sum, ∂L/∂x   (N, C_in, H, W)
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    ws: np.ndarray | None
    bs: np.ndarray | None


def block_backward(gy, x, block: Block, maps: BlockMaps | None = None) -> BlockGrads:
    """Gradients of :func:`block_forward` given ∂L/∂y (the shape of y)."""
    x = _input(x, block)
    maps = maps or block_forward(x, block)
    gy = checks.array("gy", gy, 4, "(N, C_out, H_out, W_out)")
    if gy.shape != maps.y.shape:
        raise ArgumentError("gy", f"gy must have the shape of y {maps.y.shape}, got {gy.shape}")
    p, s = block.padding, block.stride
    g_sum = activation_backward("relu", gy, maps.sum)  # (N, C_out, H_out, W_out)
    # The sum hands the same gradient to both of its terms: the skip and F.
    if block.ws is None:
        g_skip, gws, gbs = g_sum, None, None  # (N, C_in, H, W) the identity passes it on unchanged
    else:
        g_skip, gws, gbs = conv2d_backward(g_sum, x, block.ws, stride=s)  # (N, C_in, H, W)
    g_relu1, gw2, gb2 = conv2d_backward(g_sum, maps.relu1, block.w2, padding=p)  # (N, C_out, H_out, W_out)
    g_conv1 = activation_backward("relu", g_relu1, maps.conv1)  # (N, C_out, H_out, W_out)
    g_res, gw1, gb1 = conv2d_backward(g_conv1, x, block.w1, stride=s, padding=p)  # (N, C_in, H, W)
    g_skip = np.ascontiguousarray(g_skip, np.float32)  # (N, C_in, H, W)
    return BlockGrads(g_sum, g_relu1, g_conv1, g_skip, g_res, g_skip + g_res, gw1, gb1, gw2, gb2, gws, gbs)


def _input(x, block: Block) -> np.ndarray:
    x = checks.array("x", x, 4, "(N, C_in, H, W)")
    if x.shape[1] != block.w1.shape[1]:
        raise ArgumentError("x", f"x must have {block.w1.shape[1]} channels, as w1 reads, got {x.shape[1]}")
    return x


# ------------------------------------------------------------------ examples a page can name

EXAMPLES = ("integers", "normal")
UPSTREAMS = ("ones", "seeded", "centre")


def example_block(kind, c_in, c_out, height, width, stride=1, shortcut="identity", k=3, seed=0):
    """(x (1, C_in, H, W), Block) from a seed.

    ``integers`` is for arithmetic by hand: x in 0…3 (as a previous block's ReLU leaves it), weights
    −1, 0 or 1 (mostly 0), biases 0, so every map holds whole numbers. ``normal`` draws N(0, 1) inputs
    and He-scaled weights, rounded (one and two decimals) so a cell's number is the value used.
    """
    kind = checks.choice("example", kind, EXAMPLES)
    shortcut = checks.choice("shortcut", shortcut, SHORTCUTS)
    c_in, c_out = checks.integer("channels", c_in, 1, 8), checks.integer("out_channels", c_out, 1, 8)
    h, w = checks.integer("height", height, 1, 64), checks.integer("width", width, 1, 64)
    k = checks.integer("kernel_size", k, 1, 7)
    rng = np.random.default_rng(checks.integer("seed", seed, 0, 2**31 - 1))

    def draw(shape, fan_in):
        if kind == "integers":  # most weights 0, the rest ±1: every map stays whole numbers
            return rng.choice(np.array([-1, 0, 0, 0, 1], np.float32), shape)
        return np.round(rng.standard_normal(shape) * np.sqrt(2 / fan_in), 2).astype(np.float32)

    if kind == "integers":
        x = rng.integers(0, 4, (1, c_in, h, w)).astype(np.float32)  # (1, C_in, H, W) ≥ 0, as a ReLU leaves it
    else:
        x = np.round(rng.standard_normal((1, c_in, h, w)), 1).astype(np.float32)  # (1, C_in, H, W)
    w1 = draw((c_out, c_in, k, k), c_in * k * k)  # (C_out, C_in, k, k)
    w2 = draw((c_out, c_out, k, k), c_out * k * k)  # (C_out, C_out, k, k)
    ws = None
    if shortcut == "projection":
        ws = draw((c_out, c_in, 1, 1), c_in)  # (C_out, C_in, 1, 1)
        if kind == "integers":  # a projection of zeros would cut the skip: its weights are ±1, mostly 1
            ws = rng.choice(np.array([-1, 1, 1], np.float32), ws.shape)  # (C_out, C_in, 1, 1)
    return x, make_block(w1, w2, stride=stride, ws=ws)


def example_upstream(kind: str, shape: tuple, seed: int = 0) -> np.ndarray:
    """∂L/∂y of ``shape``: ``ones`` (L is the sum of y), ``seeded`` integers −2…2, or 1 at channel 0's ``centre``."""
    kind = checks.choice("upstream", kind, UPSTREAMS)
    if kind == "ones":
        return np.ones(shape, np.float32)  # (N, C_out, H_out, W_out)
    if kind == "seeded":
        return np.random.default_rng(seed + 1).integers(-2, 3, shape).astype(np.float32)  # (N, C_out, H_out, W_out)
    g = np.zeros(shape, np.float32)  # (N, C_out, H_out, W_out)
    g[0, 0, (shape[2] - 1) // 2, (shape[3] - 1) // 2] = 1
    return g


# ------------------------------------------------------------------ the depth study


@dataclass(frozen=True)
class Chain:
    """One seeded chain's weights, input and upstream gradient: the same for plain and residual."""

    weights: np.ndarray  # (L, 1, 1, 3, 3) layer l's filter, scale · N(0, 1) / 3
    x0: np.ndarray  # (1, 1, 8, 8) the input
    upstream: np.ndarray  # (1, 1, 8, 8) ∂L/∂x_L, of norm 1
    act: str  # "relu", "tanh" or "identity"


def make_chain(depth: int, scale: float, act: str = "relu", seed: int = 0) -> Chain:
    """L layers f(x) = w ⋆ act(x), 3×3, one channel; weights N(0, 1)·scale/3 (a variance gain of scale² per layer)."""
    depth = checks.integer("depth", depth, 1, MAX_DEPTH)
    scale = checks.number("scale", scale, 0.0, 10.0)
    act = checks.choice("activation", act, CHAIN_ACTIVATIONS)
    seed = checks.integer("seed", seed, 0, 2**31 - 1)
    rng = np.random.default_rng(seed)
    # Input and upstream first, then the layers in order: a deeper chain only adds layers on top.
    x0 = rng.standard_normal((1, 1, CHAIN_SIDE, CHAIN_SIDE)).astype(np.float32)  # (1, 1, 8, 8)
    up = rng.standard_normal((1, 1, CHAIN_SIDE, CHAIN_SIDE))  # (1, 1, 8, 8)
    upstream = (up / np.linalg.norm(up)).astype(np.float32)  # (1, 1, 8, 8) norm 1: later norms read as ratios
    # A 3×3 filter of 9 taps with variance (scale/3)² passes on about scale² of its input's variance.
    weights = (rng.standard_normal((depth, 1, 1, 3, 3)) * (scale / 3)).astype(np.float32)  # (L, 1, 1, 3, 3)
    return Chain(weights, x0, upstream, act)


def _layer(x: np.ndarray, w: np.ndarray, act: str) -> tuple[np.ndarray, np.ndarray]:
    """(a, f): the activated map a = act(x) and the layer's output f(x) = w ⋆ a ('same' padding).

    The activation comes first (as in the pre-activation ResNet), so a one-channel plain chain of
    ReLUs never goes all-zero: each layer's output is signed, and the next ReLU keeps its positive part.
    """
    a = x if act == "identity" else activation(act, x)  # (1, 1, 8, 8)
    return a, conv2d(a, w, padding=1)  # (1, 1, 8, 8)


def chain_norms(chain: Chain, mode: str) -> np.ndarray:
    """‖∂L/∂x_l‖ for l = 0 … L (x_0 the input, x_L the output, whose gradient is the upstream: norm 1)."""
    mode = checks.choice("mode", mode, CHAIN_MODES)
    xs, acts = [chain.x0], []
    for w in chain.weights:
        a, f = _layer(xs[-1], w, chain.act)  # (1, 1, 8, 8) each
        acts.append(a)
        xs.append(f if mode == "plain" else xs[-1] + f)  # (1, 1, 8, 8)
        _finite(xs[-1], len(xs) - 1, "map")
    # The backward pass is linear in the gradient, so it carries a unit-norm direction u and the
    # logarithm of the norm apart: ∂L/∂x_l = e^{log_norm}·u. A plain chain's gradient can fall
    # below 1e-40 (float32's last denormal) within 50 layers; its logarithm cannot.
    u, log_norm = chain.upstream, 0.0  # (1, 1, 8, 8) ∂L/∂x_L, whose norm is 1
    logs = [0.0]
    for layer in reversed(range(len(chain.weights))):
        ga = conv2d_backward(u, acts[layer], chain.weights[layer], padding=1)[0]  # (1, 1, 8, 8) ∂/∂a
        through_f = ga if chain.act == "identity" else activation_backward(chain.act, ga, xs[layer])  # (1, 1, 8, 8)
        # Residual: x_{l+1} = x_l + f(x_l), so ∂L/∂x_l = ∂L/∂x_{l+1} (the skip) + the part through f.
        v = through_f if mode == "plain" else u + through_f  # (1, 1, 8, 8)
        size = float(np.linalg.norm(v.astype(np.float64)))
        if size == 0.0:  # every path is cut (scale 0, or ReLUs all off): nothing reaches further down
            logs.extend([-np.inf] * (layer + 1))
            break
        log_norm += np.log(size)
        u = (v / np.float32(size)).astype(np.float32)  # (1, 1, 8, 8)
        logs.append(log_norm)
    return np.exp(np.array(logs[::-1]))  # (L + 1,) float64: exp of a log far below 1e-40 is still a number


def _finite(a: np.ndarray, layer: int, what: str) -> None:
    # float32 runs out near 3.4e38: say which setting took it there rather than fail in a later op.
    if np.abs(a).max() > 1e36:
        raise ArgumentError("scale", f"the {what} at layer {layer} grows past what float32 holds: use a smaller scale")


@dataclass(frozen=True)
class DepthStudy:
    depth: int
    plain: np.ndarray | None  # (L + 1,) ‖∂L/∂x_l‖, l = 0 … L
    residual: np.ndarray | None  # (L + 1,)


def depth_study(depth: int, scale: float, act: str = "relu", modes=CHAIN_MODES, seed: int = 0) -> DepthStudy:
    """The gradient norms of the plain and/or residual chain built from the same seeded weights."""
    chain = make_chain(depth, scale, act, seed)
    if not modes or any(m not in CHAIN_MODES for m in modes):
        raise ArgumentError("mode", f"mode must name 'plain', 'residual' or both, got {modes!r}")
    norms = {m: chain_norms(chain, m) for m in modes}
    return DepthStudy(len(chain.weights), norms.get("plain"), norms.get("residual"))
