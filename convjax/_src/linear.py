"""``linear``: PyTorch's ``F.linear`` with its ``(out_features, in_features)`` weight."""

from __future__ import annotations

import jax.numpy as jnp

from convjax._src.checks import check_not_bool
from convjax._src.typing import Array, ArrayLike


def linear(input: ArrayLike, weight: ArrayLike, bias: ArrayLike | None = None) -> Array:
    """Affine map over the last axis, PyTorch's weight layout.

    .. math::
        y = x W^\\top + b

    Args:
      input: ``(*, in_features)``.
      weight: ``(out_features, in_features)`` (PyTorch's layout), or
        ``(in_features,)`` for a single output without its own axis.
      bias: optional ``(out_features,)`` (or a scalar for a 1-D ``weight``).

    Returns:
      ``(*, out_features)`` (``(*,)`` for a 1-D ``weight``), dtype of the inputs
      promoted.

    Raises:
      ValueError: ``weight`` not 1-D or 2-D, ``in_features`` not matching the last
        axis of ``input``, or a ``bias`` of the wrong shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> linear(jnp.ones((2, 3)), jnp.ones((4, 3)), jnp.arange(4.0))
      Array([[3., 4., 5., 6.],
             [3., 4., 5., 6.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.linear``.
    """
    x = jnp.asarray(input)
    w = jnp.asarray(weight)
    if w.ndim not in (1, 2):
        raise ValueError(
            f"`linear`: `weight` must be 2-D (out_features, in_features) or 1-D, got "
            f"shape {w.shape}."
        )
    if x.ndim < 1 or x.shape[-1] != w.shape[-1]:
        raise ValueError(
            f"`linear`: `input` of shape {x.shape} does not match `weight` of shape "
            f"{w.shape}: the last axis of `input` must be in_features={w.shape[-1]}."
        )
    check_not_bool(x, "linear", "input")
    check_not_bool(w, "linear", "weight")
    out_shape = w.shape[:1] if w.ndim == 2 else ()
    dtype = jnp.result_type(x, w) if bias is None else jnp.result_type(x, w, bias)
    y = jnp.matmul(x.astype(dtype), w.astype(dtype).T)
    if bias is None:
        return y
    b = jnp.asarray(bias)
    if b.shape != out_shape:
        raise ValueError(
            f"`linear`: `bias` must have shape {out_shape}, got {b.shape}."
        )
    return y + b.astype(dtype).reshape((1,) * (y.ndim - b.ndim) + b.shape)
