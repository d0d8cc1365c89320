"""Max pooling that returns PyTorch's indices, and max unpooling (1d/2d/3d).

Shape legend: N batch, C channels, S spatial sizes, O output sizes, T taps per window
(``prod(K)``), L flattened spatial size.

PyTorch's CPU kernels scan each window in row-major order and keep a tap when
``val > best or isnan(val)``, starting from ``best = -inf`` and the index of the first
in-range tap. So ties keep the *first* maximum, a NaN wins over every number and the
*last* NaN of the window wins, and an all ``-inf`` window reports its first in-range
position. The index is the flat position in the spatial dims of the unpadded input.

Here every window is gathered as ``T`` static taps ``(T, N, C, *O)``, and the chosen
tap is found with vectorised reductions (first equal-to-max, last NaN). Values are then
taken at that tap, so the gradient goes to exactly that input position, as in PyTorch.
"""

from __future__ import annotations

import functools
import itertools

import jax
import jax.numpy as jnp
import numpy as np

from convjax._src import pooling as P
from convjax._src.checks import (
    batchify,
    check_positive,
    is_channels_last,
    ntuple,
)
from convjax._src.typing import Array


def index_dtype():
    """int64 when ``jax_enable_x64`` is on, else int32 (PyTorch always uses int64)."""
    return jax.dtypes.canonicalize_dtype(jnp.int64)


def _check_nonempty(x, unbatched, fn):
    """PyTorch rejects zero-size non-batch dims (an unbatched input has none)."""
    if any(sz == 0 for sz in x.shape[1:]):
        shape = x.shape[1:] if unbatched else x.shape
        raise ValueError(
            f"`{fn}`: `input` must have non-zero size in every non-batch dim, got "
            f"shape {shape}."
        )


def _to_channels_first(x, n, cl):
    return jnp.moveaxis(x, -1, 1) if cl else x


def _to_layout(y, cl):
    return jnp.moveaxis(y, 1, -1) if cl else y


def _select_max(x, coords, valid):
    """:func:`_select_max_kernel`, compiled once per window geometry (eager calls
    would otherwise compile each small op)."""
    key = tuple((c.tolist(), v.tolist()) for c, v in zip(coords, valid, strict=True))
    return _select_max_jit(x, _Static(key))


class _Static:
    """Hashable wrapper of nested lists (a static jit argument)."""

    def __init__(self, value):
        self.value = value
        self._key = repr(value)

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Static) and self._key == other._key


@functools.partial(jax.jit, static_argnums=1)
def _select_max_jit(x, static):
    coords = [np.array(c, np.int64) for c, _ in static.value]
    valid = [np.array(v, bool) for _, v in static.value]
    return _select_max_kernel(x, coords, valid)


