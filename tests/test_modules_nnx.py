"""convjax.nn inside Flax: nnx.jit / nnx.grad / nnx.vmap, nnx.Sequential with plain
functions, an optax step through nnx.Optimizer, and Linen via flax.nnx.bridge."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import linen, nnx
from flax.nnx import bridge
from jax import test_util

import convjax.functional as F
from convjax import nn


def small_net(rngs):
    return nnx.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, rngs=rngs),
        nn.BatchNorm2d(4),
        F.relu,  # plain functions compose too
        nn.MaxPool2d(2),
        nn.SeparableConv2d(4, 6, 3, padding=1, rngs=rngs),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 5, rngs=rngs),
    )


@pytest.fixture(scope="module")
def net():
    """Built once (random init compiles per shape); tests take ``nnx.clone``s."""
    return small_net(nnx.Rngs(0))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((8, 3, 8, 8)), jnp.float32)
    y = jnp.asarray(rng.integers(0, 5, 8))
    return x, y


def loss_fn(model, x, y):
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


def test_jit_matches_eager(data, net):
    x, _ = data
    model = nnx.clone(net)
    model.eval()
    np.testing.assert_allclose(
        nnx.jit(lambda m, x: m(x))(model, x), model(x), rtol=1e-5, atol=1e-5
    )


def test_grad_is_finite_and_updates_batch_stats(data, net):
    x, y = data
    model = nnx.clone(net)
    grads = nnx.jit(nnx.grad(loss_fn))(model, x, y)
    params = nnx.state(model, nnx.Param)
    assert jax.tree.structure(grads) == jax.tree.structure(params)
    for g, p in zip(jax.tree.leaves(grads), jax.tree.leaves(params), strict=True):
        assert g.shape == p.shape and bool(jnp.isfinite(g).all())
    assert any(float(jnp.abs(g).max()) > 0 for g in jax.tree.leaves(grads))
    bn = model.layers[1]
    assert int(bn.num_batches_tracked[...]) == 1  # train-mode state update escaped grad
    assert float(jnp.abs(bn.running_mean[...]).max()) > 0


def test_grad_matches_finite_differences():
    layer = nn.Conv1d(2, 3, 3, padding=1, rngs=nnx.Rngs(0))
    x = jnp.asarray(np.random.default_rng(1).standard_normal((2, 2, 5)), jnp.float32)

    graphdef, state = nnx.split(layer)

    def loss(state):
        return jnp.sum(jnp.sin(nnx.merge(graphdef, state)(x)))

    test_util.check_grads(loss, (state,), order=1, modes=["rev"], atol=1e-2, rtol=1e-2)


def test_optax_step_under_jit_lowers_the_loss(data, net):
    x, y = data
    model = nnx.clone(net)
    optimizer = nnx.Optimizer(model, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss

    before = jax.tree.map(np.array, nnx.state(model, nnx.Param))  # a copy
    losses = [float(train_step(model, optimizer, x, y)) for _ in range(3)]
    assert losses[1] < losses[0] and losses[2] < losses[1]
    assert int(model.layers[1].num_batches_tracked[...]) == 3
    changed = jax.tree.map(
        lambda a, b: bool((a != b).any()), nnx.state(model, nnx.Param), before
    )
    assert all(jax.tree.leaves(changed))  # every parameter moved
    model.eval()
    assert float(loss_fn(model, x, y)) < losses[0]


def test_vmap_over_a_batch_of_inputs(data, net):
    x, _ = data
    model = nnx.clone(net)
    model.eval()
    per_example = nnx.vmap(lambda m, x: m(x[None])[0], in_axes=(None, 0))(model, x)
    np.testing.assert_allclose(per_example, model(x), rtol=1e-5, atol=1e-5)


def test_vmap_ensemble():
    @nnx.split_rngs(splits=3)
    @nnx.vmap(in_axes=0, out_axes=0)
    def make(rngs):
        return nn.Conv2d(2, 4, 3, rngs=rngs)

    ensemble = make(nnx.Rngs(0))
    assert ensemble.weight.shape == (3, 4, 2, 3, 3)
    x = jnp.ones((1, 2, 5, 5))
    y = nnx.vmap(lambda m, x: m(x), in_axes=(0, None))(ensemble, x)
    assert y.shape == (3, 1, 4, 3, 3)
    w, b = ensemble.weight[...], ensemble.bias[...]
    for i in range(3):
        np.testing.assert_allclose(y[i], F.conv2d(x, w[i], b[i]), rtol=1e-5, atol=1e-5)
    assert not np.allclose(w[0], w[1])  # independent initialisations


class LinenNet(linen.Module):
    """A Linen model whose layers are convjax NNX modules."""

    @linen.compact
    def __call__(self, x, train: bool):
        x = bridge.to_linen(nn.Conv2d, 3, 4, 3, padding=1, name="conv")(x)
        x = bridge.to_linen(nn.BatchNorm2d, 4, name="bn")(
            x, use_running_average=not train
        )
        return x.mean((2, 3))


def test_linen_via_bridge(data):
    x, _ = data
    model = LinenNet()
    variables = model.init(jax.random.key(0), x, train=False)
    assert variables["params"]["conv"]["weight"].shape == (4, 3, 3, 3)
    assert variables["batch_stats"]["bn"]["running_var"].shape == (4,)
    y, updates = model.apply(variables, x, train=True, mutable=["batch_stats"])
    stats = updates["batch_stats"]["bn"]
    assert int(stats["num_batches_tracked"]) == 1

    # The same computation with the NNX modules directly.
    conv, bn = nn.Conv2d(3, 4, 3, padding=1, rngs=nnx.Rngs(0)), nn.BatchNorm2d(4)
    conv.weight[...] = variables["params"]["conv"]["weight"]
    conv.bias[...] = variables["params"]["conv"]["bias"]
    want = bn(conv(x)).mean((2, 3))
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        stats["running_mean"], bn.running_mean[...], rtol=1e-5, atol=1e-6
    )
    # Eval mode reads the updated running statistics.
    new_vars = {"params": variables["params"], "batch_stats": updates["batch_stats"]}
    bn.eval()
    np.testing.assert_allclose(
        model.apply(new_vars, x, train=False),
        bn(conv(x)).mean((2, 3)),
        rtol=1e-5,
        atol=1e-5,
    )
