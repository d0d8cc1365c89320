"""Naive NumPy float64 convolutions written from PyTorch's definitions.

``conv`` and ``conv_transpose`` loop over kernel offsets and groups and add
strided slices; their ``*_vjp`` twins apply the same loops backwards, so gradients
are checked without autodiff. Padding modes use explicit index maps.
Layout: channels first, batched ``(N, C, *S)``; weights in PyTorch's layout.
"""

import itertools

import numpy as np


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


def source_index(i, size, mode):
    """Index of the input read at (possibly out-of-range) position ``i``, or -1."""
    if 0 <= i < size:
        return i
    if mode == "zeros" or mode == "constant":
        return -1
    if mode == "reflect":
        return -i if i < 0 else 2 * (size - 1) - i
    if mode == "replicate":
        return min(max(i, 0), size - 1)
    if mode == "circular":
        return i % size
    raise ValueError(mode)


def pad_index_maps(shape, pads, mode):
    """Per spatial dim, the source index of every padded position (-1 for zeros)."""
    return [
        np.array([source_index(j - lo, size, mode) for j in range(size + lo + hi)])
        for size, (lo, hi) in zip(shape, pads, strict=True)
    ]


def pad(x, pads, mode="zeros"):
    """Pads the trailing ``len(pads)`` dims of ``x`` by ``(lo, hi)`` pairs."""
    x = np.asarray(x, np.float64)
    n = len(pads)
    maps = pad_index_maps(x.shape[-n:], pads, mode)
    out = np.zeros(x.shape[:-n] + tuple(len(m) for m in maps))
    for pos in itertools.product(*(range(len(m)) for m in maps)):
        src = tuple(m[p] for m, p in zip(maps, pos, strict=True))
        if min(src) >= 0:
            out[(..., *pos)] = x[(..., *src)]
    return out


def unpad_vjp(g, shape, pads, mode):
    """Adjoint of :func:`pad`: adds each padded position's gradient to its source."""
    n = len(pads)
    maps = pad_index_maps(shape[-n:], pads, mode)
    out = np.zeros(g.shape[:-n] + tuple(shape[-n:]))
    for pos in itertools.product(*(range(len(m)) for m in maps)):
        src = tuple(m[p] for m, p in zip(maps, pos, strict=True))
        if min(src) >= 0:
            out[(..., *src)] += g[(..., *pos)]
    return out


