"""The building-block modules: train()/eval() conventions, nn.Sequential, BatchNorm
bias=, activation modules, PReLU/RReLU, dropout and stochastic-depth modules (RNG
streams under nnx.jit), LayerNorm/LayerNorm2d/GroupNorm/InstanceNorm*/LRN, and
torchvision's SqueezeExcitation / Conv2dNormActivation (state-dict keys and outputs
against torchvision, via blocks.npz/blocks.json from make_blocks.py)."""

import json
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import convjax.functional as F
from convjax import interop, nn
from tests.references import blocks as ref

HERE = Path(__file__).parent / "golden"
G = np.load(HERE / "blocks.npz")
SD = json.loads((HERE / "blocks.json").read_text())["state_dicts"]


def _keys(module):
    return {k: list(v.shape) for k, v in interop.to_torch_state_dict(module).items()}


# --------------------------------------------------------------------------------------
# Conventions: train()/eval() return the model; Sequential.


class _Net(nn.Sequential):
    pass


def test_train_eval_return_the_model_and_switch_every_layer():
    rngs = nnx.Rngs(0)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, rngs=rngs),
        nn.BatchNorm2d(4),
        nn.Dropout(0.5, rngs=rngs),
        nn.Sequential(nn.StochasticDepth(0.2, "row", rngs=rngs), nn.RReLU(rngs=rngs)),
    )
    layers = [model[1], model[2], model[3][0], model[3][1]]
    assert all(m.training for m in layers)
    assert model.eval() is model
    assert not any(m.training for m in layers)
    assert model.train() is model and all(m.training for m in layers)
    assert model.train(False) is model and not any(m.training for m in layers)
    assert model.train(True) is model and all(m.training for m in layers)
    for leaf in (nn.BatchNorm1d(2), nn.Dropout(), nn.ReLU(), _Net(nn.ReLU())):
        assert leaf.eval() is leaf and leaf.train() is leaf
    with pytest.raises(ValueError, match="`mode` must be a bool"):
        model.train("no")
    # Chaining, as PyTorch users write it.
    y = nn.Sequential(nn.BatchNorm1d(3)).eval()(jnp.ones((2, 3)))
    np.testing.assert_allclose(y, np.ones((2, 3)) / np.sqrt(1 + 1e-5), rtol=1e-6)


def test_sequential_container_protocol_and_state_dict_names():
    rngs = nnx.Rngs(0)
    seq = nn.Sequential(nn.Linear(3, 4, rngs=rngs), F.relu, nn.Linear(4, 2, rngs=rngs))
    assert len(seq) == 3 and seq[-1] is seq.layers[2] and list(seq)[1] is F.relu
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    x = jnp.ones((5, 3))
    np.testing.assert_allclose(seq(x), seq[2](head(x)), rtol=1e-6)
    assert seq.append(nn.ReLU()) is seq and len(seq) == 4
    assert isinstance(seq, nnx.Sequential)
    assert set(_keys(seq)) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    # Works under nnx.jit and nnx.grad like any NNX module.
    loss = nnx.jit(lambda m, v: (m(v) ** 2).mean())
    grads = nnx.grad(lambda m: loss(m, x))(seq)
    assert grads["layers"][0]["weight"][...].shape == (4, 3)


def test_batchnorm_bias_false_like_torch_2_14():
    bn = nn.BatchNorm2d(3, bias=False)
    assert bn.bias is None and _keys(bn) == SD["bn_nobias"]
    x = jnp.asarray(np.random.default_rng(0).standard_normal((4, 3, 2, 2)), jnp.float32)
    with_bias = nn.BatchNorm2d(3)
    np.testing.assert_allclose(bn(x), with_bias(x), rtol=1e-6)
    assert nn.SyncBatchNorm(3, bias=False).bias is None
    assert (
        _keys(nn.InstanceNorm2d(3, affine=True, track_running_stats=True))
        == (SD["in_track"])
    )


# --------------------------------------------------------------------------------------
# Activation modules.

