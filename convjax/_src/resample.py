"""``interpolate`` (every PyTorch mode) and ``pixel_shuffle``/``pixel_unshuffle``.

Shape legend: N batch, C channels, I input size and O output size of one spatial
dim, T taps per output (1 nearest, 2 linear, 4 cubic), p/q the period of a
rational resize (``p`` outputs advance ``q`` inputs).

Every mode is separable: each spatial axis is resampled on its own by a static
``(O, I)`` rule computed with NumPy at trace time, exactly as PyTorch computes its
indices and weights (in float32 for float32/half inputs, float64 for float64).
The rule is applied in one of three ways, whichever fits:

* *polyphase* (the fast path): when the taps repeat with a short period
  (``idx[o + p] = idx[o] + q``, same weights) the axis becomes ``p`` weighted
  sums of ``T`` strided slices of the input, interleaved; the few outputs near the
  edges, whose taps PyTorch clamps, are computed one by one. Integer and simple
  rational factors (x2, x0.5, x1.5, ...) all take this path; it is pure slicing
  and elementwise work that XLA fuses into one pass.
* *dense*: any other ratio and antialiasing on inputs up to 1024: the ``(O, I)``
  matrix in one matrix product;
* *gather-and-blend*: the same on larger inputs: the ``T`` taps of every output
  (a window for antialias) are gathered with static indices and summed with
  their weights, ``O(T)`` work per output where the matrix costs ``O(I)``;
  nearest modes with irregular sizes are a single ``take``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
from jax import lax

from convjax._src.checks import check_choice, check_count, is_channels_last
from convjax._src.pooling import adaptive_avg, spatial_axes
from convjax._src.taps import gather_blend, window_taps
from convjax._src.typing import Array, ArrayLike

_MODES = (
    "nearest",
    "nearest-exact",
    "linear",
    "bilinear",
    "bicubic",
    "trilinear",
    "area",
)
_MODE_RANK = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_MAX_PERIOD = 16  # longest polyphase period; longer ones use the dense matrix
_MAX_GEMM_SIZE = 1024  # dense (O, I) matrix up to this input size, then gathered taps
_HIGHEST = lax.Precision.HIGHEST

# --------------------------------------------------------------------------------------
# Output sizes and scales (torch/nn/functional.py::interpolate).


def _is_number(v):
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool
    )


def resolve_sizes(in_sizes, size, scale_factor, mode, recompute_scale_factor):
    """Returns ``(out_sizes, scales)``; ``scales[i]`` is the user scale factor that
    PyTorch's kernels turn into ``1/scale`` (``None`` means ``I/O``)."""
    n = len(in_sizes)
    fn = "interpolate"
    if size is not None and scale_factor is not None:
        raise ValueError(
            f"`{fn}`: only one of `size` or `scale_factor` should be defined, got "
            f"size={size!r} and scale_factor={scale_factor!r}."
        )
    if size is not None:
        if recompute_scale_factor:
            raise ValueError(
                f"`{fn}`: `recompute_scale_factor` is not meaningful with an explicit "
                f"`size`, got recompute_scale_factor={recompute_scale_factor!r}."
            )
        if isinstance(size, Sequence) and not isinstance(size, str):
            sizes = tuple(size)
            if len(sizes) != n:
                raise ValueError(
                    f"`{fn}`: `size` must have one entry per spatial dimension: input "
                    f"has spatial size {tuple(in_sizes)}, got size={size!r}."
                )
        else:
            sizes = (size,) * n
        if not all(
            isinstance(s, int | np.integer) and not isinstance(s, bool) for s in sizes
        ):
            raise TypeError(
                f"`{fn}`: `size` must be an int or a sequence of ints, got {size!r}."
            )
        sizes = tuple(int(s) for s in sizes)
        scales = (None,) * n
    elif scale_factor is not None:
        if isinstance(scale_factor, Sequence) and not isinstance(scale_factor, str):
            factors = tuple(scale_factor)
            if len(factors) != n:
                raise ValueError(
                    f"`{fn}`: `scale_factor` must have one entry per spatial dimension: "
                    f"input has spatial size {tuple(in_sizes)}, got "
                    f"scale_factor={scale_factor!r}."
                )
        else:
            factors = (scale_factor,) * n
        if not all(_is_number(f) for f in factors):
            raise TypeError(
                f"`{fn}`: `scale_factor` must be a number or a sequence of numbers, got "
                f"{scale_factor!r}."
            )
        factors = tuple(float(f) for f in factors)
        if not all(math.isfinite(f) for f in factors):
            raise ValueError(
                f"`{fn}`: `scale_factor` must be finite, got {scale_factor!r}."
            )
        sizes = tuple(math.floor(i * f) for i, f in zip(in_sizes, factors, strict=True))
        # 'area' always recomputes the scale from the sizes, as PyTorch does.
        recompute = recompute_scale_factor or mode == "area"
        scales = (None,) * n if recompute else factors
    else:
        raise ValueError(f"`{fn}`: either `size` or `scale_factor` should be defined.")
    if any(i <= 0 for i in in_sizes) or any(o <= 0 for o in sizes):
        raise ValueError(
            f"`{fn}`: input and output sizes should be greater than 0, got input size "
            f"{tuple(in_sizes)} and output size {sizes}."
        )
    return sizes, scales


