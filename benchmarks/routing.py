"""XLA:CPU's convolution routing: the same convolutions compiled with each routing option.

jax 0.10.2's XLA:CPU hands convolutions and dots to its YNNPACK library fusion by
default (the optimized HLO holds ``__ynn_fusion``). ``xla_cpu_experimental_ynn_fusion_type``
picks which ops that fusion takes; the other library options (XNNPACK, oneDNN) do
not take convolutions in this build (``--hlo`` prints the fusions each variant
compiles to). For each case of ``benchmarks/conv.py`` (forward and forward+backward,
``impl="xla"`` and ``impl="auto"`` where auto picks another kernel), every variant
is compiled with ``jax.jit(..., compiler_options=...)`` and all are timed in
interleaved rounds. The table gives GFLOP/s, the ratio to the default routing, and
the CPU time / wall time of the process during the call (about the number of busy
threads: 1.0 means one core did the work).

Pin to one core with ``taskset -c 0 python benchmarks/routing.py`` to test whether a
routing's advantage comes from threading.

Usage::

    python benchmarks/routing.py [--rounds 7] [--cases "dense;pointwise"]
        [--variants "default;ynn=dot;ynn=individual_dot"] [--hlo]
"""

import argparse
import os
import re
import sys

# This checkout's convjax first (not an installed copy), then the sibling scripts.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(_HERE), _HERE]

from _timing import interleaved  # noqa: E402
from conv import CASES, _fmt, geometry  # noqa: E402

_YNN = "xla_cpu_experimental_ynn_fusion_type"
# name: compiler_options
VARIANTS = {
    "default": {},
    # The lead of PERF_NOTES: YNNPACK takes dot fusions only; convs go to XLA's own.
    "ynn=dot": {_YNN: "LIBRARY_FUSION_TYPE_DOT"},
    # jax 0.10's default list (single dots, reductions, convolutions) without
    # convolutions, which go to XLA's own: what convjax.cpu_compiler_options() returns.
    "convs-out": {
        _YNN: "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_REDUCE"
    },
    # YNNPACK keeps single dots only.
    "ynn=individual_dot": {_YNN: "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"},
    # YNNPACK keeps convolutions, dots go to XLA's own.
    "ynn=individual_conv": {_YNN: "LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION"},
    # Convs out of YNNPACK, offered to oneDNN / XNNPACK (neither takes them here).
    "onednn": {_YNN: "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT", "xla_cpu_use_onednn": True},
    "xnn=conv": {
        _YNN: "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT",
        "xla_cpu_experimental_xnn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION",
    },
}
DEFAULT_VARIANTS = "default;convs-out;ynn=dot"
# The 2d forward convolutions of conv.py (transposed ones reach the same kernels).
DEFAULT_CASES = ";".join(
    n for n in CASES if not n.startswith(("conv1d", "conv3d", "transposed"))
)


def _fusions(compiled):
    text = compiled.as_text()
    found = sorted(set(re.findall(r"__(\w+?)_fusion", text)))
    if re.search(r"onednn", text):
        found.append("onednn")
    return "+".join(found) or "xla"


def run(names, variants, rounds, hlo):
    import jax
    import jax.numpy as jnp
    import numpy as np

    import convjax.functional as F
    from convjax._src import dispatch

    rows = []
    for name in names:
        kind, *_, kw = CASES[name]
        xs, ws, ys, flops = geometry(CASES[name])
        d = len(xs) - 2
        fn = getattr(F, f"conv{d}d" if kind == "conv" else f"conv_transpose{d}d")
        rng = np.random.default_rng(0)
        x = jnp.asarray(rng.standard_normal(xs, dtype=np.float32))
        w = jnp.asarray(rng.standard_normal(ws, dtype=np.float32))
        ct = jnp.asarray(rng.standard_normal(ys, dtype=np.float32))
        spec_impl = []
        orig = dispatch.choose

        def spy(impl, spec, fn_name, _orig=orig, _out=spec_impl):
            chosen = _orig(impl, spec, fn_name)
            _out.append(chosen.name)
            return chosen

        dispatch.choose = spy
        try:
            jax.eval_shape(lambda x, w, fn=fn, kw=kw: fn(x, w, **kw), x, w)
        finally:
            dispatch.choose = orig
        impls = ["xla"] if spec_impl[0] == "xla" else ["xla", "auto"]
        keys, fns = [], []
        for impl in impls:

            def f(x, w, impl=impl, fn=fn, kw=kw):
                return fn(x, w, **kw, impl=impl)

            def g(x, w, ct, f=f):
                y, vjp = jax.vjp(f, x, w)
                return y, vjp(ct)

            for pass_, h, args in (("fwd", f, (x, w)), ("fwd+bwd", g, (x, w, ct))):
                for v in variants:
                    try:
                        compiled = jax.jit(h, compiler_options=VARIANTS[v])
                        compiled = compiled.lower(*args).compile()
                    except Exception as e:  # noqa: BLE001 (an option this jaxlib lacks)
                        print(f"{v}: {str(e)[:200]}", file=sys.stderr)
                        continue
                    keys.append((impl, pass_, v, _fusions(compiled) if hlo else ""))
                    fns.append(lambda c=compiled, a=args: jax.block_until_ready(c(*a)))
        _, walls, cpus = interleaved(fns, rounds)
        base = {}
        for (impl, pass_, v, fus), t, c in zip(keys, walls, cpus, strict=True):
            gf = (flops if pass_ == "fwd" else 3 * flops) / t / 1e9
            base.setdefault((impl, pass_), gf)
            label = impl if impl == "xla" else f"auto ({spec_impl[0]})"
            rows.append((name, label, pass_, v, fus, gf, gf / base[(impl, pass_)], c))
        print(f"... {name}", file=sys.stderr, flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--cases", default=DEFAULT_CASES, help="';'-separated substrings"
    )
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help="';'-separated")
    parser.add_argument("--hlo", action="store_true", help="name the fusions compiled")
    args = parser.parse_args()
    wanted = [c.strip() for c in args.cases.split(";")]
    names = [n for n in CASES if n in wanted or any(c in n for c in wanted if c)]
    variants = [v.strip() for v in args.variants.split(";")]
    for v in variants:
        if v not in VARIANTS:
            parser.error(f"unknown variant {v!r}; known: {', '.join(VARIANTS)}")
    rows = run(names, variants, max(args.rounds, 3), args.hlo)
    import jax

    cpus = len(os.sched_getaffinity(0))
    print(
        f"\nGFLOP/s (median of {args.rounds} interleaved rounds), ratio to `default`, "
        f"CPU/wall; float32, batch 8; jax {jax.__version__}; {cpus} CPUs usable.\n"
    )
    hdr = "| case | impl | pass | routing |" + (" fusions |" if args.hlo else "")
    print(hdr + " GFLOP/s | vs default | CPU/wall |")
    print("|---" * (hdr.count("|") + 2) + "|")
    for name, impl, pass_, v, fus, gf, ratio, c in rows:
        f = f" {fus} |" if args.hlo else ""
        print(
            f"| {name} | {impl} | {pass_} | {v} |{f} {_fmt(gf)} | {ratio:.2f}x | {c:.2f} |"
        )


if __name__ == "__main__":
    main()
