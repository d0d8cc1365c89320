"""Max pooling with indices and max unpooling: PyTorch goldens (indices exactly equal,
ties, -inf and NaN), NumPy references, gradients, layouts, vmap and error paths."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from convjax import nn
from tests.references import pool_indices as ref

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "ops17.npz")


def golden_cases(prefixes):
    cases = []
    for i, line in enumerate(GOLDEN["meta"]):
        entry = json.loads(str(line))
        if entry["fn"].startswith(prefixes):
            entry["i"] = i
            cases.append(pytest.param(entry, id=f"{i}-{entry['fn']}"))
    return cases


def golden(entry, name):
    return GOLDEN[f"{entry['i']}/{name}"]


def run_golden(entry, exact_out=()):
    """Checks a golden case's outputs and gradients (shared with other test files);
    one jit compile per case: outputs and gradients come from one function."""
    fn = getattr(F, entry["fn"])
    kw = entry["kwargs"]
    args = [golden(entry, a) for a in entry["args"]]
    pos = [entry["args"].index(g) for g in entry["grads"]]

    def loss(diff, rest):
        full = list(rest)
        for p, d in zip(pos, diff, strict=True):
            full[p] = d
        out = fn(*full, **kw)
        outs = out if isinstance(out, tuple) else (out,)
        r = golden(entry, "r") if pos else 0.0
        return jnp.sum(outs[0] * r), outs

    diff = [args[p] for p in pos]
    grads, outs = jax.jit(jax.grad(loss, has_aux=True))(diff, args)
    assert len(outs) == entry["nout"]
    for j, o in enumerate(outs):
        want = golden(entry, f"out{j}")
        assert o.shape == want.shape
        if j in exact_out:
            np.testing.assert_array_equal(o, want)
        else:
            np.testing.assert_allclose(o, want, rtol=1e-5, atol=1e-5)
    for name, g in zip(entry["grads"], grads, strict=True):
        np.testing.assert_allclose(g, golden(entry, f"d_{name}"), rtol=1e-5, atol=1e-5)


def test_golden_file_records_torch_version():
    assert str(GOLDEN["torch_version"]).startswith("2.")


@pytest.mark.parametrize("entry", golden_cases(("max_pool", "adaptive_max")))
def test_pool_indices_match_torch(entry):
    run_golden(entry, exact_out=(0, 1))


@pytest.mark.parametrize("entry", golden_cases(("max_unpool",)))
def test_unpool_matches_torch(entry):
    run_golden(entry, exact_out=(0,))


# ---- NumPy references ---------------------------------------------------------------

CASES = [
    (1, (2, 3, 10), dict(kernel_size=3, stride=2, padding=1)),
    (1, (2, 1, 9), dict(kernel_size=2, stride=1, dilation=3, padding=1)),
    (2, (1, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (2, (2, 2, 7, 8), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
    (3, (1, 2, 5, 6, 5), dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0))),
]


@pytest.mark.parametrize("n,shape,kw", CASES)
def test_max_pool_indices_match_numpy(variant, rng, n, shape, kw):
    x = rng.integers(0, 3, shape).astype(np.float32)
    x[(0,) * x.ndim] = np.nan
    fn = getattr(F, f"max_pool{n}d")
    v, i = variant(lambda a: fn(a, return_indices=True, **kw))(x)
    want_v, want_i = ref.max_pool_with_indices(x, **kw)
    np.testing.assert_array_equal(v, want_v.astype(np.float32))
    np.testing.assert_array_equal(i, want_i)
    assert i.dtype == jax.dtypes.canonicalize_dtype(jnp.int64)
    # Values equal the plain (fast) path.
    np.testing.assert_array_equal(v, fn(x, **kw))


@pytest.mark.parametrize(
    "n,shape,out",
    [(1, (2, 3, 10), 4), (2, (1, 2, 7, 9), (3, 4)), (3, (1, 1, 5, 4, 7), 3)],
)
def test_adaptive_max_indices_match_numpy(variant, rng, n, shape, out):
    x = rng.integers(0, 3, shape).astype(np.float32)
    fn = getattr(F, f"adaptive_max_pool{n}d")
    v, i = variant(lambda a: fn(a, out, return_indices=True))(x)
    want_v, want_i = ref.adaptive_max_with_indices(x, out)
    np.testing.assert_array_equal(v, want_v.astype(np.float32))
    np.testing.assert_array_equal(i, want_i)
    np.testing.assert_array_equal(v, fn(x, out))


@pytest.mark.parametrize("n,shape,kw", CASES[::2])
def test_unpool_inverts_pool_and_matches_numpy(variant, rng, n, shape, kw):
    x = rng.standard_normal(shape).astype(np.float32)
    v, i = getattr(F, f"max_pool{n}d")(x, return_indices=True, **kw)
    kw = {k: w for k, w in kw.items() if k in ("kernel_size", "stride", "padding")}
    unpool = getattr(F, f"max_unpool{n}d")
    y = variant(lambda a, b: unpool(a, b, output_size=shape[2:], **kw))(v, i)
    np.testing.assert_array_equal(
        y, ref.max_unpool(np.asarray(v), np.asarray(i), shape[2:])
    )
    # Every kept value sits where it came from.
    np.testing.assert_array_equal(np.where(y != 0, x, 0), y)


def test_pool_indices_dtypes_and_layouts(rng):
    x = rng.integers(-5, 5, (2, 3, 6, 7)).astype(np.int32)
    v, i = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    assert v.dtype == jnp.int32
    np.testing.assert_array_equal(v, F.max_pool2d(x, 3, 2, 1))
    xh = jnp.asarray(x, jnp.bfloat16)
    vh, ih = F.max_pool2d(xh, 3, 2, 1, return_indices=True)
    assert vh.dtype == jnp.bfloat16
    np.testing.assert_array_equal(ih, i)
    # Channels last: same numbers, moved axes.
    vl, il = F.max_pool2d(
        np.moveaxis(x, 1, -1), 3, 2, 1, return_indices=True, data_format="NHWC"
    )
    np.testing.assert_array_equal(np.moveaxis(np.asarray(il), -1, 1), i)
    np.testing.assert_array_equal(np.moveaxis(np.asarray(vl), -1, 1), v)
    yl = F.max_unpool2d(vl, il, 3, 2, 1, output_size=(6, 7), data_format="NHWC")
    y = F.max_unpool2d(v, i, 3, 2, 1, output_size=(6, 7))
    np.testing.assert_array_equal(np.moveaxis(np.asarray(yl), -1, 1), y)
    va, ia = F.adaptive_max_pool2d(
        np.moveaxis(x, 1, -1), (2, 3), return_indices=True, data_format="NHWC"
    )
    np.testing.assert_array_equal(
        np.moveaxis(np.asarray(ia), -1, 1),
        F.adaptive_max_pool2d(x, (2, 3), return_indices=True)[1],
    )


def test_vmap_and_unbatched(rng):
    x = rng.standard_normal((3, 2, 2, 6, 6)).astype(np.float32)
    f = lambda a: F.max_pool2d(a, 2, return_indices=True)  # noqa: E731
    vv, iv = jax.vmap(f)(x)
    for b in range(3):
        vb, ib = f(x[b])
        np.testing.assert_array_equal(vv[b], vb)
        np.testing.assert_array_equal(iv[b], ib)
    u = jax.vmap(lambda a, b: F.max_unpool2d(a, b, 2))(vv, iv)
    np.testing.assert_array_equal(u[1], F.max_unpool2d(vv[1], iv[1], 2))
    # Unbatched (C, H, W) input.
    v1, i1 = f(x[0, 0])
    np.testing.assert_array_equal(i1, f(x[0])[1][0])
    np.testing.assert_array_equal(
        F.max_unpool2d(v1, i1, 2), F.max_unpool2d(vv[0], iv[0], 2)[0]
    )


def test_unpool_duplicates_last_wins_and_gradient_gathers():
    x = jnp.array([[[1.0, 2.0, 3.0]]])
    idx = jnp.array([[[1, 1, 0]]])
    y = F.max_unpool1d(x, idx, 1, output_size=[3])
    np.testing.assert_array_equal(y, [[[3.0, 2.0, 0.0]]])
    g = jax.grad(
        lambda a: jnp.sum(
            F.max_unpool1d(a, idx, 1, output_size=[3])
            * jnp.array([[[10.0, 20.0, 30.0]]])
        )
    )(x)
    np.testing.assert_array_equal(g, [[[20.0, 20.0, 10.0]]])  # PyTorch's gather rule


def test_empty_batch():
    v, i = F.max_pool2d(jnp.zeros((0, 2, 5, 6)), 2, return_indices=True)
    assert v.shape == i.shape == (0, 2, 2, 3)
    assert F.max_unpool2d(v, i, 2).shape == (0, 2, 4, 6)
    v, i = F.adaptive_max_pool1d(jnp.zeros((0, 2, 5)), 2, return_indices=True)
    assert v.shape == (0, 2, 2)


def test_modules(rng):
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    pool = nn.MaxPool2d(2, return_indices=True)
    v, i = pool(x)
    np.testing.assert_array_equal(v, F.max_pool2d(x, 2))
    unpool = nn.MaxUnpool2d(2)
    np.testing.assert_array_equal(unpool(v, i), F.max_unpool2d(v, i, 2))
    np.testing.assert_array_equal(
        unpool(v, i, output_size=(7, 7)), F.max_unpool2d(v, i, 2, output_size=(7, 7))
    )
    va, ia = nn.AdaptiveMaxPool2d((2, 3), return_indices=True)(x)
    np.testing.assert_array_equal(
        ia, F.adaptive_max_pool2d(x, (2, 3), return_indices=True)[1]
    )
    assert nn.MaxPool1d(2)(x[0, 0]).shape == (6, 3)
    v1, i1 = F.max_pool1d(x[0, 0], 2, return_indices=True)
    assert nn.MaxUnpool1d(2)(v1, i1).shape == (6, 6)
    assert nn.MaxUnpool3d(2, stride=2)(
        *F.max_pool3d(x[None], 2, return_indices=True)
    ).shape == (1, 1, 2, 6, 6)


def test_errors():
    x = jnp.zeros((1, 2, 4, 4))
    v, i = F.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(TypeError, match="`indices`"):
        F.max_unpool2d(v, i.astype(jnp.float32), 2)
    with pytest.raises(ValueError, match="`indices`"):
        F.max_unpool2d(v, i[:, :1], 2)
    with pytest.raises(ValueError, match="`output_size`"):
        F.max_unpool2d(v, i, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match="`output_size`"):
        F.max_unpool2d(v, i, 2, output_size=(4,))
    with pytest.raises(ValueError, match="invalid max index"):
        F.max_unpool2d(v, np.full(i.shape, 16), 2)
    with pytest.raises(ValueError, match="non-zero"):
        F.max_unpool2d(jnp.zeros((1, 0, 2, 2)), jnp.zeros((1, 0, 2, 2), jnp.int32), 2)
    with pytest.raises(ValueError, match="rank"):
        F.max_unpool2d(jnp.zeros((2, 2)), jnp.zeros((2, 2), jnp.int32), 2)
    with pytest.raises(ValueError, match="`stride`"):
        F.max_unpool2d(v, i, 2, stride=0)
    with pytest.raises(ValueError, match="non-zero"):
        F.max_pool2d(jnp.zeros((2, 0, 4, 4)), 2, return_indices=True)
    with pytest.raises(ValueError, match="non-zero"):
        F.adaptive_max_pool2d(jnp.zeros((2, 3, 0, 4)), 2, return_indices=True)
    with pytest.raises(ValueError, match="`padding`"):
        F.max_pool1d(jnp.zeros((1, 1, 5)), 2, padding=2, return_indices=True)
