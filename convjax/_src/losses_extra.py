"""More PyTorch losses and distances: ``kl_div``, ``poisson_nll_loss``,
``gaussian_nll_loss``, ``multilabel_soft_margin_loss``, ``margin_ranking_loss``,
``triplet_margin_loss``, ``cosine_embedding_loss``, ``soft_margin_loss``,
``cosine_similarity`` and ``pairwise_distance``.

Shape legend: N batch, C classes / features, D the feature (last) dim of distances.
Everything is computed in at least float32 and returned in the promoted input dtype;
inputs broadcast like PyTorch's elementwise maths. Values are checked only when they
live on the host (NumPy): device and traced arrays are never read.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from convjax._src.checks import check_choice, check_floating, check_real
from convjax._src.losses import _host_values, _reduce
from convjax._src.typing import Array, ArrayLike, Reduction

_REDUCTIONS = ("none", "mean", "sum")


def _promote(fn, *arrays):
    """Floating arrays in the compute dtype (>= float32), plus the output dtype."""
    xs = [jnp.asarray(a) for a in arrays]
    check_floating(xs[0], fn)
    out_dtype = jnp.result_type(*xs)
    if not jnp.issubdtype(out_dtype, jnp.floating):
        out_dtype = jnp.result_type(xs[0])
    dtype = jnp.promote_types(out_dtype, jnp.float32)
    return [x.astype(dtype) for x in xs], out_dtype


def _broadcast(fn, *xs):
    try:
        shape = jnp.broadcast_shapes(*[x.shape for x in xs])
    except ValueError:
        raise ValueError(
            f"`{fn}`: input shapes {[x.shape for x in xs]} do not broadcast."
        ) from None
    return [jnp.broadcast_to(x, shape) for x in xs]


def _straight_through_max(v, eps):
    """``max(v, eps)`` in value, identity in gradient: PyTorch's
    ``with torch.no_grad(): v.clamp_(min=eps)``."""
    return v + jax.lax.stop_gradient(jnp.maximum(v, eps) - v)


def _safe_norm2(x, axis, keepdims):
    """Euclidean norm with a zero (not NaN) gradient at 0, as PyTorch's."""
    sq = jnp.sum(x * x, axis=axis, keepdims=keepdims)
    pos = sq > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, sq, 1.0)), 0.0)


# --------------------------------------------------------------------------------------


def kl_div(
    input: ArrayLike,
    target: ArrayLike,
    reduction: str = "mean",
    log_target: bool = False,
) -> Array:
    """Kullback-Leibler divergence with ``input`` in log space.

    .. math::
        \\ell = y (\\log y - x) \\;(\\text{xlogy form: 0 where } y = 0), \\qquad
        \\ell = e^{y} (y - x) \\;(\\text{log\\_target})

    Args:
      input: log-probabilities, any shape, floating.
      target: probabilities (log-probabilities with ``log_target``), broadcastable.
      reduction: ``"none" | "batchmean" | "sum" | "mean"``. ``"batchmean"`` divides the
        sum by ``input.shape[0]`` (the true KL divergence); ``"mean"`` averages over
        every element and warns, as PyTorch does.
      log_target: ``target`` is given in log space.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Examples:
      >>> import jax.numpy as jnp
      >>> logp = jnp.log(jnp.array([[0.5, 0.5]]))
      >>> print(kl_div(logp, jnp.array([[0.5, 0.5]]), reduction="batchmean"))
      0.0

    PyTorch parity: ``torch.nn.functional.kl_div``.
    """
    fn = "kl_div"
    check_choice(reduction, ("none", "batchmean", "sum", "mean"), "reduction")
    (x, y), out_dtype = _promote(fn, input, target)
    x, y = _broadcast(fn, x, y)
    if log_target:
        loss = jnp.exp(y) * (y - x)
    else:
        loss = jax.scipy.special.xlogy(y, y) - y * x
    if reduction == "mean":
        warnings.warn(
            "`kl_div`: reduction='mean' divides the total loss by both the batch size "
            "and the support size; 'batchmean' divides only by the batch size and "
            "matches the KL divergence definition.",
            UserWarning,
            stacklevel=2,
        )
    if reduction == "batchmean":
        out = jnp.sum(loss)
        if jnp.ndim(input) != 0:
            out = out / jnp.shape(input)[0]
    else:
        out = _reduce(loss, reduction)
    return out.astype(out_dtype)


