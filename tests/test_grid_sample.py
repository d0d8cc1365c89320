"""``affine_grid`` / ``grid_sample``: PyTorch goldens (values and gradients w.r.t.
input and grid, every mode/padding/align_corners, out-of-range and NaN grids), a NumPy
reference, vmap, dtypes and error paths."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from tests.references import grid_sample as ref
from tests.test_pool_indices import golden_cases, run_golden


@pytest.mark.parametrize("entry", golden_cases(("affine_grid", "grid_sample")))
def test_matches_torch(entry):
    run_golden(entry)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_matches_numpy_2d(variant, rng, mode, padding_mode):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    g = rng.uniform(-1.3, 1.3, (2, 4, 3, 2)).astype(np.float32)
    for ac in (False, True):
        got = variant(lambda a, b, ac=ac: F.grid_sample(a, b, mode, padding_mode, ac))(
            x, g
        )
        want = ref.grid_sample(x, g, mode, padding_mode, ac)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_matches_numpy_3d(rng, mode):
    x = rng.standard_normal((1, 2, 3, 4, 5)).astype(np.float32)
    g = rng.uniform(-1.3, 1.3, (1, 2, 2, 3, 3)).astype(np.float32)
    for pad in ("zeros", "border", "reflection"):
        got = jax.jit(lambda a, b, pad=pad: F.grid_sample(a, b, mode, pad, False))(x, g)
        want = ref.grid_sample(x, g, mode, pad, False)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_identity_transform_round_trips(rng):
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    theta = np.tile(np.eye(2, 3, dtype=np.float32), (2, 1, 1))
    for ac in (False, True):
        grid = F.affine_grid(theta, x.shape, align_corners=ac)
        y = F.grid_sample(x, grid, align_corners=ac)
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-5)


def test_affine_grid_matches_numpy(rng):
    theta = rng.standard_normal((2, 3, 4)).astype(np.float32)
    for ac in (False, True):
        got = F.affine_grid(theta, (2, 1, 3, 4, 5), align_corners=ac)
        np.testing.assert_allclose(
            got, ref.affine_grid(theta, (2, 1, 3, 4, 5), ac), rtol=1e-5, atol=1e-6
        )


def test_vmap_grads_and_dtypes(rng):
    x = rng.standard_normal((3, 1, 2, 5, 6)).astype(np.float32)
    g = rng.uniform(-1.2, 1.2, (3, 1, 4, 3, 2)).astype(np.float32)

    def f(a, b):  # (bicubic and every padding's gradients: the torch goldens)
        return F.grid_sample(a, b, "bilinear", "reflection", False)

    out = jax.jit(jax.vmap(f))(x, g)
    np.testing.assert_allclose(out[2], f(x[2], g[2]), rtol=1e-5, atol=1e-5)
    gx, gg = jax.jit(jax.grad(lambda a, b: jnp.sum(f(a, b) ** 2), (0, 1)))(x[0], g[0])
    assert np.isfinite(gx).all() and np.isfinite(gg).all()
    # The nearest mode's grid gradient is zero, as PyTorch's.
    gn = jax.grad(lambda b: jnp.sum(F.grid_sample(x[0], b, "nearest", "zeros", False)))(
        g[0]
    )
    np.testing.assert_array_equal(gn, 0.0)
    xb, gb = jnp.asarray(x[0], jnp.bfloat16), jnp.asarray(g[0], jnp.bfloat16)
    yb = F.grid_sample(xb, gb, align_corners=True)
    assert yb.dtype == jnp.bfloat16
    np.testing.assert_allclose(
        np.asarray(yb, np.float32),
        F.grid_sample(
            np.asarray(xb, np.float32), np.asarray(gb, np.float32), align_corners=True
        ),
        rtol=1e-2,
        atol=1e-2,
    )


def test_align_corners_none_warns_and_means_false(rng):
    x = rng.standard_normal((1, 1, 3, 3)).astype(np.float32)
    g = rng.uniform(-1, 1, (1, 2, 2, 2)).astype(np.float32)
    with pytest.warns(UserWarning, match="align_corners"):
        y = F.grid_sample(x, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(y, F.grid_sample(x, g, align_corners=False))
    with pytest.warns(UserWarning, match="align_corners"):
        F.affine_grid(np.zeros((1, 2, 3), np.float32), (1, 1, 2, 2))


def test_errors():
    x = jnp.zeros((1, 1, 3, 3))
    g = jnp.zeros((1, 2, 2, 2))
    with pytest.raises(ValueError, match="`mode`"):
        F.grid_sample(x, g, "area", align_corners=False)
    with pytest.raises(ValueError, match="`padding_mode`"):
        F.grid_sample(x, g, padding_mode="circular", align_corners=False)
    with pytest.raises(ValueError, match="bicubic"):
        F.grid_sample(
            x[None], jnp.zeros((1, 1, 2, 2, 3)), "bicubic", align_corners=False
        )
    with pytest.raises(ValueError, match="`grid`"):
        F.grid_sample(x, jnp.zeros((1, 2, 2, 3)), align_corners=False)
    with pytest.raises(ValueError, match="`grid`"):
        F.grid_sample(x, jnp.zeros((2, 2, 2, 2)), align_corners=False)
    with pytest.raises(TypeError, match="`grid`"):
        F.grid_sample(x, g.astype(jnp.bfloat16), align_corners=False)
    with pytest.raises(TypeError, match="`input`"):
        F.grid_sample(x.astype(jnp.int32), g, align_corners=False)
    with pytest.raises(ValueError, match="`input`"):
        F.grid_sample(jnp.zeros((1, 1, 0, 3)), g, align_corners=False)
    with pytest.raises(ValueError, match="`input`"):
        F.grid_sample(x[0], g[0], align_corners=False)
    theta = jnp.zeros((1, 2, 3))
    with pytest.raises(ValueError, match="`theta`"):
        F.affine_grid(theta, (1, 1, 2, 2, 2), align_corners=False)
    with pytest.raises(ValueError, match="`size`"):
        F.affine_grid(theta, (1, 1, 4), align_corners=False)
    with pytest.raises(ValueError, match="`size`"):
        F.affine_grid(theta, (1, 1, 0, 4), align_corners=False)
    with pytest.raises(ValueError, match="batch"):
        F.affine_grid(theta, (2, 1, 3, 4), align_corners=False)
    with pytest.raises(TypeError, match="`theta`"):
        F.affine_grid(theta.astype(jnp.int32), (1, 1, 3, 4), align_corners=False)
