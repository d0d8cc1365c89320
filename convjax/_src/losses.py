"""Losses with PyTorch's signatures, options and reductions.

Shape legend: N batch, C classes, ``d1..dK`` extra dims of K-dimensional inputs.
Class scores are on axis 1 (axis 0 for an unbatched ``(C,)`` input), as in PyTorch.
Everything is computed in at least float32 and returned in the input dtype.
"""

from __future__ import annotations

import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.experimental import checkify

from convjax._src.checks import check_choice, check_floating, check_real
from convjax._src.typing import Array, ArrayLike, Reduction

_REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------------------
# Shared helpers


def _reduce(loss, reduction: str, weight_sum=None):
    """Applies ``reduction``; ``"mean"`` divides by ``weight_sum`` when given.

    The weighted mean of NLL/CE is ``sum / weight_sum``; a zero ``weight_sum`` (all
    targets ignored) gives NaN like PyTorch, with zero (not NaN) gradients.
    """
    if reduction == "none":
        return loss
    total = jnp.sum(loss)
    if reduction == "sum":
        return total
    if weight_sum is None:
        return jnp.mean(loss)  # empty input -> NaN, as PyTorch
    safe = jnp.where(weight_sum != 0, weight_sum, 1.0)  # untaken branch stays finite
    return jnp.where(weight_sum != 0, total / safe, jnp.nan)


def _compute_dtype(*arrays):
    return jnp.promote_types(jnp.result_type(*arrays), jnp.float32)


def _host_values(x):
    """``x`` as NumPy when its values live on the host (NumPy, Python), else ``None``.

    Device and traced arrays are never inspected: that would need a device sync, or
    be impossible under ``jit``.
    """
    if isinstance(x, np.ndarray | np.generic | list | tuple | numbers.Number):
        return np.asarray(x)
    return None


def _check_same_shape(input, target, fn: str, message: str):
    if input.shape != target.shape:
        raise ValueError(f"`{fn}`: {message.format(target.shape, input.shape)}")


def _broadcast_to(v, shape, name: str, fn: str):
    v = jnp.asarray(v)
    try:
        if jnp.broadcast_shapes(v.shape, shape) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"`{fn}`: `{name}` of shape {v.shape} must broadcast to shape {tuple(shape)}."
        ) from None
    return jnp.broadcast_to(v, shape)


