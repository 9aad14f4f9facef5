"""LeNet-5's training step as one compiled call per half batch (engine.lenet_kernels).

:func:`plan` recognises the shape seed 003 draws (conv → ReLU → max pool, twice,
then dense → ReLU, dense → ReLU, dense; stride-1 unpadded convolutions, pool
windows as wide as their stride, every layer with a bias) in a
:class:`engine.network.Network`, which then steps through :class:`LeNetStep`
instead of layer by layer. Any other stack keeps the layer-by-layer path.

Two cores, one answer. A batch of 16 or more is cut in two fixed halves, each
half's gradients summed by its own call into its own buffer, and the two buffers
added: the halves run on two threads (the kernels release the GIL) when there
are two, one after the other otherwise, with the same numbers either way, since
where the batch is cut depends on its size alone.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import checks, lenet_kernels

SPLIT_FROM = 16  # examples: below this a second thread costs more than it saves
_ORDER = ["conv", "activation", "maxpool"] * 2 + ["dense", "activation"] * 2 + ["dense"]
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor | None:
    """One helper thread for the second half of a batch, made on first use; None on a single core."""
    global _POOL
    if _POOL is None and (os.cpu_count() or 1) > 1:
        _POOL = ThreadPoolExecutor(1, thread_name_prefix="lenet-half")
    return _POOL


def plan(net) -> LeNetStep | None:
    """A LeNetStep for ``net`` if its layers are LeNet-5's shape (see the module's note), else None."""
    layers = [layer for layer in net.layers if layer.kind != "flatten"]
    if [layer.kind for layer in layers] != _ORDER:
        return None
    convs, pools, dense = layers[0:6:3], layers[2:6:3], layers[6:11:2]
    if any(a.name != "relu" for a in (layers[1], layers[4], layers[7], layers[9])) or not all(
        d.has_bias for d in dense
    ):
        return None
    for conv in convs:
        spec = conv.conv
        kh, kw = conv.params["w"].shape[2:]
        if (
            spec.stride != (1, 1)
            or spec.dilation != (1, 1)
            or any(spec.padding)
            or spec.flip
            or not conv.has_bias
            or kh != kw
        ):
            return None
    sizes = []
    for pool in pools:
        (ph, pw), (sh, sw) = pool.pool.kernel, pool.pool.stride
        if not ph == pw == sh == sw:
            return None
        sizes.append(ph)
    # Pooling must tile its map exactly, so no cell falls outside every window (the kernel assumes it).
    c, h, w = net.input_shape
    side_h, side_w = h, w
    for conv, s in zip(convs, sizes):
        k = conv.params["w"].shape[2]
        side_h, side_w = side_h - k + 1, side_w - k + 1
        if side_h % s or side_w % s:
            return None
        side_h, side_w = side_h // s, side_w // s
    return LeNetStep([layers[i] for i in (0, 3, 6, 8, 10)], sizes)


class LeNetStep:
    """The fused step of one network: its five learned layers, and flat gradient buffers reused every step."""

    def __init__(self, learned: list, pools: list[int]):
        self.learned = learned  # conv1, conv2, dense1, dense2, dense3
        self.pools = pools
        sizes = [p.size for layer in learned for p in (layer.params["w"], self._bias(layer))]
        self.size = sum(sizes)
        self.halves = [self._views(np.empty(self.size, np.float32)) for _ in range(2)]  # (P,) each, as views

    @staticmethod
    def _bias(layer) -> np.ndarray:
        return layer.bias if layer.kind == "conv" else layer.params["b"]

    def _views(self, flat: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """``flat`` cut into one view per parameter, in the kernel's order (w1, b1, w2, b2, d1, c1, …)."""
        out, at = [], 0
        for layer in self.learned:
            for p in (layer.params["w"], self._bias(layer)):
                out.append(flat[at : at + p.size].reshape(p.shape))  # like p
                at += p.size
        return flat, out

    def _params(self) -> list[np.ndarray]:
        c1, c2, d1, d2, d3 = self.learned
        return [
            c1.params["w"],
            c1.bias,
            self.pools[0],
            c2.params["w"],
            c2.bias,
            self.pools[1],
            d1.params["w"],
            d1.params["b"],
            d2.params["w"],
            d2.params["b"],
            d3.params["w"],
            d3.params["b"],
        ]

    def _half(self, x, labels, grads, probs, n_total) -> float:
        return lenet_kernels.step(x, labels, *self._params(), np.float32(n_total), *grads, probs)

    def loss_and_grads(self, x: np.ndarray, labels) -> tuple[float, np.ndarray]:
        """(mean loss, probabilities (N, classes)); each learned layer's ``grads`` are set (views of a buffer)."""
        n = x.shape[0]
        classes = self.learned[-1].params["w"].shape[0]
        labels = np.ascontiguousarray(checks.labels("labels", labels, n, classes), np.int64)  # (N,)
        probs = np.empty((n, classes), np.float32)  # (N, classes)
        (flat, grads), (flat2, grads2) = self.halves
        if n < SPLIT_FROM:
            total = self._half(x, labels, grads, probs, n)
        else:
            cut = n // 2
            pool = _pool()
            args = (x[cut:], labels[cut:], grads2, probs[cut:], n)
            later = pool.submit(self._half, *args) if pool is not None else None
            total = self._half(x[:cut], labels[:cut], grads, probs[:cut], n)
            total += later.result() if later is not None else self._half(*args)
            flat += flat2
        i = 0
        for layer in self.learned:
            layer.grads["w"], layer.grads["b"] = grads[i], grads[i + 1]
            i += 2
        return total / n, probs

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The network's outputs (N, classes) for a checked batch, one compiled call."""
        n = x.shape[0]
        out = np.empty((n, self.learned[-1].params["w"].shape[0]), np.float32)  # (N, classes)
        pool = _pool() if n >= 2 * SPLIT_FROM else None
        if pool is None:
            lenet_kernels.forward(x, *self._params(), out)
            return out
        cut = n // 2  # each example's outputs are its own: the halves change no number
        later = pool.submit(lenet_kernels.forward, x[cut:], *self._params(), out[cut:])
        lenet_kernels.forward(x[:cut], *self._params(), out[:cut])
        later.result()
        return out
