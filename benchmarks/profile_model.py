"""Where a model's time goes: XLA:CPU's kernels (jax.profiler) and PyTorch's ops.

Profiles one measure of ``benchmarks/models.py`` (same models, inputs and train step)
and prints, per call, the time of each compiled kernel of the jax program: XLA's
fusions by name with their output shape, and a summary by kind (``ynn``: YNNPACK
library fusions, i.e. dots and the convs it takes; ``conv``: XLA's own convolution;
``loop``: XLA's elementwise/reduction loops, where convjax's depthwise kernels run;
``other``) and ``unattributed``: the call's untraced wall time minus the traced
kernels, mostly XLA's own convolutions, which run asynchronously on the thread pool
so that the trace shows only their launch. With ``--torch-python`` the torchvision model runs under
``torch.profiler`` and its ops are listed by self CPU time.

Usage::

    python benchmarks/profile_model.py convnext_tiny [--measure infer|train]
        [--batch 32] [--impl auto|xla] [--top 20] [--torch-python PATH]
"""

import argparse
import collections
import contextlib
import glob
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(_HERE), _HERE]

import models  # noqa: E402  (benchmarks/models.py)

CALLS = 3


def _kind(name, line):
    if name.startswith("ynn_fusion") or "__ynn_fusion" in line:
        return "ynn"
    if "convolution" in name or "convolution(" in line:
        return "conv"
    if "fusion" in name or "kind=kLoop" in line or "kind=kInput" in line:
        return "loop"
    return "other"


def run_jax(args):
    import jax

    from convjax._src import dispatch

    index = {"infer": 1, "train": 2}[args.measure]
    fn, fargs = models._jax_functions(args.model, args.batch)[index]
    forced = args.impl != "auto"
    with (
        dispatch.force_implementation(args.impl) if forced else contextlib.nullcontext()
    ):
        compiled = jax.jit(fn).lower(*fargs).compile()
    hlo = compiled.as_text()
    lines = {}
    for line in hlo.splitlines():
        m = re.match(r"\s*(?:ROOT )?%?([\w.\-]+) = (.*)", line)
        if m:
            lines[m.group(1)] = m.group(2)
    bodies = {}  # a fusion's name -> its fused computation's text
    for name, line in lines.items():
        m = re.search(r"calls=%([\w.\-]+)", line)
        if m and m.group(1) + " " in hlo:
            start = hlo.index(m.group(1) + " ")
            bodies[name] = hlo[start : hlo.index("\n}\n", start)]
    walls = []
    for _ in range(2 + CALLS):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(*fargs))
        walls.append((time.perf_counter() - t0) * 1e3)
    wall = statistics.median(walls[2:])
    with tempfile.TemporaryDirectory() as tmp:
        with jax.profiler.trace(tmp):
            for _ in range(CALLS):
                jax.block_until_ready(compiled(*fargs))
        path = glob.glob(f"{tmp}/**/*.trace.json.gz", recursive=True)[0]
        events = json.load(gzip.open(path))["traceEvents"]
    per_op = collections.Counter()
    for e in events:
        if e.get("ph") == "X" and e.get("name") in lines:
            per_op[e["name"]] += e["dur"] / 1e3 / CALLS  # ms per call
    kinds = collections.Counter()
    for name, ms in per_op.items():
        kinds[_kind(name, lines[name] + bodies.get(name, ""))] += ms
    kinds["unattributed"] = max(wall - sum(per_op.values()), 0.0)
    print(
        f"jax {args.model} {args.measure} b{args.batch} impl={args.impl}: "
        f"{wall:.0f} ms per call (untraced), by kind: "
        + ", ".join(f"{k} {v:.0f}" for k, v in kinds.most_common())
    )
    for name, ms in per_op.most_common(args.top):
        shape = lines[name].split(" ")[0]
        kind = _kind(name, lines[name] + bodies.get(name, ""))
        print(f"{ms:9.1f} ms  {kind:5s} {name:32s} {shape}")


def run_torch(args):
    import torch
    import torchvision
    from torch.profiler import ProfilerActivity, profile

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.model)(weights=None)
    x, y = (torch.from_numpy(a) for a in models._inputs(args.batch))
    opt = torch.optim.SGD(model.parameters(), lr=models.LR, momentum=models.MOMENTUM)

    def call():
        if args.measure == "infer":
            model.eval()
            with torch.inference_mode():
                model(x)
            return
        model.train()
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(2):
        call()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(CALLS):
            call()
    stats = sorted(
        prof.key_averages(), key=lambda s: s.self_cpu_time_total, reverse=True
    )
    total = sum(s.self_cpu_time_total for s in stats) / 1e3 / CALLS
    print(f"torch {args.model} {args.measure} b{args.batch}: {total:.0f} ms per call")
    for s in stats[: args.top]:
        print(f"{s.self_cpu_time_total / 1e3 / CALLS:9.1f} ms  {s.key}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=models.MODELS)
    parser.add_argument("--measure", choices=("infer", "train"), default="infer")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--impl", default="auto")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--torch-python", default="")
    parser.add_argument("--torch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch:
        run_torch(args)
        return
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    run_jax(args)
    if args.torch_python:
        cmd = [args.torch_python, __file__, args.model, "--torch"]
        cmd += [
            f"--measure={args.measure}",
            f"--batch={args.batch}",
            f"--top={args.top}",
        ]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
