"""PyTorch's parameter initializers for PyTorch weight layouts.

Every initializer is a ``jax.nn.initializers``-style callable
``init(key, shape, dtype=jnp.float32) -> Array``. Fans follow
``torch.nn.init._calculate_fan_in_and_fan_out``: for a weight of shape
``(shape[0], shape[1], *k)``, ``fan_in = shape[1] * prod(k)`` and
``fan_out = shape[0] * prod(k)``, i.e. ``in_axis=1, out_axis=0`` in
``jax.nn.initializers.variance_scaling`` (its defaults ``-2, -1`` are wrong for these
layouts). Random streams differ from PyTorch's; the distributions are identical.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp

from convjax._src.checks import check_choice, check_real
from convjax._src.typing import Array, DTypeLike

Initializer = Callable[..., Array]

_LINEAR_FNS = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)
_NONLINEARITIES = (*_LINEAR_FNS, "sigmoid", "tanh", "relu", "leaky_relu", "selu")


def _check_shape(shape, fn: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(
            f"`{fn}`: `shape` must be a sequence of ints, got {shape!r}."
        ) from None
    if len(shape) < 2:
        raise ValueError(
            f"`{fn}`: fan in and fan out can not be computed for `shape` with fewer "
            f"than 2 dimensions, got {shape}."
        )
    return shape


def fan_in_and_fan_out(
    shape: Sequence[int], transposed: bool = False
) -> tuple[int, int]:
    """PyTorch's ``(fan_in, fan_out)`` of a weight of the given shape.

    .. math::
        \\text{fan\\_in} = \\text{shape}[1] \\prod k, \\qquad
        \\text{fan\\_out} = \\text{shape}[0] \\prod k

    PyTorch reads the fans from the layout alone. For a transposed-conv weight
    ``(C_in, C_out/G, *k)`` that gives ``fan_in = C_out/G * prod(k)`` (not
    ``C_in``): PyTorch's quirk, reproduced here, so ``transposed=True`` returns the
    same numbers as ``False``; the flag only documents which layout ``shape`` is in.

    Args:
      shape: weight shape, at least 2 dims: conv ``(O, C/G, *k)``, transposed conv
        ``(C, O/G, *k)``, linear ``(out, in)``.
      transposed: whether ``shape`` is a transposed-conv weight.

    Returns:
      ``(fan_in, fan_out)`` as Python ints.

    Raises:
      ValueError: fewer than 2 dims.

    Examples:
      >>> fan_in_and_fan_out((16, 4, 3, 3))
      (36, 144)
      >>> fan_in_and_fan_out((8, 8, 3, 3), transposed=True)  # ConvTranspose2d(8, 16, 3, groups=2)
      (72, 72)

    PyTorch parity: ``torch.nn.init._calculate_fan_in_and_fan_out``.
    """
    if not isinstance(transposed, bool):
        raise TypeError(
            f"`fan_in_and_fan_out`: `transposed` must be a bool, got {transposed!r}."
        )
    shape = _check_shape(shape, "fan_in_and_fan_out")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity.

    ``1`` for linear/conv/sigmoid, ``5/3`` for tanh, ``sqrt(2)`` for relu,
    ``sqrt(2 / (1 + a^2))`` for leaky_relu with slope ``a = param`` (0.01 when
    ``None``), ``3/4`` for selu.

    Examples:
      >>> round(calculate_gain("leaky_relu", 5 ** 0.5) ** 2, 6)
      0.333333

    PyTorch parity: ``torch.nn.init.calculate_gain``.
    """
    check_choice(nonlinearity, _NONLINEARITIES, "nonlinearity")
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if param is None:
        slope = 0.01
    elif isinstance(param, numbers.Real) and not isinstance(param, bool):
        slope = float(param)
    else:
        raise ValueError(
            f"`calculate_gain`: `param` (negative slope) must be a number, got {param!r}."
        )
    return math.sqrt(2.0 / (1 + slope**2))


def _scaling(scale: float, mode: str, distribution: str, fn: str) -> Initializer:
    inner = jax.nn.initializers.variance_scaling(
        scale,
        mode,  # type: ignore[arg-type]  # checked by the callers
        distribution,  # type: ignore[arg-type]
        in_axis=1,
        out_axis=0,
    )

    def init(key, shape, dtype: DTypeLike = jnp.float32) -> Array:
        shape = _check_shape(shape, fn)
        if math.prod(shape) == 0:
            return jnp.zeros(shape, dtype)  # PyTorch: a no-op on zero-element tensors
        return inner(key, shape, dtype)

    init.__name__ = fn
    init.__qualname__ = fn
    return init


_KAIMING_DOC = """PyTorch's ``kaiming_{dist}_`` (He init) as an initializer.

    {formula}

    with ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` the ``mode`` fan of
    :func:`fan_in_and_fan_out`. Built on
    ``jax.nn.initializers.variance_scaling(gain**2, mode, "{vs}", in_axis=1, out_axis=0)``.

    Args:
      a: negative slope of the rectifier after this layer (used by ``"leaky_relu"``).
      mode: ``"fan_in"`` (default) or ``"fan_out"``.
      nonlinearity: a ``torch.nn.functional`` name accepted by :func:`calculate_gain`.

    Returns:
      ``init(key, shape, dtype=jnp.float32)``; ``shape`` needs at least 2 dims.

    Raises:
      ValueError: unknown ``mode`` or ``nonlinearity`` (here), ``shape`` with fewer
        than 2 dims (when called).

    Examples:
      >>> import jax
      >>> w = kaiming_{dist}(nonlinearity="relu")(jax.random.key(0), (8, 4, 3, 3))
      >>> w.shape, w.dtype
      ((8, 4, 3, 3), dtype('float32'))

    PyTorch parity: ``torch.nn.init.kaiming_{dist}_`` (same distribution, different
    random stream).
    """


