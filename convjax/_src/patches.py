"""``unfold`` / ``fold``: im2col and col2im with PyTorch's layout.

Shape legend: N batch, C channels, (H, W) image size, (kH, kW) kernel, L number of
sliding blocks, ``B = C * kH * kW`` values per block.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from convjax._src.checks import check_positive, ntuple
from convjax._src.formulas import output_sizes
from convjax._src.typing import Array, ArrayLike, IntOrSeq


def _config(kernel_size, dilation, padding, stride):
    k = check_positive(ntuple(kernel_size, 2, "kernel_size"), "kernel_size")
    d = check_positive(ntuple(dilation, 2, "dilation"), "dilation")
    p = check_positive(ntuple(padding, 2, "padding"), "padding", allow_zero=True)
    s = check_positive(ntuple(stride, 2, "stride"), "stride")
    return k, d, p, s


def _blocks(size, k, d, p, s, fn):
    out = output_sizes(tuple(size), k, s, p, d)
    if min(out) < 1:
        raise ValueError(
            f"`{fn}`: no sliding block fits: image size {size} with `padding` {p}, "
            f"`kernel_size` {k}, `dilation` {d}, `stride` {s} gives {out} blocks."
        )
    return out


def _unfold4d(x, k, d, p, s):
    cols = lax.conv_general_dilated_patches(
        x,
        filter_shape=k,
        window_strides=s,
        padding=[(p[0], p[0]), (p[1], p[1])],
        rhs_dilation=d,
        dimension_numbers=("NCHW", "OIHW", "NCHW"),
        precision=lax.Precision.HIGHEST,  # patches is a conv with a 0/1 kernel
    )  # (N, C*kH*kW, oH, oW), channel-major then kernel row, kernel column
    n, c, oh, ow = cols.shape  # no -1: N or C may be 0
    return cols.reshape(n, c, oh * ow)


def unfold(
    input: ArrayLike,
    kernel_size: IntOrSeq,
    dilation: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    stride: IntOrSeq = 1,
) -> Array:
    """Extracts sliding local blocks (im2col).

    Block ``l = oh * oW + ow`` is a column of ``C * kH * kW`` values ordered by
    channel, then kernel row, then kernel column (row ``c*kH*kW + i*kW + j``), taken
    from the zero-padded input.

    Args:
      input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
      kernel_size, dilation, padding, stride: int or pair.

    Returns:
      ``(N, C*kH*kW, L)`` (or ``(C*kH*kW, L)``), ``L = oH * oW`` with
      ``oH = floor((H + 2p - d(kH-1) - 1)/s) + 1``.

    Raises:
      ValueError: input not 3-D/4-D, bad sizes, or no block fits.

    Examples:
      >>> import jax.numpy as jnp
      >>> unfold(jnp.arange(16.0).reshape(1, 1, 4, 4), 2, stride=2)[0, :, 0]
      Array([0., 1., 4., 5.], dtype=float32)

    PyTorch parity: ``torch.nn.functional.unfold`` (4-D only, as PyTorch).
    """
    x = jnp.asarray(input)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"`unfold` expects `input` of shape (N, C, H, W) or (C, H, W), got {x.shape}."
        )
    k, d, p, s = _config(kernel_size, dilation, padding, stride)
    _blocks(x.shape[-2:], k, d, p, s, "unfold")
    if x.ndim == 3:
        return _unfold4d(x[None], k, d, p, s)[0]
    return _unfold4d(x, k, d, p, s)


def fold(
    input: ArrayLike,
    output_size: IntOrSeq,
    kernel_size: IntOrSeq,
    dilation: IntOrSeq = 1,
    padding: IntOrSeq = 0,
    stride: IntOrSeq = 1,
) -> Array:
    """Sums sliding local blocks back into an image (col2im), the adjoint of ``unfold``.

    Overlapping values are added; values that land in the padding are dropped, so
    ``fold(unfold(x))`` is ``x`` times the number of blocks covering each pixel
    (divide by ``fold(unfold(ones))`` to average).

    Args:
      input: ``(N, C*kH*kW, L)`` or unbatched ``(C*kH*kW, L)``.
      output_size: ``(H, W)`` of the image (int or pair).
      kernel_size, dilation, padding, stride: int or pair, as given to ``unfold``.

    Returns:
      ``(N, C, H, W)`` (or ``(C, H, W)``).

    Raises:
      ValueError: wrong rank, block size not divisible by ``kH*kW``, or ``L`` not
        equal to the number of blocks the configuration gives.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.ones((1, 1, 3, 3))
      >>> fold(unfold(x, 2), (3, 3), 2)[0, 0]
      Array([[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]], dtype=float32)

    PyTorch parity: ``torch.nn.functional.fold``.
    """
    cols = jnp.asarray(input)
    if cols.ndim not in (2, 3):
        raise ValueError(
            f"`fold` expects `input` of shape (N, C*kH*kW, L) or (C*kH*kW, L), got "
            f"{cols.shape}."
        )
    size = check_positive(ntuple(output_size, 2, "output_size"), "output_size")
    k, d, p, s = _config(kernel_size, dilation, padding, stride)
    unbatched = cols.ndim == 2
    if unbatched:
        cols = cols[None]
    n, b, length = cols.shape
    if b % math.prod(k):
        raise ValueError(
            f"`fold`: `input.shape[-2]` ({b}) must be divisible by the product of "
            f"`kernel_size` {k}."
        )
    blocks = _blocks(size, k, d, p, s, "fold")
    if length != math.prod(blocks):
        raise ValueError(
            f"`fold`: `input.shape[-1]` ({length}) must equal the number of sliding "
            f"blocks ({math.prod(blocks)} = {blocks[0]}x{blocks[1]}) for `output_size` "
            f"{size}, `kernel_size` {k}, `dilation` {d}, `padding` {p}, `stride` {s}."
        )
    image = jax.ShapeDtypeStruct((n, b // math.prod(k), *size), cols.dtype)
    (y,) = jax.linear_transpose(lambda x: _unfold4d(x, k, d, p, s), image)(cols)
    return y[0] if unbatched else y
