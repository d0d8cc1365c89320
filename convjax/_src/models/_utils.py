"""Helpers shared by the model families: torchvision's init loops and utilities.

torchvision initialises a freshly built model by looping over ``self.modules()``
and re-drawing the weights of every layer of a given type; :func:`reinit` is that
loop for NNX (``nnx.iter_modules``), drawing from the model's ``params`` stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from flax import nnx

from convjax._src.modules_conv import Module
from convjax._src.typing import Array


def overwrite_named_param(kwargs: dict, param: str, new_value) -> None:
    """torchvision's ``_ovewrite_named_param``: sets ``kwargs[param]``, raising if
    the caller passed a different value."""
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(
                f"The parameter `{param}` expected value {new_value} but got "
                f"{kwargs[param]} instead."
            )
    else:
        kwargs[param] = new_value


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """torchvision's ``_make_divisible``: rounds channels to a multiple of
    ``divisor`` without going below 90% of ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def set_param(variable: nnx.Variable, init_fn: Callable, key: Array | None) -> None:
    """Re-draws ``variable`` with ``init_fn(key, shape, dtype)``; ``key`` may be
    ``None`` for initializers that draw nothing (:func:`constant`)."""
    value = variable.get_value()
    # set_value, not `variable[...] =`: the latter compares shardings, which for a
    # tracer (under nnx.eval_shape) formats a whole jaxpr each time.
    variable.set_value(init_fn(key, value.shape, value.dtype))


def constant(value: float) -> Callable:
    """``nn.init.constant_`` as an initializer."""
    return lambda key, shape, dtype: jnp.full(shape, value, dtype)


def normal(mean: float = 0.0, std: float = 1.0) -> Callable:
    """``nn.init.normal_(mean, std)`` as an initializer."""
    return lambda key, shape, dtype: mean + std * jax.random.normal(key, shape, dtype)


def uniform(a: float = 0.0, b: float = 1.0) -> Callable:
    """``nn.init.uniform_(a, b)`` as an initializer."""
    return lambda key, shape, dtype: jax.random.uniform(key, shape, dtype, a, b)


def trunc_normal(
    mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Callable:
    """``nn.init.trunc_normal_(mean, std, a, b)``: a normal truncated to the
    *absolute* interval ``[a, b]`` (not ``mean +- 2 std``)."""

    def init_fn(key, shape, dtype):
        lower, upper = (a - mean) / std, (b - mean) / std
        z = jax.random.truncated_normal(key, lower, upper, shape, jnp.float32)
        return (mean + std * z).astype(dtype)

    return init_fn


def modules_of(model: nnx.Module, *types: type):
    """Submodules of ``model`` that are instances of ``types``, in graph order."""
    for _, module in nnx.iter_modules(model):
        if isinstance(module, types):
            yield module


def check_data_format(data_format: str | None, fn: str) -> bool:
    """Whether ``data_format`` asks for channels-last; raises for unknown values."""
    if data_format not in (None, "NCHW", "NHWC"):
        raise ValueError(
            f"`{fn}`: `data_format` must be None, 'NCHW' or 'NHWC', got "
            f"{data_format!r}."
        )
    return data_format == "NHWC"


def set_data_format(model: nnx.Module, data_format: str | None, fn: str) -> None:
    """Builds ``model``'s convs, norms and pools for ``data_format`` (PyTorch's
    ``model.to(memory_format=torch.channels_last)``, as an input layout).

    ``None``/``"NCHW"`` leaves the model as built. ``"NHWC"`` switches every
    layout-aware layer (convjax's convs, batch norms and pools: all that the
    models using this build from) to channels-last, and raises if the model holds
    a norm layer that is not one of them (a custom ``norm_layer``).
    """
    from convjax._src.modules_conv import _ConvNd
    from convjax._src.modules_norm import _BatchNorm
    from convjax._src.modules_pool import _AdaptivePoolNd, _MaxPoolNd

    if not check_data_format(data_format, fn):
        return
    aware = (_ConvNd, _BatchNorm, _MaxPoolNd, _AdaptivePoolNd)
    for _, module in nnx.iter_modules(model):
        if isinstance(module, aware):
            module.data_format = data_format
        elif isinstance(module, nnx.Module) and "norm" in type(module).__name__.lower():
            raise ValueError(
                f"`{fn}`: `data_format='NHWC'` needs convjax's batch norms; "
                f"`norm_layer` built a {type(module).__name__}."
            )


class NamedChildren(Module):
    """Children stored as attributes under their torchvision names (``"conv0"``,
    ``"denseblock1"``, ``"16"``), in order, so state-dict keys read
    ``features.conv0.weight``: the common base of :class:`NamedSequential` and
    :class:`IntermediateLayerGetter`, which differ in what ``__call__`` returns.
    """

    def __init__(self, layers: Mapping[str, Callable[..., Any]]):
        self.names = tuple(layers)
        for name, module in layers.items():
            setattr(self, name, module)

    def add_module(self, name: str, module: Callable[..., Any]) -> None:
        """Appends ``module`` under ``name`` (``nn.Module.add_module``)."""
        self.names = (*self.names, name)
        setattr(self, name, module)


class NamedSequential(NamedChildren):
    """``nn.Sequential(OrderedDict(...))``: named children (:class:`NamedChildren`)
    called in order.
    """

    def __call__(self, x: Array) -> Array:
        for name in self.names:
            x = getattr(self, name)(x)
        return x


class IntermediateLayerGetter(NamedChildren):
    """torchvision's ``IntermediateLayerGetter``: children run in order; the outputs
    of the children named in ``return_layers`` come back in a dict under their new
    names (keys ``backbone.layer4.0.conv1.weight``, ``backbone.16.0.weight``).
    """

    def __init__(
        self,
        layers: Mapping[str, Callable[..., Any]],
        return_layers: Mapping[str, str],
    ):
        super().__init__(layers)
        self.return_layers = tuple(return_layers.items())

    def __call__(self, x: Array) -> dict[str, Array]:
        return_layers = dict(self.return_layers)
        out = {}
        for name in self.names:
            x = getattr(self, name)(x)
            if name in return_layers:
                out[return_layers[name]] = x
        return out


class Permute(Module):
    """Permutes the dims of its input, torchvision's ``ops.misc.Permute``."""

    def __init__(self, dims: Sequence[int]):
        self.dims = tuple(dims)

    def __call__(self, x: Array) -> Array:
        return jnp.transpose(x, self.dims)
