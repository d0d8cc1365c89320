"""convjax.nn batch norm: running-stat updates over several train steps and eval
outputs vs PyTorch goldens (tests/golden/modules.npz), train/eval switching, layouts,
dtypes, synchronized batch norm and errors."""

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from convjax import nn

GOLDEN = np.load(Path(__file__).parent / "golden" / "modules.npz")

CASES = {
    "bn2d": (lambda: nn.BatchNorm2d(4), 3),
    "bn2d_cumulative": (lambda: nn.BatchNorm2d(4, momentum=None), 3),
    "bn2d_affine_false": (lambda: nn.BatchNorm2d(4, 1e-3, 0.3, affine=False), 3),
    "bn2d_untracked": (lambda: nn.BatchNorm2d(4, track_running_stats=False), 1),
    "bn1d_2d": (lambda: nn.BatchNorm1d(4), 3),
    "bn1d_3d": (lambda: nn.BatchNorm1d(4), 3),
    "bn3d": (lambda: nn.BatchNorm3d(3), 2),
}


def load_golden_state(module, case):
    prefix = f"{case}/sd/"
    for key in GOLDEN.files:
        if key.startswith(prefix):
            getattr(module, key[len(prefix) :])[...] = jnp.asarray(GOLDEN[key])


def close(got, want):
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "nnx.jit"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_train_steps_and_eval_match_torch(case, jit):
    make, steps = CASES[case]
    bn = make()
    load_golden_state(bn, case)
    call = nnx.jit(lambda m, x: m(x)) if jit else (lambda m, x: m(x))
    for step in range(steps):
        close(call(bn, GOLDEN[f"{case}/x{step}"]), GOLDEN[f"{case}/y{step}"])
        if bn.track_running_stats:
            close(bn.running_mean[...], GOLDEN[f"{case}/mean{step}"])
            close(bn.running_var[...], GOLDEN[f"{case}/var{step}"])
            assert (
                int(bn.num_batches_tracked[...])
                == GOLDEN[f"{case}/count{step}"]
                == step + 1
            )
    bn.eval()
    before = nnx.state(bn, nnx.BatchStat)
    close(call(bn, GOLDEN[f"{case}/x_eval"]), GOLDEN[f"{case}/y_eval"])
    jax.tree.map(np.testing.assert_array_equal, nnx.state(bn, nnx.BatchStat), before)


def test_state_layout():
    bn = nn.BatchNorm2d(3)
    assert isinstance(bn.weight, nnx.Param) and isinstance(bn.bias, nnx.Param)
    np.testing.assert_array_equal(bn.weight[...], 1)
    np.testing.assert_array_equal(bn.bias[...], 0)
    for name, value in (("running_mean", 0), ("running_var", 1)):
        var = getattr(bn, name)
        assert isinstance(var, nnx.BatchStat) and var.shape == (3,)
        np.testing.assert_array_equal(var[...], value)
    assert isinstance(bn.num_batches_tracked, nnx.BatchStat)
    assert bn.num_batches_tracked[...].dtype == jnp.int32
    assert not bn.use_running_average and bn.training  # PyTorch starts in train mode
    no_affine = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert no_affine.weight is None and no_affine.bias is None
    assert no_affine.running_mean is None and no_affine.num_batches_tracked is None
    assert nnx.state(no_affine) == nnx.State({})
    low = nn.BatchNorm2d(3, param_dtype=jnp.bfloat16)
    assert (
        low.weight[...].dtype == jnp.bfloat16
        and low.running_var[...].dtype == jnp.bfloat16
    )


def test_train_eval_switch_in_a_model(rng):
    model = nnx.Sequential(
        nn.Conv2d(2, 3, 3, rngs=nnx.Rngs(0)),
        nn.BatchNorm2d(3),
        nnx.Sequential(nn.BatchNorm2d(3, use_running_average=True)),
        nn.ColorJitter(0.5, rngs=nnx.Rngs(1)),
    )
    bns = (model.layers[1], model.layers[2].layers[0])
    assert [b.use_running_average for b in bns] == [False, True]
    model.eval()
    assert all(b.use_running_average for b in bns) and model.layers[3].deterministic
    model.train()
    assert (
        not any(b.use_running_average for b in bns)
        and not model.layers[3].deterministic
    )
    view = nnx.view(model, use_running_average=True, deterministic=True)
    assert (
        view.layers[1].use_running_average
        and view.layers[2].layers[0].use_running_average
    )
    assert view.layers[3].deterministic
    assert not model.layers[1].use_running_average  # the original is untouched


