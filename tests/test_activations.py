"""Activations: PyTorch goldens (values and kink gradients), NumPy formulas, dtypes, errors."""

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F

GOLDEN = np.load(Path(__file__).parent / "golden" / "norm_losses.npz")
TOL = dict(rtol=1e-5, atol=1e-6)

# NumPy float64 formulas, written from the definitions.
_erf = np.vectorize(math.erf)
REF = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "leaky_relu_0.2": lambda x: np.where(x > 0, x, 0.2 * x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "gelu_tanh": lambda x: (
        0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    ),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "hardswish": lambda x: x * np.minimum(np.maximum(x + 3, 0), 6) / 6,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
}
OURS = {
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "leaky_relu_0.2": lambda x: F.leaky_relu(x, 0.2),
    "gelu": F.gelu,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "silu": F.silu,
    "hardswish": F.hardswish,
    "sigmoid": F.sigmoid,
}


def _softmax_ref(x, dim):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


@pytest.mark.parametrize("name", sorted(OURS))
def test_golden_values_and_gradients(variant, name):
    """Includes the kinks -3, 0, 3, 6 where PyTorch picks specific subgradients."""
    x = GOLDEN["act.x"]
    fn = OURS[name]
    y = variant(fn)(x)
    g = variant(jax.grad(lambda v: fn(v).sum()))(x)
    np.testing.assert_allclose(y, GOLDEN[f"act.{name}.y"], **TOL)
    np.testing.assert_allclose(g, GOLDEN[f"act.{name}.grad"], **TOL)
    np.testing.assert_allclose(y, REF[name](np.float64(x)), **TOL)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_golden_softmax(variant, name, dim):
    x, cot = GOLDEN["act.softmax.x"], GOLDEN["act.softmax.cot"]
    fn = getattr(F, name)
    y = variant(lambda v: fn(v, dim))(x)
    g = variant(jax.grad(lambda v: jnp.sum(fn(v, dim) * cot)))(x)
    np.testing.assert_allclose(y, GOLDEN[f"act.{name}.dim{dim}.y"], **TOL)
    np.testing.assert_allclose(g, GOLDEN[f"act.{name}.dim{dim}.grad"], **TOL)
    want = _softmax_ref(x, dim)
    np.testing.assert_allclose(y, want if name == "softmax" else np.log(want), **TOL)


def test_gelu_default_is_exact_not_jax_default():
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    np.testing.assert_allclose(F.gelu(x), REF["gelu"](np.float64(x)), **TOL)
    assert np.abs(np.asarray(F.gelu(x)) - np.asarray(jax.nn.gelu(x))).max() > 1e-4


def test_leaky_relu_gradient_at_zero_is_the_slope():
    assert jax.grad(F.leaky_relu)(0.0) == pytest.approx(0.01)
    assert jax.grad(lambda v: F.leaky_relu(v, 0.3))(0.0) == pytest.approx(0.3)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision_keeps_dtype(rng, dtype):
    x = jnp.asarray(rng.standard_normal((4, 6)) * 3, dtype)
    xf = np.asarray(x, np.float64)
    for name, fn in OURS.items():
        y = fn(x)
        assert y.dtype == dtype, name
        np.testing.assert_allclose(np.float32(y), REF[name](xf), rtol=1e-2, atol=1e-2)
    for fn, r in (
        (F.softmax, _softmax_ref),
        (F.log_softmax, lambda v, d: np.log(_softmax_ref(v, d))),
    ):
        y = fn(x, 1)
        assert y.dtype == dtype
        np.testing.assert_allclose(np.float32(y), r(xf, 1), rtol=1e-2, atol=2e-2)


def test_softmax_dtype_argument_and_scalar():
    x = np.array([[1.0, 2.0]], np.float16)
    assert F.softmax(x, 1, dtype=jnp.float32).dtype == jnp.float32
    assert F.softmax(jnp.float32(3.0), 0) == 1.0  # PyTorch treats 0-d as one element
    assert F.log_softmax(jnp.float32(3.0), -1) == 0.0


