"""Helpers shared by the conv and transposed-conv test grids."""

import zlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from convjax._src import dispatch

# Every implementation a conv test grid runs: "auto" plus each registered kernel.
IMPLS = ["auto", *sorted(dispatch.IMPLEMENTATIONS)]
LAYOUTS = ["batched", "unbatched", "channels_last"]
CHANNELS_LAST = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def arrays(name, shape, wshape, bias_size):
    """Input, weight and optional bias for a named case, seeded by the name."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(wshape).astype(np.float32)
    b = None if bias_size is None else rng.standard_normal(bias_size).astype(np.float32)
    return x, w, b


def apply(fn, x, w, b, kwargs, layout, impl):
    """Calls ``fn`` in ``layout`` and returns the result in batched NC* layout."""
    if layout == "batched":
        return fn(x, w, b, **kwargs, impl=impl)
    if layout == "unbatched":
        return jnp.stack([fn(xi, w, b, **kwargs, impl=impl) for xi in x])
    fmt = CHANNELS_LAST[x.ndim - 2]
    y = fn(jnp.moveaxis(x, 1, -1), w, b, **kwargs, data_format=fmt, impl=impl)
    return jnp.moveaxis(y, -1, 1)


def skip_unsupported(impl, fn, x, w, b, kwargs):
    """Skips the test when ``impl`` declines this configuration (``"auto"`` never does)."""
    if impl in ("auto", "xla"):
        return
    try:
        jax.eval_shape(lambda a, c: fn(a, c, b, **kwargs, impl=impl), x, w)
    except ValueError as e:
        if "does not support" in str(e):
            pytest.skip(f"{impl} does not support this configuration")
        raise