def _opmath(dtype):
    """NumPy dtype PyTorch computes indices and weights in (its ``opmath_t``)."""
    return np.float64 if dtype == jnp.float64 else np.float32


def _scale(in_size, out_size, align_corners, factor, ft):
    """PyTorch's ``area_pixel_compute_scale`` in the float type ``ft``."""
    if align_corners:
        return ft(in_size - 1) / ft(out_size - 1) if out_size > 1 else ft(0)
    if factor is not None and factor > 0:
        return ft(1.0 / factor)
    return ft(in_size) / ft(out_size)


def _floorf(v):
    """``floorf``: PyTorch floors source indices through a float32 cast."""
    return np.floor(np.asarray(v, np.float64).astype(np.float32)).astype(np.int64)


# --------------------------------------------------------------------------------------
# Per-axis rules: taps (O, T) with weights, or a dense (O, I) matrix.


def nearest_indices(in_size, out_size, factor, exact, ft):
    """Source index of every output position (``nearest``/``nearest-exact``)."""
    scale = _scale(in_size, out_size, False, factor, ft)
    i = np.arange(out_size).astype(ft)
    if exact:  # floor(max((i + 0.5) * scale - 0.5, 0) + 0.5), the sum in double
        real = np.maximum(scale * (i + ft(0.5)) - ft(0.5), ft(0))
        real = real.astype(np.float64) + 0.5
    else:
        real = scale * i
    return np.minimum(_floorf(real), in_size - 1)


def linear_taps(in_size, out_size, factor, align_corners, ft):
    """Unclamped 2-tap rule ``(idx (O, 2), w (O, 2))`` of linear interpolation.

    PyTorch clamps the source coordinate at 0 and the indices at ``I - 1``; reading
    an edge-padded input at the unclamped indices gives the same values.
    """
    scale = _scale(in_size, out_size, align_corners, factor, ft)
    i = np.arange(out_size).astype(ft)
    if out_size == in_size:  # PyTorch copies
        idx = np.arange(out_size)[:, None] + np.array([[0, 1]])
        return idx, np.tile(np.array([[1.0, 0.0]]), (out_size, 1))
    real = scale * i if align_corners else scale * (i + ft(0.5)) - ft(0.5)
    i0 = _floorf(real)
    lam = (real - i0.astype(ft)).astype(np.float64)
    idx = i0[:, None] + np.array([[0, 1]])
    return idx, np.stack([1.0 - lam, lam], axis=1)


def _cubic1(x, a):
    return ((a + 2) * x - (a + 3)) * x * x + 1


def _cubic2(x, a):
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a


def cubic_taps(in_size, out_size, factor, align_corners, ft):
    """Unclamped 4-tap rule of PyTorch's bicubic (Keys ``A = -0.75``)."""
    a = ft(-0.75)
    scale = _scale(in_size, out_size, align_corners, factor, ft)
    i = np.arange(out_size).astype(ft)
    real = scale * i if align_corners else scale * (i + ft(0.5)) - ft(0.5)
    i0 = _floorf(real)
    t = np.clip(real - i0.astype(ft), ft(0), ft(1)).astype(ft)
    one = ft(1)
    w = np.stack(
        [
            _cubic2(t + one, a),
            _cubic1(t, a),
            _cubic1(one - t, a),
            _cubic2(2 * one - t, a),
        ],
        axis=1,
    ).astype(np.float64)
    idx = i0[:, None] + np.arange(-1, 3)[None, :]
    return idx, w


