"""Training loops compile once: no module or function retraces on repeated calls.

A retrace per step (a Python value that changes every call: a step counter, a
momentum, a key) would make every step compile again. ``chex.assert_max_traces``
counts the traces of the wrapped function and fails on one too many.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

import convjax.functional as F
from convjax import nn


class Net(nnx.Module):
    def __init__(self, rngs):
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False, rngs=rngs)
        self.bn = nn.BatchNorm2d(8, momentum=None)  # cumulative: 1/num_batches
        self.dw = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8, rngs=rngs)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 4, rngs=rngs)

    def __call__(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(self.pool(self.dw(x)).reshape(x.shape[0], -1))


def test_train_and_eval_steps_trace_once():
    model = Net(nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.sgd(0.1), wrt=nnx.Param)

    @nnx.jit
    @chex.assert_max_traces(n=1)
    def train_step(model, optimizer, x, y):
        def loss_fn(model):
            return F.cross_entropy(model(x), y)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    @nnx.jit
    @chex.assert_max_traces(n=1)
    def eval_step(model, x):
        return model(x)

    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.uniform(size=(4, 3, 8, 8)).astype(np.float32)
        y = rng.integers(0, 4, size=4)
        loss = train_step(model, optimizer, x, y)
    assert np.isfinite(loss)
    assert int(model.bn.num_batches_tracked[...]) == 3
    model.eval()
    outs = [eval_step(model, jnp.full((4, 3, 8, 8), v)) for v in (0.25, 0.5, 0.25)]
    chex.assert_trees_all_close(outs[0], outs[2])  # eval is deterministic
    chex.assert_shape(outs[1], (4, 4))


def test_functional_ops_trace_once_per_shape():
    @jax.jit
    @chex.assert_max_traces(n=2)  # one per input shape below
    def f(x, w):
        y = F.conv2d(x, w, padding=1, groups=4)  # impl="auto": the depthwise kernel
        y = F.interpolate(y, scale_factor=2, mode="bilinear")
        return F.max_pool2d(y, 2).sum()

    w = jnp.ones((4, 1, 3, 3))
    for shape in [(2, 4, 8, 8), (2, 4, 8, 8), (3, 4, 8, 8), (3, 4, 8, 8)]:
        f(jnp.ones(shape), w)
