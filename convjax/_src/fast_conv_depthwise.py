"""Depthwise convolution as shift-and-accumulate, as two bilinear JAX primitives.

XLA's CPU backend runs depthwise convolutions (``groups == in_channels``) through a
generic grouped-conv path that reaches about 1 GFLOP/s, and its backward is worse.
This module writes the same convolution as fused elementwise passes:

* forward: ``y = sum_t w[t] * shift_t(x_padded)``, one pass over the output with
  one strided slice of the padded input per kernel tap ``t``;
* input gradient: the same shift-and-add applied to the (stride-dilated, padded)
  output gradient with the flipped kernel, i.e. the transposed depthwise conv;
* weight gradient: a reduction. The padded input (split into its ``s**n`` stride
  phases, space-to-depth, when strided) and the output gradient are laid out flat
  in the same frame, so that every tap is a contiguous offset into the flat input;
  one variadic ``lax.reduce`` produces up to 13 taps in a single pass over memory.

The conv and its weight gradient are primitives (``conv_p``, ``wgrad_p``), bilinear
like ``lax.conv_general_dilated``, each transposed through the other: reverse and
forward mode (``grad``, ``jvp``, ``jacfwd``, ``hessian``) and ``vmap`` (over
inputs or kernels) compose to any order and always run these kernels.
Channels-first and channels-last layouts both run natively: the forward and input
gradient shift-and-add over (N, *S, C) without transposes; the weight gradient
reduces channels-first (a channels-last operand is transposed once, which measured
4x faster than reducing over the strided channels-last frame).
Everything accumulates in float32 (float64 for float64 inputs), whatever the
input dtype; real floating dtypes only (complex convs stay with ``"xla"``).

Shape legend: N batch, C channels, A/B channel multipliers on the way in/out,
S input spatial size, O output spatial size, K kernel size, P padded frame size.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from convjax._src import dispatch


def _acc(*arrays):
    """Accumulation dtype: float32, or float64 for float64 inputs."""
    return jnp.promote_types(jnp.result_type(*arrays), jnp.float32)


# Taps per variadic reduce: XLA's CPU code for a many-operand reduce slows down
# past ~13 operands (measured: 5x5 stride 2 best at 13, 3x3 at 9).
_TAPS_PER_REDUCE = 13


def _axes(n_sp, channels_last):
    """(spatial axes, C axis, A/B axis) of ``(N, C, A, *S)``, or of ``(N, *S, C, A)``."""
    if channels_last:
        return tuple(range(1, 1 + n_sp)), 1 + n_sp, 2 + n_sp
    return tuple(range(3, 3 + n_sp)), 1, 2


def _spatial(shape, channels_last):
    """The spatial sizes of an ``(N, C, A, *S)`` or ``(N, *S, C, A)`` shape."""
    return tuple(shape[i] for i in _axes(len(shape) - 3, channels_last)[0])


def _pad(x, padding, lhs_dilation, channels_last):
    """Zero-pads (and interior-dilates) the spatial dims of ``x``."""
    none = (0, 0, 0)
    cfg = [(lo, hi, ld - 1) for (lo, hi), ld in zip(padding, lhs_dilation, strict=True)]
    cfg = [none, *cfg, none, none] if channels_last else [none, none, none, *cfg]
    return lax.pad(x, jnp.zeros((), x.dtype), cfg)


def shift_add(x, w, stride, padding, lhs_dilation, rhs_dilation, channels_last=False):
    """``y[n, c, b] = sum_a sum_t w[c, a, b, t] * x_p[n, c, a, s*i + d*t]`` in float32.

    Args:
      x: ``(N, C, A, *S)``, or ``(N, *S, C, A)`` if ``channels_last``.
      w: ``(C, A, B, *K)``.

    Returns:
      ``(N, C, B, *O)`` (``(N, *O, C, B)`` if ``channels_last``) float32.
    """
    sp, c_ax, a_ax = _axes(len(stride), channels_last)
    xp = _pad(x, padding, lhs_dilation, channels_last)
    c, a_in, b_out = w.shape[:3]
    ksize = w.shape[3:]
    out = [
        (xp.shape[i] - d * (k - 1) - 1) // s + 1
        for i, k, s, d in zip(sp, ksize, stride, rhs_dilation, strict=True)
    ]
    wshape = [1] * xp.ndim
    wshape[c_ax], wshape[a_ax] = c, b_out
    acc_dtype = _acc(x, w)
    wf = w.astype(acc_dtype)
    acc = None
    for a in range(a_in):
        for tap in np.ndindex(*ksize):
            start, limit, step = [0] * xp.ndim, list(xp.shape), [1] * xp.ndim
            start[a_ax], limit[a_ax] = a, a + 1
            for i, d, t, s, o in zip(sp, rhs_dilation, tap, stride, out, strict=True):
                start[i], limit[i], step[i] = d * t, d * t + s * (o - 1) + 1, s
            sl = lax.slice(xp, start, limit, step).astype(acc_dtype)
            term = sl * wf[(slice(None), a, slice(None)) + tap].reshape(wshape)
            acc = term if acc is None else acc + term
    return acc


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _flat_taps(xr, g, taps):
    """``out[t] = sum_{n, i} xr[n, c, a, i + q_t] * g[n, c, b, i]`` for stride 1.

    ``xr`` ``(N, C, A, *F)`` is the frame, ``g`` ``(N, C, B, *O)`` and every tap
    offset ``q_t`` satisfies ``O + q_t <= F``. ``g`` is embedded in the frame's row
    pitch and both are flattened, so each tap is one contiguous slice of the flat
    frame and one variadic reduce yields all taps in a single pass.
    """
    num, c, a_in = xr.shape[:3]
    frame, out = xr.shape[3:], g.shape[3:]
    b_out = g.shape[2]
    row = [math.prod(frame[i + 1 :]) for i in range(len(frame))]
    span = sum((o - 1) * r for o, r in zip(out, row, strict=True)) + 1
    gcfg = [(0, 0, 0)] * 4 + [
        (0, f - o, 0) for f, o in zip(frame[1:], out[1:], strict=True)
    ]
    gd = lax.pad(g, jnp.zeros((), g.dtype), gcfg) if len(out) > 1 else g
    acc_dtype = _acc(xr, g)
    gd = gd.reshape(num, c, 1, b_out, math.prod(gd.shape[3:]))
    gd = gd[..., :span].astype(acc_dtype)
    xf = xr.reshape(num, c, a_in, 1, math.prod(frame))
    offsets = [sum(q * r for q, r in zip(tap, row, strict=True)) for tap in taps]
    results = []
    # Even chunks of at most _TAPS_PER_REDUCE taps (27 taps: 3 x 9, not 13+13+1).
    size = -(-len(offsets) // -(-len(offsets) // _TAPS_PER_REDUCE))
    for k in range(0, len(offsets), size):
        chunk = offsets[k : k + size]
        ops = tuple(
            lax.slice_in_dim(xf, off, off + span, axis=4).astype(acc_dtype) * gd
            for off in chunk
        )
        zeros = (np.zeros((), acc_dtype),) * len(ops)
        results.extend(lax.reduce(ops, zeros, _add, (0, 4)))
    return results


def weight_grad_fast(
    x, g, ksize, stride, padding, lhs_dilation, rhs_dilation, channels_last=False
):
    """``dW[c, a, b, t] = sum_{n, i} x_p[n, c, a, s*i + d*t] * g[n, c, b, i]`` (f32).

    Channels-last operands (``channels_last``: ``x`` ``(N, *S, C, A)``, ``g``
    ``(N, *O, C, B)``) are moved channels-first: XLA:CPU runs this reduction
    3-4x slower over a channels-last frame than the two transposes cost.
    ``x_p`` is the padded, ``lhs_dilation``-dilated input. With a stride, ``x_p`` is
    split into its ``s**n`` phases ``x_p[r::s]`` (stacked along the first spatial
    dim) and tap ``d*t = s*q + r`` reads phase ``r`` at offset ``q``: a stride-1
    problem without wasted work.
    A transposed conv (stride 1, ``lhs_dilation`` > 1) swaps the roles of ``x``
    and ``g`` to avoid multiplying the inserted zeros.
    """
    if channels_last:
        x, g = jnp.moveaxis(x, (-2, -1), (1, 2)), jnp.moveaxis(g, (-2, -1), (1, 2))
    n_sp = len(ksize)
    if all(s == 1 for s in stride) and any(ld > 1 for ld in lhs_dilation):
        out = g.shape[3:]
        pads = []
        for size, k, (lo, _), ld, d, o in zip(
            x.shape[3:], ksize, padding, lhs_dilation, rhs_dilation, out, strict=True
        ):
            before = d * (k - 1) - lo
            pads.append((before, ld * (size - 1) + d * (k - 1) + 1 - o - before))
        dw = weight_grad_fast(
            g, x, ksize, lhs_dilation, tuple(pads), (1,) * n_sp, rhs_dilation
        )
        dw = jnp.flip(dw, tuple(range(3, 3 + n_sp)))
        return jnp.swapaxes(dw, 1, 2)
    xp = _pad(x, padding, lhs_dilation, False)
    num, c, a_in = x.shape[:3]
    b_out = g.shape[2]
    taps = [
        tuple((d * t) // s for d, t, s in zip(rhs_dilation, tap, stride, strict=True))
        for tap in np.ndindex(*ksize)
    ]
    if any(s > 1 for s in stride):
        # Space-to-depth: the s**n phases x_p[r::s] stacked along the first spatial
        # dim; tap d*t = s*q + r reads phase r at offset q.
        frame = [-(-p // s) for p, s in zip(xp.shape[3:], stride, strict=True)]
        cfg = [(0, 0, 0)] * 3 + [
            (0, f * s - p, 0)
            for f, s, p in zip(frame, stride, xp.shape[3:], strict=True)
        ]
        xp = lax.pad(xp, jnp.zeros((), xp.dtype), cfg)
        split = [v for f, s in zip(frame, stride, strict=True) for v in (f, s)]
        xp = xp.reshape(num, c, a_in, *split)
        perm = [0, 1, 2]
        perm += [4 + 2 * i for i in range(n_sp)] + [3 + 2 * i for i in range(n_sp)]
        xp = xp.transpose(perm).reshape(
            num, c, a_in, math.prod(stride) * frame[0], *frame[1:]
        )
        phase_index = {r: i for i, r in enumerate(np.ndindex(*stride))}
        taps = [
            (phase_index[r] * frame[0] + q[0], *q[1:])
            for q, r in zip(
                taps,
                (
                    tuple(
                        (d * t) % s
                        for d, t, s in zip(rhs_dilation, tap, stride, strict=True)
                    )
                    for tap in np.ndindex(*ksize)
                ),
                strict=True,
            )
        ]
    results = _flat_taps(xp, g, taps)
    return jnp.stack(results, axis=-1).reshape((c, a_in, b_out) + tuple(ksize))


def _input_grad_geometry(in_size, ksize, stride, padding, lhs_dilation, dil, out):
    """Padding of the conv that maps the output gradient back to the input."""
    pads = []
    for size, k, s, (lo, _), ld, d, o in zip(
        in_size, ksize, stride, padding, lhs_dilation, dil, out, strict=True
    ):
        before = d * (k - 1) - lo
        after = (size - 1) * ld + 1 + d * (k - 1) - (o - 1) * s - 1 - before
        pads.append((before, after))
    return tuple(pads)


# Two bilinear primitives, each transposed through the other (as lax's conv is):
#   conv_p:  x (N, C, A, *S), w (C, A, B, *K) -> y (N, C, B, *O)   (shift_add)
#   wgrad_p: x (N, C, A, *S), g (N, C, B, *O) -> dw (C, A, B, *K)  (weight_grad_fast)
# JVPs follow from bilinearity, so forward mode, reverse mode and every higher
# order work, each derivative running these fast kernels again.
conv_p = Primitive("convjax_depthwise_conv")
wgrad_p = Primitive("convjax_depthwise_weight_grad")


def _varying(aval):
    """The ``shard_map`` mesh axes a value varies over (``.mat`` from jax 0.10)."""
    mat = getattr(aval, "mat", None)
    return frozenset(mat.varying if mat is not None else getattr(aval, "vma", ()))


def _bind(prim, *args, **params):
    """``prim.bind`` with every operand varying over the same ``shard_map`` mesh axes.

    Like lax's own primitives: an operand replicated over an axis another one
    varies over is ``pcast`` to varying, whose transpose sums its gradient.
    """
    vmas = [_varying(jax.typeof(a)) for a in args]
    union = frozenset().union(*vmas)
    args = [
        jax.lax.pcast(a, tuple(sorted(union - v)), to="varying") if union - v else a
        for a, v in zip(args, vmas, strict=True)
    ]
    return prim.bind(*args, **params)


def _conv_impl(x, w, **geom):
    return shift_add(x, w, **geom).astype(x.dtype)


def _wgrad_impl(x, g, *, ksize, **geom):
    return weight_grad_fast(x, g, ksize, **geom).astype(x.dtype)


def _flip(w):
    """``(C, A, B, *K)`` -> ``(C, B, A, *K)`` flipped: the adjoint's kernel."""
    return jnp.flip(jnp.swapaxes(w, 1, 2), tuple(range(3, w.ndim)))


