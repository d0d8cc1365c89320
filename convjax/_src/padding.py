"""``pad``: PyTorch's ``F.pad`` (constant, reflect, replicate, circular)."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
from jax import lax

from convjax._src.checks import check_choice
from convjax._src.typing import Array, ArrayLike

_MODES = ("constant", "reflect", "replicate", "circular")
_JNP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(
    input: ArrayLike,
    pad: Sequence[int],
    mode: str = "constant",
    value: float | None = None,
) -> Array:
    """Pads the trailing dimensions of ``input``, PyTorch style.

    ``pad`` lists ``(left, right)`` amounts starting from the *last* dimension and
    moving backwards: ``(l_W, r_W, l_H, r_H, ...)``. Constant padding may be
    negative (it crops). ``reflect`` mirrors without repeating the edge,
    ``replicate`` repeats the edge, ``circular`` wraps around.

    Args:
      input: array of any rank (non-constant modes: 2-3 dims for a length-2 ``pad``,
        3-4 for length 4, 4-5 for length 6, as in PyTorch).
      pad: even-length sequence of ints, at most ``2 * input.ndim`` long.
      mode: ``"constant" | "reflect" | "replicate" | "circular"``.
      value: fill value for ``"constant"`` (default 0).

    Returns:
      The padded array, same dtype.

    Raises:
      ValueError: odd or too long ``pad``, unknown ``mode``, ``value`` with a
        non-constant mode, reflect padding not smaller than the dimension, circular
        padding larger than the dimension, or an unsupported rank for the mode.

    Examples:
      >>> import jax.numpy as jnp
      >>> pad(jnp.arange(4.0).reshape(1, 4), (2, 1), mode="reflect")
      Array([[2., 1., 0., 1., 2., 3., 2.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.pad``, including its error cases.
    """
    x = jnp.asarray(input)
    check_choice(mode, _MODES, "mode")
    pad = tuple(pad)
    if any(not isinstance(p, int) or isinstance(p, bool) for p in pad):
        raise TypeError(f"`pad` must be a sequence of ints, got {pad!r}.")
    if len(pad) % 2:
        raise ValueError(f"`pad` length must be divisible by 2, got {len(pad)}: {pad}.")
    if len(pad) > 2 * x.ndim:
        raise ValueError(
            f"`pad` length ({len(pad)}) must be at most twice the input rank "
            f"({x.ndim})."
        )
    npairs = len(pad) // 2
    # pairs[i] pads dimension ndim - npairs + i (pad lists the last dimension first).
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in reversed(range(npairs))]
    widths = [(0, 0)] * (x.ndim - npairs) + pairs

    for axis, (size, (lo, hi)) in enumerate(zip(x.shape, widths, strict=True)):
        if size + lo + hi < 0:
            raise ValueError(
                f"`pad` {pad} crops dim {axis} of size {size} to {size + lo + hi}: "
                "negative padding may remove at most the whole dim."
            )
    if mode == "constant":
        fill = jnp.asarray(0 if value is None else value, x.dtype)
        return lax.pad(x, fill, [(lo, hi, 0) for lo, hi in widths])

    if value is not None and value != 0:
        raise ValueError(
            f"`value` is only used with mode='constant', got mode={mode!r}."
        )
    if not (npairs in (1, 2, 3) and x.ndim in (npairs + 1, npairs + 2)):
        raise ValueError(
            f"mode={mode!r} pads 1, 2 or 3 trailing dims of a 2-3, 3-4 or 4-5 dim "
            f"input; got `pad` of length {len(pad)} for input of shape {x.shape}."
        )
    for axis in range(x.ndim - npairs, x.ndim):
        lo, hi = widths[axis]
        size = x.shape[axis]
        if lo < 0 or hi < 0:
            raise ValueError(
                f"`pad` must be non-negative for mode={mode!r}, got {pad}."
            )
        if mode == "reflect" and max(lo, hi) >= size:
            raise ValueError(
                f"`pad`: reflect padding ({lo}, {hi}) must be smaller than the "
                f"dimension size {size} (axis {axis} of input shape {x.shape})."
            )
        if mode == "circular" and max(lo, hi) > size:
            raise ValueError(
                f"`pad`: circular padding ({lo}, {hi}) wraps around more than once "
                f"for dimension size {size} (axis {axis} of input shape {x.shape})."
            )
        if mode == "replicate" and size == 0:
            raise ValueError(f"`pad`: cannot replicate-pad an empty axis {axis}.")
    return jnp.pad(x, widths, mode=_JNP_MODE[mode])
