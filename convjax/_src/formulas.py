"""Closed-form sizes and costs of convolutions: output size, parameters, MACs, FLOPs.

Conventions: a MAC is one multiply-add; FLOPs count multiplies and adds separately,
so a dot product of length ``n`` costs ``2n - 1`` FLOPs (``n`` multiplies, ``n - 1``
adds) and ``2n`` once a bias is added. fvcore's and thop's "flops" are MACs.
"""

from __future__ import annotations

import math

from convjax._src.checks import check_choice, check_positive, ntuple


def _dims(*values) -> int:
    """Number of spatial dims implied by the first tuple among ``values`` (else 1)."""
    for v in values:
        if not isinstance(v, int):
            return len(tuple(v))
    return 1


def _pack(value: tuple[int, ...], like):
    return value[0] if isinstance(like, int) else value


def conv_output_size(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a convolution, per spatial dim.

    .. math::
        S' = \\lfloor (S + 2p - d (K - 1) - 1) / s \\rfloor + 1

    Args:
      input_size: int or tuple of spatial sizes.
      kernel_size, stride, dilation: int or tuple (broadcast to ``input_size``).
      padding: int, tuple, ``"valid"`` or ``"same"`` (``"same"`` gives
        ``ceil(S / s)``, as ``F.conv*d`` does).

    Returns:
      An int if ``input_size`` is an int, else a tuple.

    Raises:
      ValueError: a negative size or padding, or an output size below 1.

    Examples:
      >>> conv_output_size(224, 7, stride=2, padding=3)
      112
      >>> conv_output_size((32, 31), 3, stride=2)
      (15, 15)

    PyTorch parity: the ``H_out`` formula of ``torch.nn.Conv{1,2,3}d``.
    """
    n = _dims(input_size, kernel_size, stride, padding, dilation)
    size = ntuple(input_size, n, "input_size")
    k = check_positive(ntuple(kernel_size, n, "kernel_size"), "kernel_size")
    s = check_positive(ntuple(stride, n, "stride"), "stride")
    d = check_positive(ntuple(dilation, n, "dilation"), "dilation")
    if isinstance(padding, str):
        check_choice(padding, ("valid", "same"), "padding")
        if padding == "same":
            return _pack(
                tuple(-(-i // s_) for i, s_ in zip(size, s, strict=True)), input_size
            )
        padding = 0
    p = check_positive(ntuple(padding, n, "padding"), "padding", allow_zero=True)
    check_positive(size, "input_size", allow_zero=True)
    out = output_sizes(size, k, s, p, d)
    _check_out(out, size, "conv_output_size")
    return _pack(out, input_size)


def output_sizes(size, k, s, p, d) -> tuple[int, ...]:
    """The formula of :func:`conv_output_size` on canonical tuples, unchecked."""
    return tuple(
        (i + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1
        for i, k_, s_, p_, d_ in zip(size, k, s, p, d, strict=True)
    )


def _check_out(out, size, fn):
    if min(out) < 1:
        raise ValueError(
            f"`{fn}`: the output size {out} is not positive: `input_size` {size} is "
            "too small for this kernel, padding and dilation (PyTorch raises)."
        )


def conv_transpose_output_size(
    input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1
):
    """Output size of a transposed convolution, per spatial dim.

    .. math::
        S' = (S - 1) s - 2p + d (K - 1) + \\text{output\\_padding} + 1

    Examples:
      >>> conv_transpose_output_size(16, 3, stride=2, padding=1, output_padding=1)
      32

    PyTorch parity: the ``H_out`` formula of ``torch.nn.ConvTranspose{1,2,3}d``.
    """
    n = _dims(input_size, kernel_size, stride, padding, output_padding, dilation)
    size = ntuple(input_size, n, "input_size")
    k = check_positive(ntuple(kernel_size, n, "kernel_size"), "kernel_size")
    s = check_positive(ntuple(stride, n, "stride"), "stride")
    p = check_positive(ntuple(padding, n, "padding"), "padding", allow_zero=True)
    op = ntuple(output_padding, n, "output_padding")
    check_positive(op, "output_padding", allow_zero=True)
    check_positive(size, "input_size", allow_zero=True)
    d = check_positive(ntuple(dilation, n, "dilation"), "dilation")
    out = tuple(
        (i - 1) * s_ - 2 * p_ + d_ * (k_ - 1) + op_ + 1
        for i, k_, s_, p_, op_, d_ in zip(size, k, s, p, op, d, strict=True)
    )
    _check_out(out, size, "conv_transpose_output_size")
    return _pack(out, input_size)


def conv_transpose_output_padding(
    input_size, output_size, kernel_size, stride=1, padding=0, dilation=1
):
    """The ``output_padding`` that makes a transposed conv produce ``output_size``.

    A strided conv maps ``s`` input sizes to one output size; its transpose picks
    one of them: valid sizes are ``S'_0 .. S'_0 + s - 1`` with ``S'_0`` the size for
    ``output_padding=0``.

    Raises:
      ValueError: ``output_size`` outside that range.

    Examples:
      >>> conv_transpose_output_padding((7, 8), (14, 16), 3, stride=2, padding=1)
      (1, 1)

    PyTorch parity: ``nn.ConvTranspose*d._output_padding`` (``forward(x, output_size)``).
    """
    n = len(tuple(input_size))
    size = ntuple(output_size, n, "output_size")
    stride = check_positive(ntuple(stride, n, "stride"), "stride")
    smallest = conv_transpose_output_size(
        tuple(input_size), kernel_size, stride, padding, 0, dilation
    )
    largest = tuple(lo + s - 1 for lo, s in zip(smallest, stride, strict=True))
    if any(
        not lo <= want <= hi
        for want, lo, hi in zip(size, smallest, largest, strict=True)
    ):
        raise ValueError(
            f"requested `output_size` {size}, but valid sizes range from {smallest} "
            f"to {largest} for an input of spatial size {tuple(input_size)}."
        )
    return tuple(want - lo for want, lo in zip(size, smallest, strict=True))


def _kernel_volume(kernel_size, output_size=None) -> int:
    """Product of the kernel dims. An int kernel is square over the dims of
    ``output_size`` (1 for an int), or over 2 dims when there is no output size,
    as for ``nn.Conv2d(c, o, 3)``."""
    if isinstance(kernel_size, int):
        if output_size is None:
            n = 2
        else:
            n = 1 if isinstance(output_size, int) else len(tuple(output_size))
        return check_positive((kernel_size,), "kernel_size")[0] ** n
    return math.prod(check_positive(tuple(kernel_size), "kernel_size"))


def _check_groups(in_channels, out_channels, groups):
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(
            f"`in_channels` ({in_channels}) and `out_channels` ({out_channels}) must be "
            f"divisible by `groups` ({groups})."
        )


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True):
    """Number of parameters of a convolution: ``O * C/G * prod(K) + O * bias``.

    An int ``kernel_size`` means a square 2-D kernel (``nn.Conv2d(c, o, k)``); pass a
    tuple for 1-D (``(k,)``) or 3-D kernels. The same count holds for a transposed
    conv with ``in_channels``/``out_channels`` as given to ``nn.ConvTranspose*d``.

    Examples:
      >>> conv_params(3, 64, 7, bias=False)
      9408
      >>> conv_params(32, 32, 3, groups=32)  # depthwise 3x3
      320

    PyTorch parity: ``sum(p.numel() for p in nn.Conv2d(...).parameters())``.
    """
    _check_groups(in_channels, out_channels, groups)
    k = _kernel_volume(kernel_size)
    return out_channels * (in_channels // groups) * k + (out_channels if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1, batch=1):
    """Multiply-accumulates of a convolution: ``N * O * prod(S') * C/G * prod(K)``.

    Args:
      output_size: int (1-D) or tuple, the spatial output size (see
        :func:`conv_output_size`); an int ``kernel_size`` is broadcast to its dims.

    Examples:
      >>> conv_macs(3, 64, 7, (112, 112))  # ResNet stem
      118013952

    PyTorch parity: what fvcore/thop report as conv "flops" (they count MACs).
    """
    _check_groups(in_channels, out_channels, groups)
    k = _kernel_volume(kernel_size, output_size)
    out = output_size if isinstance(output_size, int) else math.prod(output_size)
    return batch * out_channels * out * (in_channels // groups) * k


def conv_flops(
    in_channels, out_channels, kernel_size, output_size, groups=1, batch=1, bias=True
):
    """Exact floating-point operations of a convolution.

    .. math::
        \\text{FLOPs} = (2 \\cdot C/G \\cdot \\prod K - 1) \\cdot N O \\prod S'
        \\quad (+\\, N O \\prod S' \\text{ with bias})

    i.e. ``2*MACs - outputs`` without bias and ``2*MACs`` with bias.

    Examples:
      >>> conv_flops(3, 64, 7, (112, 112))
      236027904
      >>> conv_flops(3, 64, 7, (112, 112), bias=False)
      235225088

    PyTorch parity: none (PyTorch has no FLOP formula); fvcore's numbers are MACs.
    """
    macs = conv_macs(in_channels, out_channels, kernel_size, output_size, groups, batch)
    outputs = macs // (
        (in_channels // groups) * _kernel_volume(kernel_size, output_size)
    )
    return 2 * macs - (0 if bias else outputs)
