"""Faster convolution kernels for XLA's CPU backend, registered with the dispatcher.

Importing this module registers, next to ``impl="xla"``:

* ``"depthwise"`` (:mod:`convjax._src.fast_conv_depthwise`): ``groups ==
  in_channels`` with any depth multiplier, as shift-and-add with a custom VJP;
* ``"grouped"``: ``1 < groups < in_channels`` as ``groups`` dense convolutions on
  channel slices, concatenated (XLA's own grouped conv, and above all its backward
  pass, is one to two orders of magnitude slower on CPU);
* ``"pointwise"``: a 1x1 kernel without padding (any stride) as one matrix product;
* ``"transposed"``: a dense transposed conv (``lhs_dilation`` > 1, stride 1) whose
  VJP goes through the adjoint strided conv (the grouped kernel uses it per group).

Each kernel takes ``(x, w, spec)`` as described in :mod:`convjax._src.dispatch` and
gives the numbers of ``"xla"`` up to float32 round-off. Which one ``impl="auto"``
uses for a shape is decided by :data:`convjax._src.dispatch.AUTO_RULES`.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
from jax import lax

from convjax._src import dispatch, fast_conv_depthwise  # noqa: F401  ("depthwise")


def _lax_dense(x, w, spec):
    """``impl="xla"`` on one group's channels (``groups=1``)."""
    return dispatch.conv_xla(x, w, dataclasses.replace(spec, groups=1))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _lhs_dilated(x, w, spec):
    """Dense conv with ``lhs_dilation`` (a transposed conv), with a faster VJP.

    The conv is linear in ``x``: ``y = T_w x``. Its transpose ``A_w = T_w^T`` is an
    ordinary strided conv, and ``<g, T_w x> = <A_w g, x>`` gives both gradients
    through ``A``: ``dx = A_w g`` and ``dw = d/dw <A_w g, x>``. XLA's own weight
    gradient of an lhs-dilated conv is 20-100x slower on CPU than that of the
    strided conv ``A``.
    """
    return _lax_dense(x, w, spec)


def _lhs_dilated_fwd(x, w, spec):
    return _lax_dense(x, w, spec), (x, w)


def _lhs_dilated_bwd(spec, res, g):
    x, w = res
    shape = jax.ShapeDtypeStruct(x.shape, x.dtype)

    def adjoint(g, w):
        (z,) = jax.linear_transpose(lambda v: _lax_dense(v, w, spec), shape)(g)
        return z

    dx, vjp_w = jax.vjp(lambda w: adjoint(g, w), w)
    (dw,) = vjp_w(x)
    return dx, dw


_lhs_dilated.defvjp(_lhs_dilated_fwd, _lhs_dilated_bwd)


def _dense(x, w, spec):
    if any(d > 1 for d in spec.lhs_dilation) and all(s == 1 for s in spec.stride):
        return _lhs_dilated(x, w, spec)
    return _lax_dense(x, w, spec)


def conv_transposed(x, w, spec: dispatch.ConvSpec):
    """Dense transposed conv (lhs-dilated, stride 1) with the adjoint-based VJP."""
    return _lhs_dilated(x, w, spec)


def supports_transposed(spec: dispatch.ConvSpec) -> bool:
    return (
        spec.groups == 1
        and any(d > 1 for d in spec.lhs_dilation)
        and all(s == 1 for s in spec.stride)
    )


def conv_grouped(x, w, spec: dispatch.ConvSpec):
    """Grouped conv as ``groups`` dense convolutions on channel slices."""
    axis = x.ndim - 1 if spec.channels_last else 1
    xs = jnp.split(x, spec.groups, axis=axis)
    ws = jnp.split(w, spec.groups, axis=0)
    ys = [_dense(a, b, spec) for a, b in zip(xs, ws, strict=True)]
    return jnp.concatenate(ys, axis=axis)


def supports_grouped(spec: dispatch.ConvSpec) -> bool:
    return 1 < spec.groups < spec.in_channels


def conv_pointwise(x, w, spec: dispatch.ConvSpec):
    """1x1 conv as a matrix product (a strided one subsamples the input first)."""
    n_sp = spec.num_spatial
    if any(s > 1 for s in spec.stride):
        start = (0,) * x.ndim
        strides = (1, *spec.stride, 1) if spec.channels_last else (1, 1, *spec.stride)
        x = lax.slice(x, start, x.shape, strides)
    w2 = w.reshape(w.shape[:2])
    if spec.channels_last:
        y = lax.dot_general(x, w2, (((x.ndim - 1,), (1,)), ((), ())))
        return y
    num, c = x.shape[:2]
    spatial = x.shape[2:]
    xf = x.reshape(num, c, -1)
    if num * w2.size <= x.size:
        # One (O, C) @ (C, S) product per image writes NCHW directly (2-4x lax).
        wb = jnp.broadcast_to(w2, (num,) + w2.shape)
        y = lax.dot_general(wb, xf, (((2,), (1,)), ((0,), (0,))))
    else:  # a large batch of small images: one GEMM, then (O, N, S) -> (N, O, S)
        y = lax.dot_general(w2, xf, (((1,), (1,)), ((), ()))).transpose(1, 0, 2)
    return y.reshape((num, w.shape[0]) + spatial[:n_sp])


def supports_pointwise(spec: dispatch.ConvSpec) -> bool:
    return (
        spec.groups == 1
        and all(k == 1 for k in spec.kernel_size)
        and all(p == (0, 0) for p in spec.padding)
        and all(d == 1 for d in spec.lhs_dilation)
    )


dispatch.register(
    "grouped",
    conv_grouped,
    supports_grouped,
    "1 < groups < in_channels as per-group dense lax convolutions",
)
dispatch.register(
    "transposed",
    conv_transposed,
    supports_transposed,
    "dense transposed conv (groups == 1) with the adjoint-conv VJP",
)
dispatch.register(
    "pointwise",
    conv_pointwise,
    supports_pointwise,
    "1x1 kernel, no padding, groups == 1, as a matrix product",
)