def test_softmax_of_all_neg_inf_is_nan_like_pytorch():
    assert np.isnan(np.asarray(F.softmax(jnp.full((1, 3), -jnp.inf), 1))).all()


def test_vmap():
    x = np.random.default_rng(1).standard_normal((3, 4, 5)).astype("float32")
    got = jax.vmap(lambda v: F.log_softmax(v, 0))(x)
    np.testing.assert_allclose(got, F.log_softmax(x, 1), rtol=1e-6, atol=1e-6)
    got = jax.vmap(F.gelu)(x)
    np.testing.assert_allclose(got, F.gelu(x), rtol=1e-6, atol=1e-6)


def test_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(TypeError, match="requires `dim`"):
        F.softmax(x, None)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        F.log_softmax(x)
    with pytest.raises(ValueError, match=r"`dim` out of range .*\[-2, 1\]\), got 2"):
        F.softmax(x, 2)
    with pytest.raises(ValueError, match="`dim` out of range"):
        F.log_softmax(x, -3)
    with pytest.raises(TypeError, match="`dim` must be an int"):
        F.softmax(x, 1.0)
    with pytest.raises(ValueError, match="`approximate` must be one of 'none', 'tanh'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(TypeError, match="floating-point"):
        F.softmax(np.zeros(3, np.int32), 0)
    with pytest.raises(TypeError, match="floating-point"):
        F.silu(np.zeros(3, np.int32))


def test_leaky_relu_rejects_integers():
    """PyTorch has no integer leaky_relu; casting the slope to int would give 0."""
    with pytest.raises(
        TypeError, match="`leaky_relu` expects a floating-point `input`"
    ):
        F.leaky_relu(np.array([-5, 3]), 0.5)


# --------------------------------------------------------------------------------------
# Issue 12/17 activations: goldens in blocks.npz (make_blocks.py), references in
# tests/references/blocks.py.

from tests.references import blocks as ref_blocks  # noqa: E402

BLOCKS = np.load(Path(__file__).parent / "golden" / "blocks.npz")
MORE = {
    "hardsigmoid": F.hardsigmoid,
    "hardtanh": F.hardtanh,
    "hardtanh_m3_6": lambda x: F.hardtanh(x, -3.0, 6.0),
    "elu": F.elu,
    "elu_0.5": lambda x: F.elu(x, 0.5),
    "selu": F.selu,
    "celu": F.celu,
    "celu_2": lambda x: F.celu(x, 2.0),
    "softplus": F.softplus,
    "softplus_b2_t10": lambda x: F.softplus(x, beta=2.0, threshold=10.0),
    "softplus_b0.5_t1": lambda x: F.softplus(x, beta=0.5, threshold=1.0),
    "mish": F.mish,
    "logsigmoid": F.logsigmoid,
    "tanhshrink": F.tanhshrink,
    "softsign": F.softsign,
    "softshrink": F.softshrink,
    "softshrink_1": lambda x: F.softshrink(x, 1.0),
    "hardshrink": F.hardshrink,
    "hardshrink_1": lambda x: F.hardshrink(x, 1.0),
    "threshold_0.5_9": lambda x: F.threshold(x, 0.5, 9.0),
    "rrelu_eval": F.rrelu,
    "rrelu_eval_0.1_0.3": lambda x: F.rrelu(x, 0.1, 0.3),
    "tanh": F.tanh,
}


# Gradients under one shared jit: eager grads of 23 functions cost ~15 s of dispatch.
_MORE_GRADS = jax.jit(jax.grad(lambda d: sum(MORE[n](v).sum() for n, v in d.items())))


def test_more_activations_golden_values_and_kink_gradients(variant):
    """Values and gradients on a grid holding every kink (hardtanh/hardsigmoid
    bounds, softplus thresholds, shrink thresholds, 0)."""
    x = BLOCKS["act.x"]
    xs = {name: x for name in MORE}  # one compile for all values, one for all grads
    ys = variant(lambda d: {n: MORE[n](v) for n, v in d.items()})(xs)
    gs = _MORE_GRADS(xs)
    for name in MORE:
        y, g = ys[name], gs[name]
        np.testing.assert_allclose(y, BLOCKS[f"act.{name}.y"], **TOL, err_msg=name)
        np.testing.assert_allclose(g, BLOCKS[f"act.{name}.grad"], **TOL, err_msg=name)
        want = ref_blocks.ACTIVATIONS[name](np.float64(x))
        np.testing.assert_allclose(y, want, **TOL, err_msg=name)


@pytest.mark.parametrize("dim", [-1, 1])
def test_glu_golden(variant, dim):
    x, cot = BLOCKS[f"glu.dim{dim}.x"], BLOCKS[f"glu.dim{dim}.cot"]
    y = variant(lambda v: F.glu(v, dim))(x)
    g = variant(jax.grad(lambda v: jnp.sum(F.glu(v, dim) * cot)))(x)
    np.testing.assert_allclose(y, BLOCKS[f"glu.dim{dim}.y"], **TOL)
    np.testing.assert_allclose(g, BLOCKS[f"glu.dim{dim}.grad"], **TOL)
    np.testing.assert_allclose(y, ref_blocks.glu(x, dim), **TOL)


def test_softmin_golden(variant):
    x, cot = BLOCKS["softmin.dim1.x"], BLOCKS["softmin.dim1.cot"]
    y = variant(lambda v: F.softmin(v, 1))(x)
    g = variant(jax.grad(lambda v: jnp.sum(F.softmin(v, 1) * cot)))(x)
    np.testing.assert_allclose(y, BLOCKS["softmin.dim1.y"], **TOL)
    np.testing.assert_allclose(g, BLOCKS["softmin.dim1.grad"], **TOL)
    np.testing.assert_allclose(y, _softmax_ref(-np.float64(x), 1), **TOL)


@pytest.mark.parametrize("case", ["single", "channel"])
def test_prelu_golden_with_weight_gradient(variant, case):
    k = f"prelu.{case}"
    x, w, cot = BLOCKS[f"{k}.x"], BLOCKS[f"{k}.w"], BLOCKS[f"{k}.cot"]
    y = variant(F.prelu)(x, w)
    gx, gw = variant(jax.grad(lambda a, b: jnp.sum(F.prelu(a, b) * cot), (0, 1)))(x, w)
    np.testing.assert_allclose(y, BLOCKS[f"{k}.y"], **TOL)
    np.testing.assert_allclose(y, ref_blocks.prelu(x, w), **TOL)
    np.testing.assert_allclose(gx, BLOCKS[f"{k}.grad_x"], **TOL)
    np.testing.assert_allclose(gw, BLOCKS[f"{k}.grad_w"], rtol=1e-5, atol=1e-5)


def test_rrelu_training_slopes_from_the_key():
    """Slopes are jax.random.uniform(key, shape, float32, lower, upper) on x <= 0."""
    x = jnp.asarray(np.random.default_rng(2).standard_normal((50, 40)), jnp.float32)
    key = jax.random.key(3)
    y = jax.jit(lambda v, k: F.rrelu(v, 0.1, 0.4, True, key=k))(x, key)
    slope = jax.random.uniform(key, x.shape, jnp.float32, 0.1, 0.4)
    np.testing.assert_array_equal(y, jnp.where(x > 0, x, x * slope))
    ratio = np.asarray(y / x)[np.asarray(x) < 0]
    assert 0.1 <= ratio.min() and ratio.max() <= 0.4
    assert abs(ratio.mean() - 0.25) < 0.01  # U(0.1, 0.4), 1000 draws
    g = jax.grad(lambda v: F.rrelu(v, 0.1, 0.4, True, key=key).sum())(x)
    np.testing.assert_allclose(g, jnp.where(x > 0, 1.0, slope))
    # A different key gives different slopes; eval mode ignores the key.
    assert (F.rrelu(x, 0.1, 0.4, True, key=jax.random.key(4)) != y).any()
    np.testing.assert_array_equal(F.rrelu(x, 0.1, 0.4, key=key), F.leaky_relu(x, 0.25))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_more_activations_half_precision(rng, dtype):
    x = jnp.asarray(rng.standard_normal((4, 6)) * 3, dtype)
    xf = np.asarray(x, np.float64)
    for name, fn in MORE.items():
        y = fn(x)
        assert y.dtype == dtype, name
        want = ref_blocks.ACTIVATIONS[name](xf)
        np.testing.assert_allclose(
            np.float32(y), want, rtol=2e-2, atol=2e-2, err_msg=name
        )
    assert F.glu(x, 1).dtype == dtype and F.softmin(x, 1).dtype == dtype
    assert F.prelu(x, jnp.ones(1, dtype)).dtype == dtype


def test_more_activations_integer_inputs_follow_pytorch():
    xi = np.array([-3, 0, 2], np.int32)
    # PyTorch computes these on integers...
    np.testing.assert_array_equal(F.hardtanh(xi), [-1, 0, 1])
    assert F.hardtanh(xi).dtype == jnp.int32
    np.testing.assert_array_equal(F.threshold(xi, 0, 5), [5, 5, 2])
    # ...promotes these to float32...
    assert F.tanhshrink(xi).dtype == jnp.float32
    np.testing.assert_allclose(F.softsign(xi), [-0.75, 0.0, 2 / 3], rtol=1e-6)
    # ...and rejects the others ("not implemented for 'Long'").
    for fn in (F.hardsigmoid, F.elu, F.selu, F.celu, F.softplus, F.mish):
        with pytest.raises(TypeError, match="floating-point"):
            fn(xi)
    for fn in (F.logsigmoid, F.softshrink, F.hardshrink, F.rrelu, F.glu):
        with pytest.raises(TypeError, match="floating-point"):
            fn(xi)
    with pytest.raises(TypeError, match="floating-point"):
        F.prelu(xi, np.ones(1, np.float32))


def test_more_activations_empty_and_vmap():
    e = np.zeros((0, 4), np.float32)
    for name, fn in MORE.items():
        assert fn(e).shape == (0, 4), name
    assert F.glu(e).shape == (0, 2) and F.softmin(e, 1).shape == (0, 4)
    x = np.random.default_rng(1).standard_normal((3, 4, 6)).astype("float32")
    np.testing.assert_allclose(
        jax.vmap(lambda v: F.glu(v, 0))(x), F.glu(x, 1), rtol=1e-6, atol=1e-6
    )
    w = np.float32([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(
        jax.vmap(lambda v: F.prelu(v[None], w)[0])(x), F.prelu(x, w), rtol=1e-6
    )


def test_more_activations_errors():
    x = np.zeros((2, 5), np.float32)
    with pytest.raises(ValueError, match="`min_val`.*cannot be greater than `max_val`"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="`alpha` cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="`lambd` must be >= 0"):
        F.softshrink(x, -1.0)
    np.testing.assert_array_equal(F.hardshrink(np.float32([0.5]), -1.0), [0.5])
    with pytest.raises(ValueError, match="halving dimension must be even"):
        F.glu(x)
    with pytest.raises(ValueError, match="scalars"):
        F.glu(np.float32(1.0))
    with pytest.raises(ValueError, match="`dim` out of range"):
        F.glu(x, 2)
    with pytest.raises(ValueError, match="`weight` must hold 1 or 5"):
        F.prelu(np.zeros((2, 5, 3), np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="`lower`.*must be <= `upper`"):
        F.rrelu(x, 0.5, 0.1)
    with pytest.raises(ValueError, match="needs a PRNG `key`"):
        F.rrelu(x, training=True)
    with pytest.raises(TypeError, match="`beta` must be a real number"):
        F.softplus(x, beta="2")
    with pytest.raises(TypeError, match="requires `dim`"):
        F.softmin(x, None)