def _elementwise_pair(input, target, fn: str):
    """Validates and broadcasts ``input``/``target`` like PyTorch's pointwise losses."""
    x = jnp.asarray(input)
    y = jnp.asarray(target)
    check_floating(x, fn)
    if x.shape != y.shape:
        warnings.warn(
            f"`{fn}`: using a target size ({y.shape}) that is different to the input "
            f"size ({x.shape}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
        try:
            shape = jnp.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ValueError(
                f"`{fn}`: `target` of shape {y.shape} does not broadcast with "
                f"`input` of shape {x.shape}."
            ) from None
        x, y = jnp.broadcast_to(x, shape), jnp.broadcast_to(y, shape)
    out_dtype = jnp.result_type(x, y)
    dtype = _compute_dtype(x, y)
    return x.astype(dtype), y.astype(dtype), out_dtype


# --------------------------------------------------------------------------------------
# Regression losses


def l1_loss(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> Array:
    """Mean absolute error.

    .. math::
        \\ell_i = |x_i - y_i|

    Args:
      input: any shape, floating.
      target: same shape (a broadcastable shape warns and broadcasts, like PyTorch).
      reduction: ``"none" | "mean" | "sum"``.

    Returns:
      Scalar, or the broadcast shape for ``"none"``; dtype of ``input``/``target``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(l1_loss(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0])))
      1.5

    PyTorch parity: ``torch.nn.functional.l1_loss`` (no deprecated
    ``size_average``/``reduce``).
    """
    check_choice(reduction, _REDUCTIONS, "reduction")
    x, y, out_dtype = _elementwise_pair(input, target, "l1_loss")
    return _reduce(jnp.abs(x - y), reduction).astype(out_dtype)


def mse_loss(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> Array:
    """Mean squared error (not optax's ``l2_loss``, which halves it).

    .. math::
        \\ell_i = (x_i - y_i)^2

    Args:
      input: any shape, floating.
      target: same shape (a broadcastable shape warns and broadcasts, like PyTorch).
      reduction: ``"none" | "mean" | "sum"``.

    Returns:
      Scalar, or the broadcast shape for ``"none"``; dtype of ``input``/``target``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(mse_loss(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0]), reduction="sum"))
      5.0

    PyTorch parity: ``torch.nn.functional.mse_loss``.
    """
    check_choice(reduction, _REDUCTIONS, "reduction")
    x, y, out_dtype = _elementwise_pair(input, target, "mse_loss")
    d = x - y
    return _reduce(d * d, reduction).astype(out_dtype)


def smooth_l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    reduction: Reduction = "mean",
    beta: float = 1.0,
) -> Array:
    """Smooth L1 loss: quadratic below ``beta``, linear above.

    .. math::
        \\ell_i = \\begin{cases} 0.5\\, d_i^2 / \\beta & |d_i| < \\beta \\\\
                  |d_i| - 0.5\\, \\beta & \\text{otherwise} \\end{cases},
        \\quad d_i = x_i - y_i

    ``beta = 0`` is exactly the L1 loss.

    Args:
      input: any shape, floating.
      target: same shape (a broadcastable shape warns and broadcasts, like PyTorch).
      reduction: ``"none" | "mean" | "sum"``.
      beta: non-negative threshold.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Raises:
      ValueError: negative ``beta`` or unknown ``reduction``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(smooth_l1_loss(jnp.array([0.5, 3.0]), jnp.zeros(2), reduction="none"))
      [0.125 2.5  ]

    PyTorch parity: ``torch.nn.functional.smooth_l1_loss``.
    """
    fn = "smooth_l1_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    check_real(beta, "beta", fn)
    if beta < 0:
        raise ValueError(f"`{fn}`: `beta` must be non-negative, got {beta!r}.")
    x, y, out_dtype = _elementwise_pair(input, target, fn)
    d = jnp.abs(x - y)
    if beta == 0:
        loss = d  # PyTorch special-cases beta=0 as L1 (no division by zero)
    else:
        loss = jnp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return _reduce(loss, reduction).astype(out_dtype)


def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    reduction: Reduction = "mean",
    delta: float = 1.0,
) -> Array:
    """Huber loss: quadratic below ``delta``, linear (slope ``delta``) above.

    .. math::
        \\ell_i = \\begin{cases} 0.5\\, d_i^2 & |d_i| \\le \\delta \\\\
                  \\delta (|d_i| - 0.5\\, \\delta) & \\text{otherwise} \\end{cases}

    Equal to ``delta * smooth_l1_loss(..., beta=delta)``.

    Args:
      input: any shape, floating.
      target: same shape (a broadcastable shape warns and broadcasts, like PyTorch).
      reduction: ``"none" | "mean" | "sum"``.
      delta: positive threshold.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Raises:
      ValueError: non-positive ``delta`` or unknown ``reduction``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(huber_loss(jnp.array([0.5, 3.0]), jnp.zeros(2), reduction="none", delta=2.0))
      [0.125 4.   ]

    PyTorch parity: ``torch.nn.functional.huber_loss`` (elementwise term from
    ``optax.losses.huber_loss``).
    """
    fn = "huber_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    check_real(delta, "delta", fn)
    if not delta > 0:
        raise ValueError(f"`{fn}`: `delta` must be positive, got {delta!r}.")
    x, y, out_dtype = _elementwise_pair(input, target, fn)
    loss = optax.losses.huber_loss(x, y, delta=delta)
    return _reduce(loss, reduction).astype(out_dtype)


# --------------------------------------------------------------------------------------
# Classification losses


def _class_setup(input, fn: str):
    """Returns ``(x, class_axis, num_classes)`` for ``(C,)`` or ``(N, C, *d)`` input."""
    x = jnp.asarray(input)
    check_floating(x, fn)
    if x.ndim == 0:
        raise ValueError(
            f"`{fn}` expects `input` of shape (C,), (N, C) or (N, C, d1, ...), got a scalar."
        )
    axis = 0 if x.ndim == 1 else 1
    return x, axis, x.shape[axis]


def _check_class_weight(weight, num_classes: int, fn: str):
    if weight is None:
        return None
    w = jnp.asarray(weight)
    if w.shape != (num_classes,):
        raise ValueError(
            f"`{fn}`: `weight` must have shape ({num_classes},) (one per class), "
            f"got {w.shape}."
        )
    return w


def _check_index_target(target, x, axis: int, num_classes: int, ignore_index, fn: str):
    """Validates class-index targets: integer dtype, input shape without the C axis."""
    t = jnp.asarray(target)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        if jnp.issubdtype(t.dtype, jnp.floating) and t.ndim == x.ndim:
            raise ValueError(
                f"`{fn}`: a floating `target` holds class probabilities and must have "
                f"the input's shape {x.shape}, got {t.shape}."
            )
        raise TypeError(
            f"`{fn}`: `target` must hold integer class indices (shape "
            f"{x.shape[:axis] + x.shape[axis + 1 :]}) or floating class probabilities "
            f"(shape {x.shape}); got dtype {t.dtype} and shape {t.shape}."
        )
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"`{fn}`: `ignore_index` must be an int, got {ignore_index!r}.")
    expected = x.shape[:axis] + x.shape[axis + 1 :]
    if t.shape != expected:
        if t.ndim >= 1 and x.ndim >= 2 and t.shape[0] != x.shape[0]:
            raise ValueError(
                f"`{fn}`: expected input batch_size ({x.shape[0]}) to match target "
                f"batch_size ({t.shape[0]})."
            )
        raise ValueError(
            f"`{fn}`: `target` must have shape {expected} for `input` of shape "
            f"{x.shape}, got {t.shape}."
        )
    host = _host_values(target)
    if host is not None and host.size:
        bad = (host != ignore_index) & ((host < 0) | (host >= num_classes))
        if bad.any():
            raise ValueError(
                f"`{fn}`: `target` contains class index {host[bad].flat[0]} out of "
                f"bounds for {num_classes} classes (and not `ignore_index`={ignore_index})."
            )
    return t


