"""Spatial transformers: ``affine_grid`` and ``grid_sample`` with PyTorch semantics.

Shape legend: N batch, C channels, spatial input ``(H, W)`` / ``(D, H, W)``, output grid
``(H', W')`` / ``(D', H', W')``. A grid's last axis holds ``(x, y[, z])`` in ``[-1, 1]``:
``x`` indexes the *last* input dim (W), ``y`` H and ``z`` D.

The maths follows ATen's ``GridSampler.h``: a normalised coordinate is unnormalised
(``(g + 1) (S - 1) / 2`` with ``align_corners``, ``((g + 1) S - 1) / 2`` without),
then padded (``border`` clips to ``[0, S - 1]``, ``reflection`` reflects about the
borders and clips), and non-finite or huge coordinates become ``-100`` (out of bounds).
Samples outside the input read zero. Each corner of the interpolation stencil is one
gather, so memory stays ``O(N C H' W')`` per tap.

Gradients match PyTorch's backward: a padded coordinate carries PyTorch's derivative
(``clip_coordinates_set_grad``: 0 at and beyond the clip borders; reflection flips the
sign), applied with a straight-through form ``sg(c) + sg(dc/dg) (g - sg(g))``;
``nearest`` has a zero grid gradient.
"""

from __future__ import annotations

import itertools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from convjax._src.checks import check_choice
from convjax._src.typing import Array, ArrayLike

_MODES = ("bilinear", "nearest", "bicubic")
_PADDINGS = ("zeros", "border", "reflection")
_CUBIC_A = -0.75


def _align(align_corners, fn):
    if align_corners is None:
        warnings.warn(
            f"`{fn}`: the default `align_corners=None` means False (PyTorch's default "
            "since 1.3.0); pass align_corners explicitly to silence this warning.",
            UserWarning,
            stacklevel=3,
        )
        return False
    if not isinstance(align_corners, bool | np.bool_):
        raise TypeError(
            f"`{fn}`: `align_corners` must be a bool or None, got {align_corners!r}."
        )
    return bool(align_corners)


# --------------------------------------------------------------------------------------
# affine_grid


def _linspace(steps, align_corners, dtype):
    """ATen's ``linspace_from_neg_one``."""
    if steps <= 1:
        return jnp.zeros((steps,), dtype)
    r = jnp.linspace(-1.0, 1.0, steps, dtype=dtype)
    if not align_corners:
        r = r * (steps - 1) / steps
    return r


def affine_grid(
    theta: ArrayLike, size: tuple[int, ...], align_corners: bool | None = None
) -> Array:
    """Sampling grid of a batch of affine transforms (for :func:`grid_sample`).

    .. math::
        \\text{grid}[n, h, w] = \\theta_n \\, (x_w, y_h, 1)^T

    where ``x_w``/``y_h`` are ``linspace(-1, 1, W)``/``linspace(-1, 1, H)`` (scaled by
    ``(S - 1) / S`` when ``align_corners=False``: pixel centres). 3-D likewise with
    ``(x, y, z, 1)``.

    Args:
      theta: ``(N, 2, 3)`` for a 4-D ``size``, ``(N, 3, 4)`` for a 5-D one; floating.
      size: target ``(N, C, H, W)`` or ``(N, C, D, H, W)``.
      align_corners: as in :func:`grid_sample`; ``None`` warns and means False.

    Returns:
      ``(N, H, W, 2)`` or ``(N, D, H, W, 3)`` in the dtype of ``theta``.

    Raises:
      ValueError: wrong ``theta`` shape for ``size``, ``size`` not of length 4 or 5,
        non-positive sizes, or a batch size different from ``theta``'s.
      TypeError: non-floating ``theta``.

    Examples:
      >>> import jax.numpy as jnp
      >>> theta = jnp.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
      >>> affine_grid(theta, (1, 1, 2, 2), align_corners=True)[0, :, :, 0]
      Array([[-1.,  1.],
             [-1.,  1.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.affine_grid`` (a unit-size grid with
    ``align_corners=True`` uses coordinate 0, as PyTorch).
    """
    fn = "affine_grid"
    ac = _align(align_corners, fn)
    theta = jnp.asarray(theta)
    if not jnp.issubdtype(theta.dtype, jnp.floating):
        raise TypeError(
            f"`{fn}`: `theta` must have a floating dtype, got {theta.dtype}."
        )
    try:
        size = tuple(int(s) for s in size)
    except TypeError:
        raise ValueError(
            f"`{fn}`: `size` must be a sequence of ints, got {size!r}."
        ) from None
    if len(size) not in (4, 5):
        raise ValueError(
            f"`{fn}`: `size` must have 4 (2-D) or 5 (3-D) entries, got {size}."
        )
    nsp = len(size) - 2
    if theta.ndim != 3 or theta.shape[1:] != (nsp, nsp + 1):
        raise ValueError(
            f"`{fn}`: `theta` must have shape (N, {nsp}, {nsp + 1}) for `size` {size}, "
            f"got {theta.shape}."
        )
    if not (ac and min(size[2:]) == 1) and min(size) <= 0:
        raise ValueError(f"`{fn}`: `size` must be positive, got {size}.")
    if theta.shape[0] != size[0]:
        raise ValueError(
            f"`{fn}`: `theta` has batch size {theta.shape[0]} but `size` asks for "
            f"{size[0]}."
        )
    spatial = size[2:]
    # Base coordinates (x, y[, z]): x runs along the last spatial dim.
    axes = [_linspace(s, ac, theta.dtype) for s in reversed(spatial)]
    grids = [m[None] for m in jnp.meshgrid(*reversed(axes), indexing="ij")[::-1]]
    out = []
    for row in range(nsp):
        acc = theta[:, row, nsp][(slice(None),) + (None,) * nsp]
        for k in range(nsp):
            acc = acc + theta[:, row, k][(slice(None),) + (None,) * nsp] * grids[k]
        out.append(acc)
    return jnp.stack(out, axis=-1)


