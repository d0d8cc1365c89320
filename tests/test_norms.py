"""layer_norm, group_norm, instance_norm, local_response_norm, normalize and
channel_shuffle: PyTorch goldens (values and gradients w.r.t. input, weight, bias),
NumPy float64 references, dtypes, empty batches, vmap and PyTorch's errors."""

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from tests.references import blocks as ref

HERE = Path(__file__).parent / "golden"
G = np.load(HERE / "blocks.npz")
EDGE = json.loads((HERE / "blocks.json").read_text())["edge"]
TOL = dict(rtol=1e-5, atol=1e-5)

CASES = {
    # name: (convjax fn(x, **affine), reference fn(x64, **affine))
    "ln_last": (
        lambda x, **k: F.layer_norm(x, (5,), **k),
        lambda x, **k: ref.layer_norm(x, 1, **k),
    ),
    "ln_two": (
        lambda x, **k: F.layer_norm(x, (4, 5), eps=1e-3, **k),
        lambda x, **k: ref.layer_norm(x, 2, eps=1e-3, **k),
    ),
    "ln_noaffine": (
        lambda x: F.layer_norm(x, 6),
        lambda x: ref.layer_norm(x, 1),
    ),
    "gn_2": (
        lambda x, **k: F.group_norm(x, 2, **k),
        lambda x, **k: ref.group_norm(x, 2, **k),
    ),
    "gn_1d": (
        lambda x, **k: F.group_norm(x, 3, eps=1e-3, **k),
        lambda x, **k: ref.group_norm(x, 3, eps=1e-3, **k),
    ),
    "gn_2d_input": (lambda x: F.group_norm(x, 2), lambda x: ref.group_norm(x, 2)),
    "lrn_3d": (
        lambda x: F.local_response_norm(x, 3, alpha=0.1, beta=0.75, k=1.0),
        lambda x: ref.local_response_norm(x, 3, 0.1, 0.75, 1.0),
    ),
    "lrn_4d": (
        lambda x: F.local_response_norm(x, 2, alpha=0.5, beta=0.5, k=2.0),
        lambda x: ref.local_response_norm(x, 2, 0.5, 0.5, 2.0),
    ),
    "lrn_5d": (
        lambda x: F.local_response_norm(x, 4),
        lambda x: ref.local_response_norm(x, 4),
    ),
    "normalize_p2": (F.normalize, ref.normalize),
    "normalize_p1_dim0": (
        lambda x: F.normalize(x, 1.0, 0),
        lambda x: ref.normalize(x, 1.0, 0),
    ),
    "normalize_pinf_dimm1": (
        lambda x: F.normalize(x, float("inf"), -1),
        lambda x: ref.normalize(x, float("inf"), -1),
    ),
    "normalize_p3": (
        lambda x: F.normalize(x, 3.0, 1, eps=1e-6),
        lambda x: ref.normalize(x, 3.0, 1, eps=1e-6),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_values_and_gradients(variant, name):
    fn, reference = CASES[name]
    k = f"norm.{name}"
    x, cot = G[f"{k}.x"], G[f"{k}.cot"]
    affine = f"{k}.weight" in G
    if affine:
        w, b = G[f"{k}.weight"], G[f"{k}.bias"]
        y = variant(lambda v, w, b: fn(v, weight=w, bias=b))(x, w, b)
        grads = variant(
            jax.grad(lambda v, w, b: jnp.sum(fn(v, weight=w, bias=b) * cot), (0, 1, 2))
        )(x, w, b)
        want = reference(np.float64(x), weight=w, bias=b)
        np.testing.assert_allclose(
            grads[1], G[f"{k}.grad_weight"], rtol=1e-4, atol=1e-4
        )
        np.testing.assert_allclose(grads[2], G[f"{k}.grad_bias"], rtol=1e-4, atol=1e-4)
        gx = grads[0]
    else:
        y = variant(fn)(x)
        gx = variant(jax.grad(lambda v: jnp.sum(fn(v) * cot)))(x)
        want = reference(np.float64(x))
    np.testing.assert_allclose(y, G[f"{k}.y"], **TOL)
    np.testing.assert_allclose(y, want, **TOL)
    np.testing.assert_allclose(gx, G[f"{k}.grad_x"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stats", [0, 1])
def test_instance_norm_golden_with_running_stats(variant, stats):
    k = f"in.stats{stats}"
    x, rm, rv, w, b, cot = (G[f"{k}.{a}"] for a in "x rm rv weight bias cot".split())

    def run(x, w, b):
        return F.instance_norm(x, rm, rv, w, b, bool(stats), momentum=0.2, eps=1e-4)

    y, new_rm, new_rv = variant(run)(x, w, b)
    grads = variant(jax.grad(lambda *a: jnp.sum(run(*a)[0] * cot), (0, 1, 2)))(x, w, b)
    np.testing.assert_allclose(y, G[f"{k}.y"], **TOL)
    np.testing.assert_allclose(new_rm, G[f"{k}.new_rm"], **TOL)
    np.testing.assert_allclose(new_rv, G[f"{k}.new_rv"], **TOL)
    for g, name in zip(grads, ("grad_x", "grad_weight", "grad_bias"), strict=True):
        np.testing.assert_allclose(g, G[f"{k}.{name}"], rtol=1e-4, atol=1e-4)
    want = ref.instance_norm(np.float64(x), rm, rv, w, b, bool(stats), 0.2, 1e-4)
    for got, expected in zip((y, new_rm, new_rv), want, strict=True):
        np.testing.assert_allclose(got, expected, **TOL)


def test_instance_norm_plain_golden():
    x, cot = G["in.plain.x"], G["in.plain.cot"]
    y, rm, rv = F.instance_norm(x)
    assert rm is None and rv is None
    g = jax.grad(lambda v: jnp.sum(F.instance_norm(v)[0] * cot))(x)
    np.testing.assert_allclose(y, G["in.plain.y"], **TOL)
    np.testing.assert_allclose(g, G["in.plain.grad_x"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(y, ref.instance_norm(np.float64(x))[0], **TOL)


def test_channel_shuffle_golden_and_reference(variant):
    x = G["shuffle.x"]
    for g in (2, 3):
        y = variant(lambda v, g=g: F.channel_shuffle(v, g))(x)
        np.testing.assert_array_equal(y, G[f"shuffle.g{g}"])
        np.testing.assert_array_equal(y, ref.channel_shuffle(x, g))
    xi = np.arange(24, dtype=np.int32).reshape(1, 6, 2, 2)
    assert F.channel_shuffle(xi, 3).dtype == jnp.int32  # any dtype, as PyTorch
    np.testing.assert_array_equal(F.channel_shuffle(xi, 3), ref.channel_shuffle(xi, 3))


def test_normalize_zero_vector_gradient_is_finite_like_pytorch():
    g = jax.grad(lambda v: F.normalize(v).sum())(jnp.zeros((2, 3)))
    np.testing.assert_allclose(g, np.full((2, 3), 1e12), rtol=1e-6)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_keeps_dtype(dtype):
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)
    xh = jnp.asarray(x, dtype)
    x64 = np.float64(np.asarray(xh, np.float32))
    checks = [
        (F.layer_norm(xh, (3, 3)), ref.layer_norm(x64, 2)),
        (F.group_norm(xh, 2), ref.group_norm(x64, 2)),
        (F.instance_norm(xh)[0], ref.instance_norm(x64)[0]),
        (F.local_response_norm(xh, 3), ref.local_response_norm(x64, 3)),
        (F.normalize(xh), ref.normalize(x64)),
    ]
    for got, want in checks:
        assert got.dtype == dtype
        np.testing.assert_allclose(np.float32(got), want, rtol=3e-2, atol=3e-2)


def test_empty_batches_follow_pytorch():
    e = {
        "layer_norm_n0": F.layer_norm(jnp.zeros((0, 3)), (3,)),
        "group_norm_n0": F.group_norm(jnp.zeros((0, 4, 2)), 2),
        "instance_norm_n0": F.instance_norm(jnp.zeros((0, 3, 4)))[0],
        "lrn_n0": F.local_response_norm(jnp.zeros((0, 3, 4)), 2),
        "normalize_n0": F.normalize(jnp.zeros((0, 3))),
        "shuffle_n0": F.channel_shuffle(jnp.zeros((0, 4, 2)), 2),
    }
    for name, y in e.items():
        assert list(y.shape) == EDGE[name]["shape"], name
    # PyTorch averages zero instances into the running stats: NaN, and so do we.
    _, rm, rv = F.instance_norm(jnp.zeros((0, 3, 4)), jnp.zeros(3), jnp.ones(3))
    assert np.isnan(rm).all() and np.isnan(rv).all()


def test_vmap_matches_batch():
    x = jnp.asarray(np.random.default_rng(1).standard_normal((3, 2, 4, 5)), jnp.float32)
    for fn in (
        lambda v: F.group_norm(v, 2),
        lambda v: F.layer_norm(v, 5),
        lambda v: F.instance_norm(v)[0],
        lambda v: F.local_response_norm(v, 3),
        lambda v: F.channel_shuffle(v, 2),
    ):
        got = jax.vmap(lambda v, fn=fn: fn(v[None])[0])(x)
        np.testing.assert_allclose(got, fn(x), rtol=1e-6, atol=1e-6)


def test_errors_where_pytorch_raises():
    assert "error" in EDGE["layer_norm_bad_shape"]
    with pytest.raises(ValueError, match=r"normalized_shape=\[4\].*\[\*, 4\]"):
        F.layer_norm(jnp.zeros((2, 3)), (4,))
    with pytest.raises(ValueError, match="`weight` must have shape"):
        F.layer_norm(jnp.zeros((2, 3)), 3, weight=jnp.ones(4))
    assert "error" in EDGE["group_norm_bad_groups"]
    with pytest.raises(ValueError, match="divisible by `num_groups`"):
        F.group_norm(jnp.zeros((2, 3, 2)), 2)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.group_norm(jnp.zeros(4), 1)
    with pytest.raises(ValueError, match="`weight` must have shape"):
        F.group_norm(jnp.zeros((2, 4, 2)), 2, weight=jnp.ones(2))
    assert "error" in EDGE["instance_norm_one_spatial"]
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(jnp.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="must be given when `training=False`"):
        F.instance_norm(jnp.zeros((2, 3, 4)), use_input_stats=False)
    assert "error" in EDGE["lrn_2d"]
    with pytest.raises(ValueError, match="expected 3D or higher"):
        F.local_response_norm(jnp.zeros((2, 3)), 2)
    assert "error" in EDGE["shuffle_2d"]
    with pytest.raises(ValueError, match="> 2 dims"):
        F.channel_shuffle(jnp.zeros((2, 4)), 2)
    with pytest.raises(ValueError, match="divisible by `groups`"):
        F.channel_shuffle(jnp.zeros((1, 3, 4)), 2)
    with pytest.raises(ValueError, match="`groups` must be a positive int"):
        F.channel_shuffle(jnp.zeros((1, 3, 4)), 0)
    with pytest.raises(ValueError, match="`dim` out of range"):
        F.normalize(jnp.zeros((2, 3)), dim=2)
    for fn in (
        lambda v: F.layer_norm(v, 3),
        lambda v: F.group_norm(v, 1),
        lambda v: F.instance_norm(v),
        lambda v: F.local_response_norm(v, 2),
        F.normalize,
    ):
        with pytest.raises(TypeError, match="floating-point"):
            fn(jnp.zeros((2, 3, 3), jnp.int32))
