r"""Colour transforms with torchvision.transforms.v2.functional semantics.

Shape legend: images are ``(..., C, H, W)`` with ``C`` in ``{1, 3}`` (RGB) and any
number of leading batch axes ``...``. Float images are expected in ``[0, 1]``;
``uint8`` images in ``[0, 255]``.

Numerics follow torchvision's: ``uint8`` results are bit-identical to its CPU kernels
(checked against goldens, eager and under jit), float results agree to float32
rounding (about 1e-6). In particular:

* every ``adjust_*`` clamps its result to ``[0, bound]`` (``bound`` is 1 for float,
  255 for ``uint8``) and ``uint8`` results are truncated, as ``Tensor.to(uint8)``
  does, after *each* operation;
* grayscale is :math:`0.2989 R + 0.587 G + 0.114 B` (TensorFlow's weights);
* hue goes through Pillow's HSV model.

Float16/bfloat16 images are computed in float32 and cast back once at the end.
Factors may be Python numbers (validated at trace time) or arrays (traced, not
validated) whose shape is a prefix of the batch shape ``...``, so one call can apply
a different factor to every image.

Gradients with respect to the image are finite everywhere in ``[0, 1]``, including
black, white and gray pixels: every division has its denominator replaced by 1
where it would vanish (the ``safe_range`` trick), so no NaN appears in the
untaken branch.
"""

from __future__ import annotations

import itertools
import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from convjax._src.typing import Array, ArrayLike

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "apply_color_jitter",
    "color_jitter",
    "color_jitter_params",
    "hsv_to_rgb",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]

_WEIGHTS = (0.2989, 0.587, 0.114)
_BRIGHTNESS, _CONTRAST, _SATURATION, _HUE = range(4)
_NAMES = ("brightness", "contrast", "saturation", "hue")
_PERMUTATIONS = np.array(list(itertools.permutations(range(4))), np.int32)

# --------------------------------------------------------------------------------------
# Static checks and the working representation.
# --------------------------------------------------------------------------------------


def _check_image(img, fn: str, channels=(1, 3)):
    """Returns ``img`` as an array after checking rank, dtype and channel count."""
    x = jnp.asarray(img)
    if x.ndim < 3:
        raise ValueError(
            f"`{fn}` expects `img` of shape (..., C, H, W) with at least 3 dims, "
            f"got shape {x.shape}."
        )
    if not (jnp.issubdtype(x.dtype, jnp.floating) or x.dtype == jnp.uint8):
        raise TypeError(
            f"`{fn}` expects a floating-point or uint8 `img`, got dtype {x.dtype}."
        )
    if x.shape[-3] not in channels:
        allowed = " or ".join(str(c) for c in channels)
        raise TypeError(
            f"`{fn}` expects `img` with {allowed} channels on axis -3, got shape "
            f"{x.shape} ({x.shape[-3]} channels)."
        )
    return x


def _working_dtype(dtype):
    """float32 for uint8 and half precision, the input dtype for float32/float64."""
    if dtype == jnp.uint8:
        return jnp.dtype(jnp.float32)
    return jnp.promote_types(dtype, jnp.float32)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) or (
        isinstance(v, np.ndarray | np.generic) and np.ndim(v) == 0
    )


def _factor(value, name: str, fn: str, img_shape, *, hue: bool = False):
    """Validates a Python-number factor; returns it (float) or as an array.

    An array factor must have a shape that is a prefix of the image's batch shape; it
    is reshaped to broadcast against ``(..., C, H, W)``.
    """
    if _is_number(value) and not isinstance(value, bool):
        v = float(value)
        if hue and not -0.5 <= v <= 0.5:
            raise ValueError(f"`{name}` must be in [-0.5, 0.5], got {value!r}.")
        if not hue and not v >= 0:
            raise ValueError(f"`{name}` must be non-negative, got {value!r}.")
        return v
    try:
        f = None if isinstance(value, bool | str | bytes) else jnp.asarray(value)
    except TypeError:
        f = None
    if f is None or not (
        jnp.issubdtype(f.dtype, jnp.floating) or jnp.issubdtype(f.dtype, jnp.integer)
    ):
        raise TypeError(
            f"`{fn}`: `{name}` must be a number or a numeric array, got {value!r}."
        )
    img_ndim = len(img_shape)
    if f.ndim > img_ndim - 3 or f.shape != tuple(img_shape[: f.ndim]):
        raise ValueError(
            f"`{fn}`: `{name}` must be a scalar or have a shape that is a prefix of "
            f"the image's batch shape {tuple(img_shape[:-3])}; got shape {f.shape}."
        )
    if f.ndim == 0:
        return f
    return f.reshape(f.shape + (1,) * (img_ndim - f.ndim))


