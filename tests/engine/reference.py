"""A slow, readable NumPy reference for convolution and pooling, in float64.

Written the way a textbook describes the ops: pad with zeros, slide a window
over every output position in turn, and at each position take one dot product
(convolution), one maximum or one mean (pooling). Backward passes walk the
same positions and send each output's gradient back along the exact path the
forward pass took. Nothing here is shared with the engine, so agreement means
two independent derivations agree; the tests also check this file against
PyTorch, so it is a trustworthy oracle for the engine on its own.

Layout is NCHW: x (N, C, H, W), w (F, C, KH, KW), b (F,), y (N, F, OH, OW).
"""

from __future__ import annotations

import numpy as np


def assert_close(actual, expected, tol=1e-4, what="value"):
    """max|actual - expected| <= tol * max(1, max|expected|): error relative to the values' scale."""
    actual = np.asarray(actual, np.float64)
    expected = np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    err = float(np.abs(actual - expected).max())
    scale = max(1.0, float(np.abs(expected).max()))
    assert err <= tol * scale, f"{what}: max error {err:.3g} > {tol:g} x scale {scale:.3g}"


# ------------------------------------------------------------------ convolution


def out_size(n: int, k: int, stride: int, before: int, after: int, dilation: int) -> int:
    """How many window positions fit along one axis: floor((n + p - d(k-1) - 1) / s) + 1."""
    return (n + before + after - dilation * (k - 1) - 1) // stride + 1


def zero_pad(x, padding):
    """x (N, C, H, W) with (top, bottom, left, right) rows and columns of zeros added."""
    top, bottom, left, right = padding
    n, c, h, w = x.shape
    xp = np.zeros((n, c, top + h + bottom, left + w + right))  # (N, C, Hp, Wp)
    xp[:, :, top : top + h, left : left + w] = x
    return xp


def _windows(x_shape, w_shape, stride, padding, dilation):
    """Every output position (i, j) with the slices of the padded input its window covers."""
    _, _, h, w = x_shape
    _, _, kh, kw = w_shape
    (sh, sw), (dh, dw) = stride, dilation
    top, bottom, left, right = padding
    for i in range(out_size(h, kh, sh, top, bottom, dh)):
        for j in range(out_size(w, kw, sw, left, right, dw)):
            rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)  # kh rows, dh apart
            cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)  # kw columns, dw apart
            yield i, j, rows, cols


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), flip=False):
    """y[n, f, i, j] = b[f] + sum over c, p, q of w[f, c, p, q] * xpad[n, c, i*sh + p*dh, j*sw + q*dw].

    With flip=True the kernel is first turned by 180 degrees (true convolution).
    """
    x = np.asarray(x, np.float64)  # (N, C, H, W)
    w = np.asarray(w, np.float64)  # (F, C, KH, KW)
    b = np.zeros(w.shape[0]) if b is None else np.asarray(b, np.float64)  # (F,)
    k = w[:, :, ::-1, ::-1] if flip else w  # (F, C, KH, KW) the weights actually slid
    xp = zero_pad(x, padding)  # (N, C, Hp, Wp)
    positions = list(_windows(x.shape, w.shape, stride, padding, dilation))
    oh, ow = positions[-1][0] + 1, positions[-1][1] + 1
    y = np.zeros((x.shape[0], w.shape[0], oh, ow))  # (N, F, OH, OW)
    for i, j, rows, cols in positions:
        window = xp[:, :, rows, cols]  # (N, C, KH, KW)
        for f in range(w.shape[0]):
            y[:, f, i, j] = (window * k[f]).sum(axis=(1, 2, 3)) + b[f]
    return y