def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: Reduction = "mean",
) -> Array:
    """Negative log-likelihood of a Poisson target.

    .. math::
        \\ell = e^{x} - y x \\;(\\text{log\\_input}), \\qquad
        \\ell = x - y \\log(x + \\epsilon) \\;(\\text{otherwise})

    plus, with ``full``, Stirling's term ``y log y - y + log(2 pi y) / 2`` where
    ``y > 1``.

    Args:
      input: rates (log-rates with ``log_input``), floating.
      target: counts, broadcastable to ``input``.
      log_input, full, eps, reduction: as in PyTorch.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(poisson_nll_loss(jnp.zeros(2), jnp.ones(2)))
      1.0

    PyTorch parity: ``torch.nn.functional.poisson_nll_loss``.
    """
    fn = "poisson_nll_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    eps = check_real(eps, "eps", fn)
    (x, y), out_dtype = _promote(fn, input, target)
    x, y = _broadcast(fn, x, y)
    if log_input:
        loss = jnp.exp(x) - y * x
    else:
        loss = x - y * jnp.log(x + eps)
    if full:
        big = y > 1
        ys = jnp.where(big, y, 2.0)  # untaken branch stays finite
        stirling = ys * jnp.log(ys) - ys + 0.5 * jnp.log(2 * math.pi * ys)
        loss = loss + jnp.where(big, stirling, 0.0)
    return _reduce(loss, reduction).astype(out_dtype)


def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: Reduction = "mean",
) -> Array:
    """Negative log-likelihood of a Gaussian target with predicted variance.

    .. math::
        \\ell = \\tfrac12 \\left(\\log \\max(v, \\epsilon)
                + \\frac{(x - y)^2}{\\max(v, \\epsilon)}\\right)
                \\; (+ \\tfrac12 \\log 2\\pi \\text{ with full})

    The clamp acts on values only (identity gradient), as PyTorch's in-place
    ``no_grad`` clamp.

    Args:
      input: expectations ``(N, *)`` or ``(*)``, floating.
      target: samples, broadcastable to ``input``.
      var: variances: the shape of ``input``, or of ``input`` without its last dim,
        or of ``input`` with one dim of size 1 (homoscedastic), or a Python float.
      full, eps, reduction: as in PyTorch.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Raises:
      ValueError: ``var`` of an incompatible shape; negative NumPy/Python ``var``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(gaussian_nll_loss(jnp.zeros(2), jnp.zeros(2), jnp.ones(2)))
      0.0

    PyTorch parity: ``torch.nn.functional.gaussian_nll_loss``.
    """
    fn = "gaussian_nll_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    eps = check_real(eps, "eps", fn)
    host = _host_values(var)
    if host is not None and np.any(host < 0):
        raise ValueError(f"`{fn}`: `var` has negative entries.")
    (x, y, v), out_dtype = _promote(fn, input, target, var)
    if isinstance(var, int | float):
        v = jnp.full(x.shape, v, v.dtype)
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            v = v[..., None]
        elif not (
            x.ndim == v.ndim
            and sum(b for a, b in zip(x.shape, v.shape, strict=True) if a != b) == 1
        ):
            raise ValueError(
                f"`{fn}`: `var` of shape {v.shape} is of incorrect size for `input` of "
                f"shape {x.shape}."
            )
    v = _straight_through_max(v, eps)
    x, y, v = _broadcast(fn, x, y, v)
    d = x - y
    loss = 0.5 * (jnp.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction).astype(out_dtype)


def multilabel_soft_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
) -> Array:
    """Multi-label one-versus-all logistic loss, averaged over classes.

    .. math::
        \\ell_n = -\\frac{1}{C} \\sum_c w_c \\left(y_{nc} \\log\\sigma(x_{nc})
                 + (1 - y_{nc}) \\log\\sigma(-x_{nc})\\right)

    Args:
      input: ``(N, C)`` (or ``(C,)``) logits.
      target: ``(N, C)`` labels in ``{0, 1}`` (or probabilities).
      weight: optional class weights broadcastable to ``input``.
      reduction: ``"none"`` gives ``(N,)``.

    Returns:
      Scalar, or ``(N,)`` for ``"none"``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(multilabel_soft_margin_loss(jnp.zeros((1, 2)), jnp.ones((1, 2))))
      0.6931472

    PyTorch parity: ``torch.nn.functional.multilabel_soft_margin_loss``.
    """
    fn = "multilabel_soft_margin_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    arrays = [input, target] + ([] if weight is None else [weight])
    xs, out_dtype = _promote(fn, *arrays)
    x, y = _broadcast(fn, xs[0], xs[1])
    loss = -(y * jax.nn.log_sigmoid(x) + (1 - y) * jax.nn.log_sigmoid(-x))
    if weight is not None:
        loss, w = _broadcast(fn, loss, xs[2])
        loss = loss * w
    if loss.ndim == 0:
        raise ValueError(f"`{fn}`: `input` must have a class dim, got shape ().")
    loss = jnp.sum(loss, axis=-1) / x.shape[-1]
    return _reduce(loss, reduction).astype(out_dtype)


