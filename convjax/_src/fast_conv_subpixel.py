"""Transposed convolution as ``stride**n`` stride-1 convolutions (sub-pixel form).

A transposed conv reaches the dispatcher as a stride-1 conv of the input dilated by
the transposed-conv stride ``s`` (``lhs_dilation``), which multiplies ``s**n - 1``
inserted zeros for every input value, and XLA's CPU backend does exactly that. Split
the output by phase instead: along each dim, output ``o = s*q + r`` only meets the
kernel taps ``t`` with ``(r + d*t - lo) % s == 0``, and reads input ``q + e_t`` with
``e_t = (r + d*t - lo) // s``. Those taps are every ``step = s/gcd(s, d)``-th one,
and their offsets ``e_t`` step by ``d/gcd(s, d)``: phase ``r`` is an ordinary conv of
the undilated input with the sub-kernel ``w[t0::step]``, dilation ``d/gcd(s, d)``
and padding ``-e_t0``. Each phase conv is dispatched again (``impl="auto"``: the
depthwise, grouped or 1x1 kernels apply to it), then the phases are interleaved
(depth-to-space) and cropped to the output size. No product with an inserted zero
is computed, and autodiff through the phase convs gives both gradients.

Shape legend: N batch, C channels, S spatial, Q phase output size, s stride.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import jax.numpy as jnp

from convjax._src import dispatch
from convjax._src.typing import Array


def _phase_1d(r, size, k, s, d, lo, q_len):
    """Sub-kernel slice, dilation and padding of phase ``r`` along one dim.

    Returns ``None`` when no tap reaches this phase (its output is zero).
    """
    g = math.gcd(s, d)
    t0 = next((t for t in range(k) if (r + d * t - lo) % s == 0), None)
    if t0 is None:
        return None
    step = s // g
    taps = len(range(t0, k, step))
    dil = d // g
    pad_lo = -((r + d * t0 - lo) // s)
    pad_hi = q_len - size - pad_lo + dil * (taps - 1)
    return slice(t0, t0 + step * (taps - 1) + 1, step), taps, dil, (pad_lo, pad_hi)


def conv_subpixel(x, w, spec: dispatch.ConvSpec):
    """Kernel for ``impl="subpixel"``: an lhs-dilated stride-1 conv by phases."""
    n = spec.num_spatial
    strides = spec.lhs_dilation
    out = [
        (i - 1) * s + 1 + lo + hi - d * (k - 1)
        for i, s, (lo, hi), d, k in zip(
            spec.input_size,
            strides,
            spec.padding,
            spec.rhs_dilation,
            spec.kernel_size,
            strict=True,
        )
    ]
    q_len = [-(-o // s) for o, s in zip(out, strides, strict=True)]
    phases: list[Array | None] = []
    for r in itertools.product(*(range(s) for s in strides)):
        dims = [
            _phase_1d(*args)
            for args in zip(
                r,
                spec.input_size,
                spec.kernel_size,
                strides,
                spec.rhs_dilation,
                (lo for lo, _ in spec.padding),
                q_len,
                strict=True,
            )
        ]
        if any(dim is None for dim in dims):
            phases.append(None)
            continue
        sub = dataclasses.replace(
            spec,
            kernel_size=tuple(dim[1] for dim in dims),
            rhs_dilation=tuple(dim[2] for dim in dims),
            padding=tuple(dim[3] for dim in dims),
            lhs_dilation=(1,) * n,
        )
        wr = w[(slice(None), slice(None)) + tuple(dim[0] for dim in dims)]
        kernel = dispatch.choose("auto", sub, "conv_transpose").kernel
        phases.append(kernel(x, wr, sub))
    lead = [spec.batch] + ([] if spec.channels_last else [spec.out_channels])
    tail = [spec.out_channels] if spec.channels_last else []
    shape = (*lead, *q_len, *tail)
    y = jnp.stack([jnp.zeros(shape, x.dtype) if p is None else p for p in phases])
    # (s_1 * ... * s_n, *lead, Q_1..Q_n, *tail) -> (*lead, Q_1, s_1, ..., Q_n, s_n, *tail)
    y = y.reshape((*strides, *shape))
    nl = len(lead)
    perm = [n + i for i in range(nl)]
    for i in range(n):
        perm += [n + nl + i, i]
    perm += [n + nl + n + i for i in range(len(tail))]
    y = y.transpose(perm).reshape(
        (*lead, *(q * s for q, s in zip(q_len, strides, strict=True)), *tail)
    )
    return y[(slice(None),) * nl + tuple(slice(0, o) for o in out)]


def supports_subpixel(spec: dispatch.ConvSpec) -> bool:
    return any(s > 1 for s in spec.lhs_dilation) and all(s == 1 for s in spec.stride)


dispatch.register(
    "subpixel",
    conv_subpixel,
    supports_subpixel,
    "transposed conv (lhs_dilation > 1) as stride**n stride-1 phase convs",
)
