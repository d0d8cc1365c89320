"""convjax.interop: PyTorch state dicts <-> NNX modules, and two real PyTorch models
(tests/golden/models.npz) reproduced from their state dicts."""

import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from convjax import interop, nn
from examples import port_pytorch as port


@pytest.mark.parametrize("name", ["resnet", "mobilenet"])
def test_ported_models_reproduce_torch_logits(name):
    model, x, want = port.ported(name)
    got = nnx.jit(lambda m, x: m(x))(model, x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_ported_resnet_train_mode_matches_torch():
    state_dict, x, _ = port.golden("resnet_train")
    after = {
        k[len("after/") :]: state_dict.pop(k)
        for k in list(state_dict)
        if k.startswith("after/")
    }
    want = state_dict.pop("train_logits")
    model = nnx.eval_shape(lambda: port.ResNet(rngs=nnx.Rngs(0)))
    interop.load_torch_state_dict(model, state_dict)
    got = nnx.jit(lambda m, x: m(x))(model, x)  # train mode: batch statistics
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    exported = interop.to_torch_state_dict(model)
    for key, value in after.items():
        np.testing.assert_allclose(
            exported[key], value, rtol=1e-5, atol=1e-6, err_msg=key
        )


@pytest.mark.parametrize("name", ["resnet", "mobilenet"])
def test_round_trip_keeps_torch_names_order_and_values(name):
    state_dict, _, _ = port.golden(name)
    model = nnx.eval_shape(lambda: port.MODELS[name](rngs=nnx.Rngs(1)))
    assert interop.load_torch_state_dict(model, state_dict) == ([], [])
    exported = interop.to_torch_state_dict(model)
    assert sorted(exported) == sorted(state_dict)
    for key, value in state_dict.items():
        assert exported[key].dtype == value.dtype, key  # int64 num_batches_tracked
        np.testing.assert_array_equal(exported[key], value, err_msg=key)


def make_model():
    rngs = nnx.Rngs(0)
    return nnx.Sequential(nn.Conv2d(1, 2, 3, rngs=rngs), nn.BatchNorm2d(2), nn.ReLU())


def test_strict_errors_list_every_offending_key():
    model = make_model()
    sd = interop.to_torch_state_dict(model)
    before = interop.to_torch_state_dict(model)
    bad = dict(sd)
    del bad["0.bias"], bad["1.running_var"]
    bad["2.weight"] = np.ones(3)
    bad["0.weight"] = np.ones((2, 1, 5, 5))
    with pytest.raises(ValueError) as info:
        interop.load_torch_state_dict(model, {**bad, "1.bias": np.full(2, 7.0)})
    msg = str(info.value)
    for key in ("'0.bias'", "'1.running_var'", "'2.weight'", "'0.weight'"):
        assert key in msg
    assert (
        "missing key(s)" in msg
        and "unexpected key(s)" in msg
        and "size mismatch" in msg
    )
    assert "(2, 1, 5, 5)" in msg and "(2, 1, 3, 3)" in msg
    # All-or-nothing: the valid `1.bias` was not written either.
    for key, value in interop.to_torch_state_dict(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_non_strict_returns_keys_and_loads_the_rest():
    model = make_model()
    sd = {
        "0.weight": np.ones((2, 1, 3, 3)),
        "1.running_mean": np.arange(2.0),
        "extra.w": 1,
    }
    result = interop.load_torch_state_dict(model, sd, strict=False)
    assert isinstance(result, interop.IncompatibleKeys)
    assert result.missing_keys == [
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_var",
        "1.num_batches_tracked",
    ]
    assert result.unexpected_keys == ["extra.w"]
    np.testing.assert_array_equal(model.layers[0].weight[...], 1)
    np.testing.assert_array_equal(model.layers[1].running_mean[...], [0, 1])
    assert model.layers[1].running_mean[...].dtype == jnp.float32  # cast from float64
    with pytest.raises(ValueError, match="size mismatch for '0.weight'"):
        interop.load_torch_state_dict(model, {"0.weight": np.ones(3)}, strict=False)


def test_containers_nesting_and_torch_order():
    class Net(nnx.Module):
        def __init__(self, rngs):
            self.stem = nnx.Sequential(nn.Conv2d(1, 1, 1, rngs=rngs), nn.BatchNorm2d(1))
            self.scale = nnx.Param(jnp.ones(()))  # own params come before submodules
            self.blocks = nnx.List(
                [nn.Linear(2, 2, rngs=rngs), nn.Linear(2, 3, rngs=rngs)]
            )
            self.heads = nnx.Dict({"cls": nn.Linear(3, 1, bias=False, rngs=rngs)})
            self.plain = nnx.data([nnx.Sequential(nn.BatchNorm1d(2, affine=False))])
            self.jitter = nn.ColorJitter(0.1, rngs=rngs)  # RNG state is not exported
            self.dropout = nnx.Dropout(0.5, rngs=rngs)

    names = list(interop.to_torch_state_dict(Net(nnx.Rngs(0))))
    assert names == [
        "scale",
        "stem.0.weight",
        "stem.0.bias",
        "stem.1.weight",
        "stem.1.bias",
        "stem.1.running_mean",
        "stem.1.running_var",
        "stem.1.num_batches_tracked",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "heads.cls.weight",
        "plain.0.0.running_mean",
        "plain.0.0.running_var",
        "plain.0.0.num_batches_tracked",
    ]


def test_shared_module_appears_under_each_name():
    class Tied(nnx.Module):
        def __init__(self, rngs):
            self.encoder = nn.Linear(2, 2, rngs=rngs)
            self.decoder = self.encoder

    model = Tied(nnx.Rngs(0))
    sd = interop.to_torch_state_dict(model)
    assert list(sd) == [
        "encoder.weight",
        "encoder.bias",
        "decoder.weight",
        "decoder.bias",
    ]
    interop.load_torch_state_dict(
        model, {k: np.full_like(v, 2.0) for k, v in sd.items()}
    )
    np.testing.assert_array_equal(model.decoder.weight[...], 2)


class FakeTensor:
    """Quacks like a torch tensor; its module name makes interop treat it as one."""

    def __init__(self, array):
        self.array = array

    def detach(self):
        return self

    def cpu(self):
        return self

    @property
    def dtype(self):
        return f"torch.{self.array.dtype}"

    def numpy(self):
        return self.array


FakeTensor.__module__ = "torch"


def test_accepts_tensors_and_jax_arrays_and_casts():
    model = nnx.Sequential(nn.Linear(2, 2, rngs=nnx.Rngs(0)), nn.BatchNorm1d(2))
    sd = {
        "0.weight": FakeTensor(np.eye(2, dtype=np.float64)),
        "0.bias": jnp.array([1.0, 2.0]),
        "1.weight": [3.0, 4.0],
        "1.bias": np.zeros(2, np.float16),
        "1.running_mean": np.zeros(2),
        "1.running_var": np.ones(2),
        "1.num_batches_tracked": np.array(5, np.int64),
    }
    interop.load_torch_state_dict(model, sd)
    np.testing.assert_array_equal(model.layers[0].weight[...], np.eye(2))
    assert model.layers[0].weight[...].dtype == jnp.float32
    assert model.layers[1].num_batches_tracked[...].dtype == jnp.int32
    assert int(model.layers[1].num_batches_tracked[...]) == 5
    model.eval()
    y = model(np.ones((1, 2), np.float32))  # Linear gives [2, 3], BN scales by [3, 4]
    np.testing.assert_allclose(y, [[6.0, 12.0]], rtol=1e-4)


def test_type_errors():
    model = make_model()
    with pytest.raises(TypeError, match="`state_dict` must be a mapping"):
        interop.load_torch_state_dict(model, [("0.weight", np.ones((2, 1, 3, 3)))])
    with pytest.raises(TypeError, match="`state_dict\\['0.bias'\\]` is not array-like"):
        interop.load_torch_state_dict(model, {"0.bias": object()}, strict=False)


def _aligned(shape, fill):
    """A float32 array on a 64-byte boundary (where JAX's CPU client may alias)."""
    size = int(np.prod(shape))
    buf = np.empty(size + 16, np.float32)
    start = (-buf.ctypes.data % 64) // 4
    out = buf[start : start + size].reshape(shape)
    out[...] = fill
    return out


def test_loading_copies_the_callers_buffers():
    """Writing into a loaded NumPy array or torch tensor must not change the model."""
    model = make_model()
    sd = {k: np.array(v) for k, v in interop.to_torch_state_dict(model).items()}
    weight = _aligned((2, 1, 3, 3), 0.5)
    tensor = _aligned((2,), 0.25)
    sd["0.weight"], sd["0.bias"] = weight, FakeTensor(tensor)
    interop.load_torch_state_dict(model, sd)
    weight[...] = 0.0  # as `tm.weight.zero_()`
    tensor[...] = 0.0
    np.testing.assert_array_equal(model.layers[0].weight[...], 0.5)
    np.testing.assert_array_equal(model.layers[0].bias[...], 0.25)


def test_a_value_failing_conversion_loads_nothing():
    model = make_model()
    before = interop.to_torch_state_dict(model)
    sd = dict(before)
    sd["0.weight"] = np.ones((2, 1, 3, 3), np.float32)
    sd["1.num_batches_tracked"] = np.array("three")  # shape () passes the shape check
    with pytest.raises(ValueError, match="cannot convert '1.num_batches_tracked'"):
        interop.load_torch_state_dict(model, sd)
    for key, value in interop.to_torch_state_dict(model).items():
        np.testing.assert_array_equal(value, before[key])


def test_not_a_module_is_a_type_error():
    with pytest.raises(TypeError, match="`module` must be an `nnx.Module`"):
        interop.load_torch_state_dict(42, {"0.weight": np.ones(3)})


def test_abstract_model_with_missing_keys_fails_at_load():
    model = nnx.eval_shape(make_model)
    sd = interop.to_torch_state_dict(make_model())
    del sd["1.running_var"]
    with pytest.raises(ValueError, match="abstract model.*'1.running_var'"):
        interop.load_torch_state_dict(model, sd, strict=False)


def test_export_rejects_non_modules_and_abstract_models():
    with pytest.raises(TypeError, match="`module` must be an `nnx.Module`"):
        interop.to_torch_state_dict(42)
    with pytest.raises(ValueError, match="'0.bias' is abstract"):
        interop.to_torch_state_dict(nnx.eval_shape(make_model))
