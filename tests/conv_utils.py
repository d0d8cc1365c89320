"""Helpers shared by the conv and transposed-conv test grids."""

import functools
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


# Implementation/configuration pairs left out of the grids, reported once by
# tests/conftest.py (pytest_terminal_summary) instead of as skipped tests.
DECLINED: list[str] = []


def supported_cases(cases, fns, bias_size):
    """``(name, impl)`` params for each case and each implementation that takes it.

    ``cases`` are ``(name, x shape, w shape, kwargs)``; ``fns`` maps the number of
    spatial dims to the function; ``bias_size(w shape, kwargs)`` is the bias length.
    A kernel declines a configuration by raising ``ValueError("... does not
    support ...")`` at trace time (``"auto"`` and ``"xla"`` take every one); the
    check is abstract (``jax.eval_shape``), so collecting the grid runs nothing.
    """
    params = []
    for name, shape, wshape, kwargs in cases:
        kwargs = dict(kwargs)
        has_bias = kwargs.pop("bias", False)
        x = jax.ShapeDtypeStruct(shape, jnp.float32)
        w = jax.ShapeDtypeStruct(wshape, jnp.float32)
        b = jax.ShapeDtypeStruct((bias_size(wshape, kwargs),), jnp.float32)
        fn = fns[len(shape) - 2]
        for impl in IMPLS:
            if impl not in ("auto", "xla"):
                try:
                    call = functools.partial(fn, **kwargs, impl=impl)
                    jax.eval_shape(call, x, w, b if has_bias else None)
                except ValueError as e:
                    if "does not support" not in str(e):
                        raise
                    DECLINED.append(f"{fn.__name__}:{name}:{impl}")
                    continue
            params.append(pytest.param(name, impl, id=f"{name}-{impl}"))
    return params
