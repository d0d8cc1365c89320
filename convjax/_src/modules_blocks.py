"""Containers and torchvision's building blocks as Flax NNX modules: ``Sequential``,
``ChannelShuffle``, ``SqueezeExcitation``, ``Conv2dNormActivation``,
``Conv3dNormActivation``.

Layer arguments (``norm_layer``, ``activation_layer``, ...) are classes or callables
as in torchvision (``partial(nn.BatchNorm2d, eps=1e-3)``); the ``rngs`` given to a
block is passed on to every layer constructor that takes a ``rngs`` argument.

Shape legend: N batch, C channels, H/W (D) spatial.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from flax import nnx

from convjax._src.checks import ntuple
from convjax._src.modules_act import Sigmoid
from convjax._src.modules_conv import Conv2d, Conv3d, Module, check_rngs
from convjax._src.modules_misc import ReLU
from convjax._src.modules_norm import BatchNorm2d, BatchNorm3d
from convjax._src.modules_pool import AdaptiveAvgPool2d
from convjax._src.norms import channel_shuffle
from convjax._src.typing import Array, ArrayLike


def accepts_rngs(factory) -> bool:
    """Whether the callable ``factory`` takes a ``rngs`` keyword argument."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return "rngs" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


def build(factory, *args, rngs=None, **kwargs):
    """Calls a layer ``factory`` with ``rngs=`` added when it accepts one."""
    if rngs is not None and accepts_rngs(factory):
        kwargs["rngs"] = rngs
    return factory(*args, **kwargs)


class Sequential(Module, nnx.Sequential):
    """Applies its layers in order, ``torch.nn.Sequential`` for Flax NNX.

    An ``nnx.Sequential`` (layers in ``.layers``; PyTorch state-dict names use the
    index, ``0.weight``, ``1.running_mean``) that also behaves like PyTorch's
    container: ``seq[i]`` (a slice gives a new ``Sequential`` sharing the layers),
    ``len(seq)``, iteration, ``append``, and ``train``/``eval`` returning the model.
    Layers may be modules or plain functions (``F.relu``).

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> seq = nn.Sequential(nn.Linear(3, 4, rngs=nnx.Rngs(0)), nn.ReLU())
      >>> seq(jnp.ones((2, 3))).shape, len(seq), type(seq[-1]).__name__
      ((2, 4), 2, 'ReLU')
      >>> seq.eval() is seq
      True

    PyTorch parity: ``torch.nn.Sequential`` (positional layers; no ``OrderedDict``
    form).
    """

    def __init__(self, *layers: Callable):
        super().__init__(*layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*list(self.layers)[index])
        return self.layers[index]

    def append(self, layer: Callable) -> Sequential:
        """Adds ``layer`` at the end; returns ``self`` (as PyTorch)."""
        self.layers.append(layer)
        return self


class ChannelShuffle(Module):
    """Shuffles channels across ``groups``, ``torch.nn.ChannelShuffle`` for NNX.

    Calls :func:`convjax.functional.channel_shuffle`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.ChannelShuffle(2)(jnp.arange(4).reshape(1, 4, 1)).ravel().tolist()
      [0, 2, 1, 3]

    PyTorch parity: ``torch.nn.ChannelShuffle``.
    """

    def __init__(self, groups: int):
        self.groups = groups

    def __call__(self, input: ArrayLike) -> Array:
        return channel_shuffle(input, self.groups)


class SqueezeExcitation(Module):
    """Squeeze-and-excitation block, ``torchvision.ops.SqueezeExcitation`` for NNX.

    .. math::
        y = x \\cdot \\sigma\\bigl(W_2\\, \\delta(W_1\\, \\mathrm{avgpool}(x) + b_1)
            + b_2\\bigr)

    with ``W_1`` (``fc1``, a 1x1 ``Conv2d`` C -> S), ``W_2`` (``fc2``, S -> C),
    ``delta = activation()`` and ``sigma = scale_activation()``.

    Args:
      input_channels: ``C``.
      squeeze_channels: ``S``.
      activation: class/callable building ``delta`` (default ``nn.ReLU``).
      scale_activation: class/callable building ``sigma`` (default ``nn.Sigmoid``).
      rngs: ``nnx.Rngs`` for the two convolutions' PyTorch default init.

    Input ``(N, C, H, W)`` (or unbatched ``(C, H, W)``); output the same shape.
    Attributes ``avgpool``, ``fc1``, ``fc2``, ``activation``, ``scale_activation``
    carry torchvision's names (state-dict keys ``fc1.weight``, ``fc1.bias``, ...).

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> se = nn.SqueezeExcitation(8, 2, rngs=nnx.Rngs(0))
      >>> se(jnp.ones((1, 8, 5, 5))).shape, se.fc1.weight.shape
      ((1, 8, 5, 5), (2, 8, 1, 1))

    PyTorch parity: ``torchvision.ops.SqueezeExcitation`` (same arguments,
    attributes and maths).
    """

    def __init__(
        self,
        input_channels: int,
        squeeze_channels: int,
        activation: Callable = ReLU,
        scale_activation: Callable = Sigmoid,
        *,
        rngs: nnx.Rngs,
    ):
        check_rngs(rngs, "SqueezeExcitation")
        self.avgpool = AdaptiveAvgPool2d(1)
        self.fc1 = Conv2d(input_channels, squeeze_channels, 1, rngs=rngs)
        self.fc2 = Conv2d(squeeze_channels, input_channels, 1, rngs=rngs)
        self.activation = build(activation, rngs=rngs)
        self.scale_activation = build(scale_activation, rngs=rngs)

    def _scale(self, input: ArrayLike) -> Array:
        scale = self.avgpool(input)
        scale = self.fc1(scale)
        scale = self.activation(scale)
        scale = self.fc2(scale)
        return self.scale_activation(scale)

    def __call__(self, input: ArrayLike) -> Array:
        return self._scale(input) * input


