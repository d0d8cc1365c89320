"""Dense 2d convolution on XLA:CPU's own convolution rather than YNNPACK's.

XLA:CPU (jax 0.10) hands a plain 2d convolution to its YNNPACK library fusion,
whose gradient convolutions run 1.3-3x slower than XLA's own (Eigen) convolution,
but it takes no convolution with a base dilation (``xla/backends/cpu/ynn_support.cc``).
So ``impl="dense"`` writes the same conv on the input dilated by 2::

    y[o] = sum_k w[k] x[s*o + d*k - lo]
         = sum_k w[k] x_2[2*s*o + 2*d*k - 2*lo]     (x_2: x with zeros inserted)

every stride, dilation and padding doubled, so that every window position lands on
an input and the numbers are those of the plain conv; XLA runs it, and its weight
gradient, on its own convolution. The input gradient of that form has a base
dilation of ``2*s``, which XLA's convolution handles slowly when the conv is
strided and has few input channels (a 7x7 stride-2 stem: 4.6x slower than the
plain conv's input gradient); the plain conv's input gradient already has a base
dilation when strided, so it is the one used there.

To pick a different form per derivative the conv is a primitive, ``conv_p``,
bilinear like ``lax.conv_general_dilated``: its transposes return plain ``lax``
convolutions (the forms above), so reverse and forward mode, higher orders and
``vmap`` all work.
"""

from __future__ import annotations

import dataclasses

import jax
from jax import lax
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from convjax._src import dispatch
from convjax._src.fast_conv_depthwise import _abstract, _bind, _eager


def _dilated_form(x, w, spec: dispatch.ConvSpec):
    """The conv of ``spec`` (explicit, non-negative padding) with ``lhs_dilation=2``."""
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=tuple(2 * s for s in spec.stride),
        padding=tuple((2 * lo, 2 * hi) for lo, hi in spec.padding),
        lhs_dilation=(2,) * spec.num_spatial,
        rhs_dilation=tuple(2 * d for d in spec.rhs_dilation),
        dimension_numbers=spec.dimension_numbers,
    )


def _plain_form(x, w, spec: dispatch.ConvSpec):
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=spec.stride,
        padding=spec.padding,
        rhs_dilation=spec.rhs_dilation,
        dimension_numbers=spec.dimension_numbers,
    )


def _plain_form_kw(x, w, *, spec):
    return _plain_form(x, w, spec)


def _conv_impl(x, w, *, spec):
    return _dilated_form(x, w, spec)


conv_p = Primitive("convjax_dense_conv")


def _transpose_x(ct, x, w, *, spec):
    """Input gradient: of the dilated form when unstrided, else of the plain conv."""
    form = _plain_form if any(s > 1 for s in spec.stride) else _dilated_form
    aval = jax.ShapeDtypeStruct(x.aval.shape, x.aval.dtype)
    return jax.linear_transpose(lambda a: form(a, w, spec), aval)(ct)[0]


def _transpose_w(ct, x, w, *, spec):
    """Weight gradient: of the dilated form (Eigen's, 1.2-2.9x YNNPACK's)."""
    aval = jax.ShapeDtypeStruct(w.aval.shape, w.aval.dtype)
    return jax.linear_transpose(lambda b: _dilated_form(x, b, spec), aval)(ct)[0]


def _batch(args, dims, *, spec):
    """A vmapped input joins the batch; per-example kernels vmap the lax form."""
    x, w = args
    dx, dw = dims
    if dw is None:
        x = jax.numpy.moveaxis(x, dx, 0)
        size, num = x.shape[:2]
        y = _bind(conv_p, x.reshape((size * num,) + x.shape[2:]), w, spec=spec)
        return y.reshape((size, num) + y.shape[1:]), 0
    return jax.vmap(lambda a, b: _dilated_form(a, b, spec), in_axes=(dx, dw))(x, w), 0


# Primitive name -> what FLOP counting expands it to: the plain conv (the dilated
# form's inserted zeros are never multiplied).
IMPLEMENTATIONS = {conv_p.name: _plain_form_kw}

conv_p.def_impl(_eager(_conv_impl))
conv_p.def_abstract_eval(_abstract(_conv_impl))
mlir.register_lowering(conv_p, mlir.lower_fun(_conv_impl, multiple_results=False))
ad.defbilinear(conv_p, _transpose_x, _transpose_w)
batching.primitive_batchers[conv_p] = _batch


def conv_dense(x, w, spec: dispatch.ConvSpec):
    """Kernel for ``impl="dense"`` (see the module docstring)."""
    x, padding = dispatch._crop(x, spec)
    return _bind(conv_p, x, w, spec=dataclasses.replace(spec, padding=padding))


def supports_dense(spec: dispatch.ConvSpec) -> bool:
    # YNNPACK takes only 2d convs; XLA's own convolution is fast in float32 only
    # (float64 falls to a generic loop, 4x slower than YNNPACK).
    return (
        spec.num_spatial == 2
        and spec.groups == 1
        and spec.dtype == "float32"
        and all(d == 1 for d in spec.lhs_dilation)
    )


dispatch.register(
    "dense",
    conv_dense,
    supports_dense,
    "2d float32 conv with groups == 1 on XLA:CPU's own convolution "
    "(written with lhs_dilation=2, which YNNPACK's fusion does not take)",
)
