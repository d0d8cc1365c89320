"""Naive NumPy float64 resampling written from PyTorch's definitions.

Each mode is a per-dim ``(O, I)`` weight matrix built by a loop over output
positions from PyTorch's source-index formula (indices computed in float32, as
PyTorch's kernels do for float32 inputs); the matrices are then applied one
spatial dim at a time. ``pixel_shuffle`` loops over every output element.
"""

import math

import numpy as np

f32 = np.float32


def _scale(i_size, o_size, align_corners, factor):
    if align_corners:
        return f32(i_size - 1) / f32(o_size - 1) if o_size > 1 else f32(0)
    if factor is not None:
        return f32(1.0 / factor)
    return f32(i_size) / f32(o_size)


def _clamp(i, size):
    return min(max(i, 0), size - 1)


def nearest_matrix(i_size, o_size, factor=None, exact=False):
    s = _scale(i_size, o_size, False, factor)
    m = np.zeros((o_size, i_size))
    for o in range(o_size):
        if exact:  # round((o + 0.5) * s - 0.5), i.e. floor((o + 0.5) * s)
            src = math.floor(
                f32(float(max(s * (f32(o) + f32(0.5)) - f32(0.5), 0)) + 0.5)
            )
        else:
            src = math.floor(s * f32(o))
        m[o, min(src, i_size - 1)] = 1.0
    return m


def linear_matrix(i_size, o_size, factor=None, align_corners=False):
    m = np.zeros((o_size, i_size))
    if i_size == o_size:
        return np.eye(i_size)
    s = _scale(i_size, o_size, align_corners, factor)
    for o in range(o_size):
        if align_corners:
            real = s * f32(o)
        else:
            real = max(s * (f32(o) + f32(0.5)) - f32(0.5), f32(0))
        i0 = min(math.floor(real), i_size - 1)
        i1 = i0 + 1 if i0 < i_size - 1 else i0
        lam = min(max(float(real) - i0, 0.0), 1.0)
        m[o, i0] += 1 - lam
        m[o, i1] += lam
    return m


def keys_cubic(x, a):
    """Keys' cubic convolution kernel."""
    x = abs(x)
    if x <= 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return 0.0


def cubic_matrix(i_size, o_size, factor=None, align_corners=False):
    s = _scale(i_size, o_size, align_corners, factor)
    m = np.zeros((o_size, i_size))
    for o in range(o_size):
        real = s * f32(o) if align_corners else s * (f32(o) + f32(0.5)) - f32(0.5)
        i0 = math.floor(real)
        t = float(real) - i0
        for j in range(-1, 3):
            m[o, _clamp(i0 + j, i_size)] += keys_cubic(j - t, -0.75)
    return m


def antialias_matrix(i_size, o_size, factor=None, align_corners=False, cubic=False):
    """Pillow's resampling filter: triangle (bilinear) or Keys A=-0.5 (bicubic),
    stretched by the scale when downsampling, normalised inside the image."""
    if i_size == o_size:
        return np.eye(i_size)
    s = float(_scale(i_size, o_size, align_corners, factor))
    width = 2.0 if cubic else 1.0
    support = width * max(s, 1.0)
    m = np.zeros((o_size, i_size))
    for o in range(o_size):
        center = s * (o + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), i_size)
        for j in range(lo, hi):
            u = (j - center + 0.5) / max(s, 1.0)
            m[o, j] = keys_cubic(u, -0.5) if cubic else max(1 - abs(u), 0.0)
        m[o] /= m[o].sum()
    return m


def area_matrix(i_size, o_size):
    m = np.zeros((o_size, i_size))
    for o in range(o_size):
        lo, hi = math.floor(o * i_size / o_size), math.ceil((o + 1) * i_size / o_size)
        m[o, lo:hi] = 1.0 / (hi - lo)
    return m


def apply_separable(x, matrices):
    """Applies ``matrices[d]`` (``(O_d, I_d)``) along spatial dim ``d`` of ``(N, C, *S)``."""
    y = np.asarray(x, np.float64)
    for d, m in enumerate(matrices):
        y = np.moveaxis(np.tensordot(m, np.moveaxis(y, 2 + d, 0), axes=1), 0, 2 + d)
    return y


def interpolate(x, out_sizes, mode, factors=None, align_corners=False, antialias=False):
    """Reference resize of ``(N, C, *S)`` to ``out_sizes``; ``factors`` are the scale
    factors PyTorch's kernels receive (``None``: the scale comes from the sizes)."""
    n = x.ndim - 2
    factors = factors or (None,) * n
    mats = []
    for d in range(n):
        i_size, o_size, f = x.shape[2 + d], out_sizes[d], factors[d]
        if mode in ("nearest", "nearest-exact"):
            mats.append(nearest_matrix(i_size, o_size, f, mode == "nearest-exact"))
        elif mode == "area":
            mats.append(area_matrix(i_size, o_size))
        elif antialias:
            mats.append(
                antialias_matrix(i_size, o_size, f, align_corners, mode == "bicubic")
            )
        elif mode == "bicubic":
            mats.append(cubic_matrix(i_size, o_size, f, align_corners))
        else:
            mats.append(linear_matrix(i_size, o_size, f, align_corners))
    return apply_separable(x, mats)


def pixel_shuffle(x, r):
    x = np.asarray(x, np.float64)
    *lead, c, h, w = x.shape
    y = np.empty((*lead, c // (r * r), h * r, w * r))
    for cc in range(c // (r * r)):
        for hh in range(h * r):
            for ww in range(w * r):
                y[..., cc, hh, ww] = x[
                    ..., cc * r * r + (hh % r) * r + ww % r, hh // r, ww // r
                ]
    return y
