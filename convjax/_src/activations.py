"""Activations with PyTorch's defaults and gradients, on top of ``jax.nn``.

Smooth activations and softmax compute in at least float32 and return the input
dtype (PyTorch upcasts half precision internally the same way).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from convjax._src.checks import check_choice, check_floating, check_not_bool
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


def softmax(input: ArrayLike, dim: int, *, dtype: DTypeLike | None = None) -> Array:
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


def log_softmax(input: ArrayLike, dim: int, *, dtype: DTypeLike | None = None) -> Array:
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


__all__ = [
    "gelu",
    "hardswish",
    "leaky_relu",
    "log_softmax",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softmax",
]