def _checkify_target(t, num_classes: int, ignore_index, check_target, fn: str):
    """With ``check_target``, a ``checkify`` check that every class is in range."""
    if not isinstance(check_target, bool):
        raise TypeError(
            f"`{fn}`: `check_target` must be a Python bool, got {check_target!r}."
        )
    if not check_target or t.size == 0:
        return
    bad = (t != ignore_index) & ((t < 0) | (t >= num_classes))
    first = jnp.ravel(t)[jnp.argmax(jnp.ravel(bad))]
    checkify.check(
        ~jnp.any(bad),
        f"`{fn}`: `target` contains class index {{index}} out of bounds for "
        f"{num_classes} classes (and not `ignore_index`={ignore_index}).",
        index=first,
    )


def _nll_terms(logp, t, axis: int, num_classes: int, weight, ignore_index):
    """Per-element ``-w[t] * logp[t]`` (0 where ignored) and the ``w[t]`` used for mean.

    A traced target outside ``[0, C)`` that is not ``ignore_index`` gives NaN.
    """
    valid = t != ignore_index
    in_range = (t >= 0) & (t < num_classes)
    idx = jnp.where(in_range, t, 0)  # negative indices would otherwise wrap around
    picked = jnp.take_along_axis(logp, jnp.expand_dims(idx, axis), axis=axis)
    picked = jnp.squeeze(picked, axis)
    w_t = jnp.ones_like(picked) if weight is None else weight.astype(logp.dtype)[idx]
    w_t = jnp.where(in_range, w_t, jnp.nan)
    w_t = jnp.where(valid, w_t, 0.0)
    loss = jnp.where(valid, -w_t * picked, 0.0)
    return loss, w_t


