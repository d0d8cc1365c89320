"""Activations with PyTorch's defaults and gradients, on top of ``jax.nn``.

Smooth activations and softmax compute in at least float32 and return the input
dtype (PyTorch upcasts half precision internally the same way).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from convjax._src.checks import (
    check_choice,
    check_floating,
    check_not_bool,
    check_real,
)
from convjax._src.typing import Array, ArrayLike, DTypeLike


def _upcast(x, fn: str):
    x = jnp.asarray(x)
    check_floating(x, fn)
    return x.astype(jnp.promote_types(x.dtype, jnp.float32)), x.dtype


def relu(input: ArrayLike) -> Array:
    """Rectified linear unit ``max(x, 0)``; gradient 0 at ``x = 0``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(relu(jnp.array([-1.0, 0.0, 2.0])))
      [0. 0. 2.]

    PyTorch parity: ``torch.nn.functional.relu`` (no ``inplace``).
    """
    check_not_bool(input, "relu")
    return jax.nn.relu(jnp.asarray(input))


def relu6(input: ArrayLike) -> Array:
    """``min(max(x, 0), 6)``; gradient 0 at both kinks, as PyTorch's hardtanh.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(relu6(jnp.array([-1.0, 3.0, 7.0])))
      [0. 3. 6.]

    PyTorch parity: ``torch.nn.functional.relu6``.
    """
    check_not_bool(input, "relu6")
    return jax.nn.relu6(jnp.asarray(input))


def leaky_relu(input: ArrayLike, negative_slope: float = 0.01) -> Array:
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise.

    Unlike ``jax.nn.leaky_relu`` the gradient at ``x = 0`` is ``negative_slope``,
    as in PyTorch.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(leaky_relu(jnp.array([-2.0, 3.0]), 0.5))
      [-1.  3.]

    PyTorch parity: ``torch.nn.functional.leaky_relu``.
    """
    x = jnp.asarray(input)
    check_floating(x, "leaky_relu")  # an int dtype would truncate the slope to 0
    return jnp.where(x > 0, x, x * jnp.asarray(negative_slope, x.dtype))


def gelu(input: ArrayLike, approximate: str = "none") -> Array:
    """Gaussian error linear unit, exact by default.

    .. math::
        \\text{none: } x\\,\\Phi(x) = \\tfrac{x}{2}\\left(1 + \\operatorname{erf}(x/\\sqrt{2})\\right),
        \\qquad \\text{tanh: } \\tfrac{x}{2}\\left(1 + \\tanh\\left(\\sqrt{2/\\pi}\\,(x + 0.044715 x^3)\\right)\\right)

    Args:
      input: any shape, floating.
      approximate: ``"none"`` (exact, PyTorch's default; ``jax.nn.gelu`` defaults to
        the tanh form) or ``"tanh"``.

    Raises:
      ValueError: any other ``approximate``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(gelu(jnp.array([1.0])), gelu(jnp.array([1.0]), approximate="tanh"))
      [0.8413447] [0.841192]

    PyTorch parity: ``torch.nn.functional.gelu``.
    """
    check_choice(approximate, ("none", "tanh"), "approximate")
    x, dtype = _upcast(input, "gelu")
    return jax.nn.gelu(x, approximate=approximate == "tanh").astype(dtype)


def silu(input: ArrayLike) -> Array:
    """``x * sigmoid(x)`` (swish).

    Examples:
      >>> import jax.numpy as jnp
      >>> print(silu(jnp.array([0.0, 1.0])))
      [0.        0.7310586]

    PyTorch parity: ``torch.nn.functional.silu``.
    """
    x, dtype = _upcast(input, "silu")
    return jax.nn.silu(x).astype(dtype)


def hardswish(input: ArrayLike) -> Array:
    """``x * relu6(x + 3) / 6``; gradients at ``x = -3`` and ``3`` are 0 and 1.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(hardswish(jnp.array([-4.0, 1.0, 4.0])))
      [-0.         0.6666667  4.       ]

    PyTorch parity: ``torch.nn.functional.hardswish`` (values and kink gradients).
    """
    x, dtype = _upcast(input, "hardswish")
    return jax.nn.hard_swish(x).astype(dtype)


