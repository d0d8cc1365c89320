"""convjax.image against float64 NumPy references, colorsys and torchvision goldens."""

import itertools
import pathlib
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from convjax import image as I
from tests.references import color as ref

G = np.load(pathlib.Path(__file__).parent / "golden" / "color.npz")
KINDS = ("float", "outrange", "uint8", "gray_float", "gray_uint8")
OPS = {
    "brightness": (I.adjust_brightness, ref.adjust_brightness),
    "contrast": (I.adjust_contrast, ref.adjust_contrast),
    "saturation": (I.adjust_saturation, ref.adjust_saturation),
    "hue": (I.adjust_hue, ref.adjust_hue),
}
FACTORS = {
    "brightness": (0.0, 0.55, 1.0, 1.37),
    "contrast": (0.0, 0.6, 1.0, 1.7),
    "saturation": (0.0, 0.3, 1.0, 1.9),
    "hue": (-0.5, -0.21, 0.0, 0.13, 0.5),
}
NAMES = ("brightness_factor", "contrast_factor", "saturation_factor", "hue_factor")
TOL = {"rtol": 1e-5, "atol": 1e-5}


def assert_image(got, want, *, exact_uint8=True):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    if want.dtype == np.uint8:
        assert got.dtype == np.uint8
        if exact_uint8:
            np.testing.assert_array_equal(got, want)
        else:  # float64 reference: truncation flips where float32 rounds below an
            # integer (e.g. 1.9 * x - 0.9 * g is often an exact integer in reals)
            diff = np.abs(got.astype(int) - want.astype(int))
            assert diff.max() <= 1 and (diff == 0).mean() >= 0.9, diff.mean()
    else:
        np.testing.assert_allclose(got, want, **TOL)


@pytest.fixture(scope="module")
def images():
    """The golden inputs (black, white, gray and saturated pixels included)."""
    return {k: G[f"in_{k}"] for k in ("float", "uint8", "gray_float", "gray_uint8")}


# --------------------------------------------------------------------------------------
# Deterministic ops: references and goldens.


@pytest.mark.parametrize("op", list(OPS))
def test_ops_vs_reference(op, images, variant):
    ours, theirs = OPS[op]
    fn = variant(ours)
    for x in images.values():
        for f in FACTORS[op]:
            got = fn(x, f)
            assert got.dtype == x.dtype
            assert_image(got, theirs(x, f), exact_uint8=False)


@pytest.mark.parametrize("op", list(OPS))
def test_ops_vs_torchvision(op, variant):
    ours = OPS[op][0]
    for kind in KINDS:
        x = G[f"in_{kind}"]
        for i, f in enumerate(G[op]):
            assert_image(variant(ours)(x, float(f)), G[f"{op}_{kind}_{i}"])


def test_traced_factor_matches_python_number(images):
    """A traced float32 factor gives torchvision's numbers too (uint8 exactly)."""
    for op, (ours, _) in OPS.items():
        x = G["in_uint8"]
        for i, f in enumerate(G[op]):
            got = jax.jit(ours)(x, jnp.float32(f))
            np.testing.assert_array_equal(got, G[f"{op}_uint8_{i}"])


def test_grayscale(variant):
    for kind in KINDS:
        x = G[f"in_{kind}"]
        for n in (1, 3):
            got = variant(lambda x, n=n: I.rgb_to_grayscale(x, n))(x)
            assert_image(got, G[f"gray{n}_{kind}"])
            assert_image(got, ref.rgb_to_grayscale(x, n), exact_uint8=False)
    white = np.full((3, 1, 1), 255, np.uint8)  # the weights sum to 0.9999
    assert int(I.rgb_to_grayscale(white)[0, 0, 0]) == 254


def test_hsv_vs_colorsys_and_torchvision(images, variant):
    x = images["float"]
    hsv = variant(I.rgb_to_hsv)(x)
    np.testing.assert_allclose(hsv, ref.rgb_to_hsv(x), **TOL)
    np.testing.assert_allclose(variant(I.hsv_to_rgb)(hsv), ref.hsv_to_rgb(hsv), **TOL)
    np.testing.assert_allclose(variant(I.hsv_to_rgb)(hsv), x, **TOL)
    for kind in ("float", "outrange"):
        np.testing.assert_allclose(
            I.rgb_to_hsv(G[f"in_{kind}"]), G[f"hsv_{kind}"], **TOL
        )
        np.testing.assert_allclose(
            I.hsv_to_rgb(G[f"hsv_{kind}"]), G[f"rgb_{kind}"], **TOL
        )
    u8 = images["uint8"]  # uint8 is scaled to [0, 1] float32 first
    got = I.rgb_to_hsv(u8)
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(got, ref.rgb_to_hsv(u8 / 255.0), **TOL)