def antialias_taps(in_size, out_size, factor, align_corners, cubic, ft=np.float64):
    """Pillow-style antialiasing filter (PyTorch's ``_compute_weights_aa``) as
    windowed taps ``(idx (O, T), w (O, T))``.

    Triangle filter for bilinear, Keys cubic with ``A = -0.5`` for bicubic, widened
    by the scale when downsampling and renormalised to sum 1 inside the image.
    Computed as PyTorch's CPU kernel does for ``scalar_t = ft``, promotion by
    promotion: at large positions float32 rounding moves the weights by ~1e-4.
    """
    f64 = np.float64
    scale = ft(_scale(in_size, out_size, align_corners, factor, ft))
    interp = 4 if cubic else 2
    support = ft((interp * 0.5) * f64(scale)) if scale >= 1.0 else ft(interp * 0.5)
    invscale = ft(1.0 / f64(scale)) if scale >= 1.0 else ft(1.0)
    max_taps = int(math.ceil(support)) * 2 + 1
    center = (f64(scale) * (np.arange(out_size, dtype=f64) + 0.5)).astype(ft)
    start = np.maximum(((center - support).astype(f64) + 0.5).astype(np.int64), 0)
    end = np.minimum(((center + support).astype(f64) + 0.5).astype(np.int64), in_size)
    end = start + np.clip(end - start, 0, max_taps)

    def weights(i):
        d = np.arange(start[i], end[i]).astype(ft) - center[i]
        ax = np.abs(((d.astype(f64) + 0.5) * f64(invscale)).astype(ft))
        one, two = ft(1), ft(2)
        if cubic:
            a = ft(-0.5)
            w = np.where(
                ax < one,
                _cubic1(ax, a),
                np.where(ax < two, _cubic2(ax, a), ft(0)),
            ).astype(ft)
        else:
            w = np.where(ax < one, one - ax, ft(0)).astype(ft)
        total = ft(0)
        for v in w:  # sequential float sum, as the kernel's loop
            total = ft(total + v)
        return (w / total).astype(ft) if total != 0 else w

    return window_taps(start, end, weights)


def antialias_matrix(in_size, out_size, factor, align_corners, cubic):
    """Dense ``(O, I)`` matrix of :func:`antialias_taps`."""
    idx, w = antialias_taps(in_size, out_size, factor, align_corners, cubic)
    return taps_to_matrix(idx, w, in_size)


def taps_to_matrix(idx, w, in_size):
    """Dense ``(O, I)`` matrix of a tap rule (indices clamped into the input)."""
    m = np.zeros((idx.shape[0], in_size))
    rows = np.repeat(np.arange(idx.shape[0]), idx.shape[1])
    np.add.at(m, (rows, np.clip(idx, 0, in_size - 1).reshape(-1)), w.reshape(-1))
    return m


def find_period(idx, w, max_period=_MAX_PERIOD):
    """Smallest ``(p, q)`` with ``idx[o+p] == idx[o] + q`` and equal weights, or None."""
    out = idx.shape[0]
    for p in range(1, min(out, max_period) + 1):
        if out % p:
            continue
        if p == out:
            return p, 1
        q = int(idx[p, 0] - idx[0, 0])
        if q < 1 or np.any(idx[p:] - idx[:-p] != q):
            continue
        if w is not None and not np.allclose(w[p:], w[:-p], rtol=0, atol=1e-6):
            continue
        return p, q
    return None


# --------------------------------------------------------------------------------------
# Applying a rule along one axis.


def _edge_pad(x, axis, lo, hi):
    """Replicates the edge of ``axis`` ``lo`` times before and ``hi`` times after."""
    widths = [(0, 0)] * x.ndim
    widths[axis] = (lo, hi)
    return jnp.pad(x, widths, mode="edge")


