"""One compiled call for a whole LeNet-5 training step (and one for its forward pass).

conv → ReLU → max pool → conv → ReLU → max pool → dense → ReLU → dense → ReLU →
dense → softmax cross-entropy, every convolution at stride 1 without padding and
every pool window as wide as its stride. Layer by layer (engine.network) this is
some thirty calls from Python and as many arrays a step; here each example goes
forward and straight back inside one call, so its maps stay in the L1 cache and
its gradients add into the batch's in a fixed order (example 0, 1, 2, …): the same
batch gives the same numbers, bit for bit, whoever calls.

Why a kernel of its own rather than engine.conv_kernels: the pooled maps are taken
straight from the convolution's accumulator, the ReLU folded into the pooling
(max(0, max window) is the max of the ReLU'd window, and only a positive winner
passes a gradient back), and the 5×5 kernels of LeNet-5 get an unrolled row of
five taps, so each pass over the accumulator does five multiply-adds instead of one.

Layout, as in engine.conv_kernels: a map of pitch P is kept flat, and output
(oh, ow) of a stride-1 convolution sits at ``oh * P + ow`` of a "wide" row whose
``P - OW`` spare columns per row are computed and ignored (their gradient is zero).

These kernels have no NumPy twin: they only run for training and for scoring a
run, which must repeat to the bit (engine.jit.exact), so a twin would never answer.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

SLACK = 16  # zeros after each plane a convolution reads: its spare outputs may read that far

# ------------------------------------------------------------------ convolution, one example


@kernel
def _conv_wide(x, P, w, b, acc):
    """acc (F, m) = w (F, C, K, K) ⋆ x (C, H·P) + b on the wide layout of pitch P."""
    F, C, K, _ = w.shape
    m = acc.shape[1]
    for f in range(F):
        acc[f, :] = b[f]
    if K != 5:
        for f in range(F):
            a = acc[f]
            for c in range(C):
                for kh in range(K):
                    for kw in range(K):
                        wv = w[f, c, kh, kw]
                        src = x[c, kh * P + kw :]
                        for i in range(m):
                            a[i] += wv * src[i]
        return
    # LeNet-5's 5×5 kernels: a whole kernel row of two filters per pass, so each input value
    # loaded feeds ten multiply-adds (an odd last filter goes alone).
    for f in range(0, F, 2):
        a = acc[f]
        pair = f + 1 < F
        a2 = acc[f + 1] if pair else acc[f]
        for c in range(C):
            for kh in range(K):
                row = x[c, kh * P :]
                w0, w1, w2, w3, w4 = w[f, c, kh, 0], w[f, c, kh, 1], w[f, c, kh, 2], w[f, c, kh, 3], w[f, c, kh, 4]
                if pair:
                    g = f + 1
                    v0, v1, v2, v3, v4 = w[g, c, kh, 0], w[g, c, kh, 1], w[g, c, kh, 2], w[g, c, kh, 3], w[g, c, kh, 4]
                    for i in range(m):
                        r0, r1, r2, r3, r4 = row[i], row[i + 1], row[i + 2], row[i + 3], row[i + 4]
                        a[i] += w0 * r0 + w1 * r1 + w2 * r2 + w3 * r3 + w4 * r4
                        a2[i] += v0 * r0 + v1 * r1 + v2 * r2 + v3 * r3 + v4 * r4
                else:
                    for i in range(m):
                        a[i] += w0 * row[i] + w1 * row[i + 1] + w2 * row[i + 2] + w3 * row[i + 3] + w4 * row[i + 4]


@kernel
def _relu_pool(acc, P, OH, OW, S, out, win):
    """out (F, PH·PW) = max(0, S×S window maxima) of acc's (OH, OW) outputs; win: the winner's wide index, or −1.

    The first largest cell in reading order wins, as in PyTorch's max pooling of the
    ReLU'd map; a window with nothing above zero has no winner (ReLU passes no gradient).
    """
    F = acc.shape[0]
    PH, PW = OH // S, OW // S
    for f in range(F):
        a = acc[f]
        for ph in range(PH):
            for pw in range(PW):
                where = ph * S * P + pw * S
                best = a[where]
                for i in range(S):
                    for j in range(S):
                        k = (ph * S + i) * P + pw * S + j
                        if a[k] > best:
                            best = a[k]
                            where = k
                j = ph * PW + pw
                if best > 0:
                    out[f, j] = best
                    win[f, j] = where
                else:
                    out[f, j] = 0
                    win[f, j] = -1


@kernel
def _unpool(g, win, gacc):
    """gacc (F, m), zeroed: each pooled gradient lands on its window's winner (the windows do not overlap)."""
    F, n = g.shape
    for f in range(F):
        for j in range(n):
            k = win[f, j]
            if k >= 0:
                gacc[f, k] = g[f, j]


