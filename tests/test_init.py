"""convjax.init: fans and gains against PyTorch, exact bounds, sampling statistics."""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from convjax import init

GOLDEN = np.load(Path(__file__).parent / "golden" / "norm_losses.npz")
MODULES = sorted(
    {
        k.split(".")[1]
        for k in GOLDEN.files
        if k.startswith("init.") and k != "init.gains"
    }
)
BIG = (256, 64, 3, 3)  # 147456 samples; fan_in 576, fan_out 2304
KEY = jax.random.key(0)


def test_public_names():
    assert set(init.__all__) >= {
        "kaiming_uniform",
        "kaiming_normal",
        "xavier_uniform",
        "xavier_normal",
        "conv_weight_default",
        "conv_bias_default",
        "fan_in_and_fan_out",
    }


@pytest.mark.parametrize("name", MODULES)
def test_fans_and_default_bounds_match_pytorch_modules(name):
    """Includes ConvTranspose2d(8, 16, 3, groups=2): fan_in = C_out/G * k*k = 72."""
    g = {
        k.split(".", 2)[2]: GOLDEN[k]
        for k in GOLDEN.files
        if k.startswith(f"init.{name}.")
    }
    shape = tuple(int(s) for s in g["shape"])
    fan_in, fan_out = init.fan_in_and_fan_out(shape, transposed=bool(g["transposed"]))
    assert (fan_in, fan_out) == (int(g["fan_in"]), int(g["fan_out"]))
    assert init.fan_in_and_fan_out(shape) == (fan_in, fan_out)
    bound = 1 / math.sqrt(fan_in)
    # PyTorch's own samples lie inside our bound, and fill most of it
    assert 0.5 * bound < g["max_abs_weight"] <= bound
    assert g["max_abs_bias"] <= bound
    w = init.conv_weight_default()(KEY, shape)
    b = init.conv_bias_default(fan_in)(
        KEY, (shape[1] if g["transposed"] else shape[0],)
    )
    assert w.shape == shape and w.dtype == jnp.float32
    assert float(jnp.abs(w).max()) <= bound and float(jnp.abs(b).max()) <= bound


def test_calculate_gain_matches_pytorch():
    for key, want in json.loads(str(GOLDEN["init.gains"])).items():
        nl, param = key.split("|")
        param = None if param == "None" else float(param)
        assert init.calculate_gain(nl, param) == pytest.approx(want, rel=1e-12), key


def _check_uniform(w, bound):
    w = np.asarray(w, np.float64)
    n = w.size
    assert np.abs(w).max() <= bound  # exact bound
    assert np.abs(w).max() > 0.999 * bound  # and it is reached
    sd = bound / math.sqrt(3)
    assert abs(w.mean()) < 5 * sd / math.sqrt(n)
    assert w.std() == pytest.approx(sd, rel=0.01)


def _check_normal(w, sd):
    w = np.asarray(w, np.float64)
    n = w.size
    assert abs(w.mean()) < 5 * sd / math.sqrt(n)
    assert w.std() == pytest.approx(sd, rel=0.01)
    # PyTorch's normal is not truncated: ~0.05% of samples lie beyond 3.5 sd
    assert (np.abs(w) > 3.5 * sd).sum() > 20


def test_kaiming_uniform_statistics():
    _check_uniform(init.kaiming_uniform()(KEY, BIG), math.sqrt(2) * math.sqrt(3 / 576))
    _check_uniform(
        init.kaiming_uniform(a=0.2, mode="fan_out")(KEY, BIG),
        math.sqrt(2 / 1.04) * math.sqrt(3 / 2304),
    )
    _check_uniform(init.conv_weight_default()(KEY, BIG), 1 / math.sqrt(576))


def test_kaiming_normal_statistics():
    _check_normal(
        init.kaiming_normal(nonlinearity="relu")(KEY, BIG), math.sqrt(2 / 576)
    )
    _check_normal(
        init.kaiming_normal(mode="fan_out", nonlinearity="tanh")(KEY, BIG), 5 / 3 / 48
    )


def test_xavier_statistics():
    _check_uniform(init.xavier_uniform()(KEY, BIG), math.sqrt(6 / (576 + 2304)))
    _check_normal(
        init.xavier_normal(gain=2.0)(KEY, BIG), 2 * math.sqrt(2 / (576 + 2304))
    )


def test_bias_statistics_and_zero_fan_in():
    _check_uniform(init.conv_bias_default(576)(KEY, (100_000,)), 1 / 24)
    np.testing.assert_array_equal(init.conv_bias_default(0)(KEY, (4,)), 0.0)


def test_built_on_variance_scaling_with_pytorch_axes():
    vs = jax.nn.initializers.variance_scaling(
        1 / 3, "fan_in", "uniform", in_axis=1, out_axis=0
    )
    np.testing.assert_array_equal(
        init.conv_weight_default()(KEY, (8, 4, 3)), vs(KEY, (8, 4, 3))
    )


def test_dtype_determinism_and_empty():
    f = init.kaiming_uniform()
    assert f(KEY, (4, 3), jnp.bfloat16).dtype == jnp.bfloat16
    np.testing.assert_array_equal(f(KEY, (4, 3, 2)), f(KEY, (4, 3, 2)))
    assert not np.array_equal(f(KEY, (4, 3, 2)), f(jax.random.key(1), (4, 3, 2)))
    assert f(KEY, (0, 3, 3)).shape == (0, 3, 3)  # PyTorch: a no-op on empty tensors
    assert init.conv_bias_default(9)(KEY, (5,), jnp.float16).dtype == jnp.float16


def test_works_as_flax_initializer():
    from flax import nnx

    p = nnx.Param(init.conv_weight_default()(nnx.Rngs(0).params(), (4, 2, 3, 3)))
    assert p[...].shape == (4, 2, 3, 3)


def test_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.fan_in_and_fan_out((5,))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform()(KEY, (5,))
    with pytest.raises(TypeError, match="`transposed` must be a bool"):
        init.fan_in_and_fan_out((5, 3), transposed="yes")
    with pytest.raises(ValueError, match="`mode` must be one of 'fan_in', 'fan_out'"):
        init.kaiming_normal(mode="fan_avg")
    with pytest.raises(ValueError, match="`nonlinearity` must be one of"):
        init.kaiming_uniform(nonlinearity="swish")
    with pytest.raises(ValueError, match="`param` .* must be a number"):
        init.calculate_gain("leaky_relu", "0.1")
    with pytest.raises(TypeError, match="`gain` must be a real number"):
        init.xavier_uniform(gain=None)
    with pytest.raises(ValueError, match="`fan_in` must be non-negative, got -1"):
        init.conv_bias_default(-1)
    with pytest.raises(TypeError, match="`fan_in` must be an int"):
        init.conv_bias_default(3.0)
