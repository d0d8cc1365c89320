"""conv1d/2d/3d against the NumPy reference, over every registered implementation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import convjax.functional as F
from tests.conv_utils import LAYOUTS, apply, arrays, supported_cases
from tests.references import conv as ref

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}

# (name, x shape (N, C, *S), weight shape (O, C/G, *K), keyword arguments)
CASES = [
    ("1d", (2, 4, 11), (6, 4, 3), {}),
    (
        "1d-s2-p1-d2-g2-bias",
        (2, 4, 13),
        (6, 2, 3),
        dict(stride=2, padding=1, dilation=2, groups=2, bias=True),
    ),
    ("1d-same-even-k-dilated", (2, 3, 10), (5, 3, 4), dict(padding="same", dilation=2)),
    (
        "1d-depthwise-x2-same",
        (2, 3, 10),
        (6, 1, 5),
        dict(padding="same", groups=3, bias=True),
    ),
    ("1d-reflect", (1, 2, 8), (3, 2, 3), dict(padding=2, padding_mode="reflect")),
    ("2d", (2, 3, 9, 8), (4, 3, 3, 3), dict(bias=True)),
    (
        "2d-anisotropic-g2",
        (2, 4, 10, 9),
        (6, 2, 3, 2),
        dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=True),
    ),
    (
        "2d-same-even-k",
        (1, 3, 9, 8),
        (4, 3, 4, 3),
        dict(padding="same", dilation=(1, 2)),
    ),
    ("2d-same-stride2", (2, 3, 9, 8), (4, 3, 3, 3), dict(padding="same", stride=2)),
    ("2d-valid", (1, 2, 7, 7), (3, 2, 2, 2), dict(padding="valid")),
    ("2d-depthwise", (2, 4, 8, 8), (4, 1, 3, 3), dict(padding=1, groups=4, bias=True)),
    (
        "2d-depthwise-x2-s2",
        (2, 4, 9, 9),
        (8, 1, 3, 3),
        dict(padding=1, stride=2, groups=4),
    ),
    (
        "2d-depthwise-5x5-s2-d2",
        (1, 3, 12, 11),
        (3, 1, 5, 5),
        dict(padding=2, stride=2, dilation=2, groups=3),
    ),
    (
        "2d-grouped-g4",
        (2, 8, 7, 6),
        (12, 2, 3, 3),
        dict(padding=1, groups=4, bias=True),
    ),
    ("2d-pointwise", (2, 6, 5, 4), (5, 6, 1, 1), dict(bias=True)),
    ("2d-pointwise-s2", (2, 6, 5, 4), (5, 6, 1, 1), dict(stride=2)),
    ("2d-stem-7x7-s2", (1, 3, 16, 16), (4, 3, 7, 7), dict(stride=2, padding=3)),
    (
        "2d-reflect",
        (1, 2, 6, 5),
        (3, 2, 3, 3),
        dict(padding=(2, 1), padding_mode="reflect"),
    ),
    (
        "2d-replicate-g2",
        (1, 4, 6, 5),
        (4, 2, 3, 3),
        dict(padding=2, padding_mode="replicate", groups=2),
    ),
    (
        "2d-circular",
        (1, 2, 6, 5),
        (3, 2, 3, 3),
        dict(padding=(1, 2), padding_mode="circular", bias=True),
    ),
    (
        "2d-circular-same-depthwise",
        (1, 3, 6, 6),
        (3, 1, 3, 3),
        dict(padding="same", padding_mode="circular", groups=3),
    ),
    ("3d", (1, 2, 5, 6, 4), (3, 2, 3, 3, 2), dict(bias=True)),
    (
        "3d-s2-p1-g2",
        (2, 4, 6, 5, 5),
        (4, 2, 3, 3, 3),
        dict(stride=2, padding=1, groups=2),
    ),
    ("3d-depthwise", (1, 3, 5, 5, 5), (3, 1, 3, 3, 3), dict(padding=1, groups=3)),
    (
        "3d-replicate-dilated",
        (1, 2, 6, 5, 6),
        (2, 2, 2, 3, 2),
        dict(padding=1, dilation=(2, 1, 1), padding_mode="replicate"),
    ),
]


# Every (case, implementation) pair that the implementation supports.
PAIRS = supported_cases(CASES, CONV, lambda wshape, kwargs: wshape[0])


def _case(name):
    shape, wshape, kwargs = next((s, w, k) for n, s, w, k in CASES if n == name)
    kwargs = dict(kwargs)
    bias = wshape[0] if kwargs.pop("bias", False) else None
    return (*arrays(name, shape, wshape, bias), kwargs)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,impl", PAIRS)
def test_conv_matches_reference(name, impl, layout):
    x, w, b, kwargs = _case(name)
    fn = CONV[x.ndim - 2]
    got = jax.jit(lambda a, c, d: apply(fn, a, c, d, kwargs, layout, impl))(x, w, b)
    want = ref.conv(x, w, b, **kwargs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", [c[0] for c in CASES[::4]])
def test_conv_eager_equals_jit(name):
    x, w, b, kwargs = _case(name)
    fn = CONV[x.ndim - 2]
    eager = fn(x, w, b, **kwargs)
    jitted = jax.jit(lambda a, c: fn(a, c, b, **kwargs))(x, w)
    np.testing.assert_allclose(eager, jitted, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(eager, ref.conv(x, w, b, **kwargs), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", ["batched", "channels_last"])
@pytest.mark.parametrize("name,impl", PAIRS)
def test_conv_gradients_match_reference(name, impl, layout):
    x, w, b, kwargs = _case(name)
    fn = CONV[x.ndim - 2]
    b = np.zeros(w.shape[0], np.float32) if b is None else b
    r = np.random.default_rng(1).standard_normal(ref.conv(x, w, b, **kwargs).shape)

    def loss(a, c, d):
        return jnp.sum(apply(fn, a, c, d, kwargs, layout, impl) * r.astype(np.float32))

    got = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(x, w, b)
    want = ref.conv_vjp(x, w, r, **kwargs)
    for g, e in zip(got, want, strict=True):
        assert np.isfinite(g).all()
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)


def test_conv_gradient_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 5, 4)).astype(np.float32)
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)

    def f(a, c):
        return F.conv2d(a, c, stride=2, padding=1, groups=2, padding_mode="reflect")

    check_grads(f, (x, w), order=1, modes=("rev",), atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize(
    "name", ["1d-s2-p1-d2-g2-bias", "2d-depthwise-x2-s2", "3d-s2-p1-g2"]
)
def test_conv_vmap(name):
    x, w, b, kwargs = _case(name)
    fn = CONV[x.ndim - 2]
    got = jax.vmap(lambda xi: fn(xi, w, b, **kwargs))(x[:, None])[:, 0]
    np.testing.assert_allclose(got, fn(x, w, b, **kwargs), rtol=1e-6, atol=1e-6)
    # vmap over weights too (a batch of independent convs).
    ws = np.stack([w, 2 * w])
    got = jax.vmap(lambda wi: fn(x, wi, None, **kwargs))(ws)
    np.testing.assert_allclose(got[1], 2 * got[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_conv_half_precision(dtype):
    x, w, b, kwargs = _case("2d-anisotropic-g2")
    got = F.conv2d(x.astype(dtype), w.astype(dtype), b.astype(dtype), **kwargs)
    assert got.dtype == dtype
    want = ref.conv(
        x.astype(dtype).astype(np.float32),
        w.astype(dtype).astype(np.float32),
        b,
        **kwargs,
    )
    np.testing.assert_allclose(got.astype(np.float32), want, rtol=2e-2, atol=5e-2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(groups=3), r"`groups` \(3\)"),
        (dict(groups=0), "`groups` must be a positive int"),
        (dict(padding="full"), "`padding` must be one of"),
        (dict(padding=-1), "`padding` must be non-negative"),
        (dict(padding=(1, 2, 3)), "`padding` must be an int or a sequence of 2 ints"),
        (dict(stride=0), "`stride` must be positive"),
        (dict(padding_mode="mirror"), "`padding_mode` must be one of"),
        (
            dict(padding=5, padding_mode="reflect"),
            "reflect `padding` .* must be smaller than the input size",
        ),
        (
            dict(padding=6, padding_mode="circular"),
            "circular `padding` .* must be at most the input size",
        ),
        (dict(data_format="NCWH"), "`data_format` must be"),
        (dict(impl="fast"), "`impl` must be one of"),
        (dict(dilation=4), "smaller than the dilated kernel"),
    ],
)
def test_conv_errors(kwargs, match):
    x = jnp.zeros((1, 4, 5, 5))
    g = kwargs.get("groups", 1)
    w = jnp.zeros((4, 4 // g if g > 0 and 4 % g == 0 else 4, 3, 3))
    with pytest.raises(ValueError, match=match):
        F.conv2d(x, w, **kwargs)


def test_conv_weight_errors():
    x = jnp.zeros((1, 4, 5, 5))
    with pytest.raises(ValueError, match="`weight` must have rank 4"):
        F.conv2d(x, jnp.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"expects 2 input channels .* input has 4"):
        F.conv2d(x, jnp.zeros((4, 2, 3, 3)))
    with pytest.raises(
        ValueError, match=r"output channels \(5\) must be divisible by `groups` \(2\)"
    ):
        F.conv2d(x, jnp.zeros((5, 2, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(4,\)"):
        F.conv2d(x, jnp.zeros((4, 4, 3, 3)), jnp.zeros(3))
    with pytest.raises(ValueError, match="expects `input` of rank 3 .* or 4"):
        F.conv2d(jnp.zeros((4, 5)), jnp.zeros((4, 4, 3, 3)))
    with pytest.raises(ValueError, match="expects `input` of rank 2 .* or 3"):
        F.conv1d(x, jnp.zeros((4, 4, 3)))


def test_impl_must_be_a_string():
    with pytest.raises(TypeError, match="`impl` must be a string, got None"):
        F.conv2d(jnp.zeros((1, 4, 5, 5)), jnp.zeros((4, 4, 3, 3)), impl=None)


def test_errors_raise_at_trace_time():
    with pytest.raises(ValueError, match="`groups`"):
        jax.jit(lambda a, c: F.conv2d(a, c, groups=3)).lower(
            jax.ShapeDtypeStruct((1, 4, 5, 5), jnp.float32),
            jax.ShapeDtypeStruct((3, 1, 3, 3), jnp.float32),
        )


def test_dtypes_pytorch_rejects_raise_instead_of_losing_values():
    """Issue 14: bool convs, a float bias on an integer conv, a complex bias."""
    xb, wb = np.ones((1, 1, 3, 3), bool), np.ones((1, 1, 2, 2), bool)
    for fn in (F.conv2d, F.conv_transpose2d):
        with pytest.raises(TypeError, match="boolean `input`"):
            fn(xb, wb)
        with pytest.raises(TypeError, match="boolean `weight`"):
            fn(xb.astype(np.float32), wb)
    xi, wi = np.ones((1, 1, 3, 3), np.int32), np.ones((1, 1, 2, 2), np.int32)
    for fn in (F.conv2d, F.conv_transpose2d):
        with pytest.raises(TypeError, match="`bias` of dtype float32 cannot"):
            fn(xi, wi, np.array([0.7], np.float32))
        with pytest.raises(TypeError, match="`bias` of dtype complex64 cannot"):
            fn(
                xi.astype(np.float32),
                wi.astype(np.float32),
                np.array([1j], np.complex64),
            )
    with pytest.raises(TypeError, match="boolean `input`"):
        F.linear(np.ones((2, 3), bool), np.ones((4, 3), bool))
    # same-kind and widening casts keep working (integer conv with an integer bias)
    y = F.conv2d(xi, wi, np.array([3], np.int32))
    assert y.dtype == jnp.int32 and int(y[0, 0, 0, 0]) == 7
    y = F.conv2d(xi.astype(np.float32), wi.astype(np.float32), np.ones(1, np.float16))
    assert y.dtype == jnp.float32


def test_channels_last_input_to_a_channels_first_conv_gets_a_hint():
    x = np.ones((2, 8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="data_format='NHWC'"):
        F.conv2d(x, np.ones((4, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match="data_format='NHWC'"):
        F.conv_transpose2d(x, np.ones((3, 4, 3, 3), np.float32))
    with pytest.raises(ValueError, match="data_format='NWC'"):
        F.conv1d(np.ones((2, 8, 3), np.float32), np.ones((4, 3, 3), np.float32))