def margin_ranking_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    margin: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    """Ranking hinge: ``max(0, -y (x1 - x2) + margin)``.

    Args:
      input1, input2: scores of one rank (same rank as ``target``), broadcastable.
      target: ``1`` (``input1`` should rank higher) or ``-1``.
      margin, reduction: as in PyTorch.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Raises:
      ValueError: inputs of different ranks.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(margin_ranking_loss(jnp.array([1.0]), jnp.array([2.0]), jnp.array([1.0])))
      1.0

    PyTorch parity: ``torch.nn.functional.margin_ranking_loss``.
    """
    fn = "margin_ranking_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    margin = check_real(margin, "margin", fn)
    dims = [jnp.ndim(a) for a in (input1, input2, target)]
    if len(set(dims)) != 1:
        raise ValueError(
            f"`{fn}`: `input1`, `input2` and `target` must have the same number of "
            f"dims, got {tuple(jnp.shape(a) for a in (input1, input2, target))}."
        )
    (a, b, y), out_dtype = _promote(fn, input1, input2, target)
    a, b, y = _broadcast(fn, a, b, y)
    loss = jnp.maximum(-y * (a - b) + margin, 0.0)
    return _reduce(loss, reduction).astype(out_dtype)


def pairwise_distance(
    x1: ArrayLike,
    x2: ArrayLike,
    p: float = 2.0,
    eps: float = 1e-6,
    keepdim: bool = False,
) -> Array:
    """p-norm distance along the last dim: ``||x1 - x2 + eps||_p``.

    Args:
      x1, x2: ``(N, D)`` or ``(D,)``, broadcastable.
      p: the norm degree (``inf`` and ``0`` included).
      eps: added to the difference (PyTorch's convention), avoiding a zero norm.
      keepdim: keep the reduced dim.

    Returns:
      ``(N,)`` (or ``(N, 1)``), or a scalar for 1-D inputs.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(pairwise_distance(jnp.array([[3.0, 0.0]]), jnp.array([[0.0, 4.0]]), eps=0.0))
      [5.]

    PyTorch parity: ``torch.nn.functional.pairwise_distance``; the gradient at a zero
    difference is 0.
    """
    fn = "pairwise_distance"
    p = check_real(p, "p", fn)
    eps = check_real(eps, "eps", fn)
    if p < 0:
        raise ValueError(f"`{fn}`: `p` must be non-negative, got {p!r}.")
    (a, b), out_dtype = _promote(fn, x1, x2)
    a, b = _broadcast(fn, a, b)
    d = a - b + eps
    axis = -1 if d.ndim else None
    return _norm(d, p, axis, keepdim and d.ndim > 0).astype(out_dtype)


def _norm(d, p, axis, keepdims):
    ad = jnp.abs(d)
    if p == 2:
        return _safe_norm2(d, axis, keepdims)
    if math.isinf(p):
        return jnp.max(ad, axis=axis, keepdims=keepdims)
    if p == 0:
        return jnp.sum((ad != 0).astype(d.dtype), axis=axis, keepdims=keepdims)
    s = jnp.sum(ad**p, axis=axis, keepdims=keepdims)
    pos = s > 0
    return jnp.where(pos, jnp.where(pos, s, 1.0) ** (1.0 / p), 0.0)


def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Array:
    """Triplet loss: ``max(d(a, p) - d(a, n) + margin, 0)`` with
    :func:`pairwise_distance` ``d``.

    Args:
      anchor, positive, negative: ``(N, D)`` or ``(D,)``, same rank.
      margin, p, eps: as in PyTorch.
      swap: use ``min(d(a, n), d(p, n))`` as the negative distance.
      reduction: ``"none" | "mean" | "sum"``.

    Returns:
      Scalar, or ``(N,)`` for ``"none"``.

    Raises:
      ValueError: inputs of different ranks.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.zeros((1, 2))
      >>> print(triplet_margin_loss(a, a, a + 3.0, eps=0.0))
      0.0

    PyTorch parity: ``torch.nn.functional.triplet_margin_loss``.
    """
    fn = "triplet_margin_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    margin = check_real(margin, "margin", fn)
    dims = [jnp.ndim(a) for a in (anchor, positive, negative)]
    if len(set(dims)) != 1:
        raise ValueError(
            f"`{fn}`: `anchor`, `positive` and `negative` must have the same number "
            f"of dims, got {dims[0]}D, {dims[1]}D and {dims[2]}D."
        )
    (a, pos, neg), out_dtype = _promote(fn, anchor, positive, negative)
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = jnp.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    loss = jnp.maximum(margin + d_pos - d_neg, 0.0)
    return _reduce(loss, reduction).astype(out_dtype)


