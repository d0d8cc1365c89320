"""Naive NumPy max pooling with PyTorch's indices, and max unpooling.

Each window is scanned in row-major order with PyTorch's CPU rule: keep a tap when
``val > best or isnan(val)``, starting from ``best = -inf`` and the first in-range
position. Layout: batched, channels first ``(N, C, *S)``.
"""

import itertools

import numpy as np

from tests.references.pooling import _tuple, output_size


def _scan(x, windows, out_shape):
    """``windows``: for each output multi-index, per-dim lists of positions."""
    sizes = x.shape[2:]
    n = len(sizes)
    v = np.empty(x.shape[:2] + out_shape, x.dtype)
    idx = np.empty(x.shape[:2] + out_shape, np.int64)
    for b, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for o, win in windows:
            best, where = -np.inf, None
            for pos in itertools.product(*win):
                if not all(0 <= pos[a] < sizes[a] for a in range(n)):
                    continue
                flat = int(np.ravel_multi_index(pos, sizes))
                val = x[(b, c) + pos]
                if where is None:
                    where = flat
                if val > best or np.isnan(val):
                    best, where = val, flat
            v[(b, c) + o], idx[(b, c) + o] = best, where
    return v, idx


def max_pool_with_indices(
    x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    k = _tuple(kernel_size, n)
    s = k if stride is None else _tuple(stride, n)
    p, d = _tuple(padding, n), _tuple(dilation, n)
    sizes = x.shape[2:]
    outs = tuple(
        output_size(sizes[a], k[a], s[a], p[a], d[a], ceil_mode) for a in range(n)
    )
    windows = [
        (o, [[o[a] * s[a] - p[a] + j * d[a] for j in range(k[a])] for a in range(n)])
        for o in itertools.product(*[range(v) for v in outs])
    ]
    return _scan(x, windows, outs)


def adaptive_max_with_indices(x, out):
    x = np.asarray(x, np.float64)
    n = x.ndim - 2
    outs = _tuple(out, n)
    sizes = x.shape[2:]

    def window(a, i):
        start = (i * sizes[a]) // outs[a]
        end = -((-(i + 1) * sizes[a]) // outs[a])
        return list(range(start, end))

    windows = [
        (o, [window(a, o[a]) for a in range(n)])
        for o in itertools.product(*[range(v) for v in outs])
    ]
    return _scan(x, windows, outs)


def max_unpool(v, idx, out_sizes):
    """Sequential scatter: later entries win, as PyTorch's CPU loop."""
    nb, c = v.shape[:2]
    y = np.zeros((nb, c, int(np.prod(out_sizes))), v.dtype)
    vf, jf = v.reshape(nb, c, -1), idx.reshape(nb, c, -1)
    for b, ch in itertools.product(range(nb), range(c)):
        for t in range(vf.shape[2]):
            y[b, ch, jf[b, ch, t]] = vf[b, ch, t]
    return y.reshape((nb, c) + tuple(out_sizes))
