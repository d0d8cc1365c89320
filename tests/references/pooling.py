"""Naive NumPy float64 pooling and ``linear`` written from PyTorch's definitions.

Every output position is computed by a Python loop over its window: the window is
listed explicitly, padded positions are skipped (max) or counted per PyTorch's
divisor rule (average). Layout: batched, channels first ``(N, C, *S)``.
"""

import itertools
import math

import numpy as np


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def output_size(size, k, s, p, d, ceil_mode):
    """``(S + 2p - d(K-1) - 1) / s + 1`` rounded down (up with ``ceil_mode``); in
    ceil mode a window starting at or beyond ``S + p`` is dropped."""
    span = d * (k - 1) + 1
    frac = (size + 2 * p - span) / s
    out = (math.ceil(frac) if ceil_mode else math.floor(frac)) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _windows(sizes, k, s, p, d, ceil_mode):
    """For each output multi-index, the per-dim lists of window positions (may be
    outside ``[0, S)``)."""
    n = len(sizes)
    outs = [output_size(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    for o in itertools.product(*[range(v) for v in outs]):
        yield (
            o,
            [[o[i] * s[i] - p[i] + j * d[i] for j in range(k[i])] for i in range(n)],
        )


def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    k = _tuple(kernel_size, n)
    s = k if stride is None else _tuple(stride, n)
    p, d = _tuple(padding, n), _tuple(dilation, n)
    sizes = x.shape[2:]
    outs = [output_size(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(n)]
    y = np.empty(x.shape[:2] + tuple(outs))
    for o, win in _windows(sizes, k, s, p, d, ceil_mode):
        best = np.full(x.shape[:2], -np.inf)
        for pos in itertools.product(*win):
            if all(0 <= pos[i] < sizes[i] for i in range(n)):
                best = np.maximum(best, x[(slice(None), slice(None)) + pos])
        y[(slice(None), slice(None)) + o] = best
    return y


def avg_pool(
    x,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    k = _tuple(kernel_size, n)
    s = k if stride is None else _tuple(stride, n)
    p, d = _tuple(padding, n), (1,) * n
    sizes = x.shape[2:]
    outs = [output_size(sizes[i], k[i], s[i], p[i], 1, ceil_mode) for i in range(n)]
    y = np.empty(x.shape[:2] + tuple(outs))
    for o, win in _windows(sizes, k, s, p, d, ceil_mode):
        total = np.zeros(x.shape[:2])
        inside = 0  # window positions inside the input
        padded = 0  # window positions inside input + padding
        for pos in itertools.product(*win):
            if all(-p[i] <= pos[i] < sizes[i] + p[i] for i in range(n)):
                padded += 1
            if all(0 <= pos[i] < sizes[i] for i in range(n)):
                inside += 1
                total += x[(slice(None), slice(None)) + pos]
        if divisor_override is not None:
            div = divisor_override
        else:
            div = padded if count_include_pad else inside
        y[(slice(None), slice(None)) + o] = total / div
    return y


def _adaptive_window(i, size, out):
    return math.floor(i * size / out), math.ceil((i + 1) * size / out)


def adaptive_pool(x, output_size, reduce):
    """``reduce`` is ``np.mean`` or ``np.max`` over each window."""
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    sizes = x.shape[2:]
    outs = _tuple(output_size, n)
    outs = tuple(sizes[i] if outs[i] is None else outs[i] for i in range(n))
    y = np.empty(x.shape[:2] + outs)
    for o in itertools.product(*[range(v) for v in outs]):
        sl = tuple(slice(*_adaptive_window(o[i], sizes[i], outs[i])) for i in range(n))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[:2] + (-1,))
        y[(slice(None), slice(None)) + o] = reduce(win, axis=-1)
    return y


def linear(x, w, b=None):
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    w2 = w if w.ndim == 2 else w[None]
    y = np.zeros(x.shape[:-1] + (w2.shape[0],))
    for o in range(w2.shape[0]):
        for i in range(w2.shape[1]):
            y[..., o] += x[..., i] * w2[o, i]
    if b is not None:
        y = y + np.asarray(b, np.float64)
    return y if w.ndim == 2 else y[..., 0]