def _as_working(factor, x):
    """A validated factor in the working dtype of ``x``."""
    return factor if isinstance(factor, float) else factor.astype(x.dtype)


# --------------------------------------------------------------------------------------
# Kernels on the working representation: floating arrays; for uint8 images the
# values are integral floats in [0, 255] (``is_int``), truncated after every op.
# --------------------------------------------------------------------------------------


# uint8 images must truncate exactly where torchvision does, and torchvision's CPU
# kernels round ``x * ratio`` once and then add ``other * alpha`` with a fused
# multiply-add (its vectorised ``add(..., alpha=)``). XLA may or may not contract a
# product into an FMA, so for uint8 the products are split into exact pieces
# (``_split``) and summed with an error-free ``_two_sum``: the result is the same
# whether or not XLA contracts, and equals torchvision's.


def _split(v):
    """``v == hi + lo`` exactly (float32); ``hi`` keeps the top 12 significant bits."""
    bits = lax.bitcast_convert_type(v, jnp.uint32) & np.uint32(0xFFFFF000)
    hi = lax.bitcast_convert_type(bits, jnp.float32)
    return hi, v - hi


def _two_sum(a, b):
    """``a + b == s + e`` exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _mul_round(x, r):
    """``fl(x * r)`` for integral ``|x| < 4096``, immune to FMA contraction."""
    r_hi, r_lo = _split(r)
    return x * r_hi + x * r_lo


def _fma(p, u, v):
    """``fl(p + u * v)`` with a single rounding (up to 2^-48 relative), float32."""
    u_hi, u_lo = _split(u)
    v_hi, v_lo = _split(v)
    s, e = _two_sum(p, u_hi * v_hi)
    return s + (e + ((u_hi * v_lo + u_lo * v_hi) + u_lo * v_lo))


def _const(value, x):
    return x.dtype.type(value) if isinstance(value, float) else value


def _gray(x, is_int):
    """``0.2989 R + 0.587 G + 0.114 B``, (..., 1, H, W), torchvision's evaluation."""
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    w0, w1, w2 = (x.dtype.type(w) for w in _WEIGHTS)
    if is_int:
        return _fma(_fma(_mul_round(r, w0), g, w1), b, w2)
    return (r * w0 + g * w1) + b * w2


def _degenerate_gray(x, is_int):
    """Grayscale used by contrast and saturation (floored for uint8 images)."""
    g = _gray(x, is_int)
    return jnp.floor(g) if is_int else g


def _image_mean(g):
    n = g.shape[-3] * g.shape[-2] * g.shape[-1]
    return jnp.sum(g, axis=(-3, -2, -1), keepdims=True) / g.dtype.type(n)


def _finish_int(y, is_int, bound):
    """Clamps to [0, bound]; truncates (== floor after the clamp) for uint8."""
    y = jnp.clip(y, 0, bound)
    return jnp.floor(y) if is_int else y


def _blend_raw(x, other, ratio, one_minus, is_int):
    """``ratio * x + one_minus * other`` (no clamp)."""
    if is_int:
        return _fma(_mul_round(x, ratio), other, one_minus)
    return x * ratio + other * one_minus


def _blend(x, other, ratio, is_int, bound):
    """torchvision's ``_blend``: ``clamp(ratio * x + (1 - ratio) * other)``."""
    if isinstance(ratio, float):
        # torchvision computes ``1 - ratio`` in double precision, then rounds.
        r, one_minus = x.dtype.type(ratio), x.dtype.type(1.0 - ratio)
    else:
        r, one_minus = ratio, 1 - ratio
    return _finish_int(_blend_raw(x, other, r, one_minus, is_int), is_int, bound)


def _brightness(x, f, is_int, bound):
    f = _const(f, x)
    return _finish_int(_mul_round(x, f) if is_int else x * f, is_int, bound)


def _contrast(x, f, is_int, bound):
    g = _degenerate_gray(x, is_int) if x.shape[-3] == 3 else x
    return _blend(x, _image_mean(g), f, is_int, bound)


def _saturation(x, f, is_int, bound):
    if x.shape[-3] == 1:
        return x
    return _blend(x, _degenerate_gray(x, is_int), f, is_int, bound)