def conv2d_backward(gy, x, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), flip=False):
    """(dL/dx, dL/dw, dL/db) of conv2d: each output's gradient flows back through its own window.

    y[n, f, i, j] contains the term k[f] * window, so dL/dwindow += gy * k[f],
    dL/dk[f] += gy * window and dL/db[f] += gy.
    """
    gy = np.asarray(gy, np.float64)  # (N, F, OH, OW)
    x = np.asarray(x, np.float64)  # (N, C, H, W)
    w = np.asarray(w, np.float64)  # (F, C, KH, KW)
    k = w[:, :, ::-1, ::-1] if flip else w  # (F, C, KH, KW)
    xp = zero_pad(x, padding)  # (N, C, Hp, Wp)
    gxp = np.zeros_like(xp)  # (N, C, Hp, Wp)
    gk = np.zeros_like(w)  # (F, C, KH, KW) gradient of the slid weights
    for i, j, rows, cols in _windows(x.shape, w.shape, stride, padding, dilation):
        window = xp[:, :, rows, cols]  # (N, C, KH, KW)
        for f in range(w.shape[0]):
            g = gy[:, f, i, j][:, None, None, None]  # (N, 1, 1, 1)
            gxp[:, :, rows, cols] += g * k[f]
            gk[f] += (g * window).sum(axis=0)
    top, _, left, _ = padding
    gx = gxp[:, :, top : top + x.shape[2], left : left + x.shape[3]]  # (N, C, H, W) padding gets no gradient
    gw = gk[:, :, ::-1, ::-1] if flip else gk  # (F, C, KH, KW) back in the caller's orientation
    return gx, gw, gy.sum(axis=(0, 2, 3))


# ------------------------------------------------------------------ pooling


def pool_windows(x_shape, kernel, stride):
    """Every pooling window (i, j, rows, cols): a convolution's windows without padding or dilation."""
    return _windows(x_shape, (0, 0, *kernel), stride, (0, 0, 0, 0), (1, 1))


def max_pool2d(x, kernel, stride):
    """(y, winners): each window's maximum and the flat index h*W + w of its first maximum in reading order."""
    x = np.asarray(x, np.float64)  # (N, C, H, W)
    n, c, h, w = x.shape
    positions = list(pool_windows(x.shape, kernel, stride))
    oh, ow = positions[-1][0] + 1, positions[-1][1] + 1
    y = np.zeros((n, c, oh, ow))  # (N, C, OH, OW)
    winners = np.zeros((n, c, oh, ow), np.int64)  # (N, C, OH, OW)
    for i, j, rows, cols in positions:
        for s in range(n):
            for ch in range(c):
                window = x[s, ch, rows, cols]  # (KH, KW)
                p, q = np.unravel_index(np.argmax(window), window.shape)  # argmax: first maximum, row by row
                y[s, ch, i, j] = window[p, q]
                winners[s, ch, i, j] = (rows.start + p) * w + (cols.start + q)
    return y, winners


def max_pool2d_backward(gy, x, kernel, stride):
    """dL/dx: each window's gradient goes to its winning cell only (overlapping windows add up)."""
    gy = np.asarray(gy, np.float64)  # (N, C, OH, OW)
    _, winners = max_pool2d(x, kernel, stride)
    n, c, h, w = np.shape(x)
    gx = np.zeros((n, c, h * w))  # (N, C, H*W) flat planes, indexed by winner
    for s in range(n):
        for ch in range(c):
            for i in range(gy.shape[2]):
                for j in range(gy.shape[3]):
                    gx[s, ch, winners[s, ch, i, j]] += gy[s, ch, i, j]
    return gx.reshape(n, c, h, w)


def avg_pool2d(x, kernel, stride):
    """The mean of each window."""
    x = np.asarray(x, np.float64)  # (N, C, H, W)
    positions = list(pool_windows(x.shape, kernel, stride))
    y = np.zeros((*x.shape[:2], positions[-1][0] + 1, positions[-1][1] + 1))  # (N, C, OH, OW)
    for i, j, rows, cols in positions:
        y[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return y


def avg_pool2d_backward(gy, x, kernel, stride):
    """dL/dx: each window's gradient spread evenly, 1/(KH*KW) to each of its cells."""
    gy = np.asarray(gy, np.float64)  # (N, C, OH, OW)
    gx = np.zeros(np.shape(x))  # (N, C, H, W)
    for i, j, rows, cols in pool_windows(gx.shape, kernel, stride):
        gx[:, :, rows, cols] += gy[:, :, i, j][:, :, None, None] / (kernel[0] * kernel[1])
    return gx
