"""``one_hot``, ``embedding`` (with ``padding_idx``, ``max_norm``,
``scale_grad_by_freq``) and the ``upsample*`` aliases of ``interpolate``.

Shape legend: V ``num_embeddings``, D ``embedding_dim``, ``*`` any index shape.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from convjax._src.checks import check_real
from convjax._src.losses import _host_values
from convjax._src.pool_indices import index_dtype
from convjax._src.resample import interpolate
from convjax._src.typing import Array, ArrayLike


def _check_int(x, name, fn):
    if not jnp.issubdtype(x.dtype, jnp.integer):
        raise TypeError(f"`{fn}`: `{name}` must have an integer dtype, got {x.dtype}.")


def one_hot(tensor: ArrayLike, num_classes: int = -1) -> Array:
    """One-hot encoding of integer class indices.

    Args:
      tensor: integer array ``(*)`` of class indices in ``[0, num_classes)``.
      num_classes: number of classes; ``-1`` infers ``max(tensor) + 1`` from the
        values, which needs a concrete (not traced) ``tensor``.

    Returns:
      ``(*, num_classes)`` integer array (int64 with ``jax_enable_x64``, else int32).

    Raises:
      TypeError: non-integer ``tensor``.
      ValueError: ``num_classes=-1`` with a traced or empty ``tensor``; negative or
        too-large class values (checked when the values are concrete); a
        ``num_classes`` below -1.

    Examples:
      >>> import jax.numpy as jnp
      >>> one_hot(jnp.array([0, 2]))
      Array([[1, 0, 0],
             [0, 0, 1]], dtype=int32)

    PyTorch parity: ``torch.nn.functional.one_hot`` (any integer dtype is accepted,
    PyTorch wants int64). Under ``jit`` the values are not checked: out-of-range
    indices give all-zero rows.
    """
    fn = "one_hot"
    x = jnp.asarray(tensor)
    _check_int(x, "tensor", fn)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"`{fn}`: `num_classes` must be an int, got {num_classes!r}.")
    num_classes = int(num_classes)
    if num_classes < -1:
        raise ValueError(f"`{fn}`: `num_classes` must be >= -1, got {num_classes}.")
    concrete = not isinstance(tensor, jax.core.Tracer)
    if num_classes == -1:
        if not concrete:
            raise ValueError(
                f"`{fn}`: `num_classes=-1` infers the class count from the values, "
                "which is impossible for a traced `tensor` (under jit/vmap/grad); pass "
                "`num_classes` explicitly."
            )
        if x.size == 0:
            raise ValueError(
                f"`{fn}`: cannot infer `num_classes` from an empty `tensor`."
            )
        num_classes = int(jnp.max(x)) + 1
    if concrete and x.size:
        lo, hi = int(jnp.min(x)), int(jnp.max(x))
        if lo < 0:
            raise ValueError(f"`{fn}`: class values must be non-negative, got {lo}.")
        if hi >= num_classes:
            raise ValueError(
                f"`{fn}`: class values must be smaller than `num_classes` "
                f"({num_classes}), got {hi}."
            )
    classes = jnp.arange(num_classes, dtype=x.dtype).reshape((1,) * x.ndim + (-1,))
    return (x[..., None] == classes).astype(index_dtype())


def _padding_index(padding_idx, num, fn):
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
        raise TypeError(f"`{fn}`: `padding_idx` must be an int, got {padding_idx!r}.")
    if not -num <= padding_idx < num:
        raise ValueError(
            f"`{fn}`: `padding_idx` must be within num_embeddings ({num}), got "
            f"{padding_idx}."
        )
    return int(padding_idx) % num


def _row_norms(w, norm_type):
    a = jnp.abs(w.astype(jnp.promote_types(w.dtype, jnp.float32)))
    if np.isinf(norm_type):
        return jnp.max(a, axis=-1)
    return jnp.sum(a**norm_type, axis=-1) ** (1.0 / norm_type)


def embedding_renorm(
    weight: ArrayLike, input: ArrayLike, max_norm: float, norm_type: float = 2.0
) -> Array:
    """The weight after PyTorch's in-place ``embedding_renorm_``: every row that
    ``input`` references and whose ``norm_type``-norm exceeds ``max_norm`` is scaled
    by ``max_norm / (norm + 1e-7)``; other rows are unchanged.

    Args:
      weight: ``(V, D)``.
      input: integer indices ``(*)``.
      max_norm: the norm bound.
      norm_type: the p of the p-norm.

    Returns:
      The new ``(V, D)`` weight (to write back; ``nn.Embedding`` does).

    Examples:
      >>> import jax.numpy as jnp
      >>> embedding_renorm(jnp.array([[3.0, 4.0], [3.0, 4.0]]), jnp.array([1]), 1.0)[:, 0]
      Array([3. , 0.6], dtype=float32)

    PyTorch parity: ``torch.embedding_renorm_``, as a pure function.
    """
    fn = "embedding_renorm"
    w = jnp.asarray(weight)
    idx = jnp.asarray(input)
    _check_int(idx, "input", fn)
    max_norm = check_real(max_norm, "max_norm", fn)
    norm_type = check_real(norm_type, "norm_type", fn)
    used = jnp.zeros(w.shape[0], bool).at[idx.reshape(-1)].set(True, mode="drop")
    norm = _row_norms(w, norm_type)
    scale = max_norm / (norm + 1e-7)
    hit = used & (norm > max_norm)
    return jnp.where(hit[:, None], w * scale[:, None].astype(w.dtype), w)


def embedding(
    input: ArrayLike,
    weight: ArrayLike,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Array:
    """Looks up rows of ``weight``: ``out[...] = weight[input[...]]``.

    Args:
      input: integer indices ``(*)`` in ``[0, V)``.
      weight: ``(V, D)`` embedding matrix.
      padding_idx: this row gets no gradient (negative counts from the end).
      max_norm: if given, referenced rows whose ``norm_type``-norm exceeds it are
        looked up renormalised (see :func:`embedding_renorm`). PyTorch also writes
        them back into ``weight`` in place; JAX cannot, so the caller writes back
        ``embedding_renorm(weight, input, max_norm, norm_type)`` (``nn.Embedding``
        does). The gradient w.r.t. ``weight`` is PyTorch's (that of the lookup).
      norm_type: the p of the p-norm for ``max_norm``.
      scale_grad_by_freq: divide each row's gradient by the count of its index in
        ``input``.
      sparse: accepted for compatibility; JAX gradients are dense (same values).

    Returns:
      ``(*, D)`` in the dtype of ``weight``.

    Raises:
      TypeError: non-integer ``input``.
      ValueError: ``weight`` not 2-D, ``padding_idx`` out of range.

    Examples:
      >>> import jax.numpy as jnp
      >>> embedding(jnp.array([2, 0]), jnp.arange(6.0).reshape(3, 2))
      Array([[4., 5.],
             [0., 1.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.embedding``; out-of-range indices are not
    checked under ``jit`` (they clamp, as JAX indexing does).
    """
    fn = "embedding"
    idx = jnp.asarray(input)
    w = jnp.asarray(weight)
    _check_int(idx, "input", fn)
    if w.ndim != 2:
        raise ValueError(f"`{fn}`: `weight` must be 2-D (V, D), got shape {w.shape}.")
    pad = _padding_index(padding_idx, w.shape[0], fn)
    host = _host_values(input)
    if host is not None and host.size and (host.min() < 0 or host.max() >= w.shape[0]):
        raise ValueError(
            f"`{fn}`: `input` indices must lie in [0, {w.shape[0]}), got values in "
            f"[{host.min()}, {host.max()}]."
        )
    rows = jnp.take(w, idx, axis=0, mode="clip")  # [*, D]
    if max_norm is not None:
        renormed = jnp.take(
            embedding_renorm(jax.lax.stop_gradient(w), idx, max_norm, norm_type),
            idx,
            axis=0,
            mode="clip",
        )
        # Value of the renormalised rows, gradient of the plain lookup (PyTorch
        # renormalises in place under no_grad).
        rows = rows + jax.lax.stop_gradient(renormed - rows)
    if scale_grad_by_freq:
        flat = idx.reshape(-1)
        counts = jnp.zeros(w.shape[0], w.dtype).at[flat].add(1, mode="drop")
        inv = (1.0 / jnp.take(counts, idx, mode="clip")).astype(w.dtype)[..., None]
        rows = jax.lax.stop_gradient(rows) + (rows - jax.lax.stop_gradient(rows)) * inv
    if pad is not None:
        rows = jnp.where((idx == pad)[..., None], jax.lax.stop_gradient(rows), rows)
    return rows


def upsample(
    input: ArrayLike,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
) -> Array:
    """Alias of :func:`convjax.functional.interpolate` (PyTorch's deprecated name).

    Examples:
      >>> import jax.numpy as jnp
      >>> upsample(jnp.ones((1, 1, 2, 2)), scale_factor=2).shape
      (1, 1, 4, 4)

    PyTorch parity: ``torch.nn.functional.upsample`` (no deprecation warning).
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: ArrayLike, size=None, scale_factor=None) -> Array:
    """``interpolate(input, size, scale_factor, mode="nearest")``.

    Examples:
      >>> import jax.numpy as jnp
      >>> upsample_nearest(jnp.ones((1, 1, 2, 2)), size=3).shape
      (1, 1, 3, 3)

    PyTorch parity: ``torch.nn.functional.upsample_nearest`` (no deprecation
    warning).
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: ArrayLike, size=None, scale_factor=None) -> Array:
    """``interpolate(input, size, scale_factor, mode="bilinear",
    align_corners=True)`` for 4-D inputs.

    Examples:
      >>> import jax.numpy as jnp
      >>> upsample_bilinear(jnp.arange(2.0).reshape(1, 1, 1, 2), size=(1, 3))
      Array([[[[0. , 0.5, 1. ]]]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.upsample_bilinear`` (no deprecation
    warning).
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