ACT_MODULES = [
    (nn.Sigmoid(), F.sigmoid),
    (nn.Tanh(), F.tanh),
    (nn.SiLU(inplace=True), F.silu),
    (nn.Hardswish(True), F.hardswish),
    (nn.Hardsigmoid(), F.hardsigmoid),
    (nn.Mish(), F.mish),
    (nn.SELU(), F.selu),
    (nn.LogSigmoid(), F.logsigmoid),
    (nn.Tanhshrink(), F.tanhshrink),
    (nn.Softsign(), F.softsign),
    (nn.GELU("tanh"), lambda x: F.gelu(x, approximate="tanh")),
    (nn.Hardtanh(-2.0, 3.0), lambda x: F.hardtanh(x, -2.0, 3.0)),
    (nn.ELU(0.5), lambda x: F.elu(x, 0.5)),
    (nn.CELU(2.0), lambda x: F.celu(x, 2.0)),
    (nn.Softplus(2.0, 5.0), lambda x: F.softplus(x, 2.0, 5.0)),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    (nn.Softshrink(0.3), lambda x: F.softshrink(x, 0.3)),
    (nn.Hardshrink(0.3), lambda x: F.hardshrink(x, 0.3)),
    (nn.Threshold(0.1, 20.0), lambda x: F.threshold(x, 0.1, 20.0)),
    (nn.GLU(1), lambda x: F.glu(x, 1)),
    (nn.Softmax(1), lambda x: F.softmax(x, 1)),
    (nn.LogSoftmax(-1), lambda x: F.log_softmax(x, -1)),
    (nn.Softmin(0), lambda x: F.softmin(x, 0)),
    (nn.RReLU(0.1, 0.3).eval(), lambda x: F.leaky_relu(x, 0.2)),
]


def test_activation_modules_call_their_function():
    x = jnp.asarray(
        np.random.default_rng(0).standard_normal((2, 4, 3)) * 3, jnp.float32
    )
    for module, fn in ACT_MODULES:
        np.testing.assert_array_equal(module(x), fn(x), err_msg=type(module).__name__)
        assert _keys(module) == {}
    with pytest.raises(ValueError, match="`approximate` must be one of"):
        nn.GELU("erf")
    with pytest.raises(TypeError, match="requires `dim`"):
        nn.Softmax()(x)


def test_prelu_module_matches_torch_parameter_and_trains():
    layer = nn.PReLU(3)
    assert _keys(layer) == SD["prelu"]
    np.testing.assert_array_equal(layer.weight[...], np.full(3, 0.25, np.float32))
    x = G["prelu.channel.x"][:, :3]
    np.testing.assert_allclose(layer(x), ref.prelu(x, np.full(3, 0.25)), rtol=1e-6)
    g = nnx.grad(lambda m: m(x).sum())(layer)
    want = np.where(x > 0, 0.0, x).sum((0, 2))
    np.testing.assert_allclose(g["weight"][...], want, rtol=1e-5)
    assert nn.PReLU(init=0.1)(jnp.array([-1.0]))[0] == pytest.approx(-0.1)


def test_rrelu_module_draws_from_its_stream():
    layer = nn.RReLU(rngs=nnx.Rngs(0))
    x = -jnp.ones((8, 8))
    a, b = layer(x), layer(x)
    assert (a != b).any()  # the stream advances
    assert (-1 / 3 <= a).all() and (a <= -1 / 8).all()
    key = jax.random.key(5)
    np.testing.assert_array_equal(
        layer(x, rngs=key), F.rrelu(x, training=True, key=key)
    )
    np.testing.assert_allclose(layer.eval()(x), x * (1 / 8 + 1 / 3) / 2, rtol=1e-6)
    with pytest.raises(ValueError, match="needs random keys"):
        nn.RReLU()(x)


# --------------------------------------------------------------------------------------
# Dropout / StochasticDepth modules.


def test_dropout_module_uses_the_dropout_stream_under_nnx_jit():
    rngs = nnx.Rngs(dropout=3)
    layer = nn.Dropout(0.5, rngs=rngs)
    twin = nn.Dropout(0.5, rngs=nnx.Rngs(dropout=3))
    x = jnp.ones((4, 16))

    @nnx.jit
    def step(m, v):
        return m(v)

    a, b = step(layer, x), step(layer, x)
    assert (a != b).any()  # new masks every step under nnx.jit
    # The same stream drawn eagerly gives the same masks: key = stream().
    stream = nnx.Rngs(dropout=3)["dropout"].fork()
    np.testing.assert_array_equal(a, F.dropout(x, 0.5, key=stream()))
    np.testing.assert_array_equal(twin(x), a)
    key = jax.random.key(9)
    np.testing.assert_array_equal(layer(x, rngs=key), F.dropout(x, 0.5, key=key))
    np.testing.assert_array_equal(layer(x, deterministic=True), x)
    np.testing.assert_array_equal(step(layer.eval(), x), x)
    assert _keys(layer) == {}  # the RNG state is not a state-dict entry