def test_cube_corners_and_edges():
    """Quantised colours (ties between channels) against colorsys."""
    levels = np.array([0.0, 0.25, 0.5, 1.0], np.float32)
    rgb = np.array(list(itertools.product(levels, repeat=3)), np.float32).T[:, None]
    np.testing.assert_allclose(I.rgb_to_hsv(rgb), ref.rgb_to_hsv(rgb), **TOL)
    for f in (-0.5, 0.25, 0.5):
        np.testing.assert_allclose(I.adjust_hue(rgb, f), ref.adjust_hue(rgb, f), **TOL)


def test_out_of_range_float_inputs():
    x = G["in_outrange"]
    # Brightness clamps even with factor 1; hue does not clamp the value channel.
    assert float(jnp.max(I.adjust_brightness(x, 1.0))) == 1.0
    assert float(jnp.min(I.adjust_brightness(x, 1.0))) == 0.0
    assert float(jnp.max(I.adjust_hue(x, 0.0))) > 1.0
    # One-channel saturation and hue are identities (no clamp).
    g = np.full((1, 2, 2), 1.5, np.float32)
    np.testing.assert_array_equal(I.adjust_saturation(g, 0.3), g)
    np.testing.assert_array_equal(I.adjust_hue(g, 0.3), g)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision(dtype, images):
    x = images["float"]
    for op, (ours, theirs) in OPS.items():
        f = FACTORS[op][1]
        got = ours(jnp.asarray(x, dtype), f)
        assert got.dtype == dtype
        want = theirs(np.asarray(jnp.asarray(x, dtype).astype(jnp.float32)), f)
        np.testing.assert_allclose(
            np.asarray(got, np.float32), want, atol=1e-2, rtol=1e-2
        )


def test_per_image_factors_and_vmap(images):
    x = images["float"]
    for op, (ours, theirs) in OPS.items():
        fs = np.asarray(FACTORS[op][1:3], np.float32)
        want = np.stack([theirs(x[i], float(fs[i])) for i in range(2)])
        np.testing.assert_allclose(jax.jit(ours)(x, fs), want, **TOL)
        np.testing.assert_allclose(jax.jit(jax.vmap(ours))(x, fs), want, **TOL)
    # Extra leading axes: a (B, T, C, H, W) video with one factor per clip.
    video = np.stack([x, x[::-1]])
    want = np.stack([ref.adjust_contrast(video[i], 0.5 + i) for i in range(2)])
    np.testing.assert_allclose(
        I.adjust_contrast(video, jnp.array([0.5, 1.5])), want, **TOL
    )


def test_unbatched_and_leading_axes(images):
    x = images["float"]
    for op in ("contrast", "hue"):
        ours = OPS[op][0]
        f = FACTORS[op][1]
        batched = ours(x, f)
        np.testing.assert_allclose(ours(x[1], f), batched[1], **TOL)
        np.testing.assert_allclose(ours(x[None], f)[0], batched, **TOL)


def corner_images():
    """Black, white and gray pixels plus saturated ones, in [0, 1]."""
    px = [(0, 0, 0), (1, 1, 1), (0.5, 0.5, 0.5), (1, 0, 0), (0, 1, 1), (0.2, 0.7, 0.7)]
    return jnp.asarray(np.array(px, np.float32).T[:, None, :])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: I.adjust_brightness(x, 1.3),
        lambda x: I.adjust_contrast(x, 0.7),
        lambda x: I.adjust_saturation(x, 1.6),
        lambda x: I.adjust_hue(x, 0.2),
        I.rgb_to_hsv,
        lambda x: I.hsv_to_rgb(I.rgb_to_hsv(x)),
        I.rgb_to_grayscale,
        lambda x: I.color_jitter(
            jax.random.key(3), x[None], 0.4, 0.4, 0.4, 0.5, per_sample=True
        ),
    ],
)
def test_gradients_finite_at_black_white_gray(fn):
    jac = jax.jit(jax.jacrev(fn))(corner_images())
    assert np.isfinite(np.asarray(jac)).all()


