"""conv_transpose1d/2d/3d against the scatter reference, the adjoint identity and errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from convjax import analysis
from tests.conv_utils import LAYOUTS, apply, arrays, supported_cases
from tests.references import conv as ref

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

# (name, x shape (N, C, *S), weight shape (C, O/G, *K), keyword arguments)
CASES = [
    (
        "1d-s2-p1-op1",
        (2, 3, 6),
        (3, 4, 3),
        dict(stride=2, padding=1, output_padding=1, bias=True),
    ),
    ("1d-op-below-dilation", (1, 2, 5), (2, 3, 3), dict(dilation=2, output_padding=1)),
    ("2d", (2, 3, 5, 4), (3, 4, 3, 3), dict(bias=True)),
    (
        "2d-g3-anisotropic",
        (2, 6, 4, 5),
        (6, 2, 3, 4),
        dict(
            groups=3,
            stride=(3, 2),
            padding=(1, 2),
            output_padding=(2, 1),
            dilation=(1, 2),
        ),
    ),
    ("2d-negative-pad", (1, 2, 4, 4), (2, 3, 1, 1), dict(padding=1)),
    (
        "2d-depthwise-s2",
        (2, 4, 5, 5),
        (4, 1, 4, 4),
        dict(groups=4, stride=2, padding=1, bias=True),
    ),
    (
        "2d-depthwise-x2",
        (1, 3, 4, 4),
        (3, 2, 3, 3),
        dict(groups=3, stride=2, output_padding=1),
    ),
    (
        "2d-grouped-s2",
        (2, 4, 4, 3),
        (4, 3, 3, 3),
        dict(groups=2, stride=2, padding=1, output_padding=1),
    ),
    (
        "3d-s2-p1-op1-g2",
        (1, 4, 3, 4, 3),
        (4, 2, 3, 3, 2),
        dict(stride=2, padding=1, output_padding=1, groups=2, bias=True),
    ),
]


# Every (case, implementation) pair that the implementation supports.
PAIRS = supported_cases(
    CASES, CONVT, lambda wshape, kwargs: wshape[1] * kwargs.get("groups", 1)
)


def _case(name):
    shape, wshape, kwargs = next((s, w, k) for n, s, w, k in CASES if n == name)
    kwargs = dict(kwargs)
    bias = wshape[1] * kwargs.get("groups", 1) if kwargs.pop("bias", False) else None
    return (*arrays(name, shape, wshape, bias), kwargs)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name,impl", PAIRS)
def test_conv_transpose_matches_reference(name, impl, layout):
    x, w, b, kwargs = _case(name)
    fn = CONVT[x.ndim - 2]
    got = jax.jit(lambda a, c, d: apply(fn, a, c, d, kwargs, layout, impl))(x, w, b)
    want = ref.conv_transpose(x, w, b, **kwargs)
    assert got.shape == want.shape
    expect = analysis.conv_transpose_output_size(
        x.shape[2:],
        w.shape[2:],
        kwargs.get("stride", 1),
        kwargs.get("padding", 0),
        kwargs.get("output_padding", 0),
        kwargs.get("dilation", 1),
    )
    assert got.shape[2:] == expect
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,impl", PAIRS)
def test_conv_transpose_gradients_match_reference(name, impl):
    x, w, b, kwargs = _case(name)
    fn = CONVT[x.ndim - 2]
    r = np.random.default_rng(1).standard_normal(
        ref.conv_transpose(x, w, **kwargs).shape
    )
    b = np.zeros(r.shape[1], np.float32) if b is None else b

    def loss(a, c, d):
        return jnp.sum(fn(a, c, d, **kwargs, impl=impl) * r.astype(np.float32))

    got = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(x, w, b)
    for g, e in zip(got, ref.conv_transpose_vjp(x, w, r, **kwargs), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_adjoint_identity(name):
    """<conv(y, W), x> == <y, conv_transpose(x, W)> for the same (K, s, p, d, G)."""
    x, w, _, kwargs = _case(name)
    n = x.ndim - 2
    conv_kwargs = {k: v for k, v in kwargs.items() if k != "output_padding"}
    y = np.random.default_rng(2).standard_normal(
        ref.conv_transpose(x, w, **kwargs).shape
    )
    y = y.astype(np.float32)
    # The transposed weight (C, O/G, *K) is the weight of the conv O -> C it is the
    # adjoint of: PyTorch stores both with the same tensor.
    # With output_padding the conv may see extra trailing positions: keep x's extent.
    conv_y = CONV[n](y, w, **conv_kwargs)[(..., *(slice(0, s) for s in x.shape[2:]))]
    lhs = jnp.vdot(conv_y, x)
    rhs = jnp.vdot(y, CONVT[n](x, w, **kwargs))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


def test_conv_transpose_is_conv_input_gradient():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 9, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)  # conv: 6 -> 4, groups 2
    y, vjp = jax.vjp(lambda a: F.conv2d(a, w, stride=2, padding=1, groups=2), x)
    g = rng.standard_normal(y.shape).astype(np.float32)
    # The same tensor, read as a transposed-conv weight (4 in, 3 out per group).
    # W=8 -> 4 -> 7 without help: output_padding picks the input size 8 again.
    want = F.conv_transpose2d(
        g, w, stride=2, padding=1, output_padding=(0, 1), groups=2
    )
    np.testing.assert_allclose(vjp(g)[0], want, rtol=1e-5, atol=1e-5)


def test_conv_transpose_vmap_and_eager():
    x, w, b, kwargs = _case("2d-g3-anisotropic")
    eager = F.conv_transpose2d(x, w, b, **kwargs)
    vmapped = jax.vmap(lambda xi: F.conv_transpose2d(xi, w, b, **kwargs))(x)
    np.testing.assert_allclose(eager, vmapped, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(
        eager, ref.conv_transpose(x, w, b, **kwargs), rtol=1e-5, atol=1e-5
    )


def test_conv_transpose_errors():
    x = jnp.zeros((1, 4, 5, 5))
    w = jnp.zeros((4, 2, 3, 3))
    with pytest.raises(
        ValueError, match="`output_padding`.*smaller than either `stride`"
    ):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(
        ValueError, match="`output_padding`.*smaller than either `stride`"
    ):
        F.conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(TypeError, match="strings such as 'same' are not supported"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(
        ValueError,
        match=r"`weight.shape\[0\]` \(3\) must equal the input channels \(4\)",
    ):
        F.conv_transpose2d(x, jnp.zeros((3, 2, 3, 3)))
    with pytest.raises(
        ValueError, match=r"input channels \(4\) must be divisible by `groups` \(3\)"
    ):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match="`weight` must have rank 4"):
        F.conv_transpose2d(x, jnp.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match="output size .* is not positive"):
        F.conv_transpose2d(jnp.zeros((1, 4, 1, 1)), jnp.zeros((4, 2, 1, 1)), padding=1)
    with pytest.raises(ValueError, match=r"`bias` must have shape \(2,\)"):
        F.conv_transpose2d(x, w, jnp.zeros(4))
