"""Numba kernels of 2-D convolution (cross-correlation) over padded NCHW float32.

Private to :mod:`engine.conv`, which validates every argument first. Each
kernel handles one sample; the batch loops at the bottom run them in turn.

Loop order follows what measured fastest here: kernel taps outside, a long
contiguous run of outputs innermost. For stride 1 the padded plane is treated
as one flat array: output ``(oh, ow)`` lives at ``oh * Wp + ow`` of a "wide"
output whose extra ``Wp - OW`` columns per row are computed and discarded, so
each tap is one long vectorisable loop instead of OH short ones.

Each kernel Python calls has a NumPy twin below it (``*_numpy``): the same
arguments and outputs, one vectorised step per kernel tap, for the seconds before
the warm-up has compiled the kernel (see :mod:`engine.jit`).
"""

from __future__ import annotations

import numpy as np

from .jit import kernel, reshaped, twin_of

# Floats of wide output accumulated at a time in the stride-1 forward kernel: fits L1.
_CHUNK = 1024
# Outputs (filters × positions) accumulated at a time in the strided forward kernel: fits L1.
_BLOCK = 4096


def _tap(a, kh, kw, dh, dw, sh, sw, OH, OW):
    """The (…, OH, OW) view of a (…, Hp, Wp) array that kernel tap (kh, kw) meets."""
    top, left = kh * dh, kw * dw
    return a[..., top : top + (OH - 1) * sh + 1 : sh, left : left + (OW - 1) * sw + 1 : sw]


# ------------------------------------------------------------------ forward


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
                    row = flat[c, (r0 + kh * dh) * Wp :]
                    if KW == 3:  # the common kernel: one pass per kernel row, not per tap
                        w0, w1, w2 = w[f, c, kh, 0], w[f, c, kh, 1], w[f, c, kh, 2]
                        s1 = row[dw:]
                        s2 = row[2 * dw :]
                        for i in range(m):
                            a[i] += w0 * row[i] + w1 * s1[i] + w2 * s2[i]
                    else:
                        for kw in range(KW):
                            wv = w[f, c, kh, kw]
                            src = row[kw * dw :]
                            for i in range(m):
                                a[i] += wv * src[i]
            for r in range(nrows):
                dst = out[f, r0 + r]
                row = acc[r * Wp :]
                for ow in range(OW):
                    dst[ow] = row[ow]