# --------------------------------------------------------------------------------------
# Coordinates


def _unnormalize(g, size, ac):
    if ac:
        return (g + 1) / 2 * (size - 1), (size - 1) / 2
    return ((g + 1) * size - 1) / 2, size / 2


def _clip(c, size, nan_to):
    """``clip_coordinates_set_grad``: value and derivative (0 at and past borders).

    NaN clips to ``nan_to``: 0 in ATen's vectorised 2-D CPU kernel, ``S - 1`` in its
    scalar (3-D) kernel (``std::min(S - 1, std::max(nan, 0))``).
    """
    hi = size - 1
    out = jnp.where(c <= 0, 0.0, jnp.where(c >= hi, hi, c))
    out = jnp.where(jnp.isnan(c), nan_to, out).astype(c.dtype)
    grad = jnp.where((c > 0) & (c < hi), 1.0, 0.0).astype(c.dtype)
    return out, grad


def _reflect(c, twice_low, twice_high):
    """``reflect_coordinates_set_grad`` (non-finite input gives NaN)."""
    if twice_low == twice_high:
        return jnp.zeros_like(c), jnp.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    sign = jnp.where(c < 0, -1.0, 1.0).astype(c.dtype)
    c = jnp.abs(c)
    extra = jnp.fmod(c, span)
    flips = jnp.floor(c / span)
    even = jnp.fmod(flips, 2) == 0
    out = jnp.where(even, extra + lo, span - extra + lo)
    out = jnp.where(jnp.isfinite(c), out, jnp.nan).astype(c.dtype)
    return out, jnp.where(even, sign, -sign)


def _pad_coord(c, size, padding, ac, nsp):
    """``compute_coordinates`` with derivative.

    2-D follows ATen's vectorised CPU kernel (NaN clips to 0, no int-range guard: a
    non-finite coordinate under ``zeros`` gives NaN weights); 3-D its scalar kernel
    (NaN clips to ``S - 1``; then non-finite or huge coordinates become ``-100``).
    """
    grad = jnp.ones_like(c)
    nan_to = 0.0 if nsp == 2 else size - 1.0
    if padding == "border":
        c, grad = _clip(c, size, nan_to)
    elif padding == "reflection":
        if ac:
            c, g1 = _reflect(c, 0, 2 * (size - 1))
        else:
            c, g1 = _reflect(c, -1, 2 * size - 1)
        c, g2 = _clip(c, size, nan_to)
        grad = g1 * g2
    if nsp == 3:  # safe_downgrade_to_int_range
        ok = jnp.isfinite(c) & (jnp.abs(c) < 2.0**31 - 1)
        c = jnp.where(ok, c, -100.0).astype(c.dtype)
    return c, grad


def _with_grad(value, dvalue, g):
    """``value`` whose derivative w.r.t. ``g`` is ``dvalue`` (straight-through)."""
    gs = jax.lax.stop_gradient(g)
    delta = jnp.where(jnp.isfinite(gs), g - gs, 0.0)
    return jax.lax.stop_gradient(value) + jax.lax.stop_gradient(dvalue) * delta


