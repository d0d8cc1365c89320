"""Flax NNX normalization modules: ``BatchNorm1d/2d/3d``, ``SyncBatchNorm``,
``InstanceNorm1d/2d/3d``, ``LayerNorm``, torchvision's ``LayerNorm2d``, ``GroupNorm``
and ``LocalResponseNorm``.

The modules hold PyTorch's parameters and buffers and call the functional API
(:func:`convjax.functional.batch_norm`, ``instance_norm``, ``layer_norm``, ...); they
do no maths of their own beyond PyTorch's module logic (counting batches, choosing
the momentum).

Shape legend: N batch, C features (channels), L/D/H/W spatial.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from convjax._src.checks import check_count, is_channels_last
from convjax._src.modules_conv import Module, promote, read
from convjax._src.normalization import batch_norm
from convjax._src.norms import (
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
)
from convjax._src.typing import Array, ArrayLike, DTypeLike


class _BatchNorm(Module):
    _ranks: tuple[int, ...] = ()  # accepted input ranks; () means any rank >= 2
    _n: int | None = None  # spatial dims for `data_format`

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        axis_name: str | None = None,
        data_format: str | None = None,
        bias: bool = True,
        use_running_average: bool = False,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        name = type(self).__name__
        num_features = check_count(num_features, "num_features", name)
        if self._n is not None:
            is_channels_last(data_format, self._n, name)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.use_running_average = use_running_average
        self.axis_name = axis_name
        self.data_format = data_format
        self.dtype = dtype
        self.param_dtype = param_dtype
        shape = (num_features,)
        if affine:
            self.weight: nnx.Param | None = nnx.Param(jnp.ones(shape, param_dtype))
            self.bias: nnx.Param | None = (
                nnx.Param(jnp.zeros(shape, param_dtype)) if bias else None
            )
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.running_mean = nnx.BatchStat(jnp.zeros(shape, param_dtype))
            self.running_var = nnx.BatchStat(jnp.ones(shape, param_dtype))
            self.num_batches_tracked = nnx.BatchStat(jnp.zeros((), jnp.int32))
        else:
            # No buffers, as in PyTorch; __call__ reads them only when tracking.
            self.running_mean = self.running_var = self.num_batches_tracked = None  # type: ignore[assignment]

    def set_view(self, use_running_average: bool | None = None):
        """Used by ``nnx.view``: ``use_running_average=True`` is eval mode."""
        if use_running_average is not None:
            self.use_running_average = use_running_average

    @property
    def training(self) -> bool:
        """PyTorch's flag: ``not use_running_average`` (``model.train()`` sets it)."""
        return not self.use_running_average

    def _check_input(self, x):
        name = type(self).__name__
        if self._ranks and x.ndim not in self._ranks:
            wanted = " or ".join(f"{r}D" for r in self._ranks)
            raise ValueError(
                f"`{name}` expects a {wanted} input, got shape {x.shape} ({x.ndim}D)."
            )
        if x.ndim < 2:
            raise ValueError(
                f"`{name}` expects an input of at least 2 dims (N, C, ...), got shape "
                f"{x.shape}."
            )

    def __call__(
        self, input: ArrayLike, *, use_running_average: bool | None = None
    ) -> Array:
        """Normalizes ``input``; in training mode also updates the running stats.

        Args:
          input: ``(N, C, *spatial)`` (or channels-last per ``data_format``).
          use_running_average: overrides the module's mode for this call.
        """
        x = jnp.asarray(input)
        self._check_input(x)
        if use_running_average is None:
            use_running_average = self.use_running_average
        training = not use_running_average
        weight, bias = read(self.weight), read(self.bias)
        if self.dtype is not None:
            x, weight, bias = promote((x, weight, bias), self.dtype)
        momentum: float | Array | None = self.momentum
        if training and self.track_running_stats:
            count = self.num_batches_tracked[...] + 1
            self.num_batches_tracked[...] = count
            if momentum is None:  # PyTorch's cumulative moving average
                momentum = 1.0 / count
        # PyTorch normalizes with batch statistics whenever there are no running ones.
        data_format = self.data_format if x.ndim > 2 else None
        y, mean, var = batch_norm(
            x,
            read(self.running_mean),
            read(self.running_var),
            weight,
            bias,
            training or not self.track_running_stats,
            0.0 if momentum is None else momentum,
            self.eps,
            axis_name=self.axis_name,
            data_format=data_format,
        )
        if training and self.track_running_stats:
            self.running_mean[...] = mean
            self.running_var[...] = var
        return y