def cosine_similarity(
    x1: ArrayLike, x2: ArrayLike, dim: int = 1, eps: float = 1e-8
) -> Array:
    """Cosine similarity along ``dim``.

    .. math::
        \\cos = \\sum_d \\frac{x_1}{\\max(\\|x_1\\|, \\epsilon)}
                       \\frac{x_2}{\\max(\\|x_2\\|, \\epsilon)}

    Each input is divided by its (clamped) norm before the product, as PyTorch; the
    clamp acts on values only (identity gradient), as PyTorch's ``no_grad`` clamp.

    Args:
      x1, x2: broadcastable arrays.
      dim: the reduced dim.
      eps: lower bound of each norm.

    Returns:
      The broadcast shape without ``dim``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(cosine_similarity(jnp.array([[1.0, 0.0]]), jnp.array([[1.0, 1.0]])))
      [0.70710677]

    PyTorch parity: ``torch.nn.functional.cosine_similarity``.
    """
    fn = "cosine_similarity"
    eps = check_real(eps, "eps", fn)
    (a, b), out_dtype = _promote(fn, x1, x2)
    a, b = _broadcast(fn, a, b)
    if not -max(a.ndim, 1) <= dim < max(a.ndim, 1):
        raise ValueError(f"`{fn}`: `dim` {dim} is out of range for shape {a.shape}.")
    na = _straight_through_max(_safe_norm2(a, dim, True), eps)
    nb = _straight_through_max(_safe_norm2(b, dim, True), eps)
    return jnp.sum((a / na) * (b / nb), axis=dim).astype(out_dtype)


def cosine_embedding_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    margin: float = 0.0,
    reduction: Reduction = "mean",
) -> Array:
    """Cosine embedding loss: ``1 - cos`` for ``y = 1``, ``max(0, cos - margin)`` for
    ``y = -1`` (0 for other targets), with PyTorch's
    ``cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))``.

    Args:
      input1, input2: ``(N, D)`` with a ``(N,)`` target, or ``(D,)`` with a scalar
        target.
      target: ``1`` or ``-1``.
      margin, reduction: as in PyTorch.

    Returns:
      Scalar, or ``(N,)`` (a scalar for 1-D inputs) for ``"none"``.

    Raises:
      ValueError: target rank other than 0 or 1, or inputs of the wrong rank.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.array([[1.0, 0.0]])
      >>> print(cosine_embedding_loss(x, x, jnp.array([1.0])))
      0.0

    PyTorch parity: ``torch.nn.functional.cosine_embedding_loss``.
    """
    fn = "cosine_embedding_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    margin = check_real(margin, "margin", fn)
    tdim = jnp.ndim(target)
    if tdim not in (0, 1):
        raise ValueError(
            f"`{fn}`: `target` must be 0-D or 1-D, got shape {jnp.shape(target)}."
        )
    want = 2 if tdim == 1 else 1
    if jnp.ndim(input1) != want or jnp.ndim(input2) != want:
        raise ValueError(
            f"`{fn}`: a {tdim}-D `target` needs {want}-D `input1` and `input2`, got "
            f"shapes {jnp.shape(input1)} and {jnp.shape(input2)}."
        )
    (a, b, y), out_dtype = _promote(fn, input1, input2, target)
    prod = jnp.sum(a * b, axis=tdim)
    m1 = jnp.sum(a * a, axis=tdim) + 1e-12
    m2 = jnp.sum(b * b, axis=tdim) + 1e-12
    cos = prod / jnp.sqrt(m1 * m2)
    pos = jnp.where(y == 1, 1 - cos, 0.0)
    neg = jnp.where(y == -1, jnp.maximum(cos - margin, 0.0), 0.0)
    return _reduce(pos + neg, reduction).astype(out_dtype)


def soft_margin_loss(
    input: ArrayLike, target: ArrayLike, reduction: Reduction = "mean"
) -> Array:
    """Two-class logistic loss ``log(1 + exp(-y x))``.

    Args:
      input: any shape, floating.
      target: ``1`` or ``-1``, broadcastable.
      reduction: ``"none" | "mean" | "sum"``.

    Returns:
      Scalar, or the broadcast shape for ``"none"``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(soft_margin_loss(jnp.zeros(3), jnp.ones(3)))
      0.6931472

    PyTorch parity: ``torch.nn.functional.soft_margin_loss``, computed as
    ``softplus(-y x)``: finite where PyTorch's ``log1p(exp(-y x))`` overflows to inf
    (``-y x > ~88`` in float32).
    """
    fn = "soft_margin_loss"
    check_choice(reduction, _REDUCTIONS, "reduction")
    (x, y), out_dtype = _promote(fn, input, target)
    x, y = _broadcast(fn, x, y)
    return _reduce(jax.nn.softplus(-y * x), reduction).astype(out_dtype)
