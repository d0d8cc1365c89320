"""Flax NNX pooling modules: ``MaxPool*``, ``AvgPool*``, ``AdaptiveAvgPool*``,
``AdaptiveMaxPool*``, ``MaxUnpool*``.

Stateless shells with PyTorch's constructor arguments that call the pooling
functions of :mod:`convjax.functional`.
"""

from __future__ import annotations

from convjax._src import pool_indices as PI
from convjax._src import pooling as P
from convjax._src.modules_conv import Module
from convjax._src.typing import Array, ArrayLike, IntOrSeq

_FORMATS = {
    1: ("NCW", "NWC", "(N, C, L)"),
    2: ("NCHW", "NHWC", "(N, C, H, W)"),
    3: ("NCDHW", "NDHWC", "(N, C, D, H, W)"),
}
_EXAMPLE = {
    1: ("(1, 2, 8)", "(1, 2, 4)", "(1, 2, 3)"),
    2: ("(1, 2, 8, 8)", "(1, 2, 4, 4)", "(1, 2, 3, 3)"),
    3: ("(1, 2, 8, 8, 8)", "(1, 2, 4, 4, 4)", "(1, 2, 3, 3, 3)"),
}


def _fill(cls, n, template, **extra):
    fmt, cl, shape = _FORMATS[n]
    x, half, three = _EXAMPLE[n]
    cls.__doc__ = template.format(
        n=n,
        fmt=fmt,
        cl=cl,
        shape=shape,
        x=x,
        half=half,
        three=three,
        name=cls.__name__,
        **extra,
    )


class _MaxPoolNd(Module):
    _fn: staticmethod

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        dilation: IntOrSeq = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
        *,
        data_format: str | None = None,
    ):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        self.data_format = data_format

    def __call__(self, input: ArrayLike) -> Array | tuple[Array, Array]:
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
            data_format=self.data_format,
        )


class _AvgPoolNd(Module):
    _fn: staticmethod

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        *,
        data_format: str | None = None,
    ):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        self.data_format = data_format

    def __call__(self, input: ArrayLike) -> Array:
        extra = () if self.divisor_override is None else (self.divisor_override,)
        return type(self)._fn(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            *extra,
            data_format=self.data_format,
        )


class _AdaptivePoolNd(Module):
    _fn: staticmethod

    def __init__(self, output_size, *, data_format: str | None = None):
        self.output_size = output_size
        self.data_format = data_format

    def __call__(self, input: ArrayLike) -> Array:
        return type(self)._fn(input, self.output_size, data_format=self.data_format)


class _AdaptiveMaxPoolNd(Module):
    _fn: staticmethod

    def __init__(
        self,
        output_size,
        return_indices: bool = False,
        *,
        data_format: str | None = None,
    ):
        self.output_size = output_size
        self.return_indices = return_indices
        self.data_format = data_format

    def __call__(self, input: ArrayLike) -> Array | tuple[Array, Array]:
        return type(self)._fn(
            input, self.output_size, self.return_indices, data_format=self.data_format
        )


class _MaxUnpoolNd(Module):
    _fn: staticmethod

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        *,
        data_format: str | None = None,
    ):
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.data_format = data_format

    def __call__(self, input: ArrayLike, indices: ArrayLike, output_size=None) -> Array:
        return type(self)._fn(
            input,
            indices,
            self.kernel_size,
            self.stride,
            self.padding,
            output_size,
            data_format=self.data_format,
        )


_MAX_DOC = """{n}-D max pooling, ``torch.nn.{name}`` for Flax NNX (no parameters).

    Calls :func:`convjax.functional.max_pool{n}d` with the stored arguments;
    ``stride=None`` means ``kernel_size``. With ``return_indices=True`` it returns
    ``(values, indices)`` (PyTorch's flat indices, for :class:`MaxUnpool{n}d`).
    ``data_format="{cl}"`` takes channels-last inputs.

    Input ``{shape}`` (or unbatched).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.{name}(2)(jnp.ones({x})).shape
      {half}

    PyTorch parity: ``torch.nn.{name}`` (same arguments and defaults).
    """

