"""``one_hot``, ``embedding`` (+ ``nn.Embedding``) and the ``upsample*`` aliases:
PyTorch goldens (values, weight gradients, in-place renormalisation), NumPy checks,
jit/vmap, modules and error paths."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import convjax.functional as F
from convjax import nn
from tests.test_pool_indices import GOLDEN, golden, golden_cases, run_golden


@pytest.mark.parametrize("entry", golden_cases(("one_hot", "embedding", "upsample")))
def test_matches_torch(entry):
    if entry["fn"] == "one_hot":  # eager: num_classes=-1 reads the values
        got = F.one_hot(golden(entry, "tensor"), **entry["kwargs"])
        np.testing.assert_array_equal(got, golden(entry, "out0"))
        return
    run_golden(entry)
    if f"{entry['i']}/renormed" in GOLDEN:
        kw = entry["kwargs"]
        new_w = F.embedding_renorm(
            golden(entry, "weight"), golden(entry, "input"), kw["max_norm"],
            kw.get("norm_type", 2.0),
        )  # fmt: skip
        np.testing.assert_allclose(
            new_w, golden(entry, "renormed"), rtol=1e-6, atol=1e-6
        )


def test_embedding_matches_numpy(variant, rng):
    w = rng.standard_normal((6, 3)).astype(np.float32)
    idx = rng.integers(0, 6, (2, 5))
    np.testing.assert_array_equal(variant(F.embedding)(idx, w), w[idx])
    g = jax.grad(lambda a: jnp.sum(F.embedding(idx, a, padding_idx=1)))(w)
    counts = np.bincount(idx.ravel(), minlength=6)[:, None] * np.ones((1, 3))
    counts[1] = 0
    np.testing.assert_array_equal(g, counts)
    g = jax.grad(lambda a: jnp.sum(F.embedding(idx, a, scale_grad_by_freq=True)))(w)
    used = (np.bincount(idx.ravel(), minlength=6) > 0)[:, None] * np.ones((1, 3))
    np.testing.assert_allclose(g, used, rtol=1e-6)
    oh = variant(lambda t: F.one_hot(t, 6))(idx)
    np.testing.assert_array_equal(oh, np.eye(6, dtype=int)[idx])
    v = jax.vmap(lambda t: F.embedding(t, w))(idx)
    np.testing.assert_array_equal(v, w[idx])


def test_embedding_module(rng):
    emb = nn.Embedding(10, 4, padding_idx=-2, rngs=nnx.Rngs(0))
    assert emb.padding_idx == 8
    np.testing.assert_array_equal(emb.weight[8], 0.0)
    assert abs(float(jnp.std(emb.weight[...])) - 1.0) < 0.5  # N(0, 1)
    idx = jnp.array([[1, 8, 3]])
    np.testing.assert_array_equal(emb(idx), emb.weight[...][idx])
    # max_norm writes the renormalised rows back, as PyTorch's in-place renorm.
    w0 = rng.standard_normal((5, 3)).astype(np.float32) * 3
    emb = nn.Embedding(5, 3, max_norm=1.0, _weight=w0)
    out = emb(jnp.array([0, 2]))
    norms = np.linalg.norm(np.asarray(emb.weight[...]), axis=1)
    assert np.all(norms[[0, 2]] <= 1.0 + 1e-5)
    np.testing.assert_array_equal(np.asarray(emb.weight[...])[[1, 3, 4]], w0[[1, 3, 4]])
    np.testing.assert_array_equal(out, emb.weight[...][jnp.array([0, 2])])

    # Under nnx.jit + nnx.grad the padding row gets no gradient.
    emb = nn.Embedding(5, 3, padding_idx=0, rngs=nnx.Rngs(1))

    @nnx.jit
    def grads(m, t):
        return nnx.grad(lambda m: jnp.sum(m(t) ** 2))(m)

    g = grads(emb, jnp.array([0, 1, 1]))
    np.testing.assert_array_equal(g.weight[...][0], 0.0)
    assert np.all(np.asarray(g.weight[...][1]) != 0)


def test_upsampling_modules(rng):
    x = rng.standard_normal((1, 2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(
        nn.UpsamplingNearest2d(scale_factor=2)(x), F.upsample_nearest(x, scale_factor=2)
    )
    np.testing.assert_array_equal(
        nn.UpsamplingBilinear2d(size=(5, 6))(x), F.upsample_bilinear(x, size=(5, 6))
    )
    np.testing.assert_array_equal(
        F.upsample(x, size=(5, 6), mode="bilinear", align_corners=True),
        F.upsample_bilinear(x, (5, 6)),
    )


def test_one_hot_infers_and_checks():
    assert F.one_hot(jnp.array([1, 3])).shape == (2, 4)
    assert F.one_hot(np.array([[0]]), 2).dtype == jax.dtypes.canonicalize_dtype(
        jnp.int64
    )
    with pytest.raises(ValueError, match="traced"):
        jax.jit(F.one_hot)(jnp.array([1, 2]))
    assert jax.jit(lambda t: F.one_hot(t, 3))(jnp.array([1, 2])).shape == (2, 3)
    with pytest.raises(ValueError, match="empty"):
        F.one_hot(jnp.zeros((0,), jnp.int32))
    with pytest.raises(ValueError, match="non-negative"):
        F.one_hot(jnp.array([-1, 2]), 3)
    with pytest.raises(ValueError, match="smaller than `num_classes`"):
        F.one_hot(jnp.array([3]), 3)
    with pytest.raises(TypeError, match="`tensor`"):
        F.one_hot(jnp.array([1.0]))
    with pytest.raises(ValueError, match="`num_classes`"):
        F.one_hot(jnp.array([1]), -2)


def test_embedding_errors():
    w = jnp.zeros((4, 2))
    with pytest.raises(TypeError, match="`input`"):
        F.embedding(jnp.array([1.0]), w)
    with pytest.raises(ValueError, match="`padding_idx`"):
        F.embedding(jnp.array([1]), w, padding_idx=4)
    with pytest.raises(ValueError, match="`weight`"):
        F.embedding(jnp.array([1]), jnp.zeros(4))
    with pytest.raises(ValueError, match="`input`"):
        F.embedding(np.array([4]), w)
    with pytest.raises(ValueError, match="`num_embeddings`"):
        nn.Embedding(0, 2, rngs=nnx.Rngs(0))
    with pytest.raises(TypeError, match="rngs"):
        nn.Embedding(3, 2)
    with pytest.raises(ValueError, match="`_weight`"):
        nn.Embedding(3, 2, _weight=jnp.zeros((2, 2)))