def _rgb_to_hsv_planes(r, g, b):
    """Pillow's RGB -> HSV on planes, torchvision's evaluation order, NaN-free grads."""
    # The channel holding the max is found by comparisons, not by ``maxc == r``: under
    # jit, XLA may evaluate the same expression with and without FMA contraction in
    # different places, and exact equality between the copies would break.
    max_is_r = (r >= g) & (r >= b)
    max_is_g = ~max_is_r & (g >= b)
    maxc = jnp.where(max_is_r, r, jnp.where(max_is_g, g, b))
    minc = jnp.minimum(jnp.minimum(r, g), b)
    crange = maxc - minc
    eqc = crange == 0
    one = jnp.ones_like(maxc)
    s = crange / jnp.where(eqc, one, maxc)
    safe = jnp.where(eqc, one, crange)
    # torchvision's h is bc - gc, (rc + 2) - bc or (gc + 4) - rc with
    # xc = (maxc - x) / range: pick the two numerators first, divide twice (not 3x).
    n1 = jnp.where(max_is_r, maxc - b, jnp.where(max_is_g, maxc - r, maxc - g))
    n2 = jnp.where(max_is_r, maxc - g, jnp.where(max_is_g, maxc - b, maxc - r))
    offset = jnp.where(max_is_r, 0.0, jnp.where(max_is_g, 2.0, 4.0)).astype(r.dtype)
    h = (n1 / safe + offset) - n2 / safe
    h = jnp.fmod(h * maxc.dtype.type(1.0 / 6.0) + 1.0, 1.0)
    return h, s, maxc


def _hsv_to_rgb_planes(h, s, v):
    """torchvision's HSV -> RGB (p, q, t clamped to [0, 1], v not clamped)."""
    h6 = h * 6.0
    i = jnp.floor(h6)
    f = h6 - i
    i = jnp.remainder(i.astype(jnp.int32), 6)
    sxf = s * f
    one_minus_s = 1.0 - s
    q = jnp.clip((1.0 - sxf) * v, 0.0, 1.0)
    t = jnp.clip((sxf + one_minus_s) * v, 0.0, 1.0)
    p = jnp.clip(one_minus_s * v, 0.0, 1.0)
    r = lax.select_n(i, v, q, p, p, t, v)
    g = lax.select_n(i, t, v, v, q, p, p)
    b = lax.select_n(i, p, p, t, v, v, q)
    return r, g, b


def _hue(x, f, is_int):
    if x.shape[-3] == 1:
        return x
    dt = x.dtype
    if is_int:
        x = x * dt.type(1.0 / 255.0)
    r, g, b = x[..., 0:1, :, :], x[..., 1:2, :, :], x[..., 2:3, :, :]
    h, s, v = _rgb_to_hsv_planes(r, g, b)
    f = dt.type(f) if isinstance(f, float) else f
    h = jnp.remainder(h + f, 1.0)
    y = jnp.concatenate(_hsv_to_rgb_planes(h, s, v), axis=-3)
    if is_int:
        y = jnp.floor(y * dt.type(255.0 + 1.0 - 1e-3))
    return y


def _prepare(img, fn, channels=(1, 3)):
    x = _check_image(img, fn, channels)
    is_int = x.dtype == jnp.uint8
    bound = 255.0 if is_int else 1.0
    return x, x.astype(_working_dtype(x.dtype)), is_int, bound


# --------------------------------------------------------------------------------------
# Public deterministic ops.
# --------------------------------------------------------------------------------------


def rgb_to_grayscale(img: ArrayLike, num_output_channels: int = 1) -> Array:
    r"""Converts RGB images to grayscale.

    .. math::
        L = 0.2989 R + 0.587 G + 0.114 B

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float or ``uint8``.
        num_output_channels: 1, or 3 to repeat the gray plane.

    Returns:
        ``(..., num_output_channels, H, W)`` image of ``img``'s dtype (``uint8``
        results are truncated, not rounded).

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.rgb_to_grayscale(jnp.array([255, 255, 255], jnp.uint8)[:, None, None])
        Array([[[254]]], dtype=uint8)

    PyTorch parity: ``torchvision.transforms.v2.functional.rgb_to_grayscale``
    (a white ``uint8`` pixel becomes 254 there too, since the weights sum to 0.9999).
    """
    if num_output_channels not in (1, 3) or isinstance(num_output_channels, bool):
        raise ValueError(
            f"`num_output_channels` must be 1 or 3, got {num_output_channels!r}."
        )
    x, w, is_int, _ = _prepare(img, "rgb_to_grayscale")
    if x.shape[-3] == 1:
        out = x
    else:
        out = _degenerate_gray(w, is_int).astype(x.dtype)
    if num_output_channels == 3:
        out = jnp.broadcast_to(out, out.shape[:-3] + (3,) + out.shape[-2:])
    return out