def _phases(x, axis, base, w, q, m0, count):
    """Interleaves the ``p`` phases ``sum_t w[j, t] x[base[j, t] + (m0 + m) q]``,
    ``0 <= m < count``, along ``axis`` (``base``/``w``: ``(p, T)``)."""
    p = base.shape[0]
    phases = []
    for j in range(p):
        acc = None
        for t in range(base.shape[1]):
            wt = None if w is None else float(w[j, t])
            if wt == 0.0:
                continue
            start = int(base[j, t]) + m0 * q
            tap = lax.slice_in_dim(x, start, start + (count - 1) * q + 1, q, axis=axis)
            term = tap if wt is None or wt == 1.0 else tap * jnp.asarray(wt, x.dtype)
            acc = term if acc is None else acc + term
        if acc is None:  # every weight is zero (cannot happen for a normalised rule)
            acc = jnp.zeros_like(lax.slice_in_dim(x, 0, count, axis=axis))
        phases.append(acc)
    if p == 1:
        return phases[0]
    y = jnp.stack(phases, axis=axis + 1)  # [..., count, p, ...]
    shape = list(phases[0].shape)
    shape[axis] = count * p
    return y.reshape(shape)


def _single_output(x, axis, idx, w):
    """One output position from its taps (indices clamped into the input)."""
    size = x.shape[axis]
    weights = {}
    for t in range(idx.shape[0]):
        i = min(max(int(idx[t]), 0), size - 1)
        weights[i] = weights.get(i, 0.0) + (1.0 if w is None else float(w[t]))
    acc = None
    for i, wt in weights.items():
        tap = lax.slice_in_dim(x, i, i + 1, axis=axis)
        term = tap if w is None or wt == 1.0 else tap * jnp.asarray(wt, x.dtype)
        acc = term if acc is None else acc + term
    return acc