def test_gradients_vs_finite_differences():
    rng = np.random.default_rng(5)
    x = jnp.asarray(rng.uniform(0.2, 0.8, (3, 3, 4)).astype(np.float32))
    for fn in (
        lambda x: I.adjust_brightness(x, 1.1),
        lambda x: I.adjust_contrast(x, 1.2),
        lambda x: I.adjust_saturation(x, 0.8),
        lambda x: I.adjust_hue(x, 0.1),
    ):
        check_grads(
            jax.jit(fn), (x,), order=1, modes=["rev"], eps=1e-3, atol=2e-2, rtol=2e-2
        )


# --------------------------------------------------------------------------------------
# ColorJitter: application with fixed parameters.


def kw(factors):
    """The four factors as apply_color_jitter's keyword arguments."""
    return dict(zip(NAMES, factors, strict=True))


def golden_jitter_args(j):
    order = tuple(int(o) for o in G["jitter_order"][j])
    factors = [None if np.isnan(v) else float(v) for v in G["jitter_factors"][j]]
    return order, factors


_traced_jitter = jax.jit(I.apply_color_jitter)


@pytest.mark.parametrize("j", range(len(G["jitter_order"])))
def test_apply_color_jitter_vs_torchvision(j):
    order, factors = golden_jitter_args(j)
    for kind in KINDS:
        x = G[f"in_{kind}"]
        want = G[f"jitter_{kind}_{j}"]
        assert_image(I.apply_color_jitter(x, order, **kw(factors)), want)
        if kind in ("float", "uint8"):
            # Traced order and factors (the select path), shared by the batch.
            fs = [None if f is None else jnp.float32(f) for f in factors]
            assert_image(_traced_jitter(x, jnp.asarray(order), **kw(fs)), want)
        if j == 0 and kind in ("float", "uint8"):  # ... and one order per image.
            b = x.shape[0]
            fs = [jnp.full((b,), f, jnp.float32) for f in factors]
            orders = jnp.tile(jnp.asarray(order), (b, 1))
            assert_image(_traced_jitter(x, orders, **kw(fs)), want)
        if kind in ("float", "gray_float"):  # in range, float (see assert_image)
            np.testing.assert_allclose(want, ref.color_jitter(x, order, factors), **TOL)


def test_every_order_per_image(images):
    """All 24 orders at once, one per image: float against the float64 reference,
    uint8 exactly against the shared-order path (itself checked against goldens)."""
    orders = np.array(list(itertools.permutations(range(4))), np.int32)
    rng = np.random.default_rng(7)
    factors = [
        rng.uniform(0.5, 1.5, 24).astype(np.float32),
        rng.uniform(0.5, 1.5, 24).astype(np.float32),
        rng.uniform(0.0, 2.0, 24).astype(np.float32),
        rng.uniform(-0.5, 0.5, 24).astype(np.float32),
    ]
    x = np.concatenate([images["float"]] * 12)  # 24 images
    got = _traced_jitter(x, jnp.asarray(orders), **kw(factors))
    for i in range(24):
        fs = [float(f[i]) for f in factors]
        want = ref.color_jitter(x[i], orders[i], fs)
        np.testing.assert_allclose(got[i], want, **TOL)
    u8 = images["uint8"][:1]
    got = _traced_jitter(np.concatenate([u8] * 24), jnp.asarray(orders), **kw(factors))
    for i in range(24):
        fs = [jnp.float32(f[i]) for f in factors]
        np.testing.assert_array_equal(
            got[i], _traced_jitter(u8, orders[i], **kw(fs))[0]
        )
    # Brightness and hue disabled: only the contrast/saturation order matters.
    got = _traced_jitter(x, jnp.asarray(orders), **kw([None, *factors[1:3], None]))
    for i in range(24):
        fs = [None, float(factors[1][i]), float(factors[2][i]), None]
        np.testing.assert_allclose(got[i], ref.color_jitter(x[i], orders[i], fs), **TOL)


def test_disabled_ops_are_skipped():
    x = G["in_outrange"]
    # Nothing enabled: the input comes back untouched (no clamp).
    np.testing.assert_array_equal(I.apply_color_jitter(x, (0, 1, 2, 3)), x)
    np.testing.assert_array_equal(I.color_jitter(jax.random.key(0), x), x)
    np.testing.assert_array_equal(
        I.color_jitter(jax.random.key(0), x, brightness=(1, 1), hue=(0, 0)), x
    )
    # A degenerate non-identity range always applies that factor.
    np.testing.assert_allclose(
        I.color_jitter(jax.random.key(0), x, brightness=(0.5, 0.5)),
        I.adjust_brightness(x, 0.5),
        **TOL,
    )


