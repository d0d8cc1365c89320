"""Faster convolution kernels for XLA's CPU backend, registered with the dispatcher.

Importing this module registers, next to ``impl="xla"``:

* ``"depthwise"`` (:mod:`convjax._src.fast_conv_depthwise`): ``groups ==
  in_channels`` with any depth multiplier, as shift-and-add primitives with fast
  transposes;
* ``"grouped"``: ``1 < groups < in_channels`` as ``groups`` dense convolutions on
  channel slices, concatenated (XLA's own grouped conv, and above all its backward
  pass, is one to two orders of magnitude slower on CPU);
* ``"pointwise"``: a 1x1 kernel without padding (any stride) as one matrix product;
* ``"dense"`` (:mod:`convjax._src.fast_conv_dense`): a 2d float32 conv
  (``groups == 1``) in an equivalent form that XLA:CPU runs on its own
  convolution instead of its YNNPACK library fusion (gradients 1.2-3x faster);
* ``"subpixel"`` (:mod:`convjax._src.fast_conv_subpixel`): a transposed conv
  (``lhs_dilation`` > 1) as ``stride**n`` stride-1 convs, one per output phase,
  each dispatched again (so a grouped or depthwise transposed conv reaches the
  kernels above).

Each kernel takes ``(x, w, spec)`` as described in :mod:`convjax._src.dispatch` and
gives the numbers of ``"xla"`` up to float32 round-off. Which one ``impl="auto"``
uses for a shape is decided by :data:`convjax._src.dispatch.AUTO_RULES`.
"""

from __future__ import annotations

import dataclasses
import math

import jax.numpy as jnp
from jax import lax

from convjax._src import (  # noqa: F401  (registering "depthwise", "subpixel")
    dispatch,
    fast_conv_depthwise,
    fast_conv_subpixel,
)
from convjax._src.fast_conv_dense import conv_dense, supports_dense


def _lax_dense(x, w, spec):
    """One group's channels (``groups=1``): ``"dense"`` where it applies, else lax."""
    spec = dataclasses.replace(spec, groups=1)
    if supports_dense(spec):
        return conv_dense(x, w, spec)
    return dispatch.conv_xla(x, w, spec)


def conv_grouped(x, w, spec: dispatch.ConvSpec):
    """Grouped conv as ``groups`` dense convolutions on channel slices."""
    axis = x.ndim - 1 if spec.channels_last else 1
    xs = jnp.split(x, spec.groups, axis=axis)
    ws = jnp.split(w, spec.groups, axis=0)
    ys = [_lax_dense(a, b, spec) for a, b in zip(xs, ws, strict=True)]
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
    xf = x.reshape(num, c, math.prod(spatial))  # no -1: N may be 0
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
    "pointwise",
    conv_pointwise,
    supports_pointwise,
    "1x1 kernel, no padding, groups == 1, as a matrix product",
)