def apply_polyphase(x, axis, idx, w, p, q):
    """Resamples ``axis`` with a periodic tap rule (see the module docstring).

    Periods whose taps all fall inside the input are strided slices of ``x``; the
    few outputs near the edges (whose taps PyTorch clamps) are computed one by one
    and concatenated, which keeps the whole axis one fused pass (an edge-padded
    copy of the input would be materialised).
    """
    in_size = x.shape[axis]
    out_size = idx.shape[0]
    total = out_size // p
    base = idx[:p]
    wb = None if w is None else w[:p]
    m_lo = max(0, max(-(int(b) // q) for b in base.flat))
    m_hi = min(total - 1, min((in_size - 1 - int(b)) // q for b in base.flat))
    if m_lo > m_hi:  # tiny input: read an edge-padded copy instead
        lo = max(0, -int(idx.min()))
        hi = max(0, int(idx.max()) - (in_size - 1))
        xp = _edge_pad(x, axis, lo, hi)
        return _phases(xp, axis, base + lo, wb, q, 0, total)
    parts = [
        _single_output(x, axis, idx[o], None if w is None else w[o])
        for o in range(m_lo * p)
    ]
    parts.append(_phases(x, axis, base, wb, q, m_lo, m_hi - m_lo + 1))
    parts += [
        _single_output(x, axis, idx[o], None if w is None else w[o])
        for o in range((m_hi + 1) * p, out_size)
    ]
    return parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=axis)


def apply_matrix(x, axis, m):
    """``y[..., o, ...] = sum_i m[o, i] x[..., i, ...]`` with one matrix product."""
    mt = jnp.asarray(m.T, x.dtype)  # [I, O]
    if axis == x.ndim - 1:
        return jnp.matmul(x, mt, precision=_HIGHEST)
    y = jnp.tensordot(x, mt, axes=((axis,), (0,)), precision=_HIGHEST)
    return jnp.moveaxis(y, -1, axis)


def _nearest_repeat(x, axes, outs, factors, exact, ft):
    """Nearest upsampling by integer factors on every axis as one broadcast.

    Returns None unless every axis maps output ``o`` to ``o // r``. A single
    broadcast-and-reshape writes the output once (one pass per axis would write
    every intermediate too).
    """
    reps = {}
    for a, o, f in zip(axes, outs, factors, strict=True):
        size = x.shape[a]
        idx = nearest_indices(size, o, f, exact, ft)
        r = o // size
        if o % size or not np.array_equal(idx, np.arange(o) // r):
            return None
        reps[a] = r
    if all(r == 1 for r in reps.values()):
        return x
    expanded, target = [], []
    for a in range(x.ndim):
        expanded.append(x.shape[a])
        target.append(x.shape[a])
        if a in reps:
            expanded.append(1)
            target.append(reps[a])
    y = jnp.broadcast_to(x.reshape(expanded), target)
    return y.reshape([x.shape[a] * reps.get(a, 1) for a in range(x.ndim)])


def _resample_axis(x, axis, out_size, factor, mode, align_corners, antialias, ft):
    in_size = x.shape[axis]
    if mode in ("nearest", "nearest-exact"):
        idx = nearest_indices(in_size, out_size, factor, mode == "nearest-exact", ft)
        if out_size == in_size and np.array_equal(idx, np.arange(in_size)):
            return x
        period = find_period(idx[:, None], None)
        if period is not None:
            return apply_polyphase(x, axis, idx[:, None], None, *period)
        return jnp.take(x, jnp.asarray(idx), axis=axis)
    cubic = mode == "bicubic"
    # Up to _MAX_GEMM_SIZE inputs the dense (O, I) matrix is one small GEMM
    # (measured faster than gathers there); above it the matrix costs O(I) per
    # output, so the taps are gathered and blended: O(T) per output.
    small = in_size <= _MAX_GEMM_SIZE
    if antialias:
        if out_size == in_size:  # PyTorch's separable kernel skips equal-size dims
            return x
        idx, w = antialias_taps(in_size, out_size, factor, align_corners, cubic, ft)
        return _apply_taps(x, axis, idx, w, small)
    rule = cubic_taps if cubic else linear_taps
    idx, w = rule(in_size, out_size, factor, align_corners, ft)
    if (
        np.array_equal(idx[:, 0], np.arange(out_size))
        and np.all(w[:, 0] == 1.0)
        and (out_size == in_size)
    ):
        return x
    period = find_period(idx, w)
    # Upsampling the contiguous (last) axis interleaves phases element by element,
    # which XLA's CPU loops do slowly; there the GEMM is faster (bilinear/bicubic x2
    # on 56x56) while I stays moderate.
    gemm = axis == x.ndim - 1 and small
    if period is not None and (period[0] == 1 or not gemm):
        return apply_polyphase(x, axis, idx, w, *period)
    return _apply_taps(x, axis, idx, w, small)


def _apply_taps(x, axis, idx, w, gemm):
    if gemm:
        return apply_matrix(x, axis, taps_to_matrix(idx, w, x.shape[axis]))
    return gather_blend(x, axis, idx, w)


# --------------------------------------------------------------------------------------
# Public functions.


def interpolate(
    input: ArrayLike,
    size: int | Sequence[int] | None = None,
    scale_factor: float | Sequence[float] | None = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
    *,
    data_format: str | None = None,
) -> Array:
    """Resizes a batch of 1-D, 2-D or 3-D signals, PyTorch style.

    Per spatial dim of input size ``I`` and output size ``O`` (``size``, or
    ``floor(I * scale_factor)``), with ``scale = 1/scale_factor`` when a scale factor
    is given and ``recompute_scale_factor`` is not set, ``I/O`` otherwise, and
    ``(I-1)/(O-1)`` with ``align_corners=True``:

    * ``nearest``: ``src = min(floor(i * scale), I-1)`` (PyTorch's legacy rule);
    * ``nearest-exact``: ``src = min(floor((i + 0.5) * scale), I-1)``;
    * ``linear``/``bilinear``/``trilinear``: source coordinate
      ``max((i + 0.5) * scale - 0.5, 0)`` (``i * scale`` with ``align_corners``),
      linear weights, indices clamped to the edges;
    * ``bicubic``: Keys cubic convolution with ``A = -0.75`` over 4 taps, edge
      replicated, output not clamped (it may overshoot);
    * ``area``: adaptive average pooling, windows ``[floor(i*I/O), ceil((i+1)*I/O))``;
    * ``antialias=True`` (bilinear/bicubic, 4-D): Pillow-style filter widened by the
      scale when downsampling (bicubic then uses ``A = -0.5``, as PyTorch does).

    .. math::
        y[\\ldots, o] = \\sum_t w_t(o)\\, x[\\ldots, \\mathrm{clamp}(i_t(o), 0, I-1)]

    Args:
      input: ``(N, C, W)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` (no unbatched
        form, as in PyTorch); channels last with ``data_format``.
      size: output spatial size, an int or one int per spatial dim.
      scale_factor: multiplier(s) for the spatial size (exactly one of ``size`` and
        ``scale_factor``).
      mode: ``"nearest" | "nearest-exact" | "linear" | "bilinear" | "bicubic" |
        "trilinear" | "area"``; ``linear`` needs 3-D, ``bilinear``/``bicubic`` 4-D,
        ``trilinear`` 5-D input.
      align_corners: for the interpolating modes only; default ``False``.
      recompute_scale_factor: compute the kernel's scale from the output size
        instead of using ``1/scale_factor``.
      antialias: antialiasing filter for ``bilinear``/``bicubic`` on 4-D inputs.
      data_format: ``None`` (channels first) or ``"NWC"``/``"NHWC"``/``"NDHWC"``
        (or the channels-first names).

    Returns:
      The resized array, same layout and dtype as ``input``.

    Raises:
      ValueError: unknown mode, wrong rank for the mode, both or neither of
        ``size``/``scale_factor``, a ``size``/``scale_factor`` of the wrong length,
        non-positive sizes, ``align_corners`` with ``nearest``/``nearest-exact``/
        ``area``, ``antialias`` outside bilinear/bicubic on 4-D inputs,
        ``recompute_scale_factor`` with ``size``.
      TypeError: integer input with a mode other than ``nearest``/``nearest-exact``.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.array([[[0.0, 1.0, 2.0]]])
      >>> interpolate(x, scale_factor=2, mode="linear")
      Array([[[0.  , 0.25, 0.75, 1.25, 1.75, 2.  ]]], dtype=float32)
      >>> interpolate(x, size=5, mode="linear", align_corners=True)
      Array([[[0. , 0.5, 1. , 1.5, 2. ]]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.interpolate`` for floating inputs
    (integer inputs: nearest modes only, exact; PyTorch's fixed-point uint8
    bilinear/bicubic kernels are not reproduced; ``lanczos`` is not provided).
    """
    x = jnp.asarray(input)
    fn = "interpolate"
    check_choice(mode, _MODES, "mode")
    if x.ndim not in (3, 4, 5):
        raise ValueError(
            f"`{fn}`: expects a 3-D, 4-D or 5-D (batched) `input`, got shape {x.shape}."
        )
    n = x.ndim - 2
    if mode in _MODE_RANK and _MODE_RANK[mode] != n:
        raise ValueError(
            f"`{fn}`: mode={mode!r} needs a {_MODE_RANK[mode] + 2}-D input, got shape "
            f"{x.shape}."
        )
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError(
                f"`{fn}`: `align_corners` can only be set with the interpolating modes "
                f"linear | bilinear | bicubic | trilinear, got mode={mode!r} and "
                f"align_corners={align_corners!r}."
            )
    align_corners = bool(align_corners)
    if antialias and not (mode in ("bilinear", "bicubic") and x.ndim == 4):
        raise ValueError(
            f"`{fn}`: `antialias=True` is restricted to the bilinear and bicubic modes "
            f"on 4-D inputs, got mode={mode!r} and input shape {x.shape}."
        )
    cl = is_channels_last(data_format, n, fn)
    axes = spatial_axes(n, cl)
    in_sizes = tuple(x.shape[a] for a in axes)
    outs, factors = resolve_sizes(
        in_sizes, size, scale_factor, mode, recompute_scale_factor
    )

    if mode not in ("nearest", "nearest-exact"):
        if not jnp.issubdtype(x.dtype, jnp.floating):
            raise TypeError(
                f"`{fn}`: mode={mode!r} needs a floating-point `input`, got dtype "
                f"{x.dtype}; convert it first (e.g. `x.astype(jnp.float32)`)."
            )
    if x.shape[x.ndim - 1 if cl else 1] == 0 and mode != "area":
        raise ValueError(
            f"`{fn}`: `input` of shape {x.shape} has no channels; PyTorch's "
            f"mode={mode!r} kernels need a non-empty input (only N may be 0)."
        )
    if mode == "area":
        return adaptive_avg(x, axes, outs)

    ft = _opmath(x.dtype)
    if mode.startswith("nearest"):
        y = _nearest_repeat(x, axes, outs, factors, mode == "nearest-exact", ft)
        if y is not None:
            return y
    compute = (
        x.dtype
        if mode.startswith("nearest")
        else jnp.promote_types(x.dtype, jnp.float32)
    )
    y = x.astype(compute)

    # Shrink first, grow last, so that the intermediate stays small. Among equal
    # growing ratios, linear grows the contiguous axis first (a GEMM on the small
    # array; the outer axis then costs two row reads per output row) and cubic
    # grows it last (four row reads per output row are better spent on the small
    # array). Measured on (16, 64, 56, 56) x2.
    def _order(d):
        ratio = outs[d] / in_sizes[d]
        inner_first = ratio > 1 and mode != "bicubic"
        return (ratio, -d if inner_first else d)

    order = sorted(range(n), key=_order)
    for d in order:
        y = _resample_axis(
            y, axes[d], outs[d], factors[d], mode, align_corners, antialias, ft
        )
    return y.astype(x.dtype)


def pixel_shuffle(input: ArrayLike, upscale_factor: int) -> Array:
    """Rearranges ``(*, C r^2, H, W)`` into ``(*, C, H r, W r)``, PyTorch's order.

    .. math::
        y[\\ldots, c, h r + i, w r + j] = x[\\ldots, c r^2 + i r + j, h, w]

    Args:
      input: ``(*, C r^2, H, W)``, at least 3-D; any leading dims.
      upscale_factor: ``r``, a positive int.

    Returns:
      ``(*, C, H r, W r)``, same dtype.

    Raises:
      ValueError: fewer than 3 dims, non-positive ``r``, channels not divisible by
        ``r^2``.

    Examples:
      >>> import jax.numpy as jnp
      >>> pixel_shuffle(jnp.arange(4.0).reshape(1, 4, 1, 1), 2)[0, 0]
      Array([[0., 1.],
             [2., 3.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.pixel_shuffle`` (channel order
    ``c*r^2 + i*r + j``, "CRD"; not TensorFlow's/dm-pix's ``depth_to_space``).
    """
    fn = "pixel_shuffle"
    x = jnp.asarray(input)
    r = check_count(upscale_factor, "upscale_factor", fn)
    if x.ndim < 3:
        raise ValueError(
            f"`{fn}`: expects `input` with at least 3 dims, got shape {x.shape}."
        )
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(
            f"`{fn}`: the channel dim of `input` ({c}) must be divisible by "
            f"upscale_factor**2 ({r * r})."
        )
    nl = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = jnp.transpose(y, (*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2))
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: ArrayLike, downscale_factor: int) -> Array:
    """Rearranges ``(*, C, H r, W r)`` into ``(*, C r^2, H, W)``; inverse of
    :func:`pixel_shuffle`.

    .. math::
        y[\\ldots, c r^2 + i r + j, h, w] = x[\\ldots, c, h r + i, w r + j]

    Args:
      input: ``(*, C, H r, W r)``, at least 3-D; any leading dims.
      downscale_factor: ``r``, a positive int.

    Returns:
      ``(*, C r^2, H, W)``, same dtype.

    Raises:
      ValueError: fewer than 3 dims, non-positive ``r``, height or width not
        divisible by ``r``.

    Examples:
      >>> import jax.numpy as jnp
      >>> pixel_unshuffle(jnp.arange(4.0).reshape(1, 1, 2, 2), 2)[0, :, 0, 0]
      Array([0., 1., 2., 3.], dtype=float32)

    PyTorch parity: ``torch.nn.functional.pixel_unshuffle``.
    """
    fn = "pixel_unshuffle"
    x = jnp.asarray(input)
    r = check_count(downscale_factor, "downscale_factor", fn)
    if x.ndim < 3:
        raise ValueError(
            f"`{fn}`: expects `input` with at least 3 dims, got shape {x.shape}."
        )
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(
            f"`{fn}`: height ({h}) and width ({w}) of `input` must be divisible by "
            f"downscale_factor ({r})."
        )
    nl = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = jnp.transpose(y, (*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3))
    return y.reshape(*lead, c * r * r, h // r, w // r)