@kernel
def _conv_wide_grads(x, P, w, gacc, gw, gb, gx, need_input):
    """gw += gacc ⋆ x, gb += Σ gacc; with need_input also gx (C, H·P) += the full convolution of gacc with w."""
    F, C, K, _ = w.shape
    m = gacc.shape[1]
    for f in range(F):
        g = gacc[f]
        s = np.float32(0)
        for i in range(m):
            s += g[i]
        gb[f] += s
    if K != 5:
        for f in range(F):
            g = gacc[f]
            for c in range(C):
                for kh in range(K):
                    for kw in range(K):
                        src = x[c, kh * P + kw :]
                        s = np.float32(0)
                        for i in range(m):
                            s += g[i] * src[i]
                        gw[f, c, kh, kw] += s
    else:
        for f in range(0, F, 2):
            # Ten sums in one pass: two filters' gradients against one kernel row of taps (an odd last
            # filter pairs with itself and keeps only its own sums).
            g = gacc[f]
            f2 = min(f + 1, F - 1)
            h = gacc[f2]
            for c in range(C):
                for kh in range(K):
                    row = x[c, kh * P :]
                    s0 = s1 = s2 = s3 = s4 = np.float32(0)
                    t0 = t1 = t2 = t3 = t4 = np.float32(0)
                    for i in range(m):
                        gi, hi = g[i], h[i]
                        r0, r1, r2, r3, r4 = row[i], row[i + 1], row[i + 2], row[i + 3], row[i + 4]
                        s0 += gi * r0
                        s1 += gi * r1
                        s2 += gi * r2
                        s3 += gi * r3
                        s4 += gi * r4
                        t0 += hi * r0
                        t1 += hi * r1
                        t2 += hi * r2
                        t3 += hi * r3
                        t4 += hi * r4
                    gw[f, c, kh, 0] += s0
                    gw[f, c, kh, 1] += s1
                    gw[f, c, kh, 2] += s2
                    gw[f, c, kh, 3] += s3
                    gw[f, c, kh, 4] += s4
                    if f2 != f:
                        gw[f2, c, kh, 0] += t0
                        gw[f2, c, kh, 1] += t1
                        gw[f2, c, kh, 2] += t2
                        gw[f2, c, kh, 3] += t3
                        gw[f2, c, kh, 4] += t4
    if not need_input:
        return
    # dL/dx[j] = Σ_kw w[kw] g[j − kw]: each g padded by K − 1 zeros on both sides, so every j reads in bounds.
    gpad = np.zeros((F, m + 2 * (K - 1)), np.float32)  # (F, m + 2(K−1))
    for f in range(F):
        gpad[f, K - 1 : K - 1 + m] = gacc[f]
    n = m + K - 1
    for c in range(C):
        for kh in range(K):
            dst = gx[c, kh * P :]
            if K != 5:
                for f in range(F):
                    for kw in range(K):
                        wv = w[f, c, kh, kw]
                        src = gpad[f, K - 1 - kw :]
                        for j in range(n):
                            dst[j] += wv * src[j]
                continue
            for f in range(0, F, 2):  # two filters a pass: one load and store of dst for ten multiply-adds
                ga = gpad[f]
                w0, w1, w2, w3, w4 = w[f, c, kh, 0], w[f, c, kh, 1], w[f, c, kh, 2], w[f, c, kh, 3], w[f, c, kh, 4]
                if f + 1 < F:
                    gb2 = gpad[f + 1]
                    g = f + 1
                    v0, v1, v2, v3, v4 = w[g, c, kh, 0], w[g, c, kh, 1], w[g, c, kh, 2], w[g, c, kh, 3], w[g, c, kh, 4]
                    for j in range(n):
                        dst[j] += (w0 * ga[j + 4] + w1 * ga[j + 3] + w2 * ga[j + 2] + w3 * ga[j + 1] + w4 * ga[j]) + (
                            v0 * gb2[j + 4] + v1 * gb2[j + 3] + v2 * gb2[j + 2] + v3 * gb2[j + 1] + v4 * gb2[j]
                        )
                else:
                    for j in range(n):
                        dst[j] += w0 * ga[j + 4] + w1 * ga[j + 3] + w2 * ga[j + 2] + w3 * ga[j + 1] + w4 * ga[j]


# ------------------------------------------------------------------ dense layers, one example