def test_eval_uses_running_stats_and_call_override(rng):
    x = jnp.asarray(rng.standard_normal((4, 3, 2, 2)) * 3 + 2, jnp.float32)
    bn = nn.BatchNorm2d(3)
    bn.running_mean[...] = jnp.array([1.0, 2.0, 3.0])
    bn.running_var[...] = jnp.array([4.0, 1.0, 0.25])
    bn.eval()
    want = (x - bn.running_mean[...][None, :, None, None]) / jnp.sqrt(
        bn.running_var[...][None, :, None, None] + 1e-5
    )
    close(bn(x), want)
    assert int(bn.num_batches_tracked[...]) == 0
    y = bn(x, use_running_average=False)  # one training call in eval mode
    close(y.mean((0, 2, 3)), np.zeros(3))
    assert int(bn.num_batches_tracked[...]) == 1


def test_channels_last_matches_channels_first(rng):
    x = rng.standard_normal((3, 4, 5, 2), dtype=np.float32)  # NHWC
    a, b = nn.BatchNorm2d(2), nn.BatchNorm2d(2, data_format="NHWC")
    close(b(x), np.asarray(a(x.transpose(0, 3, 1, 2))).transpose(0, 2, 3, 1))
    close(b.running_var[...], a.running_var[...])
    c = nn.BatchNorm1d(2, data_format="NWC")  # (N, C) inputs ignore data_format
    close(c(x[:, 0, 0, :]), nn.BatchNorm1d(2)(x[:, 0, 0, :]))
    close(
        c(x[:, 0]),
        np.asarray(nn.BatchNorm1d(2)(x[:, 0].transpose(0, 2, 1))).transpose(0, 2, 1),
    )


def test_low_precision_input(rng):
    x = rng.standard_normal((4, 3, 5, 5), dtype=np.float32)
    ref = nn.BatchNorm2d(3)(x)
    bn = nn.BatchNorm2d(3)
    y = bn(jnp.asarray(x, jnp.bfloat16))
    assert y.dtype == jnp.bfloat16 and bn.running_mean[...].dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(y, np.float32), ref, rtol=2e-2, atol=2e-2)
    forced = nn.BatchNorm2d(3, dtype=jnp.float16)
    assert forced(x).dtype == jnp.float16


def test_sync_batch_norm_equals_global_batch(rng):
    x = (
        rng.standard_normal((2, 3, 4, 3, 3), dtype=np.float32) * 2 + 1
    )  # (devices, N, ...)
    sync, plain = nn.SyncBatchNorm(4), nn.BatchNorm2d(4)
    step = nnx.vmap(lambda m, x: m(x), in_axes=(None, 0), axis_name="batch")
    y = step(sync, x)
    want = plain(x.reshape(6, 4, 3, 3)).reshape(x.shape)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    close(sync.running_mean[...], plain.running_mean[...])
    close(sync.running_var[...], plain.running_var[...])
    assert int(sync.num_batches_tracked[...]) == 1
    sync.eval()  # eval needs no mapped axis: running statistics only
    plain.eval()
    close(sync(x[0]), plain(x[0]))
    # Outside a map, `axis_name=None` makes it a plain batch norm of any rank.
    close(nn.SyncBatchNorm(4, axis_name=None)(x[0]), nn.BatchNorm2d(4)(x[0]))


def test_errors():
    with pytest.raises(ValueError, match="`BatchNorm2d` expects a 4D input"):
        nn.BatchNorm2d(3)(jnp.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="`BatchNorm1d` expects a 2D or 3D input"):
        nn.BatchNorm1d(3)(jnp.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="`BatchNorm3d` expects a 5D input"):
        nn.BatchNorm3d(3)(jnp.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.SyncBatchNorm(3, axis_name=None)(jnp.ones((3,)))
    with pytest.raises(ValueError, match="`num_features` must be a positive int"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="`num_features` must be a positive int"):
        nn.BatchNorm2d(2.0)
    with pytest.raises(ValueError, match="`data_format`"):
        nn.BatchNorm2d(3, data_format="NWC")
    with pytest.raises(ValueError, match="running_mean"):  # channel count mismatch
        nn.BatchNorm2d(3)(jnp.ones((2, 4, 2, 2)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(jnp.ones((1, 3)))


def test_empty_batch_training_step_keeps_running_stats():
    """As torch.nn.BatchNorm2d: N = 0 counts the step but moves no statistics."""
    bn = nn.BatchNorm2d(3, momentum=None)
    y = bn(jnp.zeros((0, 3, 2, 2)))
    assert y.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.running_mean[...], np.zeros(3))
    np.testing.assert_array_equal(bn.running_var[...], np.ones(3))
    assert int(bn.num_batches_tracked[...]) == 1
