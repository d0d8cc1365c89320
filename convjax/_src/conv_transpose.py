"""conv_transpose1d/2d/3d with PyTorch's padding, output_padding, groups and layout.

A transposed conv is the adjoint (input gradient) of the conv with the same
``(K, s, p, d, G)``. It is computed as a stride-1 conv of the ``s``-dilated input
with the flipped, regrouped kernel:

    W'  = W.reshape(G, C/G, O/G, *K).swapaxes(1, 2).reshape(O, C/G, *K), flipped
    pad = (d(K-1) - p,  d(K-1) - p + output_padding)      (negative pads crop)

Shape legend: N batch, C in-channels, O out-channels, G groups, S spatial, K kernel.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from convjax._src import dispatch
from convjax._src.checks import batchify, check_positive, is_channels_last, ntuple
from convjax._src.conv import (
    add_bias,
    channels_last_hint,
    check_groups,
    check_spatial,
    run_conv,
)
from convjax._src.docs import nd_doc
from convjax._src.typing import Array, ArrayLike, IntOrSeq


def transposed_weight(w, groups):
    """``(C, O/G, *K)`` PyTorch transposed-conv weight -> flipped ``(O, C/G, *K)``."""
    c, og, *k = w.shape
    w = w.reshape(groups, c // groups, og, *k).swapaxes(1, 2)
    w = w.reshape(groups * og, c // groups, *k)
    return jnp.flip(w, axis=tuple(range(2, w.ndim)))


def _conv_transpose(
    n,
    fn,
    input,
    weight,
    bias,
    stride,
    padding,
    output_padding,
    groups,
    dilation,
    data_format,
    impl,
):
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    w = jnp.asarray(weight)
    if w.ndim != n + 2:
        raise ValueError(
            f"`{fn}`: `weight` must have rank {n + 2} (in, out/groups, *kernel), "
            f"got shape {w.shape}."
        )
    in_channels = x.shape[-1] if cl else x.shape[1]
    if w.shape[0] != in_channels:
        raise ValueError(
            f"`{fn}`: `weight.shape[0]` ({w.shape[0]}) must equal the input channels "
            f"({in_channels}); the transposed-conv weight is (in, out/groups, *kernel)."
            + channels_last_hint(x, w.shape[0], cl, n)
        )
    check_groups(groups, in_channels, w.shape[1] * groups, fn)
    out_channels = w.shape[1] * groups
    if isinstance(padding, str):
        raise TypeError(
            f"`{fn}`: `padding` must be an int or a tuple of {n} ints; strings "
            f"such as {padding!r} are not supported for transposed convolutions."
        )
    stride = check_positive(ntuple(stride, n, "stride"), "stride")
    dilation = check_positive(ntuple(dilation, n, "dilation"), "dilation")
    padding = check_positive(ntuple(padding, n, "padding"), "padding", allow_zero=True)
    output_padding = check_positive(
        ntuple(output_padding, n, "output_padding"), "output_padding", allow_zero=True
    )
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= max(s, d):
            raise ValueError(
                f"`{fn}`: `output_padding` {output_padding} must be smaller than "
                f"either `stride` {stride} or `dilation` {dilation} in every dim."
            )
    kernel_size = w.shape[2:]
    spatial = x.shape[1:-1] if cl else x.shape[2:]
    check_spatial(spatial, fn)
    out_size = [
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(
            spatial, stride, padding, dilation, kernel_size, output_padding, strict=True
        )
    ]
    if min(out_size) < 1:
        raise ValueError(
            f"`{fn}`: output size {tuple(out_size)} is not positive for input size "
            f"{tuple(spatial)}, `stride` {stride}, `padding` {padding}, kernel "
            f"{tuple(kernel_size)}, `dilation` {dilation}."
        )
    pads = tuple(
        (d * (k - 1) - p, d * (k - 1) - p + op)
        for k, p, d, op in zip(
            kernel_size, padding, dilation, output_padding, strict=True
        )
    )
    with jax.named_scope(dispatch.TRANSPOSED_SCOPE):
        y = run_conv(
            x,
            transposed_weight(w, groups),
            num_spatial=n,
            channels_last=cl,
            groups=groups,
            stride=(1,) * n,
            padding=pads,
            lhs_dilation=stride,
            rhs_dilation=dilation,
            impl=impl,
            fn=fn,
        )
    y = add_bias(y, bias, out_channels, cl, fn)
    return y[0] if unbatched else y


_DOC = """{n}-D transposed convolution ("deconvolution") over a ``{fmt}`` input.

    The adjoint of ``conv{n}d`` with the same kernel, stride, padding, dilation and
    groups (its gradient with respect to the input). Output size per dim:

    .. math::
        S' = (S - 1) s - 2p + d (K - 1) + \\text{{output\\_padding}} + 1

    ``output_padding`` adds computed (not zero) rows/columns at the end, to pick one
    of the ``s`` input sizes a strided conv maps to the same output size.

    Args:
      input: ``{fmt}`` array ``{shape}`` (or unbatched, without ``N``).
      weight: ``(C, O/G, {k})``, PyTorch's transposed-conv layout (in before out).
      bias: optional ``(O,)``.
      stride, padding, output_padding, dilation: int or tuple of {n};
        ``output_padding < max(stride, dilation)`` per dim.
      groups: ``C`` must be divisible by it.
      data_format: ``None``/``"{fmt}"`` or ``"{cl}"``.
      impl: ``"auto"``, ``"xla"`` or another registered implementation.

    Returns:
      ``(N, O, {out})`` in the layout of ``input``.

    Raises:
      ValueError: wrong ranks, weight not matching the input channels, channels
        not divisible by ``groups``, ``output_padding`` too large, non-positive
        output size.
      TypeError: string ``padding``.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.ones((1, 2{ones}))
      >>> w = jnp.ones((2, 4, {kones}))
      >>> conv_transpose{n}d(x, w, stride=2, padding=1, output_padding=1).shape
      (1, 4{osize})

    PyTorch parity: ``torch.nn.functional.conv_transpose{n}d`` (same argument order:
    ``output_padding`` before ``groups``, ``dilation`` last), including groups > 1.
    """


def conv_transpose1d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    *,
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv_transpose(
        1,
        "conv_transpose1d",
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        data_format,
        impl,
    )


def conv_transpose2d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    *,
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv_transpose(
        2,
        "conv_transpose2d",
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        data_format,
        impl,
    )


def conv_transpose3d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    output_padding: IntOrSeq = 0,
    groups: int = 1,
    dilation: IntOrSeq = 1,
    *,
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv_transpose(
        3,
        "conv_transpose3d",
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        data_format,
        impl,
    )


for _n, _f in ((1, conv_transpose1d), (2, conv_transpose2d), (3, conv_transpose3d)):
    _f.__doc__ = nd_doc(_DOC, _n, ones=4, osize=8)
del _n, _f