def _select_max_kernel(x, coords, valid):
    """Max with PyTorch's index over static windows of a channels-first batch.

    Args:
      x: ``(N, C, *S)``.
      coords: per spatial dim, an int array ``(O_a, K_a)`` of input positions (may
        be out of range).
      valid: per spatial dim, a bool array ``(O_a, K_a)``: tap inside the input
        (and inside the window).

    Returns:
      ``(values, indices)``, both ``(N, C, *O)``.
    """
    n = len(coords)
    sizes = x.shape[2:]
    outs = tuple(c.shape[0] for c in coords)
    ks = tuple(c.shape[1] for c in coords)
    # Gather every spatial dim into (O_a, K_a): x -> (N, C, O1, K1, ..., On, Kn).
    g = x
    for a, c in enumerate(coords):
        ax = 2 + 2 * a
        g = jnp.take(g, jnp.asarray(c.reshape(-1)), axis=ax, mode="clip")
        g = g.reshape(g.shape[:ax] + c.shape + g.shape[ax + 1 :])
    k_axes = [3 + 2 * a for a in range(n)]
    o_axes = [2 + 2 * a for a in range(n)]
    g = jnp.transpose(g, k_axes + [0, 1] + o_axes)
    t = int(np.prod(ks))
    g = g.reshape((t,) + g.shape[n:])  # [T, N, C, *O]

    # Static per-tap tables over the output grid: validity and flat input index.
    mask = np.ones((t,) + outs, bool)
    flat = np.zeros((t,) + outs, np.int64)
    strides = [int(np.prod(sizes[a + 1 :])) for a in range(n)]
    for ti, js in enumerate(itertools.product(*[range(k) for k in ks])):
        m = np.ones(outs, bool)
        f = np.zeros(outs, np.int64)
        for a, j in enumerate(js):
            shape = [1] * n
            shape[a] = outs[a]
            m = m & valid[a][:, j].reshape(shape)
            f = f + coords[a][:, j].reshape(shape) * strides[a]
        mask[ti], flat[ti] = m, f
    vmask = jnp.asarray(mask[:, None, None])  # [T, 1, 1, *O]

    low = P._lowest(x.dtype)
    gv = jnp.where(vmask, g, low)
    best = jnp.max(gv, axis=0)  # NaN if any in-range tap is NaN
    first = jnp.argmax(vmask & (gv == best[None]), axis=0)  # first maximum
    if jnp.issubdtype(x.dtype, jnp.inexact):
        isnan = vmask & jnp.isnan(g)
        last_nan = t - 1 - jnp.argmax(isnan[::-1], axis=0)
        tap = jnp.where(jnp.any(isnan, axis=0), last_nan, first)
    else:
        tap = first
    values = jnp.take_along_axis(g, tap[None], axis=0)[0]
    o_flat = np.arange(int(np.prod(outs))).reshape((1, 1) + outs)
    table = jnp.asarray(flat.reshape(-1).astype(index_dtype()))
    indices = jnp.take(table, tap * o_flat.size + jnp.asarray(o_flat), mode="clip")
    return values, indices


def max_pool_with_indices(
    n, fn, input, kernel_size, stride, padding, dilation, ceil_mode, data_format
) -> tuple[Array, Array]:
    """``max_pool{n}d(..., return_indices=True)``."""
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    _check_nonempty(x, unbatched, fn)
    P._lowest(x.dtype)  # raises for unsupported dtypes
    k, s, p, d = P._window_config(n, fn, kernel_size, stride, padding, dilation)
    x = _to_channels_first(x, n, cl)
    sizes = x.shape[2:]
    outs = P._output_sizes(fn, sizes, k, s, p, d, ceil_mode)
    coords, valid = [], []
    for size, ki, si, pi, di, o in zip(sizes, k, s, p, d, outs, strict=True):
        c = np.arange(o)[:, None] * si - pi + np.arange(ki)[None, :] * di
        coords.append(c)
        valid.append((c >= 0) & (c < size))
    y, idx = _select_max(x, coords, valid)
    y, idx = _to_layout(y, cl), _to_layout(idx, cl)
    return (y[0], idx[0]) if unbatched else (y, idx)


def adaptive_max_with_indices(n, fn, input, output_size, data_format):
    """``adaptive_max_pool{n}d(..., return_indices=True)``."""
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    _check_nonempty(x, unbatched, fn)
    P._lowest(x.dtype)
    x = _to_channels_first(x, n, cl)
    sizes = x.shape[2:]
    outs = P._adaptive_output_size(output_size, sizes, n, fn)
    coords, valid = [], []
    for size, o in zip(sizes, outs, strict=True):
        start, end = P.adaptive_windows(size, o)
        kmax = int((end - start).max())
        c = start[:, None] + np.arange(kmax)[None, :]
        coords.append(c)
        valid.append(c < end[:, None])
    y, idx = _select_max(x, coords, valid)
    y, idx = _to_layout(y, cl), _to_layout(idx, cl)
    return (y[0], idx[0]) if unbatched else (y, idx)


# --------------------------------------------------------------------------------------
# Max unpooling.