def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    *,
    check_target: bool = False,
) -> Array:
    """Negative log-likelihood of class indices given log-probabilities.

    .. math::
        \\ell_i = -w_{t_i}\\, x_{i, t_i}, \\qquad
        \\text{mean} = \\sum_i \\ell_i \\Big/ \\sum_{i: t_i \\ne \\text{ignore}} w_{t_i}

    Elements whose target is ``ignore_index`` contribute 0 and are left out of the
    mean's denominator. With every target ignored (or zero total weight) the mean is
    NaN, as in PyTorch, and its gradient is zero.

    Args:
      input: log-probabilities ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
      target: integer class indices ``(N,)``, ``(N, d1, ...)`` or ``()``, in
        ``[0, C)`` or equal to ``ignore_index``.
      weight: optional ``(C,)`` per-class weight.
      ignore_index: target value to skip (may also be a valid class).
      reduction: ``"none"`` (shape of ``target``), ``"mean"`` or ``"sum"``.
      check_target: convjax extension: also check a traced ``target`` (under
        ``jit``/``grad``/``vmap``) for out-of-range classes with
        ``jax.experimental.checkify``; wrap the caller with ``checkify.checkify``
        to get the error (see the README's "Errors" notes). Eager calls raise
        directly. NumPy targets are always checked.

    Returns:
      The loss, dtype of ``input``.

    Raises:
      TypeError: non-floating input or non-integer target.
      ValueError: shape mismatches, ``weight`` not ``(C,)``, unknown ``reduction``,
        and out-of-range classes in a NumPy ``target`` (device/traced targets are not
        inspected: an out-of-range class gives NaN, unless ``check_target``).

    Examples:
      >>> import jax.numpy as jnp
      >>> logp = jnp.log(jnp.array([[0.5, 0.5], [0.25, 0.75]]))
      >>> print(nll_loss(logp, jnp.array([0, 1])).round(4))
      0.4904

    PyTorch parity: ``torch.nn.functional.nll_loss``; out-of-range traced targets
    give NaN where PyTorch raises.
    """
    fn = "nll_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    x, axis, num_classes = _class_setup(input, fn)
    w = _check_class_weight(weight, num_classes, fn)
    t = _check_index_target(target, x, axis, num_classes, ignore_index, fn)
    _checkify_target(t, num_classes, ignore_index, check_target, fn)
    logp = x.astype(_compute_dtype(x))
    loss, w_t = _nll_terms(logp, t, axis, num_classes, w, ignore_index)
    return _reduce(loss, reduction, jnp.sum(w_t)).astype(x.dtype)


def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
    *,
    check_target: bool = False,
) -> Array:
    """Cross entropy between logits and class indices or class probabilities.

    ``log_softmax`` over the class axis (``jax.nn.log_softmax``), then:

    - class indices ``t`` (integer target of the input's shape without ``C``), with
      smoothing ``eps``:

      .. math::
          \\ell_i = (1-\\varepsilon)\\, w_{t_i} (-\\log p_{i,t_i})
                    + \\frac{\\varepsilon}{C} \\sum_c w_c (-\\log p_{i,c})

      ignored elements give 0; ``"mean"`` divides the whole sum by
      ``sum_{i not ignored} w_{t_i}`` (NaN when that is 0, as PyTorch). An
      ``ignore_index`` that is a valid class still counts in the softmax.
    - class probabilities (floating target of the input's shape):
      ``t' = (1 - eps) t + eps / C`` and ``l_i = -sum_c w_c t'_{i,c} log p_{i,c}``;
      ``"mean"`` divides by ``N * d1 * ...`` (not by the weights).

    Args:
      input: logits ``(N, C)``, ``(N, C, d1, ...)`` or unbatched ``(C,)``.
      target: integer class indices ``(N,)``/``(N, d1, ...)``/``()``, or
        probabilities with ``input``'s shape.
      weight: optional ``(C,)`` per-class weight.
      ignore_index: class-index target value to skip; must stay ``-100`` with
        probability targets.
      reduction: ``"none"`` (per element ``(N, d1, ...)``), ``"mean"`` or ``"sum"``.
      label_smoothing: ``eps`` in ``[0, 1]``.
      check_target: convjax extension: also check a traced ``target`` (under
        ``jit``/``grad``/``vmap``) for out-of-range classes with
        ``jax.experimental.checkify``; wrap the caller with ``checkify.checkify``
        to get the error (see the README's "Errors" notes). Eager calls raise
        directly. NumPy targets are always checked.

    Returns:
      The loss, dtype of ``input``.

    Raises:
      TypeError: non-floating input, probability target not floating (same shape as
        the input), class-index target not integer.
      ValueError: shape mismatches, ``weight`` not ``(C,)``, ``label_smoothing``
        outside ``[0, 1]``, ``ignore_index`` with probability targets, unknown
        ``reduction``, out-of-range classes in a NumPy ``target``.

    Examples:
      >>> import jax.numpy as jnp
      >>> logits = jnp.array([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
      >>> print(cross_entropy(logits, jnp.array([0, 2])).round(4))
      0.8606
      >>> print(cross_entropy(logits, jnp.array([0, 2]), label_smoothing=0.1).round(4))
      0.9273

    PyTorch parity: ``torch.nn.functional.cross_entropy``, including its weighted
    mean, ``ignore_index`` and label-smoothing rules.
    """
    fn = "cross_entropy"
    check_choice(reduction, _REDUCTIONS, "reduction")
    x, axis, num_classes = _class_setup(input, fn)
    w = _check_class_weight(weight, num_classes, fn)
    if isinstance(label_smoothing, bool | str):
        raise TypeError(
            f"`{fn}`: `label_smoothing` must be a number, got {label_smoothing!r}."
        )
    static_eps = isinstance(label_smoothing, numbers.Real)
    if static_eps and not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"`{fn}`: `label_smoothing` must be in [0, 1], got {label_smoothing!r}."
        )
    smoothing = not static_eps or label_smoothing > 0
    eps = label_smoothing
    dtype = _compute_dtype(x)
    logp = jax.nn.log_softmax(x.astype(dtype), axis=axis)
    wshape = tuple(num_classes if a == axis else 1 for a in range(x.ndim))  # full rank
    w_b = None if w is None else w.astype(dtype).reshape(wshape)

    t = jnp.asarray(target)
    if t.shape == x.shape:  # probability targets, as PyTorch decides
        if not jnp.issubdtype(t.dtype, jnp.floating):
            raise TypeError(
                f"`{fn}`: a `target` with the input's shape {x.shape} holds class "
                f"probabilities and must be floating, got dtype {t.dtype}."
            )
        if ignore_index != -100:
            raise ValueError(
                f"`{fn}`: `ignore_index` is not supported for floating point (probability) "
                f"targets, got ignore_index={ignore_index!r}."
            )
        p = t.astype(dtype)
        if smoothing:
            p = p * (1 - eps) + eps / num_classes
        prod = logp * p if w_b is None else logp * p * w_b
        return _reduce(-jnp.sum(prod, axis), reduction).astype(x.dtype)

    t = _check_index_target(target, x, axis, num_classes, ignore_index, fn)
    _checkify_target(t, num_classes, ignore_index, check_target, fn)
    loss, w_t = _nll_terms(logp, t, axis, num_classes, w, ignore_index)
    if smoothing:
        smooth = -jnp.sum(logp if w_b is None else logp * w_b, axis)
        smooth = jnp.where(t != ignore_index, smooth, 0.0)
        loss = (1 - eps) * loss + (eps / num_classes) * smooth
    return _reduce(loss, reduction, jnp.sum(w_t)).astype(x.dtype)


