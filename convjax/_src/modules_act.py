"""Flax NNX activation modules with PyTorch's names, arguments and defaults.

Stateless shells over :mod:`convjax.functional`'s activations (``inplace=`` is
accepted and ignored where PyTorch has it: JAX arrays are immutable), plus
``PReLU`` (a learnable slope) and ``RReLU`` (random slopes in training mode).
"""

import jax
import jax.numpy as jnp
from flax import nnx

from convjax._src import activations as _act
from convjax._src.checks import check_choice, check_count, check_real
from convjax._src.modules_conv import Module
from convjax._src.modules_dropout import RandomModule
from convjax._src.typing import Array, ArrayLike, DTypeLike


class Sigmoid(Module):
    """``torch.nn.Sigmoid`` for Flax NNX: applies :func:`convjax.functional.sigmoid`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Sigmoid()(jnp.array([0.0, 2.0]))
      Array([0.5     , 0.880797], dtype=float32)

    PyTorch parity: ``torch.nn.Sigmoid`` (same arguments and defaults).
    """

    def __init__(self):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return _act.sigmoid(input)


class Tanh(Module):
    """``torch.nn.Tanh`` for Flax NNX: applies :func:`convjax.functional.tanh`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Tanh()(jnp.array([0.0, 1.0]))
      Array([0.       , 0.7615942], dtype=float32)

    PyTorch parity: ``torch.nn.Tanh`` (same arguments and defaults).
    """

    def __init__(self):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return _act.tanh(input)


class SiLU(Module):
    """``torch.nn.SiLU`` for Flax NNX: applies :func:`convjax.functional.silu`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.SiLU()(jnp.array([0.0, 1.0]))
      Array([0.       , 0.7310586], dtype=float32)

    PyTorch parity: ``torch.nn.SiLU`` (same arguments and defaults).
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.silu(input)


class Hardswish(Module):
    """``torch.nn.Hardswish`` for Flax NNX: applies :func:`convjax.functional.hardswish`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Hardswish()(jnp.array([-4.0, 1.0]))
      Array([-0.       ,  0.6666667], dtype=float32)

    PyTorch parity: ``torch.nn.Hardswish`` (same arguments and defaults).
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.hardswish(input)


class Hardsigmoid(Module):
    """``torch.nn.Hardsigmoid`` for Flax NNX: applies :func:`convjax.functional.hardsigmoid`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Hardsigmoid()(jnp.array([-4.0, 1.5]))
      Array([0.  , 0.75], dtype=float32)

    PyTorch parity: ``torch.nn.Hardsigmoid`` (same arguments and defaults).
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.hardsigmoid(input)


class Mish(Module):
    """``torch.nn.Mish`` for Flax NNX: applies :func:`convjax.functional.mish`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Mish()(jnp.array([-1.0, 1.0]))
      Array([-0.30340144,  0.8650985 ], dtype=float32)

    PyTorch parity: ``torch.nn.Mish`` (same arguments and defaults).
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.mish(input)


class SELU(Module):
    """``torch.nn.SELU`` for Flax NNX: applies :func:`convjax.functional.selu`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.SELU()(jnp.array([-1.0, 1.0]))
      Array([-1.1113307,  1.050701 ], dtype=float32)

    PyTorch parity: ``torch.nn.SELU`` (same arguments and defaults).
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.selu(input)


class LogSigmoid(Module):
    """``torch.nn.LogSigmoid`` for Flax NNX: applies :func:`convjax.functional.logsigmoid`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.LogSigmoid()(jnp.array([0.0, -100.0]))
      Array([  -0.6931472, -100.       ], dtype=float32)

    PyTorch parity: ``torch.nn.LogSigmoid`` (same arguments and defaults).
    """

    def __init__(self):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return _act.logsigmoid(input)


class Tanhshrink(Module):
    """``torch.nn.Tanhshrink`` for Flax NNX: applies :func:`convjax.functional.tanhshrink`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Tanhshrink()(jnp.array([0.0, 1.0]))
      Array([0.        , 0.23840582], dtype=float32)

    PyTorch parity: ``torch.nn.Tanhshrink`` (same arguments and defaults).
    """

    def __init__(self):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return _act.tanhshrink(input)


class Softsign(Module):
    """``torch.nn.Softsign`` for Flax NNX: applies :func:`convjax.functional.softsign`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Softsign()(jnp.array([-3.0, 1.0]))
      Array([-0.75,  0.5 ], dtype=float32)

    PyTorch parity: ``torch.nn.Softsign`` (same arguments and defaults).
    """

    def __init__(self):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return _act.softsign(input)


class GELU(Module):
    """``torch.nn.GELU`` for Flax NNX: applies :func:`convjax.functional.gelu`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.GELU()(jnp.array([1.0]))
      Array([0.8413447], dtype=float32)

    PyTorch parity: ``torch.nn.GELU`` (same arguments and defaults).
    """

    def __init__(self, approximate: str = "none"):
        check_choice(approximate, ("none", "tanh"), "approximate")
        self.approximate = approximate

    def __call__(self, input: ArrayLike) -> Array:
        return _act.gelu(input, self.approximate)


class Hardtanh(Module):
    """``torch.nn.Hardtanh`` for Flax NNX: applies :func:`convjax.functional.hardtanh`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Hardtanh()(jnp.array([-2.0, 0.5]))
      Array([-1. ,  0.5], dtype=float32)

    PyTorch parity: ``torch.nn.Hardtanh`` (same arguments and defaults).
    """

    def __init__(
        self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
    ):
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.hardtanh(input, self.min_val, self.max_val)


class ELU(Module):
    """``torch.nn.ELU`` for Flax NNX: applies :func:`convjax.functional.elu`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.ELU()(jnp.array([-1.0, 2.0]))
      Array([-0.63212055,  2.        ], dtype=float32)

    PyTorch parity: ``torch.nn.ELU`` (same arguments and defaults).
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        self.alpha = alpha
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.elu(input, self.alpha)


