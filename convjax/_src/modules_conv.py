"""Flax NNX convolution modules: ``Conv*d``, ``ConvTranspose*d``, ``SeparableConv2d``.

The modules hold PyTorch-layout parameters initialised as PyTorch does and call the
functional API (:mod:`convjax.functional`); they do no maths of their own.

Shape legend: N batch, C in-channels, O out-channels, G groups, K kernel size.
Weights: conv ``(O, C/G, *K)``, transposed conv ``(C, O/G, *K)``; bias ``(O,)``.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Sequence
from typing import Any

import jax.numpy as jnp
from flax import nnx
from flax.nnx.nn import dtypes as flax_dtypes

from convjax import init
from convjax._src import conv as _conv
from convjax._src import conv_transpose as _conv_transpose
from convjax._src.checks import (
    check_choice,
    check_count,
    check_positive,
    is_channels_last,
    ntuple,
)
from convjax._src.docs import nd_doc
from convjax._src.formulas import conv_transpose_output_padding
from convjax._src.typing import Array, ArrayLike, DTypeLike, IntOrSeq, PaddingLike

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _InitSignature:
    """``cls.__signature__``: the constructor's, for ``inspect``/``help``/IDEs (NNX's
    metaclass otherwise shows ``(*args, **kwargs)``). Instances have none, so
    ``inspect.signature(module)`` still describes ``__call__``."""

    def __get__(self, obj, cls):
        if obj is not None:
            raise AttributeError("__signature__")
        sig = inspect.signature(cls.__init__)
        return sig.replace(parameters=list(sig.parameters.values())[1:])


class Module(nnx.Module):
    """Base of the ``convjax.nn`` modules: an ``nnx.Module`` with a visible
    constructor signature and PyTorch's ``train``/``eval`` conventions.

    ``model.train(mode=True)`` and ``model.eval()`` set the mode of every nested
    module (``deterministic=not mode`` for random layers, ``use_running_average=not
    mode`` for normalization layers, as Flax's ``train``/``eval`` do) and return the
    model, so ``model = Net(...).eval()`` works; ``model.train(False)`` equals
    ``model.eval()``.

    Examples:
      >>> from convjax import nn
      >>> bn = nn.BatchNorm1d(3)
      >>> bn.eval() is bn, bn.training, bn.train().training, bn.train(False).training
      (True, False, True, False)
    """

    __signature__ = _InitSignature()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A public class that inherits a private base's constructor (``Conv2d`` from
        # ``_ConvNd``) gets its own copy of it, so that Python's own argument errors
        # ("missing ... argument: 'rngs'") name the public class.
        init = cls.__init__
        owner = init.__qualname__.split(".")[0]
        if "__init__" in cls.__dict__ or cls.__name__[0] == "_" or owner[0] != "_":
            return
        qualname = f"{cls.__qualname__}.__init__"
        copy = types.FunctionType(
            init.__code__.replace(co_qualname=qualname),
            init.__globals__,
            init.__name__,
            init.__defaults__,
            init.__closure__,
        )
        copy.__kwdefaults__ = init.__kwdefaults__
        copy.__annotations__ = init.__annotations__
        copy.__doc__, copy.__qualname__ = init.__doc__, qualname
        cls.__init__ = copy

    def train(self, mode: bool = True, **attributes):
        """Training mode (``mode=False``: evaluation mode); returns ``self``.

        Extra ``attributes`` are set on every nested module that has them, as in
        Flax's ``Module.train``.
        """
        if not isinstance(mode, bool):
            raise ValueError(f"`train`: `mode` must be a bool, got {mode!r}.")
        if mode:
            super().train(**attributes)
        else:
            super().eval(**attributes)
        return self

    def eval(self, **attributes):
        """Evaluation mode, ``train(False)``; returns ``self``."""
        super().eval(**attributes)
        return self


def promote(args, dtype):
    """Casts ``args`` (``None`` entries kept) to ``dtype``, or to their promoted
    dtype when ``dtype`` is ``None``, as Flax modules do."""
    return flax_dtypes.promote_dtype(args, dtype=dtype)


def read(variable):
    """Value of an ``nnx.Variable`` attribute, or ``None`` for an absent one."""
    return None if variable is None else variable[...]


def check_rngs(rngs, cls_name):
    if not isinstance(rngs, nnx.Rngs):
        raise TypeError(
            f"`{cls_name}` needs `rngs=nnx.Rngs(...)` to initialise its parameters, "
            f"got `rngs` of type {type(rngs).__name__}."
        )


def check_module_groups(groups, in_channels, out_channels, cls_name):
    check_count(groups, "groups", cls_name)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        if value % groups:
            raise ValueError(
                f"`{cls_name}`: `{name}` ({value}) must be divisible by `groups` "
                f"({groups})."
            )


def default_params(rngs, weight_shape, bias_shape, param_dtype):
    """PyTorch's ``reset_parameters`` for conv and linear layers.

    Weight: ``kaiming_uniform_(a=sqrt(5))``, i.e. ``U(-b, b)`` with
    ``b = 1/sqrt(fan_in)``; bias (when ``bias_shape`` is not ``None``): ``U(-b, b)``
    with the same ``fan_in``. Like PyTorch, ``fan_in`` is computed from the stored
    weight shape (``weight.shape[1] * prod(K)``), which for a transposed conv is
    ``O/G * prod(K)``.
    """
    weight = nnx.Param(
        init.conv_weight_default()(rngs.params(), weight_shape, param_dtype)
    )
    if bias_shape is None:
        return weight, None
    fan_in, _ = init.fan_in_and_fan_out(weight_shape)
    bias = nnx.Param(
        init.conv_bias_default(fan_in)(rngs.params(), bias_shape, param_dtype)
    )
    return weight, bias


class _ConvNd(Module):
    _n: int
    _fn: staticmethod

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrSeq,
        stride: IntOrSeq = 1,
        padding: PaddingLike = 0,
        dilation: IntOrSeq = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        data_format: str | None = None,
        impl: str = "auto",
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs,
    ):
        name, n = type(self).__name__, self._n
        check_count(in_channels, "in_channels", name)
        check_count(out_channels, "out_channels", name)
        check_module_groups(groups, in_channels, out_channels, name)
        check_choice(padding_mode, _PADDING_MODES, "padding_mode")
        is_channels_last(data_format, n, name)
        check_rngs(rngs, name)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = check_positive(
            ntuple(kernel_size, n, "kernel_size"), "kernel_size"
        )
        self.stride = check_positive(ntuple(stride, n, "stride"), "stride")
        if isinstance(padding, str):
            self.padding = check_choice(padding, ("valid", "same"), "padding")
        else:
            self.padding = check_positive(
                ntuple(padding, n, "padding"), "padding", allow_zero=True
            )
        self.dilation = check_positive(ntuple(dilation, n, "dilation"), "dilation")
        self.groups = groups
        self.padding_mode = padding_mode
        self.data_format = data_format
        self.impl = impl
        self.dtype = dtype
        self.param_dtype = param_dtype
        self.weight, self.bias = default_params(
            rngs,
            (out_channels, in_channels // groups, *self.kernel_size),
            (out_channels,) if bias else None,
            param_dtype,
        )

    def __call__(self, input: ArrayLike) -> Array:
        x, w, b = promote((input, self.weight[...], read(self.bias)), self.dtype)
        return type(self)._fn(
            x,
            w,
            b,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            padding_mode=self.padding_mode,
            data_format=self.data_format,
            impl=self.impl,
        )


class _ConvTransposeNd(Module):
    _n: int
    _fn: staticmethod

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrSeq,
        stride: IntOrSeq = 1,
        padding: IntOrSeq = 0,
        output_padding: IntOrSeq = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrSeq = 1,
        padding_mode: str = "zeros",
        *,
        data_format: str | None = None,
        impl: str = "auto",
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs,
    ):
        name, n = type(self).__name__, self._n
        check_count(in_channels, "in_channels", name)
        check_count(out_channels, "out_channels", name)
        check_module_groups(groups, in_channels, out_channels, name)
        if padding_mode != "zeros":
            raise ValueError(
                f"`{name}`: only `padding_mode='zeros'` is supported, got {padding_mode!r}."
            )
        if isinstance(padding, str):
            raise TypeError(
                f"`{name}`: `padding` must be an int or a tuple of {n} ints, got "
                f"{padding!r}; strings are not supported for transposed convolutions."
            )
        is_channels_last(data_format, n, name)
        check_rngs(rngs, name)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = check_positive(
            ntuple(kernel_size, n, "kernel_size"), "kernel_size"
        )
        self.stride = check_positive(ntuple(stride, n, "stride"), "stride")
        self.padding = check_positive(
            ntuple(padding, n, "padding"), "padding", allow_zero=True
        )
        self.output_padding = check_positive(
            ntuple(output_padding, n, "output_padding"),
            "output_padding",
            allow_zero=True,
        )
        self.dilation = check_positive(ntuple(dilation, n, "dilation"), "dilation")
        for op, s, d in zip(
            self.output_padding, self.stride, self.dilation, strict=True
        ):
            if op >= max(s, d):
                raise ValueError(
                    f"`{name}`: `output_padding` {self.output_padding} must be smaller "
                    f"than either `stride` {self.stride} or `dilation` {self.dilation} "
                    f"in every dim."
                )
        self.groups = groups
        self.padding_mode = padding_mode
        self.data_format = data_format
        self.impl = impl
        self.dtype = dtype
        self.param_dtype = param_dtype
        self.weight, self.bias = default_params(
            rngs,
            (in_channels, out_channels // groups, *self.kernel_size),
            (out_channels,) if bias else None,
            param_dtype,
        )

    def _output_padding(self, x, output_size):
        """``output_padding`` that gives ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        name, n = type(self).__name__, self._n
        size = tuple(output_size)
        batched = x.ndim == n + 2
        if len(size) == n + (2 if batched else 1):
            size = size[-n:]
        if len(size) != n:
            raise ValueError(
                f"`{name}`: `output_size` must have {n} or {n + (2 if batched else 1)} "
                f"elements for a {x.ndim}-D input, got {output_size!r}."
            )
        if is_channels_last(self.data_format, n, name):
            spatial = x.shape[-n - 1 : -1]
        else:
            spatial = x.shape[-n:]
        try:
            return conv_transpose_output_padding(
                tuple(spatial),
                size,
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
            )
        except ValueError as e:
            raise ValueError(f"`{name}`: {e}") from None

    def __call__(
        self, input: ArrayLike, output_size: Sequence[int] | None = None
    ) -> Array:
        x, w, b = promote((input, self.weight[...], read(self.bias)), self.dtype)
        return type(self)._fn(
            x,
            w,
            b,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
            data_format=self.data_format,
            impl=self.impl,
        )


_CONV_DOC = """{n}-D convolution layer, ``torch.nn.Conv{n}d`` for Flax NNX.

    Holds ``weight`` ``(O, C/G, {k})`` and optional ``bias`` ``(O,)`` as ``nnx.Param``
    in PyTorch's layout, initialised as PyTorch does (``U(-b, b)``,
    ``b = 1/sqrt(C/G * prod(K))`` for both), and calls :func:`convjax.functional.conv{n}d`.

    Args:
      in_channels, out_channels: ``C`` and ``O``; both divisible by ``groups``.
      kernel_size, stride, padding, dilation, groups, padding_mode: as in
        :func:`convjax.functional.conv{n}d` (``padding`` may be ``"valid"`` or
        ``"same"``).
      bias: whether to add a learnable bias.
      data_format: ``None``/``"{fmt}"`` or ``"{cl}"`` for channels-last inputs; the
        weight keeps PyTorch's layout either way.
      impl: convolution implementation (``"auto"``, ``"xla"``, ...).
      dtype: computation dtype (``None``: promote input and parameters).
      param_dtype: parameter dtype.
      rngs: ``nnx.Rngs``; the ``params`` stream initialises weight then bias.

    Input ``{shape}`` (or unbatched); output ``(N, O, {out})``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.Conv{n}d(2, 4, 3, padding=1, rngs=nnx.Rngs(0))
      >>> layer.weight.shape
      (4, 2, {kones})
      >>> layer(jnp.ones((1, 2{ones}))).shape
      (1, 4{osize})

    PyTorch parity: ``torch.nn.Conv{n}d`` (same arguments, attribute names and default
    init; a ``state_dict`` loads through :func:`convjax.interop.load_torch_state_dict`).
    """

_CONVT_DOC = """{n}-D transposed convolution layer, ``torch.nn.ConvTranspose{n}d`` for NNX.

    Holds ``weight`` ``(C, O/G, {k})`` (PyTorch's transposed layout) and optional
    ``bias`` ``(O,)`` as ``nnx.Param``, initialised as PyTorch does: ``U(-b, b)`` with
    PyTorch's fan-in of the stored weight, ``b = 1/sqrt(O/G * prod(K))``; calls
    :func:`convjax.functional.conv_transpose{n}d`. Calling with
    ``output_size=`` picks the ``output_padding`` that gives that size, as PyTorch's
    ``forward(input, output_size)`` does.

    Args:
      in_channels, out_channels: ``C`` and ``O``; both divisible by ``groups``.
      kernel_size, stride, padding, output_padding, groups, dilation: as in
        :func:`convjax.functional.conv_transpose{n}d`.
      bias: whether to add a learnable bias.
      padding_mode: only ``"zeros"``, as in PyTorch.
      data_format, impl, dtype, param_dtype, rngs: as for :class:`Conv{n}d`.

    Input ``{shape}`` (or unbatched); output ``(N, O, {out})``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.ConvTranspose{n}d(2, 4, 3, stride=2, padding=1, rngs=nnx.Rngs(0))
      >>> layer.weight.shape
      (2, 4, {kones})
      >>> layer(jnp.ones((1, 2{ones}))).shape
      (1, 4{tsize})

    PyTorch parity: ``torch.nn.ConvTranspose{n}d`` (same arguments, attribute names,
    default init and ``output_size`` rule).
    """


def _doc(template, n):
    return nd_doc(template, n, ones=5, osize=5, tsize=9)


class Conv1d(_ConvNd):
    __doc__ = _doc(_CONV_DOC, 1)
    _n = 1
    _fn = staticmethod(_conv.conv1d)


class Conv2d(_ConvNd):
    __doc__ = _doc(_CONV_DOC, 2)
    _n = 2
    _fn = staticmethod(_conv.conv2d)


class Conv3d(_ConvNd):
    __doc__ = _doc(_CONV_DOC, 3)
    _n = 3
    _fn = staticmethod(_conv.conv3d)


class ConvTranspose1d(_ConvTransposeNd):
    __doc__ = _doc(_CONVT_DOC, 1)
    _n = 1
    _fn = staticmethod(_conv_transpose.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    __doc__ = _doc(_CONVT_DOC, 2)
    _n = 2
    _fn = staticmethod(_conv_transpose.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    __doc__ = _doc(_CONVT_DOC, 3)
    _n = 3
    _fn = staticmethod(_conv_transpose.conv_transpose3d)


class SeparableConv2d(Module):
    """Depthwise-separable 2-D convolution: a depthwise conv then a 1x1 pointwise conv.

    ``.depthwise`` is ``Conv2d(C, C * depth_multiplier, kernel_size, stride, padding,
    dilation, groups=C)`` and ``.pointwise`` is ``Conv2d(C * depth_multiplier, O, 1)``,
    each with a bias when ``bias`` is true and PyTorch's default init, so the
    ``state_dict`` keys are ``depthwise.weight``, ``depthwise.bias``,
    ``pointwise.weight``, ``pointwise.bias``.

    Args:
      in_channels, out_channels: ``C`` and ``O``.
      kernel_size, stride, padding, dilation: of the depthwise conv.
      bias: whether both convs carry a bias.
      depth_multiplier: depthwise output channels per input channel.
      padding_mode: of the depthwise conv.
      data_format, impl, dtype, param_dtype, rngs: as for :class:`Conv2d`.

    Input ``(N, C, H, W)`` (or unbatched); output ``(N, O, H', W')``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.SeparableConv2d(4, 8, 3, padding=1, depth_multiplier=2, rngs=nnx.Rngs(0))
      >>> layer.depthwise.weight.shape, layer.pointwise.weight.shape
      ((8, 1, 3, 3), (8, 8, 1, 1))
      >>> layer(jnp.ones((1, 4, 5, 5))).shape
      (1, 8, 5, 5)

    PyTorch parity: equals ``nn.Sequential`` of the two PyTorch convs named above
    (PyTorch has no single separable-conv module).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrSeq,
        stride: IntOrSeq = 1,
        padding: PaddingLike = 0,
        dilation: IntOrSeq = 1,
        bias: bool = True,
        depth_multiplier: int = 1,
        *,
        padding_mode: str = "zeros",
        data_format: str | None = None,
        impl: str = "auto",
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs,
    ):
        check_count(in_channels, "in_channels", "SeparableConv2d")
        check_count(depth_multiplier, "depth_multiplier", "SeparableConv2d")
        common: dict[str, Any] = dict(
            data_format=data_format,
            impl=impl,
            dtype=dtype,
            param_dtype=param_dtype,
            rngs=rngs,
        )
        hidden = in_channels * depth_multiplier
        self.depth_multiplier = depth_multiplier
        self.depthwise = Conv2d(
            in_channels,
            hidden,
            kernel_size,
            stride,
            padding,
            dilation,
            groups=in_channels,
            bias=bias,
            padding_mode=padding_mode,
            **common,
        )
        self.pointwise = Conv2d(hidden, out_channels, 1, bias=bias, **common)

    def __call__(self, input: ArrayLike) -> Array:
        return self.pointwise(self.depthwise(input))