def sigmoid(input: ArrayLike) -> Array:
    """Logistic function ``1 / (1 + exp(-x))``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(sigmoid(jnp.array([0.0])))
      [0.5]

    PyTorch parity: ``torch.sigmoid`` / ``torch.nn.functional.sigmoid``.
    """
    x, dtype = _upcast(input, "sigmoid")
    return jax.nn.sigmoid(x).astype(dtype)


def _to_float(x, fn: str):
    """Integer/bool inputs become float32 (PyTorch's default dtype), as PyTorch's
    ops that promote integers (``tanhshrink``, ``softsign``) do."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x.astype(jnp.float32)
    check_floating(x, fn)
    return x


def hardsigmoid(input: ArrayLike) -> Array:
    """``relu6(x + 3) / 6``; gradient ``1/6`` strictly inside ``(-3, 3)``, else 0.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(hardsigmoid(jnp.array([-4.0, 0.0, 1.5, 4.0])))
      [0.   0.5  0.75 1.  ]

    PyTorch parity: ``torch.nn.functional.hardsigmoid`` (values and kink gradients;
    integer inputs raise as in PyTorch).
    """
    x, dtype = _upcast(input, "hardsigmoid")
    return jax.nn.hard_sigmoid(x).astype(dtype)


def hardtanh(input: ArrayLike, min_val: float = -1.0, max_val: float = 1.0) -> Array:
    """Clamps to ``[min_val, max_val]``; gradient 1 strictly inside, 0 elsewhere.

    Args:
      input: any shape and real dtype (integers allowed, as in PyTorch).
      min_val, max_val: the bounds, ``min_val <= max_val``.

    Raises:
      ValueError: ``min_val > max_val``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(hardtanh(jnp.array([-2.0, 0.5, 2.0])))
      [-1.   0.5  1. ]

    PyTorch parity: ``torch.nn.functional.hardtanh`` (no ``inplace``); the gradient
    at ``x == min_val`` or ``max_val`` is 0, as PyTorch's.
    """
    lo = check_real(min_val, "min_val", "hardtanh")
    hi = check_real(max_val, "max_val", "hardtanh")
    if lo > hi:
        raise ValueError(
            f"`hardtanh`: `min_val` ({min_val!r}) cannot be greater than `max_val` "
            f"({max_val!r})."
        )
    x = jnp.asarray(input)
    if x.dtype == jnp.bool_:
        raise TypeError("`hardtanh` does not take a boolean `input`.")
    lo_x, hi_x = (
        jnp.asarray(min_val).astype(x.dtype),
        jnp.asarray(max_val).astype(x.dtype),
    )
    # Nested where (not clip): the gradient is exactly 0 at the bounds, as PyTorch's.
    return jnp.where(x <= lo_x, lo_x, jnp.where(x >= hi_x, hi_x, x))


def elu(input: ArrayLike, alpha: float = 1.0) -> Array:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha (exp(x) - 1)`` else.

    The gradient at 0 is ``alpha`` (PyTorch's). Computed in at least float32.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(elu(jnp.array([-1.0, 2.0])))
      [-0.63212055  2.        ]

    PyTorch parity: ``torch.nn.functional.elu`` (no ``inplace``).
    """
    alpha = check_real(alpha, "alpha", "elu")
    x, dtype = _upcast(input, "elu")
    return jax.nn.elu(x, alpha).astype(dtype)


def selu(input: ArrayLike) -> Array:
    """Scaled ELU: ``scale * elu(x, alpha)``, ``alpha = 1.6732632423543772``,
    ``scale = 1.0507009873554805``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(selu(jnp.array([-1.0, 1.0])))
      [-1.1113307  1.050701 ]

    PyTorch parity: ``torch.nn.functional.selu`` (same constants; gradient at 0 is
    ``scale * alpha``).
    """
    x, dtype = _upcast(input, "selu")
    return jax.nn.selu(x).astype(dtype)