def adjust_brightness(img: ArrayLike, brightness_factor) -> Array:
    r"""Multiplies the image by ``brightness_factor`` and clamps.

    .. math::
        \mathrm{out} = \mathrm{clamp}(f \cdot x, 0, \mathrm{bound})

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
        brightness_factor: non-negative number, or an array whose shape is a prefix
            of the batch shape (one factor per image). 0 gives black, 1 the original.

    Returns:
        Image of the same shape and dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.adjust_brightness(jnp.full((3, 1, 2), 0.6), 2.0)[0]
        Array([[1., 1.]], dtype=float32)

    PyTorch parity: ``torchvision.transforms.v2.functional.adjust_brightness``
    (clamps even for factor 1, so out-of-range float inputs are clipped).
    """
    x, w, is_int, bound = _prepare(img, "adjust_brightness")
    f = _factor(brightness_factor, "brightness_factor", "adjust_brightness", x.shape)
    return _brightness(w, _as_working(f, w), is_int, bound).astype(x.dtype)


def adjust_contrast(img: ArrayLike, contrast_factor) -> Array:
    r"""Blends the image with the mean of its grayscale version.

    .. math::
        \mathrm{out} = \mathrm{clamp}(f \cdot x + (1 - f)\,\overline{L}, 0,
        \mathrm{bound})

    where :math:`\overline{L}` is one scalar per image: the mean over ``(C, H, W)`` of
    the grayscale image (floored for ``uint8``), or of the image itself when ``C=1``.

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
        contrast_factor: non-negative number or per-image array; 0 gives a solid
            gray image, 1 the original.

    Returns:
        Image of the same shape and dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.adjust_contrast(jnp.array([[[0.0, 1.0]]]), 0.5)
        Array([[[0.25, 0.75]]], dtype=float32)

    PyTorch parity: ``torchvision.transforms.v2.functional.adjust_contrast``.
    """
    x, w, is_int, bound = _prepare(img, "adjust_contrast")
    f = _factor(contrast_factor, "contrast_factor", "adjust_contrast", x.shape)
    return _contrast(w, _as_working(f, w), is_int, bound).astype(x.dtype)


def adjust_saturation(img: ArrayLike, saturation_factor) -> Array:
    r"""Blends the image with its grayscale version.

    .. math::
        \mathrm{out} = \mathrm{clamp}(f \cdot x + (1 - f)\,L, 0, \mathrm{bound})

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
            One-channel images are returned unchanged.
        saturation_factor: non-negative number or per-image array; 0 gives a gray
            image, 1 the original, 2 doubles the saturation.

    Returns:
        Image of the same shape and dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.adjust_saturation(jnp.array([1.0, 0.0, 0.0])[:, None, None], 0.0)[:, 0, 0]
        Array([0.2989, 0.2989, 0.2989], dtype=float32)

    PyTorch parity: ``torchvision.transforms.v2.functional.adjust_saturation``.
    """
    x, w, is_int, bound = _prepare(img, "adjust_saturation")
    f = _factor(saturation_factor, "saturation_factor", "adjust_saturation", x.shape)
    return _saturation(w, _as_working(f, w), is_int, bound).astype(x.dtype)


def adjust_hue(img: ArrayLike, hue_factor) -> Array:
    r"""Shifts the hue channel in HSV space (Pillow's model) by ``hue_factor``.

    .. math::
        H' = (H + f) \bmod 1

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
            One-channel images are returned unchanged. Only meaningful for
            non-negative values.
        hue_factor: number in [-0.5, 0.5] or per-image array; 0.5 and -0.5 give the
            complementary colours.

    Returns:
        Image of the same shape and dtype. Float results are not clamped to
        [0, 1] (the value channel passes through, as in torchvision); ``uint8``
        results are ``floor(255.999 * rgb)``.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.adjust_hue(jnp.array([1.0, 0.0, 0.0])[:, None, None], 1 / 3)[:, 0, 0]
        Array([0., 1., 0.], dtype=float32)

    PyTorch parity: ``torchvision.transforms.v2.functional.adjust_hue`` (float64
    images are computed in float64 here, float32 there).
    """
    x, w, is_int, _ = _prepare(img, "adjust_hue")
    f = _factor(hue_factor, "hue_factor", "adjust_hue", x.shape, hue=True)
    return _hue(w, _as_working(f, w), is_int).astype(x.dtype)


