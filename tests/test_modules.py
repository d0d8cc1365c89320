"""convjax.nn conv, linear, pooling, resampling and small modules: parameters, init,
PyTorch goldens (tests/golden/modules.npz), dtypes, layouts and errors."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import convjax.functional as F
from convjax import image, nn

GOLDEN = np.load(Path(__file__).parent / "golden" / "modules.npz")


def golden(case):
    """``(state_dict, x, y)`` of a golden case."""
    prefix = f"{case}/sd/"
    sd = {k[len(prefix) :]: GOLDEN[k] for k in GOLDEN.files if k.startswith(prefix)}
    return sd, GOLDEN[f"{case}/x"], GOLDEN[f"{case}/y"]


def set_params(module, sd):
    for name, value in sd.items():
        getattr(module, name)[...] = jnp.asarray(value)


def rngs():
    return nnx.Rngs(0)


@pytest.mark.parametrize(
    "make,weight,bias",
    [
        (lambda: nn.Conv1d(4, 6, 3, groups=2, rngs=rngs()), (6, 2, 3), (6,)),
        (lambda: nn.Conv2d(3, 8, (3, 2), rngs=rngs()), (8, 3, 3, 2), (8,)),
        (lambda: nn.Conv3d(2, 4, 2, bias=False, rngs=rngs()), (4, 2, 2, 2, 2), None),
        (lambda: nn.ConvTranspose1d(4, 6, 3, groups=2, rngs=rngs()), (4, 3, 3), (6,)),
        (lambda: nn.ConvTranspose2d(3, 8, (3, 2), rngs=rngs()), (3, 8, 3, 2), (8,)),
        (
            lambda: nn.ConvTranspose3d(2, 4, 2, bias=False, rngs=rngs()),
            (2, 4, 2, 2, 2),
            None,
        ),
        (lambda: nn.Linear(5, 3, rngs=rngs()), (3, 5), (3,)),
    ],
)
def test_param_shapes_and_dtypes(make, weight, bias):
    m = make()
    assert isinstance(m.weight, nnx.Param)
    assert m.weight.shape == weight and m.weight[...].dtype == jnp.float32
    if bias is None:
        assert m.bias is None
    else:
        assert isinstance(m.bias, nnx.Param) and m.bias.shape == bias


def test_param_dtype():
    m = nn.Conv2d(2, 4, 3, param_dtype=jnp.bfloat16, rngs=rngs())
    assert m.weight[...].dtype == jnp.bfloat16 and m.bias[...].dtype == jnp.bfloat16
    m = nn.Linear(2, 4, param_dtype=jnp.float16, rngs=rngs())
    assert m.weight[...].dtype == jnp.float16


def _check_uniform(values, bound):
    values = np.asarray(values, np.float64).ravel()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.9 * bound  # fills the interval
    if values.size >= 1000:  # U(-b, b): mean 0, std b / sqrt(3)
        np.testing.assert_allclose(values.std(), bound / np.sqrt(3), rtol=0.08)
        assert abs(values.mean()) < 0.1 * bound


@pytest.mark.parametrize(
    "make,fan_in",
    [
        (lambda: nn.Conv2d(16, 32, 3, groups=2, rngs=rngs()), 8 * 9),
        (lambda: nn.Conv1d(6, 1000, 5, rngs=rngs()), 30),
        # PyTorch's transposed-conv quirk: fan_in from weight.shape[1] = out/groups.
        (lambda: nn.ConvTranspose2d(8, 32, 3, groups=2, rngs=rngs()), 16 * 9),
        (lambda: nn.ConvTranspose1d(40, 10, 2, rngs=rngs()), 20),
        (lambda: nn.Linear(50, 40, rngs=rngs()), 50),
    ],
)
def test_default_init_bounds(make, fan_in):
    m = make()
    bound = 1 / np.sqrt(fan_in)
    _check_uniform(m.weight[...], bound)
    assert np.abs(np.asarray(m.bias[...])).max() <= bound
    assert np.abs(np.asarray(m.bias[...])).max() > 0.5 * bound


def test_same_seed_same_params():
    a = nn.Conv2d(3, 4, 3, rngs=nnx.Rngs(7))
    b = nn.Conv2d(3, 4, 3, rngs=nnx.Rngs(7))
    c = nn.Conv2d(3, 4, 3, rngs=nnx.Rngs(8))
    np.testing.assert_array_equal(a.weight[...], b.weight[...])
    np.testing.assert_array_equal(a.bias[...], b.bias[...])
    assert not np.array_equal(a.weight[...], c.weight[...])
    assert not np.array_equal(a.bias[...], b.weight[...].ravel()[:4])  # own key


CASES = {
    "conv2d": lambda: nn.Conv2d(
        4, 6, (3, 2), (2, 1), (1, 2), (1, 2), 2, True, "reflect", rngs=rngs()
    ),
    "conv1d": lambda: nn.Conv1d(
        3, 4, 3, padding="same", padding_mode="circular", rngs=rngs()
    ),
    "conv3d": lambda: nn.Conv3d(2, 4, 2, stride=2, bias=False, rngs=rngs()),
    "conv_transpose1d": lambda: nn.ConvTranspose1d(
        2, 3, 4, 3, 1, 2, 1, True, 1, rngs=rngs()
    ),
    "conv_transpose3d": lambda: nn.ConvTranspose3d(2, 3, 2, 2, bias=False, rngs=rngs()),
    "linear": lambda: nn.Linear(5, 3, rngs=rngs()),
    "max_pool2d": lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
    "avg_pool2d": lambda: nn.AvgPool2d(3, 2, 1, True, False),
    "avg_pool1d": lambda: nn.AvgPool1d(2, 1, 1),
    "max_pool3d": lambda: nn.MaxPool3d(2, 1, 0, 2),
    "adaptive_avg_pool2d": lambda: nn.AdaptiveAvgPool2d((3, 2)),
    "adaptive_max_pool1d": lambda: nn.AdaptiveMaxPool1d(3),
    "upsample": lambda: nn.Upsample(
        scale_factor=2, mode="bilinear", align_corners=True
    ),
    "upsample_size": lambda: nn.Upsample(size=(5, 7)),
    "pixel_shuffle": lambda: nn.PixelShuffle(2),
    "pixel_unshuffle": lambda: nn.PixelUnshuffle(2),
    "flatten": lambda: nn.Flatten(1, 2),
    "relu6": lambda: nn.ReLU6(),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch_module(case, variant):
    sd, x, want = golden(case)
    m = CASES[case]()
    set_params(m, sd)
    got = variant(lambda x: m(x))(x)  # parameters are constants under jax.jit
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv_transpose_output_size_matches_torch():
    sd, x, want = golden("conv_transpose2d")
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2, rngs=rngs())
    set_params(m, sd)
    np.testing.assert_allclose(m(x, output_size=(10, 10)), want, rtol=1e-5, atol=1e-5)
    # The full (N, C, H, W) size is accepted too, as in PyTorch.
    np.testing.assert_allclose(m(x, (1, 6, 10, 10)), want, rtol=1e-5, atol=1e-5)
    assert m(x).shape == (1, 6, 9, 9)
    assert m(x[0], output_size=(10, 9)).shape == (6, 10, 9)  # unbatched
    with pytest.raises(ValueError, match="valid sizes range from"):
        m(x, output_size=(11, 10))
    with pytest.raises(ValueError, match="`output_size` must have 2 or 4"):
        m(x, output_size=(10,))


def test_conv_transpose_output_size_channels_last():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, data_format="NHWC", rngs=rngs())
    x = jnp.ones((1, 4, 5, 2))
    assert m(x, output_size=(10, 12)).shape == (1, 10, 12, 3)


def test_separable_conv_is_depthwise_then_pointwise(rng):
    m = nn.SeparableConv2d(
        3, 5, 3, stride=2, padding=1, depth_multiplier=2, rngs=rngs()
    )
    assert m.depthwise.weight.shape == (6, 1, 3, 3) and m.depthwise.groups == 3
    assert m.pointwise.weight.shape == (5, 6, 1, 1)
    x = rng.standard_normal((2, 3, 7, 7), dtype=np.float32)
    d = F.conv2d(x, m.depthwise.weight[...], m.depthwise.bias[...], 2, 1, groups=3)
    want = F.conv2d(d, m.pointwise.weight[...], m.pointwise.bias[...])
    np.testing.assert_allclose(m(x), want, rtol=1e-6, atol=1e-6)
    no_bias = nn.SeparableConv2d(3, 5, 3, bias=False, rngs=rngs())
    assert no_bias.depthwise.bias is None and no_bias.pointwise.bias is None


def test_channels_last_matches_channels_first(rng):
    a = nn.Conv2d(3, 4, 3, padding=1, rngs=rngs())
    b = nn.Conv2d(3, 4, 3, padding=1, data_format="NHWC", rngs=rngs())
    x = rng.standard_normal((2, 3, 5, 6), dtype=np.float32)
    np.testing.assert_array_equal(a.weight[...], b.weight[...])  # PyTorch layout both
    got = b(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, a(x), rtol=1e-6, atol=1e-6)
    pool = nn.MaxPool2d(2, data_format="NHWC")
    np.testing.assert_array_equal(
        pool(x.transpose(0, 2, 3, 1)), nn.MaxPool2d(2)(x).transpose(0, 2, 3, 1)
    )


def test_compute_dtype(rng):
    x = rng.standard_normal((2, 3, 6, 6), dtype=np.float32)
    m = nn.Conv2d(3, 4, 3, rngs=rngs())
    ref = m(x)
    half = nn.Conv2d(3, 4, 3, dtype=jnp.bfloat16, rngs=rngs())
    y = half(x)
    assert y.dtype == jnp.bfloat16 and half.weight[...].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(y, np.float32), ref, rtol=2e-2, atol=2e-2)
    # dtype=None promotes: bf16 params with an f32 input compute in f32.
    low = nn.Linear(3, 2, param_dtype=jnp.bfloat16, rngs=rngs())
    assert low(x[:, :, 0, 0]).dtype == jnp.float32
    assert low(jnp.asarray(x[:, :, 0, 0], jnp.bfloat16)).dtype == jnp.bfloat16


def test_unbatched_input(rng):
    m = nn.Conv1d(3, 4, 3, rngs=rngs())
    x = rng.standard_normal((3, 8), dtype=np.float32)
    np.testing.assert_allclose(m(x), m(x[None])[0], rtol=1e-6, atol=1e-6)


def test_color_jitter_train_and_eval(rng):
    x = jnp.asarray(rng.uniform(0.2, 0.8, (2, 3, 4, 4)), jnp.float32)
    jitter = nn.ColorJitter(0.5, 0.5, 0.5, 0.1, rngs=nnx.Rngs(0))
    step = nnx.jit(lambda m, x: m(x))  # eager jitter is slow to dispatch; jit once
    a, b = step(jitter, x), step(jitter, x)
    assert a.shape == x.shape and a.dtype == x.dtype
    assert float(jnp.abs(a - x).max()) > 1e-3
    assert float(jnp.abs(a - b).max()) > 1e-3  # the stream advances at every call
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    # Same seed, same draws.
    np.testing.assert_array_equal(
        step(nn.ColorJitter(0.5, 0.5, 0.5, 0.1, rngs=nnx.Rngs(0)), x), a
    )
    jitter.eval()
    assert jitter.deterministic
    np.testing.assert_array_equal(jitter(x), x)
    np.testing.assert_array_equal(step(jitter, x), x)
    jitter.train()
    assert not jitter.deterministic
    np.testing.assert_array_equal(nnx.view(jitter, deterministic=True)(x), x)
    np.testing.assert_array_equal(jitter(x, deterministic=True), x)


def test_color_jitter_with_a_key_matches_functional(rng):
    x = jnp.asarray(rng.uniform(size=(3, 3, 4, 4)), jnp.float32)
    m = nn.ColorJitter(0.4, 0.3, 0.2, 0.1, per_sample=True)  # no rngs: keys per call
    key = jax.random.key(1)
    got = nnx.jit(lambda m, x, k: m(x, rngs=k))(m, x, key)
    want = jax.jit(
        lambda x, k: image.color_jitter(k, x, 0.4, 0.3, 0.2, 0.1, per_sample=True)
    )(x, key)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert float(jnp.abs(got - x).max()) > 1e-3


def test_color_jitter_errors():
    with pytest.raises(ValueError, match="hue"):
        nn.ColorJitter(hue=0.7)
    with pytest.raises(ValueError, match="brightness"):
        nn.ColorJitter(brightness=-1)
    with pytest.raises(TypeError, match="`rngs`"):
        nn.ColorJitter(0.5, rngs=0)
    with pytest.raises(ValueError, match="needs random keys"):
        nn.ColorJitter(0.5)(jnp.ones((3, 2, 2)))
    # Without rngs it still works in eval mode.
    np.testing.assert_array_equal(
        nn.ColorJitter(0.5, deterministic=True)(jnp.ones((3, 2, 2))), 1
    )


def test_small_modules():
    x = jnp.arange(-3.0, 3.0).reshape(2, 3)
    np.testing.assert_array_equal(nn.ReLU(inplace=True)(x), jnp.maximum(x, 0))
    np.testing.assert_array_equal(nn.Identity(3, foo=1)(x), x)
    assert nn.Flatten()(jnp.ones((2, 3, 4))).shape == (2, 12)
    assert nn.Flatten(0, -1)(jnp.ones((2, 3, 4))).shape == (24,)
    assert nn.Flatten(-2)(jnp.ones((2, 3, 4))).shape == (2, 12)
    assert nn.Flatten(0)(jnp.ones(())).shape == (1,)
    assert nn.MaxPool2d(2).stride == 2 and nn.AvgPool2d(3, 1).stride == 1


def test_constructor_errors():
    with pytest.raises(
        ValueError, match="`in_channels` \\(3\\) must be divisible by `groups`"
    ):
        nn.Conv2d(3, 4, 3, groups=2, rngs=rngs())
    with pytest.raises(ValueError, match="`out_channels` \\(3\\) must be divisible"):
        nn.ConvTranspose2d(4, 3, 3, groups=2, rngs=rngs())
    with pytest.raises(ValueError, match="`groups` must be a positive int"):
        nn.Conv1d(4, 4, 3, groups=0, rngs=rngs())
    with pytest.raises(ValueError, match="`in_channels` must be a positive int"):
        nn.Conv2d(0, 4, 3, rngs=rngs())
    with pytest.raises(ValueError, match="`padding_mode`"):
        nn.Conv2d(2, 4, 3, padding_mode="wrap", rngs=rngs())
    with pytest.raises(ValueError, match="`padding`"):
        nn.Conv2d(2, 4, 3, padding="full", rngs=rngs())
    with pytest.raises(ValueError, match="`kernel_size`"):
        nn.Conv3d(2, 4, (3, 3), rngs=rngs())
    with pytest.raises(ValueError, match="`stride` must be positive"):
        nn.Conv2d(2, 4, 3, stride=0, rngs=rngs())
    with pytest.raises(ValueError, match="`data_format`"):
        nn.Conv2d(2, 4, 3, data_format="NCW", rngs=rngs())
    with pytest.raises(ValueError, match="only `padding_mode='zeros'`"):
        nn.ConvTranspose2d(2, 4, 3, padding_mode="reflect", rngs=rngs())
    with pytest.raises(TypeError, match="strings are not supported"):
        nn.ConvTranspose1d(2, 4, 3, padding="same", rngs=rngs())
    with pytest.raises(ValueError, match="`output_padding`"):
        nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=2, rngs=rngs())
    with pytest.raises(TypeError, match="needs `rngs=nnx.Rngs"):
        nn.Conv2d(2, 4, 3, rngs=None)
    with pytest.raises(TypeError, match="needs `rngs=nnx.Rngs"):
        nn.Linear(2, 4, rngs=jax.random.key(0))
    with pytest.raises(ValueError, match="`out_features` must be a positive int"):
        nn.Linear(2, 0, rngs=rngs())
    with pytest.raises(ValueError, match="`depth_multiplier`"):
        nn.SeparableConv2d(2, 4, 3, depth_multiplier=0, rngs=rngs())


def test_call_errors():
    with pytest.raises(ValueError, match="`end_dim` \\(3\\) is out of range"):
        nn.Flatten(1, 3)(jnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="`start_dim` \\(2\\) cannot come after"):
        nn.Flatten(2, 1)(jnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="input channels"):
        nn.Conv2d(3, 4, 3, rngs=rngs())(jnp.ones((1, 2, 5, 5)))


@pytest.mark.parametrize("cls", [nn.Conv2d, nn.ConvTranspose1d, nn.BatchNorm3d])
def test_constructor_errors_name_the_public_class(cls):
    """Python's own argument errors named the private base (`_ConvNd.__init__()`)."""
    with pytest.raises(TypeError, match=rf"^{cls.__name__}\.__init__\(\)"):
        cls()
