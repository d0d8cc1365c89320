"""Elementwise passes on fresh buffers: what page faults and one XLA fusion cost.

Two measurements behind the README's model notes, on a (32, 96, 112, 112) float32
array (efficientnet_b0's widest depthwise input at batch 32):

* ``relu`` / ``silu``: one elementwise pass into a fresh output, in jax (jit) and,
  with ``--torch-python``, in torch eager. Run it once plainly and once with
  ``MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=4000000000
  MALLOC_TRIM_THRESHOLD_=8000000000`` (or ``LD_PRELOAD=libtcmalloc_minimal.so.4``):
  glibc's ``malloc`` serves large blocks by ``mmap``, so a fresh buffer faults on
  every page it writes, and the pass is bound by that, not by the arithmetic.
* ``bn+silu+pad`` (jax only): BatchNorm's affine and SiLU, then the zero padding a
  3x3 depthwise conv reads, as XLA fuses them (one loop over the padded output);
  ``... apart`` gives the activation a second consumer, so that XLA writes it in its
  own loop and the pad copies it; ``bn+silu`` and ``pad`` alone for scale.

Usage::

    python benchmarks/alloc.py [--rounds 7] [--torch-python PATH]
"""

import argparse
import os
import subprocess
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(_HERE), _HERE]

from _timing import interleaved  # noqa: E402

SHAPE = (32, 96, 112, 112)
DEFAULT_TORCH = os.environ.get("TORCH_PYTHON", os.environ.get("TORCHVISION_PYTHON", ""))


def _ms(t):
    return f"{t * 1e3:.1f}"


def run_torch(rounds):
    import torch

    torch.set_num_threads(len(os.sched_getaffinity(0)))
    x = torch.randn(SHAPE)
    cases = {"relu": torch.relu, "silu": torch.nn.functional.silu}
    _, times, _ = interleaved([lambda f=f: f(x) for f in cases.values()], rounds)
    for name, t in zip(cases, times, strict=True):
        print(f"torch {name} {_ms(t)}")


def run_jax(rounds):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal(SHAPE, np.float32))
    scale = jnp.asarray(rng.standard_normal((SHAPE[1], 1, 1), np.float32))
    pads = [(0, 0, 0), (0, 0, 0), (1, 1, 0), (1, 1, 0)]

    def act(x):
        return jax.nn.silu(x * scale + scale)

    def apart(x):
        y = act(x)
        return lax.pad(y, 0.0, pads), y[:, :, :1, :1].sum()

    cases = {
        "relu": jax.nn.relu,
        "silu": jax.nn.silu,
        "bn+silu": act,
        "pad": lambda x: lax.pad(x, 0.0, pads),
        "bn+silu+pad (one fusion)": lambda x: lax.pad(act(x), 0.0, pads),
        "bn+silu+pad (apart)": apart,
    }
    fused, split = (jax.jit(cases[k])(x) for k in list(cases)[-2:])
    np.testing.assert_array_equal(np.asarray(fused), np.asarray(split[0]))
    calls = []
    for f in cases.values():
        compiled = jax.jit(f).lower(x).compile()
        calls.append(lambda c=compiled: jax.block_until_ready(c(x)))
    _, times, _ = interleaved(calls, rounds)
    for name, t in zip(cases, times, strict=True):
        print(f"jax {name} {_ms(t)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--torch-python", default=DEFAULT_TORCH)
    parser.add_argument("--torch", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.torch:
        run_torch(args.rounds)
        return
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    env = {k: v for k, v in os.environ.items() if k.startswith(("MALLOC_", "LD_PRE"))}
    print(
        f"{SHAPE} float32, ms, median of {args.rounds}; environment: {env or 'default'}"
    )
    run_jax(args.rounds)
    if args.torch_python and os.path.exists(args.torch_python):
        cmd = [args.torch_python, __file__, "--torch", f"--rounds={args.rounds}"]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
