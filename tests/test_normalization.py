"""batch_norm: NumPy reference, PyTorch goldens over several steps, dtypes, vmap, errors."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import convjax.functional as F
from convjax._src.normalization import batch_norm
from tests.references import norm as ref

GOLDEN = np.load(Path(__file__).parent / "golden" / "norm_losses.npz")
TOL = dict(rtol=1e-5, atol=1e-5)


def _stats(rng, c):
    return (
        rng.standard_normal(c).astype("float32"),
        rng.uniform(0.5, 2.0, c).astype("float32"),
        rng.uniform(0.5, 1.5, c).astype("float32"),
        rng.standard_normal(c).astype("float32"),
    )


def test_public_name():
    assert F.batch_norm is batch_norm


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5), (2, 3, 2, 3, 4)])
@pytest.mark.parametrize("training", [True, False])
def test_matches_reference(variant, rng, shape, training):
    x = (rng.standard_normal(shape) * 2 + 1).astype("float32")
    rm, rv, w, b = _stats(rng, 3)
    fn = variant(
        lambda x, rm, rv, w, b: batch_norm(x, rm, rv, w, b, training, 0.2, 1e-4)
    )
    y, nrm, nrv = fn(x, rm, rv, w, b)
    ey, erm, erv = ref.batch_norm(x, rm, rv, w, b, training, 0.2, 1e-4)
    np.testing.assert_allclose(y, ey, **TOL)
    np.testing.assert_allclose(nrm, erm, **TOL)
    np.testing.assert_allclose(nrv, erv, **TOL)
    assert y.dtype == jnp.float32 and nrm.dtype == nrv.dtype == jnp.float32


@pytest.mark.parametrize(
    "shape,fmt",
    [((4, 6, 3), "NWC"), ((2, 4, 5, 3), "NHWC"), ((2, 2, 3, 4, 3), "NDHWC")],
)
def test_channels_last(variant, rng, shape, fmt):
    x = rng.standard_normal(shape).astype("float32")
    rm, rv, w, b = _stats(rng, 3)
    y, nrm, nrv = variant(
        lambda x: batch_norm(x, rm, rv, w, b, training=True, data_format=fmt)
    )(x)
    ey, erm, erv = ref.batch_norm(x, rm, rv, w, b, True, channel_axis=-1)
    np.testing.assert_allclose(y, ey, **TOL)
    np.testing.assert_allclose(nrm, erm, **TOL)
    np.testing.assert_allclose(nrv, erv, **TOL)
    # Same numbers as moving the channels first.
    yf, _, _ = batch_norm(np.moveaxis(x, -1, 1), rm, rv, w, b, training=True)
    np.testing.assert_allclose(
        np.moveaxis(np.asarray(y), -1, 1), yf, rtol=1e-6, atol=1e-6
    )
    # (N, C) has a single layout: "NC"
    x2 = x.reshape(-1, 3)
    y2, _, _ = batch_norm(x2, rm, rv, training=True, data_format="NC")
    np.testing.assert_allclose(y2, ref.batch_norm(x2, rm, rv, training=True)[0], **TOL)


def test_running_var_is_unbiased_and_momentum_is_pytorchs():
    x = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 0.0]], np.float32)
    y, rm, rv = batch_norm(x, np.zeros(2), np.ones(2), training=True, momentum=0.25)
    mean, var_b = x.mean(0), x.var(0)
    np.testing.assert_allclose(rm, 0.25 * mean, rtol=1e-6)
    np.testing.assert_allclose(rv, 0.75 + 0.25 * var_b * 3 / 2, rtol=1e-6)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var_b + 1e-5), rtol=1e-5)


def test_no_running_stats_and_optional_affine(variant, rng):
    x = rng.standard_normal((4, 3, 5)).astype("float32")
    y, rm, rv = variant(lambda x: batch_norm(x, None, None, training=True))(x)
    assert rm is None and rv is None
    np.testing.assert_allclose(
        y, ref.batch_norm(x, None, None, training=True)[0], **TOL
    )
    # eval leaves the running stats untouched
    stats = _stats(rng, 3)
    _, rm, rv = batch_norm(x, stats[0], stats[1], training=False)
    np.testing.assert_array_equal(rm, stats[0])
    np.testing.assert_array_equal(rv, stats[1])


@pytest.mark.parametrize(
    "case", ["bn2d", "bn1d_cumulative", "bn1d_ncl", "bn3d_noaffine", "bn2d_nostats"]
)
def test_golden_module_steps(case):
    """Replays PyTorch module steps: outputs, grads, running stats, then eval."""
    g = {
        k.split(".", 2)[2]: GOLDEN[k]
        for k in GOLDEN.files
        if k.startswith(f"bn.{case}.")
    }
    momentum = float(g["momentum"])
    eps = float(g["eps"])
    w, b = g.get("weight"), g.get("bias")
    c = GOLDEN[f"bn.{case}.step0.x"].shape[1]
    tracked = "step0.running_mean" in g
    rm, rv = (
        (np.zeros(c, np.float32), np.ones(c, np.float32)) if tracked else (None, None)
    )

    @jax.jit
    def step(x, rm, rv, w, b, m, cot):
        def f(x, w, b):
            return batch_norm(x, rm, rv, w, b, True, m, eps)

        (y, nrm, nrv), vjp = jax.vjp(f, x, w, b, has_aux=False)
        grads = vjp(
            (
                cot,
                jnp.zeros_like(nrm) if tracked else None,
                None if not tracked else jnp.zeros_like(nrv),
            )
        )
        return y, nrm, nrv, grads

    for i in range(int(g["steps"])):
        s = f"step{i}."
        x = g[s + "x"]
        # momentum=None: the module passes 1 / num_batches_tracked (a traced scalar).
        m = 1.0 / (i + 1) if np.isnan(momentum) else momentum
        y, rm_new, rv_new, (gx, gw, gb) = step(
            x, rm, rv, w, b, jnp.float32(m), g[s + "cot"]
        )
        np.testing.assert_allclose(y, g[s + "y"], **TOL)
        np.testing.assert_allclose(gx, g[s + "grad_x"], rtol=1e-4, atol=1e-4)
        if w is not None:
            np.testing.assert_allclose(gw, g[s + "grad_w"], rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(gb, g[s + "grad_b"], rtol=1e-4, atol=1e-4)
        if tracked:
            rm, rv = np.asarray(rm_new), np.asarray(rv_new)
            np.testing.assert_allclose(rm, g[s + "running_mean"], **TOL)
            np.testing.assert_allclose(rv, g[s + "running_var"], **TOL)
    xe = g["eval.x"]
    if tracked:
        y, _, _ = batch_norm(xe, rm, rv, w, b, training=False, eps=eps)
    else:  # track_running_stats=False: batch stats even in eval (the module's rule)
        y, _, _ = batch_norm(xe, None, None, w, b, training=True, eps=eps)
    np.testing.assert_allclose(y, g["eval.y"], **TOL)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_keeps_dtype_with_float32_stats(rng, dtype):
    x = (rng.standard_normal((4, 3, 5)) * 3 + 2).astype("float32")
    rm, rv, w, b = _stats(rng, 3)
    xh = jnp.asarray(x, dtype)
    y, nrm, nrv = batch_norm(xh, rm, rv, w, b, training=True)
    assert y.dtype == dtype and nrm.dtype == jnp.float32 and nrv.dtype == jnp.float32
    ey, erm, erv = ref.batch_norm(np.asarray(xh, np.float32), rm, rv, w, b, True)
    np.testing.assert_allclose(np.asarray(y, np.float32), ey, rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(nrm, erm, rtol=1e-5, atol=1e-5)  # stats are float32
    np.testing.assert_allclose(nrv, erv, rtol=1e-5, atol=1e-5)


def test_variance_is_stable_for_large_means(rng):
    # E[x^2] - E[x]^2 in float32 would lose every digit here (mean 1e4, std 1).
    x = (1e4 + rng.standard_normal((64, 2, 8))).astype("float32")
    y, _, rv = batch_norm(x, np.zeros(2), np.zeros(2), training=True, momentum=1.0)
    ey, _, erv = ref.batch_norm(
        x, np.zeros(2), np.zeros(2), training=True, momentum=1.0
    )
    np.testing.assert_allclose(rv, erv, rtol=2e-3)
    np.testing.assert_allclose(y, ey, atol=3e-3)


def test_vmap_over_independent_batches(rng):
    xs = rng.standard_normal((3, 4, 2, 5)).astype("float32")
    rm, rv, w, b = _stats(rng, 2)
    got = jax.vmap(lambda x: batch_norm(x, rm, rv, w, b, training=True))(xs)
    for i in range(3):
        want = ref.batch_norm(xs[i], rm, rv, w, b, True)
        for a, e in zip(got, want, strict=True):
            np.testing.assert_allclose(a[i], e, **TOL)


def test_vmap_axis_name_synchronizes(rng):
    """``vmap`` with ``axis_name`` behaves as devices: global stats, masks count-weighted."""
    x = rng.standard_normal((4, 3, 2, 5)).astype("float32") * 2 + 1  # 4 "devices" of 3
    rm, rv, w, b = _stats(rng, 2)
    mask = np.array(
        [[1, 1, 1], [1, 0, 0], [0, 0, 0], [1, 1, 0]], bool
    )  # counts 3,1,0,2

    def f(x, m):
        return batch_norm(x, rm, rv, w, b, training=True, axis_name="d", mask=m)

    y, nrm, nrv = jax.jit(jax.vmap(f, axis_name="d"))(x, mask)
    flat = x.reshape(12, 2, 5)
    sel = mask.reshape(12)
    ey, erm, erv = ref.batch_norm(flat[sel], rm, rv, w, b, True)
    np.testing.assert_allclose(y.reshape(12, 2, 5)[sel], ey, **TOL)
    for d in range(4):  # every device holds the same updated stats
        np.testing.assert_allclose(nrm[d], erm, **TOL)
        np.testing.assert_allclose(nrv[d], erv, **TOL)


def test_mask_single_device(rng):
    x = rng.standard_normal((6, 2, 3)).astype("float32")
    rm, rv, w, b = _stats(rng, 2)
    mask = np.array([1, 0, 1, 1, 0, 1], bool)
    y, nrm, nrv = batch_norm(x, rm, rv, w, b, training=True, mask=mask)
    ey, erm, erv = ref.batch_norm(x, rm, rv, w, b, True, mask=mask)
    np.testing.assert_allclose(
        y, ey, **TOL
    )  # masked rows normalized with the same stats
    np.testing.assert_allclose(nrm, erm, **TOL)
    np.testing.assert_allclose(nrv, erv, **TOL)
    # elementwise mask over (N, L)
    emask = rng.random((6, 3)) > 0.3
    y, nrm, nrv = batch_norm(x, rm, rv, w, b, training=True, mask=emask)
    ey, erm, erv = ref.batch_norm(x, rm, rv, w, b, True, mask=emask)
    np.testing.assert_allclose(y, ey, **TOL)
    np.testing.assert_allclose(nrm, erm, **TOL)
    np.testing.assert_allclose(nrv, erv, **TOL)
    # fewer than 2 selected values: running stats unchanged, outputs finite
    one = np.zeros((6, 3), bool)
    one[2, 1] = True
    for keep in (np.zeros((6, 3), bool), one):
        y, nrm, nrv = batch_norm(x, rm, rv, w, b, training=True, mask=keep)
        np.testing.assert_array_equal(nrm, rm)
        np.testing.assert_array_equal(nrv, rv)
        assert np.isfinite(np.asarray(y)).all()


def test_traced_momentum_under_jit(rng):
    x = rng.standard_normal((5, 2)).astype("float32")
    f = jax.jit(
        lambda x, m: batch_norm(x, jnp.zeros(2), jnp.ones(2), training=True, momentum=m)
    )
    for m in (0.5, 1.0 / 3):
        _, rm, rv = f(x, jnp.float32(m))
        _, erm, erv = ref.batch_norm(
            x, np.zeros(2), np.ones(2), training=True, momentum=m
        )
        np.testing.assert_allclose(rm, erm, **TOL)
        np.testing.assert_allclose(rv, erv, **TOL)


def test_gradients(rng):
    x = rng.standard_normal((3, 2, 4)).astype("float32")
    w = rng.uniform(0.5, 2.0, 2).astype("float32")
    b = rng.standard_normal(2).astype("float32")
    cot = rng.standard_normal((3, 2, 4)).astype("float32")

    def loss(x, w, b):
        return jnp.sum(batch_norm(x, None, None, w, b, training=True)[0] * cot)

    # float32 finite differences (exact grads are checked against PyTorch's goldens)
    check_grads(
        jax.jit(loss), (x, w, b), order=1, modes=["rev"], eps=1e-2, atol=2e-2, rtol=2e-2
    )
    grads = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(x, w, b)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads)
    # constant channel (zero variance): still finite thanks to eps
    gx = jax.jit(jax.grad(loss))(np.ones((3, 2, 4), np.float32), w, b)
    assert np.isfinite(np.asarray(gx)).all()


def test_running_stats_carry_no_gradient(rng):
    x = rng.standard_normal((4, 2)).astype("float32")
    g = jax.grad(
        lambda x: batch_norm(x, jnp.zeros(2), jnp.ones(2), training=True)[2].sum()
    )(x)
    np.testing.assert_array_equal(g, 0.0)


def test_errors():
    x = np.zeros((4, 3, 5), np.float32)
    z3, o3 = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match="rank >= 2"):
        batch_norm(np.zeros(3), None, None, training=True)
    with pytest.raises(TypeError, match="floating"):
        batch_norm(np.zeros((4, 3), np.int32), None, None, training=True)
    with pytest.raises(ValueError, match="`data_format`"):
        batch_norm(x, z3, o3, data_format="NHWC")
    with pytest.raises(ValueError, match="`data_format`"):
        batch_norm(np.zeros((2, 3, 1, 1, 1, 2)), None, None, True, data_format="NCW")
    with pytest.raises(ValueError, match=r"`running_mean` must have shape \(3,\)"):
        batch_norm(x, np.zeros(4), o3)
    with pytest.raises(ValueError, match=r"`running_var` must have shape \(3,\)"):
        batch_norm(x, z3, np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"`weight` must have shape \(3,\)"):
        batch_norm(x, z3, o3, np.ones(2))
    with pytest.raises(ValueError, match=r"`bias` must have shape \(3,\)"):
        batch_norm(x, z3, o3, None, np.ones(5))
    with pytest.raises(ValueError, match="both be None or neither"):
        batch_norm(x, z3, None, training=True)
    with pytest.raises(ValueError, match="must be given when `training=False`"):
        batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"`momentum` must be in \[0, 1\], got -0.1"):
        batch_norm(x, z3, o3, training=True, momentum=-0.1)
    with pytest.raises(ValueError, match=r"`momentum` must be in \[0, 1\]"):
        batch_norm(x, z3, o3, training=True, momentum=1.5)
    with pytest.raises(TypeError, match="`momentum=None`"):
        batch_norm(x, z3, o3, training=True, momentum=None)
    with pytest.raises(ValueError, match="`eps` must be positive during training"):
        batch_norm(x, z3, o3, training=True, eps=0.0)
    with pytest.raises(ValueError, match="`eps` must be non-negative, got -1"):
        batch_norm(x, z3, o3, training=False, eps=-1.0)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        batch_norm(np.zeros((1, 3)), None, None, training=True)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        batch_norm(np.zeros((1, 3, 1, 1)), z3, o3, training=True)
    with pytest.raises(TypeError, match="`mask` must be a boolean"):
        batch_norm(x, z3, o3, training=True, mask=np.ones(4))
    with pytest.raises(ValueError, match=r"`mask` must have shape \(4,\) or \(4, 5\)"):
        batch_norm(x, z3, o3, training=True, mask=np.ones(3, bool))
    with pytest.raises(TypeError, match="`training` must be a Python bool"):
        jax.jit(lambda t: batch_norm(x, z3, o3, training=t))(True)
    # PyTorch allows n=1 per channel outside training, and batch 1 with spatial > 1
    batch_norm(np.zeros((1, 3)), z3, o3, training=False)
    batch_norm(np.zeros((1, 3, 2)), z3, o3, training=True)


@pytest.mark.parametrize("kwargs", [dict(momentum="0.1"), dict(eps="1e-5")])
def test_string_momentum_or_eps_is_a_type_error(kwargs):
    x = np.ones((4, 3, 2), np.float32)
    with pytest.raises(TypeError, match=f"`{next(iter(kwargs))}` must be a number"):
        batch_norm(x, np.zeros(3), np.ones(3), training=True, **kwargs)


@pytest.mark.parametrize("shape", [(0, 3, 2, 2), (2, 3, 0, 2), (0, 3)])
def test_empty_batch_leaves_running_stats(variant, shape):
    """PyTorch leaves the running stats alone when there are no values (issue 14)."""
    rm, rv = jnp.full(3, 2.0), jnp.full(3, 4.0)
    y, nrm, nrv = variant(lambda x: batch_norm(x, rm, rv, training=True))(
        jnp.zeros(shape)
    )
    assert y.shape == shape
    np.testing.assert_array_equal(nrm, rm)
    np.testing.assert_array_equal(nrv, rv)


def test_empty_batch_on_every_device_leaves_running_stats():
    rm, rv = jnp.full(3, 2.0), jnp.full(3, 4.0)
    f = jax.vmap(
        lambda x: batch_norm(x, rm, rv, training=True, axis_name="d"), axis_name="d"
    )
    _, nrm, nrv = jax.jit(f)(jnp.zeros((4, 0, 3, 2)))
    np.testing.assert_array_equal(nrm, np.broadcast_to(rm, (4, 3)))
    np.testing.assert_array_equal(nrv, np.broadcast_to(rv, (4, 3)))


@pytest.mark.parametrize("name", ["running_mean", "running_var", "weight", "bias"])
def test_non_floating_stats_or_affine_are_type_errors(name):
    """PyTorch raises "mixed dtype"; an int32 running stat was silently truncated."""
    args = dict(
        running_mean=np.zeros(3, np.float32),
        running_var=np.ones(3, np.float32),
        weight=np.ones(3, np.float32),
        bias=np.zeros(3, np.float32),
    )
    args[name] = args[name].astype(np.int32)
    with pytest.raises(TypeError, match=f"`{name}` must have a floating dtype"):
        batch_norm(np.ones((4, 3), np.float32), training=True, **args)


def test_unbound_axis_name_is_a_value_error():
    x = np.ones((4, 3), np.float32)
    with pytest.raises(ValueError, match="`axis_name` 'batch' is not bound"):
        batch_norm(x, np.zeros(3), np.ones(3), training=True, axis_name="batch")


def test_channels_last_input_gets_a_data_format_hint():
    x = np.ones((2, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="data_format='NHWC'"):
        batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32))
