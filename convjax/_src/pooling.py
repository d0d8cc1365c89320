"""Max, average and adaptive pooling with PyTorch semantics (1d/2d/3d).

Shape legend: N batch, C channels, S spatial size (``L``, ``H``/``W``, ``D``/``H``/``W``),
K kernel, s stride, p padding, d dilation, O output size.

Window pooling runs on ``lax.reduce_window``; PyTorch's output-size rule (including
``ceil_mode``, where a last window that would start in the right padding is
dropped) is resolved statically and turned into explicit ``(lo, hi)`` padding.
Adaptive pooling uses PyTorch's windows ``[floor(i*S/O), ceil((i+1)*S/O))``: a
reshape-and-reduce when ``O`` divides ``S``, otherwise a small averaging matrix
(average) or a static gather of the windows (max), one spatial axis at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from convjax._src.checks import (
    batchify,
    check_floating,
    check_positive,
    is_channels_last,
    ntuple,
)
from convjax._src.taps import gather_blend, window_taps
from convjax._src.typing import Array, ArrayLike, IntOrSeq

# --------------------------------------------------------------------------------------
# Static helpers (also used by ``interpolate(mode="area")``).


def spatial_axes(num_spatial: int, channels_last: bool) -> tuple[int, ...]:
    """Axes of the spatial dims of a batched array."""
    start = 1 if channels_last else 2
    return tuple(range(start, start + num_spatial))


def _prepare(n, fn, input, data_format):
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    return x, unbatched, spatial_axes(n, cl)


def _check_channels(x, axes, input, fn):
    """PyTorch's max/avg pooling need a non-empty channel axis (only N may be 0)."""
    c_axis = 1 if axes[0] == 2 else x.ndim - 1
    if x.shape[c_axis] == 0:
        raise ValueError(
            f"`{fn}`: only the batch dim may be empty; got `input` of shape "
            f"{jnp.shape(input)} with 0 channels (PyTorch raises)."
        )


