"""Key-driven dropout: ``dropout``, channel-wise ``dropout1d/2d/3d`` and
torchvision's ``stochastic_depth``.

Each function takes a JAX PRNG ``key`` and draws its keep mask as
``jax.random.bernoulli(key, 1 - p, mask_shape)`` (``True`` = kept), so a mask can be
rebuilt from the same key. Kept values are scaled by ``1 / (1 - p)``.

Shape legend: N batch, C channels, L/H/W/D spatial.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp

from convjax._src.checks import check_choice
from convjax._src.typing import Array, ArrayLike


def _check_p(p, fn: str, what: str = "dropout") -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"`{fn}`: `p` must be a real number, got {p!r}.")
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(
            f"`{fn}`: {what} probability `p` has to be between 0 and 1, but got {p!r}."
        )
    return value


def _check_training(training, fn: str) -> bool:
    if not isinstance(training, bool):
        raise TypeError(f"`{fn}`: `training` must be a Python bool, got {training!r}.")
    return training


def _masked(x, key, p: float, mask_shape, fn: str):
    """``x * mask / (1 - p)`` with ``mask ~ Bernoulli(1 - p)`` of ``mask_shape``."""
    if key is None:
        raise ValueError(
            f"`{fn}` with `training=True` and 0 < p < 1 needs a PRNG `key` "
            "(e.g. `key=jax.random.key(0)`)."
        )
    keep = jax.random.bernoulli(key, 1.0 - p, mask_shape)
    scale = jnp.asarray(1.0 / (1.0 - p), x.dtype)
    return jnp.where(keep, x * scale, jnp.zeros_like(x))


def _float_input(input, fn: str):
    x = jnp.asarray(input)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(
            f"`{fn}` expects a floating-point `input` (PyTorch cannot scale integers "
            f"in place), got dtype {x.dtype}."
        )
    return x


def dropout(
    input: ArrayLike,
    p: float = 0.5,
    training: bool = True,
    *,
    key: ArrayLike | None = None,
) -> Array:
    """Zeroes each element with probability ``p`` and scales the rest by ``1/(1-p)``.

    .. math::
        y = x \\cdot m / (1 - p), \\qquad m \\sim \\mathrm{Bernoulli}(1 - p)

    Args:
      input: any shape, floating.
      p: drop probability in ``[0, 1]``.
      training: apply dropout; ``False`` returns ``input`` unchanged.
      key: a JAX PRNG key; the mask is ``jax.random.bernoulli(key, 1 - p,
        input.shape)``. Required when ``training`` and ``0 < p < 1``.

    Returns:
      Same shape and dtype as ``input``; ``p == 1`` gives zeros, ``p == 0`` (or
      ``training=False``) the input.

    Raises:
      ValueError: ``p`` outside ``[0, 1]``; a needed ``key`` missing.
      TypeError: non-floating ``input`` in training.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> y = dropout(jnp.ones(8), 0.5, key=jax.random.key(0))
      >>> bool(((y == 0) | (y == 2)).all())
      True
      >>> print(dropout(jnp.ones(3), 0.5, training=False))
      [1. 1. 1.]

    PyTorch parity: ``torch.nn.functional.dropout`` (no ``inplace``; random
    streams differ).
    """
    return _dropout("dropout", input, p, training, key, None)


def _dropout(fn, input, p, training, key, ranks):
    p = _check_p(p, fn)
    training = _check_training(training, fn)
    x = jnp.asarray(input)
    if ranks is not None and x.ndim not in ranks:
        raise ValueError(
            f"`{fn}` expects a {ranks[0]}D (unbatched) or {ranks[1]}D (batched) "
            f"input, got shape {x.shape}."
        )
    if not training or p == 0.0:
        return x
    x = _float_input(x, fn)
    if p == 1.0:
        return jnp.zeros_like(x)
    if ranks is None:
        mask_shape = x.shape
    elif fn == "dropout2d" or x.ndim == ranks[1]:
        # One draw per (dim 0, dim 1) pair; PyTorch's dropout2d reads a 3D input as
        # (N, C, L) (channel-wise 1D dropout), so do we.
        mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)
    else:  # unbatched (C, *spatial): one draw per channel
        mask_shape = x.shape[:1] + (1,) * (x.ndim - 1)
    return _masked(x, key, p, mask_shape, fn)


_CHANNEL_DOC = """Channel-wise dropout over {what}: zeroes whole channels.

    Each channel of each sample (``x[n, c]``) is zeroed with probability ``p``; kept
    channels are scaled by ``1 / (1 - p)``. The mask is
    ``jax.random.bernoulli(key, 1 - p, (N, C{ones}))`` ({unbatched}).

    Args:
      input: {shapes}, floating.
      p: drop probability in ``[0, 1]``.
      training: apply dropout; ``False`` returns ``input`` unchanged.
      key: a JAX PRNG key, required when ``training`` and ``0 < p < 1``.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: another rank, ``p`` outside ``[0, 1]``, a needed ``key`` missing.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> y = {name}(jnp.ones({example}), 0.5, key=jax.random.key(0))
      >>> bool(((y == 0) | (y == 2)).all()), y.shape
      (True, {example})

    PyTorch parity: ``torch.nn.functional.{name}`` (no ``inplace``){extra}.
    """


def dropout1d(
    input: ArrayLike,
    p: float = 0.5,
    training: bool = True,
    *,
    key: ArrayLike | None = None,
) -> Array:
    return _dropout("dropout1d", input, p, training, key, (2, 3))


def dropout2d(
    input: ArrayLike,
    p: float = 0.5,
    training: bool = True,
    *,
    key: ArrayLike | None = None,
) -> Array:
    return _dropout("dropout2d", input, p, training, key, (3, 4))


def dropout3d(
    input: ArrayLike,
    p: float = 0.5,
    training: bool = True,
    *,
    key: ArrayLike | None = None,
) -> Array:
    return _dropout("dropout3d", input, p, training, key, (4, 5))


dropout1d.__doc__ = _CHANNEL_DOC.format(
    what="``(N, C, L)`` inputs",
    ones=", 1",
    unbatched="an unbatched ``(C, L)`` input uses ``(C, 1)``",
    shapes="``(N, C, L)`` or ``(C, L)``",
    name="dropout1d",
    example="(2, 3, 4)",
    extra="",
)
dropout2d.__doc__ = _CHANNEL_DOC.format(
    what="``(N, C, H, W)`` inputs",
    ones=", 1, 1",
    unbatched="a 3D input is read as ``(N, C, L)`` with mask ``(N, C, 1)``, as "
    "PyTorch does today",
    shapes="``(N, C, H, W)`` or 3D",
    name="dropout2d",
    example="(2, 3, 4, 4)",
    extra="; inputs other than 3D/4D raise (PyTorch warns they are deprecated)",
)
dropout3d.__doc__ = _CHANNEL_DOC.format(
    what="``(N, C, D, H, W)`` inputs",
    ones=", 1, 1, 1",
    unbatched="an unbatched ``(C, D, H, W)`` input uses ``(C, 1, 1, 1)``",
    shapes="``(N, C, D, H, W)`` or ``(C, D, H, W)``",
    name="dropout3d",
    example="(2, 3, 2, 2, 2)",
    extra="; inputs other than 4D/5D raise (PyTorch warns they are deprecated)",
)


def stochastic_depth(
    input: ArrayLike,
    p: float,
    mode: str,
    training: bool = True,
    *,
    key: ArrayLike | None = None,
) -> Array:
    """Stochastic depth: randomly drops whole residual branches (per row or batch).

    With survival rate ``s = 1 - p``, the input is multiplied by
    ``m / s`` (``m`` alone when ``s == 0``), ``m ~ Bernoulli(s)`` drawn as
    ``jax.random.bernoulli(key, s, shape)`` with ``shape = (N, 1, ..., 1)`` in
    ``"row"`` mode (one draw per sample) and ``(1, ..., 1)`` in ``"batch"`` mode
    (one draw for the whole batch).

    Args:
      input: ``(N, ...)``, floating.
      p: drop probability in ``[0, 1]``.
      mode: ``"row"`` or ``"batch"``.
      training: apply it; ``False`` (or ``p == 0``) returns ``input``.
      key: a JAX PRNG key, required when it applies.

    Returns:
      Same shape and dtype as ``input``.

    Raises:
      ValueError: ``p`` outside ``[0, 1]``, another ``mode``, a needed ``key``
        missing.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> y = stochastic_depth(jnp.ones((4, 2)), 0.5, "row", key=jax.random.key(1))
      >>> bool((y[:, 0] == y[:, 1]).all()), sorted(set(y.ravel().tolist()))
      (True, [0.0, 2.0])

    PyTorch parity: ``torchvision.ops.stochastic_depth`` (random streams differ).
    """
    fn = "stochastic_depth"
    p = _check_p(p, fn, "drop")
    check_choice(mode, ("batch", "row"), "mode")
    training = _check_training(training, fn)
    x = jnp.asarray(input)
    if not training or p == 0.0:
        return x
    x = _float_input(x, fn)
    if key is None:
        raise ValueError(f"`{fn}` with `training=True` and p > 0 needs a PRNG `key`.")
    survival = 1.0 - p
    if mode == "row":
        if x.ndim == 0:
            raise ValueError(f"`{fn}`: `row` mode needs a batch axis, got a 0-d input.")
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    else:
        shape = (1,) * x.ndim
    noise = jax.random.bernoulli(key, survival, shape).astype(x.dtype)
    if survival > 0.0:
        noise = noise / jnp.asarray(survival, x.dtype)
    return x * noise


__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "stochastic_depth"]