@pytest.mark.parametrize(
    "cls, fn, shape",
    [
        (nn.Dropout1d, F.dropout1d, (2, 3, 4)),
        (nn.Dropout2d, F.dropout2d, (2, 3, 4, 4)),
        (nn.Dropout3d, F.dropout3d, (2, 3, 2, 2, 2)),
    ],
)
def test_channel_dropout_modules(cls, fn, shape):
    layer = cls(0.4, rngs=nnx.Rngs(1))
    x = jnp.ones(shape)
    key = jax.random.key(2)
    np.testing.assert_array_equal(layer(x, rngs=key), fn(x, 0.4, key=key))
    np.testing.assert_array_equal(cls(1.0)(x), np.zeros(shape))  # no key needed
    np.testing.assert_array_equal(cls(0.4).eval()(x), x)
    with pytest.raises(ValueError, match="between 0 and 1"):
        cls(1.2)


def test_stochastic_depth_module():
    layer = nn.StochasticDepth(0.5, "row", rngs=nnx.Rngs(0))
    x = jnp.ones((32, 3))
    key = jax.random.key(4)
    np.testing.assert_array_equal(
        layer(x, rngs=key), F.stochastic_depth(x, 0.5, "row", key=key)
    )
    y = nnx.jit(lambda m, v: m(v))(layer, x)
    assert set(np.unique(y).tolist()) == {0.0, 2.0}
    np.testing.assert_array_equal(layer.eval()(x), x)
    with pytest.raises(ValueError, match="`mode` must be one of"):
        nn.StochasticDepth(0.5, "col")


# --------------------------------------------------------------------------------------
# Normalization modules.


def test_layer_norm_modules():
    ln = nn.LayerNorm((3, 4), bias=False)
    assert _keys(ln) == SD["ln_nobias"]
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(ln(x), ref.layer_norm(x, 2), rtol=1e-5, atol=1e-5)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    bf = nn.LayerNorm(4)(jnp.ones((2, 4), jnp.bfloat16))
    assert bf.dtype == jnp.float32  # promoted with the float32 parameters, as Flax
    assert nn.LayerNorm(4, dtype=jnp.bfloat16)(jnp.ones((2, 4))).dtype == jnp.bfloat16


def test_layer_norm_2d_matches_torchvision():
    m = nn.LayerNorm2d(6, eps=1e-6)
    assert _keys(m) == SD["ln2d"]
    interop.load_torch_state_dict(m, _state(G, "ln2d"))
    y = nnx.jit(lambda m, v: m(v))(m, G["block.ln2d.x"])
    np.testing.assert_allclose(y, G["block.ln2d.y"], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="4D"):
        m(jnp.ones((6, 2, 2)))


def test_group_and_instance_and_lrn_modules():
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)
    gn = nn.GroupNorm(2, 4)
    assert _keys(gn) == SD["gn"]
    np.testing.assert_allclose(gn(x), ref.group_norm(x, 2), rtol=1e-5, atol=1e-5)
    assert nn.GroupNorm(2, 4, affine=False).weight is None
    with pytest.raises(ValueError, match="divisible by `num_groups`"):
        nn.GroupNorm(3, 4)
    inorm = nn.InstanceNorm2d(4, momentum=0.2, affine=True, track_running_stats=True)
    y = inorm(x)
    want, rm, rv = ref.instance_norm(x, np.zeros(4), np.ones(4), momentum=0.2)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(inorm.running_mean[...], rm, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inorm.running_var[...], rv, rtol=1e-5, atol=1e-6)
    inorm.eval()
    want_eval = ref.instance_norm(x, rm, rv, use_input_stats=False)[0]
    np.testing.assert_allclose(inorm(x), want_eval, rtol=1e-5, atol=1e-5)
    # Without running stats: input statistics in both modes; unbatched input.
    plain = nn.InstanceNorm1d(3).eval()
    x1 = x[0, :3, 0]
    np.testing.assert_allclose(
        plain(x1), ref.instance_norm(x1[None])[0][0], rtol=1e-5, atol=1e-5
    )
    with pytest.raises(ValueError, match="match num_features"):
        nn.InstanceNorm2d(3, affine=True)(x)
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.InstanceNorm2d(4)(x[0, 0])
    lrn = nn.LocalResponseNorm(3, 0.1, 0.5, 2.0)
    np.testing.assert_allclose(
        lrn(x), ref.local_response_norm(x, 3, 0.1, 0.5, 2.0), rtol=1e-5, atol=1e-6
    )


