"""conv1d/2d/3d with PyTorch semantics: padding and padding modes, groups, layouts.

Shape legend: N batch, C in-channels, O out-channels, G groups, S spatial size,
K kernel size, s stride, p padding, d dilation.
"""

from __future__ import annotations

import jax.numpy as jnp

from convjax._src import dispatch, fast_conv  # noqa: F401  (fast_conv registers impls)
from convjax._src.checks import (
    batchify,
    check_cast,
    check_choice,
    check_count,
    check_not_bool,
    check_positive,
    is_channels_last,
    ntuple,
)
from convjax._src.docs import nd_doc
from convjax._src.padding import pad as _pad
from convjax._src.typing import Array, ArrayLike, IntOrSeq, PaddingLike

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_padding(padding, kernel_size, stride, dilation, input_size, fn):
    """Resolves PyTorch-style ``padding`` to explicit ``(lo, hi)`` pairs.

    ``"same"`` with stride 1 puts the extra pixel at the end, as PyTorch does; with
    stride > 1 (an extension: PyTorch raises) it follows XLA's SAME rule, so that
    the output size is ``ceil(S / s)``.
    """
    n = len(kernel_size)
    if isinstance(padding, str):
        check_choice(padding, ("valid", "same"), "padding")
        if padding == "valid":
            return ((0, 0),) * n
        pairs = []
        for size, k, s, d in zip(
            input_size, kernel_size, stride, dilation, strict=True
        ):
            span = d * (k - 1) + 1
            total = max((-(-size // s) - 1) * s + span - size, 0) if s > 1 else span - 1
            pairs.append((total // 2, total - total // 2))
        return tuple(pairs)
    pads = ntuple(padding, n, "padding")
    check_positive(pads, "padding", allow_zero=True)
    return tuple((p, p) for p in pads)


def check_output_size(input_size, kernel_size, padding, dilation, fn):
    """Raises when the (padded) input is smaller than the dilated kernel."""
    for size, k, (lo, hi), d in zip(
        input_size, kernel_size, padding, dilation, strict=True
    ):
        if size + lo + hi < d * (k - 1) + 1:
            raise ValueError(
                f"`{fn}`: padded input size {size + lo + hi} is smaller than the "
                f"dilated kernel size {d * (k - 1) + 1} (input size {tuple(input_size)}, "
                f"`padding` {tuple(padding)}, kernel {tuple(kernel_size)}, "
                f"`dilation` {tuple(dilation)})."
            )


def check_spatial(spatial, fn):
    """PyTorch's convolutions take empty batches and channels, not empty images."""
    if 0 in spatial:
        raise ValueError(
            f"`{fn}`: input spatial size {tuple(spatial)} has a zero dim; only the "
            "batch or channel dims may be empty (PyTorch raises)."
        )


def channels_last_hint(x, channels, channels_last, n) -> str:
    """A hint for a channels-last array given to a channels-first op."""
    if not channels_last and x.shape[-1] == channels:
        fmt = ("NWC", "NHWC", "NDHWC")[n - 1]
        return f" Is the input channels-last? Then pass `data_format={fmt!r}`."
    return ""


def check_groups(groups, in_channels, out_channels, fn, *, in_name="input channels"):
    check_count(groups, "groups", fn)
    if in_channels % groups:
        raise ValueError(
            f"`{fn}`: {in_name} ({in_channels}) must be divisible by `groups` ({groups})."
        )
    if out_channels % groups:
        raise ValueError(
            f"`{fn}`: output channels ({out_channels}) must be divisible by "
            f"`groups` ({groups})."
        )


def add_bias(y, bias, out_channels, channels_last, fn):
    """Adds a ``(O,)`` bias on the channel axis of a batched ``y``."""
    if bias is None:
        return y
    bias = jnp.asarray(bias)
    if bias.shape != (out_channels,):
        raise ValueError(
            f"`{fn}`: `bias` must have shape ({out_channels},), got {bias.shape}."
        )
    check_cast(bias, y.dtype, "bias", fn)
    bias = bias.astype(y.dtype)
    shape = [1] * y.ndim
    shape[-1 if channels_last else 1] = out_channels
    return y + bias.reshape(shape)


def run_conv(
    x,
    w,
    *,
    num_spatial,
    channels_last,
    groups,
    stride,
    padding,
    lhs_dilation,
    rhs_dilation,
    impl,
    fn,
):
    """Builds the :class:`~convjax._src.dispatch.ConvSpec` and calls the chosen kernel."""
    check_not_bool(x, fn, "input")
    check_not_bool(w, fn, "weight")
    dtype = jnp.result_type(x, w)
    x, w = x.astype(dtype), w.astype(dtype)
    spatial = x.shape[1:-1] if channels_last else x.shape[2:]
    spec = dispatch.ConvSpec(
        num_spatial=num_spatial,
        channels_last=channels_last,
        batch=x.shape[0],
        in_channels=x.shape[-1] if channels_last else x.shape[1],
        out_channels=w.shape[0],
        groups=groups,
        input_size=tuple(spatial),
        kernel_size=tuple(w.shape[2:]),
        stride=tuple(stride),
        padding=tuple(tuple(p) for p in padding),
        lhs_dilation=tuple(lhs_dilation),
        rhs_dilation=tuple(rhs_dilation),
        dtype=str(dtype),
    )
    return dispatch.choose(impl, spec, fn).kernel(x, w, spec)


def _conv(
    n,
    fn,
    input,
    weight,
    bias,
    stride,
    padding,
    dilation,
    groups,
    padding_mode,
    data_format,
    impl,
):
    cl = is_channels_last(data_format, n, fn)
    x, unbatched = batchify(input, n, fn)
    w = jnp.asarray(weight)
    if w.ndim != n + 2:
        raise ValueError(
            f"`{fn}`: `weight` must have rank {n + 2} (out, in/groups, *kernel), "
            f"got shape {w.shape}."
        )
    in_channels = x.shape[-1] if cl else x.shape[1]
    out_channels = w.shape[0]
    check_groups(groups, in_channels, out_channels, fn)
    if w.shape[1] * groups != in_channels:
        raise ValueError(
            f"`{fn}`: `weight` of shape {w.shape} expects "
            f"{w.shape[1] * groups} input channels (weight.shape[1] * groups), "
            f"but input has {in_channels}."
            + channels_last_hint(x, w.shape[1] * groups, cl, n)
        )
    stride = check_positive(ntuple(stride, n, "stride"), "stride")
    dilation = check_positive(ntuple(dilation, n, "dilation"), "dilation")
    check_choice(padding_mode, _PADDING_MODES, "padding_mode")
    kernel_size = tuple(w.shape[2:])
    spatial = x.shape[1:-1] if cl else x.shape[2:]
    check_spatial(spatial, fn)
    pads = conv_padding(padding, kernel_size, stride, dilation, spatial, fn)
    check_output_size(spatial, kernel_size, pads, dilation, fn)

    if padding_mode != "zeros" and any(lo or hi for lo, hi in pads):
        # PyTorch pads explicitly (F.pad) and then convolves with zero padding.
        limit = {"reflect": "smaller than", "circular": "at most"}.get(padding_mode)
        for size, (lo, hi) in zip(spatial, pads, strict=True):
            if limit and (
                max(lo, hi) >= size if padding_mode == "reflect" else max(lo, hi) > size
            ):
                raise ValueError(
                    f"`{fn}`: {padding_mode} `padding` {tuple(pads)} must be {limit} "
                    f"the input size {tuple(spatial)} in every dim."
                )
        xt = jnp.moveaxis(x, -1, 1) if cl else x
        flat = tuple(v for lo, hi in reversed(pads) for v in (lo, hi))
        xt = _pad(xt, flat, mode=padding_mode)
        x = jnp.moveaxis(xt, 1, -1) if cl else xt
        pads = ((0, 0),) * n

    y = run_conv(
        x,
        w,
        num_spatial=n,
        channels_last=cl,
        groups=groups,
        stride=stride,
        padding=pads,
        lhs_dilation=(1,) * n,
        rhs_dilation=dilation,
        impl=impl,
        fn=fn,
    )
    y = add_bias(y, bias, out_channels, cl, fn)
    return y[0] if unbatched else y


_DOC = """{n}-D convolution (cross-correlation) over a ``{fmt}`` input, PyTorch style.

    .. math::
        y[n, o, i] = b[o] + \\sum_{{c < C/G}} \\sum_{{\\kappa}}
            W[o, c, \\kappa]\\, x_p[n, g(o) \\cdot C/G + c, i s + \\kappa d]

    where ``g(o) = o // (O/G)`` is the group of output channel ``o`` and ``x_p`` the
    padded input. Output size per dim: ``floor((S + 2p - d(K-1) - 1) / s) + 1``.

    Args:
      input: ``{fmt}`` array ``{shape}`` (or unbatched, without ``N``).
      weight: ``(O, C/G, {k})``, PyTorch's layout whatever ``data_format``.
      bias: optional ``(O,)``.
      stride: int or tuple of {n}.
      padding: int or tuple of {n} (symmetric zero padding), ``"valid"`` or
        ``"same"``. ``"same"`` with stride 1 matches PyTorch (the extra pixel goes at
        the end); with stride > 1 it follows XLA's SAME rule, output ``ceil(S/s)``
        (an extension: PyTorch raises).
      dilation: int or tuple of {n}.
      groups: ``C`` and ``O`` must both be divisible by it; ``groups == C`` with
        ``O = m*C`` is a depthwise conv with depth multiplier ``m``.
      padding_mode: ``"zeros" | "reflect" | "replicate" | "circular"`` (the module
        argument of ``torch.nn.Conv{n}d``).
      data_format: ``None``/``"{fmt}"`` (channels first) or ``"{cl}"``.
      impl: ``"auto"`` (fastest measured for the backend and shape), ``"xla"`` or
        another registered implementation; all give the same numbers.

    Returns:
      ``(N, O, {out})`` in the layout of ``input``, dtype of ``input``/``weight``
      promoted.

    Raises:
      ValueError: wrong ranks, channels not divisible by ``groups``, weight not
        matching the input channels, bad padding/padding_mode/data_format/impl,
        kernel larger than the padded input, reflect padding not smaller than the
        input.

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.ones((1, 2{ones}))
      >>> w = jnp.ones((4, 2, {kones}))
      >>> conv{n}d(x, w, padding=1).shape
      (1, 4{osize})

    PyTorch parity: ``torch.nn.functional.conv{n}d`` plus ``nn.Conv{n}d``'s
    ``padding_mode``; ``padding="same"`` with stride > 1 is an extension.
    """


def conv1d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingLike = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    *,
    padding_mode: str = "zeros",
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv(
        1,
        "conv1d",
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        data_format,
        impl,
    )


def conv2d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingLike = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    *,
    padding_mode: str = "zeros",
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv(
        2,
        "conv2d",
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        data_format,
        impl,
    )


def conv3d(
    input: ArrayLike,
    weight: ArrayLike,
    bias: ArrayLike | None = None,
    stride: IntOrSeq = 1,
    padding: PaddingLike = 0,
    dilation: IntOrSeq = 1,
    groups: int = 1,
    *,
    padding_mode: str = "zeros",
    data_format: str | None = None,
    impl: str = "auto",
) -> Array:
    return _conv(
        3,
        "conv3d",
        input,
        weight,
        bias,
        stride,
        padding,
        dilation,
        groups,
        padding_mode,
        data_format,
        impl,
    )


for _n, _f in ((1, conv1d), (2, conv2d), (3, conv3d)):
    _f.__doc__ = nd_doc(_DOC, _n, ones=5, osize=5)
del _n, _f