def unpool_output_size(fn, in_sizes, k, s, p, output_size):
    """PyTorch's ``_unpool_output_size``: ``(S - 1) s + K - 2p`` unless
    ``output_size`` (``n`` or ``n + 2`` entries) is given, which must lie strictly
    within ``stride`` of that default.

    >>> unpool_output_size("max_unpool2d", (2, 3), (2, 2), (2, 2), (0, 0), None)
    (4, 6)
    """
    n = len(k)
    default = tuple(
        (si_ - 1) * si + ki - 2 * pi
        for si_, ki, si, pi in zip(in_sizes, k, s, p, strict=True)
    )
    if output_size is None:
        out = default
    else:
        if isinstance(output_size, int | np.integer) or not hasattr(
            output_size, "__len__"
        ):
            raise ValueError(
                f"`{fn}`: `output_size` must be a sequence of {n} or {n + 2} ints, "
                f"got {output_size!r}."
            )
        sz = tuple(output_size)
        if len(sz) == n + 2:
            sz = sz[2:]
        if len(sz) != n:
            raise ValueError(
                f"`{fn}`: `output_size` must be a sequence of {n} or {n + 2} ints, "
                f"got {output_size!r}."
            )
        sz = tuple(int(v) for v in sz)
        for a in range(n):
            lo, hi = default[a] - s[a], default[a] + s[a]
            if not lo < sz[a] < hi:
                raise ValueError(
                    f"`{fn}`: invalid `output_size` {output_size!r} (dim {a} must be "
                    f"between {lo} and {hi}, exclusive)."
                )
        out = sz
    if any(o < 0 for o in out):
        raise ValueError(
            f"`{fn}`: the output size {out} is negative (kernel_size={k}, "
            f"stride={s}, padding={p})."
        )
    return out


@functools.partial(jax.custom_jvp, nondiff_argnums=(2,))
def _scatter_last(x, idx, l_out):
    """``out[r, idx[r, i]] = x[r, i]``, later ``i`` winning, on a ``(R, L_out)`` grid.

    Out-of-range indices are dropped.
    """
    rows, l_in = x.shape
    r = jnp.arange(rows)[:, None]
    order = jnp.broadcast_to(jnp.arange(l_in), (rows, l_in))
    winner = jnp.full((rows, l_out), -1, order.dtype).at[r, idx].max(order, mode="drop")
    got = jnp.take_along_axis(x, jnp.maximum(winner, 0), axis=1)
    return jnp.where(winner >= 0, got, jnp.zeros((), x.dtype))


@_scatter_last.defjvp
def _scatter_last_jvp(l_out, primals, tangents):
    # PyTorch's backward is ``grad_input = grad_output.gather(indices)`` for every
    # input position (duplicates included): the transpose of a scatter-add.
    x, idx = primals
    tx = tangents[0]
    r = jnp.arange(x.shape[0])[:, None]
    out = _scatter_last(x, idx, l_out)
    t_out = jnp.zeros(out.shape, tx.dtype).at[r, idx].add(tx, mode="drop")
    return out, t_out


# One compiled kernel per shape (eager calls would otherwise compile each small op).
_scatter_last_jit = jax.jit(_scatter_last, static_argnums=2)


def _check_host_indices(indices, limit, fn):
    """Raises like PyTorch for out-of-range indices when their values are on the
    host (NumPy); device and traced indices are never read (out-of-range entries
    are then dropped)."""
    if isinstance(indices, np.ndarray | np.generic | list | tuple):
        v = np.asarray(indices)
        if v.size and (v.min() < 0 or v.max() >= limit):
            bad = v.min() if v.min() < 0 else v.max()
            raise ValueError(
                f"`{fn}`: found an invalid max index {int(bad)} in `indices` "
                f"(the output has {limit} positions per channel)."
            )


def max_unpool(
    n, fn, input, indices, kernel_size, stride, padding, output_size, data_format
) -> Array:
    """``max_unpool{n}d``: scatters ``input`` to the positions in ``indices``."""
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    idx = jnp.asarray(indices)
    if not jnp.issubdtype(idx.dtype, jnp.integer):
        raise TypeError(
            f"`{fn}`: `indices` must have an integer dtype, got {idx.dtype}."
        )
    if idx.shape != jnp.shape(input):
        raise ValueError(
            f"`{fn}`: `indices` must have the shape of `input` {jnp.shape(input)}, "
            f"got {idx.shape}."
        )
    if unbatched:
        idx = idx[None]
    _check_nonempty(x, unbatched, fn)
    k = check_positive(ntuple(kernel_size, n, "kernel_size"), "kernel_size")
    if stride is None:
        s = k
    else:
        s = check_positive(ntuple(stride, n, "stride"), "stride")
    p = check_positive(ntuple(padding, n, "padding"), "padding", allow_zero=True)
    x = _to_channels_first(x, n, cl)
    idx = _to_channels_first(idx, n, cl)
    outs = unpool_output_size(fn, x.shape[2:], k, s, p, output_size)
    l_out = int(np.prod(outs))
    _check_host_indices(indices, l_out, fn)
    nb, c = x.shape[:2]
    rows = nb * c
    l_in = int(np.prod(x.shape[2:]))
    x2 = x.reshape(rows, l_in)
    i2 = idx.reshape(rows, l_in)
    y = _scatter_last_jit(x2, i2, l_out)
    y = _to_layout(y.reshape((nb, c) + outs), cl)
    return y[0] if unbatched else y


