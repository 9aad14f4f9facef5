"""A small sequential network over the engine's ops: seeded, inspectable, exact.

Built from the same layer specs as :func:`engine.shapes.layer_table`, so the
table a lesson shows and the arrays the network allocates agree by
construction. Every layer keeps what its forward pass saw, so the backward
pass, and any view of the intermediate maps, reads the very arrays computed.
"""

from __future__ import annotations

import numpy as np

from . import activations, checks, fused, lenet, norm, shapes
from .conv import ConvSpec
from .dense import softmax_ce
from .errors import ArgumentError
from .pool import PoolSpec


class Layer:
    """Forward stores what backward needs; params/grads are dicts of arrays."""

    kind = "layer"
    # False for a network's first layer: nothing upstream wants dL/dx, so skip it.
    needs_input_grad = True

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        raise NotImplementedError

    def backward(self, gy: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _uniform(rng: np.random.Generator, fan_in: int, shape: tuple) -> np.ndarray:
    """PyTorch's default initialisation range for conv and linear layers: U(±1/√fan_in)."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)  # shape


class Conv2d(Layer):
    kind = "conv"

    def __init__(self, c_in: int, spec: dict, rng: np.random.Generator):
        super().__init__()
        kh, kw = spec["kernel"]
        self.conv = ConvSpec.make(spec["stride"], spec["padding"], spec["dilation"])
        fan_in = c_in * kh * kw
        self.has_bias = spec["bias"]
        self.params["w"] = _uniform(rng, fan_in, (spec["filters"], c_in, kh, kw))  # (F, C, KH, KW)
        # Without a bias the layer adds zeros and learns nothing there: no "b" parameter.
        self.bias = (
            _uniform(rng, fan_in, (spec["filters"],)) if self.has_bias else np.zeros(spec["filters"], np.float32)
        )  # (F,)
        if self.has_bias:
            self.params["b"] = self.bias

    def forward(self, x, train):
        self.x_shape = x.shape
        y, self.saved = self.conv.forward(x, self.params["w"], self.bias)  # (N, F, OH, OW)
        return y

    def backward(self, gy):
        gx, self.grads["w"], gb = self.conv.backward(
            gy, self.saved, self.x_shape, self.params["w"], self.needs_input_grad
        )
        if self.has_bias:
            self.grads["b"] = gb
        return gx


class Activation(Layer):
    kind = "activation"

    def __init__(self, name: str, param=None):
        super().__init__()
        self.forward_fn, self.backward_fn, default = activations.ACTIVATIONS[activations.check_name(name)]
        self.name = name
        self.param = activations._param(name, param, default)

    def forward(self, x, train):
        self.x = x
        self.y = self.forward_fn(x, self.param)  # like x
        return self.y

    def backward(self, gy):
        return self.backward_fn(gy, self.x, self.y, self.param)


class MaxPool2d(Layer):
    kind = "maxpool"

    def __init__(self, spec: dict):
        super().__init__()
        self.pool = PoolSpec.make(spec["kernel"], spec["stride"])

    def forward(self, x, train):
        self.x_shape = x.shape
        y, self.arg = self.pool.max_forward(x)  # (N, C, OH, OW)
        return y

    def backward(self, gy):
        return self.pool.max_backward(gy, self.arg, self.x_shape)


class AvgPool2d(MaxPool2d):
    kind = "avgpool"

    def forward(self, x, train):
        self.x_shape = x.shape
        return self.pool.avg_forward(x)

    def backward(self, gy):
        return self.pool.avg_backward(np.ascontiguousarray(gy), self.x_shape)


class Flatten(Layer):
    kind = "flatten"

    def forward(self, x, train):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)  # (N, C*H*W)

    def backward(self, gy):
        return gy.reshape(self.x_shape)  # (N, C, H, W)


class Dense(Layer):
    kind = "dense"

    def __init__(self, n_in: int, spec: dict, rng: np.random.Generator):
        super().__init__()
        self.has_bias = spec["bias"]
        self.params["w"] = _uniform(rng, n_in, (spec["units"], n_in))  # (out, in)
        if self.has_bias:
            self.params["b"] = _uniform(rng, n_in, (spec["units"],))  # (out,)

    def forward(self, x, train):
        self.x = x.reshape(x.shape[0], -1)  # (N, in): a map is flattened on the way in
        self.x_shape = x.shape
        y = self.x @ self.params["w"].T  # (N, out)
        return y + self.params["b"] if self.has_bias else y

    def backward(self, gy):
        self.grads["w"] = gy.T @ self.x  # (out, in)
        if self.has_bias:
            self.grads["b"] = gy.sum(axis=0)  # (out,)
        return (gy @ self.params["w"]).reshape(self.x_shape)  # like x


class BatchNorm(Layer):
    kind = "batchnorm"

    def __init__(self, channels: int, momentum: float = 0.1):
        super().__init__()
        self.params["gamma"] = np.ones(channels, np.float32)  # (C,)
        self.params["beta"] = np.zeros(channels, np.float32)  # (C,)
        self.running_mean = np.zeros(channels, np.float32)  # (C,)
        self.running_var = np.ones(channels, np.float32)  # (C,)
        self.momentum = np.float32(momentum)

    def forward(self, x, train):
        if not train:
            return norm.batch_norm(
                x, self.params["gamma"], self.params["beta"], mean=self.running_mean, var=self.running_var
            )[0]
        y, self.cache = norm.batch_norm(x, self.params["gamma"], self.params["beta"])
        axes = self.cache.axes
        m = x.size // x.shape[1]
        # Running statistics as PyTorch keeps them: the variance unbiased.
        self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * x.mean(axis=axes)  # (C,)
        self.running_var = (1 - self.momentum) * self.running_var + self.momentum * x.var(axis=axes) * (
            m / (m - 1)
        )  # (C,)
        return y

    def backward(self, gy):
        gx, self.grads["gamma"], self.grads["beta"] = norm.batch_norm_backward(gy, self.cache)
        return gx


class LocalContrastNorm(Layer):
    kind = "lcn"

    def __init__(self, size: int = 7, sigma=None, c: float = 0.1):
        super().__init__()
        self.size, self.sigma, self.c = size, sigma, c

    def forward(self, x, train):
        y, self.cache = norm.local_contrast_norm(x, self.size, self.sigma, self.c)
        return y

    def backward(self, gy):
        return norm.local_contrast_norm_backward(np.ascontiguousarray(gy), self.cache)


class Network:
    """A stack of layers with seeded initial weights, trained with softmax cross-entropy."""

    def __init__(
        self, input_shape: tuple[int, int, int], layers: list[dict], seed: int = 0, names: list[str] | None = None
    ):
        self.table = shapes.layer_table(input_shape, layers, names)  # checks every layer fits
        self.input_shape = tuple(input_shape)
        self.rng = np.random.default_rng(seed)
        self.layers: list[Layer] = []
        # Shape coming into each layer: the input, then the table's previous row (H, W, C) or (units,).
        incoming = [(input_shape[1], input_shape[2], input_shape[0])] + [row.shape for row in self.table[:-1]]
        for raw, shape_in in zip(layers, incoming):
            spec = shapes._norm_layer(raw)
            kind = spec["type"]
            if kind == "conv":
                layer = Conv2d(shape_in[2], spec, self.rng)
            elif kind == "maxpool":
                layer = MaxPool2d(spec)
            elif kind == "avgpool":
                layer = AvgPool2d(spec)
            elif kind == "flatten":
                layer = Flatten()
            elif kind == "dense":
                layer = Dense(int(np.prod(shape_in)), spec, self.rng)
            elif kind == "activation":
                layer = Activation(spec.get("name", "relu"), spec.get("param"))
            elif kind == "batchnorm":
                layer = BatchNorm(shape_in[-1])
            else:  # lcn
                layer = LocalContrastNorm(spec.get("size", 7), spec.get("sigma"), spec.get("c", 0.1))
            self.layers.append(layer)
        if self.layers and self.layers[0].kind == "conv":
            self.layers[0].needs_input_grad = False
        # Training steps of the X-vs-O shape run as one compiled call (see engine.fused);
        # set False to step layer by layer.
        self.fuse = self._fusable()
        # Seed 003's LeNet-5 shape steps as one compiled call per half batch (see engine.lenet); None otherwise.
        self.lenet = lenet.plan(self)

    def named_params(self) -> dict[str, np.ndarray]:
        """Every learned array by a stable name, e.g. ``"0.w"`` for the first layer's weights."""
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def named_grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def forward(self, x: np.ndarray, train: bool = False, keep: bool = False):
        """Logits (N, classes); with ``keep`` also every layer's output, in order."""
        x = self._input(x)  # (N, C, H, W)
        outputs = []
        for layer in self.layers:
            x = layer.forward(x, train)
            if keep:
                outputs.append(x)
        return (x, outputs) if keep else x

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The outputs (N, classes) without keeping anything for a backward pass: for scoring a data set."""
        x = self._input(x)  # (N, C, H, W)
        return self.lenet.logits(x) if self.lenet is not None else self.forward(x)

    def _input(self, x) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)  # (N, C, H, W)
        if x.ndim != 4 or x.shape[1:] != self.input_shape:
            raise ArgumentError("x", f"x must have shape (N, {', '.join(map(str, self.input_shape))}), got {x.shape}")
        return x

    def backward(self, g: np.ndarray) -> np.ndarray | None:
        """Gradients of every layer from dL/dlogits; returns dL/dx when the first layer computes it."""
        for layer in reversed(self.layers):
            g = layer.backward(g)
            if g is None:
                break
        return g

    def _fusable(self) -> bool:
        """conv → (leaky) ReLU → max pool → [flatten →] dense: one compiled call does the whole step."""
        kinds = [layer.kind for layer in self.layers if layer.kind != "flatten"]
        if kinds != ["conv", "activation", "maxpool", "dense"]:
            return False
        conv, act = self.layers[0], self.layers[1]
        return act.name in ("relu", "leaky_relu") and not conv.conv.flip and conv.conv.pad_mode == "zeros"

    def _fused_loss_and_grads(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        conv, act, pool, dense = (layer for layer in self.layers if layer.kind != "flatten")
        n = x.shape[0]
        classes = dense.params["w"].shape[0]
        labels = checks.labels("labels", labels, n, classes)
        conv.grads["w"] = np.empty_like(conv.params["w"])  # (F, C, KH, KW)
        gb = np.empty_like(conv.bias)  # (F,)
        dense.grads["w"] = np.empty_like(dense.params["w"])  # (K, D)
        gb2 = np.empty(classes, np.float32)  # (K,)
        probs = np.empty((n, classes), np.float32)  # (N, K)
        b2 = dense.params["b"] if dense.has_bias else np.zeros(classes, np.float32)  # (K,)
        loss = fused.step(
            conv.conv.saved_for(x).xp,
            conv.params["w"],
            conv.bias,
            *conv.conv.stride,
            *conv.conv.dilation,
            np.float32(act.param or 0.0),
            *pool.pool.kernel,
            *pool.pool.stride,
            dense.params["w"],
            b2,
            labels,
            conv.grads["w"],
            gb,
            dense.grads["w"],
            gb2,
            probs,
        )
        if conv.has_bias:
            conv.grads["b"] = gb
        if dense.has_bias:
            dense.grads["b"] = gb2
        return loss, probs

    def loss_and_grads(self, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward in training mode, softmax cross-entropy, backward: (loss, probabilities)."""
        if self.fuse:
            return self._fused_loss_and_grads(self._input(x), labels)
        if self.lenet is not None:
            return self.lenet.loss_and_grads(self._input(x), labels)
        logits = self.forward(x, train=True)
        labels = checks.labels("labels", labels, logits.shape[0], logits.shape[1])
        loss, probs, g = softmax_ce(logits, labels)
        self.backward(g)
        return loss, probs

    def train_step(self, optimizer, x: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
        loss, probs = self.loss_and_grads(x, labels)
        optimizer.step(self.named_params(), self.named_grads())
        return loss, probs


# The X-vs-O classifier of seed 002: 9×9 grid, 3 diagonal/cross filters, ReLU, pool, vote.
XO_INPUT = (1, 9, 9)
XO_LAYERS = [
    {"type": "conv", "filters": 3, "kernel": 3},
    {"type": "activation", "name": "relu"},
    {"type": "maxpool", "kernel": 2},
    {"type": "dense", "units": 2},
]


def lenet5_layers(activation: str = "relu") -> list[dict]:
    """LeNet-5 as in :data:`engine.shapes.LENET5`, with an activation after each learned layer but the last."""
    act = {"type": "activation", "name": activation}
    out = []
    for spec in shapes.LENET5:
        out.append(spec)
        if spec["type"] in ("conv",) or (spec["type"] == "dense" and spec["units"] != 10):
            out.append(act)
    return out