def rgb_to_hsv(img: ArrayLike) -> Array:
    r"""Converts RGB to HSV (Pillow's model; all three channels in [0, 1]).

    :math:`V = \max(R, G, B)`, :math:`S = (V - \min) / V` (0 where
    :math:`\max = \min`) and :math:`H` is the hexcone hue divided by 6, in [0, 1).

    Args:
        img: ``(..., 3, H, W)`` float image in [0, 1], or ``uint8`` (scaled by 1/255
            to float32 first).

    Returns:
        ``(..., 3, H, W)`` image holding ``(h, s, v)``, float (``img``'s dtype, or
        float32 for ``uint8`` input).

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.rgb_to_hsv(jnp.array([0.0, 0.5, 1.0])[:, None, None])[:, 0, 0]
        Array([0.5833334, 1.       , 1.       ], dtype=float32)

    PyTorch parity: torchvision's private ``_rgb_to_hsv`` (used by ``adjust_hue``).
    """
    x, w, is_int, _ = _prepare(img, "rgb_to_hsv", channels=(3,))
    if is_int:
        w = w * w.dtype.type(1.0 / 255.0)
    h, s, v = _rgb_to_hsv_planes(
        w[..., 0:1, :, :], w[..., 1:2, :, :], w[..., 2:3, :, :]
    )
    out = jnp.concatenate([h, s, v], axis=-3)
    return out if is_int else out.astype(x.dtype)


def hsv_to_rgb(img: ArrayLike) -> Array:
    r"""Converts HSV (all channels in [0, 1]) back to RGB; the inverse of :func:`rgb_to_hsv`.

    Args:
        img: ``(..., 3, H, W)`` float image holding ``(h, s, v)``.

    Returns:
        ``(..., 3, H, W)`` RGB image of the same dtype.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> image.hsv_to_rgb(jnp.array([0.5, 1.0, 1.0])[:, None, None])[:, 0, 0]
        Array([0., 1., 1.], dtype=float32)

    PyTorch parity: torchvision's private ``_hsv_to_rgb`` (``p``, ``q``, ``t``
    clamped to [0, 1]).
    """
    x = _check_image(img, "hsv_to_rgb", channels=(3,))
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(
            f"`hsv_to_rgb` expects a floating-point `img`, got dtype {x.dtype}."
        )
    w = x.astype(_working_dtype(x.dtype))
    rgb = _hsv_to_rgb_planes(w[..., 0:1, :, :], w[..., 1:2, :, :], w[..., 2:3, :, :])
    return jnp.concatenate(rgb, axis=-3).astype(x.dtype)


# --------------------------------------------------------------------------------------
# ColorJitter: parameter sampling and application in a given order.
# --------------------------------------------------------------------------------------


def _jitter_range(value, name, *, center=1.0, bound=(0.0, float("inf")), clip=True):
    """torchvision's ``ColorJitter._check_input``: a ``(lo, hi)`` pair, or ``None``."""
    if value is None:
        return None
    if _is_number(value) and not isinstance(value, bool):
        v = float(value)
        if not v >= 0:
            raise ValueError(
                f"`{name}` must be non-negative when it is a single number, got {value!r}."
            )
        lo, hi = center - v, center + v
        if clip:
            lo = max(lo, 0.0)
    elif (
        isinstance(value, list | tuple | np.ndarray)
        and np.shape(value) == (2,)
        and all(_is_number(v) and not isinstance(v, bool) for v in value)
    ):
        lo, hi = float(value[0]), float(value[1])
    else:
        raise TypeError(
            f"`{name}` must be a single number or a sequence (min, max) of 2 numbers, "
            f"got {value!r}."
        )
    if not bound[0] <= lo <= hi <= bound[1]:
        raise ValueError(
            f"`{name}` must give an increasing range within [{bound[0]}, {bound[1]}], "
            f"got ({lo}, {hi}) from {value!r}."
        )
    return None if lo == hi == center else (lo, hi)