class CELU(Module):
    """``torch.nn.CELU`` for Flax NNX: applies :func:`convjax.functional.celu`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.CELU(alpha=2.0)(jnp.array([-1.0, 2.0]))
      Array([-0.78693867,  2.        ], dtype=float32)

    PyTorch parity: ``torch.nn.CELU`` (same arguments and defaults).
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        self.alpha = alpha
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.celu(input, self.alpha)


class Softplus(Module):
    """``torch.nn.Softplus`` for Flax NNX: applies :func:`convjax.functional.softplus`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Softplus()(jnp.array([0.0, 30.0]))
      Array([ 0.6931472, 30.       ], dtype=float32)

    PyTorch parity: ``torch.nn.Softplus`` (same arguments and defaults).
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        self.beta = beta
        self.threshold = threshold

    def __call__(self, input: ArrayLike) -> Array:
        return _act.softplus(input, self.beta, self.threshold)


class LeakyReLU(Module):
    """``torch.nn.LeakyReLU`` for Flax NNX: applies :func:`convjax.functional.leaky_relu`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.LeakyReLU(0.5)(jnp.array([-2.0, 3.0]))
      Array([-1.,  3.], dtype=float32)

    PyTorch parity: ``torch.nn.LeakyReLU`` (same arguments and defaults).
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        self.negative_slope = negative_slope
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.leaky_relu(input, self.negative_slope)


class Softshrink(Module):
    """``torch.nn.Softshrink`` for Flax NNX: applies :func:`convjax.functional.softshrink`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Softshrink()(jnp.array([-1.0, 0.2]))
      Array([-0.5,  0. ], dtype=float32)

    PyTorch parity: ``torch.nn.Softshrink`` (same arguments and defaults).
    """

    def __init__(self, lambd: float = 0.5):
        self.lambd = lambd

    def __call__(self, input: ArrayLike) -> Array:
        return _act.softshrink(input, self.lambd)


class Hardshrink(Module):
    """``torch.nn.Hardshrink`` for Flax NNX: applies :func:`convjax.functional.hardshrink`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Hardshrink()(jnp.array([-1.0, 0.2]))
      Array([-1.,  0.], dtype=float32)

    PyTorch parity: ``torch.nn.Hardshrink`` (same arguments and defaults).
    """

    def __init__(self, lambd: float = 0.5):
        self.lambd = lambd

    def __call__(self, input: ArrayLike) -> Array:
        return _act.hardshrink(input, self.lambd)


class Threshold(Module):
    """``torch.nn.Threshold`` for Flax NNX: applies :func:`convjax.functional.threshold`.

    ``inplace`` is accepted and ignored.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Threshold(0.5, 9.0)(jnp.array([-1.0, 2.0]))
      Array([9., 2.], dtype=float32)

    PyTorch parity: ``torch.nn.Threshold`` (same arguments and defaults).
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.threshold(input, self.threshold, self.value)


class GLU(Module):
    """``torch.nn.GLU`` for Flax NNX: applies :func:`convjax.functional.glu`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.GLU()(jnp.array([1.0, 2.0, 0.0, 100.0]))
      Array([0.5, 2. ], dtype=float32)

    PyTorch parity: ``torch.nn.GLU`` (same arguments and defaults).
    """

    def __init__(self, dim: int = -1):
        self.dim = dim

    def __call__(self, input: ArrayLike) -> Array:
        return _act.glu(input, self.dim)


class Softmax(Module):
    """``torch.nn.Softmax`` for Flax NNX: applies :func:`convjax.functional.softmax`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Softmax(dim=0)(jnp.array([0.0, 0.0]))
      Array([0.5, 0.5], dtype=float32)

    PyTorch parity: ``torch.nn.Softmax`` (same arguments and defaults).
    """

    def __init__(self, dim: int | None = None):
        self.dim = dim

    def __call__(self, input: ArrayLike) -> Array:
        return _act.softmax(input, self.dim)