@kernel
def _fwd_any_sample(xp, w, b, sh, sw, dh, dw, out):
    """Any stride and dilation: a block of output rows at a time, every filter at once.

    A kernel tap meets strided input samples; they are gathered once per block into a
    contiguous run that every filter then reads, so a 16-filter layer reads its input
    once, not 16 times, and each filter's adds are contiguous. Each output still sums
    its taps in (c, kh, kw) order, starting from the bias.
    """
    C = xp.shape[0]
    F, _, KH, KW = w.shape
    _, OH, OW = out.shape
    rows = max(1, _BLOCK // (F * OW))
    taps = np.empty(rows * OW, np.float32)  # (rows*OW,) one tap's inputs for a block of output rows
    flat = out.reshape(F, OH * OW)  # (F, OH*OW) view: a block of rows is one contiguous run
    for r0 in range(0, OH, rows):
        nrows = min(rows, OH - r0)
        lo, m = r0 * OW, nrows * OW
        for f in range(F):
            flat[f, lo : lo + m] = b[f]
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    for r in range(nrows):
                        src = xp[c, (r0 + r) * sh + kh * dh, kw * dw :]
                        t = taps[r * OW :]
                        for ow in range(OW):
                            t[ow] = src[ow * sw]
                    for f in range(F):
                        wv = w[f, c, kh, kw]
                        dst = flat[f, lo:]
                        for i in range(m):
                            dst[i] += wv * taps[i]


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


@twin_of(forward)
def forward_numpy(xp, w, b, sh, sw, dh, dw, out):
    N, F, OH, OW = out.shape
    acc = np.empty((F, N, OH, OW), np.float32)  # (F, N, OH, OW)
    acc[...] = b[:, None, None, None]
    for kh in range(w.shape[2]):
        for kw in range(w.shape[3]):
            acc += np.tensordot(w[:, :, kh, kw], _tap(xp, kh, kw, dh, dw, sh, sw, OH, OW), axes=(1, 1))
    out[...] = acc.transpose(1, 0, 2, 3)


@kernel
def backward(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input):
    """gxp must be zeroed (and is left alone unless need_input); gw is overwritten."""
    gw[:] = 0
    for n in range(xp.shape[0]):
        _bwd_sample(xp[n], w, gy[n], sh, sw, dh, dw, gxp[n], gw, need_input)


@twin_of(backward)
def backward_numpy(xp, w, gy, sh, sw, dh, dw, gxp, gw, need_input):
    OH, OW = gy.shape[2:]
    for kh in range(w.shape[2]):
        for kw in range(w.shape[3]):
            gw[:, :, kh, kw] = np.tensordot(gy, _tap(xp, kh, kw, dh, dw, sh, sw, OH, OW), axes=([0, 2, 3], [0, 2, 3]))
            if need_input:
                back = np.tensordot(w[:, :, kh, kw], gy, axes=(0, 1))  # (C, N, OH, OW)
                _tap(gxp, kh, kw, dh, dw, sh, sw, OH, OW)[...] += back.transpose(1, 0, 2, 3)


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


@twin_of(bias_grad)
def bias_grad_numpy(gy, gb):
    gb[...] = gy.sum(axis=(0, 2, 3))


# ------------------------------------------------------------------ im2col for batches
#
# A batch large enough to keep a matrix multiply busy goes through BLAS instead:
# every window becomes a column of ``cols`` (C·KH·KW, N·OH·OW), so the forward
# pass is one product (F, C·KH·KW) @ cols and both gradients are products too.
# Same index arithmetic as above; only the order of the sums differs.


@kernel
def im2col(xp, KH, KW, sh, sw, dh, dw, OH, OW, cols):
    """cols[(c, kh, kw), (n, oh, ow)] = xp[n, c, oh·sh + kh·dh, ow·sw + kw·dw]."""
    N, C = xp.shape[0], xp.shape[1]
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                dst = cols[(c * KH + kh) * KW + kw]
                for n in range(N):
                    for oh in range(OH):
                        src = xp[n, c, oh * sh + kh * dh, kw * dw :]
                        d = dst[(n * OH + oh) * OW :]
                        for ow in range(OW):
                            d[ow] = src[ow * sw]


@twin_of(im2col)
def im2col_numpy(xp, KH, KW, sh, sw, dh, dw, OH, OW, cols):
    N, C = xp.shape[:2]
    rows = reshaped(cols, C, KH, KW, N, OH, OW)
    for kh in range(KH):
        for kw in range(KW):
            rows[:, kh, kw] = _tap(xp, kh, kw, dh, dw, sh, sw, OH, OW).transpose(1, 0, 2, 3)


@kernel
def col2im(dcols, KH, KW, sh, sw, dh, dw, OH, OW, gxp):
    """The adjoint of :func:`im2col`: gxp (zeroed) += every column's gradient at its window."""
    N, C = gxp.shape[0], gxp.shape[1]
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                src0 = dcols[(c * KH + kh) * KW + kw]
                for n in range(N):
                    for oh in range(OH):
                        dst = gxp[n, c, oh * sh + kh * dh, kw * dw :]
                        s = src0[(n * OH + oh) * OW :]
                        for ow in range(OW):
                            dst[ow * sw] += s[ow]


@twin_of(col2im)
def col2im_numpy(dcols, KH, KW, sh, sw, dh, dw, OH, OW, gxp):
    N, C = gxp.shape[:2]
    rows = reshaped(dcols, C, KH, KW, N, OH, OW)
    for kh in range(KH):
        for kw in range(KW):
            _tap(gxp, kh, kw, dh, dw, sh, sw, OH, OW)[...] += rows[:, kh, kw].transpose(1, 0, 2, 3)


# For stride 1 the columns can be "wide": output (oh, ow) sits at oh·Wp + ow of
# a run of L = (OH − 1)·Wp + OW positions, so each column row is one contiguous
# copy of the padded plane (about five times faster than window by window) and
# the product computes Wp − OW spare outputs per row, dropped afterwards.


@kernel
def im2col_wide(xp, KH, KW, dh, dw, L, cols):
    """cols[(c, kh, kw), n·L + i] = xp[n, c] flattened, from kh·dh·Wp + kw·dw + i."""
    N, C, Hp, Wp = xp.shape
    flat = xp.reshape(N, C, Hp * Wp)  # (N, C, Hp*Wp) view
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                dst = cols[(c * KH + kh) * KW + kw]
                off = kh * dh * Wp + kw * dw
                for n in range(N):
                    src = flat[n, c, off:]
                    d = dst[n * L :]
                    for i in range(L):
                        d[i] = src[i]


@twin_of(im2col_wide)
def im2col_wide_numpy(xp, KH, KW, dh, dw, L, cols):
    N, C, Hp, Wp = xp.shape
    flat = reshaped(xp, N, C, Hp * Wp)
    rows = reshaped(cols, C, KH, KW, N, L)
    for kh in range(KH):
        for kw in range(KW):
            off = kh * dh * Wp + kw * dw
            rows[:, kh, kw] = flat[:, :, off : off + L].transpose(1, 0, 2)


@kernel
def col2im_wide(dcols, KH, KW, dh, dw, L, gxp):
    """The adjoint of :func:`im2col_wide`; spare columns must hold zeros."""
    N, C, Hp, Wp = gxp.shape
    flat = gxp.reshape(N, C, Hp * Wp)  # (N, C, Hp*Wp) view
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                src = dcols[(c * KH + kh) * KW + kw]
                off = kh * dh * Wp + kw * dw
                for n in range(N):
                    s = src[n * L :]
                    d = flat[n, c, off:]
                    for i in range(L):
                        d[i] += s[i]


@twin_of(col2im_wide)
def col2im_wide_numpy(dcols, KH, KW, dh, dw, L, gxp):
    # im2col_wide_numpy with the copy turned round into a sum: the adjoint, written out on purpose.
    N, C, Hp, Wp = gxp.shape
    flat = reshaped(gxp, N, C, Hp * Wp)
    rows = reshaped(dcols, C, KH, KW, N, L)
    for kh in range(KH):
        for kw in range(KW):
            off = kh * dh * Wp + kw * dw
            flat[:, :, off : off + L] += rows[:, kh, kw].transpose(1, 0, 2)


@kernel
def narrow(wide, b, Wp, L, y):
    """y (N, F, OH, OW) = the kept outputs of wide (F, N·L), plus the bias."""
    N, F, OH, OW = y.shape
    for f in range(F):
        for n in range(N):
            src = wide[f, n * L :]
            for oh in range(OH):
                s = src[oh * Wp :]
                d = y[n, f, oh]
                for ow in range(OW):
                    d[ow] = s[ow] + b[f]


@twin_of(narrow)
def narrow_numpy(wide, b, Wp, L, y):
    N, F, OH, OW = y.shape
    pitch = np.zeros((F, N, OH * Wp), np.float32)  # (F, N, OH*Wp) each output row on the padded pitch
    pitch[:, :, :L] = reshaped(wide, F, N, L)
    y[...] = (pitch.reshape(F, N, OH, Wp)[..., :OW] + b[:, None, None, None]).transpose(1, 0, 2, 3)


@kernel
def widen(gy, Wp, L, wide):
    """wide (F, N·L) = gy (N, F, OH, OW) on the padded row pitch; spare columns zero."""
    N, F, OH, OW = gy.shape
    wide[:] = 0
    for f in range(F):
        for n in range(N):
            dst = wide[f, n * L :]
            for oh in range(OH):
                d = dst[oh * Wp :]
                s = gy[n, f, oh]
                for ow in range(OW):
                    d[ow] = s[ow]


@twin_of(widen)
def widen_numpy(gy, Wp, L, wide):
    N, F, OH, OW = gy.shape
    pitch = np.zeros((F, N, OH, Wp), np.float32)  # (F, N, OH, Wp) spare columns zero
    pitch[..., :OW] = gy.transpose(1, 0, 2, 3)
    reshaped(wide, F, N, L)[...] = pitch.reshape(F, N, OH * Wp)[:, :, :L]