def same_pads(kernel, dilation, stride, size):
    pads = []
    for k, d, s, i in zip(kernel, dilation, stride, size, strict=True):
        if s == 1:
            total = d * (k - 1)
        else:
            out = -(-i // s)
            total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def resolve_pads(padding, kernel, dilation, stride, size):
    n = len(kernel)
    if padding == "valid":
        return [(0, 0)] * n
    if padding == "same":
        return same_pads(kernel, dilation, stride, size)
    return [(p, p) for p in _tuple(padding, n)]


def _windows(out_size, kernel, stride, dilation):
    """For each kernel offset: the strided slice of the padded input it reads."""
    for kappa in itertools.product(*(range(k) for k in kernel)):
        yield (
            kappa,
            tuple(
                slice(kk * d, kk * d + (o - 1) * s + 1, s)
                for kk, d, o, s in zip(kappa, dilation, out_size, stride, strict=True)
            ),
        )


def _contract(a, b):
    """``sum_{n, *S} a[n, i, *S] * b[n, j, *S]`` -> ``(i, j)``."""
    axes = [0, *range(2, a.ndim)]
    return np.tensordot(a, b, axes=(axes, axes))


def _out_size(padded, kernel, stride, dilation):
    return tuple(
        (p - d * (k - 1) - 1) // s + 1
        for p, k, s, d in zip(padded, kernel, stride, dilation, strict=True)
    )


def conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """PyTorch ``conv{n}d`` (cross-correlation) on a batched channels-first input."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n = x.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    pads = resolve_pads(padding, kernel, dilation, stride, x.shape[2:])
    xp = pad(x, pads, padding_mode)
    out_size = _out_size(xp.shape[2:], kernel, stride, dilation)
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    y = np.zeros((x.shape[0], w.shape[0], *out_size))
    for g in range(groups):
        xs = xp[:, g * cg : (g + 1) * cg]
        for kappa, window in _windows(out_size, kernel, stride, dilation):
            wk = w[(slice(g * og, (g + 1) * og), slice(None), *kappa)]  # (og, cg)
            y[:, g * og : (g + 1) * og] += np.einsum(
                "oc,nc...->no...", wk, xs[(..., *window)]
            )
    if b is not None:
        y += np.asarray(b, np.float64).reshape((-1,) + (1,) * n)
    return y


def conv_vjp(x, w, r, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """Gradients ``(dx, dw, db)`` of ``sum(conv(x, w, b) * r)``."""
    x, w, r = (np.asarray(a, np.float64) for a in (x, w, r))
    n = x.ndim - 2
    kernel = w.shape[2:]
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    pads = resolve_pads(padding, kernel, dilation, stride, x.shape[2:])
    xp = pad(x, pads, padding_mode)
    out_size = r.shape[2:]
    cg, og = x.shape[1] // groups, w.shape[0] // groups
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for g in range(groups):
        cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for kappa, window in _windows(out_size, kernel, stride, dilation):
            wk = w[(os_, slice(None), *kappa)]
            dxp[(slice(None), cs, *window)] += np.einsum(
                "oc,no...->nc...", wk, r[:, os_]
            )
            dw[(os_, slice(None), *kappa)] += _contract(
                r[:, os_], xp[(slice(None), cs, *window)]
            )
    dx = unpad_vjp(dxp, x.shape, pads, padding_mode)
    return dx, dw, r.sum(axis=(0, *range(2, r.ndim)))


def _convt_buffer(x, w, stride, padding, output_padding, dilation):
    n = x.ndim - 2
    kernel = w.shape[2:]
    full = tuple(
        (i - 1) * s + d * (k - 1) + 1 + op
        for i, s, d, k, op in zip(
            x.shape[2:], stride, dilation, kernel, output_padding, strict=True
        )
    )
    out = tuple(f - 2 * p for f, p in zip(full, _tuple(padding, n), strict=True))
    crop = tuple(slice(p, p + o) for p, o in zip(_tuple(padding, n), out, strict=True))
    return full, crop


def conv_transpose(
    x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """PyTorch ``conv_transpose{n}d``: each input pixel scatters ``x * w`` into the output.

    ``y[n, g*O/G + o, i*s - p + k*d] += x[n, g*C/G + c, i] * w[g*C/G + c, o, k]``.
    """
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n = x.ndim - 2
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    output_padding = _tuple(output_padding, n)
    full, crop = _convt_buffer(x, w, stride, padding, output_padding, dilation)
    cg, og = x.shape[1] // groups, w.shape[1]
    buf = np.zeros((x.shape[0], og * groups, *full))
    for g in range(groups):
        cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for kappa, window in _windows(x.shape[2:], w.shape[2:], stride, dilation):
            wk = w[(cs, slice(None), *kappa)]  # (cg, og)
            buf[(slice(None), os_, *window)] += np.einsum(
                "co,nc...->no...", wk, x[:, cs]
            )
    y = buf[(slice(None), slice(None), *crop)]
    if b is not None:
        y = y + np.asarray(b, np.float64).reshape((-1,) + (1,) * n)
    return y


def conv_transpose_vjp(
    x, w, r, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """Gradients ``(dx, dw, db)`` of ``sum(conv_transpose(x, w, b) * r)``."""
    x, w, r = (np.asarray(a, np.float64) for a in (x, w, r))
    n = x.ndim - 2
    stride, dilation = _tuple(stride, n), _tuple(dilation, n)
    output_padding = _tuple(output_padding, n)
    full, crop = _convt_buffer(x, w, stride, padding, output_padding, dilation)
    rbuf = np.zeros((r.shape[0], r.shape[1], *full))
    rbuf[(slice(None), slice(None), *crop)] = r
    cg, og = x.shape[1] // groups, w.shape[1]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for g in range(groups):
        cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
        for kappa, window in _windows(x.shape[2:], w.shape[2:], stride, dilation):
            rs = rbuf[(slice(None), os_, *window)]
            dx[:, cs] += np.einsum("co,no...->nc...", w[(cs, slice(None), *kappa)], rs)
            dw[(cs, slice(None), *kappa)] += _contract(x[:, cs], rs)
    return dx, dw, r.sum(axis=(0, *range(2, r.ndim)))


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """``(N, C, H, W) -> (N, C*kH*kW, L)``, written as explicit loops."""
    x = np.asarray(x, np.float64)
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    xp = pad(x, [(p[0], p[0]), (p[1], p[1])])
    oh, ow = _out_size(xp.shape[2:], k, s, d)
    n, c = x.shape[:2]
    out = np.zeros((n, c * k[0] * k[1], oh * ow))
    for ci, i, j, a, bb in itertools.product(
        range(c), range(k[0]), range(k[1]), range(oh), range(ow)
    ):
        out[:, ci * k[0] * k[1] + i * k[1] + j, a * ow + bb] = xp[
            :, ci, a * s[0] + i * d[0], bb * s[1] + j * d[1]
        ]
    return out


def fold(cols, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``(N, C*kH*kW, L) -> (N, C, H, W)``, summing overlaps; explicit loops."""
    cols = np.asarray(cols, np.float64)
    k, d, p, s = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    h, w = _tuple(output_size, 2)
    oh, ow = _out_size((h + 2 * p[0], w + 2 * p[1]), k, s, d)
    n, b, _ = cols.shape
    c = b // (k[0] * k[1])
    out = np.zeros((n, c, h + 2 * p[0], w + 2 * p[1]))
    for ci, i, j, a, bb in itertools.product(
        range(c), range(k[0]), range(k[1]), range(oh), range(ow)
    ):
        out[:, ci, a * s[0] + i * d[0], bb * s[1] + j * d[1]] += cols[
            :, ci * k[0] * k[1] + i * k[1] + j, a * ow + bb
        ]
    return out[:, :, p[0] : p[0] + h, p[1] : p[1] + w]