class LogSoftmax(Module):
    """``torch.nn.LogSoftmax`` for Flax NNX: applies :func:`convjax.functional.log_softmax`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.LogSoftmax(dim=0)(jnp.array([0.0, 0.0]))
      Array([-0.6931472, -0.6931472], dtype=float32)

    PyTorch parity: ``torch.nn.LogSoftmax`` (same arguments and defaults).
    """

    def __init__(self, dim: int | None = None):
        self.dim = dim

    def __call__(self, input: ArrayLike) -> Array:
        return _act.log_softmax(input, self.dim)


class Softmin(Module):
    """``torch.nn.Softmin`` for Flax NNX: applies :func:`convjax.functional.softmin`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Softmin(dim=0)(jnp.array([0.0, 0.0]))
      Array([0.5, 0.5], dtype=float32)

    PyTorch parity: ``torch.nn.Softmin`` (same arguments and defaults).
    """

    def __init__(self, dim: int | None = None):
        self.dim = dim

    def __call__(self, input: ArrayLike) -> Array:
        return _act.softmin(input, self.dim)


class PReLU(Module):
    """Parametric ReLU with a learnable slope, ``torch.nn.PReLU`` for Flax NNX.

    ``x`` for ``x > 0``, ``weight * x`` otherwise; ``weight`` (an ``nnx.Param`` of
    shape ``(num_parameters,)``, filled with ``init``) holds one slope, or one per
    channel (dim 1 of the input).

    Args:
      num_parameters: 1 or the number of input channels.
      init: initial slope.
      dtype: computation dtype (``None``: promote input and weight).
      param_dtype: parameter dtype.
      rngs: unused (the init is constant); accepted for a uniform constructor.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> layer = nn.PReLU(2)
      >>> layer.weight.shape, layer(jnp.array([[-4.0, 1.0], [-4.0, 1.0]]))[0]
      ((2,), Array([-1.,  1.], dtype=float32))

    PyTorch parity: ``torch.nn.PReLU`` (same arguments, parameter name and init).
    """

    def __init__(
        self,
        num_parameters: int = 1,
        init: float = 0.25,
        *,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        self.num_parameters = check_count(num_parameters, "num_parameters", "PReLU")
        self.init = check_real(init, "init", "PReLU")
        self.dtype = dtype
        self.weight = nnx.Param(jnp.full((num_parameters,), init, param_dtype))

    def __call__(self, input: ArrayLike) -> Array:
        w = self.weight[...]
        x = jnp.asarray(input)
        if self.dtype is not None:
            x, w = x.astype(self.dtype), w.astype(self.dtype)
        return _act.prelu(x, w)


class RReLU(RandomModule):
    """Randomized leaky ReLU, ``torch.nn.RReLU`` for Flax NNX.

    In training mode (the default, as in PyTorch) every element gets a slope
    ``U(lower, upper)`` drawn with a key from the module's ``rrelu`` stream
    (falling back to the ``nnx.Rngs`` default stream, as :class:`Dropout` does);
    after ``model.eval()`` the slope is ``(lower + upper) / 2``. See
    :func:`convjax.functional.rrelu`.

    Args:
      lower, upper: slope range.
      inplace: accepted and ignored.
      deterministic, rng_collection, rngs: as for :class:`Dropout`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.RReLU(0.25, 0.75, rngs=nnx.Rngs(0))
      >>> bool(-1.5 <= layer(jnp.array([-2.0]))[0] <= -0.5)
      True
      >>> layer.eval()(jnp.array([-2.0, 3.0]))
      Array([-1.,  3.], dtype=float32)

    PyTorch parity: ``torch.nn.RReLU`` (random streams differ).
    """

    def __init__(
        self,
        lower: float = 1.0 / 8,
        upper: float = 1.0 / 3,
        inplace: bool = False,
        *,
        deterministic: bool = False,
        rng_collection: str = "rrelu",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        lower = check_real(lower, "lower", "RReLU")
        upper = check_real(upper, "upper", "RReLU")
        if lower > upper:
            raise ValueError(
                f"`RReLU`: `lower` ({lower!r}) must be <= `upper` ({upper!r})."
            )
        self.lower = lower
        self.upper = upper
        self.inplace = inplace
        self._init_random(rngs, deterministic, rng_collection)

    def __call__(
        self,
        input: ArrayLike,
        *,
        deterministic: bool | None = None,
        rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None,
    ) -> Array:
        """Applies RReLU (random slopes in training mode)."""
        if self._mode(deterministic):
            return _act.rrelu(input, self.lower, self.upper, False)
        return _act.rrelu(input, self.lower, self.upper, True, key=self._key(rngs))