def _adjoint(
    g, w, x_shape, *, stride, padding, lhs_dilation, rhs_dilation, channels_last
):
    """``x_bar`` with ``<x_bar, x> = <g, conv(x, w)>``: the transposed depthwise conv."""
    pads = _input_grad_geometry(
        _spatial(x_shape, channels_last),
        w.shape[3:],
        stride,
        padding,
        lhs_dilation,
        rhs_dilation,
        _spatial(g.shape, channels_last),
    )
    return _bind(
        conv_p,
        g,
        _flip(w),
        stride=lhs_dilation,
        padding=pads,
        lhs_dilation=stride,
        rhs_dilation=rhs_dilation,
        channels_last=channels_last,
    )


def _conv_transpose_x(ct, x, w, **geom):
    return _adjoint(ct, w, x.aval.shape, **geom)


def _conv_transpose_w(ct, x, w, **geom):
    return _bind(wgrad_p, x, ct, ksize=w.aval.shape[3:], **geom)


def _wgrad_transpose_x(ct, x, g, *, ksize, **geom):
    return _adjoint(g, ct, x.aval.shape, **geom)


def _wgrad_transpose_g(ct, x, g, *, ksize, **geom):
    return _bind(conv_p, x, ct, **geom)


def _fold(args, dims, size, axes):
    """Moves each arg's vmapped axis (broadcast where unbatched) into its dim ``axes[i]``.

    The vmapped axis ``V`` and that dim ``D`` merge as ``V * D`` (``V`` major).
    """
    out = []
    for a, d, axis in zip(args, dims, axes, strict=True):
        a = (
            jnp.broadcast_to(a, (size, *a.shape))
            if d is None
            else jnp.moveaxis(a, d, 0)
        )
        a = jnp.moveaxis(a, 0, axis)
        merged = (a.shape[axis] * a.shape[axis + 1],)
        out.append(a.reshape(a.shape[:axis] + merged + a.shape[axis + 2 :]))
    return out


