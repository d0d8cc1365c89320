"""Naive NumPy float64 ``affine_grid`` / ``grid_sample`` (forward), one output
position at a time, written from ATen's ``GridSampler.h`` definitions."""

import itertools
import math

import numpy as np


def affine_grid(theta, size, align_corners):
    theta = np.asarray(theta, np.float64)
    spatial = size[2:]
    n = len(spatial)

    def lin(s):
        if s <= 1:
            return np.zeros(s)
        r = np.linspace(-1, 1, s)
        return r if align_corners else r * (s - 1) / s

    out = np.zeros((size[0],) + tuple(spatial) + (n,))
    for pos in itertools.product(*[range(s) for s in spatial]):
        # (x, y[, z], 1): x from the last spatial dim.
        base = [lin(spatial[n - 1 - k])[pos[n - 1 - k]] for k in range(n)] + [1.0]
        for b in range(size[0]):
            out[(b,) + pos] = theta[b] @ np.array(base)
    return out


def _unnorm(g, s, ac):
    return (g + 1) / 2 * (s - 1) if ac else ((g + 1) * s - 1) / 2


def _reflect(c, tlo, thi):
    if tlo == thi:
        return 0.0
    lo, span = tlo / 2, (thi - tlo) / 2
    c = abs(c - lo)
    extra, flips = math.fmod(c, span), math.floor(c / span)
    return extra + lo if flips % 2 == 0 else span - extra + lo


def _pad(c, s, padding, ac):
    if padding in ("border", "reflection"):
        if padding == "reflection":
            c = _reflect(c, 0, 2 * (s - 1)) if ac else _reflect(c, -1, 2 * s - 1)
        c = min(s - 1, max(c, 0))
    return c


def _read(x, b, ch, pos):
    if all(0 <= p < s for p, s in zip(pos, x.shape[2:], strict=True)):
        return x[(b, ch) + tuple(pos)]
    return 0.0


def _cubic(t):
    a = -0.75

    def c1(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def c2(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]


def grid_sample(x, grid, mode, padding_mode, align_corners):
    x = np.asarray(x, np.float64)
    grid = np.asarray(grid, np.float64)
    n = x.ndim - 2
    sizes = x.shape[2:]
    nb, ch = x.shape[:2]
    out = np.zeros((nb, ch) + grid.shape[1:-1])
    for b in range(nb):
        for o in itertools.product(*[range(s) for s in grid.shape[1:-1]]):
            g = grid[(b,) + o]
            # coordinate per spatial dim in input order (D, H, W).
            raw = [_unnorm(g[n - 1 - d], sizes[d], align_corners) for d in range(n)]
            for c in range(ch):
                if mode == "bicubic":
                    base = [math.floor(r) for r in raw]
                    cy, cx = _cubic(raw[0] - base[0]), _cubic(raw[1] - base[1])
                    v = 0.0
                    for i, j in itertools.product(range(4), range(4)):
                        py = _pad(
                            base[0] - 1 + i, sizes[0], padding_mode, align_corners
                        )
                        px = _pad(
                            base[1] - 1 + j, sizes[1], padding_mode, align_corners
                        )
                        v += cy[i] * cx[j] * _read(x, b, c, [int(py), int(px)])
                    out[(b, c) + o] = v
                    continue
                cs = [
                    _pad(r, sizes[d], padding_mode, align_corners)
                    for d, r in enumerate(raw)
                ]
                if mode == "nearest":
                    out[(b, c) + o] = _read(x, b, c, [int(np.rint(v)) for v in cs])
                    continue
                v = 0.0
                for corner in itertools.product((0, 1), repeat=n):
                    w, pos = 1.0, []
                    for d, k in enumerate(corner):
                        f = math.floor(cs[d])
                        w *= (cs[d] - f) if k else (f + 1 - cs[d])
                        pos.append(f + k)
                    v += w * _read(x, b, c, pos)
                out[(b, c) + o] = v
    return out