# --------------------------------------------------------------------------------------
# Binary losses

_BCE_EPS = 1e-12  # PyTorch's EPSILON in binary_cross_entropy_backward


@jax.custom_jvp
def _bce_elementwise(p, y):
    # Each log is clamped at -100 (PyTorch), so the loss is at most 100.
    log_p = jnp.maximum(jnp.log(p), -100.0)
    log_1mp = jnp.maximum(jnp.log1p(-p), -100.0)
    return -(y * log_p + (1 - y) * log_1mp)


@_bce_elementwise.defjvp
def _bce_elementwise_jvp(primals, tangents):
    # PyTorch's backward: (p - y) / max(p (1 - p), 1e-12), finite at p = 0 and 1.
    p, y = primals
    dp, dy = tangents
    log_p = jnp.maximum(jnp.log(p), -100.0)
    log_1mp = jnp.maximum(jnp.log1p(-p), -100.0)
    out = -(y * log_p + (1 - y) * log_1mp)
    d_p = (p - y) / jnp.maximum((1 - p) * p, _BCE_EPS)
    d_y = log_1mp - log_p  # clamped logs: finite where PyTorch gives +-inf
    return out, d_p * dp + d_y * dy


def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
) -> Array:
    """Binary cross entropy between probabilities and targets in ``[0, 1]``.

    .. math::
        \\ell_i = -w_i \\left[y_i \\max(\\log p_i, -100)
                  + (1 - y_i) \\max(\\log(1 - p_i), -100)\\right]

    The gradient with respect to ``p`` is PyTorch's
    ``w (p - y) / max(p (1 - p), 1e-12)``: finite at ``p = 0`` and ``p = 1``.

    Args:
      input: probabilities ``p``, any shape.
      target: ``y``, same shape as ``input``.
      weight: optional rescaling, broadcastable to ``input``'s shape.
      reduction: ``"none" | "mean" | "sum"``; ``"mean"`` averages over elements.

    Returns:
      The loss, dtype of ``input``/``target`` promoted.

    Raises:
      ValueError: ``target`` shape differs from ``input``'s, ``weight`` does not
        broadcast, unknown ``reduction``, NumPy ``input``/``target`` values outside
        ``[0, 1]`` (device/traced arrays are not inspected).

    Examples:
      >>> import jax.numpy as jnp
      >>> print(binary_cross_entropy(jnp.array([0.0, 0.5]), jnp.array([1.0, 1.0]), reduction="none"))
      [100.          0.6931472]

    PyTorch parity: ``torch.nn.functional.binary_cross_entropy``; the gradient with
    respect to ``target`` uses the clamped logs (finite) where PyTorch's is infinite.
    """
    fn = "binary_cross_entropy"
    check_choice(reduction, _REDUCTIONS, "reduction")
    x = jnp.asarray(input)
    y = jnp.asarray(target)
    check_floating(x, fn)
    _check_same_shape(
        x,
        y,
        fn,
        "using a target size ({}) that is different to the input size ({}) is "
        "deprecated. Please ensure they have the same size.",
    )
    for name, value in (("input", input), ("target", target)):
        host = _host_values(value)
        # Written so that NaN fails too, as in PyTorch.
        if host is not None and not ((host >= 0) & (host <= 1)).all():
            raise ValueError(
                f"`{fn}`: all elements of `{name}` should be between 0 and 1."
            )
    out_dtype = jnp.result_type(x, y)
    dtype = _compute_dtype(x, y)
    loss = _bce_elementwise(x.astype(dtype), y.astype(dtype))
    if weight is not None:
        loss = loss * _broadcast_to(weight, x.shape, "weight", fn).astype(dtype)
    return _reduce(loss, reduction).astype(out_dtype)