@kernel
def _dense(x, w, b, relu, y):
    """y = w x + b (ReLU'd when asked) for one example: x (in,), w (out, in)."""
    for o in range(w.shape[0]):
        row = w[o]
        s = np.float32(0)
        for i in range(x.size):
            s += row[i] * x[i]
        s += b[o]
        y[o] = s if (s > 0 or not relu) else np.float32(0)


@kernel
def _dense_grads(x, w, g, gw, gb, gx):
    """gw += g xᵀ, gb += g; gx = wᵀ g (unmasked), for one example."""
    gx[:] = 0
    for o in range(w.shape[0]):
        go = g[o]
        if go == 0:
            continue  # a unit ReLU switched off: nothing to add
        gb[o] += go
        grow = gw[o]
        row = w[o]
        for i in range(x.size):
            grow[i] += go * x[i]
            gx[i] += go * row[i]


@kernel
def _mask(g, y):
    """g ← g where the ReLU's output y was positive, else 0."""
    for i in range(g.size):
        if y[i] <= 0:
            g[i] = 0


# ------------------------------------------------------------------ one example forward


@kernel
def _forward_one(x, H, W, w1, b1, S1, w2, b2, S2, d1, c1, d2, c2, d3, c3, acc1, p1, win1, acc2, p2, win2, h1, h2, out):
    """Every saved map of one example x (C, H·W + SLACK): pooled maps and winners, hidden units, logits in ``out``."""
    K1, K2 = w1.shape[2], w2.shape[2]
    OH1, OW1 = H - K1 + 1, W - K1 + 1
    _conv_wide(x, W, w1, b1, acc1)
    _relu_pool(acc1, W, OH1, OW1, S1, p1, win1)
    PW1 = OW1 // S1
    OH2, OW2 = OH1 // S1 - K2 + 1, PW1 - K2 + 1
    _conv_wide(p1, PW1, w2, b2, acc2)
    _relu_pool(acc2, PW1, OH2, OW2, S2, p2, win2)
    _dense(p2.reshape(p2.size), d1, c1, True, h1)
    _dense(h1, d2, c2, True, h2)
    _dense(h2, d3, c3, False, out)