def kaiming_uniform(
    a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Initializer:
    check_choice(mode, ("fan_in", "fan_out"), "mode")
    gain = calculate_gain(nonlinearity, a)
    return _scaling(gain**2, mode, "uniform", "kaiming_uniform")


def kaiming_normal(
    a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Initializer:
    check_choice(mode, ("fan_in", "fan_out"), "mode")
    gain = calculate_gain(nonlinearity, a)
    return _scaling(gain**2, mode, "normal", "kaiming_normal")


kaiming_uniform.__doc__ = _KAIMING_DOC.format(
    dist="uniform",
    vs="uniform",
    formula=".. math::\n        W \\sim \\mathcal{U}(-b, b), \\quad b = \\text{gain} \\sqrt{3 / \\text{fan}}",
)
kaiming_normal.__doc__ = _KAIMING_DOC.format(
    dist="normal",
    vs="normal",
    formula=".. math::\n        W \\sim \\mathcal{N}(0, \\sigma^2), \\quad \\sigma = \\text{gain} / \\sqrt{\\text{fan}}",
)


def xavier_uniform(gain: float = 1.0) -> Initializer:
    """PyTorch's ``xavier_uniform_`` (Glorot) as an initializer.

    .. math::
        W \\sim \\mathcal{U}(-b, b), \\quad
        b = \\text{gain} \\sqrt{6 / (\\text{fan\\_in} + \\text{fan\\_out})}

    Args:
      gain: scale factor.

    Returns:
      ``init(key, shape, dtype=jnp.float32)``; ``shape`` needs at least 2 dims.

    Examples:
      >>> import jax
      >>> xavier_uniform()(jax.random.key(0), (3, 5)).shape
      (3, 5)

    PyTorch parity: ``torch.nn.init.xavier_uniform_`` (fans of PyTorch layouts).
    """
    gain = check_real(gain, "gain", "xavier_uniform")
    return _scaling(gain**2, "fan_avg", "uniform", "xavier_uniform")


def xavier_normal(gain: float = 1.0) -> Initializer:
    """PyTorch's ``xavier_normal_`` (Glorot) as an initializer.

    .. math::
        W \\sim \\mathcal{N}(0, \\sigma^2), \\quad
        \\sigma = \\text{gain} \\sqrt{2 / (\\text{fan\\_in} + \\text{fan\\_out})}

    Args:
      gain: scale factor.

    Returns:
      ``init(key, shape, dtype=jnp.float32)``; ``shape`` needs at least 2 dims.

    Examples:
      >>> import jax
      >>> xavier_normal(2.0)(jax.random.key(0), (3, 5)).shape
      (3, 5)

    PyTorch parity: ``torch.nn.init.xavier_normal_`` (not truncated).
    """
    gain = check_real(gain, "gain", "xavier_normal")
    return _scaling(gain**2, "fan_avg", "normal", "xavier_normal")


def conv_weight_default() -> Initializer:
    """PyTorch's default weight init of ``Conv*d``, ``ConvTranspose*d`` and ``Linear``.

    ``kaiming_uniform(a=sqrt(5))``, i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with
    ``fan_in = shape[1] * prod(k)``: ``C/G * prod(k)`` for conv ``(O, C/G, *k)``,
    ``O/G * prod(k)`` for transposed conv ``(C, O/G, *k)`` (PyTorch's quirk), ``in``
    for linear ``(out, in)``.

    Returns:
      ``init(key, shape, dtype=jnp.float32)``.

    Examples:
      >>> import jax
      >>> w = conv_weight_default()(jax.random.key(0), (16, 4, 3, 3))
      >>> bool(abs(w).max() <= 1 / 36 ** 0.5)
      True

    PyTorch parity: ``_ConvNd.reset_parameters`` / ``Linear.reset_parameters`` (weight).
    """
    return kaiming_uniform(a=math.sqrt(5))


def conv_bias_default(fan_in: int) -> Initializer:
    """PyTorch's default bias init: ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.

    ``fan_in`` is the weight's (``fan_in_and_fan_out(weight_shape)[0]``); a zero
    ``fan_in`` gives bound 0 (zeros), as in PyTorch.

    Args:
      fan_in: non-negative int.

    Returns:
      ``init(key, shape, dtype=jnp.float32)`` for any shape (usually ``(O,)``).

    Raises:
      ValueError: negative ``fan_in``. TypeError: non-int ``fan_in``.

    Examples:
      >>> import jax
      >>> b = conv_bias_default(36)(jax.random.key(0), (16,))
      >>> bool(abs(b).max() <= 1 / 6)
      True

    PyTorch parity: the bias part of ``_ConvNd.reset_parameters`` and
    ``Linear.reset_parameters``.
    """
    if isinstance(fan_in, bool) or not isinstance(fan_in, numbers.Integral):
        raise TypeError(
            f"`conv_bias_default`: `fan_in` must be an int, got {fan_in!r}."
        )
    if fan_in < 0:
        raise ValueError(
            f"`conv_bias_default`: `fan_in` must be non-negative, got {fan_in}."
        )
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0

    def init(key, shape, dtype: DTypeLike = jnp.float32) -> Array:
        return jax.random.uniform(key, tuple(shape), dtype, -bound, bound)

    init.__name__ = init.__qualname__ = "conv_bias_default"
    return init


__all__ = [
    "calculate_gain",
    "conv_bias_default",
    "conv_weight_default",
    "fan_in_and_fan_out",
    "kaiming_normal",
    "kaiming_uniform",
    "xavier_normal",
    "xavier_uniform",
]