# --------------------------------------------------------------------------------------
# Sampling


def _gather(x, coords, sizes):
    """``x[n, :, coords...]`` with zero outside, all taps in one gather.

    ``x`` ``(N, C, *S)``; ``coords`` per spatial dim (input order) an integer-valued
    float array ``(T, N, *O)`` (NaN and huge values read zero). Returns
    ``(T, N, C, *O)``.
    """
    inb = None
    flat = None
    for c, s in zip(coords, sizes, strict=True):
        c = jax.lax.stop_gradient(c)
        ok = (c >= 0) & (c < s)
        inb = ok if inb is None else inb & ok
        cc = jnp.where(ok, c, 0).astype(jnp.int32)
        flat = cc if flat is None else flat * s + cc
    nb, ch = x.shape[:2]
    t, out_shape = flat.shape[0], flat.shape[2:]
    xf = x.reshape(nb, ch, int(np.prod(sizes)))
    ff = jnp.moveaxis(flat, 1, 0).reshape(nb, t * int(np.prod(out_shape)))
    vals = jax.vmap(lambda a, i: jnp.take(a, i, axis=1, mode="clip"))(xf, ff)
    vals = jnp.moveaxis(vals.reshape((nb, ch, t) + out_shape), 2, 0)
    return jnp.where(inb[:, :, None], vals, jnp.zeros((), x.dtype))


