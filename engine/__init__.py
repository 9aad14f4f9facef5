"""Convscope's engine: exact CNN ops over NumPy float32 arrays, compiled with Numba.

Pure: arrays in, arrays out; no I/O, no web types, no mutable globals.
Layout is NCHW throughout: (batch, channels, height, width).
"""

from . import shapes, trace, trace_grad
from .activations import ACTIVATIONS, activation, activation_backward
from .conv import ConvSpec, conv1d, conv1d_backward, conv2d, conv2d_backward
from .conv_transpose import conv_transpose2d as conv_transpose2d
from .dense import dense, dense_backward, softmax, softmax_cross_entropy
from .network import Network
from .norm import batch_norm, batch_norm_backward, local_contrast_norm, local_contrast_norm_backward
from .optim import SGD, Adam
from .pool import PoolSpec, avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "ConvSpec",
    "Network",
    "PoolSpec",
    "SGD",
    "activation",
    "activation_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm",
    "batch_norm_backward",
    "conv1d",
    "conv1d_backward",
    "conv2d",
    "conv2d_backward",
    "dense",
    "dense_backward",
    "local_contrast_norm",
    "local_contrast_norm_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "shapes",
    "softmax",
    "softmax_cross_entropy",
    "trace",
    "trace_grad",
]
