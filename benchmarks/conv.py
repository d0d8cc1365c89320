"""Convolution throughput on CPU: convjax ``impl="auto"`` vs lax vs flax vs PyTorch.

Prints a Markdown table of GFLOP/s (``2 * MACs / time``; forward+backward counts
three times the forward MACs: output, input gradient and weight gradient) for the
cases of issue 3, with the ratios of ``auto`` to lax and to PyTorch, and the
machine's GEMM GFLOP/s (2048^3 float32 matmul) as the ceiling.

* ``lax`` is ``impl="xla"``: ``lax.conv_general_dilated`` with PyTorch's layout
  (NCHW/OIHW; a transposed conv is the same stride-1 conv with ``lhs_dilation``).
* ``flax`` is ``flax.nnx.Conv`` / ``nnx.ConvTranspose`` in its own NHWC layout
  (``-`` where flax has no equivalent: grouped and depthwise transposed convs).
* ``torch`` is ``torch.nn.functional.conv*d`` / ``conv_transpose*d`` on CPU, run in
  a subprocess with ``--torch-python`` (default: ``$TORCH_PYTHON``; the column
  reads ``-`` without one; the script also runs under a torch-only interpreter with
  ``--torch-json``, which prints its timings as JSON).

Every timing is the median of ``--reps`` (default 7, at least 5) runs after a
compiling call and one or two warm-up calls (one when a call takes over a second:
lax's depthwise backward), ``jax.block_until_ready`` on every output. The jax
columns of a case are timed in interleaved rounds (auto, lax, flax, auto, ...), so
that their ratios see the same machine load; ``impl`` names the implementation
``auto`` picked (``subpixel>grouped``: the phase convs of a sub-pixel transposed
conv ran grouped). Float32, batch 8 unless noted.

Usage::

    python benchmarks/conv.py [--reps 7] [--cases "depthwise;grouped"] [--no-torch]
"""

import argparse
import functools
import json
import math
import os
import statistics
import subprocess
import sys
import time

# An interpreter with PyTorch installed (torch never shares a process with jax here).
DEFAULT_TORCH = os.environ.get("TORCH_PYTHON", "")

# name: (kind, N, C_in, C_out, spatial, kernel, keyword arguments)
# kind "conv" uses conv{n}d(x (N, C_in, *S), w (C_out, C_in/G, *K), **kw);
# kind "transpose" uses conv_transpose{n}d(x, w (C_in, C_out/G, *K), **kw).
CASES = {
    "dense 3x3, 64->64, 56x56": ("conv", 8, 64, 64, (56, 56), (3, 3), dict(padding=1)),
    "stem 7x7 s2, 3->64, 224x224": (
        "conv",
        8,
        3,
        64,
        (224, 224),
        (7, 7),
        dict(stride=2, padding=3),
    ),
    "dilated 3x3 d2, 64->64, 56x56": (
        "conv",
        8,
        64,
        64,
        (56, 56),
        (3, 3),
        dict(padding=2, dilation=2),
    ),
    "grouped 3x3 g8, 128->128, 28x28": (
        "conv",
        8,
        128,
        128,
        (28, 28),
        (3, 3),
        dict(padding=1, groups=8),
    ),
    "depthwise 3x3, 256ch, 28x28": (
        "conv",
        8,
        256,
        256,
        (28, 28),
        (3, 3),
        dict(padding=1, groups=256),
    ),
    "depthwise 5x5 s2, 96ch, 56x56": (
        "conv",
        8,
        96,
        96,
        (56, 56),
        (5, 5),
        dict(stride=2, padding=2, groups=96),
    ),
    "pointwise 1x1, 256->256, 28x28": ("conv", 8, 256, 256, (28, 28), (1, 1), {}),
    "conv1d depthwise k7, 256ch, L=512": (
        "conv",
        8,
        256,
        256,
        (512,),
        (7,),
        dict(padding=3, groups=256),
    ),
    "conv3d depthwise 3x3x3, 32ch, 8x16x16 (N=4)": (
        "conv",
        4,
        32,
        32,
        (8, 16, 16),
        (3, 3, 3),
        dict(padding=1, groups=32),
    ),
    "transposed 4x4 s2, 64->64, 28->56": (
        "transpose",
        8,
        64,
        64,
        (28, 28),
        (4, 4),
        dict(stride=2, padding=1),
    ),
    "transposed grouped 4x4 s2 g8, 128->128, 28->56": (
        "transpose",
        8,
        128,
        128,
        (28, 28),
        (4, 4),
        dict(stride=2, padding=1, groups=8),
    ),
    "transposed depthwise 4x4 s2, 128ch, 14->28": (
        "transpose",
        8,
        128,
        128,
        (14, 14),
        (4, 4),
        dict(stride=2, padding=1, groups=128),
    ),
}


def _ntuple(v, n):
    return tuple(v) if isinstance(v, tuple | list) else (v,) * n


