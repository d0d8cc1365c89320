"""``summary(module, *args)``: a torchinfo-like table of any Flax NNX module."""

from __future__ import annotations

import math
from collections import defaultdict

import jax
import numpy as np

from convjax._src.flops import FlopCounter, trace


def _fmt_int(n: int) -> str:
    return f"{n:,}" if n else "--"


def _fmt_shape(out) -> str:
    leaves = jax.tree.leaves(out)
    parts = []
    for leaf in leaves:
        if not hasattr(leaf, "shape"):
            continue
        dtype = np.dtype(leaf.dtype)
        suffix = "" if dtype == np.float32 else f" {dtype.name}"
        parts.append("[" + ", ".join(str(d) for d in leaf.shape) + "]" + suffix)
    if not parts:
        return "--"
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _path_str(path) -> str:
    return ".".join(str(p) for p in path)


def _owner(path: tuple, module_paths: set) -> tuple:
    """The longest module path that is a prefix of a variable's ``path``."""
    for i in range(len(path) - 1, -1, -1):
        if path[:i] in module_paths:
            return path[:i]
    return ()


def _variables(module):
    """``{module path: (params, param bytes, other state count)}`` owned directly."""
    from flax import nnx

    module_paths = {p for p, _ in nnx.iter_modules(module)}
    own = defaultdict(lambda: [0, 0, 0])
    for path, var in nnx.to_flat_state(nnx.state(module)):
        value = var.get_value() if hasattr(var, "get_value") else var[...]
        if isinstance(var, nnx.RngState) or not hasattr(value, "shape"):
            continue
        size = int(math.prod(value.shape))
        entry = own[_owner(tuple(path), module_paths)]
        if isinstance(var, nnx.Param):
            entry[0] += size
            entry[1] += size * np.dtype(value.dtype).itemsize
        else:
            entry[2] += size
    return own


