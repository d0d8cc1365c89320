"""Data-parallel training with ``nn.SyncBatchNorm`` equals training on one device.

    python examples/sync_batch_norm.py          # 4 simulated CPU devices, 60 steps
    python examples/sync_batch_norm.py --fast   # 5 steps, for CI
    python examples/sync_batch_norm.py --dtype float32

JAX can split the host CPU into several devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=4``, set below before jax is
imported), so data parallelism runs on a laptop. The same small CNN is trained
three ways, from the same initial weights, on the same global batches of
scikit-learn's digits:

1. one device, ``nn.BatchNorm2d`` over the whole batch (the reference);
2. ``jax.shard_map`` over 4 devices, each holding a quarter of the batch, with
   ``nn.SyncBatchNorm(axis_name="batch")``: statistics are reduced over devices, so
   every step -- loss, gradients, running statistics -- matches (1) to round-off;
3. the same 4 devices with plain ``nn.BatchNorm2d``: each device normalizes with
   its own quarter-batch statistics (running statistics taken from device 0, like
   PyTorch DDP's ``broadcast_buffers``), and training drifts away from (1).

Gradients of the replicated parameters come out of ``shard_map`` already summed
over devices (the loss is the global mean), so no explicit all-reduce is written.
It prints a per-step table and saves ``sync_batch_norm.png`` in ``--out``.

The comparison runs in float64 by default, where (2) equals (1) to about 1e-15
after 60 steps. In float32 (``--dtype float32``) the two runs sum the same numbers
in different orders, so they differ by round-off (about 3e-7 in the parameters);
that is all until a pre-ReLU activation lies within round-off of 0 (step 42 of the
default run, 1.5e-8): its sign, and so its ReLU gradient, then differs between the
runs, and training, being chaotic, carries the two trajectories apart (about 1e-2
after 60 steps) like two float32 runs of any model whose sums are reordered. One
step from the same parameters still agrees to round-off whenever no such tie
occurs, and the float64 run shows that nothing but round-off is involved.
"""

import os

_DEVICES = 4
if "--xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_force_host_platform_device_count={_DEVICES}"
    ).strip()

import argparse  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from flax import nnx  # noqa: E402
from jax.sharding import Mesh  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import convjax.functional as F  # noqa: E402
from convjax import nn  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def make_model(norm: str, rngs: nnx.Rngs):
    def bn(c):
        if norm == "sync":
            return nn.SyncBatchNorm(c, axis_name="batch")
        return nn.BatchNorm2d(c)

    return nnx.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rngs=rngs),
        bn(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1, rngs=rngs),
        bn(32),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10, rngs=rngs),
    )


def make_step(graphdef, tx, global_batch, mesh=None, synced=True):
    """One optimizer step; ``mesh`` splits the batch over its ``"batch"`` axis."""

    def grads_fn(params, rest, x, y):
        model = nnx.merge(graphdef, params, rest)

        def loss_fn(model):
            total = F.cross_entropy(model(x), y, reduction="sum")
            if mesh is not None:
                total = jax.lax.psum(total, "batch")  # the global batch's loss
            return total / global_batch

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        _, _, rest = nnx.split(model, nnx.Param, ...)
        if mesh is not None and not synced:  # per-device stats: keep device 0's
            rest = jax.tree.map(lambda v: v[None], rest)
        return loss, grads, rest

    if mesh is not None:
        rest_spec = P() if synced else P("batch")
        grads_fn = jax.shard_map(
            grads_fn,
            mesh=mesh,
            in_specs=(P(), P(), P("batch"), P("batch")),
            out_specs=(P(), P(), rest_spec),
        )

    @jax.jit
    def step(params, rest, opt_state, x, y):
        loss, grads, rest = grads_fn(params, rest, x, y)
        if mesh is not None and not synced:
            rest = jax.tree.map(lambda v: v[0], rest)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), rest, opt_state, loss

    return step