_DOC = """Batch normalization over {what}, ``torch.nn.{name}`` for Flax NNX.

    .. math::
        y = \\frac{{x - \\mathrm{{E}}[x]}}{{\\sqrt{{\\mathrm{{Var}}[x] + \\epsilon}}}}
            \\gamma + \\beta

    In training mode (``model.train()``, the default as in PyTorch) the mean and the
    biased variance of the batch normalize the input, and the running statistics
    become ``(1 - momentum) * running + momentum * batch`` (the running variance
    takes the unbiased batch variance); ``momentum=None`` uses the cumulative average
    ``1 / num_batches_tracked``. In eval mode (``model.eval()``) the running
    statistics normalize. Without running statistics (``track_running_stats=False``)
    batch statistics are used in both modes.

    Attributes ``weight``/``bias`` (``nnx.Param``, ones/zeros, absent when
    ``affine=False``), ``running_mean``/``running_var`` (``nnx.BatchStat``,
    zeros/ones) and ``num_batches_tracked`` (``nnx.BatchStat``, int32 scalar) carry
    PyTorch's names, so state dicts load one to one.

    Args:
      num_features: ``C``.
      eps: added to the variance.
      momentum: running-statistics update factor, or ``None`` for a cumulative
        average.
      affine: learnable ``weight`` and ``bias``.
      track_running_stats: keep running statistics.
      bias: with ``affine``, whether to learn ``bias`` (``False``: scale only, no
        ``bias`` entry, as torch 2.14's ``bias=False``).
      use_running_average: initial mode (``False``: training, as PyTorch); the mode
        ``model.train()``/``model.eval()``/``nnx.view`` switch.
      axis_name: a mapped axis (``pmap``/``shard_map``/``vmap``) over which batch
        statistics are averaged: synchronized batch norm.
      data_format: {fmt_doc}
      dtype: computation dtype (``None``: that of the input; statistics are
        computed in at least float32).
      param_dtype: dtype of parameters and running statistics.
      rngs: unused (accepted for a uniform constructor).

    Input {shape}; output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> bn = nn.{name}(3)
      >>> y = bn(jnp.arange({size}.0).reshape({example}))
      >>> bn.num_batches_tracked[...].item(), bn.running_mean.shape
      (1, (3,))
      >>> bn.eval() is bn, bn.use_running_average
      (True, True)

    PyTorch parity: ``torch.nn.{name}`` (same arguments, buffers, update rule and
    train/eval behaviour); ``num_batches_tracked`` is int32 rather than int64.
    """


class BatchNorm1d(_BatchNorm):
    __doc__ = _DOC.format(
        what="``(N, C)`` or ``(N, C, L)`` inputs",
        name="BatchNorm1d",
        fmt_doc='``None``/``"NCW"`` or ``"NWC"`` for 3-D inputs.',
        shape="``(N, C)`` or ``(N, C, L)``",
        size=6,
        example="2, 3",
    )
    _ranks = (2, 3)
    _n = 1


class BatchNorm2d(_BatchNorm):
    __doc__ = _DOC.format(
        what="``(N, C, H, W)`` inputs",
        name="BatchNorm2d",
        fmt_doc='``None``/``"NCHW"`` or ``"NHWC"``.',
        shape="``(N, C, H, W)``",
        size=24,
        example="2, 3, 2, 2",
    )
    _ranks = (4,)
    _n = 2


class BatchNorm3d(_BatchNorm):
    __doc__ = _DOC.format(
        what="``(N, C, D, H, W)`` inputs",
        name="BatchNorm3d",
        fmt_doc='``None``/``"NCDHW"`` or ``"NDHWC"``.',
        shape="``(N, C, D, H, W)``",
        size=24,
        example="2, 3, 1, 2, 2",
    )
    _ranks = (5,)
    _n = 3