def _cubic_coeffs(t):
    a = _CUBIC_A

    def conv1(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def conv2(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a

    return [conv2(t + 1.0), conv1(t), conv1(1.0 - t), conv2(2.0 - t)]


def grid_sample(
    input: ArrayLike,
    grid: ArrayLike,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Array:
    """Samples ``input`` at the normalised positions of ``grid``.

    For each output position the grid gives ``(x, y[, z])``, nominally in
    ``[-1, 1]``; each is unnormalised to a pixel coordinate

    .. math::
        i = \\frac{(g + 1)(S - 1)}{2} \\;(\\text{align\\_corners}), \\qquad
        i = \\frac{(g + 1) S - 1}{2} \\;(\\text{otherwise})

    and the input is interpolated there (``bilinear``: 4 (2-D) or 8 (3-D) neighbours;
    ``nearest``: round half to even; ``bicubic``: 16 neighbours, ``A = -0.75``).
    ``padding_mode`` decides out-of-range reads: ``zeros`` reads 0, ``border`` clips
    the coordinate to ``[0, S - 1]``, ``reflection`` reflects it about the borders
    (for ``bicubic`` the padding applies to each neighbour). NaN or infinite grid
    values read out of bounds.

    Args:
      input: ``(N, C, H, W)`` or ``(N, C, D, H, W)``, floating, non-empty spatial dims.
      grid: ``(N, H', W', 2)`` or ``(N, D', H', W', 3)``, same dtype as ``input``.
      mode: ``"bilinear" | "nearest" | "bicubic"`` (bicubic only for 4-D input;
        ``"bilinear"`` on 5-D input is trilinear).
      padding_mode: ``"zeros" | "border" | "reflection"``.
      align_corners: ``True``: ``-1``/``1`` are the centres of the corner pixels;
        ``False``: their outer edges. ``None`` warns and means False (PyTorch).

    Returns:
      ``(N, C, H', W')`` or ``(N, C, D', H', W')`` in the dtype of ``input``.

    Raises:
      ValueError: bad ranks, batch mismatch, wrong grid last dim, empty spatial
        input, unknown ``mode``/``padding_mode``, bicubic on 5-D input.
      TypeError: non-floating input or a grid of another dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.arange(4.0).reshape(1, 1, 2, 2)
      >>> g = jnp.array([[[[0.0, 0.0], [1.0, -1.0]]]])
      >>> grid_sample(x, g, align_corners=True)
      Array([[[[1.5, 1. ]]]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.grid_sample``, including its gradients
    w.r.t. ``input`` and ``grid`` (zero grid gradient for ``nearest`` and at clipped
    borders, sign flips under reflection).
    """
    fn = "grid_sample"
    check_choice(mode, _MODES, "mode")
    check_choice(padding_mode, _PADDINGS, "padding_mode")
    ac = _align(align_corners, fn)
    x = jnp.asarray(input)
    g = jnp.asarray(grid)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(f"`{fn}`: `input` must be floating, got dtype {x.dtype}.")
    if g.dtype != x.dtype:
        raise TypeError(
            f"`{fn}`: `grid` must have the dtype of `input` ({x.dtype}), got {g.dtype}."
        )
    if x.ndim not in (4, 5):
        raise ValueError(f"`{fn}`: `input` must be 4-D or 5-D, got shape {x.shape}.")
    nsp = x.ndim - 2
    if g.ndim != x.ndim or g.shape[-1] != nsp:
        raise ValueError(
            f"`{fn}`: `grid` must have shape (N, *out, {nsp}) for a {x.ndim}-D "
            f"`input`, got {g.shape}."
        )
    if g.shape[0] != x.shape[0]:
        raise ValueError(
            f"`{fn}`: `grid` batch size {g.shape[0]} differs from `input`'s "
            f"{x.shape[0]}."
        )
    if any(s == 0 for s in x.shape[2:]):
        raise ValueError(
            f"`{fn}`: `input` must have non-empty spatial dims, got {x.shape}."
        )
    if mode == "bicubic" and nsp != 2:
        raise ValueError(
            f"`{fn}`: `mode='bicubic'` needs a 4-D `input`, got {x.shape}."
        )

    dtype = jnp.promote_types(x.dtype, jnp.float32)
    xc, gc = x.astype(dtype), g.astype(dtype)
    sizes = x.shape[2:]
    # comps[d]: normalised coordinate along spatial dim d (input order D, H, W).
    comps = [gc[..., nsp - 1 - d] for d in range(nsp)]

    if mode == "bicubic":
        out = _bicubic(xc, comps, sizes, padding_mode, ac)
    else:
        coords = []
        for comp, s in zip(comps, sizes, strict=True):
            c, dmul = _unnormalize(jax.lax.stop_gradient(comp), s, ac)
            c, dpad = _pad_coord(c, s, padding_mode, ac, nsp)
            coords.append(_with_grad(c, dmul * dpad, comp))
        if mode == "nearest":
            idx = [jnp.round(c)[None] for c in coords]  # half to even, as nearbyint
            out = _gather(xc, idx, sizes)[0]
        else:
            out = _linear(xc, coords, sizes)
    return out.astype(x.dtype)


def _linear(x, coords, sizes):
    """Bilinear / trilinear interpolation at (padded) pixel coordinates."""
    lo = [jnp.floor(jax.lax.stop_gradient(c)) for c in coords]
    # Per dim: (index, weight) of the low and high neighbour.
    taps = [
        ((l0, (l0 + 1) - c), (l0 + 1, c - l0)) for c, l0 in zip(coords, lo, strict=True)
    ]
    combos = list(itertools.product(*taps))  # first dim outermost, as PyTorch
    weights = []
    for combo in combos:
        w = None
        for _, wd in reversed(combo):  # x * y (* z), as PyTorch
            w = wd if w is None else w * wd
        weights.append(w)
    idx = [jnp.stack([combo[d][0] for combo in combos]) for d in range(len(coords))]
    vals = _gather(x, idx, sizes)  # [T, N, C, *O]
    return jnp.sum(vals * jnp.stack(weights)[:, :, None], axis=0)


def _bicubic(x, comps, sizes, padding, ac):
    """Bicubic (2-D) with per-neighbour padding, as ATen."""
    taps = []
    for comp, s in zip(comps, sizes, strict=True):
        c, dmul = _unnormalize(jax.lax.stop_gradient(comp), s, ac)
        c = _with_grad(c, jnp.full_like(c, dmul), comp)
        c0 = jnp.floor(jax.lax.stop_gradient(c))
        coeffs = _cubic_coeffs(c - c0)
        idx = []
        for k in range(4):
            p, _ = _pad_coord(c0 - 1 + k, s, padding, ac, 2)
            idx.append(jnp.trunc(p))  # as static_cast<int64_t>
        taps.append((jnp.stack(idx), jnp.stack(coeffs)))  # [4, N, *O] each
    (iy, cy), (ix, cx) = taps
    # 16 taps, row i outer, column j inner.
    iyy = jnp.repeat(iy, 4, axis=0)
    ixx = jnp.tile(ix, (4,) + (1,) * (ix.ndim - 1))
    vals = _gather(x, [iyy, ixx], sizes).reshape((4, 4) + x.shape[:2] + iy.shape[2:])
    rows = jnp.sum(vals * cx[None, :, :, None], axis=1)  # [4, N, C, *O]
    return jnp.sum(rows * cy[:, :, None], axis=0)
