"""Synchronized batch norm on 4 CPU devices, checked in a subprocess.

The main pytest process keeps its single device: the checks run once in
``python -m tests.test_sync_batch_norm`` with
``XLA_FLAGS=--xla_force_host_platform_device_count=4``, which prints the max error of
each comparison as JSON; the tests below assert on them one by one.

Each comparison is against plain (single-device) ``batch_norm`` on the global batch:
- ``shard_map``/``pmap`` with ``axis_name`` (equal and unequal per-device counts);
- plain ``batch_norm`` under ``jax.jit`` with a ``NamedSharding``-sharded batch,
  which is already global without ``axis_name``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DEVICES = 4
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results():
    env = dict(os.environ)
    flags = env.get("XLA_FLAGS", "")
    env["XLA_FLAGS"] = (
        f"{flags} --xla_force_host_platform_device_count={DEVICES}".strip()
    )
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.test_sync_batch_norm"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_subprocess_sees_four_devices(results):
    assert results["num_devices"] == DEVICES


@pytest.mark.parametrize(
    "name",
    [
        "shard_map.y",
        "shard_map.running_mean",
        "shard_map.running_var",
        "shard_map.channels_last.y",
        "shard_map.channels_last.running_var",
        "shard_map.grad_x",
        "shard_map.grad_w",
        "shard_map.grad_b",
        "pmap.y",
        "pmap.running_mean",
        "pmap.running_var",
        "unequal.y",
        "unequal.running_mean",
        "unequal.running_var",
        "unequal.changes.y",
        "unequal.changes.running_var",
        "named_sharding.y",
        "named_sharding.running_mean",
        "named_sharding.running_var",
        "unsynced_differs_from_global",
    ],
)
def test_synchronized_matches_global_batch(results, name):
    err = results[name]
    if name == "unsynced_differs_from_global":
        # Sanity: without axis_name each shard normalizes with its own stats, so the
        # comparisons above are not trivially satisfied.
        assert err > 1e-2
    else:
        assert err <= 1e-5, f"{name}: max error {err}"


def test_named_sharding_input_was_sharded(results):
    assert results["named_sharding.devices"] == DEVICES


# --------------------------------------------------------------------------------------
# The subprocess part.


def _run_checks():
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    from convjax.functional import batch_norm

    jax.config.update("jax_numpy_rank_promotion", "raise")
    jax.config.update("jax_default_matmul_precision", "highest")
    out = {"num_devices": jax.device_count()}
    rng = np.random.default_rng(0)
    mesh = Mesh(np.array(jax.devices()[:DEVICES]), ("b",))
    c = 3
    x = (rng.standard_normal((8, c, 4, 5)) * 2 + 1).astype("float32")
    rm = rng.standard_normal(c).astype("float32")
    rv = rng.uniform(0.5, 2, c).astype("float32")
    w = rng.uniform(0.5, 2, c).astype("float32")
    b = rng.standard_normal(c).astype("float32")
    cot = rng.standard_normal(x.shape).astype("float32")

    def err(name, got, want):
        out[name] = float(
            np.max(np.abs(np.asarray(got, np.float64) - np.asarray(want)))
        )

    def plain(x, rm, rv, w, b, **kw):
        return batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, **kw)

    def synced(x, rm, rv, w, b, **kw):
        return batch_norm(
            x, rm, rv, w, b, training=True, momentum=0.3, axis_name="b", **kw
        )

    want = plain(x, rm, rv, w, b)

    # shard_map: batch split over 4 devices, stats replicated.
    specs = (P("b"), P(), P(), P(), P())
    sm = jax.jit(
        jax.shard_map(synced, mesh=mesh, in_specs=specs, out_specs=(P("b"), P(), P()))
    )
    got = sm(x, rm, rv, w, b)
    for key, g, e in zip(("y", "running_mean", "running_var"), got, want, strict=True):
        err(f"shard_map.{key}", g, e)
    y_local = jax.jit(
        jax.shard_map(
            lambda *a: plain(*a)[0], mesh=mesh, in_specs=specs, out_specs=P("b")
        )
    )(x, rm, rv, w, b)
    err("unsynced_differs_from_global", y_local, want[0])

    # channels last
    xl = np.moveaxis(x, 1, -1)
    got = jax.jit(
        jax.shard_map(
            lambda *a: synced(*a, data_format="NHWC"),
            mesh=mesh,
            in_specs=specs,
            out_specs=(P("b"), P(), P()),
        )
    )(xl, rm, rv, w, b)
    err("shard_map.channels_last.y", np.moveaxis(np.asarray(got[0]), -1, 1), want[0])
    err("shard_map.channels_last.running_var", got[2], want[2])

    # gradients through the synchronized statistics
    def loss_sync(x, w, b):
        y = jax.shard_map(
            lambda x, w, b: synced(x, None, None, w, b)[0],
            mesh=mesh,
            in_specs=(P("b"), P(), P()),
            out_specs=P("b"),
        )(x, w, b)
        return jnp.sum(y * cot)

    def loss_plain(x, w, b):
        return jnp.sum(plain(x, None, None, w, b)[0] * cot)

    g_sync = jax.jit(jax.grad(loss_sync, argnums=(0, 1, 2)))(x, w, b)
    g_plain = jax.jit(jax.grad(loss_plain, argnums=(0, 1, 2)))(x, w, b)
    for key, g, e in zip(("grad_x", "grad_w", "grad_b"), g_sync, g_plain, strict=True):
        err(f"shard_map.{key}", g, e)

    # pmap: leading device axis
    xp = x.reshape(DEVICES, 2, c, 4, 5)
    got = jax.pmap(synced, axis_name="b", in_axes=(0, None, None, None, None))(
        xp, rm, rv, w, b
    )
    err("pmap.y", np.asarray(got[0]).reshape(x.shape), want[0])
    err("pmap.running_mean", got[1], np.broadcast_to(want[1], (DEVICES, c)))
    err("pmap.running_var", got[2], np.broadcast_to(want[2], (DEVICES, c)))

    # Unequal per-device counts (padding masks): devices hold 2, 1, 0 and 2 real
    # samples, then 1, 2, 2, 1 on the next call; the reference is plain batch norm on
    # the concatenated real samples.
    sm_mask = jax.jit(
        jax.shard_map(
            lambda x, rm, rv, w, b, m: synced(x, rm, rv, w, b, mask=m),
            mesh=mesh,
            in_specs=(*specs, P("b")),
            out_specs=(P("b"), P(), P()),
        )
    )
    for tag, counts in (("unequal", (2, 1, 0, 2)), ("unequal.changes", (1, 2, 2, 1))):
        mask = np.zeros(8, bool)
        for d, k in enumerate(counts):
            mask[2 * d : 2 * d + k] = True
        got = sm_mask(x, rm, rv, w, b, mask)
        want_m = plain(x[mask], rm, rv, w, b)
        err(f"{tag}.y", np.asarray(got[0])[mask], want_m[0])
        err(f"{tag}.running_var", got[2], want_m[2])
        if tag == "unequal":
            err(f"{tag}.running_mean", got[1], want_m[1])

    # jit + NamedSharding: plain batch_norm is already global.
    xs = jax.device_put(x, NamedSharding(mesh, P("b")))
    out["named_sharding.devices"] = len(xs.sharding.device_set)
    got = jax.jit(plain)(xs, rm, rv, w, b)
    for key, g, e in zip(("y", "running_mean", "running_var"), got, want, strict=True):
        err(f"named_sharding.{key}", g, e)
    return out


if __name__ == "__main__":
    print(json.dumps(_run_checks()))