class _ConvNormActivation(Sequential):
    _n: int

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride,
        padding,
        groups,
        norm_layer,
        activation_layer,
        dilation,
        inplace,
        bias,
        conv_layer,
        rngs,
    ):
        check_rngs(rngs, type(self).__name__)
        if padding is None:  # torchvision's "same" padding for odd kernels
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                k = ntuple(kernel_size, self._n, "kernel_size")
                d = ntuple(dilation, self._n, "dilation")
                padding = tuple((ki - 1) // 2 * di for ki, di in zip(k, d, strict=True))
        if bias is None:
            bias = norm_layer is None
        layers = [
            conv_layer(
                in_channels,
                out_channels,
                kernel_size,
                stride,
                padding,
                dilation=dilation,
                groups=groups,
                bias=bias,
                rngs=rngs,
            )
        ]
        if norm_layer is not None:
            layers.append(build(norm_layer, out_channels, rngs=rngs))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(build(activation_layer, rngs=rngs, **params))
        super().__init__(*layers)
        self.out_channels = out_channels


_CNA_DOC = """Convolution, normalization, activation: torchvision's ``{name}``.

    A :class:`Sequential` of ``{conv}(in_channels, out_channels, kernel_size,
    stride, padding, dilation=dilation, groups=groups, bias=bias)``, then
    ``norm_layer(out_channels)`` unless ``norm_layer`` is ``None``, then
    ``activation_layer(inplace=inplace)`` (no ``inplace`` when it is ``None``)
    unless ``activation_layer`` is ``None``. Skipped layers take no index, exactly
    as in torchvision, so state-dict keys match (``0.weight``, ``1.running_mean``,
    ...).

    Args:
      in_channels, out_channels, kernel_size, stride, groups, dilation: as for
        ``{conv}``.
      padding: ``None`` (default) gives ``(kernel_size - 1) // 2 * dilation`` per
        spatial dim.
      norm_layer: class/callable building the norm layer from ``out_channels``
        (default ``nn.{norm}``; e.g. ``partial(nn.{norm}, eps=1e-3)``), or
        ``None``.
      activation_layer: class/callable (default ``nn.ReLU``), or ``None``.
      inplace: passed to ``activation_layer`` as ``inplace=`` (ignored by convjax's
        activations), unless ``None``.
      bias: conv bias; ``None`` means ``norm_layer is None``.
      rngs: ``nnx.Rngs``, passed to every layer constructor that takes ``rngs``.

    Attribute ``out_channels`` as in torchvision.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> block = nn.{name}(3, 8, stride=2, rngs=nnx.Rngs(0))
      >>> [type(layer).__name__ for layer in block]
      ['{conv}', '{norm}', 'ReLU']
      >>> block(jnp.ones({shape})).shape
      {out}

    PyTorch parity: ``torchvision.ops.{name}`` (same arguments, defaults, layers
    and state-dict keys).
    """


class Conv2dNormActivation(_ConvNormActivation):
    __doc__ = _CNA_DOC.format(
        name="Conv2dNormActivation",
        conv="Conv2d",
        norm="BatchNorm2d",
        shape="(1, 3, 8, 8)",
        out="(1, 8, 4, 4)",
    )
    _n = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable | None = BatchNorm2d,
        activation_layer: Callable | None = ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            Conv2d,
            rngs,
        )


class Conv3dNormActivation(_ConvNormActivation):
    __doc__ = _CNA_DOC.format(
        name="Conv3dNormActivation",
        conv="Conv3d",
        norm="BatchNorm3d",
        shape="(1, 3, 4, 8, 8)",
        out="(1, 8, 2, 4, 4)",
    )
    _n = 3

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size=3,
        stride=1,
        padding=None,
        groups: int = 1,
        norm_layer: Callable | None = BatchNorm3d,
        activation_layer: Callable | None = ReLU,
        dilation=1,
        inplace: bool | None = True,
        bias: bool | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            groups,
            norm_layer,
            activation_layer,
            dilation,
            inplace,
            bias,
            Conv3d,
            rngs,
        )