def geometry(case):
    """Shapes and the useful MACs of one case (no inserted zeros counted)."""
    kind, n, cin, cout, spatial, kernel, kw = case
    d = len(spatial)
    groups = kw.get("groups", 1)
    s = _ntuple(kw.get("stride", 1), d)
    p = _ntuple(kw.get("padding", 0), d)
    dil = _ntuple(kw.get("dilation", 1), d)
    if kind == "conv":
        out = tuple(
            (i + 2 * pp - dd * (k - 1) - 1) // ss + 1
            for i, pp, dd, k, ss in zip(spatial, p, dil, kernel, s, strict=True)
        )
        wshape = (cout, cin // groups, *kernel)
        macs = n * cout * math.prod(out) * (cin // groups) * math.prod(kernel)
    else:
        out = tuple(
            (i - 1) * ss - 2 * pp + dd * (k - 1) + 1
            for i, pp, dd, k, ss in zip(spatial, p, dil, kernel, s, strict=True)
        )
        wshape = (cin, cout // groups, *kernel)
        macs = n * cin * math.prod(spatial) * (cout // groups) * math.prod(kernel)
    return (n, cin, *spatial), wshape, (n, cout, *out), 2 * macs


def _warm(fn):
    fn()  # compiles
    t0 = time.perf_counter()
    fn()  # warm-up
    if time.perf_counter() - t0 < 1.0:
        fn()


def _median_times(fns, reps):
    """Medians of ``reps`` timed rounds; each round calls every ``fn`` once, in turn.

    Interleaving puts every contender of a case under the same machine load, so
    their ratios hold even when the absolute times drift (shared machines).
    """
    for fn in fns:
        _warm(fn)
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, ts in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def _median_time(fn, reps):
    return _median_times([fn], reps)[0]


# --------------------------------------------------------------------------- torch


def run_torch(names, reps):
    import numpy as np
    import torch
    import torch.nn.functional as tf

    results = {"version": torch.__version__, "threads": torch.get_num_threads()}
    a = torch.randn(2048, 2048)
    results["gemm"] = 2 * 2048**3 / _median_time(lambda: a @ a, reps) / 1e9
    for name in names:
        kind, *_, kw = CASES[name]
        xs, ws, ys, flops = geometry(CASES[name])
        d = len(xs) - 2
        fn = getattr(tf, f"conv{d}d" if kind == "conv" else f"conv_transpose{d}d")
        rng = np.random.default_rng(0)
        x = torch.from_numpy(rng.standard_normal(xs, dtype=np.float32))
        w = torch.from_numpy(rng.standard_normal(ws, dtype=np.float32))
        ct = torch.from_numpy(rng.standard_normal(ys, dtype=np.float32))
        xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

        def fwd(fn=fn, x=x, w=w, kw=kw):
            with torch.no_grad():
                fn(x, w, **kw)

        def fwd_bwd(fn=fn, xg=xg, wg=wg, ct=ct, kw=kw):
            xg.grad = wg.grad = None
            fn(xg, wg, **kw).backward(ct)

        results[name] = (
            flops / _median_time(fwd, reps) / 1e9,
            3 * flops / _median_time(fwd_bwd, reps) / 1e9,
        )
    return results


# --------------------------------------------------------------------------- jax


def run_jax(names, reps):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from flax import nnx

    import convjax.functional as F
    from convjax._src import dispatch

    picked = []
    choose = dispatch.choose

    def spy(impl, spec, fn):
        chosen = choose(impl, spec, fn)
        picked.append(chosen.name)
        return chosen

    def call(f, *args):
        f = jax.jit(f)
        return lambda: jax.block_until_ready(f(*args))

    def fwd_bwd(f):
        def g(x, w, ct):
            y, vjp = jax.vjp(f, x, w)
            return y, vjp(ct)

        return g

    a = jnp.asarray(np.random.default_rng(0).standard_normal((2048, 2048)), "float32")
    results = {"gemm": 2 * 2048**3 / _median_time(call(lambda a: a @ a, a), reps) / 1e9}
    for name in names:
        kind, n, cin, cout, spatial, kernel, kw = CASES[name]
        xs, ws, ys, flops = geometry(CASES[name])
        d = len(spatial)
        fn = getattr(F, f"conv{d}d" if kind == "conv" else f"conv_transpose{d}d")
        rng = np.random.default_rng(0)
        x = jnp.asarray(rng.standard_normal(xs, dtype=np.float32))
        w = jnp.asarray(rng.standard_normal(ws, dtype=np.float32))
        ct = jnp.asarray(rng.standard_normal(ys, dtype=np.float32))
        row, calls = {}, {}
        for impl in ("auto", "xla"):

            def f(x, w, impl=impl, fn=fn, kw=kw):
                return fn(x, w, **kw, impl=impl)

            calls[impl] = (call(f, x, w), call(fwd_bwd(f), x, w, ct))
        dispatch.choose = spy
        picked.clear()
        jax.eval_shape(functools.partial(fn, **kw), x, w)
        dispatch.choose = choose
        inner = [p for p in dict.fromkeys(picked[1:]) if p != picked[0]]
        row["impl"] = picked[0] + "".join(f">{p}" for p in inner)
        flax = _flax_calls(nnx, jnp, kind, cin, cout, d, kernel, kw, x, ct)
        if flax is not None:
            calls["flax"] = flax
        fns = [c for pair in calls.values() for c in pair]
        times = iter(_median_times(fns, reps))
        for key in calls:
            row[key] = (flops / next(times) / 1e9, 3 * flops / next(times) / 1e9)
        row.setdefault("flax", None)
        results[name] = row
    return results


def _flax_calls(nnx, jnp, kind, cin, cout, d, kernel, kw, x, ct):
    """flax.nnx.Conv/ConvTranspose in NHWC, PyTorch's geometry: (forward, forward+backward)
    callables, or None where flax has no equivalent."""
    import jax

    groups = kw.get("groups", 1)
    s = _ntuple(kw.get("stride", 1), d)
    p = _ntuple(kw.get("padding", 0), d)
    dil = _ntuple(kw.get("dilation", 1), d)
    rngs = nnx.Rngs(0)
    if kind == "conv":
        model = nnx.Conv(
            cin,
            cout,
            kernel,
            strides=s,
            padding=[(q, q) for q in p],
            kernel_dilation=dil,
            feature_group_count=groups,
            use_bias=False,
            rngs=rngs,
        )
    elif groups == 1:
        pads = [
            (dd * (k - 1) - q,) * 2 for dd, k, q in zip(dil, kernel, p, strict=True)
        ]
        model = nnx.ConvTranspose(
            cin,
            cout,
            kernel,
            strides=s,
            padding=pads,
            kernel_dilation=dil,
            use_bias=False,
            transpose_kernel=True,
            rngs=rngs,
        )
    else:
        return None
    graphdef, state = nnx.split(model)
    xl = jnp.moveaxis(x, 1, -1)
    ctl = jnp.moveaxis(ct, 1, -1)

    def f(xl, state):
        return nnx.merge(graphdef, state)(xl)

    def g(xl, state, ctl):
        y, vjp = jax.vjp(f, xl, state)
        return y, vjp(ctl)

    def call(h, *args):
        h = jax.jit(h)
        return lambda: jax.block_until_ready(h(*args))

    return call(f, xl, state), call(g, xl, state, ctl)


def _fmt(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 10 else f"{v:.2g}")


def _pair(p):
    return "- / -" if p is None else f"{_fmt(p[0])} / {_fmt(p[1])}"


def _ratio(a, b):
    if a is None or b is None:
        return "-"
    return f"{_fmt(a[0] / b[0])}x / {_fmt(a[1] / b[1])}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--cases", default="", help="';'-separated substrings")
    parser.add_argument("--torch-python", default=DEFAULT_TORCH)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--torch-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    reps = max(args.reps, 5)
    names = [
        n
        for n in CASES
        if not args.cases or any(c.strip() in n for c in args.cases.split(";"))
    ]
    if args.torch_json:
        print(json.dumps(run_torch(names, reps)))
        return
    torch = None
    if not args.no_torch and os.path.exists(args.torch_python):
        cmd = [args.torch_python, __file__, "--torch-json", f"--reps={reps}"]
        cmd.append(f"--cases={';'.join(names)}")
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode == 0:
            torch = json.loads(out.stdout.strip().splitlines()[-1])
        else:
            print(f"torch run failed: {out.stderr[-500:]}", file=sys.stderr)
    results = run_jax(names, reps)
    import jax

    print(
        f"GFLOP/s, forward / forward+backward, float32, median of {reps}; "
        f"jax {jax.__version__}"
        + (f", torch {torch['version']} ({torch['threads']} threads)" if torch else "")
        + f"; {os.cpu_count()} CPUs.\n"
    )
    print(
        "| case | auto (impl) | lax | flax.nnx | torch | auto/lax | auto/torch |\n"
        "|---|---|---|---|---|---|---|"
    )
    for name in names:
        row = results[name]
        tt = tuple(torch[name]) if torch else None
        print(
            f"| {name} | {_pair(row['auto'])} ({row['impl']}) | {_pair(row['xla'])} "
            f"| {_pair(row['flax'])} | {_pair(tt)} | {_ratio(row['auto'], row['xla'])} "
            f"| {_ratio(row['auto'], tt)} |"
        )
    gemm_t = f", torch {torch['gemm']:.0f}" if torch else ""
    print(f"\nGEMM ceiling (2048^3 matmul): jax {results['gemm']:.0f}{gemm_t} GFLOP/s.")


if __name__ == "__main__":
    main()