# --------------------------------------------------------------------------------------
# torchvision blocks.


def _state(golden, name):
    prefix = f"block.{name}.sd."
    return {k[len(prefix) :]: golden[k] for k in golden.files if k.startswith(prefix)}


BLOCKS = {
    "cna_default": lambda r: nn.Conv2dNormActivation(3, 8, stride=2, rngs=r),
    "cna_nonorm": lambda r: nn.Conv2dNormActivation(
        3, 8, 5, norm_layer=None, activation_layer=nn.Hardswish, rngs=r
    ),
    "cna_noact": lambda r: nn.Conv2dNormActivation(
        4,
        8,
        3,
        groups=4,
        norm_layer=partial(nn.BatchNorm2d, eps=1e-3),
        activation_layer=None,
        dilation=2,
        rngs=r,
    ),
    "cna_tuple": lambda r: nn.Conv2dNormActivation(
        4, 6, (3, 5), dilation=(1, 2), activation_layer=nn.SiLU, rngs=r
    ),
    "se": lambda r: nn.SqueezeExcitation(8, 2, rngs=r),
    "se_silu_hsig": lambda r: nn.SqueezeExcitation(
        8, 3, activation=nn.SiLU, scale_activation=nn.Hardsigmoid, rngs=r
    ),
}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_torchvision_blocks_keys_and_eval_outputs(name):
    block = BLOCKS[name](nnx.Rngs(0))
    assert _keys(block) == SD[name]
    interop.load_torch_state_dict(block, _state(G, name), strict=True)
    y = block.eval()(G[f"block.{name}.x"])
    np.testing.assert_allclose(y, G[f"block.{name}.y"], rtol=1e-5, atol=1e-5)


def test_conv_norm_activation_layers_and_training():
    block = nn.Conv2dNormActivation(3, 8, 3, norm_layer=None, rngs=nnx.Rngs(0))
    assert [type(m).__name__ for m in block] == ["Conv2d", "ReLU"]
    assert block.out_channels == 8 and block[0].bias is not None  # bias = no norm
    block = nn.Conv2dNormActivation(
        3, 8, activation_layer=None, bias=True, rngs=nnx.Rngs(0)
    )
    assert [type(m).__name__ for m in block] == ["Conv2d", "BatchNorm2d"]
    assert block[0].bias is not None and block[0].padding == (1, 1)
    # A layer factory that takes rngs gets the block's rngs; inplace=None passes none.
    seen = {}

    def act_factory(**kwargs):
        seen.update(kwargs)
        return nn.Dropout(0.5, **kwargs)

    block = nn.Conv2dNormActivation(
        3, 4, 1, activation_layer=act_factory, inplace=None, rngs=nnx.Rngs(0)
    )
    assert set(seen) == {"rngs"}
    x = jnp.ones((2, 3, 4, 4))
    assert (block(x) != block(x)).any()  # train mode: BN batch stats + dropout
    assert block[1].num_batches_tracked[...] == 2
    v3 = nn.Conv3dNormActivation(2, 4, rngs=nnx.Rngs(0))
    assert [type(m).__name__ for m in v3] == ["Conv3d", "BatchNorm3d", "ReLU"]
    assert v3(jnp.ones((1, 2, 3, 4, 4))).shape == (1, 4, 3, 4, 4)


def test_squeeze_excitation_matches_reference_formula_and_vmaps():
    se = nn.SqueezeExcitation(6, 2, rngs=nnx.Rngs(0))
    x = np.random.default_rng(0).standard_normal((3, 6, 4, 4)).astype(np.float32)
    w1, b1 = np.float64(se.fc1.weight[...][:, :, 0, 0]), np.float64(se.fc1.bias[...])
    w2, b2 = np.float64(se.fc2.weight[...][:, :, 0, 0]), np.float64(se.fc2.bias[...])
    pooled = np.float64(x).mean((2, 3))
    scale = 1 / (1 + np.exp(-(np.maximum(pooled @ w1.T + b1, 0) @ w2.T + b2)))
    np.testing.assert_allclose(se(x), x * scale[:, :, None, None], rtol=1e-5, atol=1e-6)
    got = nnx.vmap(lambda m, v: m(v), in_axes=(None, 0))(se, x)  # unbatched samples
    np.testing.assert_allclose(got, se(x), rtol=1e-5, atol=1e-6)