def pool_output_size(size, k, s, p, d, ceil_mode):
    """PyTorch's ``pooling_output_shape`` for one dim.

    ``floor_or_ceil((S + 2p - d(K-1) - 1) / s) + 1``; with ``ceil_mode`` a last
    window that would start inside the right padding is dropped.

    >>> pool_output_size(5, 2, 2, 0, 1, True), pool_output_size(5, 2, 2, 1, 1, True)
    (3, 3)
    """
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _window_config(n, fn, kernel_size, stride, padding, dilation):
    k = check_positive(ntuple(kernel_size, n, "kernel_size"), "kernel_size")
    if stride is None or (isinstance(stride, Sequence) and len(stride) == 0):
        s = k
    else:
        s = check_positive(ntuple(stride, n, "stride"), "stride")
    p = check_positive(ntuple(padding, n, "padding"), "padding", allow_zero=True)
    d = check_positive(ntuple(dilation, n, "dilation"), "dilation")
    if any(pi > ki // 2 for pi, ki in zip(p, k, strict=True)):
        raise ValueError(
            f"`{fn}`: `padding` must be at most half of `kernel_size`, got "
            f"padding={p} and kernel_size={k}."
        )
    return k, s, p, d


def _output_sizes(fn, sizes, k, s, p, d, ceil_mode):
    outs = tuple(
        pool_output_size(*args, ceil_mode)
        for args in zip(sizes, k, s, p, d, strict=True)
    )
    if any(o < 1 for o in outs):
        raise ValueError(
            f"`{fn}`: input spatial size {tuple(sizes)} is too small: the computed "
            f"output size is {outs} (kernel_size={k}, stride={s}, padding={p}, "
            f"dilation={d})."
        )
    return outs


def _explicit_padding(sizes, k, s, p, d, outs):
    """``(lo, hi)`` per dim so that a VALID window pass yields exactly ``outs``.

    ``hi`` may be smaller than ``p`` (floor mode leaves the tail unused) or larger
    (ceil mode); it is clipped at 0 and the result is sliced to ``outs``.
    """
    pads = []
    for size, ki, si, pi, di, o in zip(sizes, k, s, p, d, outs, strict=True):
        hi = (o - 1) * si + di * (ki - 1) + 1 - size - pi
        pads.append((pi, max(hi, 0)))
    return pads


def _lowest(dtype):
    # A concrete NumPy scalar, so that `reduce_window` recognises the max monoid
    # (and differentiates it).
    if jnp.issubdtype(dtype, jnp.floating):
        return np.array(-np.inf, dtype)
    if jnp.issubdtype(dtype, jnp.integer):
        return np.array(jnp.iinfo(dtype).min, dtype)
    if dtype == jnp.bool_:
        return np.array(False)
    raise TypeError(f"max pooling does not support dtype {dtype}.")


def _acc_dtype(dtype):
    """Accumulation dtype: at least float32 (PyTorch's opmath for half types)."""
    return jnp.promote_types(dtype, jnp.float32)


def _full(x, axes, per_axis, default):
    out = [default] * x.ndim
    for a, v in zip(axes, per_axis, strict=True):
        out[a] = v
    return tuple(out)


def _crop(y, axes, outs):
    if all(y.shape[a] == o for a, o in zip(axes, outs, strict=True)):
        return y
    return y[tuple(slice(0, o) for o in _full(y, axes, outs, None))]


# --------------------------------------------------------------------------------------
# Max pooling.


def _max_pool_separable(x, axes, k, s, d, pads, outs):
    """Max over dilated windows as strided slices, one axis at a time.

    Used for ``dilation > 1``, which ``lax.reduce_window``'s gradient does not
    support. A box max is separable: ``max_{h,w} = max_h max_w``.
    """
    low = _lowest(x.dtype)
    for a, ki, si, di, (lo, hi), o in zip(axes, k, s, d, pads, outs, strict=True):
        widths = [(0, 0, 0)] * x.ndim
        widths[a] = (lo, hi, 0)
        xp = lax.pad(x, low, widths)
        taps = [
            lax.slice_in_dim(xp, j * di, j * di + (o - 1) * si + 1, si, axis=a)
            for j in range(ki)
        ]
        y = taps[0]
        for t in taps[1:]:
            y = jnp.maximum(y, t)
        x = y
    return x


def _max_window_value(x, axes, k, s, d, pads, outs):
    if any(di > 1 for di in d):
        y = _max_pool_separable(x, axes, k, s, d, pads, outs)
    else:
        y = lax.reduce_window(
            x,
            _lowest(x.dtype),
            lax.max,
            _full(x, axes, k, 1),
            _full(x, axes, s, 1),
            _full(x, axes, pads, (0, 0)),
        )
    return _crop(y, axes, outs)


def _tap_slices(xp, axes, k, s, d, outs):
    """Per window tap (row-major), the strided slice of the padded ``xp`` it reads.

    Each window axis of size ``P`` is split into ``(ceil(P / s), s)`` first, so that
    tap offset ``d*t = s*q + r`` reads sub-position ``r`` from row ``q`` on: every
    slice is unit-stride, and the transpose JAX derives from it (a gradient) pads
    without interior padding, which XLA:CPU fuses into one pass.
    """
    frame = [-(-xp.shape[a] // si) for a, si in zip(axes, s, strict=True)]
    widths = _full(
        xp,
        axes,
        [(0, f * si - xp.shape[a], 0) for a, f, si in zip(axes, frame, s, strict=True)],
        (0, 0, 0),
    )
    xp = lax.pad(xp, np.zeros((), xp.dtype), widths)
    split = []  # the shape with each window axis a -> (frame, s)
    for a, n in enumerate(xp.shape):
        split += [n // s[axes.index(a)], s[axes.index(a)]] if a in axes else [n]
    xs = xp.reshape(split)
    pos = {a: i + sum(1 for b in axes if b < a) for i, a in enumerate(range(xp.ndim))}
    for tap in np.ndindex(*k):
        start, limit = [0] * xs.ndim, list(xs.shape)
        for a, ti, si, di, o in zip(axes, tap, s, d, outs, strict=True):
            q, r = divmod(di * ti, si)
            start[pos[a]], limit[pos[a]] = q, q + o
            start[pos[a] + 1], limit[pos[a] + 1] = r, r + 1
        out_shape = _full(xp, axes, outs, None)
        out_shape = tuple(
            n if n is not None else xp.shape[a] for a, n in enumerate(out_shape)
        )
        yield lax.slice(xs, start, limit).reshape(out_shape)


def _pad_windows(x, axes, pads, value):
    widths = _full(x, axes, [(lo, hi, 0) for lo, hi in pads], (0, 0, 0))
    return lax.pad(x, np.array(value, x.dtype), widths)


def _chosen_tap(x, axes, k, s, d, pads, outs):
    """Per output, the window tap PyTorch's kernel takes (int8, or int32 past 127 taps).

    PyTorch scans a window's in-range taps in order and keeps one when
    ``val > best or isnan(val)``: the first maximum, or the last NaN; an all
    ``-inf`` window keeps its first in-range tap.
    """
    sizes = [x.shape[a] for a in axes]
    # The first in-range tap of every output position (static).
    first = np.zeros(outs, np.int32)
    found = np.zeros(outs, bool)
    for t, tap in enumerate(np.ndindex(*k)):
        inside = np.ones(outs, bool)
        for i, (ti, si, di, (lo, _), n, o) in enumerate(
            zip(tap, s, d, pads, sizes, outs, strict=True)
        ):
            pos = np.arange(o) * si + di * ti - lo
            shape = [1] * len(outs)
            shape[i] = o
            inside = inside & ((pos >= 0) & (pos < n)).reshape(shape)
        first = np.where(~found & inside, t, first)
        found |= inside
    dtype = np.int8 if first.size and np.prod(k) <= 127 else np.int32
    tap_shape = _full(x, axes, outs, 1)
    chosen = jnp.asarray(first.reshape(tap_shape).astype(dtype))
    best = None
    for t, v in enumerate(
        _tap_slices(_pad_windows(x, axes, pads, -np.inf), axes, k, s, d, outs)
    ):
        if best is None:
            best = v
            take = jnp.isnan(v) | (v > -np.inf)
        else:
            take = (v > best) | jnp.isnan(v)
            best = jnp.where(take, v, best)
        chosen = jnp.where(take, dtype(t), chosen)
    return chosen


def _materialised(c):
    """``c``, through an op XLA:CPU does not fuse into its consumers.

    Fused into the gradient's pass (XLA does so even through
    ``lax.optimization_barrier``), the window scan of :func:`_chosen_tap` would
    be recomputed for every tap of every input element: 2x slower. A running
    max over a stacked copy is a ``reduce_window``, which stays its own loop.
    """
    both = jnp.stack([c, c], axis=-1)
    return lax.cummax(both, axis=both.ndim - 1)[..., 0]


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4, 5, 6))
def _max_window(x, axes, k, s, d, pads, outs):
    """Max pooling of a floating ``x`` whose derivative is PyTorch's.

    The tangent (and so the gradient) of each output is that of the input tap
    PyTorch's kernel picks (:func:`_chosen_tap`), written as one masked strided
    slice per tap: JAX transposes it into a single fused pass of strided pads,
    where ``lax.reduce_window``'s own derivative (``select_and_scatter``) ran
    about 10x slower on XLA:CPU (3x3 stride 2 on ``(32, 64, 112, 112)``).
    """
    return _max_window_value(x, axes, k, s, d, pads, outs)


@_max_window.defjvp
def _max_window_jvp(axes, k, s, d, pads, outs, primals, tangents):
    (x,), (tx,) = primals, tangents
    y = _max_window(x, axes, k, s, d, pads, outs)
    chosen = _materialised(_chosen_tap(x, axes, k, s, d, pads, outs))
    taps = _tap_slices(_pad_windows(tx, axes, pads, 0), axes, k, s, d, outs)
    ty = sum(
        jnp.where(chosen == t, v, jnp.zeros((), v.dtype)) for t, v in enumerate(taps)
    )
    return y, ty


def _max_pool(
    n, fn, input, kernel_size, stride, padding, dilation, ceil_mode, data_format
):
    x, unbatched, axes = _prepare(n, fn, input, data_format)
    _check_channels(x, axes, input, fn)
    k, s, p, d = _window_config(n, fn, kernel_size, stride, padding, dilation)
    sizes = tuple(x.shape[a] for a in axes)
    outs = _output_sizes(fn, sizes, k, s, p, d, ceil_mode)
    pads = tuple(_explicit_padding(sizes, k, s, p, d, outs))
    if jnp.issubdtype(x.dtype, jnp.inexact):
        y = _max_window(x, tuple(axes), k, s, d, pads, outs)
    else:  # integers and booleans have no derivative
        y = _max_window_value(x, axes, k, s, d, pads, outs)
    return y[0] if unbatched else y


# --------------------------------------------------------------------------------------
# Average pooling.


def _avg_divisor_1d(size, k, s, p, outs, count_include_pad):
    """Per-output-position window size PyTorch divides by (one dim)."""
    start = np.arange(outs) * s - p
    end = np.minimum(start + k, size + p)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return (end - start).astype(np.float64)


def _avg_pool(
    n,
    fn,
    input,
    kernel_size,
    stride,
    padding,
    ceil_mode,
    count_include_pad,
    divisor_override,
    data_format,
):
    x, unbatched, axes = _prepare(n, fn, input, data_format)
    check_floating(x, fn)
    _check_channels(x, axes, input, fn)
    k, s, p, d = _window_config(n, fn, kernel_size, stride, padding, 1)
    if divisor_override is not None and (
        not isinstance(divisor_override, int | np.integer)
        or isinstance(divisor_override, bool)
        or divisor_override == 0
    ):
        raise ValueError(
            f"`{fn}`: `divisor_override` must be None or a non-zero int, got "
            f"{divisor_override!r}."
        )
    sizes = tuple(x.shape[a] for a in axes)
    outs = _output_sizes(fn, sizes, k, s, p, d, ceil_mode)
    pads = _explicit_padding(sizes, k, s, p, d, outs)
    acc = _acc_dtype(x.dtype)
    y = lax.reduce_window(
        x.astype(acc),
        np.array(0, acc),
        lax.add,
        _full(x, axes, k, 1),
        _full(x, axes, s, 1),
        _full(x, axes, pads, (0, 0)),
    )
    y = _crop(y, axes, outs)
    if divisor_override is not None:
        y = y / jnp.asarray(divisor_override, acc)
    else:
        div = np.ones((1,) * y.ndim)
        for a, size, ki, si, pi, o in zip(axes, sizes, k, s, p, outs, strict=True):
            shape = [1] * y.ndim
            shape[a] = o
            div = div * _avg_divisor_1d(size, ki, si, pi, o, count_include_pad).reshape(
                shape
            )
        y = y / jnp.asarray(div, acc)
    y = y.astype(x.dtype)
    return y[0] if unbatched else y


# --------------------------------------------------------------------------------------
# Adaptive pooling.


def adaptive_windows(size: int, out: int):
    """PyTorch's adaptive windows ``[floor(i*S/O), ceil((i+1)*S/O))``.

    >>> adaptive_windows(5, 3)
    (array([0, 1, 3]), array([2, 4, 5]))
    """
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    return start, end


def _adaptive_output_size(output_size, sizes, n, fn):
    if output_size is None:
        raise ValueError(f"`{fn}`: `output_size` must be given, got None.")
    if isinstance(output_size, int | np.integer) and not isinstance(output_size, bool):
        entries = (int(output_size),) * n
    elif isinstance(output_size, Sequence) and not isinstance(output_size, str):
        entries = tuple(output_size)
        if len(entries) == 1 and n > 1:
            entries = entries * n
        if len(entries) != n:
            raise ValueError(
                f"`{fn}`: `output_size` must be an int or a sequence of {n} ints "
                f"(or None), got {output_size!r}."
            )
    else:
        raise ValueError(
            f"`{fn}`: `output_size` must be an int or a sequence of {n} ints "
            f"(or None), got {output_size!r}."
        )
    outs = []
    for e, size in zip(entries, sizes, strict=True):
        if e is None:
            outs.append(size)
        elif isinstance(e, int | np.integer) and not isinstance(e, bool) and e > 0:
            outs.append(int(e))
        else:
            raise ValueError(
                f"`{fn}`: `output_size` entries must be positive ints or None, got "
                f"{output_size!r}."
            )
    return tuple(outs)


def _split_axes(x, axes, outs):
    """Splits each dividing spatial axis ``S`` into ``(O, S/O)``.

    Returns the reshaped array, the new positions of the window axes to reduce,
    and the (axis, out) pairs left for the general path (positions in the result
    after the reduction).
    """
    shape, reduce_axes, rest = [], [], []
    for ax in range(x.ndim):
        if ax in axes:
            o = outs[axes.index(ax)]
            size = x.shape[ax]
            if size % o == 0 and size != o:
                shape += [o, size // o]
                reduce_axes.append(len(shape) - 1)
                continue
            if size != o:
                rest.append((ax, o))
        shape.append(x.shape[ax])
    return x.reshape(shape), tuple(reduce_axes), rest


def _along(x, axis, fn):
    """Applies ``fn`` to the last axis of ``x`` moved from ``axis``."""
    if axis == x.ndim - 1:
        return fn(x)
    return jnp.moveaxis(fn(jnp.moveaxis(x, axis, -1)), -1, axis)


def averaging_matrix(size, out):
    """``(O, S)`` matrix averaging each adaptive window."""
    start, end = adaptive_windows(size, out)
    m = np.zeros((out, size))
    for i in range(out):
        m[i, start[i] : end[i]] = 1.0 / (end[i] - start[i])
    return m


def adaptive_avg(x, axes, outs):
    """Adaptive average pooling of a batched float array over ``axes``."""
    acc = _acc_dtype(x.dtype)
    xs = x.astype(acc)
    xr, reduce_axes, rest = _split_axes(xs, axes, outs)
    y = jnp.mean(xr, axis=reduce_axes) if reduce_axes else xs
    for ax, o in rest:
        size = y.shape[ax]
        if size > 1024:  # windows gathered: O(window) per output, not O(S)
            start, end = adaptive_windows(size, o)
            lengths = end - start
            idx, w = window_taps(start, end, lambda i, n=lengths: 1.0 / n[i])
            y = gather_blend(y, ax, idx, w)
            continue
        m = jnp.asarray(averaging_matrix(size, o).T, acc)  # [S, O], one small GEMM
        y = _along(
            y, ax, lambda t, m=m: jnp.matmul(t, m, precision=lax.Precision.HIGHEST)
        )
    return y.astype(x.dtype)


def adaptive_max(x, axes, outs):
    """Adaptive max pooling of a batched array over ``axes``."""
    xr, reduce_axes, rest = _split_axes(x, axes, outs)
    y = jnp.max(xr, axis=reduce_axes) if reduce_axes else x
    for ax, o in rest:
        start, end = adaptive_windows(y.shape[ax], o)
        kmax = int((end - start).max())
        # [O, Kmax] window indices; short windows repeat their last index.
        idx = np.minimum(start[:, None] + np.arange(kmax)[None, :], end[:, None] - 1)

        def gather(t, idx=idx, o=o, kmax=kmax):
            g = jnp.take(t, jnp.asarray(idx.reshape(-1)), axis=-1)
            return jnp.max(g.reshape(t.shape[:-1] + (o, kmax)), axis=-1)

        y = _along(y, ax, gather)
    return y


def _adaptive(n, fn, kind, input, output_size, data_format):
    x, unbatched, axes = _prepare(n, fn, input, data_format)
    if kind == "avg":
        check_floating(x, fn)
    sizes = tuple(x.shape[a] for a in axes)
    if any(sz == 0 for sz in sizes):
        raise ValueError(f"`{fn}`: input spatial size must be non-zero, got {sizes}.")
    if kind == "max" and not unbatched:
        _check_channels(x, axes, input, fn)  # PyTorch: adaptive avg allows C = 0
    outs = _adaptive_output_size(output_size, sizes, n, fn)
    y = adaptive_avg(x, axes, outs) if kind == "avg" else adaptive_max(x, axes, outs)
    return y[0] if unbatched else y


# --------------------------------------------------------------------------------------
# Indices and unpooling live in ``pool_indices`` (imported lazily: it builds on the
# helpers above).


def _max_pool_indices(n, fn, input, *args):
    from convjax._src import pool_indices

    return pool_indices.max_pool_with_indices(n, fn, input, *args)


def _adaptive_max_indices(n, fn, input, output_size, data_format):
    from convjax._src import pool_indices

    return pool_indices.adaptive_max_with_indices(
        n, fn, input, output_size, data_format
    )


# --------------------------------------------------------------------------------------
# Public functions.

_FMT = {
    1: ("NCW", "NWC", "(N, C, L)", "L'"),
    2: ("NCHW", "NHWC", "(N, C, H, W)", "H', W'"),
    3: ("NCDHW", "NDHWC", "(N, C, D, H, W)", "D', H', W'"),
}

_MAX_DOC = """{n}-D max pooling, PyTorch style.

    .. math::
        y[n, c, i] = \\max_{{0 \\le \\kappa < K}} x_p[n, c, i s + \\kappa d]

    where ``x_p`` is ``input`` padded with ``-inf`` by ``padding`` on both sides.
    Output size per dim: ``floor((S + 2p - d(K-1) - 1) / s) + 1`` (``ceil`` with
    ``ceil_mode``, dropping a last window that would start in the right padding).

    Args:
      input: ``{shape}`` (or unbatched, without ``N``); any real dtype.
      kernel_size: int or tuple of {n}.
      stride: int or tuple of {n}; ``None`` (default) means ``kernel_size``.
      padding: int or tuple of {n}, at most ``kernel_size // 2``.
      dilation: int or tuple of {n}.
      ceil_mode: round the output size up instead of down.
      data_format: ``None``/``"{fmt}"`` (channels first) or ``"{cl}"``.

    Returns:
      ``(N, C, {out})`` in the layout and dtype of ``input``.

    Raises:
      ValueError: wrong rank, non-positive kernel/stride/dilation, negative padding,
        padding larger than half the kernel, or an empty output.

    Examples:
      >>> import jax.numpy as jnp
      >>> max_pool{n}d(jnp.ones((1, 2{ones})), 2, ceil_mode=True).shape
      {dshape}

    With ``return_indices=True`` it returns ``(values, indices)``: ``indices`` are
    PyTorch's flat positions in the spatial dims of the unpadded input (int64 with
    ``jax_enable_x64``, else int32), ties go to the first maximum in window order and
    a NaN (the last one in the window) wins, as in PyTorch's CPU kernel.

    PyTorch parity: ``torch.nn.functional.max_pool{n}d``. Gradients route to the
    selected maximum; with ``dilation > 1`` (and no indices) ties share the
    gradient, with ``return_indices=True`` the indexed position gets it all.
    """

_AVG_DOC = """{n}-D average pooling, PyTorch style.

    .. math::
        y[n, c, i] = \\frac{{1}}{{|w_i|}} \\sum_{{0 \\le \\kappa < K}} x_p[n, c, i s + \\kappa]

    where ``x_p`` is ``input`` zero-padded by ``padding`` and ``|w_i|`` the window
    size: the window clipped to ``[-p, S + p)`` (``count_include_pad=True``) or to
    ``[0, S)`` (``False``), or ``divisor_override``. Output size as in
    :func:`max_pool{n}d` with ``dilation=1``.

    Args:
      input: ``{shape}`` (or unbatched, without ``N``), floating point
        (half-precision inputs are summed in float32).
      kernel_size: int or tuple of {n}.
      stride: int or tuple of {n}; ``None`` (default) means ``kernel_size``.
      padding: int or tuple of {n}, at most ``kernel_size // 2``.
      ceil_mode: round the output size up instead of down.
      count_include_pad: count the zero padding in the divisor.{override_arg}
      data_format: ``None``/``"{fmt}"`` (channels first) or ``"{cl}"``.

    Returns:
      ``(N, C, {out})`` in the layout and dtype of ``input``.

    Raises:
      ValueError: wrong rank, bad kernel/stride/padding, padding larger than half
        the kernel, an empty output{override_err}.
      TypeError: integer input (PyTorch's integer average pooling is not supported).

    Examples:
      >>> import jax.numpy as jnp
      >>> avg_pool{n}d(jnp.ones((1, 2{ones})), 2, padding=1, count_include_pad=False).shape
      {dshape}

    PyTorch parity: ``torch.nn.functional.avg_pool{n}d`` for floating inputs.
    """

_ADAPTIVE_DOC = """{n}-D adaptive {what} pooling, PyTorch style.

    Output position ``i`` of a dim of size ``S`` pooled to ``O`` covers the window
    ``[floor(i S / O), ceil((i + 1) S / O))`` (windows overlap when ``O`` does not
    divide ``S``).

    Args:
      input: ``{shape}`` (or unbatched, without ``N``){dtype_note}.
      output_size: int or tuple of {n}; a ``None`` entry keeps that input size.
      data_format: ``None``/``"{fmt}"`` (channels first) or ``"{cl}"``.

    Returns:
      ``(N, C, {out})`` in the layout and dtype of ``input``.

    Raises:
      ValueError: wrong rank, bad ``output_size``, empty spatial input.

    Examples:
      >>> import jax.numpy as jnp
      >>> adaptive_{what}_pool{n}d(jnp.ones((1, 2{ones})), 3).shape
      {ashape}

    PyTorch parity: ``torch.nn.functional.adaptive_{what}_pool{n}d``{parity_note}.
    """


def max_pool1d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    pool = _max_pool_indices if return_indices else _max_pool
    return pool(
        1,
        "max_pool1d",
        input,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        data_format,
    )


def max_pool2d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    pool = _max_pool_indices if return_indices else _max_pool
    return pool(
        2,
        "max_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        data_format,
    )


def max_pool3d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    dilation: IntOrSeq = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    pool = _max_pool_indices if return_indices else _max_pool
    return pool(
        3,
        "max_pool3d",
        input,
        kernel_size,
        stride,
        padding,
        dilation,
        ceil_mode,
        data_format,
    )


def avg_pool1d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    data_format: str | None = None,
) -> Array:
    return _avg_pool(
        1,
        "avg_pool1d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        None,
        data_format,
    )


def avg_pool2d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    data_format: str | None = None,
) -> Array:
    return _avg_pool(
        2,
        "avg_pool2d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        data_format,
    )


def avg_pool3d(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    stride: IntOrSeq | None = None,
    padding: IntOrSeq = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    data_format: str | None = None,
) -> Array:
    return _avg_pool(
        3,
        "avg_pool3d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        data_format,
    )


def adaptive_avg_pool1d(
    input: ArrayLike, output_size, *, data_format: str | None = None
) -> Array:
    return _adaptive(1, "adaptive_avg_pool1d", "avg", input, output_size, data_format)


def adaptive_avg_pool2d(
    input: ArrayLike, output_size, *, data_format: str | None = None
) -> Array:
    return _adaptive(2, "adaptive_avg_pool2d", "avg", input, output_size, data_format)


def adaptive_avg_pool3d(
    input: ArrayLike, output_size, *, data_format: str | None = None
) -> Array:
    return _adaptive(3, "adaptive_avg_pool3d", "avg", input, output_size, data_format)


def adaptive_max_pool1d(
    input: ArrayLike,
    output_size,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    if return_indices:
        return _adaptive_max_indices(
            1, "adaptive_max_pool1d", input, output_size, data_format
        )
    return _adaptive(1, "adaptive_max_pool1d", "max", input, output_size, data_format)


def adaptive_max_pool2d(
    input: ArrayLike,
    output_size,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    if return_indices:
        return _adaptive_max_indices(
            2, "adaptive_max_pool2d", input, output_size, data_format
        )
    return _adaptive(2, "adaptive_max_pool2d", "max", input, output_size, data_format)


def adaptive_max_pool3d(
    input: ArrayLike,
    output_size,
    return_indices: bool = False,
    *,
    data_format: str | None = None,
) -> Array | tuple[Array, Array]:
    if return_indices:
        return _adaptive_max_indices(
            3, "adaptive_max_pool3d", input, output_size, data_format
        )
    return _adaptive(3, "adaptive_max_pool3d", "max", input, output_size, data_format)


def _fill_docs():
    ones = {1: ", 5", 2: ", 5, 5", 3: ", 5, 5, 5"}
    for n in (1, 2, 3):
        fmt, cl, shape, out = _FMT[n]
        common = dict(n=n, fmt=fmt, cl=cl, shape=shape, out=out, ones=ones[n])
        globals()[f"max_pool{n}d"].__doc__ = _MAX_DOC.format(
            dshape=str((1, 2) + (3,) * n), **common
        )
        override = n > 1
        globals()[f"avg_pool{n}d"].__doc__ = _AVG_DOC.format(
            dshape=str((1, 2) + (3,) * n),
            override_arg=(
                "\n      divisor_override: if set, divide every window sum by it."
                if override
                else ""
            ),
            override_err=", zero ``divisor_override``" if override else "",
            **common,
        )
        for what, dtype_note, parity_note in (
            ("avg", ", floating point", ""),
            (
                "max",
                "; any real dtype",
                "; ties share the gradient, except with ``return_indices=True`` "
                f"(``(values, indices)``, indices as in :func:`max_pool{n}d`)",
            ),
        ):
            globals()[f"adaptive_{what}_pool{n}d"].__doc__ = _ADAPTIVE_DOC.format(
                what=what,
                dtype_note=dtype_note,
                parity_note=parity_note,
                ashape=str((1, 2) + (3,) * n),
                **common,
            )


_fill_docs()
del _fill_docs
