"""``batch_norm`` with PyTorch semantics, optionally synchronized across devices.

Shape legend: N batch, C channels, S spatial size(s); statistics are per channel over
all other axes, ``n = N * prod(S)`` values each.
"""

from __future__ import annotations

import numbers

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from convjax._src.checks import check_floating
from convjax._src.typing import Array, ArrayLike

_FMT_BY_RANK = {
    2: ("NC", "NC"),
    3: ("NCW", "NWC"),
    4: ("NCHW", "NHWC"),
    5: ("NCDHW", "NDHWC"),
}


def _channel_axis(data_format, ndim: int, fn: str) -> int:
    """Returns the channel axis of a rank-``ndim`` input for ``data_format``."""
    if data_format is None:
        return 1
    first, last = _FMT_BY_RANK.get(ndim, (None, None))
    if data_format == first:
        return 1
    if data_format == last:
        return ndim - 1
    options = "None" if first is None else f"None, {first!r} or {last!r}"
    raise ValueError(
        f"`{fn}`: `data_format` must be {options} for a rank-{ndim} input; "
        f"got {data_format!r}."
    )


def _check_stat(v: ArrayLike, name: str, channels: int, fn: str) -> Array:
    v = jnp.asarray(v)
    if not jnp.issubdtype(v.dtype, jnp.floating):
        # PyTorch raises "mixed dtype"; casting would truncate (int) or drop data.
        raise TypeError(f"`{fn}`: `{name}` must have a floating dtype, got {v.dtype}.")
    if v.shape != (channels,):
        raise ValueError(
            f"`{fn}`: `{name}` must have shape ({channels},) (one value per channel), "
            f"got {v.shape}."
        )
    return v


def _check_momentum(momentum, fn: str):
    if momentum is None:
        raise TypeError(
            f"`{fn}`: `momentum=None` (cumulative average) is a module option; pass "
            "the factor 1/num_batches_tracked as `momentum` instead."
        )
    if isinstance(momentum, bool | str) or not isinstance(
        momentum, numbers.Real | np.ndarray | jax.Array
    ):
        raise TypeError(f"`{fn}`: `momentum` must be a number, got {momentum!r}.")
    if isinstance(momentum, numbers.Real) and not 0.0 <= float(momentum) <= 1.0:
        raise ValueError(f"`{fn}`: `momentum` must be in [0, 1], got {momentum!r}.")


def _check_eps(eps, training: bool, fn: str):
    if isinstance(eps, bool | str) or not isinstance(
        eps, numbers.Real | np.ndarray | jax.Array
    ):
        raise TypeError(f"`{fn}`: `eps` must be a number, got {eps!r}.")
    if not isinstance(eps, numbers.Real):
        return  # a traced eps is taken as is
    if training and not float(eps) > 0:
        raise ValueError(
            f"`{fn}`: `eps` must be positive during training, got {eps!r}."
        )
    if not float(eps) >= 0:
        raise ValueError(f"`{fn}`: `eps` must be non-negative, got {eps!r}.")


def _axis_size(axis_name, fn: str) -> int:
    """``lax.axis_size`` with a convjax error outside any map binding the name."""
    try:
        return lax.axis_size(axis_name)
    except NameError:
        raise ValueError(
            f"`{fn}`: `axis_name` {axis_name!r} is not bound: call it inside "
            "`shard_map`/`pmap`/`vmap` with that axis name, or pass `axis_name=None` "
            "for unsynchronized statistics."
        ) from None


def _mask_weights(mask, x, c_axis: int, fn: str):
    """Returns the mask as a float array broadcastable to ``x`` (size 1 on C)."""
    m = jnp.asarray(mask)
    if m.dtype != jnp.bool_:
        raise TypeError(f"`{fn}`: `mask` must be a boolean array, got dtype {m.dtype}.")
    non_channel = tuple(s for a, s in enumerate(x.shape) if a != c_axis)
    if m.shape == (x.shape[0],):
        m = m.reshape((x.shape[0],) + (1,) * (x.ndim - 1))
    elif m.shape == non_channel:
        m = jnp.expand_dims(m, c_axis)
    else:
        raise ValueError(
            f"`{fn}`: `mask` must have shape ({x.shape[0]},) or {non_channel} "
            f"(the input shape without the channel axis), got {m.shape}."
        )
    return m