class SyncBatchNorm(_BatchNorm):
    """Batch normalization synchronized over a mapped axis, ``torch.nn.SyncBatchNorm``.

    Same as :class:`BatchNorm2d` (and its 1-D/3-D siblings: any input of rank >= 2,
    channels first) except that ``axis_name`` defaults to ``"batch"``: batch
    statistics are averaged over that axis of an enclosing ``pmap``, ``shard_map``
    or ``vmap``, so every device normalizes with the statistics of the global batch.
    Call it inside such a map (``nnx.vmap(..., axis_name="batch")``, ``nnx.pmap``,
    ``nnx.shard_map``); outside one, pass ``axis_name=None``.

    Args:
      num_features: as for :class:`BatchNorm2d`, and so are ``eps``, ``momentum``,
        ``affine``, ``track_running_stats``, ``bias``, ``use_running_average``,
        ``dtype``, ``param_dtype`` and ``rngs``.
      axis_name: the mapped axis to synchronize over.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> bn = nn.SyncBatchNorm(3)
      >>> x = jnp.arange(48.0).reshape(2, 2, 3, 2, 2)  # (devices, N, C, H, W)
      >>> y = nnx.vmap(lambda m, x: m(x), in_axes=(None, 0), axis_name="batch")(bn, x)
      >>> y.shape, bn.num_batches_tracked[...].item()
      ((2, 2, 3, 2, 2), 1)

    PyTorch parity: ``torch.nn.SyncBatchNorm`` with the process group replaced by a
    JAX axis name; channels-first only.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        axis_name: str | None = "batch",
        bias: bool = True,
        use_running_average: bool = False,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        super().__init__(
            num_features,
            eps,
            momentum,
            affine,
            track_running_stats,
            bias=bias,
            use_running_average=use_running_average,
            axis_name=axis_name,
            dtype=dtype,
            param_dtype=param_dtype,
            rngs=rngs,
        )


class _InstanceNorm(_BatchNorm):
    _ranks: tuple[int, int]

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        *,
        bias: bool = True,
        use_running_average: bool = False,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        super().__init__(
            num_features,
            eps,
            momentum,
            affine,
            track_running_stats,
            bias=bias,
            use_running_average=use_running_average,
            dtype=dtype,
            param_dtype=param_dtype,
            rngs=rngs,
        )

    def __call__(
        self, input: ArrayLike, *, use_running_average: bool | None = None
    ) -> Array:
        """Normalizes ``input``; in training mode also updates running stats.

        Args:
          input: batched ``(N, C, *spatial)`` or unbatched ``(C, *spatial)``.
          use_running_average: overrides the module's mode for this call.
        """
        name = type(self).__name__
        x = jnp.asarray(input)
        self._check_input(x)
        unbatched = x.ndim == self._ranks[0]
        if unbatched:
            x = x[None]
        if self.affine and x.shape[1] != self.num_features:
            raise ValueError(
                f"`{name}`: expected input's size at dim=1 to match num_features "
                f"({self.num_features}), but got input of shape {jnp.shape(input)}."
            )
        if use_running_average is None:
            use_running_average = self.use_running_average
        training = not use_running_average
        weight, bias = read(self.weight), read(self.bias)
        if self.dtype is not None:
            x, weight, bias = promote((x, weight, bias), self.dtype)
        y, mean, var = instance_norm(
            x,
            read(self.running_mean),
            read(self.running_var),
            weight,
            bias,
            training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        if training and self.track_running_stats:
            self.running_mean[...] = mean
            self.running_var[...] = var
        return y[0] if unbatched else y


_INSTANCE_DOC = """Instance normalization of {what}, ``torch.nn.{name}`` for Flax NNX.

    Each sample's channel is normalized with its own mean and biased variance over
    space (:func:`convjax.functional.instance_norm`). With
    ``track_running_stats=True`` the running statistics are updated in training
    mode and used after ``model.eval()``; otherwise input statistics are used in
    both modes. ``momentum=None`` means 0 (PyTorch's instance norm passes
    ``momentum or 0``; it never counts batches).

    Attributes as :class:`BatchNorm2d`: ``weight``/``bias`` when ``affine``
    (ones/zeros), ``running_mean``/``running_var``/``num_batches_tracked`` when
    ``track_running_stats`` (``num_batches_tracked`` stays 0, as in PyTorch).

    Args:
      num_features: ``C``.
      eps, momentum: as for batch norm.
      affine: learnable per-channel ``weight``/``bias`` (default ``False``).
      track_running_stats: keep running statistics (default ``False``).
      bias: with ``affine``, whether to learn ``bias``.
      use_running_average, dtype, param_dtype, rngs: as for :class:`BatchNorm2d`.

    Input {shape} (or unbatched without ``N``); output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> norm = nn.{name}(2, affine=True)
      >>> y = norm(jnp.arange({size}.0).reshape({example}))
      >>> y.shape, sorted(k for k in vars(norm) if k in ("weight", "bias"))
      (({example}), ['bias', 'weight'])

    PyTorch parity: ``torch.nn.{name}`` (same arguments, defaults and buffers).
    """


class InstanceNorm1d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(
        what="``(N, C, L)`` inputs",
        name="InstanceNorm1d",
        shape="``(N, C, L)``",
        size=12,
        example="2, 2, 3",
    )
    _ranks = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(
        what="``(N, C, H, W)`` inputs",
        name="InstanceNorm2d",
        shape="``(N, C, H, W)``",
        size=16,
        example="2, 2, 2, 2",
    )
    _ranks = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    __doc__ = _INSTANCE_DOC.format(
        what="``(N, C, D, H, W)`` inputs",
        name="InstanceNorm3d",
        shape="``(N, C, D, H, W)``",
        size=32,
        example="2, 2, 2, 2, 2",
    )
    _ranks = (4, 5)


class LayerNorm(Module):
    """Layer normalization over the trailing ``normalized_shape``, for Flax NNX.

    Calls :func:`convjax.functional.layer_norm`. Parameters ``weight`` (ones) and
    ``bias`` (zeros) of shape ``normalized_shape`` (``nnx.Param``) when
    ``elementwise_affine`` (``bias`` only when ``bias=True``).

    Args:
      normalized_shape: an int or tuple, the trailing input shape.
      eps: added to the variance.
      elementwise_affine: learnable ``weight`` (and ``bias``).
      bias: learnable ``bias`` (with ``elementwise_affine``).
      dtype: computation dtype (``None``: promote input and parameters);
        statistics are computed in at least float32.
      param_dtype: parameter dtype.
      rngs: unused (constant init); accepted for a uniform constructor.

    Input ``(*, *normalized_shape)``; output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> ln = nn.LayerNorm(4)
      >>> ln(jnp.ones((2, 4))).shape, ln.weight.shape
      ((2, 4), (4,))

    PyTorch parity: ``torch.nn.LayerNorm`` (same arguments, defaults and
    parameter names).
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        name = type(self).__name__
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        normalized_shape = tuple(normalized_shape)
        for s in normalized_shape:
            check_count(s, "normalized_shape", name)
        self.normalized_shape = normalized_shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.dtype = dtype
        self.param_dtype = param_dtype
        if elementwise_affine:
            self.weight: nnx.Param | None = nnx.Param(
                jnp.ones(normalized_shape, param_dtype)
            )
            self.bias: nnx.Param | None = (
                nnx.Param(jnp.zeros(normalized_shape, param_dtype)) if bias else None
            )
        else:
            self.weight = self.bias = None

    def _normalize(self, x):
        weight, bias = read(self.weight), read(self.bias)
        x, weight, bias = promote((x, weight, bias), self.dtype)
        return layer_norm(x, self.normalized_shape, weight, bias, self.eps)

    def __call__(self, input: ArrayLike) -> Array:
        return self._normalize(jnp.asarray(input))


