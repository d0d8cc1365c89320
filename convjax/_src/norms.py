"""Normalizations besides batch norm: ``layer_norm``, ``group_norm``,
``instance_norm``, ``local_response_norm``, ``normalize``; and ``channel_shuffle``.

Statistics (mean and biased variance, two passes) are computed in at least float32
and the output keeps the input dtype. ``instance_norm`` is PyTorch's own
construction: batch norm of the input reshaped to ``(1, N*C, *spatial)``, so it
reuses :func:`convjax.functional.batch_norm`.

Shape legend: N batch, C channels, G groups, S spatial size(s).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
from jax import lax

from convjax._src.checks import check_count, check_floating, check_real
from convjax._src.normalization import _check_stat, batch_norm
from convjax._src.typing import Array, ArrayLike


def _moments(xs, axes):
    """Mean and biased variance over ``axes`` (two passes, keepdims)."""
    mean = jnp.mean(xs, axes, keepdims=True)
    centred = xs - mean
    return mean, jnp.mean(centred * centred, axes, keepdims=True)


def _check_eps(eps, fn: str) -> float:
    eps = check_real(eps, "eps", fn)
    if not eps >= 0:
        raise ValueError(f"`{fn}`: `eps` must be non-negative, got {eps!r}.")
    return eps


def _floating(input, fn: str):
    x = jnp.asarray(input)
    check_floating(x, fn)
    return x, x.astype(jnp.promote_types(x.dtype, jnp.float32))


def layer_norm(
    input: ArrayLike,
    normalized_shape,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> Array:
    """Layer normalization over the trailing ``normalized_shape`` dims.

    .. math::
        y = \\frac{x - \\mathrm{E}[x]}{\\sqrt{\\mathrm{Var}[x] + \\epsilon}}
            \\cdot w + b

    with mean and biased variance over the last ``len(normalized_shape)`` dims.

    Args:
      input: ``(*, *normalized_shape)``, floating.
      normalized_shape: an int or a tuple of ints, the trailing shape.
      weight, bias: optional, of shape ``normalized_shape``.
      eps: added to the variance.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: trailing shape different from ``normalized_shape``; ``weight``/
        ``bias`` of another shape; negative ``eps``.
      TypeError: non-floating input.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(layer_norm(jnp.array([[0.0, 2.0], [1.0, 1.0]]), 2))
      [[-0.999995  0.999995]
       [ 0.        0.      ]]

    PyTorch parity: ``torch.nn.functional.layer_norm``.
    """
    fn = "layer_norm"
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, int | np.integer)
        else tuple(normalized_shape)
    )
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) for s in shape
    ):
        raise ValueError(
            f"`{fn}`: `normalized_shape` must be an int or a non-empty tuple of ints, "
            f"got {normalized_shape!r}."
        )
    x, xs = _floating(input, fn)
    k = len(shape)
    if x.shape[x.ndim - k :] != shape or x.ndim < k:
        raise ValueError(
            f"`{fn}`: given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {x.shape}."
        )
    eps = _check_eps(eps, fn)
    for name, v in (("weight", weight), ("bias", bias)):
        if v is not None and jnp.shape(v) != shape:
            raise ValueError(
                f"`{fn}`: `{name}` must have shape {shape} (normalized_shape), got "
                f"{jnp.shape(v)}."
            )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean, var = _moments(xs, axes)
    y = (xs - mean) * lax.rsqrt(var + eps)
    lead = (1,) * (x.ndim - k)
    if weight is not None:
        y = y * jnp.asarray(weight).astype(xs.dtype).reshape(lead + shape)
    if bias is not None:
        y = y + jnp.asarray(bias).astype(xs.dtype).reshape(lead + shape)
    return y.astype(x.dtype)


def _check_channels(
    v: ArrayLike | None, name: str, channels: int, fn: str
) -> Array | None:
    return None if v is None else _check_stat(v, name, channels, fn)


def _per_channel(v, ndim):
    """``(C,)`` -> broadcastable over ``(N, C, *spatial)``."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def group_norm(
    input: ArrayLike,
    num_groups: int,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    eps: float = 1e-5,
) -> Array:
    """Group normalization: statistics per sample over each group of channels.

    The ``C`` channels are split into ``num_groups`` contiguous groups; each
    ``(sample, group)`` is normalized with the mean and biased variance of its
    ``C/G * prod(S)`` values, then ``weight``/``bias`` apply per channel.

    Args:
      input: ``(N, C, *spatial)``, floating; ``C`` divisible by ``num_groups``.
      num_groups: ``G``.
      weight, bias: optional ``(C,)``.
      eps: added to the variance.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: rank < 2, ``C % G != 0``, ``weight``/``bias`` not ``(C,)``.
      TypeError: non-floating input.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(group_norm(jnp.array([[1.0, 3.0, 5.0, 5.0]]), 2))
      [[-0.999995  0.999995  0.        0.      ]]

    PyTorch parity: ``torch.nn.functional.group_norm``.
    """
    fn = "group_norm"
    x, xs = _floating(input, fn)
    if x.ndim < 2:
        raise ValueError(
            f"`{fn}` expects an input of at least 2 dims (N, C, *), got shape {x.shape}."
        )
    groups = check_count(num_groups, "num_groups", fn)
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(
            f"`{fn}`: expected number of channels in input to be divisible by "
            f"`num_groups`, but got input of shape {x.shape} and num_groups={groups}."
        )
    w = _check_channels(weight, "weight", c, fn)
    b = _check_channels(bias, "bias", c, fn)
    eps = _check_eps(eps, fn)
    grouped = xs.reshape((n, groups, x.size // max(n * groups, 1)))  # [N, G, C/G*S]
    mean, var = _moments(grouped, (2,))
    y = ((grouped - mean) * lax.rsqrt(var + eps)).reshape(x.shape)
    if w is not None:
        y = y * _per_channel(w.astype(xs.dtype), x.ndim)
    if b is not None:
        y = y + _per_channel(b.astype(xs.dtype), x.ndim)
    return y.astype(x.dtype)


def instance_norm(
    input: ArrayLike,
    running_mean: ArrayLike | None = None,
    running_var: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> tuple[Array, Array | None, Array | None]:
    """Instance normalization: statistics per sample and channel over space.

    With ``use_input_stats`` each ``(n, c)`` plane is normalized with its own mean
    and biased variance, and running statistics (when given) are updated as batch
    norm does with the batch average of the per-instance statistics (unbiased
    variance). Otherwise the running statistics normalize.

    Args:
      input: ``(N, C, *spatial)``, floating.
      running_mean, running_var: optional ``(C,)`` (both or neither).
      weight, bias: optional ``(C,)``.
      use_input_stats: normalize with the input's statistics.
      momentum: running-statistics update factor.
      eps: added to the variance.

    Returns:
      ``(y, new_running_mean, new_running_var)`` as
      :func:`convjax.functional.batch_norm` returns them (the running stats
      unchanged when not updated, ``None`` when given as ``None``).

    Raises:
      ValueError: rank < 3 (rank 2 is the unbatched form of the modules), a
        single spatial element with ``use_input_stats``, ``use_input_stats=False``
        without running stats, bad stat shapes.

    Examples:
      >>> import jax.numpy as jnp
      >>> y, _, _ = instance_norm(jnp.array([[[0.0, 2.0], [1.0, 1.0]]]))
      >>> print(y)
      [[[-0.999995  0.999995]
        [ 0.        0.      ]]]

    PyTorch parity: ``torch.nn.functional.instance_norm``, returning the new
    running statistics instead of updating them in place.
    """
    fn = "instance_norm"
    x, _ = _floating(input, fn)
    if x.ndim < 3:
        raise ValueError(
            f"`{fn}` expects an input of at least 3 dims (N, C, *spatial), got shape "
            f"{x.shape}."
        )
    if not isinstance(use_input_stats, bool):
        raise TypeError(
            f"`{fn}`: `use_input_stats` must be a Python bool, got {use_input_stats!r}."
        )
    if use_input_stats and math.prod(x.shape[2:]) <= 1:
        raise ValueError(
            f"`{fn}`: expected more than 1 spatial element when training, got input "
            f"size {x.shape}."
        )
    n, c = x.shape[:2]
    for name, v in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_channels(v, name, c, fn)

    def tile(v):
        return None if v is None else jnp.tile(jnp.asarray(v), n)

    y, rm, rv = batch_norm(
        x.reshape((1, n * c) + x.shape[2:]),
        tile(running_mean),
        tile(running_var),
        tile(weight),
        tile(bias),
        use_input_stats,
        momentum,
        eps,
    )
    y = y.reshape(x.shape)
    if running_mean is None:
        return y, None, None
    if not use_input_stats:
        return y, jnp.asarray(running_mean), jnp.asarray(running_var)
    # PyTorch averages the per-instance running statistics over the batch.
    assert rm is not None and rv is not None  # running stats given and updated
    return y, rm.reshape(n, c).mean(0), rv.reshape(n, c).mean(0)


def local_response_norm(
    input: ArrayLike,
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Array:
    """Local response normalization across channels (AlexNet's LRN).

    .. math::
        y_c = x_c \\Big/ \\Bigl(k + \\frac{\\alpha}{n}
            \\sum_{c' = c - \\lfloor n/2 \\rfloor}^{c + \\lfloor (n-1)/2 \\rfloor}
            x_{c'}^2\\Bigr)^{\\beta}

    with ``n = size`` and channels outside ``[0, C)`` counted as zeros (the sum is
    always divided by ``n``).

    Args:
      input: ``(N, C, *spatial)`` with at least one spatial dim, floating.
      size: ``n``, the number of neighbouring channels.
      alpha, beta, k: as above.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: rank < 3, ``size`` not a positive int.

    Examples:
      >>> import jax.numpy as jnp
      >>> y = local_response_norm(jnp.ones((1, 3, 1)), 2, alpha=1.0, beta=1.0)
      >>> print(y.ravel())
      [0.6666667 0.5       0.5      ]

    PyTorch parity: ``torch.nn.functional.local_response_norm``.
    """
    fn = "local_response_norm"
    x, xs = _floating(input, fn)
    if x.ndim < 3:
        raise ValueError(
            f"`{fn}`: expected 3D or higher dimensionality input (got {x.ndim} "
            "dimensions)."
        )
    size = check_count(size, "size", fn)
    for name, v in (("alpha", alpha), ("beta", beta), ("k", k)):
        check_real(v, name, fn)
    if x.size == 0:
        return x
    window = (1, size) + (1,) * (x.ndim - 2)
    pads = ((0, 0), (size // 2, (size - 1) // 2)) + ((0, 0),) * (x.ndim - 2)
    sums = lax.reduce_window(xs * xs, 0.0, lax.add, window, (1,) * x.ndim, pads)
    div = (sums * (alpha / size) + k) ** beta
    return (xs / div).astype(x.dtype)


def normalize(
    input: ArrayLike,
    p: float = 2.0,
    dim: int = 1,
    eps: float = 1e-12,
) -> Array:
    """``x / max(||x||_p, eps)`` along ``dim``.

    Args:
      input: any shape (rank >= 1), floating.
      p: the norm's exponent (``float("inf")`` for the max norm).
      dim: the axis.
      eps: lower bound of the divisor.

    Returns:
      Same shape and dtype as ``input``. A zero vector stays zero, with gradient
      ``1 / eps`` as PyTorch's (not NaN).

    Raises:
      ValueError: ``dim`` out of range.
      TypeError: non-floating input.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(normalize(jnp.array([[3.0, 4.0], [0.0, 0.0]])))
      [[0.6 0.8]
       [0.  0. ]]

    PyTorch parity: ``torch.nn.functional.normalize``.
    """
    fn = "normalize"
    x, xs = _floating(input, fn)
    p = check_real(p, "p", fn)
    eps = check_real(eps, "eps", fn)
    ndim = max(x.ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -ndim <= dim < ndim:
        raise ValueError(
            f"`{fn}`: `dim` out of range for an input of shape {x.shape}, got {dim!r}."
        )
    if x.ndim == 0:
        xs = xs[None]
    a = xs * jnp.sign(xs)  # |x| with PyTorch's gradient 0 at 0 (jnp.abs has 1)
    if math.isinf(p):
        norm = (jnp.max if p > 0 else jnp.min)(a, dim, keepdims=True)
    elif p == 0:
        norm = jnp.sum((a != 0).astype(xs.dtype), dim, keepdims=True)
    elif p == 1:
        norm = jnp.sum(a, dim, keepdims=True)
    else:
        s = jnp.sum(a**p, dim, keepdims=True)
        safe = jnp.where(s > 0, s, 1.0)  # the root's gradient at 0 is infinite
        norm = jnp.where(s > 0, safe ** (1.0 / p), 0.0)
    y = xs / jnp.maximum(norm, eps)
    return (y[0] if x.ndim == 0 else y).astype(x.dtype)


def channel_shuffle(input: ArrayLike, groups: int) -> Array:
    """Shuffles channels: ``(N, G * K, *) -> (N, K * G, *)``, ShuffleNet's op.

    Channel ``g * K + k`` of the input becomes channel ``k * G + g``: a reshape to
    ``(N, G, K, *)``, a swap of those two axes and a reshape back.

    Args:
      input: ``(N, C, *spatial)`` with at least one spatial dim, any dtype.
      groups: ``G``, dividing ``C``.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: rank < 3, ``groups`` not positive or not dividing ``C``.

    Examples:
      >>> import jax.numpy as jnp
      >>> channel_shuffle(jnp.arange(6).reshape(1, 6, 1), 2).ravel().tolist()
      [0, 3, 1, 4, 2, 5]

    PyTorch parity: ``torch.nn.functional.channel_shuffle``.
    """
    fn = "channel_shuffle"
    x = jnp.asarray(input)
    if x.ndim < 3:
        raise ValueError(f"`{fn}` expects an input with > 2 dims, got shape {x.shape}.")
    groups = check_count(groups, "groups", fn)
    n, c = x.shape[:2]
    if c % groups:
        raise ValueError(
            f"`{fn}`: number of channels must be divisible by `groups`. Got {c} "
            f"channels and {groups} groups."
        )
    y = x.reshape((n, groups, c // groups) + x.shape[2:])
    return jnp.swapaxes(y, 1, 2).reshape(x.shape)


__all__ = [
    "channel_shuffle",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "normalize",
]