@kernel
def _sizes(x_shape, w1, S1, w2, S2):
    """Wide lengths and pooled sizes of the two convolution blocks: (m1, PH1·PW1, m2, PH2·PW2)."""
    H, W = x_shape[1], x_shape[2]
    K1, K2 = w1.shape[2], w2.shape[2]
    OH1, OW1 = H - K1 + 1, W - K1 + 1
    PH1, PW1 = OH1 // S1, OW1 // S1
    OH2, OW2 = PH1 - K2 + 1, PW1 - K2 + 1
    # Wide lengths rounded up to whole vectors of 16: no scalar tail loop. The spare outputs read
    # at most 15 cells past a plane, which is why every plane a convolution reads has SLACK zeros after it.
    m1 = ((OH1 - 1) * W + OW1 + 15) // 16 * 16
    m2 = ((OH2 - 1) * PW1 + OW2 + 15) // 16 * 16
    return m1, PH1 * PW1, m2, (OH2 // S2) * (OW2 // S2)


@kernel
def step(
    x,
    labels,
    w1,
    b1,
    S1,
    w2,
    b2,
    S2,
    d1,
    c1,
    d2,
    c2,
    d3,
    c3,
    scale,
    gw1,
    gb1,
    gw2,
    gb2,
    gd1,
    gc1,
    gd2,
    gc2,
    gd3,
    gc3,
    probs,
):
    """Softmax cross-entropy of the examples x (N, C, H, W), summed; fills the gradients (g…, in the
    parameters' order, overwritten) of the loss divided by ``scale`` (the whole batch's size, of which x
    may be a part) and probs (N, classes). Returns the summed loss."""
    gw1[:] = 0
    gb1[:] = 0
    gw2[:] = 0
    gb2[:] = 0
    gd1[:] = 0
    gc1[:] = 0
    gd2[:] = 0
    gc2[:] = 0
    gd3[:] = 0
    gc3[:] = 0
    N, C, H, W = x.shape
    F1, F2 = w1.shape[0], w2.shape[0]
    K1 = w1.shape[2]
    H1, H2, K = d1.shape[0], d2.shape[0], d3.shape[0]
    m1, n1, m2, n2 = _sizes(x.shape[1:], w1, S1, w2, S2)
    OW1 = W - K1 + 1
    PW1 = OW1 // S1
    xin = np.zeros((C, H * W + SLACK), np.float32)  # (C, H·W + SLACK) one example, zeros after it
    acc1 = np.empty((F1, m1), np.float32)  # (F1, m1) conv1 on the input's pitch
    p1 = np.zeros((F1, n1 + SLACK), np.float32)  # (F1, PH1·PW1 + SLACK)
    win1 = np.empty((F1, n1), np.int64)  # (F1, PH1·PW1)
    acc2 = np.empty((F2, m2), np.float32)  # (F2, m2) conv2 on pool1's pitch
    p2 = np.empty((F2, n2), np.float32)  # (F2, PH2·PW2): the flattened features
    win2 = np.empty((F2, n2), np.int64)  # (F2, PH2·PW2)
    h1 = np.empty(H1, np.float32)  # (H1,)
    h2 = np.empty(H2, np.float32)  # (H2,)
    logits = np.empty(K, np.float32)  # (K,)
    g3 = np.empty(K, np.float32)  # (K,)
    gh2 = np.empty(H2, np.float32)  # (H2,)
    gh1 = np.empty(H1, np.float32)  # (H1,)
    gp2 = np.empty((F2, n2), np.float32)  # (F2, n2)
    gp1 = np.empty((F1, n1 + SLACK), np.float32)  # (F1, n1 + SLACK)
    gacc2 = np.empty((F2, m2), np.float32)  # (F2, m2)
    gacc1 = np.empty((F1, m1), np.float32)  # (F1, m1)
    total = 0.0
    for n in range(N):
        xin[:, : H * W] = x[n].reshape(C, H * W)
        _forward_one(
            xin, H, W, w1, b1, S1, w2, b2, S2, d1, c1, d2, c2, d3, c3, acc1, p1, win1, acc2, p2, win2, h1, h2, logits
        )
        # Softmax cross-entropy as engine.dense._softmax_ce: the sum of exponentials in float64.
        top = logits[0]
        for k in range(1, K):
            top = max(top, logits[k])
        z = 0.0
        for k in range(K):
            z += np.exp(logits[k] - top)
        log_z = np.log(z)
        for k in range(K):
            p = np.exp(logits[k] - top - log_z)
            probs[n, k] = p
            g3[k] = p / scale
        total -= logits[labels[n]] - top - log_z
        g3[labels[n]] -= 1.0 / scale
        # Back through the dense layers (each ReLU masks the gradient of its output).
        _dense_grads(h2, d3, g3, gd3, gc3, gh2)
        _mask(gh2, h2)
        _dense_grads(h1, d2, gh2, gd2, gc2, gh1)
        _mask(gh1, h1)
        _dense_grads(p2.reshape(p2.size), d1, gh1, gd1, gc1, gp2.reshape(gp2.size))
        # Back through pool2 and conv2 (whose input gradient feeds pool1), then pool1 and conv1.
        gacc2[:] = 0
        _unpool(gp2, win2, gacc2)
        gp1[:] = 0
        _conv_wide_grads(p1, PW1, w2, gacc2, gw2, gb2, gp1, True)
        gacc1[:] = 0
        _unpool(gp1[:, :n1], win1, gacc1)
        _conv_wide_grads(xin, W, w1, gacc1, gw1, gb1, gp1, False)
    return total


@kernel
def forward(x, w1, b1, S1, w2, b2, S2, d1, c1, d2, c2, d3, c3, logits):
    """logits (N, classes) of the batch x (N, C, H, W), one example at a time."""
    N, C, H, W = x.shape
    F1, F2 = w1.shape[0], w2.shape[0]
    m1, n1, m2, n2 = _sizes(x.shape[1:], w1, S1, w2, S2)
    xin = np.zeros((C, H * W + SLACK), np.float32)  # (C, H·W + SLACK)
    acc1 = np.empty((F1, m1), np.float32)  # (F1, m1)
    p1 = np.zeros((F1, n1 + SLACK), np.float32)  # (F1, n1 + SLACK)
    win1 = np.empty((F1, n1), np.int64)  # (F1, n1)
    acc2 = np.empty((F2, m2), np.float32)  # (F2, m2)
    p2 = np.empty((F2, n2), np.float32)  # (F2, n2)
    win2 = np.empty((F2, n2), np.int64)  # (F2, n2)
    h1 = np.empty(d1.shape[0], np.float32)  # (H1,)
    h2 = np.empty(d2.shape[0], np.float32)  # (H2,)
    for n in range(N):
        xin[:, : H * W] = x[n].reshape(C, H * W)
        _forward_one(
            xin, H, W, w1, b1, S1, w2, b2, S2, d1, c1, d2, c2, d3, c3, acc1, p1, win1, acc2, p2, win2, h1, h2, logits[n]
        )