def summary(module, *args, **kwargs) -> str:
    """A table of every submodule of an NNX module: path, type, output shape, params, MACs.

    ``module(*args, **kwargs)`` is traced once (:func:`jax.make_jaxpr`; nothing runs,
    so ``args`` may be :class:`jax.ShapeDtypeStruct` and ``module`` may be abstract,
    e.g. built with ``nnx.eval_shape(lambda: Model(rngs=nnx.Rngs(0)))``). While tracing, the
    ``__call__`` of every module type in the graph is wrapped so that each
    submodule call records its output and opens a :func:`jax.named_scope` named
    after its attribute; the jaxpr's name stacks then attribute every convolution
    and matmul to the module that ran it. The wrapping is undone on return.

    Rows follow call order, indented by call depth (a module called twice gets two
    rows; its parameters are shown on the first). Submodules that are never
    called (or only through another method) are listed with output ``--``.
    ``Params`` and ``MACs`` are what a row owns itself -- a container's own
    parameters and the matmuls done directly in its ``__call__``, not its
    children's -- so each column sums to the total below it. MACs follow
    :func:`count_flops` (a layer with bias costs ``2 * MACs`` FLOPs).

    Args:
      module: any ``flax.nnx.Module`` (convjax's or flax's own layers).
      *args: inputs for ``module``: arrays or ``jax.ShapeDtypeStruct``.
      **kwargs: keyword inputs for ``module``.

    Returns:
      The table as a plain-text string.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> model = nnx.Sequential(nnx.Linear(4, 8, rngs=nnx.Rngs(0)), nnx.relu,
      ...                        nnx.Linear(8, 2, rngs=nnx.Rngs(0)))
      >>> print(summary(model, jnp.ones((1, 4))))
      Sequential summary
      ----------------------------------------------------
      Layer (path)  Type        Output shape  Params  MACs
      ====================================================
      Sequential    Sequential  [1, 2]            --    --
        layers.0    Linear      [1, 8]            40    32
        layers.2    Linear      [1, 2]            18    16
      ----------------------------------------------------
      Input: [1, 4]
      Total params: 58 (232 B)
      Non-trainable state (BatchStat, ...): 0
      Total MACs: 48
      Total FLOPs: 104 (forward; 2 x MACs per layer with bias)
      ----------------------------------------------------

    PyTorch parity: the layout of ``torchinfo.summary(model, input_size)``
    (Param # and Mult-Adds columns).
    """
    from flax import nnx

    if not isinstance(module, nnx.Module):
        raise TypeError(
            f"`module` must be a flax.nnx.Module; got {type(module).__name__}."
        )
    closed, ctx = trace(module, args, kwargs)
    tally = FlopCounter().tally(closed)

    # Attribute each (scopes, segment starts) cost to the call whose key is the
    # longest prefix of the scopes (from any sub-jaxpr start: inner jits restart
    # the name stack).
    calls = ctx.calls
    by_key: dict[tuple, int] = {}
    for i, call in enumerate(calls):
        by_key.setdefault(call.key, i)
    self_macs: defaultdict[int, int] = defaultdict(int)
    self_flops: defaultdict[int, int] = defaultdict(int)
    for kind, source in (("macs", tally.scope_macs), ("flops", tally.scope_flops)):
        target = self_macs if kind == "macs" else self_flops
        for (scopes, starts), value in source.items():
            best, best_len = 0, -1
            for s in starts:
                tail = scopes[s:]
                for n in range(len(tail), -1, -1):
                    hit = by_key.get(tail[:n])
                    if hit is not None:
                        if n > best_len:
                            best, best_len = hit, n
                        break
            target[best] += value

    # Rows: calls in call order, then never-called submodules after their parent.
    own = _variables(module)
    paths = {p: m for p, m in nnx.iter_modules(module)}
    rows = []  # (depth, label, type, output, params, macs)
    seen = set()
    for i, call in enumerate(calls):
        first = call.path not in seen
        seen.add(call.path)
        label = _path_str(call.path) or type(call.module).__name__
        params = own[call.path][0] if first else 0
        rows.append(
            [
                call.depth,
                label,
                type(call.module).__name__,
                _fmt_shape(call.output),
                _fmt_int(params) if first else "(recurring)",
                _fmt_int(self_macs[i]),
                call.path,
            ]
        )
    for path in sorted(
        (p for p in paths if p not in seen), key=lambda p: [str(x) for x in p]
    ):
        m = paths[path]
        callable_type = any("__call__" in c.__dict__ for c in type(m).__mro__)
        if not callable_type and not any(own[path]):
            continue  # a pure container (nnx.List, nnx.Dict): its items have rows
        at = len(rows)
        for j, row in enumerate(rows):
            if row[6] == path[: len(row[6])]:
                at = j + 1
        depth = rows[at - 1][0] + 1 if at else 0
        while (
            at < len(rows)
            and rows[at][0] >= depth
            and rows[at][6][: len(path) - 1] == path[:-1]
        ):
            at += 1
        rows.insert(
            at,
            [
                depth,
                _path_str(path),
                type(m).__name__,
                "--",
                _fmt_int(own[path][0]),
                "--",
                path,
            ],
        )

    total_params = sum(v[0] for v in own.values())
    total_bytes = sum(v[1] for v in own.values())
    total_other = sum(v[2] for v in own.values())
    header = ["Layer (path)", "Type", "Output shape", "Params", "MACs"]
    body = [["  " * r[0] + r[1], r[2], r[3], r[4], r[5]] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(header)]

    def line(cells):
        left = [c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
        return "  ".join(left + right).rstrip()

    rule = "-" * len(line(["x" * w for w in widths]))
    inputs = ", ".join(
        _fmt_shape(a) for a in jax.tree.leaves(args) if hasattr(a, "shape")
    )
    out = [
        f"{type(module).__name__} summary",
        rule,
        line(header),
        rule.replace("-", "="),
        *(line(b) for b in body),
        rule,
        f"Input: {inputs or '--'}",
        f"Total params: {total_params:,} ({_fmt_bytes(total_bytes)})",
        f"Non-trainable state (BatchStat, ...): {total_other:,}",
        f"Total MACs: {tally.macs:,}",
        f"Total FLOPs: {tally.total():,} (forward; 2 x MACs per layer with bias)",
        rule,
    ]
    return "\n".join(out)