def test_one_channel_jitter():
    x = G["in_gray_float"]
    order = (3, 2, 1, 0)
    got = I.apply_color_jitter(x, jnp.asarray(order), **kw([1.2, 0.7, 0.1, 0.4]))
    want = I.adjust_brightness(I.adjust_contrast(x, 0.7), 1.2)
    np.testing.assert_allclose(got, want, **TOL)


# --------------------------------------------------------------------------------------
# ColorJitter: sampling.


def test_params_ranges():
    key = jax.random.key(0)
    n = 4000
    p = I.color_jitter_params(key, 0.4, (0.2, 0.9), 1.5, 0.3, shape=(n,))
    assert p["order"].shape == (n, 4) and p["order"].dtype == jnp.int32
    for name, (lo, hi) in zip(
        NAMES, [(0.6, 1.4), (0.2, 0.9), (0.0, 2.5), (-0.3, 0.3)], strict=True
    ):
        f = np.asarray(p[name])
        assert f.shape == (n,) and f.dtype == np.float32
        assert lo <= f.min() < lo + 0.01 and hi - 0.01 < f.max() <= hi, name
        # Uniform: mean and the fraction below the midpoint.
        assert abs(f.mean() - (lo + hi) / 2) < 0.03 * (hi - lo)
        assert abs((f < (lo + hi) / 2).mean() - 0.5) < 0.04
    # Factors are drawn independently of each other.
    corr = np.corrcoef(np.asarray(p["brightness_factor"]), np.asarray(p["hue_factor"]))
    assert abs(corr[0, 1]) < 0.06
    # Disabled ops are None; hue (0, 0) and brightness 0 are disabled.
    p = I.color_jitter_params(key, 0, contrast=0.5, hue=(0.0, 0.0))
    assert p["brightness_factor"] is None and p["hue_factor"] is None
    assert p["saturation_factor"] is None and p["contrast_factor"].shape == ()


def test_all_orders_reachable_and_uniform():
    orders = np.asarray(
        I.color_jitter_params(jax.random.key(1), 0.5, shape=(4800,))["order"]
    )
    np.testing.assert_array_equal(
        np.sort(orders, axis=1), np.tile(np.arange(4), (4800, 1))
    )
    counts = {}
    for o in map(tuple, orders):
        counts[o] = counts.get(o, 0) + 1
    assert len(counts) == 24
    assert min(counts.values()) > 140 and max(counts.values()) < 260  # mean 200, sd 14
    # Unbatched draws across keys reach every order too.
    keys = jax.random.split(jax.random.key(2), 600)
    single = jax.jit(jax.vmap(lambda k: I.color_jitter_params(k, 0.5)["order"]))(keys)
    assert len({tuple(o) for o in np.asarray(single)}) == 24


def test_determinism_and_key_dependence(images):
    x = images["float"]
    fn = jax.jit(lambda k, x: I.color_jitter(k, x, 0.4, 0.4, 0.4, 0.1))
    a, b = fn(jax.random.key(0), x), fn(jax.random.key(0), x)
    np.testing.assert_array_equal(a, b)
    c = fn(jax.random.key(1), x)
    assert np.abs(np.asarray(a) - np.asarray(c)).max() > 1e-3
    # The result is apply_color_jitter with the sampled parameters.
    p = I.color_jitter_params(jax.random.key(0), 0.4, 0.4, 0.4, 0.1)
    np.testing.assert_allclose(a, _traced_jitter(x, **p), **TOL)
    # Raw uint32 keys work as well.
    raw = fn(jax.random.PRNGKey(0), x)
    assert raw.shape == x.shape


def test_per_sample(images):
    x = np.repeat(images["float"][:1], 8, axis=0)  # 8 identical images
    key = jax.random.key(5)

    def jitter(k, x, per_sample=False):
        return I.color_jitter(k, x, 0.4, 0.4, 0.4, 0.1, per_sample=per_sample)

    shared = np.asarray(jax.jit(jitter)(key, x))
    assert np.ptp(shared, axis=0).max() == 0  # one draw for the whole batch
    per = np.asarray(jax.jit(partial(jitter, per_sample=True))(key, x))
    flat = per.reshape(8, -1)
    for i, j in itertools.combinations(range(8), 2):
        assert np.abs(flat[i] - flat[j]).max() > 1e-3
    # Same numbers as applying each image's own parameters.
    p = I.color_jitter_params(key, 0.4, 0.4, 0.4, 0.1, shape=(8,))
    for i in range(8):
        fs = [float(p[n][i]) for n in NAMES]
        want = ref.color_jitter(x[i], np.asarray(p["order"][i]), fs)
        np.testing.assert_allclose(per[i], want, **TOL)
    # vmap over keys is the user-level equivalent.
    keys = jax.random.split(key, 8)
    vm = jax.jit(jax.vmap(jitter))(keys, x)
    for i in (0, 5):
        p = I.color_jitter_params(keys[i], 0.4, 0.4, 0.4, 0.1)
        fs = [float(p[n]) for n in NAMES]
        want = ref.color_jitter(x[i], np.asarray(p["order"]), fs)
        np.testing.assert_allclose(vm[i], want, **TOL)