def max_diff(a, b) -> float:
    diffs = jax.tree.map(lambda u, v: jnp.max(jnp.abs(u - v)), a, b)
    return float(max(jax.tree.leaves(diffs)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=64, help="global batch")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--fast", action="store_true", help="5 steps (CI smoke test)")
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="precision of parameters and data (float64: equal to ~1e-15)",
    )
    args = parser.parse_args(argv)
    if args.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = np.dtype(args.dtype)
    from sklearn.datasets import load_digits
    from tqdm import tqdm

    start = time.perf_counter()
    devices = jax.devices()
    if len(devices) < 2 or args.batch_size % len(devices):
        raise SystemExit(f"need >= 2 devices dividing the batch, got {len(devices)}")
    mesh = Mesh(np.array(devices), ("batch",))
    steps = 5 if args.fast else args.steps
    digits = load_digits()
    x_all = (digits.images / 16.0).astype(dtype)[:, None]
    y_all = digits.target.astype(np.int32)
    rng = np.random.default_rng(0)
    batches = [
        rng.choice(len(x_all), args.batch_size, replace=False) for _ in range(steps)
    ]

    tx = optax.sgd(0.1, momentum=0.9)
    runs = {}
    for name, norm, run_mesh in (
        ("1 device, BatchNorm2d", "plain", None),
        (f"{len(devices)} devices, SyncBatchNorm", "sync", mesh),
        (f"{len(devices)} devices, BatchNorm2d (unsynced)", "plain", mesh),
    ):
        model = make_model(norm, nnx.Rngs(0))  # same seed: same initial weights
        graphdef, params, rest = nnx.split(model, nnx.Param, ...)
        params, rest = jax.tree.map(  # floating parameters and statistics in dtype
            lambda a: a.astype(dtype) if jnp.issubdtype(a.dtype, jnp.floating) else a,
            (params, rest),
        )
        step = make_step(graphdef, tx, args.batch_size, run_mesh, synced=norm == "sync")
        opt_state = tx.init(params)
        losses = []
        for idx in tqdm(
            batches,
            desc=name,
            leave=False,
            disable=os.environ.get("TQDM_DISABLE") == "1",
        ):
            params, rest, opt_state, loss = step(
                params, rest, opt_state, x_all[idx], y_all[idx]
            )
            losses.append(float(loss))
        runs[name] = (np.array(losses), params, rest)

    names = list(runs)
    ref_losses, ref_params, ref_rest = runs[names[0]]
    print(
        f"devices: {len(devices)} x {devices[0].platform}, global batch {args.batch_size}, {steps} SGD steps, {args.dtype}"
    )
    print(f"| step | {' | '.join(names)} |")
    print("|---:|" + "---:|" * len(names))
    for s in sorted({0, 1, steps // 2, steps - 1}):
        print(f"| {s} | " + " | ".join(f"{runs[n][0][s]:.6f}" for n in names) + " |")
    print()
    print(
        "| vs. 1 device after training | max abs diff, params | max abs diff, running stats |"
    )
    print("|---|---:|---:|")
    for n in names[1:]:
        _, params, rest = runs[n]
        print(
            f"| {n} | {max_diff(params, ref_params):.2e} | {max_diff(rest, ref_rest):.2e} |"
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    styles = [("-", "C0"), ("--", "C1"), (":", "C3")]
    for n, (ls, color) in zip(names, styles, strict=True):
        ax1.plot(runs[n][0], ls, color=color, lw=2, label=n)
    ax1.set_xlabel("step")
    ax1.set_ylabel("training loss (global batch)")
    ax1.set_title("Loss")
    ax1.legend()
    ax1.grid(alpha=0.3)
    floor = 1e-17 if args.dtype == "float64" else 1e-10
    for n, (ls, color) in zip(names[1:], styles[1:], strict=True):
        ax2.semilogy(
            np.abs(runs[n][0] - ref_losses) + floor, ls, color=color, lw=2, label=n
        )
    ax2.axhline(float(np.finfo(dtype).eps), color="gray", lw=0.8)
    ax2.set_xlabel("step")
    ax2.set_ylabel(f"|loss - loss on 1 device|  (+{floor:.0e})")
    ax2.set_title(f"Difference from single-device training ({args.dtype})")
    ax2.set_ylim(floor / 10, 10)
    ax2.legend(loc="upper left", fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "sync_batch_norm.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    sync_diff = float(np.max(np.abs(runs[names[1]][0] - ref_losses)))
    print(
        f"\nSyncBatchNorm max loss difference: {sync_diff:.1e}; {time.perf_counter() - start:.0f} s"
    )
    print(f"saved {path}")
    return sync_diff


if __name__ == "__main__":
    main()
