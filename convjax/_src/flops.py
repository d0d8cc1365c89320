"""FLOP counting from jaxprs: exact for convolutions and matmuls.

:func:`count_flops` traces a function (or an NNX module) to a jaxpr with
:func:`jax.make_jaxpr` -- nothing is compiled or run -- and walks every equation,
recursing into the sub-jaxprs of ``jit``, ``closed_call``, ``custom_jvp_call``,
``custom_vjp_call``, ``remat``, ``shard_map``, ``scan`` (body times ``length``),
``while`` (body once, see notes) and ``cond`` (the most expensive branch), and
expanding convjax's depthwise-conv primitives into the operations they lower to.

Counting conventions (one MAC = one multiply + one add):

* ``conv_general_dilated`` and ``dot_general``: a sum of ``n`` products costs
  ``n`` MACs and ``2n - 1`` FLOPs (``n`` multiplies, ``n - 1`` adds). The bias is a
  separate ``add`` of one FLOP per output, so a convolution or linear layer *with*
  bias costs exactly ``2 * MACs`` FLOPs and one without ``2 * MACs - outputs``:
  the numbers of :func:`convjax.analysis.conv_flops`. fvcore, thop and ptflops
  call MACs "FLOPs"; XLA's ``cost_analysis()`` counts ``2 * MACs`` per conv/dot.
* Convolution taps (``conv_taps="dense"``, the default) follow PyTorch's own
  counter (``torch.utils.flop_counter.FlopCounterMode``, checked against it in the
  tests): a convolution costs ``(C_in / groups) * prod(kernel)`` MACs per output
  element, taps in the zero padding included (fvcore's and ``conv_macs``'
  convention too); a transposed convolution (convjax's ``conv_transpose*d``, and
  any conv with ``lhs_dilation > 1`` in that dim) costs input size x kernel:
  every input element meets every tap once, the zeros inserted between input
  elements are not counted; in the backward pass (``backward=True``) each
  gradient convolution costs what its forward convolution costs, so a conv's
  backward is 2x its forward (one input- and one weight-gradient conv). The
  backward rule reads sizes off the gradient conv and assumes, per spatial dim,
  a kernel no larger than the feature maps and padding no more than "same".
  PyTorch's counter ignores ``groups`` in weight gradients (it counts them
  ``groups`` times too high); convjax does not.
  ``conv_taps="valid"`` counts only taps that land on a real input element (no
  padding, no inserted zeros), exactly, in any direction; this is XLA's rule, so
  its conv/dot FLOPs equal ``cost_analysis()``'s minus one FLOP per output (XLA
  counts an add for the first product too).
* convjax convolutions are counted as the convolution they compute: while tracing,
  every ``impl`` (``"depthwise"``, ``"grouped"``, ``"pointwise"`` are chosen by
  ``impl="auto"`` on CPU and lower to shift-and-add or matmuls) is routed to
  ``"xla"``, which gives the same numbers. ``conv_impl="actual"`` turns this off.
* Elementwise ops (``elementwise=True``, the default): one FLOP per output element
  of every floating-point arithmetic op, comparisons and transcendentals included
  (``exp`` counts 1); reductions and pooling windows ``n - 1`` per ``n`` inputs
  reduced. Data movement (reshape, transpose, gather, pad, select, convert, ...),
  integer/boolean ops, random-bit generation and collectives cost 0. Primitives
  with arithmetic that is not modelled (FFT, linear algebra) are listed in
  :attr:`FlopReport.uncounted` instead of being guessed.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax._src import (
    config as _jax_config,  # trace-context state (see _own_trace_context)
)

from convjax._src import dispatch, fast_conv_dense, fast_conv_depthwise

try:  # the current name stack, to key module calls like the jaxpr does
    from jax._src.source_info_util import current_name_stack as _current_name_stack
except ImportError:  # pragma: no cover - internal API moved
    _current_name_stack = None  # type: ignore[assignment]

_CONV = "conv_general_dilated"
_DOT = "dot_general"

_ELEMENTWISE = frozenset(
    """
    add add_any sub mul div rem neg abs sign max min pow integer_pow square sqrt rsqrt
    cbrt exp exp2 expm1 log log1p logistic tanh sin cos tan asin acos atan atan2 sinh
    cosh asinh acosh atanh erf erfc erf_inv lgamma digamma igamma igammac igamma_grad_a
    random_gamma_grad polygamma zeta bessel_i0e bessel_i1e regularized_incomplete_beta
    floor ceil round nextafter is_finite clamp eq ne lt le gt ge reciprocal
    """.split()
)
_REDUCTIONS = frozenset(
    "reduce_sum reduce_max reduce_min reduce_prod argmax argmin reduce_and reduce_or "
    "reduce_xor".split()
)
_CUMULATIVE = frozenset("cumsum cumprod cummax cummin cumlogsumexp".split())
_WINDOWED = frozenset(
    "reduce_window_sum reduce_window_max reduce_window_min reduce_window".split()
)
_SCATTER_ARITH = frozenset(
    "scatter_add scatter_sub scatter_mul scatter_min scatter_max".split()
)
# Arithmetic that exists but is not modelled: reported, never guessed.
_UNMODELLED = frozenset(
    """
    fft cholesky triangular_solve lu lu_pivots_to_permutation qr householder_product
    svd eig eigh schur hessenberg tridiagonal tridiagonal_solve ragged_dot
    ragged_dot_general
    """.split()
)

ConvTaps = Literal["dense", "valid"]


@dataclasses.dataclass(frozen=True)
class FlopReport:
    """What :func:`count_flops` found.

    Attributes:
      total: FLOPs of everything counted (forward, plus backward if requested).
      macs: multiply-accumulates of the convolutions and matmuls.
      forward: FLOPs of the forward pass.
      backward: FLOPs of the backward pass (``0`` unless ``backward=True``).
      by_primitive: FLOPs per primitive name (``"conv_general_dilated"``, ...).
      by_scope: FLOPs per scope path, *inclusive*: ``by_scope["features"]`` counts
        everything under ``features/...``; ``by_scope[""]`` is the total. Scopes come
        from the jaxpr's name stacks (``jax.named_scope``); NNX modules passed to
        :func:`count_flops` get one scope per submodule (its attribute name), so the
        keys are module paths such as ``"features/0"``.
      macs_by_scope: MACs per scope path, inclusive, like ``by_scope``.
      uncounted: primitives with floating-point arithmetic that is not modelled
        (FFT, linear algebra), with the number of equations seen.
      notes: caveats, e.g. ``while`` loops counted for one iteration.
    """

    total: int
    macs: int
    forward: int
    backward: int
    by_primitive: dict[str, int]
    by_scope: dict[str, int]
    macs_by_scope: dict[str, int]
    uncounted: dict[str, int]
    notes: tuple[str, ...]

    def __str__(self) -> str:
        lines = [
            f"FLOPs: {self.total:,} (forward {self.forward:,}, backward {self.backward:,})",
            f"MACs:  {self.macs:,}  (FLOPs = 2 x MACs for layers with bias)",
        ]
        for name, value in sorted(self.by_primitive.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {name:<24} {value:>16,}")
        if self.uncounted:
            lines.append(f"not counted: {dict(self.uncounted)}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


# ----------------------------------------------------------------------------------
# Per-equation costs.


def _size(shape) -> int:
    return int(math.prod(shape))


def _is_inexact(aval) -> bool:
    dtype = getattr(aval, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.inexact)


def _valid_taps(out_size, kernel, stride, pad_lo, lhs_dil, rhs_dil, in_size):
    """(taps on real input elements, output positions with >= 1 such tap), one dim."""
    taps = 0
    hit = [False] * out_size
    for k in range(kernel):
        for o in range(out_size):
            u = o * stride - pad_lo + k * rhs_dil  # index into the dilated input
            if u % lhs_dil == 0 and 0 <= u // lhs_dil < in_size:
                taps += 1
                hit[o] = True
    return taps, sum(hit)


def conv_cost(
    eqn, conv_taps: ConvTaps = "dense", *, transposed=False, backward=False
) -> tuple[int, int]:
    """``(macs, flops)`` of one ``conv_general_dilated`` equation.

    ``transposed``: the equation implements a transposed convolution (convjax
    marks its ``conv_transpose*d``). ``backward``: it is part of a transpose
    (gradient) computation. Both only matter for ``conv_taps="dense"``.
    """
    lhs, rhs = (v.aval.shape for v in eqn.invars[:2])
    out = eqn.outvars[0].aval.shape
    p = eqn.params
    dn = p["dimension_numbers"]
    lhs_spec, rhs_spec, out_spec = dn.lhs_spec, dn.rhs_spec, dn.out_spec
    ndim = len(lhs_spec) - 2
    # Every output element sums over rhs in-features x kernel taps; this holds for
    # feature groups and for batch groups (weight gradients) alike.
    base = out[out_spec[0]] * out[out_spec[1]] * rhs[rhs_spec[1]]
    taps = macs_outputs = 1
    for i in range(ndim):
        in_size = lhs[lhs_spec[2 + i]]
        kernel = rhs[rhs_spec[2 + i]]
        out_size = out[out_spec[2 + i]]
        lhs_dil = p["lhs_dilation"][i]
        if conv_taps == "valid":
            t, h = _valid_taps(
                out_size,
                kernel,
                p["window_strides"][i],
                p["padding"][i][0],
                lhs_dil,
                p["rhs_dilation"][i],
                in_size,
            )
        elif backward:
            # A gradient conv costs what the forward conv costs (PyTorch's
            # FlopCounterMode): kernel size x the smaller feature-map size. Of the
            # three sizes here (input/output gradient, kernel or weight gradient,
            # activation) that is the smallest times the middle one.
            small, middle, _ = sorted((in_size, kernel, out_size))
            t = small * middle
            h = out_size
        elif transposed or lhs_dil > 1:
            t = kernel * in_size  # every input element meets every tap once
            h = out_size
        else:
            t = kernel * out_size
            h = out_size
        taps *= t
        macs_outputs *= h
    macs = base * taps
    outputs = out[out_spec[0]] * out[out_spec[1]] * macs_outputs if macs else 0
    return macs, 2 * macs - outputs


def dot_cost(eqn) -> tuple[int, int]:
    """``(macs, flops)`` of one ``dot_general`` equation."""
    lhs = eqn.invars[0].aval.shape
    (lhs_contract, _), _ = eqn.params["dimension_numbers"]
    n = _size(lhs[i] for i in lhs_contract)
    outputs = _size(eqn.outvars[0].aval.shape)
    macs = outputs * n
    return macs, (2 * macs - outputs) if n else 0


def _other_cost(eqn) -> int | None:
    """FLOPs of a non-matmul equation; ``None`` if it is unmodelled arithmetic."""
    name = eqn.primitive.name
    ins = [v.aval for v in eqn.invars if hasattr(v, "aval")]
    outs = [v.aval for v in eqn.outvars]
    if name in _ELEMENTWISE:
        if not (any(_is_inexact(a) for a in ins) or any(_is_inexact(a) for a in outs)):
            return 0
        return _size(outs[0].shape)
    if name in _REDUCTIONS:
        if not _is_inexact(ins[0]):
            return 0
        return sum(_size(a.shape) for a in ins[: len(outs)]) - sum(
            _size(a.shape) for a in outs
        )
    if name in _CUMULATIVE:
        if not _is_inexact(ins[0]):
            return 0
        length = ins[0].shape[eqn.params["axis"]] if ins[0].shape else 1
        return _size(outs[0].shape) // max(length, 1) * max(length - 1, 0)
    if name in _WINDOWED:
        if not _is_inexact(outs[0]):
            return 0
        window = _size(eqn.params["window_dimensions"])
        return sum(_size(a.shape) for a in outs) * max(window - 1, 0)
    if name == "select_and_scatter_add":  # max-pool gradient: compares + one add
        return _size(ins[0].shape) * _size(eqn.params["window_dimensions"])
    if name in _SCATTER_ARITH:
        return _size(ins[2].shape) if len(ins) > 2 and _is_inexact(ins[2]) else 0
    if name in _UNMODELLED:
        return None
    return 0  # data movement, integer/boolean ops, random bits, collectives


# ----------------------------------------------------------------------------------
# The jaxpr walk.


# convjax puts this named scope around its transposed convolutions.
_TRANSPOSED = dispatch.TRANSPOSED_SCOPE


def _scope_names(name_stack) -> tuple[tuple[str, ...], bool, bool]:
    """(scope names, ``transpose`` transform on the stack, transposed-conv marker)."""
    scopes, backward, transposed = [], False, False
    for entry in getattr(name_stack, "stack", ()):
        kind = type(entry).__name__
        if kind == "Scope":
            if entry.name == _TRANSPOSED:
                transposed = True
            else:
                scopes.extend(entry.name.split("/"))
        elif kind == "Transform" and entry.name == "transpose":
            backward = True
    return tuple(scopes), backward, transposed


def _subjaxprs(value) -> Iterator[Any]:
    """Jaxprs (open) found in an equation parameter."""
    if hasattr(value, "eqns"):
        yield value
    elif hasattr(value, "jaxpr") and hasattr(value.jaxpr, "eqns"):
        yield value.jaxpr
    elif isinstance(value, tuple | list):
        for v in value:
            yield from _subjaxprs(v)


_OWN_PRIMITIVES = {
    **fast_conv_depthwise.IMPLEMENTATIONS,
    **fast_conv_dense.IMPLEMENTATIONS,
}


class _Tally:
    """Accumulates costs of equations, keyed by primitive and scope."""

    def __init__(self, conv_taps: ConvTaps, elementwise: bool):
        self.conv_taps = conv_taps
        self.elementwise = elementwise
        self.flops: defaultdict[str, int] = defaultdict(int)  # primitive -> flops
        # (scopes, segment starts) -> self flops / MACs
        self.scope_flops: defaultdict[tuple, int] = defaultdict(int)
        self.scope_macs: defaultdict[tuple, int] = defaultdict(int)
        self.forward = 0
        self.backward = 0
        self.macs = 0
        self.uncounted: defaultdict[str, int] = defaultdict(int)
        self.notes: list[str] = []

    def total(self) -> int:
        return self.forward + self.backward

    def add(self, name, key, backward, macs, flops):
        if flops == 0 and macs == 0:
            return
        self.flops[name] += flops
        self.scope_flops[key] += flops
        self.scope_macs[key] += macs
        self.macs += macs
        if backward:
            self.backward += flops
        else:
            self.forward += flops

    def merge(self, other: _Tally, times: int = 1):
        for name, v in other.flops.items():
            self.flops[name] += v * times
        for key, v in other.scope_flops.items():
            self.scope_flops[key] += v * times
        for key, v in other.scope_macs.items():
            self.scope_macs[key] += v * times
        for name, v in other.uncounted.items():
            self.uncounted[name] += v
        self.forward += other.forward * times
        self.backward += other.backward * times
        self.macs += other.macs * times
        self.notes.extend(n for n in other.notes if n not in self.notes)

    def walk(
        self, jaxpr, prefix=(), starts=(0,), backward=False, times=1, transposed=False
    ):
        for eqn in jaxpr.eqns:
            scopes, bwd, tconv = _scope_names(eqn.source_info.name_stack)
            full = prefix + scopes
            bwd = bwd or backward
            tconv = tconv or transposed
            name = eqn.primitive.name
            params = eqn.params
            inner_starts = (*starts, len(full))
            if name == "scan":
                sub = _Tally(self.conv_taps, self.elementwise)
                sub.walk(params["jaxpr"].jaxpr, full, inner_starts, bwd, 1, tconv)
                self.merge(sub, times * int(params["length"]))
            elif name == "while":
                sub = _Tally(self.conv_taps, self.elementwise)
                sub.walk(params["cond_jaxpr"].jaxpr, full, inner_starts, bwd, 1, tconv)
                sub.walk(params["body_jaxpr"].jaxpr, full, inner_starts, bwd, 1, tconv)
                if sub.total():
                    note = "`while` loop counted for one iteration (trip count unknown)"
                    if note not in self.notes:
                        self.notes.append(note)
                self.merge(sub, times)
            elif name == "cond":
                subs = []
                for branch in params["branches"]:
                    sub = _Tally(self.conv_taps, self.elementwise)
                    sub.walk(branch.jaxpr, full, inner_starts, bwd, 1, tconv)
                    subs.append(sub)
                if len({s.total() for s in subs}) > 1:
                    note = "`cond` counted as its most expensive branch"
                    if note not in self.notes:
                        self.notes.append(note)
                self.merge(max(subs, key=_Tally.total), times)
            elif name == "shard_map":
                mesh = params["mesh"]
                axes = (
                    params.get("newly_manual_axes") or params.get("manual_axes") or ()
                )
                devices = (
                    math.prod(int(dict(mesh.shape)[a]) for a in axes) if axes else 1
                )
                sub = _Tally(self.conv_taps, self.elementwise)
                sub.walk(params["jaxpr"], full, inner_starts, bwd, 1, tconv)
                self.merge(sub, times * devices)  # the body runs once per device
            elif name in _OWN_PRIMITIVES:
                # convjax's own primitives: count the operations they lower to
                impl = _OWN_PRIMITIVES[name]
                avals = [v.aval for v in eqn.invars]
                sub_jaxpr = jax.make_jaxpr(functools.partial(impl, **params))(*avals)
                self.walk(sub_jaxpr.jaxpr, full, inner_starts, bwd, times, tconv)
            elif name in (_CONV, _DOT):
                if name == _CONV:
                    macs, flops = conv_cost(
                        eqn, self.conv_taps, transposed=tconv, backward=bwd
                    )
                else:
                    macs, flops = dot_cost(eqn)
                self.add(name, (full, starts), bwd, macs * times, flops * times)
            else:
                subs = [j for v in params.values() for j in _subjaxprs(v)]
                if subs:
                    for sub_jaxpr in subs:
                        self.walk(sub_jaxpr, full, inner_starts, bwd, times, tconv)
                    continue
                flops = _other_cost(eqn)
                if flops is None:
                    self.uncounted[name] += 1
                elif self.elementwise:
                    self.add(name, (full, starts), bwd, 0, flops * times)

    def report(self) -> FlopReport:
        by_scope: dict[str, int] = defaultdict(int)
        macs_by_scope: dict[str, int] = defaultdict(int)
        for (scopes, _), v in self.scope_flops.items():
            for i in range(len(scopes) + 1):
                by_scope["/".join(scopes[:i])] += v
        for (scopes, _), v in self.scope_macs.items():
            for i in range(len(scopes) + 1):
                macs_by_scope["/".join(scopes[:i])] += v
        by_scope.setdefault("", 0)
        macs_by_scope.setdefault("", 0)
        return FlopReport(
            total=self.total(),
            macs=self.macs,
            forward=self.forward,
            backward=self.backward,
            by_primitive=dict(self.flops),
            by_scope=dict(by_scope),
            macs_by_scope=dict(macs_by_scope),
            uncounted=dict(self.uncounted),
            notes=tuple(self.notes),
        )


# ----------------------------------------------------------------------------------
# NNX modules: one named scope per submodule call.


@dataclasses.dataclass
class CallRecord:
    """One call of a submodule during tracing (used by :func:`summary`)."""

    path: tuple
    module: Any
    key: tuple[str, ...]  # scope names of the call (as the jaxpr's name stacks show)
    depth: int
    output: Any = None


class _ScopeContext:
    def __init__(self):
        self.paths: dict[int, tuple] = {}
        self.stack: list[Any] = []
        self.calls: list[CallRecord] = []
        self.used_keys: set[tuple[str, ...]] = set()


_ACTIVE: list[_ScopeContext] = []


def _scoped_call(original: Callable) -> Callable:
    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        ctx = _ACTIVE[-1] if _ACTIVE else None
        if (
            ctx is None
            or id(self) not in ctx.paths
            or (ctx.stack and ctx.stack[-1] is self)
        ):
            return original(self, *args, **kwargs)
        path = ctx.paths[id(self)]
        outer = ()
        if _current_name_stack is not None:
            outer = _scope_names(_current_name_stack())[0]
        # Scope name: the path relative to the innermost module call that owns this
        # module (``features/0`` when the ``features`` list itself is never called).
        parent = ctx.paths.get(id(ctx.stack[-1]), ()) if ctx.stack else ()
        rel = path[len(parent) :] if path[: len(parent)] == parent else path
        rel = tuple(str(p) for p in rel)
        if rel:
            key, n = (*outer, *rel), 1
            while key in ctx.used_keys:  # the same module called again
                n += 1
                key = (*outer, *rel[:-1], f"{rel[-1]}#{n}")
        else:
            key = outer
        name = "/".join(key[len(outer) :])
        ctx.used_keys.add(key)
        record = CallRecord(path, self, key, len(ctx.stack))
        ctx.calls.append(record)
        ctx.stack.append(self)
        try:
            if name:
                with jax.named_scope(name):
                    out = original(self, *args, **kwargs)
            else:
                out = original(self, *args, **kwargs)
        finally:
            ctx.stack.pop()
        record.output = jax.tree.map(
            lambda x: (
                jax.ShapeDtypeStruct(x.shape, x.dtype) if hasattr(x, "shape") else x
            ),
            out,
        )
        return out

    wrapper._convjax_scoped = True  # type: ignore[attr-defined]
    return wrapper


class _PatchedCalls:
    """Wraps ``__call__`` of the given module types while active (restored on exit)."""

    def __init__(self, types):
        self.types = [
            t for t in types if any("__call__" in c.__dict__ for c in t.__mro__)
        ]
        self.saved: list[tuple[type, Any]] = []

    def __enter__(self):
        resolved = {t: t.__call__ for t in self.types}  # before patching any of them
        for t, original in resolved.items():
            if getattr(original, "_convjax_scoped", False):
                continue  # already patched by an enclosing context
            self.saved.append((t, t.__dict__.get("__call__", _MISSING)))
            t.__call__ = _scoped_call(original)
        return self

    def __exit__(self, *exc):
        for t, original in reversed(self.saved):
            if original is _MISSING:
                del t.__call__
            else:
                t.__call__ = original
        self.saved.clear()


_MISSING = object()


def _module_types(roots) -> set[type]:
    from flax import nnx

    return {type(m) for root in roots for _, m in nnx.iter_modules(root)}


# ----------------------------------------------------------------------------------
# Tracing.


def _is_graph_node(x) -> bool:
    from flax import nnx

    if isinstance(x, list | tuple | dict):
        return False
    return isinstance(x, nnx.Module | nnx.Rngs) or nnx.graph.is_graph_node(x)


def _is_array(x) -> bool:
    return isinstance(x, jax.Array | np.ndarray | np.generic | jax.ShapeDtypeStruct)


def _abstract(x):
    return (
        x
        if isinstance(x, jax.ShapeDtypeStruct)
        else jax.ShapeDtypeStruct(np.shape(x), jnp.result_type(x))
    )


def trace(
    fn: Callable,
    args: tuple,
    kwargs: dict,
    *,
    backward: bool = False,
    reference_convs=True,
):
    """Traces ``fn(*args, **kwargs)`` to a closed jaxpr, with module scopes.

    Array leaves of ``args``/``kwargs`` (``jax.Array``, NumPy, ``ShapeDtypeStruct``)
    become abstract inputs; NNX graph nodes (modules, ``Rngs``) are split into
    their state; every other leaf (Python numbers, strings, ``None``) is static.
    With ``backward``, the jaxpr also contains ``jax.vjp``'s backward pass with
    respect to every ``nnx.Param`` and floating-point array input, seeded with ones.
    With ``reference_convs``, convjax convolutions lower to ``conv_general_dilated``
    whatever ``impl`` they resolve to (see :func:`convjax._src.dispatch.force_implementation`).

    Returns:
      ``(closed_jaxpr, scope_context)``.
    """
    from flax import nnx

    is_module_fn = _is_graph_node(fn)
    if is_module_fn:
        args = (fn,) + args
    leaves, treedef = jax.tree.flatten((args, kwargs), is_leaf=_is_graph_node)
    node_idx = [i for i, x in enumerate(leaves) if _is_graph_node(x)]
    arr_idx = [i for i, x in enumerate(leaves) if _is_array(x)]
    graphdef, params, rest = nnx.split([leaves[i] for i in node_idx], nnx.Param, ...)  # type: ignore[misc]
    arrays = [_abstract(leaves[i]) for i in arr_idx]
    floating = [jnp.issubdtype(a.dtype, jnp.inexact) for a in arrays]
    ctx = _ScopeContext()
    types = _module_types(
        [leaves[i] for i in node_idx if isinstance(leaves[i], nnx.Module)]
    )

    def call(params, arrays, rest):
        nodes = nnx.merge(graphdef, params, rest)
        new = list(leaves)
        for i, node in zip(node_idx, nodes, strict=True):
            new[i] = node
        for i, a in zip(arr_idx, arrays, strict=True):
            new[i] = a
        ctx.paths = {}
        for node in nodes:
            if isinstance(node, nnx.Module):
                for path, m in nnx.iter_modules(node):
                    ctx.paths.setdefault(id(m), path)
        ctx.stack.clear()
        ctx.calls.clear()
        ctx.used_keys.clear()
        (a, k) = jax.tree.unflatten(treedef, new)
        if is_module_fn:
            return a[0](*a[1:], **k)
        return fn(*a, **k)

    if not backward:
        traced = lambda p, a, r: call(p, a, r)  # noqa: E731
    else:

        def traced(p, a, r):
            diff = [x for x, f in zip(a, floating, strict=True) if f]

            def primal(p, diff):
                it = iter(diff)
                full = [next(it) if f else x for x, f in zip(a, floating, strict=True)]
                # fresh Variables at this trace level (nnx forbids mutating outer ones)
                out = call(p, full, jax.tree.map(lambda v: v, r))
                return [
                    x
                    for x in jax.tree.leaves(out)
                    if jnp.issubdtype(jnp.result_type(x), jnp.inexact)
                ]

            out, vjp = jax.vjp(primal, p, diff)
            return out, vjp([jnp.ones_like(x) for x in out])

    # jit reuses traces keyed on the function, shapes and JAX's trace context: a
    # function jitted and run before would hand back its old jaxpr (the fast
    # kernels, no module scopes), and one traced here with impl="xla" forced would
    # later run that lowering. Counting therefore traces under its own trace
    # context (a value that only reaches HLO metadata, and nothing here lowers),
    # so it neither reuses nor leaves traces, and other functions' caches stay.
    _ACTIVE.append(ctx)
    try:
        with _own_trace_context(), _PatchedCalls(types):
            if reference_convs:  # count what impl="xla" lowers to, whatever runs
                with dispatch.force_implementation("xla"):
                    closed = jax.make_jaxpr(traced)(params, arrays, rest)
            else:
                closed = jax.make_jaxpr(traced)(params, arrays, rest)
    finally:
        _ACTIVE.pop()
    return closed, ctx


def _own_trace_context():
    """A context whose JAX trace-cache key differs from every ordinary trace's.

    ``jax_hlo_source_file_canonicalization_regex`` is part of JAX's trace context
    (so jit's trace caches are keyed on it) and only edits source-file metadata
    when lowering to HLO. Each use gets a fresh value, so two countings never
    share traces either (they may differ in the patched module calls).
    """
    global _COUNTINGS
    _COUNTINGS += 1
    return _jax_config.hlo_source_file_canonicalization_regex(
        f"^$convjax-count-flops-{_COUNTINGS}"
    )


_COUNTINGS = 0


class FlopCounter:
    """A configured FLOP counter; ``FlopCounter()(fn, *args)`` is ``count_flops``.

    Options live here, not in :func:`count_flops`, so that every keyword argument
    of :func:`count_flops` goes to ``fn`` and nothing can collide.

    Args:
      backward: also count the backward pass, traced with :func:`jax.vjp` with
        respect to every ``nnx.Param`` and every floating-point array argument
        (seeded with ones), reported separately as :attr:`FlopReport.backward`.
      elementwise: count elementwise ops, reductions and pooling windows; with
        ``False`` only convolutions and matmuls are counted.
      conv_taps: ``"dense"`` (the PyTorch/fvcore convention, taps in the padding
        count) or ``"valid"`` (XLA's: only taps that touch a real input element).
      conv_impl: ``"reference"`` (default) traces every convjax convolution as
        ``lax.conv_general_dilated`` (``impl="xla"``, the same numbers), so it is
        counted exactly whatever kernel ``impl="auto"`` picks on this backend;
        ``"actual"`` counts the kernel really chosen (on CPU, depthwise convs are
        then shift-and-add: elementwise FLOPs and no MACs).

    Examples:
      >>> import jax.numpy as jnp
      >>> f = lambda x, w: jnp.tanh(x @ w)
      >>> x, w = jnp.ones((4, 8)), jnp.ones((8, 3))
      >>> count_flops(f, x, w).total  # 12 outputs x (8 mul + 7 add) + 12 tanh
      192
      >>> FlopCounter(backward=True)(f, x, w).macs  # x @ w, dy @ w.T, x.T @ dy
      288
      >>> FlopCounter(elementwise=False)(f, x, w).total
      180
    """

    def __init__(
        self,
        *,
        backward: bool = False,
        elementwise: bool = True,
        conv_taps: ConvTaps = "dense",
        conv_impl: Literal["reference", "actual"] = "reference",
    ):
        if conv_taps not in ("dense", "valid"):
            raise ValueError(
                f"`conv_taps` must be 'dense' or 'valid'; got {conv_taps!r}."
            )
        if conv_impl not in ("reference", "actual"):
            raise ValueError(
                f"`conv_impl` must be 'reference' or 'actual'; got {conv_impl!r}."
            )
        if not isinstance(backward, bool):
            raise TypeError(f"`backward` must be a bool; got {backward!r}.")
        if not isinstance(elementwise, bool):
            raise TypeError(f"`elementwise` must be a bool; got {elementwise!r}.")
        self.backward = backward
        self.elementwise = elementwise
        self.conv_taps = conv_taps
        self.conv_impl = conv_impl

    def __call__(self, fn: Callable, /, *args, **kwargs) -> FlopReport:
        if not callable(fn):
            raise TypeError(
                f"`fn` must be callable (a function or an NNX module); got {fn!r}."
            )
        closed, _ = trace(
            fn,
            args,
            kwargs,
            backward=self.backward,
            reference_convs=self.conv_impl == "reference",
        )
        return self.count_jaxpr(closed)

    def count_jaxpr(self, jaxpr) -> FlopReport:
        """Counts an already traced (closed) jaxpr."""
        tally = _Tally(self.conv_taps, self.elementwise)
        tally.walk(getattr(jaxpr, "jaxpr", jaxpr))
        return tally.report()

    def tally(self, jaxpr) -> _Tally:
        tally = _Tally(self.conv_taps, self.elementwise)
        tally.walk(getattr(jaxpr, "jaxpr", jaxpr))
        return tally


def count_flops(fn: Callable, /, *args, **kwargs) -> FlopReport:
    r"""Counts the FLOPs and MACs of ``fn(*args, **kwargs)`` from its jaxpr.

    ``fn`` is traced with :func:`jax.make_jaxpr` (nothing runs, nothing compiles),
    so ``args`` may be :class:`jax.ShapeDtypeStruct`\ s. ``fn`` may be an NNX module,
    which is then called as ``fn(*args, **kwargs)`` with one named scope per
    submodule, so ``report.by_scope`` is keyed by module path (``"features/0"``);
    modules passed inside ``args`` are scoped the same way. For a function that
    closes over a module, wrap sections in :func:`jax.named_scope` yourself.
    Every keyword argument goes to ``fn``; options (backward pass, elementwise ops,
    the tap convention) are set on :class:`FlopCounter`.

    Convolutions (any dims, strides, dilations, padding, ``feature_group_count``,
    ``batch_group_count``, ``lhs_dilation`` of transposed convs) and
    ``dot_general`` are counted exactly:

    .. math::

        \mathrm{MACs} = \mathrm{outputs}\cdot\frac{C_\mathrm{in}}{g}\prod_i k_i,
        \qquad \mathrm{FLOPs} = 2\,\mathrm{MACs} - \mathrm{outputs}\ (+\,\mathrm{outputs}
        \text{ for the bias add}),

    so a layer with bias costs ``2 * MACs`` FLOPs: :func:`conv_flops`' numbers.
    fvcore, thop and ptflops report MACs under the name "FLOPs". See the module
    docstring of ``convjax._src.flops`` for elementwise ops and transposed convs.

    Args:
      fn: a function of arrays, or an NNX module.
      *args: positional arguments for ``fn``: arrays, ``ShapeDtypeStruct``,
        NNX modules, or static Python values.
      **kwargs: keyword arguments for ``fn``.

    Returns:
      A :class:`FlopReport` with ``.total``, ``.macs``, ``.by_primitive``,
      ``.by_scope`` and more.

    Examples:
      >>> import jax.numpy as jnp
      >>> import convjax.functional as F
      >>> x, w, b = jnp.ones((1, 3, 8, 8)), jnp.ones((4, 3, 3, 3)), jnp.ones(4)
      >>> r = count_flops(F.conv2d, x, w, b, padding=1)
      >>> r.macs, r.total  # 4*8*8 outputs x 3*3*3 taps; FLOPs = 2 x MACs with bias
      (6912, 13824)

    PyTorch parity: ``torch.utils.flop_counter.FlopCounterMode`` reports
    ``2 * report.macs`` (it counts only convs and matmuls, 2 per MAC), forward and
    with ``FlopCounter(backward=True)`` -- except that PyTorch counts the weight
    gradient of a grouped conv ``groups`` times too high (tested against PyTorch
    2.13). fvcore's and thop's "FLOPs" are MACs. XLA's
    ``cost_analysis()["flops"]`` equals ``FlopCounter(conv_taps="valid")`` plus one
    FLOP per conv/dot output (tested).
    """
    return FlopCounter()(fn, *args, **kwargs)
