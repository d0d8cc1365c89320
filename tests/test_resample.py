"""interpolate, pixel_shuffle and pixel_unshuffle: NumPy references, PyTorch goldens,
both application paths (polyphase slices and dense matrices), layouts,
transformations, dtypes and error paths."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import convjax.functional as F
from convjax._src import resample as rs
from tests.references import resample as ref

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "resample.npz")
_DATA = GOLDEN["data"]


def _golden_cases(prefixes):
    cases = []
    for i, line in enumerate(GOLDEN["meta"]):
        entry = json.loads(str(line))
        if entry["fn"].startswith(prefixes):
            cases.append(
                pytest.param(entry, id=f"{i}-{entry['kwargs'].get('mode', '')}")
            )
    return cases


def _arr(spec, dtype="float32"):
    offset, shape = spec
    return _DATA[offset : offset + int(np.prod(shape))].reshape(shape).astype(dtype)


@pytest.mark.parametrize("entry", _golden_cases(("interpolate", "pixel_")))
def test_matches_torch(entry):
    # Under jit only (eager == jit is checked below and in the reference tests).
    fn = getattr(F, entry["fn"])
    kw = entry["kwargs"]
    x, y = _arr(entry["x"], entry["dtype"]), _arr(entry["y"], entry["dtype"])
    got = jax.jit(lambda a: fn(a, **kw))(x)
    assert got.dtype == x.dtype
    np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-5)
    if "g" in entry:
        r = _arr(entry["r"])
        g = jax.jit(jax.grad(lambda a: jnp.sum(fn(a, **kw) * r)))(x)
        np.testing.assert_allclose(g, _arr(entry["g"]), rtol=1e-5, atol=1e-5)


def test_eager_equals_jit(rng):
    x = rng.standard_normal((1, 2, 6, 7)).astype(np.float32)
    for kw in (
        dict(size=(9, 4), mode="bicubic"),
        dict(scale_factor=0.5, mode="bilinear", antialias=True),
        dict(size=(13, 3), mode="nearest"),
    ):
        eager = F.interpolate(x, **kw)
        np.testing.assert_allclose(
            eager,
            jax.jit(lambda a, kw=kw: F.interpolate(a, **kw))(x),
            rtol=1e-6,
            atol=1e-6,
        )


# ---- NumPy references, both application paths ----------------------------------------

REF_CASES = [
    # (input shape, out sizes, mode, scale factors given to the kernel, align_corners)
    ((2, 3, 7), (15,), "nearest", None, False),
    ((2, 3, 7), (37,), "nearest-exact", None, False),  # period 37 > 16: gather path
    ((2, 3, 7), (37,), "linear", None, False),  # dense matrix path
    ((2, 3, 7), (14,), "linear", None, False),  # polyphase x2
    ((2, 3, 10), (4,), "linear", None, True),
    ((1, 2, 6, 7), (12, 3), "bilinear", None, False),
    ((1, 2, 6, 7), (9, 10), "bilinear", (1.5, 1.5), False),  # scale 1/sf, not I/O
    ((1, 2, 6, 7), (13, 29), "bicubic", None, False),
    ((1, 2, 6, 7), (3, 14), "bicubic", (0.5, 2.0), True),
    ((1, 2, 8, 9), (3, 4), "area", None, False),
    ((1, 2, 4, 5, 3), (8, 2, 7), "trilinear", None, False),
    ((1, 2, 4, 5, 3), (3, 10, 6), "nearest", None, False),
    ((1, 2, 4, 5), (8, 15), "nearest", None, False),  # integer repeats: one broadcast
    ((1, 2, 4, 5), (8, 5), "nearest-exact", (2.0, 1.0), False),
    ((1, 2, 4, 5), (8, 10), "nearest", (2.01, 2.0), False),  # O == 2I, scale 1/2.01
]


@pytest.mark.parametrize("shape,outs,mode,factors,ac", REF_CASES)
def test_matches_reference(variant, rng, shape, outs, mode, factors, ac):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = dict(mode=mode)
    if mode not in ("nearest", "nearest-exact", "area"):
        kw["align_corners"] = ac
    if factors is None:
        kw["size"] = outs
    else:
        kw["scale_factor"] = factors
    got = variant(lambda a: F.interpolate(a, **kw))(x)
    want = ref.interpolate(x, outs, mode, factors, ac)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize(
    "size,ac", [((3, 4), False), ((2, 11), True), ((13, 5), False)]
)
def test_antialias_matches_reference(rng, mode, size, ac):
    x = rng.standard_normal((1, 2, 9, 8)).astype(np.float32)
    got = F.interpolate(x, size=size, mode=mode, align_corners=ac, antialias=True)
    want = ref.interpolate(x, size, mode, None, ac, antialias=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "in_size,out_size,mode",
    [
        (56, 112, "linear"),
        (56, 28, "linear"),
        (56, 112, "bicubic"),
        (9, 6, "bicubic"),
        (5, 11, "nearest"),
        (8, 20, "nearest-exact"),
    ],
)
def test_polyphase_equals_dense(rng, in_size, out_size, mode):
    """The fast path agrees with the dense matrix (and is actually taken)."""
    x = jnp.asarray(rng.standard_normal((2, 3, in_size)).astype(np.float32))
    ft = np.float32
    if mode.startswith("nearest"):
        idx = rs.nearest_indices(in_size, out_size, None, mode == "nearest-exact", ft)
        idx, w = idx[:, None], np.ones((out_size, 1))
    else:
        rule = rs.cubic_taps if mode == "bicubic" else rs.linear_taps
        idx, w = rule(in_size, out_size, None, False, ft)
    period = rs.find_period(idx, w)
    assert period is not None
    fast = rs.apply_polyphase(x, 2, idx, w, *period)
    dense = rs.apply_matrix(x, 2, rs.taps_to_matrix(idx, w, in_size))
    np.testing.assert_allclose(fast, dense, rtol=1e-6, atol=1e-6)


def test_pixel_shuffle_matches_reference(variant, rng):
    x = rng.standard_normal((2, 3, 18, 2, 4)).astype(np.float32)
    got = variant(lambda a: F.pixel_shuffle(a, 3))(x)
    np.testing.assert_array_equal(got, ref.pixel_shuffle(x, 3).astype(np.float32))
    np.testing.assert_array_equal(variant(lambda a: F.pixel_unshuffle(a, 3))(got), x)


# ---- layouts, transformations, dtypes ------------------------------------------------


@pytest.mark.parametrize(
    "kw",
    [
        dict(size=(11, 5), mode="bilinear"),
        dict(scale_factor=0.5, mode="bicubic", antialias=True),
        dict(size=(7, 3), mode="nearest"),
        dict(scale_factor=2, mode="nearest"),
        dict(size=(4, 4), mode="area"),
    ],
)
def test_channels_last(rng, kw):
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    want = np.asarray(F.interpolate(x, **kw))
    got = F.interpolate(np.moveaxis(x, 1, -1), **kw, data_format="NHWC")
    np.testing.assert_allclose(
        np.moveaxis(np.asarray(got), -1, 1), want, rtol=1e-6, atol=1e-6
    )


def test_vmap_matches_batch(rng):
    x = rng.standard_normal((3, 2, 2, 6, 7)).astype(np.float32)
    for kw in (
        dict(scale_factor=2, mode="bilinear"),
        dict(size=(3, 3), mode="bicubic", antialias=True),
    ):
        got = jax.vmap(lambda a, kw=kw: F.interpolate(a, **kw))(x)
        want = np.stack([F.interpolate(xi, **kw) for xi in x])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    got = jax.vmap(lambda a: F.pixel_shuffle(a, 2))(
        rng.standard_normal((3, 2, 8, 2, 2))
    )
    assert got.shape == (3, 2, 2, 4, 4)


def test_gradients_finite_differences(rng):
    x = rng.standard_normal((1, 1, 5, 4))
    with jax.enable_x64(True):
        xj = jnp.asarray(x)
        for kw in (
            dict(size=(9, 3), mode="bicubic"),
            dict(size=(2, 3), mode="bilinear", antialias=True),
            dict(size=(3, 3), mode="area"),
        ):
            check_grads(
                lambda a, kw=kw: F.interpolate(a, **kw),
                (xj,),
                order=1,
                modes=("rev",),
                atol=1e-5,
                rtol=1e-5,
            )


def test_float64_indices_follow_float64_scale():
    # PyTorch computes the scale in float64 for float64 inputs; results still match
    # the float32 path here, and the dtype is kept.
    with jax.enable_x64(True):
        x = jnp.asarray(np.arange(7.0).reshape(1, 1, 7))
        y = F.interpolate(x, size=3, mode="linear")
        assert y.dtype == jnp.float64
        np.testing.assert_allclose(y, ref.interpolate(np.asarray(x), (3,), "linear"))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision(rng, dtype):
    x = rng.standard_normal((1, 2, 6, 7)).astype(np.float32)
    for kw in (
        dict(scale_factor=2, mode="bilinear"),
        dict(size=(4, 9), mode="bicubic"),
        dict(size=(3, 3), mode="area"),
        dict(size=(9, 3), mode="nearest"),
    ):
        got = F.interpolate(jnp.asarray(x, dtype), **kw)
        assert got.dtype == dtype
        np.testing.assert_allclose(
            np.asarray(got, np.float32), F.interpolate(x, **kw), rtol=2e-2, atol=2e-2
        )


def test_integer_nearest_is_exact():
    x = np.arange(2 * 5 * 6, dtype=np.uint8).reshape(1, 2, 5, 6)
    got = F.interpolate(x, size=(7, 13), mode="nearest-exact")
    assert got.dtype == jnp.uint8
    want = ref.interpolate(x, (7, 13), "nearest-exact")
    np.testing.assert_array_equal(got, want.astype(np.uint8))


def test_identity_and_large_rational_sizes(rng):
    x = rng.standard_normal((1, 1, 6, 7)).astype(np.float32)
    for mode in ("nearest", "nearest-exact", "bilinear", "bicubic", "area"):
        np.testing.assert_array_equal(F.interpolate(x, size=(6, 7), mode=mode), x)


# ---- errors --------------------------------------------------------------------------

X3, X4 = np.zeros((1, 2, 5), np.float32), np.zeros((1, 2, 5, 5), np.float32)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (
            lambda: F.interpolate(X4, size=3, mode="nearest", align_corners=True),
            ValueError,
            "`align_corners` can only be set",
        ),
        (
            lambda: F.interpolate(X4, size=3, mode="area", align_corners=False),
            ValueError,
            "`align_corners`",
        ),
        (lambda: F.interpolate(X4, size=3, scale_factor=2), ValueError, "only one of"),
        (lambda: F.interpolate(X4), ValueError, "either `size` or `scale_factor`"),
        (
            lambda: F.interpolate(X4, size=(3, 3, 3)),
            ValueError,
            "one entry per spatial",
        ),
        (
            lambda: F.interpolate(X4, scale_factor=(2,)),
            ValueError,
            "one entry per spatial",
        ),
        (
            lambda: F.interpolate(X4, size=3, mode="linear"),
            ValueError,
            "needs a 3-D input",
        ),
        (lambda: F.interpolate(X3, size=3, mode="bilinear"), ValueError, "needs a 4-D"),
        (
            lambda: F.interpolate(X4, size=3, mode="trilinear"),
            ValueError,
            "needs a 5-D",
        ),
        (
            lambda: F.interpolate(X4, size=3, mode="cubic"),
            ValueError,
            "`mode` must be one of",
        ),
        (lambda: F.interpolate(X4[0, 0], size=3), ValueError, "3-D, 4-D or 5-D"),
        (
            lambda: F.interpolate(X3, size=3, mode="linear", antialias=True),
            ValueError,
            "`antialias=True` is restricted",
        ),
        (
            lambda: F.interpolate(X4, size=3, mode="nearest", antialias=True),
            ValueError,
            "`antialias=True`",
        ),
        (
            lambda: F.interpolate(X4, size=3, recompute_scale_factor=True),
            ValueError,
            "`recompute_scale_factor` is not meaningful",
        ),
        (lambda: F.interpolate(X4, size=0), ValueError, "greater than 0"),
        (lambda: F.interpolate(X4, scale_factor=0.1), ValueError, "greater than 0"),
        (lambda: F.interpolate(X4, size=2.5), TypeError, "`size` must be an int"),
        (
            lambda: F.interpolate(X4, scale_factor=float("nan")),
            ValueError,
            "`scale_factor` must be finite",
        ),
        (
            lambda: F.interpolate(X4, scale_factor=(2.0, float("inf"))),
            ValueError,
            "`scale_factor` must be finite",
        ),
        (
            lambda: F.interpolate(X4, scale_factor="2"),
            TypeError,
            "`scale_factor` must be",
        ),
        (
            lambda: F.interpolate(X4.astype(np.uint8), size=3, mode="bilinear"),
            TypeError,
            "floating-point",
        ),
        (
            lambda: F.interpolate(X4, size=3, data_format="NWC"),
            ValueError,
            "`data_format`",
        ),
        (
            lambda: F.pixel_shuffle(np.zeros((1, 6, 2, 2)), 2),
            ValueError,
            "divisible by",
        ),
        (lambda: F.pixel_shuffle(np.zeros((4, 2)), 2), ValueError, "at least 3 dims"),
        (
            lambda: F.pixel_shuffle(X4, 0),
            ValueError,
            "`upscale_factor` must be a positive",
        ),
        (
            lambda: F.pixel_unshuffle(X4, 2),
            ValueError,
            "must be divisible by downscale",
        ),
        (lambda: F.pixel_unshuffle(X4, 1.5), ValueError, "`downscale_factor`"),
    ],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_errors_raise_at_trace_time():
    with pytest.raises(ValueError, match="`align_corners`"):
        jax.jit(lambda a: F.interpolate(a, size=3, align_corners=True))(X4)


LARGE = np.load(pathlib.Path(__file__).parent / "golden" / "resample_large.npz")


@pytest.mark.parametrize(
    "name", ["bilinear", "bicubic", "area", "bilinear_aa", "bicubic_aa"]
)
def test_irregular_ratios_gather_and_blend(rng, name):
    """A long axis at an irregular ratio (1030 -> 1001) gathers taps (no dense
    (O, I) matrix): PyTorch's values (antialias weights rounded in float32 as its
    kernel does), and the reference matrices' transpose as the gradient."""
    mode, aa = name.removesuffix("_aa"), name.endswith("_aa")
    x = LARGE["x"]
    f = jax.jit(lambda a: F.interpolate(a, size=(1001, 2), mode=mode, antialias=aa))
    got = f(x)
    # One output (124) differs by 1.1e-5 in bilinear/bicubic: one float32 ulp of
    # the source coordinate near 128 (PyTorch's vectorized kernel rounds it
    # differently); antialias agrees to 2e-6.
    np.testing.assert_allclose(got, LARGE[name], rtol=1e-5, atol=2e-5)
    jaxpr = str(jax.make_jaxpr(f)(x))
    assert "1030,1001]" not in jaxpr and "1001,1030]" not in jaxpr
    cot = rng.standard_normal(got.shape).astype(np.float32)
    (grad,) = jax.vjp(f, x)[1](cot)
    if mode == "area":
        m = ref.area_matrix(1030, 1001)
    elif aa:
        m = ref.antialias_matrix(1030, 1001, cubic=mode == "bicubic")
    else:
        m = (ref.cubic_matrix if mode == "bicubic" else ref.linear_matrix)(1030, 1001)
    adjoint = np.einsum("ncaj,ai->ncij", cot.astype(np.float64), m)
    np.testing.assert_allclose(grad, adjoint, rtol=1e-3, atol=1e-3)