def _unfold(y, size, inner, axis):
    """Splits dim ``axis`` of ``y`` back into ``(size, inner)``: the vmapped axis."""
    return y.reshape(y.shape[:axis] + (size, inner) + y.shape[axis + 1 :]), axis


def _size(args, dims):
    return next(a.shape[d] for a, d in zip(args, dims, strict=True) if d is not None)


def _dim(a, d, axis):
    """Size of dim ``axis`` of ``a`` once its vmapped axis ``d`` is taken out."""
    return tuple(n for i, n in enumerate(a.shape) if i != d)[axis]


def _c_axis(geom):
    return _axes(len(geom["stride"]), geom["channels_last"])[1]


def _conv_batch(args, dims, **geom):
    size = _size(args, dims)
    if dims[1] is None:  # one kernel: the vmapped axis joins the batch N
        (x,) = _fold(args[:1], dims[:1], size, (0,))
        y = _bind(conv_p, x, args[1], **geom)
        return _unfold(y, size, _dim(args[0], dims[0], 0), 0)
    # per-example kernels: channels are independent, so it joins the channels C
    c_ax = _c_axis(geom)
    x, w = _fold(args, dims, size, (c_ax, 0))
    y = _bind(conv_p, x, w, **geom)
    return _unfold(y, size, _dim(args[1], dims[1], 0), c_ax)


