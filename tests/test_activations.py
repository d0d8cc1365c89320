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


@pytest.mark.parametrize("fn", [F.relu, F.relu6])
def test_boolean_input_is_a_type_error(fn):
    """PyTorch raises; jax.nn.relu silently returned int32."""
    with pytest.raises(TypeError, match="boolean `input`"):
        fn(np.ones(3, bool))