def batch_norm(
    input: ArrayLike,
    running_mean: ArrayLike | None,
    running_var: ArrayLike | None,
    weight: ArrayLike | None = None,
    bias: ArrayLike | None = None,
    training: bool = False,
    momentum: float | ArrayLike = 0.1,
    eps: float = 1e-5,
    *,
    axis_name: str | tuple[str, ...] | None = None,
    data_format: str | None = None,
    mask: ArrayLike | None = None,
) -> tuple[Array, Array | None, Array | None]:
    """Batch normalization over the channel axis, PyTorch style, without mutation.

    .. math::
        y = \\frac{x - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}} \\gamma + \\beta

    In training (or when there are no running stats) ``mu`` and ``sigma^2`` are the
    batch mean and *biased* variance of each channel over the ``n`` values of all
    other axes (two-pass, in at least float32); the running stats are updated with
    the *unbiased* variance:

    .. math::
        \\hat\\mu \\leftarrow (1 - m)\\,\\hat\\mu + m\\,\\mu, \\qquad
        \\hat\\sigma^2 \\leftarrow (1 - m)\\,\\hat\\sigma^2 + m\\,\\sigma^2 \\frac{n}{n-1}

    In evaluation ``mu, sigma^2`` are the running stats.

    **Synchronized batch norm.** Inside ``shard_map``/``pmap`` (or ``vmap``) with
    ``axis_name``, the statistics are those of the global batch: the per-channel sums
    and counts are ``psum``-ed, then the centred squares around the global mean
    (two passes, no ``E[x^2] - E[x]^2`` cancellation), and ``n`` is the global count.
    Each device may contribute a different number of values (see ``mask``), so the
    result equals plain batch norm on the concatenated valid samples. Under
    ``jax.jit`` with an input sharded by ``NamedSharding`` no ``axis_name`` is
    needed: the plain function already reduces over the whole (global) batch.

    Args:
      input: ``(N, C)``, ``(N, C, L)``, ``(N, C, H, W)``, ``(N, C, D, H, W)`` (any
        rank >= 2 with ``data_format=None``), floating.
      running_mean: ``(C,)`` or ``None``.
      running_var: ``(C,)`` or ``None`` (both or neither).
      weight: optional ``(C,)`` scale ``gamma``.
      bias: optional ``(C,)`` shift ``beta``.
      training: use batch statistics and update the running stats.
      momentum: ``m`` above, a number in ``[0, 1]`` or a traced scalar (modules pass
        ``1 / num_batches_tracked`` for PyTorch's ``momentum=None``).
      eps: added to the variance; positive in training.
      axis_name: mapped axis name (or tuple of names) to synchronize the statistics
        over, as PyTorch's ``SyncBatchNorm``.
      data_format: ``None`` (channels first, ``"NC"``, ``"NCW"``, ``"NCHW"``,
        ``"NCDHW"``) or the channels-last ``"NWC"``, ``"NHWC"``, ``"NDHWC"``.
      mask: convjax extension: optional boolean ``(N,)`` or input shape without the
        channel axis; only ``True`` values count in the batch statistics (e.g. the
        padding of a ragged last batch, or devices holding different numbers of
        samples). Masked-out outputs are still normalized. When fewer than 2 values
        of a channel are selected the running stats are returned unchanged (and with
        none selected the batch mean and variance are taken as 0). An empty batch
        (no values at all) also leaves them unchanged, as in PyTorch.

    Returns:
      ``(y, new_running_mean, new_running_var)``: ``y`` has the shape and dtype of
      ``input``; the running stats keep their dtype, are the inputs unchanged when
      not training, and are ``None`` when given as ``None``.

    Raises:
      ValueError: rank < 2, bad ``data_format``, stats/``weight``/``bias`` not of
        shape ``(C,)``, one running stat ``None`` and not the other, no running stats
        in evaluation, ``momentum`` outside ``[0, 1]``, ``eps`` not positive in
        training (negative otherwise), a single value per channel in training,
        an ``axis_name`` that no enclosing map binds.
      TypeError: non-floating input or running stats/``weight``/``bias``,
        ``momentum=None``, non-boolean ``mask``.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.array([[0.0, 1.0], [2.0, 5.0]])
      >>> y, rm, rv = batch_norm(x, jnp.zeros(2), jnp.ones(2), training=True)
      >>> print(y.round(3))
      [[-1. -1.]
       [ 1.  1.]]
      >>> print(rm, rv)
      [0.1 0.3] [1.1 1.7]

    PyTorch parity: ``torch.nn.functional.batch_norm`` and ``nn.SyncBatchNorm``'s
    count-weighted global statistics; ``mask`` and the channels-last ``data_format``
    are extensions.
    """
    fn = "batch_norm"
    x = jnp.asarray(input)
    check_floating(x, fn)
    if x.ndim < 2:
        raise ValueError(
            f"`{fn}` expects `input` of rank >= 2 (N, C, *spatial), got shape {x.shape}."
        )
    if not isinstance(training, bool | np.bool_ | int):
        raise TypeError(f"`{fn}`: `training` must be a Python bool, got {training!r}.")
    training = bool(training)
    c_axis = _channel_axis(data_format, x.ndim, fn)
    channels = x.shape[c_axis]
    axes = tuple(a for a in range(x.ndim) if a != c_axis)
    bshape = tuple(channels if a == c_axis else 1 for a in range(x.ndim))

    if (running_mean is None) != (running_var is None):
        raise ValueError(
            f"`{fn}`: `running_mean` and `running_var` must both be None or neither "
            f"(got running_mean={'None' if running_mean is None else 'array'}, "
            f"running_var={'None' if running_var is None else 'array'})."
        )
    if data_format is None and x.ndim in (3, 4, 5):
        # A channels-last array given as channels-first: say so before the stats
        # shape error that would follow.
        sizes = [jnp.shape(v) for v in (running_mean, weight) if v is not None]
        if sizes and sizes[0] == (x.shape[-1],) and x.shape[-1] != channels:
            raise ValueError(
                f"`{fn}`: the statistics have {x.shape[-1]} channels, the size of the "
                f"last axis of `input` {x.shape}, not of axis 1: is the input "
                f"channels-last? Then pass `data_format={_FMT_BY_RANK[x.ndim][1]!r}`."
            )
    stats = None  # the checked (running_mean, running_var)
    if running_mean is not None and running_var is not None:
        stats = (
            _check_stat(running_mean, "running_mean", channels, fn),
            _check_stat(running_var, "running_var", channels, fn),
        )
    elif not training:
        raise ValueError(
            f"`{fn}`: `running_mean` and `running_var` must be given when "
            "`training=False` (evaluation uses the running stats)."
        )
    w = None if weight is None else _check_stat(weight, "weight", channels, fn)
    b = None if bias is None else _check_stat(bias, "bias", channels, fn)
    _check_eps(eps, training, fn)
    if training and stats is not None:
        _check_momentum(momentum, fn)

    stat_dtype = jnp.promote_types(x.dtype, jnp.float32)  # stats in >= float32
    xs = x.astype(stat_dtype)

    if training:
        local = int(np.prod([x.shape[a] for a in axes]))
        devices = 1 if axis_name is None else _axis_size(axis_name, fn)
        if mask is None and local * devices == 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input "
                f"size {x.shape} (`{fn}`)."
            )
        if mask is None:
            count = jnp.asarray(local, stat_dtype)
            total = jnp.sum(xs, axes)
        else:
            m = _mask_weights(mask, x, c_axis, fn).astype(stat_dtype)
            counted = tuple(1 if a == c_axis else s for a, s in enumerate(x.shape))
            count = jnp.sum(jnp.broadcast_to(m, counted))
            total = jnp.sum(xs * m, axes)
        if axis_name is not None:
            total, count = lax.psum((total, count), axis_name)
        # Guarded division: reachable with an empty batch or a mask selecting nothing.
        safe_count = jnp.where(count > 0, count, 1.0)
        mean = jnp.where(count > 0, total / safe_count, 0.0)
        centred = xs - mean.reshape(bshape)
        sq = centred * centred
        if mask is not None:
            sq = sq * m
        sq = jnp.sum(sq, axes)
        if axis_name is not None:
            sq = lax.psum(sq, axis_name)
        var = jnp.where(count > 0, sq / safe_count, 0.0)  # biased, for the output
    else:
        assert stats is not None  # evaluation without running stats raised above
        mean, var = (s.astype(stat_dtype) for s in stats)

    # PyTorch's CPU kernel form: y = x * alpha + beta.
    alpha = lax.rsqrt(var + jnp.asarray(eps, stat_dtype))
    if w is not None:
        alpha = alpha * w.astype(stat_dtype)
    beta = -mean * alpha
    if b is not None:
        beta = beta + b.astype(stat_dtype)
    y = (xs * alpha.reshape(bshape) + beta.reshape(bshape)).astype(x.dtype)

    if stats is None:
        return y, None, None
    if not training:
        return y, *stats

    # Running stats are buffers: no gradient flows into them.
    mean_sg, var_sg, count = lax.stop_gradient((mean, var, count))
    ok = count > 1
    unbiased = var_sg * (count / jnp.where(ok, count - 1, 1.0))
    mom = jnp.asarray(momentum, stat_dtype)
    rm0, rv0 = stats
    rm, rv = rm0.astype(stat_dtype), rv0.astype(stat_dtype)
    new_rm = mom * mean_sg + (1 - mom) * rm
    new_rv = mom * unbiased + (1 - mom) * rv
    # An empty batch (N = 0, a zero-size spatial dim, or every device empty) and a
    # mask selecting < 2 values leave the running stats as they are, as in PyTorch.
    new_rm = jnp.where(ok, new_rm, rm)
    new_rv = jnp.where(ok, new_rv, rv)
    return y, new_rm.astype(rm0.dtype), new_rv.astype(rv0.dtype)


__all__ = ["batch_norm"]