def _jitter_ranges(brightness, contrast, saturation, hue):
    return (
        _jitter_range(brightness, "brightness"),
        _jitter_range(contrast, "contrast"),
        _jitter_range(saturation, "saturation"),
        _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5), clip=False),
    )


def color_jitter_params(
    key: ArrayLike,
    brightness=0,
    contrast=0,
    saturation=0,
    hue=0,
    *,
    shape: tuple[int, ...] = (),
) -> dict:
    r"""Samples ColorJitter's random order and factors (torchvision's ``make_params``).

    Ranges are torchvision's: a number ``x`` gives ``[max(0, 1 - x), 1 + x]`` for
    brightness, contrast and saturation and ``[-x, x]`` for hue; a ``(min, max)``
    pair is used as is. A range equal to the identity (``(1, 1)``, or ``(0, 0)`` for
    hue, and so every default 0) disables that op: its factor is ``None``.

    Args:
        key: a ``jax.random`` key.
        brightness: number or ``(min, max)``, non-negative.
        contrast: number or ``(min, max)``, non-negative.
        saturation: number or ``(min, max)``, non-negative.
        hue: number in [0, 0.5] or ``(min, max)`` within [-0.5, 0.5].
        shape: batch shape of independent draws; ``()`` draws one set for the whole
            batch, as torchvision does.

    Returns:
        A dict with ``order`` (int32 ``shape + (4,)``, each row a permutation of
        ``0, 1, 2, 3`` = brightness, contrast, saturation, hue) and
        ``brightness_factor``, ``contrast_factor``, ``saturation_factor``,
        ``hue_factor`` (float32 arrays of ``shape``, or ``None`` when disabled):
        exactly the keyword arguments of :func:`apply_color_jitter`.

    Examples:
        >>> import jax
        >>> from convjax import image
        >>> p = image.color_jitter_params(jax.random.key(0), brightness=0.4, hue=0.1)
        >>> sorted(p["order"].tolist()), p["contrast_factor"]
        ([0, 1, 2, 3], None)
        >>> bool(0.6 <= p["brightness_factor"] <= 1.4)
        True

    PyTorch parity: ``torchvision.transforms.v2.ColorJitter`` ranges, validation and
    ``make_params`` (``fn_idx = randperm(4)``, then one uniform draw per enabled
    factor); the random streams differ.
    """
    ranges = _jitter_ranges(brightness, contrast, saturation, hue)
    shape = tuple(int(n) for n in shape)
    k_order, k_factors = jax.random.split(key)
    # A uniform index into the 24 permutations: same law as randperm(4), and far
    # cheaper to compile than a sort-based shuffle.
    index = jax.random.randint(k_order, shape, 0, len(_PERMUTATIONS))
    params: dict[str, Array | None] = {"order": jnp.asarray(_PERMUTATIONS)[index]}
    u = jax.random.uniform(k_factors, (4,) + shape, jnp.float32)
    for i, (name, rng) in enumerate(zip(_NAMES, ranges, strict=True)):
        if rng is None:
            params[f"{name}_factor"] = None
        else:
            lo, hi = np.float32(rng[0]), np.float32(rng[1])
            params[f"{name}_factor"] = jnp.clip(u[i] * (hi - lo) + lo, lo, hi)
    return params


def _apply_op(op, x, f, is_int, bound):
    if op == _BRIGHTNESS:
        return _brightness(x, f, is_int, bound)
    if op == _CONTRAST:
        return _contrast(x, f, is_int, bound)
    if op == _SATURATION:
        return _saturation(x, f, is_int, bound)
    return _hue(x, f, is_int)


def _check_order(order, x):
    """Returns ``order`` as a static tuple (concrete (4,) input) or an int array."""
    if isinstance(order, jax.Array) and not isinstance(order, jax.core.Tracer):
        order = np.asarray(order)  # a concrete array (4 ints per image) is checked
    if isinstance(order, list | tuple | np.ndarray):
        o = np.asarray(order)
        if o.dtype.kind == "f":
            raise TypeError(f"`order` must be an integer array, got dtype {o.dtype}.")
        if not np.issubdtype(o.dtype, np.integer) or o.shape[-1:] != (4,):
            raise ValueError(
                f"`order` must hold permutations of (0, 1, 2, 3) on its last axis, "
                f"got {order!r}."
            )
        if not (np.sort(o, axis=-1) == np.arange(4)).all():
            raise ValueError(
                f"`order` must hold permutations of (0, 1, 2, 3), got {order!r}."
            )
        if o.ndim == 1:
            return tuple(int(v) for v in o)
    o = jnp.asarray(order)
    if not jnp.issubdtype(o.dtype, jnp.integer):
        raise TypeError(f"`order` must be an integer array, got dtype {o.dtype}.")
    lead = o.shape[:-1]
    if (
        o.ndim == 0
        or o.shape[-1] != 4
        or lead != x.shape[: len(lead)]
        or (len(lead) > x.ndim - 3)
    ):
        raise ValueError(
            f"`order` must have shape (4,) or batch_shape + (4,) with batch_shape a "
            f"prefix of the image's batch shape {x.shape[:-3]}, got shape {o.shape}."
        )
    return o