# --------------------------------------------------------------------------------------
# Errors.


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda x: I.adjust_brightness(x, -0.1), ValueError, "`brightness_factor`"),
        (lambda x: I.adjust_contrast(x, -1), ValueError, "`contrast_factor`"),
        (
            lambda x: I.adjust_saturation(x, float("nan")),
            ValueError,
            "`saturation_factor`",
        ),
        (
            lambda x: I.adjust_hue(x, 0.6),
            ValueError,
            r"`hue_factor` must be in \[-0.5, 0.5\]",
        ),
        (lambda x: I.adjust_hue(x, "a"), TypeError, "`hue_factor`"),
        (lambda x: I.adjust_brightness(x, True), TypeError, "`brightness_factor`"),
        (lambda x: I.adjust_brightness(x, jnp.ones((2, 3, 1))), ValueError, "prefix"),
        (lambda x: I.adjust_hue(x, jnp.zeros(3)), ValueError, "prefix"),
        (lambda x: I.adjust_brightness(x[0, 0], 1.0), ValueError, "at least 3 dims"),
        (lambda x: I.adjust_hue(x.astype(np.int32), 0.1), TypeError, "uint8"),
        (lambda x: I.adjust_saturation(x[:, :2], 0.5), TypeError, "1 or 3 channels"),
        (lambda x: I.rgb_to_grayscale(x, 2), ValueError, "`num_output_channels`"),
        (lambda x: I.rgb_to_hsv(x[:, :1]), TypeError, "3 channels"),
        (lambda x: I.hsv_to_rgb((x * 255).astype(np.uint8)), TypeError, "floating"),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, -0.1),
            ValueError,
            "`brightness`",
        ),
        (lambda x: I.color_jitter(jax.random.key(0), x, hue=0.6), ValueError, "`hue`"),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, hue=(-0.6, 0.1)),
            ValueError,
            "`hue`",
        ),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, contrast=(1.5, 0.5)),
            ValueError,
            "increasing",
        ),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, saturation=(-1, 1)),
            ValueError,
            "`saturation`",
        ),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, saturation=(1, 2, 3)),
            TypeError,
            "`saturation`",
        ),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, "a"),
            TypeError,
            "`brightness`",
        ),
        (
            lambda x: I.color_jitter(jax.random.key(0), x, per_sample=1),
            TypeError,
            "`per_sample`",
        ),
        (
            lambda x: I.apply_color_jitter(x, (0, 1, 2, 2), brightness_factor=1.0),
            ValueError,
            "`order`",
        ),
        (
            lambda x: I.apply_color_jitter(x, (0, 1, 2), brightness_factor=1.0),
            ValueError,
            "`order`",
        ),
        (
            lambda x: I.apply_color_jitter(
                x, jnp.zeros((3, 4), jnp.int32), brightness_factor=1.0
            ),
            ValueError,
            "`order`",
        ),
        (
            lambda x: I.apply_color_jitter(x, jnp.zeros(4), brightness_factor=1.0),
            TypeError,
            "`order`",
        ),
        (
            lambda x: I.apply_color_jitter(x, (0, 1, 2, 3), hue_factor=0.7),
            ValueError,
            "`hue_factor`",
        ),
    ],
)
def test_errors(call, exc, match, images):
    with pytest.raises(exc, match=match):
        call(images["float"])


def test_apply_color_jitter_checks_a_concrete_jax_order():
    """A jax.Array order with a repeated index was applied (one op twice)."""
    img = jnp.full((3, 4, 4), 0.5)
    with pytest.raises(ValueError, match="permutations"):
        I.apply_color_jitter(img, jnp.array([0, 0, 1, 2]), brightness_factor=1.2)
    ok = I.apply_color_jitter(img, jnp.array([1, 0, 2, 3]), brightness_factor=1.2)
    np.testing.assert_allclose(ok, 0.6, rtol=1e-6)