_AVG_DOC = """{n}-D average pooling, ``torch.nn.{name}`` for Flax NNX (no parameters).

    Calls :func:`convjax.functional.avg_pool{n}d` with the stored arguments;
    ``stride=None`` means ``kernel_size``. ``data_format="{cl}"`` takes
    channels-last inputs.

    Input ``{shape}`` (or unbatched).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.{name}(2)(jnp.ones({x})).shape
      {half}

    PyTorch parity: ``torch.nn.{name}`` (same arguments and defaults{avg_note}).
    """

_ADAPTIVE_DOC = """{n}-D adaptive {what} pooling, ``torch.nn.{name}`` for Flax NNX.

    Calls :func:`convjax.functional.adaptive_{fn}_pool{n}d`: the output has spatial
    size ``output_size`` (an int, or a tuple whose ``None`` entries keep the input
    size). ``data_format="{cl}"`` takes channels-last inputs.

    Input ``{shape}`` (or unbatched).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.{name}(3)(jnp.ones({x})).shape
      {three}

    PyTorch parity: ``torch.nn.{name}``{adaptive_note}.
    """


_UNPOOL_DOC = """{n}-D max unpooling, ``torch.nn.{name}`` for Flax NNX (no parameters).

    ``module(input, indices, output_size=None)`` calls
    :func:`convjax.functional.max_unpool{n}d` with the stored ``kernel_size``,
    ``stride`` (``None`` means ``kernel_size``) and ``padding``.

    Input ``{shape}`` (or unbatched) and the indices of ``MaxPool{n}d(...,
    return_indices=True)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> v, i = nn.MaxPool{n}d(2, return_indices=True)(jnp.ones({x}))
      >>> nn.{name}(2)(v, i).shape
      {x}

    PyTorch parity: ``torch.nn.{name}`` (same arguments and defaults).
    """


class MaxUnpool1d(_MaxUnpoolNd):
    _fn = staticmethod(PI.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    _fn = staticmethod(PI.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    _fn = staticmethod(PI.max_unpool3d)


class MaxPool1d(_MaxPoolNd):
    _fn = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    _fn = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    _fn = staticmethod(P.max_pool3d)


class AvgPool1d(_AvgPoolNd):
    _fn = staticmethod(P.avg_pool1d)

    def __init__(
        self,
        kernel_size: IntOrSeq,
        stride: IntOrSeq | None = None,
        padding: IntOrSeq = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        *,
        data_format: str | None = None,
    ):
        super().__init__(
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            data_format=data_format,
        )


class AvgPool2d(_AvgPoolNd):
    _fn = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    _fn = staticmethod(P.avg_pool3d)


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    _fn = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    _fn = staticmethod(P.adaptive_avg_pool3d)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    _fn = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    _fn = staticmethod(P.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    _fn = staticmethod(P.adaptive_max_pool3d)


_cls: type
for _n, _cls in enumerate((MaxPool1d, MaxPool2d, MaxPool3d), 1):
    _fill(_cls, _n, _MAX_DOC)
for _n, _cls in enumerate((AvgPool1d, AvgPool2d, AvgPool3d), 1):
    _fill(
        _cls,
        _n,
        _AVG_DOC,
        avg_note="; no ``divisor_override`` in 1-D" if _n == 1 else "",
    )
for _n, _cls in enumerate((AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d), 1):
    _fill(_cls, _n, _ADAPTIVE_DOC, what="average", fn="avg", adaptive_note="")
for _n, _cls in enumerate((AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d), 1):
    _fill(
        _cls,
        _n,
        _ADAPTIVE_DOC,
        what="max",
        fn="max",
        adaptive_note=" (``return_indices=True`` returns ``(values, indices)``)",
    )
for _n, _cls in enumerate((MaxUnpool1d, MaxUnpool2d, MaxUnpool3d), 1):
    _fill(_cls, _n, _UNPOOL_DOC)
del _n, _cls