def _positions(order, enabled):
    """Position of each enabled op in ``order`` (int arrays of ``order.shape[:-1]``)."""
    steps = jnp.arange(4, dtype=order.dtype)
    return {e: jnp.sum(jnp.where(order == e, steps, 0), axis=-1) for e in enabled}


def _chain_select(x, order, enabled, factors, is_int, bound):
    """Data-dependent order without control flow: a fixed sequence of slots.

    The enabled brightness/contrast/saturation ops (``k`` of them) run in ``k``
    blend slots before the hue slot and ``k`` after it; every slot selects its op
    (or the identity) from the order, per image when ``order`` is batched. Hue is
    computed once, and every blend op has the same form
    ``clamp(f * x + (1 - f) * other)`` with ``other`` 0, the image's mean gray or
    the gray pixel, so a slot costs one fused blend.
    """
    pos = _positions(order, enabled)
    zero = jnp.zeros_like(pos[enabled[0]])
    rank = {
        e: sum(((pos[o] < pos[e]).astype(jnp.int32) for o in enabled if o != e), zero)
        for e in enabled
    }
    expand = (1,) * (x.ndim - (order.ndim - 1))

    def per_image(a):
        return a.reshape(a.shape + expand)

    blend_ops = [e for e in enabled if e != _HUE]
    has_hue = _HUE in enabled
    gray_ops = [e for e in blend_ops if e != _BRIGHTNESS]
    one = jnp.ones((), x.dtype)

    def slot(x, target):
        """Applies the blend op whose rank is ``target`` (identity if none)."""
        is_op = {e: per_image(rank[e] == target) for e in blend_ops}
        f = one
        for e in blend_ops:
            f = jnp.where(is_op[e], factors[e], f)
        other = jnp.zeros((), x.dtype)
        if gray_ops:
            g = _degenerate_gray(x, is_int) if x.shape[-3] == 3 else x
            if _SATURATION in gray_ops:
                other = jnp.where(is_op[_SATURATION], g, other)
            if _CONTRAST in gray_ops:
                other = jnp.where(is_op[_CONTRAST], _image_mean(g), other)
        y = _finish_int(_blend_raw(x, other, f, 1 - f, is_int), is_int, bound)
        active = is_op[blend_ops[0]]
        for e in blend_ops[1:]:
            active = active | is_op[e]
        return jnp.where(active, y, x)

    if not has_hue:
        for t in range(len(blend_ops)):
            x = slot(x, t)
        return x
    j = rank[_HUE]  # number of blend ops before hue
    for t in range(len(blend_ops)):
        x = slot(x, jnp.where(t < j, t, -1))
    x = _hue(x, factors[_HUE], is_int)
    for t in range(len(blend_ops)):
        x = slot(x, j + 1 + t)
    return x


