"""Choice of convolution implementation: the one place that maps ``impl=`` to a kernel.

Every convolution (forward and transposed, 1d/2d/3d) reaches a *kernel* with the
signature of ``lax.conv_general_dilated`` in PyTorch's weight layout::

    kernel(x, w, spec) -> y

``x`` is batched, ``(N, C, *S)`` or ``(N, *S, C)`` when ``spec.channels_last``;
``w`` is ``(O, C/G, *K)``; padding is explicit (already resolved to ``(lo, hi)``
pairs, may be negative) and ``spec.lhs_dilation`` is the transposed-conv stride.

Implementations register with :func:`register`. ``impl="auto"`` walks
:data:`AUTO_RULES`, a small ordered table of ``(backend, implementation)`` pairs,
and takes the first implementation whose ``supports(spec)`` is true; ``"xla"``
always supports everything, so it ends every list.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable

import jax
import numpy as np
from jax import lax


@dataclasses.dataclass(frozen=True)
class ConvSpec:
    """Static description of one convolution call (all Python values).

    Shape legend: N batch, C in-channels, O out-channels, G groups, S spatial, K kernel.
    """

    num_spatial: int
    channels_last: bool
    batch: int
    in_channels: int
    out_channels: int
    groups: int
    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    lhs_dilation: tuple[int, ...]
    rhs_dilation: tuple[int, ...]
    dtype: str

    @property
    def is_depthwise(self) -> bool:
        """One input channel per group (any depth multiplier)."""
        return self.groups == self.in_channels and self.groups > 1

    @property
    def dimension_numbers(self) -> tuple[str, str, str]:
        sp = "DHW"[3 - self.num_spatial :]
        act = "N" + sp + "C" if self.channels_last else "NC" + sp
        return (act, "OI" + sp, act)


@dataclasses.dataclass(frozen=True)
class Implementation:
    name: str
    kernel: Callable
    supports: Callable[[ConvSpec], bool]
    doc: str = ""


def conv_xla(x, w, spec: ConvSpec):
    """Plain ``lax.conv_general_dilated``: the reference every other kernel matches.

    Negative padding of an undilated dim is applied as a slice of ``x`` first: XLA's
    CPU weight gradient of a conv with negative padding can read uninitialised
    memory (NaN seen with jax 0.10.2 on a 1x1 kernel with padding ``(-1, 1)``).
    """
    x, padding = _crop(x, spec)
    return lax.conv_general_dilated(
        x,
        w,
        window_strides=spec.stride,
        padding=padding,
        lhs_dilation=spec.lhs_dilation,
        rhs_dilation=spec.rhs_dilation,
        dimension_numbers=spec.dimension_numbers,
        feature_group_count=spec.groups,
    )


def _crop(x, spec: ConvSpec):
    """Moves negative padding of dims without ``lhs_dilation`` into a slice of ``x``.

    Along a dim of size ``n`` padded ``(lo, hi)``, input ``i`` lands in the padded
    frame when ``-lo <= i < n + hi``: keep ``[a, b)`` of those (possibly none) and
    pad the rest of the frame, ``lo + n + hi`` long, with zeros.
    """
    first = x.ndim - spec.num_spatial - (1 if spec.channels_last else 0)
    start, limit, padding = [0] * x.ndim, list(x.shape), []
    for i, ((lo, hi), ld) in enumerate(
        zip(spec.padding, spec.lhs_dilation, strict=True)
    ):
        n = x.shape[first + i]
        if ld == 1 and min(lo, hi) < 0:
            a, b = max(0, -lo), min(n, n + hi)
            total = lo + n + hi
            if a >= b:  # no input lands in the frame: keep none, all zeros
                a = b = 0
            start[first + i], limit[first + i] = a, b
            lo = lo + a if b > a else total
            hi = total - lo - (b - a)
        padding.append((lo, hi))
    if start == [0] * x.ndim and limit == list(x.shape):
        return x, spec.padding
    return lax.slice(x, start, limit), tuple(padding)


IMPLEMENTATIONS: dict[str, Implementation] = {}


def register(name: str, kernel: Callable, supports: Callable[[ConvSpec], bool], doc=""):
    """Adds an implementation selectable with ``impl=name``."""
    IMPLEMENTATIONS[name] = Implementation(name, kernel, supports, doc)


register("xla", conv_xla, lambda spec: True, "lax.conv_general_dilated")

# ``impl="auto"``: per backend, the implementations to try in order; the first whose
# ``supports(spec)`` holds is used. Backends not listed use ``"xla"``.
#
# CPU (measured by benchmarks/conv.py, 2 cores, float32; see README):
#   "subpixel"   transposed conv (lhs_dilation > 1, stride 1): stride**n stride-1
#                phase convs, each dispatched again by these rules; no product with
#                an inserted zero (XLA computes them all): dense 4x4 s2 1.4x
#                forward, 13x forward+backward.
#   "depthwise"  groups == in_channels (any multiplier, stride, dilation, padding,
#                1d/2d/3d): XLA's depthwise conv runs at ~1 GFLOP/s, shift-and-add
#                at 10-50; forward+backward 30-100x.
#   "grouped"    1 < groups < in_channels: per-group dense convs, 5-8x forward and
#                50-100x forward+backward.
#   "pointwise"  1x1 kernel, no padding, groups == 1: one matrix product, 2-4x.
#   "dense"      other 2d float32 convs with groups == 1: the same conv on the
#                input dilated by 2, which XLA:CPU runs on its own convolution
#                rather than YNNPACK's (gradients 1.2-2x on resnet18's convs).
#   "xla"        everything else (1d/3d and other dtypes: YNNPACK takes none).
# GPU/TPU: "xla" (cuDNN / the TPU convolution emitter handle all of these).
AUTO_RULES: dict[str, tuple[str, ...]] = {
    "cpu": ("subpixel", "depthwise", "grouped", "pointwise", "dense", "xla"),
}


# Named scope around every transposed convolution, so that tools reading a jaxpr
# (``convjax.analysis.count_flops``) can tell it from a plain strided conv.
TRANSPOSED_SCOPE = "convjax:conv_transpose"

_FORCED: list[str] = []


@contextlib.contextmanager
def force_implementation(name: str):
    """Within the block, every convolution that implementation ``name`` supports runs it.

    The others resolve as usual (a forced ``"subpixel"`` still dispatches its
    undilated phase convs by the rule table).

    The requested ``impl`` is still validated as usual (same errors). ``count_flops``
    uses this to trace the reference lowering (``"xla"``) whatever ``impl`` a model
    asks for, so that FLOP counts do not depend on the backend.
    """
    if name not in IMPLEMENTATIONS:
        raise ValueError(f"unknown implementation {name!r}")
    _FORCED.append(name)
    try:
        yield
    finally:
        _FORCED.pop()


def choose(impl: str, spec: ConvSpec, fn: str) -> Implementation:
    """Resolves ``impl`` (``"auto"`` or a registered name) for ``spec``."""
    chosen = _resolve(impl, spec, fn)
    if _FORCED and IMPLEMENTATIONS[_FORCED[-1]].supports(spec):
        return IMPLEMENTATIONS[_FORCED[-1]]
    return chosen


def _resolve(impl: str, spec: ConvSpec, fn: str) -> Implementation:
    if impl == "auto":
        for name in AUTO_RULES.get(jax.default_backend(), ("xla",)):
            candidate = IMPLEMENTATIONS[name]
            if candidate.supports(spec):
                return candidate
        return IMPLEMENTATIONS["xla"]
    if not isinstance(impl, str):
        raise TypeError(f"`{fn}`: `impl` must be a string, got {impl!r}.")
    if impl not in IMPLEMENTATIONS:
        names = ", ".join(repr(n) for n in ("auto", *IMPLEMENTATIONS))
        raise ValueError(f"`{fn}`: `impl` must be one of {names}; got {impl!r}.")
    candidate = IMPLEMENTATIONS[impl]
    if not candidate.supports(spec):
        raise ValueError(
            f"`{fn}`: `impl={impl!r}` does not support this convolution "
            f"(groups={spec.groups}, kernel_size={spec.kernel_size}, "
            f"stride={spec.stride}); use impl='auto' or 'xla'."
        )
    return candidate


# XLA:CPU (jax 0.10) hands dots, reductions and convolutions to its YNNPACK library
# fusion by default; this list is that default without convolutions, which then run
# on XLA's own multi-threaded convolution (the same as
# ``XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=-individual_convolution``).
# Measured by benchmarks/routing.py (README, "XLA:CPU's convolution routing").
_CPU_COMPILER_OPTIONS = {
    "xla_cpu_experimental_ynn_fusion_type": (
        "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_REDUCE"
    )
}


def cpu_compiler_options(backend: str | None = None) -> dict[str, str]:
    """XLA compiler options that make convolutions faster on CPU, for ``jax.jit``.

    Pass them per function: ``jax.jit(f, compiler_options=convjax.cpu_compiler_options())``
    (``nnx.jit`` takes the same keyword). They keep convolutions out of XLA:CPU's
    YNNPACK library fusion (dots and reductions stay there), so they run on XLA's
    own convolution, whose gradients are 1.4-3x faster (dense and 1x1 convs on
    ``impl="xla"``; forward passes about level; see the README's routing table).
    convjax's own kernels (``impl="auto"``: depthwise, grouped, pointwise, sub-pixel)
    do not depend on it; dense convs do. convjax never sets XLA flags itself; the
    same choice for a whole program is the environment setting
    ``XLA_FLAGS=--xla_cpu_experimental_ynn_fusion_type=-individual_convolution``.

    Args:
      backend: the backend the function is compiled for; default
        ``jax.default_backend()``.

    Returns:
      A new dict of option names to values: empty for other backends than ``"cpu"``
      and for jaxlib versions that lack the option (checked once by compiling a tiny
      function), so the result can always be passed.

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> f = jax.jit(lambda x: x * 2, compiler_options=cpu_compiler_options())
      >>> f(jnp.ones(2)).tolist()
      [2.0, 2.0]

    PyTorch parity: none (an XLA compilation setting; results are unchanged).
    """
    if backend is None:
        backend = jax.default_backend()
    if backend != "cpu" or not _cpu_options_supported():
        return {}
    return dict(_CPU_COMPILER_OPTIONS)


@functools.cache
def _cpu_options_supported() -> bool:
    x = jax.device_put(np.zeros(1, np.float32), jax.devices("cpu")[0])
    try:
        jax.jit(lambda x: x + 1, compiler_options=_CPU_COMPILER_OPTIONS).lower(
            x
        ).compile()
    except Exception:  # noqa: BLE001 (an unknown option: XlaRuntimeError, ValueError)
        return False
    return True