def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
    pos_weight: ArrayLike | None = None,
) -> Array:
    """Binary cross entropy on logits, in the stable ``log_sigmoid`` form.

    .. math::
        \\ell_i = w_i \\left[(1 - y_i)\\, x_i
                  - (1 + (q - 1)\\, y_i) \\log \\sigma(x_i)\\right]
        = -w_i \\left[q\\, y_i \\log \\sigma(x_i) + (1 - y_i) \\log(1 - \\sigma(x_i))\\right]

    where ``q`` is ``pos_weight`` (1 when not given).

    Args:
      input: logits ``x``, any shape.
      target: ``y`` in ``[0, 1]``, same shape as ``input``.
      weight: optional rescaling, broadcastable to ``input``'s shape.
      reduction: ``"none" | "mean" | "sum"``; ``"mean"`` averages over elements
        (weights are not normalized).
      pos_weight: optional weight of the positive term, broadcast against the
        *trailing* dims of ``target`` (e.g. ``(C,)`` for ``(N, C)``, ``(C, 1, 1)``
        for per-class weights of ``(N, C, H, W)``).

    Returns:
      The loss, dtype of ``input``/``target`` promoted.

    Raises:
      ValueError: ``target`` shape differs from ``input``'s, ``weight`` or
        ``pos_weight`` does not broadcast, unknown ``reduction``.

    Examples:
      >>> import jax.numpy as jnp
      >>> x, y = jnp.array([0.0, 100.0]), jnp.array([1.0, 0.0])
      >>> print(binary_cross_entropy_with_logits(x, y, reduction="none"))
      [  0.6931472 100.       ]

    PyTorch parity: ``torch.nn.functional.binary_cross_entropy_with_logits``
    (same formula and ``pos_weight`` broadcasting).
    """
    fn = "binary_cross_entropy_with_logits"
    check_choice(reduction, _REDUCTIONS, "reduction")
    x = jnp.asarray(input)
    y = jnp.asarray(target)
    check_floating(x, fn)
    _check_same_shape(x, y, fn, "target size ({}) must be the same as input size ({}).")
    out_dtype = jnp.result_type(x, y)
    dtype = _compute_dtype(x, y)
    x, y = x.astype(dtype), y.astype(dtype)
    log_sig = jax.nn.log_sigmoid(x)
    if pos_weight is not None:
        q = _broadcast_to(pos_weight, y.shape, "pos_weight", fn).astype(dtype)
        log_sig = log_sig * ((q - 1) * y + 1)
    loss = (1 - y) * x - log_sig
    if weight is not None:
        loss = loss * _broadcast_to(weight, x.shape, "weight", fn).astype(dtype)
    return _reduce(loss, reduction).astype(out_dtype)


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]
