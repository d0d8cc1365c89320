"""F.pad, F.unfold, F.fold against explicit NumPy loops; analysis formulas."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convjax.functional as F
from convjax import analysis
from tests.references import conv as ref


@pytest.mark.parametrize(
    "shape, pad, mode",
    [
        ((2, 3, 5), (2, 1), "reflect"),
        ((3, 5), (0, 4), "reflect"),
        ((2, 3, 5, 4), (1, 2, 3, 0), "reflect"),
        ((2, 3, 5, 4), (2, 2, 1, 3), "replicate"),
        ((1, 2, 3, 4, 5), (1, 0, 2, 1, 0, 3), "replicate"),
        ((2, 3, 5, 4), (4, 1, 2, 5), "circular"),
        ((1, 2, 3, 4, 5), (1, 1, 2, 0, 3, 2), "circular"),
    ],
)
def test_pad_modes(variant, shape, pad, mode):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    n = len(pad) // 2
    pairs = [(pad[2 * j], pad[2 * j + 1]) for j in reversed(range(n))]
    got = variant(lambda a: F.pad(a, pad, mode=mode))(x)
    np.testing.assert_array_equal(got, ref.pad(x, pairs, mode).astype(np.float32))


def test_pad_constant_value_and_crop(variant):
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    got = variant(lambda a: F.pad(a, (1, -1, 0, 2, 1, 0), value=7.0))(x)
    want = np.full((3, 5, 4), 7.0, np.float32)
    want[1:, :3, 1:] = x[:, :, :3]
    np.testing.assert_array_equal(got, want)


def test_pad_gradient_sums_reflections():
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    g = jax.grad(
        lambda a: jnp.sum(F.pad(a, (2, 1), mode="reflect") * jnp.arange(7.0)[None])
    )(x)
    # reflected output [x2 x1 x0 x1 x2 x3 x2] weighted by 0..6.
    np.testing.assert_array_equal(g, [[2.0, 1.0 + 3.0, 0.0 + 4.0 + 6.0, 5.0]])


@pytest.mark.parametrize(
    "shape, pad, kwargs, match",
    [
        ((2, 3), (1,), {}, "divisible by 2"),
        ((2, 3), (1, 1, 1, 1, 1, 1), {}, "at most twice"),
        ((2, 3), (3, 0), dict(mode="reflect"), "reflect padding .* smaller than"),
        ((2, 3), (4, 0), dict(mode="circular"), "wraps around more than once"),
        ((2, 3), (1, 1), dict(mode="edge"), "`mode` must be one of"),
        (
            (2, 3),
            (1, 1),
            dict(mode="reflect", value=1.0),
            "only used with mode='constant'",
        ),
        ((3,), (1, 1), dict(mode="reflect"), "pads 1, 2 or 3 trailing dims"),
        ((2, 3), (-1, 1), dict(mode="replicate"), "must be non-negative"),
    ],
)
def test_pad_errors(shape, pad, kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.pad(jnp.zeros(shape), pad, **kwargs)


UNFOLD = [
    ((2, 3, 6, 5), dict(kernel_size=2)),
    ((1, 2, 7, 8), dict(kernel_size=(3, 2), stride=(2, 1), padding=1)),
    ((2, 2, 9, 9), dict(kernel_size=3, dilation=2, padding=(2, 1), stride=2)),
]


@pytest.mark.parametrize("shape, kwargs", UNFOLD)
def test_unfold_fold_match_reference(variant, shape, kwargs):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    cols = variant(lambda a: F.unfold(a, **kwargs))(x)
    np.testing.assert_array_equal(cols, ref.unfold(x, **kwargs).astype(np.float32))
    c = np.random.default_rng(1).standard_normal(cols.shape).astype(np.float32)
    got = variant(lambda a: F.fold(a, shape[2:], **kwargs))(c)
    np.testing.assert_allclose(
        got, ref.fold(c, shape[2:], **kwargs), rtol=1e-6, atol=1e-6
    )
    # Unbatched inputs and vmap.
    np.testing.assert_array_equal(F.unfold(x[0], **kwargs), cols[0])
    np.testing.assert_allclose(F.fold(c[0], shape[2:], **kwargs), got[0], rtol=1e-6)
    np.testing.assert_array_equal(jax.vmap(lambda a: F.unfold(a, **kwargs))(x), cols)


def test_fold_is_adjoint_of_unfold():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 7, 6)).astype(np.float32)
    kw = dict(kernel_size=3, stride=2, padding=1)
    y = rng.standard_normal(F.unfold(x, **kw).shape).astype(np.float32)
    np.testing.assert_allclose(
        jnp.vdot(F.unfold(x, **kw), y), jnp.vdot(x, F.fold(y, (7, 6), **kw)), rtol=1e-5
    )
    g = jax.grad(lambda a: jnp.sum(F.unfold(a, **kw) * y))(x)
    np.testing.assert_allclose(g, F.fold(y, (7, 6), **kw), rtol=1e-6, atol=1e-6)


def test_unfold_fold_errors():
    with pytest.raises(
        ValueError, match=r"`unfold` expects `input` of shape \(N, C, H, W\)"
    ):
        F.unfold(jnp.zeros((1, 1, 4, 4, 4)), 2)
    with pytest.raises(ValueError, match="no sliding block fits"):
        F.unfold(jnp.zeros((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match="divisible by the product of `kernel_size`"):
        F.fold(jnp.zeros((1, 5, 9)), (4, 4), 2)
    with pytest.raises(ValueError, match="must equal the number of sliding blocks"):
        F.fold(jnp.zeros((1, 4, 8)), (4, 4), 2)
    with pytest.raises(ValueError, match="`kernel_size` must be positive"):
        F.unfold(jnp.zeros((1, 1, 4, 4)), 0)


def test_output_size_formulas_agree_with_conv():
    x = jnp.zeros((1, 2, 17, 12))
    for k, s, p, d in [(3, 1, 1, 1), (7, 2, 3, 1), ((3, 2), (2, 3), (0, 1), (2, 1))]:
        w = jnp.zeros((1, 2, *np.broadcast_to(k, 2)))
        conv = functools.partial(F.conv2d, stride=s, padding=p, dilation=d)
        y = jax.eval_shape(conv, x, w)
        assert y.shape[2:] == analysis.conv_output_size((17, 12), k, s, p, d)
    assert analysis.conv_output_size(224, 7, 2, 3) == 112
    assert analysis.conv_output_size((9, 8), 3, 2, "same") == (5, 4)
    assert analysis.conv_output_size((9, 8), 3, 1, "valid") == (7, 6)
    assert analysis.conv_transpose_output_size((4, 5), 3, 2, 1, (1, 0)) == (8, 9)
    assert analysis.conv_transpose_output_size(5, 3, dilation=2, output_padding=1) == 10


def test_param_mac_flop_formulas():
    # ResNet-50 stem: 7x7, 3 -> 64, stride 2 on 224x224 -> 112x112, no bias.
    assert analysis.conv_params(3, 64, 7, bias=False) == 64 * 3 * 49
    assert analysis.conv_params(3, 64, (7,), bias=True) == 64 * 3 * 7 + 64
    assert analysis.conv_params(32, 64, 3, groups=32) == 64 * 9 + 64
    macs = analysis.conv_macs(3, 64, 7, (112, 112), batch=2)
    assert macs == 2 * 64 * 112 * 112 * 3 * 49
    outputs = 2 * 64 * 112 * 112
    assert analysis.conv_flops(3, 64, 7, (112, 112), batch=2) == 2 * 3 * 49 * outputs
    assert (
        analysis.conv_flops(3, 64, 7, (112, 112), batch=2, bias=False)
        == (2 * 3 * 49 - 1) * outputs
    )
    assert analysis.conv_flops(8, 8, (3, 3, 3), (4, 4, 4), groups=8) == 2 * 27 * 8 * 64
    with pytest.raises(ValueError, match="divisible by `groups`"):
        analysis.conv_params(3, 64, 3, groups=2)
    with pytest.raises(ValueError, match="`padding` must be one of"):
        analysis.conv_output_size(5, 3, padding="full")


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 40),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
    op=st.integers(0, 3),
)
def test_output_size_formulas_property(size, k, s, p, d, op):
    """The formulas equal the shapes conv1d/conv_transpose1d produce, and
    conv_transpose with a suitable output_padding inverts a strided conv's size."""
    x = jax.ShapeDtypeStruct((1, 2, size), jnp.float32)
    w = jax.ShapeDtypeStruct((3, 2, k), jnp.float32)
    if size + 2 * p >= d * (k - 1) + 1:
        y = jax.eval_shape(
            lambda a, b: F.conv1d(a, b, stride=s, padding=p, dilation=d), x, w
        )
        out = analysis.conv_output_size(size, k, s, p, d)
        assert y.shape == (1, 3, out)
        # The transposed conv maps `out` back to `size` for one output_padding < s.
        if (out - 1) * s - 2 * p + d * (k - 1) + 1 >= 1:
            back = analysis.conv_transpose_output_size(out, k, s, p, 0, d)
            assert 0 <= size - back < s
    op = op % max(s, d)
    wt = jax.ShapeDtypeStruct((2, 3, k), jnp.float32)
    f = functools.partial(
        F.conv_transpose1d, stride=s, padding=p, output_padding=op, dilation=d
    )
    if (size - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1:
        want = analysis.conv_transpose_output_size(size, k, s, p, op, d)
        assert jax.eval_shape(f, x, wt).shape == (1, 3, want)
    else:  # both raise, as PyTorch does
        with pytest.raises(ValueError, match="output size"):
            analysis.conv_transpose_output_size(size, k, s, p, op, d)
        with pytest.raises(ValueError, match="output size"):
            jax.eval_shape(f, x, wt)


def test_conv_transpose_output_padding_picks_the_requested_size():
    # 7 -> conv k3 s2 p1 -> 4 -> transposed: 7 + output_padding, output_padding < 2
    assert analysis.conv_transpose_output_padding((4, 4), (7, 8), 3, 2, 1) == (0, 1)
    assert analysis.conv_transpose_output_padding((5,), (9,), 3, dilation=2) == (0,)
    with pytest.raises(
        ValueError, match=r"valid sizes range from \(7, 7\) to \(8, 8\)"
    ):
        analysis.conv_transpose_output_padding((4, 4), (9, 8), 3, 2, 1)


def test_negative_padding_past_the_whole_dim_is_a_convjax_error():
    x = jnp.zeros((1, 1, 3))
    assert F.pad(x, (-3, 0)).shape == (1, 1, 0)  # PyTorch crops to empty
    with pytest.raises(ValueError, match=r"`pad` \(-5, 0\) crops dim 2 of size 3"):
        F.pad(x, (-5, 0))


def test_output_size_formulas_raise_for_non_positive_sizes():
    """conv_output_size(3, 5) returned -1; PyTorch's conv raises there."""
    with pytest.raises(ValueError, match="output size"):
        analysis.conv_output_size(3, 5)
    with pytest.raises(ValueError, match="`padding` must be non-negative"):
        analysis.conv_output_size(8, 3, padding=-1)
    with pytest.raises(ValueError, match="output size"):
        analysis.conv_transpose_output_size(1, 1, padding=1)
    assert analysis.conv_output_size(3, 3) == 1
