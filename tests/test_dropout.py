"""Dropout, channel dropout and stochastic depth: exact masks from the key, kept
fractions, eval identity, gradients, dtypes and PyTorch's errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F

KEY = jax.random.key(7)


def _x(shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).standard_normal(shape), jnp.float32)


@pytest.mark.parametrize(
    "fn, shape, mask_shape",
    [
        (F.dropout, (4, 5, 6), (4, 5, 6)),
        (F.dropout1d, (4, 5, 6), (4, 5, 1)),
        (F.dropout1d, (5, 6), (5, 1)),
        (F.dropout2d, (3, 4, 5, 6), (3, 4, 1, 1)),
        (F.dropout2d, (4, 5, 6), (4, 5, 1)),  # PyTorch reads 3D as (N, C, L)
        (F.dropout3d, (2, 3, 2, 3, 4), (2, 3, 1, 1, 1)),
        (F.dropout3d, (3, 2, 3, 4), (3, 1, 1, 1)),
    ],
)
def test_mask_is_the_keys_bernoulli_draw(variant, fn, shape, mask_shape):
    x = _x(shape)
    p = 0.3
    y = variant(lambda v, k: fn(v, p, key=k))(x, KEY)
    keep = jax.random.bernoulli(KEY, 1 - p, mask_shape)
    want = np.where(np.broadcast_to(keep, shape), np.asarray(x) / (1 - p), 0.0)
    np.testing.assert_allclose(y, want, rtol=1e-6)
    # Gradient: 1/(1-p) where kept, exactly 0 where dropped.
    g = jax.grad(lambda v: fn(v, p, key=KEY).sum())(x)
    np.testing.assert_allclose(g, np.broadcast_to(keep, shape) / (1 - p), rtol=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_kept_fraction_and_mean(p):
    x = jnp.ones((200, 100))
    y = jax.jit(lambda k: F.dropout(x, p, key=k))(KEY)
    kept = float((y != 0).mean())
    assert abs(kept - (1 - p)) < 4 * np.sqrt(p * (1 - p) / x.size)
    assert abs(float(y.mean()) - 1.0) < 0.05  # inverted dropout keeps the mean
    yc = F.dropout2d(jnp.ones((100, 50, 2, 2)), p, key=KEY)
    per_channel = np.asarray(yc).reshape(100, 50, 4)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # whole channels
    kept_c = float((per_channel[..., 0] != 0).mean())
    assert abs(kept_c - (1 - p)) < 4 * np.sqrt(p * (1 - p) / 5000)


@pytest.mark.parametrize("fn", [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d])
def test_identity_and_edge_probabilities(fn):
    x = _x((2, 3, 2, 2, 2)[: {F.dropout3d: 5, F.dropout2d: 4}.get(fn, 3)])
    np.testing.assert_array_equal(fn(x, 0.5, training=False), x)  # no key needed
    np.testing.assert_array_equal(fn(x, 0.0), x)
    np.testing.assert_array_equal(fn(x, 1.0), np.zeros(x.shape))  # no key needed
    g = jax.grad(lambda v: fn(v, 1.0).sum())(x)
    np.testing.assert_array_equal(g, np.zeros(x.shape))  # finite, no NaN


def test_dtypes_empty_and_vmap():
    for dtype in (jnp.bfloat16, jnp.float16):
        y = F.dropout(jnp.ones((8, 8), dtype), 0.5, key=KEY)
        assert y.dtype == dtype
        assert set(np.unique(np.float32(y))) <= {0.0, 2.0}
    assert F.dropout(jnp.zeros((0, 3)), 0.5, key=KEY).shape == (0, 3)
    assert F.dropout2d(jnp.zeros((0, 3, 2, 2)), 0.5, key=KEY).shape == (0, 3, 2, 2)
    keys = jax.random.split(KEY, 3)
    x = _x((3, 4, 5))
    got = jax.vmap(lambda v, k: F.dropout(v, 0.5, key=k))(x, keys)
    for i in range(3):
        np.testing.assert_array_equal(got[i], F.dropout(x[i], 0.5, key=keys[i]))


def test_errors():
    x = jnp.ones((2, 3, 4))
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1, but got"):
            F.dropout(x, p, key=KEY)
    with pytest.raises(ValueError, match="needs a PRNG `key`"):
        F.dropout(x, 0.5)
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(jnp.ones(3, jnp.int32), 0.5, key=KEY)
    with pytest.raises(ValueError, match=r"`dropout1d` expects a 2D .* or 3D"):
        F.dropout1d(jnp.ones((2, 3, 4, 5)), key=KEY)
    with pytest.raises(ValueError, match="`dropout2d` expects"):
        F.dropout2d(jnp.ones((2, 3)), key=KEY)
    with pytest.raises(ValueError, match="`dropout3d` expects"):
        F.dropout3d(jnp.ones((2, 3, 4)), key=KEY)
    with pytest.raises(TypeError, match="`training` must be a Python bool"):
        F.dropout(x, 0.5, training=jnp.bool_(True))


@pytest.mark.parametrize("mode", ["row", "batch"])
def test_stochastic_depth_mask_from_key(variant, mode):
    x = _x((64, 3, 2))
    p = 0.25
    y = variant(lambda v, k: F.stochastic_depth(v, p, mode, key=k))(x, KEY)
    shape = (64, 1, 1) if mode == "row" else (1, 1, 1)
    keep = jax.random.bernoulli(KEY, 1 - p, shape)
    np.testing.assert_allclose(
        y, np.asarray(x) * (np.asarray(keep) / (1 - p)), rtol=1e-6
    )
    g = jax.grad(lambda v: F.stochastic_depth(v, p, mode, key=KEY).sum())(x)
    np.testing.assert_allclose(
        g, np.broadcast_to(np.asarray(keep) / (1 - p), x.shape), rtol=1e-6
    )


def test_stochastic_depth_statistics_and_edges():
    x = jnp.ones((4000, 2))
    y = F.stochastic_depth(x, 0.3, "row", key=KEY)
    assert (y[:, 0] == y[:, 1]).all()
    assert abs(float((y[:, 0] != 0).mean()) - 0.7) < 0.03
    keys = jax.random.split(KEY, 200)
    batch = jax.vmap(lambda k: F.stochastic_depth(jnp.ones(3), 0.5, "batch", key=k))(
        keys
    )
    assert (batch == batch[:, :1]).all()
    batch = np.asarray(batch[:, 0])
    assert set(batch.tolist()) == {0.0, 2.0} and abs(np.mean(batch) - 1.0) < 0.25
    # p == 1: survival 0, zeros without scaling (no division by zero).
    np.testing.assert_array_equal(F.stochastic_depth(x, 1.0, "row", key=KEY), 0 * x)
    np.testing.assert_array_equal(F.stochastic_depth(x, 0.0, "row"), x)
    np.testing.assert_array_equal(F.stochastic_depth(x, 0.5, "row", False), x)
    assert (
        F.stochastic_depth(jnp.ones((2, 2), jnp.bfloat16), 0.5, "row", key=KEY).dtype
        == jnp.bfloat16
    )
    assert F.stochastic_depth(jnp.zeros((0, 3)), 0.5, "row", key=KEY).shape == (0, 3)
    with pytest.raises(ValueError, match="drop probability `p` has to be between"):
        F.stochastic_depth(x, 1.5, "row", key=KEY)
    with pytest.raises(ValueError, match="`mode` must be one of 'batch', 'row'"):
        F.stochastic_depth(x, 0.5, "col", key=KEY)
    with pytest.raises(ValueError, match="needs a PRNG `key`"):
        F.stochastic_depth(x, 0.5, "row")
