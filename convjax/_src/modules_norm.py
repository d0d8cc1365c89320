"""Flax NNX batch-norm modules: ``BatchNorm1d/2d/3d`` and ``SyncBatchNorm``.

The modules hold PyTorch's parameters and buffers and call
:func:`convjax.functional.batch_norm`; they do no maths of their own beyond PyTorch's
module logic (counting batches, choosing the momentum).

Shape legend: N batch, C features (channels), L/D/H/W spatial.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from convjax._src.checks import check_count, is_channels_last
from convjax._src.modules_conv import Module, promote, read
from convjax._src.normalization import batch_norm
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
            self.bias: nnx.Param | None = nnx.Param(jnp.zeros(shape, param_dtype))
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
      >>> bn.eval()
      >>> bn.use_running_average
      True

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
        ``affine``, ``track_running_stats``, ``use_running_average``, ``dtype``,
        ``param_dtype`` and ``rngs``.
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
            use_running_average=use_running_average,
            axis_name=axis_name,
            dtype=dtype,
            param_dtype=param_dtype,
            rngs=rngs,
        )