_UNPOOL_DOC = """{n}-D max unpooling: the partial inverse of ``max_pool{n}d``.

    Every value of ``input`` is written to the flat spatial position given by
    ``indices`` (as returned by ``max_pool{n}d(..., return_indices=True)``); all other
    positions are zero. When two entries share an index the later one (in row-major
    order) wins, as in PyTorch's CPU kernel.

    Output size per dim: ``(S - 1) * stride + kernel_size - 2 * padding``, or
    ``output_size`` (``{n}`` or ``{n2}`` entries), which must lie strictly within
    ``stride`` of that value.

    Args:
      input: ``{shape}`` (or unbatched, without ``N``).
      indices: integer array of the shape of ``input``.
      kernel_size: int or tuple of {n}.
      stride: int or tuple of {n}; ``None`` (default) means ``kernel_size``.
      padding: int or tuple of {n}.
      output_size: optional target size.
      data_format: ``None``/``"{fmt}"`` (channels first) or ``"{cl}"``.

    Returns:
      ``(N, C, {out})`` in the layout and dtype of ``input``.

    Raises:
      ValueError: wrong rank, shape mismatch, empty non-batch dims, bad
        ``output_size``, or (NumPy ``indices`` only) an index outside the output.
      TypeError: non-integer ``indices``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax.functional import max_pool{n}d
      >>> x = jnp.arange({numel}.0).reshape({xshape})
      >>> v, i = max_pool{n}d(x, 2, return_indices=True)
      >>> max_unpool{n}d(v, i, 2).shape
      {xshape}

    PyTorch parity: ``torch.nn.functional.max_unpool{n}d``. The gradient w.r.t.
    ``input`` is PyTorch's ``grad_output`` gathered at ``indices`` (for every entry,
    duplicates included). Indices are not range-checked when they are JAX arrays
    (PyTorch raises): out-of-range entries are then dropped.
    """


def max_unpool1d(
    input,
    indices,
    kernel_size,
    stride=None,
    padding=0,
    output_size=None,
    *,
    data_format=None,
) -> Array:
    return max_unpool(
        1,
        "max_unpool1d",
        input,
        indices,
        kernel_size,
        stride,
        padding,
        output_size,
        data_format,
    )


def max_unpool2d(
    input,
    indices,
    kernel_size,
    stride=None,
    padding=0,
    output_size=None,
    *,
    data_format=None,
) -> Array:
    return max_unpool(
        2,
        "max_unpool2d",
        input,
        indices,
        kernel_size,
        stride,
        padding,
        output_size,
        data_format,
    )


def max_unpool3d(
    input,
    indices,
    kernel_size,
    stride=None,
    padding=0,
    output_size=None,
    *,
    data_format=None,
) -> Array:
    return max_unpool(
        3,
        "max_unpool3d",
        input,
        indices,
        kernel_size,
        stride,
        padding,
        output_size,
        data_format,
    )


for _n, _f in enumerate((max_unpool1d, max_unpool2d, max_unpool3d), 1):
    _fmt, _cl, _shape, _out = P._FMT[_n]
    _xs = (1, 1) + (4,) * _n
    _f.__doc__ = _UNPOOL_DOC.format(
        n=_n,
        n2=_n + 2,
        fmt=_fmt,
        cl=_cl,
        shape=_shape,
        out=_out,
        numel=int(np.prod(_xs)),
        xshape=str(_xs),
    )
del _n, _f, _fmt, _cl, _shape, _out, _xs
