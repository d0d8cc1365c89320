"""convjax.cpu_compiler_options(): XLA:CPU's convolution routing, opted into per jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax
import convjax.functional as F
from convjax._src import dispatch

pytestmark = pytest.mark.skipif(
    jax.default_backend() != "cpu", reason="CPU compiler options"
)


def _conv_and_grads(x, w):
    def loss(x, w):
        return jnp.sum(F.conv2d(x, w, padding=1, impl="xla") ** 2)

    return F.conv2d(x, w, padding=1, impl="xla"), jax.grad(loss, (0, 1))(x, w)


def test_options_keep_convolutions_out_of_the_library_fusion(rng):
    options = convjax.cpu_compiler_options()
    assert options == dispatch._CPU_COMPILER_OPTIONS
    x = jnp.asarray(rng.standard_normal((2, 64, 12, 12)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((64, 64, 3, 3)), jnp.float32)
    plain = jax.jit(_conv_and_grads)
    routed = jax.jit(_conv_and_grads, compiler_options=options)
    text = routed.lower(x, w).compile().as_text()
    assert "convolution(" in text
    assert "__ynn_fusion" not in text  # no dots or reductions here either
    # Same numbers as the default routing up to float32 rounding (both are within
    # 1e-6 of a float64 conv, relative to the largest entry).
    outs = jax.tree.leaves(routed(x, w)), jax.tree.leaves(plain(x, w))
    for got, want in zip(*outs, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=4e-6 * np.abs(want).max())


def test_options_for_other_backends_are_empty():
    assert convjax.cpu_compiler_options("gpu") == {}
    assert convjax.cpu_compiler_options(backend="tpu") == {}
    got = convjax.cpu_compiler_options("cpu")
    got.clear()  # a fresh dict every call: mutating it changes nothing
    assert convjax.cpu_compiler_options("cpu") == dispatch._CPU_COMPILER_OPTIONS


def test_options_unknown_to_this_jaxlib_are_dropped(monkeypatch):
    monkeypatch.setattr(
        dispatch, "_CPU_COMPILER_OPTIONS", {"xla_cpu_no_such_option_for_test": "1"}
    )
    dispatch._cpu_options_supported.cache_clear()
    try:
        assert convjax.cpu_compiler_options() == {}
    finally:
        dispatch._cpu_options_supported.cache_clear()