def _wgrad_batch(args, dims, **params):
    size = _size(args, dims)  # it joins the channels C of both operands
    c_ax = _c_axis(params)
    x, g = _fold(args, dims, size, (c_ax, c_ax))
    dw = _bind(wgrad_p, x, g, **params)
    return _unfold(dw, size, _dim(args[0], dims[0], c_ax), 0)


@functools.partial(jax.jit, static_argnames=("impl", "params"))
def _apply(*args, impl, params):
    return impl(*args, **dict(params))


def _eager(impl):
    """Op-by-op evaluation: ``impl`` compiled once per shape and geometry."""
    return lambda *args, **params: _apply(
        *args, impl=impl, params=tuple(sorted(params.items()))
    )


@functools.lru_cache(maxsize=512)
def _out_aval(impl, avals, params):
    (out,) = jax.make_jaxpr(functools.partial(impl, **dict(params)))(*avals).out_avals
    return out


def _abstract(impl):
    """Output aval by tracing ``impl`` on the input avals (which keeps their
    sharding and the mesh axes they vary over inside ``shard_map``); cached."""

    def rule(*avals, **params):
        return _out_aval(impl, avals, tuple(sorted(params.items())))

    return rule


# Primitive name -> the function it lowers to (FLOP counting expands it).
IMPLEMENTATIONS = {conv_p.name: _conv_impl, wgrad_p.name: _wgrad_impl}

