"""Pairwise IoU / GIoU / DIoU / CIoU: convjax under ``jax.jit`` vs torchvision.ops.

Every measurement runs in its own subprocess (``--worker``), so that

- the peak memory of one configuration is not polluted by another: the worker's
  peak RSS during the timed calls (the kernel's mark is reset after the warm-up, so
  the compiler's transient peak does not count) minus its RSS before the first
  call, with the inputs already built. The ``(N, M)`` float32 output alone is
  ``4 N M`` bytes: 15 MiB at 2,000, 381 MiB at 10,000. For convjax the table also
  gives XLA's own accounting of the compiled call (output + temporary buffers), the
  memory the computation needs apart from process overheads such as compiled code;
- jax and torch never share a process or a virtual environment: the convjax worker
  runs with ``--jax-python`` (default: this interpreter), the torchvision worker with
  ``--torch-python`` (default: this interpreter if it has torchvision, else
  ``$TORCHVISION_PYTHON``; otherwise the column reads n/a).

This driver imports neither library, so it runs from either environment::

    python benchmarks/boxes.py                 # N = M = 2000 and 10000
    python benchmarks/boxes.py --sizes 2000 --repeats 7

Timings are medians of ``--repeats`` (>= 5; more for fast calls, about one second
of them) calls after two warm-up calls (the first compiles the jit), with
``jax.block_until_ready``. The machine is shared and noisy: read the ratios,
measured in the same run. "CPU-time speedup" compares the median process CPU time
per call (all threads), which a loaded machine disturbs much less than wall time.
"""

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

VARIANTS = ("box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou")
ROOT = pathlib.Path(__file__).resolve().parents[1]


def make_boxes(n, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    wh = rng.uniform(1, 100, (n, 2))
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def current_rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss():
    """Resets the kernel's peak-RSS mark (Linux >= 4.0); False if not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def worker(lib, name, n, repeats):
    """Times one function in this process; prints a JSON line."""
    b1, b2 = make_boxes(n, 0), make_boxes(n, 1)
    if lib == "jax":
        import jax

        sys.path.insert(0, str(ROOT))
        from convjax import boxes

        fn = jax.jit(getattr(boxes, name))
        a, b = jax.device_put(b1), jax.device_put(b2)
        stats = fn.lower(a, b).compile().memory_analysis()
        xla_mib = (stats.output_size_in_bytes + stats.temp_size_in_bytes) / 2**20

        def call():
            return jax.block_until_ready(fn(a, b))
    else:
        import torch
        from torchvision import ops

        fn = getattr(ops, name)
        a, b = torch.from_numpy(b1), torch.from_numpy(b2)
        xla_mib = None

        def call():
            with torch.no_grad():
                return fn(a, b)

    base = current_rss()
    out = call()  # warm-up (and compilation for jit)
    del out
    t0 = time.perf_counter()
    out = call()  # a second warm-up, which also sizes the number of repeats
    del out
    # At least `repeats` calls and about one second of them (fast calls are noisy).
    repeats = max(repeats, min(101, int(1.0 / max(time.perf_counter() - t0, 1e-4))))
    reset_peak_rss()  # the peak of the timed calls, not of the compiler
    times, cpu_times = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = call()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        del out
    peak = peak_rss()
    print(
        json.dumps(
            {
                "ms": 1e3 * statistics.median(times),
                "cpu_ms": 1e3 * statistics.median(cpu_times),
                "repeats": repeats,
                "peak_mib": max(peak - base, 0) / 2**20,
                "xla_mib": xla_mib,
            }
        )
    )


def has_torchvision(python):
    code = "import torch, torchvision"
    try:
        return subprocess.run([python, "-c", code], capture_output=True).returncode == 0
    except OSError:
        return False


def default_torch_python():
    if has_torchvision(sys.executable):
        return sys.executable
    tv = os.environ.get("TORCHVISION_PYTHON", "")
    return tv if tv and has_torchvision(tv) else None


def run_worker(python, lib, name, n, repeats):
    cmd = [python, __file__, "--worker", lib, "--fn", name, "--n", str(n)]
    cmd += ["--repeats", str(repeats)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        print(f"{lib} {name} {n} failed:\n{res.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jax-python", default=sys.executable)
    parser.add_argument("--torch-python", default=None)
    parser.add_argument("--worker", choices=("jax", "torch"))
    parser.add_argument("--fn", choices=VARIANTS)
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.fn, args.n, args.repeats)
    if args.repeats < 5:
        parser.error("--repeats must be >= 5 (median of at least 5 runs)")
    torch_python = args.torch_python or default_torch_python()

    rows = []
    for n in args.sizes:
        for name in VARIANTS:
            jx = run_worker(args.jax_python, "jax", name, n, args.repeats)
            tv = None
            if torch_python:
                tv = run_worker(torch_python, "torch", name, n, args.repeats)
            rows.append((name, n, jx, tv))
            print(f"done {name} {n}: jax {jx} torchvision {tv}", file=sys.stderr)

    def fmt(r, key, spec):
        return "n/a" if r is None else format(r[key], spec)

    print(
        "| function | N = M | torchvision ms | convjax jit ms | speedup | "
        "CPU-time speedup | torchvision peak MiB | convjax jit peak MiB | "
        "XLA output+temp MiB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, n, jx, tv in rows:
        both = jx is not None and tv is not None
        speed = f"{tv['ms'] / jx['ms']:.1f}x" if both else "n/a"
        cpu = f"{tv['cpu_ms'] / jx['cpu_ms']:.1f}x" if both else "n/a"
        print(
            f"| `{name}` | {n:,} | {fmt(tv, 'ms', '.1f')} | {fmt(jx, 'ms', '.2f')} | "
            f"{speed} | {cpu} | {fmt(tv, 'peak_mib', '.0f')} | "
            f"{fmt(jx, 'peak_mib', '.0f')} | {fmt(jx, 'xla_mib', '.0f')} |"
        )


if __name__ == "__main__":
    main()