def apply_color_jitter(
    img: ArrayLike,
    order,
    *,
    brightness_factor=None,
    contrast_factor=None,
    saturation_factor=None,
    hue_factor=None,
) -> Array:
    r"""Applies the enabled colour ops in the given order (torchvision's ``transform``).

    Deterministic twin of :func:`color_jitter`: ``apply_color_jitter(img,
    **color_jitter_params(key, ...))`` is ``color_jitter(key, img, ...)``. A factor
    of ``None`` skips that op entirely (no clamp either), as torchvision does for a
    disabled range.

    Args:
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
        order: permutation of ``(0, 1, 2, 3)`` (brightness, contrast, saturation,
            hue): a static sequence, an int array of shape ``(4,)`` shared by every
            image, or of shape ``batch_shape + (4,)`` (``batch_shape`` a prefix of
            the image's leading axes) for one order per image.
        brightness_factor: ``None``, a non-negative number or a per-image array.
        contrast_factor: ``None``, a non-negative number or a per-image array.
        saturation_factor: ``None``, a non-negative number or a per-image array.
        hue_factor: ``None``, a number in [-0.5, 0.5] or a per-image array.

    Returns:
        Image of the same shape and dtype; clamping (and ``uint8`` truncation)
        happens after every op.

    Examples:
        >>> import jax.numpy as jnp
        >>> from convjax import image
        >>> x = jnp.full((3, 1, 1), 0.8)
        >>> image.apply_color_jitter(x, (0, 1, 2, 3), brightness_factor=1.5)[:, 0, 0]
        Array([1., 1., 1.], dtype=float32)

    PyTorch parity: ``ColorJitter.transform(img, params)`` with ``params =
    dict(fn_idx=order, brightness_factor=..., ...)``.
    """
    x, w, is_int, bound = _prepare(img, "apply_color_jitter")
    names = [f"{n}_factor" for n in _NAMES]
    raw = (brightness_factor, contrast_factor, saturation_factor, hue_factor)
    factors = [
        None
        if v is None
        else _as_working(
            _factor(v, n, "apply_color_jitter", x.shape, hue=(op == _HUE)), w
        )
        for op, (n, v) in enumerate(zip(names, raw, strict=True))
    ]
    order = _check_order(order, x)
    enabled = [op for op in range(4) if factors[op] is not None]
    if x.shape[-3] == 1:  # saturation and hue are exact identities on one channel
        enabled = [op for op in enabled if op in (_BRIGHTNESS, _CONTRAST)]
    if isinstance(order, tuple) and any(
        not isinstance(factors[e], float) for e in enabled
    ):
        # Measured on XLA:CPU: the op-by-op chain with *traced* factors compiles to
        # code ~2.5x slower than the select chain given a constant order (same numbers).
        order = jnp.asarray(order, jnp.int32)
    if isinstance(order, tuple) or len(enabled) <= 1:
        static = order if isinstance(order, tuple) else enabled
        for op in static:
            if op in enabled:
                w = _apply_op(op, w, factors[op], is_int, bound)
    else:
        w = _chain_select(w, order, enabled, factors, is_int, bound)
    return w.astype(x.dtype)


def color_jitter(
    key: ArrayLike,
    img: ArrayLike,
    brightness=0,
    contrast=0,
    saturation=0,
    hue=0,
    *,
    per_sample: bool = False,
) -> Array:
    r"""Randomly changes brightness, contrast, saturation and hue, in a random order.

    Each enabled op draws its factor uniformly from its range (a number ``x`` gives
    ``[max(0, 1 - x), 1 + x]``, or ``[-x, x]`` for hue; a ``(min, max)`` pair is used
    as is) and the four ops are applied in a random order, clamping after each.

    Args:
        key: a ``jax.random`` key.
        img: ``(..., C, H, W)`` image, ``C`` 1 or 3, float in [0, 1] or ``uint8``.
        brightness: number or ``(min, max)``, non-negative.
        contrast: number or ``(min, max)``, non-negative.
        saturation: number or ``(min, max)``, non-negative.
        hue: number in [0, 0.5] or ``(min, max)`` within [-0.5, 0.5].
        per_sample: if False (default, like torchvision) one order and one set of
            factors is drawn per call and shared by the whole batch; if True every
            image along the leading axis gets its own.

    Returns:
        Image of the same shape and dtype.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from convjax import image
        >>> x = jnp.full((2, 3, 4, 4), 0.5)
        >>> y = image.color_jitter(jax.random.key(0), x, 0.4, 0.4, 0.4, 0.1)
        >>> y.shape, y.dtype
        ((2, 3, 4, 4), dtype('float32'))

    PyTorch parity: ``torchvision.transforms.v2.ColorJitter`` (same ranges,
    validation, random order and clamping; different random streams).
    ``per_sample=True`` has no torchvision equivalent. Use
    :func:`color_jitter_params` and :func:`apply_color_jitter` to fix the draws.
    """
    x = _check_image(img, "color_jitter")
    if not isinstance(per_sample, bool):
        raise TypeError(f"`per_sample` must be a bool, got {per_sample!r}.")
    shape = x.shape[:1] if (per_sample and x.ndim > 3) else ()
    params = color_jitter_params(
        key, brightness, contrast, saturation, hue, shape=shape
    )
    return apply_color_jitter(x, **params)
