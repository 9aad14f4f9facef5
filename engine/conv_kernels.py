"""Numba kernels of 2-D convolution (cross-correlation) over padded NCHW float32.

Private to :mod:`engine.conv`, which validates every argument first. Each
kernel handles one sample; the batch loops at the bottom run them in turn.

Loop order follows what measured fastest here: kernel taps outside, a long
contiguous run of outputs innermost. For stride 1 the padded plane is treated
as one flat array: output ``(oh, ow)`` lives at ``oh * Wp + ow`` of a "wide"
output whose extra ``Wp - OW`` columns per row are computed and discarded, so
each tap is one long vectorisable loop instead of OH short ones.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

# Floats of wide output accumulated at a time in the stride-1 forward kernel: fits L1.
_CHUNK = 1024


# ------------------------------------------------------------------ forward


@kernel
def _taps(a, src, wrow, dw, m):
    """a[i] += Σ_kw wrow[kw] · src[i + kw·dw] for i < m: one kernel row over a run of outputs.

    Rows of 2, 3 and 5 taps (the common kernels) are spelled out so that each
    output is loaded and stored once per kernel row instead of once per tap.
    """
    KW = wrow.shape[0]
    if KW == 3:
        w0, w1, w2 = wrow[0], wrow[1], wrow[2]
        s1 = src[dw:]
        s2 = src[2 * dw :]
        for i in range(m):
            a[i] += w0 * src[i] + w1 * s1[i] + w2 * s2[i]
    elif KW == 5:
        w0, w1, w2, w3, w4 = wrow[0], wrow[1], wrow[2], wrow[3], wrow[4]
        s1 = src[dw:]
        s2 = src[2 * dw :]
        s3 = src[3 * dw :]
        s4 = src[4 * dw :]
        for i in range(m):
            a[i] += w0 * src[i] + w1 * s1[i] + w2 * s2[i] + w3 * s3[i] + w4 * s4[i]
    elif KW == 2:
        w0, w1 = wrow[0], wrow[1]
        s1 = src[dw:]
        for i in range(m):
            a[i] += w0 * src[i] + w1 * s1[i]
    else:
        for kw in range(KW):
            wv = wrow[kw]
            s = src[kw * dw :]
            for i in range(m):
                a[i] += wv * s[i]


@kernel
def _fwd_s1_sample(xp, w, b, dh, dw, out):
    """out (F, OH, OW) = w (F, C, KH, KW) ⋆ xp (C, Hp, Wp) + b, stride 1."""
    C, Hp, Wp = xp.shape
    F, _, KH, KW = w.shape
    _, OH, OW = out.shape
    flat = xp.reshape(C, Hp * Wp)  # (C, Hp*Wp) view
    rows = max(1, _CHUNK // Wp)
    acc = np.empty(rows * Wp, np.float32)  # (rows*Wp,) wide output rows
    for f in range(F):
        for r0 in range(0, OH, rows):
            nrows = min(rows, OH - r0)
            m = (nrows - 1) * Wp + OW
            a = acc[:m]
            a[:] = b[f]
            for c in range(C):
                for kh in range(KH):
                    _taps(a, flat[c, (r0 + kh * dh) * Wp :], w[f, c, kh], dw, m)
            for r in range(nrows):
                dst = out[f, r0 + r]
                row = acc[r * Wp :]
                for ow in range(OW):
                    dst[ow] = row[ow]


@kernel
def _fwd_any_sample(xp, w, b, sh, sw, dh, dw, out):
    """Any stride and dilation: one output row at a time."""
    C = xp.shape[0]
    F, _, KH, KW = w.shape
    _, OH, OW = out.shape
    for f in range(F):
        plane = out[f]
        plane[:, :] = b[f]
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    for oh in range(OH):
                        src = xp[c, oh * sh + kh * dh, kw * dw :]
                        dst = plane[oh]
                        for ow in range(OW):
                            dst[ow] += wv * src[ow * sw]


@kernel
def _fwd_sample(xp, w, b, sh, sw, dh, dw, out):
    if sh == 1 and sw == 1:
        _fwd_s1_sample(xp, w, b, dh, dw, out)
    else:
        _fwd_any_sample(xp, w, b, sh, sw, dh, dw, out)


# ------------------------------------------------------------------ backward


@kernel
def _bwd_s1_sample(xp, w, gy, dh, dw, gxp, gw, need_input):
    """Stride 1: gxp (C, Hp, Wp) = full correlation of gy with w; gw (F, C, KH, KW) += gy ⋆ xp."""
    C, Hp, Wp = xp.shape
    F, _, KH, KW = w.shape
    _, OH, OW = gy.shape
    m = (OH - 1) * Wp + OW
    wide = np.zeros((F, OH * Wp), np.float32)  # (F, OH*Wp) gy laid out on the padded row pitch
    for f in range(F):
        for oh in range(OH):
            src = gy[f, oh]
            dst = wide[f, oh * Wp :]
            for ow in range(OW):
                dst[ow] = src[ow]
    xflat = xp.reshape(C, Hp * Wp)  # (C, Hp*Wp) view
    gflat = gxp.reshape(C, Hp * Wp)  # (C, Hp*Wp) view
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                off = kh * dh * Wp + kw * dw
                xs = xflat[c, off:]
                gs = gflat[c, off:]
                for f in range(F):
                    g = wide[f]
                    s = np.float32(0)
                    for i in range(m):
                        s += g[i] * xs[i]
                    gw[f, c, kh, kw] += s
                    if need_input:
                        wv = w[f, c, kh, kw]
                        for i in range(m):
                            gs[i] += wv * g[i]


@kernel
def _bwd_any_sample(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input):
    C = xp.shape[0]
    F, _, KH, KW = w.shape
    _, OH, OW = gy.shape
    for f in range(F):
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    wv = w[f, c, kh, kw]
                    s = np.float32(0)
                    for oh in range(OH):
                        ih = oh * sh + kh * dh
                        g = gy[f, oh]
                        xs = xp[c, ih, kw * dw :]
                        for ow in range(OW):
                            s += g[ow] * xs[ow * sw]
                        if need_input:
                            gs = gxp[c, ih, kw * dw :]
                            for ow in range(OW):
                                gs[ow * sw] += wv * g[ow]
                    gw[f, c, kh, kw] += s


@kernel
def _bwd_sample(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input):
    if sh == 1 and sw == 1:
        _bwd_s1_sample(xp, w, gy, dh, dw, gxp, gw, need_input)
    else:
        _bwd_any_sample(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input)


# ------------------------------------------------------------------ batch loops


@kernel
def forward(xp, w, b, sh, sw, dh, dw, out):
    for n in range(xp.shape[0]):
        _fwd_sample(xp[n], w, b, sh, sw, dh, dw, out[n])


@kernel
def backward(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input):
    """gxp must be zeroed; gw is overwritten with this batch's weight gradient."""
    gw[:] = 0
    for n in range(xp.shape[0]):
        _bwd_sample(xp[n], w, gy[n], sh, sw, dh, dw, gxp[n], gw, need_input)


@kernel
def bias_grad(gy, gb):
    N, F, OH, OW = gy.shape
    for f in range(F):
        s = np.float32(0)
        for n in range(N):
            plane = gy[n, f]
            for oh in range(OH):
                row = plane[oh]
                for ow in range(OW):
                    s += row[ow]
        gb[f] = s