for _p, _impl, _lhs, _rhs, _batch in (
    (conv_p, _conv_impl, _conv_transpose_x, _conv_transpose_w, _conv_batch),
    (wgrad_p, _wgrad_impl, _wgrad_transpose_x, _wgrad_transpose_g, _wgrad_batch),
):
    _p.def_impl(_eager(_impl))
    _p.def_abstract_eval(_abstract(_impl))
    mlir.register_lowering(_p, mlir.lower_fun(_impl, multiple_results=False))
    ad.defbilinear(_p, _lhs, _rhs)
    batching.primitive_batchers[_p] = _batch


def depthwise(x, w, stride, padding, lhs_dilation, rhs_dilation, channels_last=False):
    """Depthwise conv of ``x`` ``(N, C, *S)`` (``(N, *S, C)`` if ``channels_last``)
    with ``w`` ``(C*m, 1, *K)``; channels-last data is never transposed."""
    c = x.shape[-1] if channels_last else x.shape[1]
    ksize = w.shape[2:]
    m = w.shape[0] // c
    y = _bind(
        conv_p,
        x[..., None] if channels_last else x[:, :, None],
        w.reshape((c, 1, m) + ksize),
        stride=tuple(stride),
        padding=tuple(tuple(p) for p in padding),
        lhs_dilation=tuple(lhs_dilation),
        rhs_dilation=tuple(rhs_dilation),
        channels_last=channels_last,
    )
    if channels_last:
        return y.reshape(y.shape[:-2] + (c * m,))
    return y.reshape((y.shape[0], c * m) + y.shape[3:])


def conv_depthwise(x, w, spec: dispatch.ConvSpec):
    """Kernel for ``impl="depthwise"``: any stride/padding/dilation/multiplier/layout."""
    return depthwise(
        x,
        w,
        spec.stride,
        spec.padding,
        spec.lhs_dilation,
        spec.rhs_dilation,
        spec.channels_last,
    )


def supports_depthwise(spec: dispatch.ConvSpec) -> bool:
    return spec.is_depthwise and jnp.issubdtype(spec.dtype, jnp.floating)


dispatch.register(
    "depthwise",
    conv_depthwise,
    supports_depthwise,
    "depthwise conv (groups == in_channels, any multiplier) as shift-and-add "
    "primitives (conv and weight gradient, each transposed through the other)",
)