class LayerNorm2d(LayerNorm):
    """Channels-first layer norm of ``(N, C, H, W)``, torchvision's ``LayerNorm2d``.

    Normalizes each pixel over its ``C`` channels (``torchvision.models.convnext.
    LayerNorm2d``: permute to NHWC, ``layer_norm`` over C, permute back).
    Parameters ``weight``/``bias`` of shape ``(C,)``.

    Args:
      num_channels: ``C`` (torchvision passes it as ``normalized_shape``).
      eps, elementwise_affine, bias, dtype, param_dtype, rngs: as for
        :class:`LayerNorm`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> ln = nn.LayerNorm2d(3, eps=1e-6)
      >>> y = ln(jnp.arange(12.0).reshape(1, 3, 2, 2))
      >>> y.shape, float(abs(y.mean(axis=1)).max()) < 1e-6
      ((1, 3, 2, 2), True)

    PyTorch parity: ``torchvision.models.convnext.LayerNorm2d`` (state-dict keys
    ``weight``/``bias``).
    """

    def __init__(
        self,
        num_channels: int,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        check_count(num_channels, "num_channels", "LayerNorm2d")
        super().__init__(
            num_channels,
            eps,
            elementwise_affine,
            bias,
            dtype=dtype,
            param_dtype=param_dtype,
            rngs=rngs,
        )

    def __call__(self, input: ArrayLike) -> Array:
        x = jnp.asarray(input)
        if x.ndim != 4:
            raise ValueError(
                f"`LayerNorm2d` expects a 4D (N, C, H, W) input, got shape {x.shape}."
            )
        return jnp.moveaxis(self._normalize(jnp.moveaxis(x, 1, -1)), -1, 1)


class GroupNorm(Module):
    """Group normalization, ``torch.nn.GroupNorm`` for Flax NNX.

    Calls :func:`convjax.functional.group_norm`; per-channel ``weight`` (ones) and
    ``bias`` (zeros) when ``affine``.

    Args:
      num_groups: ``G``, dividing ``num_channels``.
      num_channels: ``C``.
      eps: added to the variance.
      affine: learnable ``weight`` and ``bias``.
      bias: with ``affine``, whether to learn ``bias`` (torch 2.14).
      dtype, param_dtype, rngs: as for :class:`LayerNorm`.

    Input ``(N, C, *)``; output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> gn = nn.GroupNorm(2, 4)
      >>> gn(jnp.ones((3, 4, 5))).shape, gn.weight.shape
      ((3, 4, 5), (4,))

    PyTorch parity: ``torch.nn.GroupNorm`` (same arguments and parameters).
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        *,
        bias: bool = True,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        check_count(num_groups, "num_groups", "GroupNorm")
        check_count(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(
                f"`GroupNorm`: `num_channels` ({num_channels}) must be divisible by "
                f"`num_groups` ({num_groups})."
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self.dtype = dtype
        self.param_dtype = param_dtype
        if affine:
            self.weight: nnx.Param | None = nnx.Param(
                jnp.ones((num_channels,), param_dtype)
            )
            self.bias: nnx.Param | None = (
                nnx.Param(jnp.zeros((num_channels,), param_dtype)) if bias else None
            )
        else:
            self.weight = self.bias = None

    def __call__(self, input: ArrayLike) -> Array:
        weight, bias = read(self.weight), read(self.bias)
        x, weight, bias = promote((jnp.asarray(input), weight, bias), self.dtype)
        return group_norm(x, self.num_groups, weight, bias, self.eps)


class LocalResponseNorm(Module):
    """Local response normalization, ``torch.nn.LocalResponseNorm`` for Flax NNX.

    Calls :func:`convjax.functional.local_response_norm`.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.LocalResponseNorm(2)(jnp.ones((1, 3, 2, 2))).shape
      (1, 3, 2, 2)

    PyTorch parity: ``torch.nn.LocalResponseNorm`` (same arguments and defaults).
    """

    def __init__(
        self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
    ):
        self.size = check_count(size, "size", "LocalResponseNorm")
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def __call__(self, input: ArrayLike) -> Array:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)