def celu(input: ArrayLike, alpha: float = 1.0) -> Array:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``; gradient 1 at 0.

    Raises:
      ValueError: ``alpha == 0``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(celu(jnp.array([-1.0, 2.0]), alpha=2.0))
      [-0.78693867  2.        ]

    PyTorch parity: ``torch.nn.functional.celu`` (no ``inplace``).
    """
    alpha = check_real(alpha, "alpha", "celu")
    if alpha == 0:
        raise ValueError("`celu`: `alpha` cannot be 0 for CELU.")
    x, dtype = _upcast(input, "celu")
    return jax.nn.celu(x, alpha).astype(dtype)


def softplus(input: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> Array:
    """``log(1 + exp(beta x)) / beta``, and ``x`` itself where ``beta x > threshold``.

    .. math::
        \\operatorname{softplus}(x) = \\begin{cases} x & \\beta x > t \\\\
        \\tfrac{1}{\\beta}\\log(1 + e^{\\beta x}) & \\text{otherwise} \\end{cases}

    Examples:
      >>> import jax.numpy as jnp
      >>> print(softplus(jnp.array([0.0, 30.0])))
      [ 0.6931472 30.       ]

    PyTorch parity: ``torch.nn.functional.softplus`` (the same switch to the
    identity, so values and gradients match PyTorch's on both sides).
    """
    beta = check_real(beta, "beta", "softplus")
    threshold = check_real(threshold, "threshold", "softplus")
    x, dtype = _upcast(input, "softplus")
    bx = x * jnp.asarray(beta, x.dtype)
    linear = bx > threshold
    # The untaken branch sees 0, so exp cannot overflow into a NaN gradient.
    soft = jnp.log1p(jnp.exp(jnp.where(linear, 0.0, bx))) / jnp.asarray(beta, x.dtype)
    return jnp.where(linear, x, soft).astype(dtype)


def mish(input: ArrayLike) -> Array:
    """``x * tanh(softplus(x))`` (a self-regularized non-monotonic activation).

    Examples:
      >>> import jax.numpy as jnp
      >>> print(mish(jnp.array([-1.0, 0.0, 1.0])))
      [-0.30340144  0.          0.8650985 ]

    PyTorch parity: ``torch.nn.functional.mish`` (no ``inplace``); the inner
    softplus is the overflow-free ``logaddexp(x, 0)``.
    """
    x, dtype = _upcast(input, "mish")
    return (x * jnp.tanh(jax.nn.softplus(x))).astype(dtype)


def logsigmoid(input: ArrayLike) -> Array:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(logsigmoid(jnp.array([0.0, -100.0])))
      [  -0.6931472 -100.       ]

    PyTorch parity: ``torch.nn.functional.logsigmoid``.
    """
    x, dtype = _upcast(input, "logsigmoid")
    return jax.nn.log_sigmoid(x).astype(dtype)


def tanhshrink(input: ArrayLike) -> Array:
    """``x - tanh(x)``; integer inputs give float32, as in PyTorch.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(tanhshrink(jnp.array([0.0, 1.0])))
      [0.         0.23840582]

    PyTorch parity: ``torch.nn.functional.tanhshrink``.
    """
    x = _to_float(input, "tanhshrink")
    xf = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    return (xf - jnp.tanh(xf)).astype(x.dtype)


def softsign(input: ArrayLike) -> Array:
    """``x / (1 + |x|)``; integer inputs give float32, as in PyTorch.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(softsign(jnp.array([-3.0, 1.0])))
      [-0.75  0.5 ]

    PyTorch parity: ``torch.nn.functional.softsign``.
    """
    x = _to_float(input, "softsign")
    xf = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    return (xf / (1 + jnp.abs(xf))).astype(x.dtype)


def softshrink(input: ArrayLike, lambd: float = 0.5) -> Array:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between.

    The gradient is 0 on the closed interval ``[-lambd, lambd]``, as PyTorch's.

    Raises:
      ValueError: ``lambd < 0``.
      TypeError: non-floating ``input``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(softshrink(jnp.array([-1.0, 0.2, 2.0])))
      [-0.5  0.   1.5]

    PyTorch parity: ``torch.nn.functional.softshrink``.
    """
    lambd = check_real(lambd, "lambd", "softshrink")
    if not lambd >= 0:
        raise ValueError(f"`softshrink`: `lambd` must be >= 0, got {lambd!r}.")
    x = jnp.asarray(input)
    check_floating(x, "softshrink")
    lam = jnp.asarray(lambd, x.dtype)
    return jnp.where(x > lam, x - lam, jnp.where(x < -lam, x + lam, jnp.zeros_like(x)))


def hardshrink(input: ArrayLike, lambd: float = 0.5) -> Array:
    """``x`` where ``|x| > lambd``, else 0 (gradient 0 on ``[-lambd, lambd]``).

    Examples:
      >>> import jax.numpy as jnp
      >>> print(hardshrink(jnp.array([-1.0, 0.5, 2.0])))
      [-1.  0.  2.]

    PyTorch parity: ``torch.nn.functional.hardshrink`` (a negative ``lambd`` is
    accepted, as in PyTorch).
    """
    lambd = check_real(lambd, "lambd", "hardshrink")
    x = jnp.asarray(input)
    check_floating(x, "hardshrink")
    lam = jnp.asarray(lambd, x.dtype)
    return jnp.where((x >= -lam) & (x <= lam), jnp.zeros_like(x), x)


def threshold(input: ArrayLike, threshold: float, value: float) -> Array:
    """``x`` where ``x > threshold``, else ``value`` (gradient 0 at and below).

    Args:
      input: any shape and real dtype (integers allowed, as in PyTorch).
      threshold: the threshold, cast to the input dtype.
      value: the replacement, cast to the input dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(threshold(jnp.array([-1.0, 0.5, 2.0]), 0.5, 9.0))
      [9. 9. 2.]

    PyTorch parity: ``torch.nn.functional.threshold`` (no ``inplace``).
    """
    check_real(threshold, "threshold", "threshold")
    check_real(value, "value", "threshold")
    x = jnp.asarray(input)
    if x.dtype == jnp.bool_:
        raise TypeError("`threshold` does not take a boolean `input`.")
    t = jnp.asarray(threshold).astype(x.dtype)
    return jnp.where(x > t, x, jnp.asarray(value).astype(x.dtype))


def prelu(input: ArrayLike, weight: ArrayLike) -> Array:
    """Parametric ReLU: ``x`` for ``x > 0``, ``weight * x`` otherwise.

    ``weight`` holds one slope, or one per channel (dim 1 of an input of rank
    >= 2). The gradient at ``x = 0`` is ``weight``, as PyTorch's.

    Args:
      input: ``(N, C, *)``, or any shape with a single slope, floating.
      weight: ``(1,)``/scalar or ``(C,)``.

    Raises:
      ValueError: ``weight`` neither of size 1 nor of size ``C``.
      TypeError: non-floating ``input`` or ``weight``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(prelu(jnp.array([[-1.0, -1.0], [2.0, 2.0]]), jnp.array([0.1, 0.5])))
      [[-0.1 -0.5]
       [ 2.   2. ]]

    PyTorch parity: ``torch.nn.functional.prelu``.
    """
    x, w = jnp.asarray(input), jnp.asarray(weight)
    check_floating(x, "prelu")
    check_floating(w, "prelu", "weight")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.ndim > 1 or w.size not in (1, channels):
        raise ValueError(
            f"`prelu`: `weight` must hold 1 or {channels} (the input's channels) "
            f"slopes, got shape {w.shape}."
        )
    if w.size == 1:
        w = w.reshape(())
    else:
        w = w.reshape((1, channels) + (1,) * (x.ndim - 2))
    dtype = jnp.result_type(x, w)
    x, w = x.astype(dtype), w.astype(dtype)
    return jnp.where(x > 0, x, w * x)


def glu(input: ArrayLike, dim: int = -1) -> Array:
    """Gated linear unit: ``a * sigmoid(b)`` with ``a, b`` the halves along ``dim``.

    Args:
      input: floating, ``input.shape[dim]`` even.
      dim: the axis to halve.

    Returns:
      The input shape with ``dim`` halved.

    Raises:
      ValueError: odd size along ``dim``, a 0-d input, ``dim`` out of range.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(glu(jnp.array([1.0, 2.0, 0.0, 100.0])))
      [0.5 2. ]

    PyTorch parity: ``torch.nn.functional.glu``.
    """
    x, dtype = _upcast(input, "glu")
    if x.ndim == 0:
        raise ValueError(
            "`glu` does not support scalars because halving size must be even."
        )
    if isinstance(dim, bool) or not isinstance(dim, int) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"`glu`: `dim` out of range for shape {x.shape}, got {dim!r}.")
    if x.shape[dim] % 2:
        raise ValueError(
            f"`glu`: halving dimension must be even, but dimension {dim} is size "
            f"{x.shape[dim]}."
        )
    a, b = jnp.split(x, 2, axis=dim)
    return (a * jax.nn.sigmoid(b)).astype(dtype)


def rrelu(
    input: ArrayLike,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    *,
    key: ArrayLike | None = None,
) -> Array:
    """Randomized leaky ReLU.

    In evaluation (``training=False``, the default) it is ``leaky_relu`` with slope
    ``(lower + upper) / 2``. In training every element gets its own slope
    ``a ~ U(lower, upper)``, drawn as ``jax.random.uniform(key, input.shape,
    float32, lower, upper)``: the output is ``x`` where ``x > 0`` and ``a * x``
    elsewhere (PyTorch's training kernel; the gradient at 0 is ``a``).

    Args:
      input: any shape, floating.
      lower, upper: slope range, ``lower <= upper``.
      training: draw random slopes.
      key: a JAX PRNG key, required when ``training``.

    Raises:
      ValueError: ``lower > upper``; ``training`` without ``key``.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> print(rrelu(jnp.array([-2.0, 3.0]), 0.25, 0.75))
      [-1.  3.]
      >>> y = rrelu(jnp.array([-2.0, 3.0]), training=True, key=jax.random.key(0))
      >>> bool(-2 / 3 <= y[0] <= -2 / 8), float(y[1])
      (True, 3.0)

    PyTorch parity: ``torch.nn.functional.rrelu`` (no ``inplace``; random streams
    differ).
    """
    lower = check_real(lower, "lower", "rrelu")
    upper = check_real(upper, "upper", "rrelu")
    if lower > upper:
        raise ValueError(
            f"`rrelu`: `lower` ({lower!r}) must be <= `upper` ({upper!r})."
        )
    x = jnp.asarray(input)
    check_floating(x, "rrelu")
    if not training:
        return leaky_relu(x, (lower + upper) / 2)
    if key is None:
        raise ValueError("`rrelu` with `training=True` needs a PRNG `key`.")
    stat = jnp.promote_types(x.dtype, jnp.float32)
    slope = jax.random.uniform(key, x.shape, stat, lower, upper)
    return jnp.where(x > 0, x, (x.astype(stat) * slope).astype(x.dtype))


def tanh(input: ArrayLike) -> Array:
    """Hyperbolic tangent, computed in at least float32.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(tanh(jnp.array([0.0, 1.0])))
      [0.        0.7615942]

    PyTorch parity: ``torch.tanh`` / ``torch.nn.functional.tanh``.
    """
    x, dtype = _upcast(input, "tanh")
    return jnp.tanh(x).astype(dtype)


def _softmax_common(fn_name, jax_fn, input, dim, dtype):
    if dim is None:
        raise TypeError(
            f"`{fn_name}` requires `dim`: PyTorch's implicit choice for dim=None "
            "(0 for 0-, 1- and 3-D inputs, else 1) is deprecated there and is not "
            "supported."
        )
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"`{fn_name}`: `dim` must be an int, got {dim!r}.")
    x = jnp.asarray(input)
    if dtype is not None:
        x = x.astype(dtype)
    check_floating(x, fn_name)
    ndim = max(x.ndim, 1)  # PyTorch treats a 0-d input as having one dim
    if not -ndim <= dim < ndim:
        raise ValueError(
            f"`{fn_name}`: `dim` out of range (expected to be in range of "
            f"[{-ndim}, {ndim - 1}]), got {dim}."
        )
    xf = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    if x.ndim == 0:
        return jax_fn(xf[None], axis=0)[0].astype(x.dtype)
    return jax_fn(xf, axis=dim).astype(x.dtype)


def softmax(
    input: ArrayLike, dim: int | None, *, dtype: DTypeLike | None = None
) -> Array:
    """Softmax along ``dim``.

    .. math::
        \\operatorname{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}

    Args:
      input: any shape, floating.
      dim: the axis to normalize (required: PyTorch's implicit ``dim=None`` choice
        is deprecated and raises ``TypeError`` here).
      dtype: optional dtype to cast ``input`` to first (as PyTorch's ``dtype=``).

    Returns:
      Same shape and dtype as ``input`` (or ``dtype``). A row of all ``-inf`` gives
      NaN, as in PyTorch.

    Raises:
      TypeError: ``dim`` missing/``None``/not an int, non-floating input.
      ValueError: ``dim`` out of range.

    Examples:
      >>> import jax.numpy as jnp
      >>> p = softmax(jnp.array([[0.0, 0.0], [0.0, 2.0]]), dim=1)
      >>> [[round(v, 4) for v in row] for row in p.tolist()]
      [[0.5, 0.5], [0.1192, 0.8808]]

    PyTorch parity: ``torch.nn.functional.softmax`` with an explicit ``dim``.
    """
    return _softmax_common("softmax", jax.nn.softmax, input, dim, dtype)


def log_softmax(
    input: ArrayLike, dim: int | None, *, dtype: DTypeLike | None = None
) -> Array:
    """Log-softmax along ``dim``: ``x - logsumexp(x)``, stable for large inputs.

    Args:
      input: any shape, floating.
      dim: the axis to normalize (required, see :func:`softmax`).
      dtype: optional dtype to cast ``input`` to first.

    Returns:
      Same shape and dtype as ``input`` (or ``dtype``).

    Raises:
      TypeError: ``dim`` missing/``None``/not an int, non-floating input.
      ValueError: ``dim`` out of range.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(log_softmax(jnp.array([0.0, 0.0]), dim=0))
      [-0.6931472 -0.6931472]

    PyTorch parity: ``torch.nn.functional.log_softmax`` with an explicit ``dim``.
    """
    return _softmax_common("log_softmax", jax.nn.log_softmax, input, dim, dtype)


def softmin(
    input: ArrayLike, dim: int | None, *, dtype: DTypeLike | None = None
) -> Array:
    """Softmin along ``dim``: ``softmax(-x)``.

    Args:
      input: any shape, floating.
      dim: the axis to normalize (required, see :func:`softmax`).
      dtype: optional dtype to cast ``input`` to first.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(softmin(jnp.array([0.0, 0.0]), dim=0))
      [0.5 0.5]

    PyTorch parity: ``torch.nn.functional.softmin`` with an explicit ``dim``.
    """
    return _softmax_common(
        "softmin", lambda v, axis: jax.nn.softmax(-v, axis=axis), input, dim, dtype
    )


__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardtanh",
    "logsigmoid",
    "mish",
    "prelu",
    "rrelu",
    "selu",
    "softmin",
    "softplus",
    "softshrink",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "hardswish",
    "leaky_relu",
    "log_softmax",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softmax",
]
