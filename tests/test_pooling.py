"""Pooling (max, average, adaptive) and ``linear``: NumPy references, PyTorch goldens,
layouts, transformations, dtypes and error paths."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import convjax.functional as F
from tests.references import pooling as ref

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "resample.npz")
_DATA = GOLDEN["data"]


def _golden_cases(prefixes):
    cases = []
    for i, line in enumerate(GOLDEN["meta"]):
        entry = json.loads(str(line))
        if entry["fn"].startswith(prefixes):
            cases.append(pytest.param(entry, id=f"{i}-{entry['fn']}"))
    return cases


def _arr(spec):
    offset, shape = spec
    return _DATA[offset : offset + int(np.prod(shape))].reshape(shape)


@pytest.mark.parametrize("entry", _golden_cases(("max_pool", "avg_pool", "adaptive")))
def test_matches_torch(entry):
    fn = getattr(F, entry["fn"])
    kw = entry["kwargs"]
    x, y = _arr(entry["x"]), _arr(entry["y"])
    got = jax.jit(lambda a: fn(a, **kw))(x)
    np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-5)
    if "g" in entry:
        r = _arr(entry["r"])
        g = jax.jit(jax.grad(lambda a: jnp.sum(fn(a, **kw) * r)))(x)
        np.testing.assert_allclose(g, _arr(entry["g"]), rtol=1e-5, atol=1e-5)


def test_golden_file_records_torch_version():
    assert str(GOLDEN["torch_version"]).startswith("2.")


# ---- NumPy references ---------------------------------------------------------------

MAX_CASES = [
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 10), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((2, 3, 9), dict(kernel_size=2, stride=1, dilation=3, padding=1)),
    ((1, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 7, 8), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1))),
    ((1, 2, 5, 6, 5), dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0))),
]
AVG_CASES = [
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 10), dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
    ((1, 2, 7, 8), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    (
        (1, 2, 7, 8),
        dict(
            kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False
        ),
    ),
    ((1, 2, 7, 8), dict(kernel_size=(2, 3), padding=(1, 0), divisor_override=4)),
    (
        (1, 2, 5, 6, 5),
        dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0), ceil_mode=True),
    ),
]


def _max(n):
    return {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[n]


def _avg(n):
    return {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[n]


@pytest.mark.parametrize("shape,kw", MAX_CASES)
def test_max_pool_matches_reference(variant, rng, shape, kw):
    x = rng.standard_normal(shape).astype(np.float32)
    got = variant(lambda a: _max(len(shape) - 2)(a, **kw))(x)
    np.testing.assert_allclose(got, ref.max_pool(x, **kw), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,kw", AVG_CASES)
def test_avg_pool_matches_reference(variant, rng, shape, kw):
    x = rng.standard_normal(shape).astype(np.float32)
    got = variant(lambda a: _avg(len(shape) - 2)(a, **kw))(x)
    np.testing.assert_allclose(got, ref.avg_pool(x, **kw), rtol=1e-5, atol=1e-5)


ADAPTIVE_CASES = [
    ((2, 3, 10), 4),
    ((2, 3, 10), 5),
    ((2, 3, 7), 11),
    ((1, 2, 9, 8), (4, None)),
    ((1, 2, 9, 8), (3, 5)),
    ((1, 2, 5, 6, 7), (2, 3, 3)),
]


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("shape,out", ADAPTIVE_CASES)
def test_adaptive_matches_reference(variant, rng, kind, shape, out):
    x = rng.standard_normal(shape).astype(np.float32)
    fn = getattr(F, f"adaptive_{kind}_pool{len(shape) - 2}d")
    got = variant(lambda a: fn(a, out))(x)
    want = ref.adaptive_pool(x, out, np.mean if kind == "avg" else np.max)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# ---- layouts, unbatched, transformations, dtypes --------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda x, **k: F.max_pool2d(x, 3, 2, 1, ceil_mode=True, **k),
        lambda x, **k: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False, **k),
        lambda x, **k: F.adaptive_avg_pool2d(x, (3, 5), **k),
        lambda x, **k: F.adaptive_max_pool2d(x, (4, 3), **k),
    ],
)
def test_channels_last_and_unbatched(rng, call):
    x = rng.standard_normal((2, 3, 9, 7)).astype(np.float32)
    want = np.asarray(call(x))
    got = call(np.moveaxis(x, 1, -1), data_format="NHWC")
    np.testing.assert_allclose(np.moveaxis(np.asarray(got), -1, 1), want, rtol=1e-6)
    np.testing.assert_allclose(call(x[0]), want[0], rtol=1e-6)
    np.testing.assert_allclose(
        call(np.moveaxis(x[0], 0, -1), data_format="NHWC"),
        np.moveaxis(want[0], 0, -1),
        rtol=1e-6,
    )


def test_vmap_matches_batch(rng):
    x = rng.standard_normal((4, 2, 3, 9, 8)).astype(np.float32)
    for fn in (
        lambda a: F.max_pool2d(a, 3, 2, 1),
        lambda a: F.avg_pool2d(a, 2, ceil_mode=True),
        lambda a: F.adaptive_avg_pool2d(a, (4, 3)),
        lambda a: F.adaptive_max_pool2d(a, 5),
    ):
        got = jax.vmap(fn)(x)
        want = np.stack([fn(xi) for xi in x])
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_gradients_finite_differences(rng):
    x = rng.standard_normal((1, 1, 6, 5))
    with jax.enable_x64(True):
        xj = jnp.asarray(x)
        for fn in (
            lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
            lambda a: F.adaptive_max_pool2d(a, (4, 3)),
            lambda a: F.max_pool2d(a, 2, 1, 1, dilation=2),
        ):
            check_grads(fn, (xj,), order=1, modes=("rev",), atol=1e-5, rtol=1e-5)


def test_max_pool_gradients_finite_at_padding_and_ties():
    x = jnp.zeros((1, 1, 4, 4))
    for fn in (
        lambda a: F.max_pool2d(a, 3, 2, 1),
        lambda a: F.max_pool2d(a, 2, dilation=2),
    ):
        g = jax.grad(lambda a, fn=fn: fn(a).sum())(x)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(
            g.sum(), fn(x).size
        )  # each output's gradient lands once


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
def test_half_precision(rng, dtype):
    x = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    for fn in (
        lambda a: F.max_pool2d(a, 3, 2, 1),
        lambda a: F.avg_pool2d(a, 3, 2, 1),
        lambda a: F.adaptive_avg_pool2d(a, (3, 4)),
        lambda a: F.adaptive_max_pool2d(a, (3, 4)),
    ):
        got = fn(jnp.asarray(x, dtype))
        assert got.dtype == dtype
        np.testing.assert_allclose(
            np.asarray(got, np.float32), fn(x), rtol=1e-2, atol=1e-2
        )


def test_max_pool_integer_input():
    x = np.arange(2 * 7 * 6, dtype=np.int32).reshape(1, 2, 7, 6) % 11
    got = F.max_pool2d(x, 3, 2, 1, ceil_mode=True)
    assert got.dtype == jnp.int32
    np.testing.assert_array_equal(got, ref.max_pool(x, 3, 2, 1, ceil_mode=True))
    np.testing.assert_array_equal(
        F.adaptive_max_pool2d(x, (3, 4)), ref.adaptive_pool(x, (3, 4), np.max)
    )


# ---- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (
            lambda x: F.max_pool2d(x, 3, padding=2),
            ValueError,
            "at most half of `kernel_size`",
        ),
        (lambda x: F.avg_pool2d(x, 2, padding=(0, 2)), ValueError, "at most half"),
        (
            lambda x: F.max_pool2d(x, 3, padding=2, dilation=3),
            ValueError,
            "at most half",
        ),
        (lambda x: F.max_pool2d(x, 7), ValueError, "too small"),
        (lambda x: F.max_pool2d(x, 0), ValueError, "`kernel_size` must be positive"),
        (
            lambda x: F.max_pool2d(x, 2, stride=0),
            ValueError,
            "`stride` must be positive",
        ),
        (lambda x: F.max_pool2d(x, 2, dilation=0), ValueError, "`dilation`"),
        (
            lambda x: F.avg_pool2d(x, 2, padding=-1),
            ValueError,
            "`padding` must be non-neg",
        ),
        (lambda x: F.max_pool2d(x, (2, 2, 2)), ValueError, "`kernel_size` must be"),
        (
            lambda x: F.max_pool1d(x, 2),
            ValueError,
            "`max_pool1d` expects `input` of rank",
        ),
        (lambda x: F.max_pool3d(x[0, 0], 2), ValueError, "rank 4"),
        (
            lambda x: F.avg_pool2d(x, 2, divisor_override=0),
            ValueError,
            "`divisor_override`",
        ),
        (lambda x: F.avg_pool2d(x.astype(np.int32), 2), TypeError, "floating-point"),
        (lambda x: F.adaptive_avg_pool2d(x.astype(np.int32), 2), TypeError, "floating"),
        (
            lambda x: F.adaptive_avg_pool2d(x, (2, 0)),
            ValueError,
            "`output_size` entries",
        ),
        (
            lambda x: F.adaptive_max_pool2d(x, (2, 2, 2)),
            ValueError,
            "`output_size` must",
        ),
        (
            lambda x: F.adaptive_max_pool2d(x, None),
            ValueError,
            "`output_size` must be given",
        ),
        (lambda x: F.max_pool2d(x, 2, data_format="NCW"), ValueError, "`data_format`"),
    ],
)
def test_errors(call, exc, match):
    x = np.zeros((1, 2, 5, 5), np.float32)
    with pytest.raises(exc, match=match):
        call(x)


def test_errors_raise_at_trace_time():
    with pytest.raises(ValueError, match="at most half"):
        jax.jit(lambda a: F.max_pool2d(a, 3, padding=2))(jnp.zeros((1, 1, 5, 5)))


# ---- linear --------------------------------------------------------------------------


def test_linear_matches_reference(variant, rng):
    x = rng.standard_normal((2, 3, 5)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    got = variant(F.linear)(x, w, b)
    np.testing.assert_allclose(got, ref.linear(x, w, b), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(F.linear(x, w), ref.linear(x, w), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(F.linear(x[0, 0], w), ref.linear(x[0, 0], w), rtol=1e-5)
    v = w[0]
    np.testing.assert_allclose(F.linear(x, v), ref.linear(x, v), rtol=1e-5, atol=1e-5)


def test_linear_gradients_and_dtype(rng):
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((2, 4))
    b = rng.standard_normal(2)
    with jax.enable_x64(True):
        check_grads(F.linear, (jnp.asarray(x), jnp.asarray(w), jnp.asarray(b)), order=1)
    y = F.linear(jnp.ones((2, 4), jnp.bfloat16), jnp.ones((3, 4), jnp.bfloat16))
    assert y.dtype == jnp.bfloat16


@pytest.mark.parametrize(
    "x,w,b,match",
    [
        ((2, 5), (4, 3), None, "in_features=3"),
        ((2, 5), (4, 5, 1), None, "`weight` must be 2-D"),
        ((2, 5), (4, 5), (3,), r"`bias` must have shape \(4,\)"),
    ],
)
def test_linear_errors(x, w, b, match):
    with pytest.raises(ValueError, match=match):
        F.linear(np.zeros(x), np.zeros(w), None if b is None else np.zeros(b))


def _tied(rng, shape):
    """Small integers (many ties), a NaN pair and an all -inf corner."""
    x = rng.integers(0, 3, shape).astype(np.float32)
    x.reshape(-1)[:2] = np.nan
    x[-1, -1, ..., :3] = -np.inf
    return jnp.asarray(x)


@pytest.mark.parametrize(
    "n, kw",
    [
        (2, dict(kernel_size=3, stride=2, padding=1)),
        (2, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
        (2, dict(kernel_size=2, dilation=2)),
        (2, dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))),
        (2, dict(kernel_size=3, stride=2, padding=1, data_format="NHWC")),
        (1, dict(kernel_size=4, stride=3, padding=2, ceil_mode=True)),
        (3, dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0))),
    ],
)
def test_max_pool_derivatives_follow_pytorch_chosen_input(rng, n, kw):
    # The gradient (and tangent) of each output is that of the input PyTorch picks:
    # the first maximum of the window, the last NaN, the first in-range -inf; the
    # return_indices path (checked against PyTorch's indices and gradients in
    # test_pool_indices.py) selects by those indices.
    fn = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[n]
    x = _tied(rng, (2, 3) + (9, 8, 7)[:n])
    if kw.get("data_format") == "NHWC":
        x = jnp.moveaxis(x, 1, -1)
    y = fn(x, **kw)
    r = jnp.asarray(rng.standard_normal(y.shape), jnp.float32)

    def loss(a, ind):
        return jnp.sum(
            jnp.nan_to_num(fn(a, **kw, return_indices=ind)[0] if ind else fn(a, **kw))
            * r
        )

    got = jax.jit(jax.grad(lambda a: loss(a, False)))(x)
    want = jax.grad(lambda a: loss(a, True))(x)
    np.testing.assert_allclose(got, want, atol=1e-6)
    t = jnp.asarray(rng.standard_normal(x.shape), jnp.float32)
    _, ty = jax.jvp(lambda a: fn(a, **kw), (x,), (t,))
    _, ty_ind = jax.jvp(lambda a: fn(a, **kw, return_indices=True)[0], (x,), (t,))
    np.testing.assert_array_equal(ty, ty_ind)
    # each output's gradient lands on exactly one input
    ones = jax.grad(lambda a: jnp.sum(fn(a, **kw)))(x)
    np.testing.assert_allclose(ones.sum(), y.size)


def test_max_pool_gradient_runs_no_select_and_scatter():
    # XLA:CPU's select_and_scatter (reduce_window's own gradient) was the slow part.
    x = jnp.ones((2, 3, 8, 8))
    jaxpr = jax.make_jaxpr(jax.grad(lambda a: jnp.sum(F.max_pool2d(a, 3, 2, 1))))(x)
    assert "select_and_scatter" not in str(jaxpr)
    assert "select_and_gather" not in str(jaxpr)


def test_max_pool_second_order_and_vmap(rng):
    x = jnp.asarray(rng.standard_normal((1, 1, 5, 5)))
    h = jax.hessian(lambda a: jnp.sum(F.max_pool2d(a, 2) ** 2))(x)
    assert h.shape == (1, 1, 5, 5) * 2
    # d2/dx2 of sum(max^2) is 2 on each chosen input, 0 elsewhere
    np.testing.assert_allclose(np.trace(np.asarray(h).reshape(25, 25)), 2 * 4)
    xs = jnp.asarray(rng.standard_normal((3, 2, 1, 6, 6)), jnp.float32)
    g = jax.vmap(jax.grad(lambda a: jnp.sum(F.max_pool2d(a, 3, 2, 1))))(xs)
    np.testing.assert_array_equal(
        g,
        np.stack(
            [jax.grad(lambda a: jnp.sum(F.max_pool2d(a, 3, 2, 1)))(xi) for xi in xs]
        ),
    )
