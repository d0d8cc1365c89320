"""The CPU fast paths (impl="depthwise", "grouped", "pointwise", "dense", "subpixel") vs "xla".

Outputs and gradients must equal those of plain ``lax.conv_general_dilated``;
the depthwise primitives' transposes are also checked against finite differences
(first and second order). tests/test_conv.py runs the full conv grid over every
registered implementation; this file covers what is specific to the fast paths.
"""

import dataclasses
import functools
import os
import subprocess
import sys
import textwrap

import jax
import jax.extend
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jax.test_util import check_grads

import convjax.functional as F
from convjax._src import dispatch
from convjax._src import fast_conv_dense as fdense
from convjax._src import fast_conv_depthwise as fdw

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

# (impl, name, transposed, x shape (N, C, *S), weight shape, keyword arguments)
CASES = [
    ("depthwise", "1d-s2-x2", False, (2, 3, 11), (6, 1, 5), dict(stride=2, padding=2)),
    ("depthwise", "2d", False, (2, 4, 9, 8), (4, 1, 3, 3), dict(padding=1)),
    (
        "depthwise",
        "2d-s2-d2-x2",
        False,
        (2, 3, 11, 10),
        (6, 1, 3, 3),
        dict(stride=2, padding=(2, 1), dilation=(2, 1)),
    ),
    (
        "depthwise",
        "2d-s13-valid",
        False,
        (1, 2, 7, 9),
        (2, 1, 2, 3),
        dict(stride=(1, 3)),
    ),
    (
        "depthwise",
        "2d-same-even",
        False,
        (1, 3, 8, 8),
        (3, 1, 4, 4),
        dict(padding="same"),
    ),
    (
        "depthwise",
        "2d-reflect",
        False,
        (1, 3, 6, 6),
        (3, 1, 3, 3),
        dict(padding=1, padding_mode="reflect"),
    ),
    (
        "depthwise",
        "3d-x2",
        False,
        (1, 2, 5, 6, 4),
        (4, 1, 3, 2, 3),
        dict(stride=(1, 2, 1), padding=1, dilation=(1, 1, 2)),
    ),
    ("depthwise", "t1d-x2", True, (2, 3, 7), (3, 2, 4), dict(stride=2, padding=1)),
    (
        "depthwise",
        "t2d-op",
        True,
        (2, 4, 5, 6),
        (4, 1, 3, 3),
        dict(stride=2, padding=1, output_padding=1),
    ),
    (
        "depthwise",
        "t2d-s31-d2",
        True,
        (1, 3, 5, 5),
        (3, 1, 3, 2),
        dict(stride=(3, 1), padding=(2, 0), output_padding=(1, 0), dilation=(1, 2)),
    ),
    (
        "depthwise",
        "t2d-crop",
        True,
        (1, 2, 6, 6),
        (2, 1, 3, 3),
        dict(stride=2, padding=3),
    ),
    ("depthwise", "t3d", True, (1, 2, 3, 4, 3), (2, 1, 2, 3, 2), dict(stride=2)),
    ("grouped", "1d-g2", False, (2, 4, 9), (6, 2, 3), dict(padding=1, dilation=2)),
    (
        "grouped",
        "2d-g2-s21",
        False,
        (2, 4, 8, 7),
        (6, 2, 3, 2),
        dict(stride=(2, 1), padding=(1, 0)),
    ),
    ("grouped", "3d-g2", False, (1, 4, 4, 5, 4), (4, 2, 3, 3, 2), dict(padding=1)),
    (
        "grouped",
        "t2d-g2",
        True,
        (2, 4, 5, 4),
        (4, 3, 3, 3),
        dict(stride=2, padding=1, output_padding=1),
    ),
    ("subpixel", "t1d-crop", True, (2, 3, 7), (3, 2, 4), dict(stride=2, padding=3)),
    (
        "subpixel",
        "t2d-s31-d2",
        True,
        (2, 3, 5, 6),
        (3, 4, 3, 2),
        dict(stride=(3, 1), padding=(2, 0), output_padding=(1, 0), dilation=(1, 2)),
    ),
    (
        "subpixel",
        "t2d-s2-d2-g2",
        True,
        (2, 4, 5, 4),
        (4, 3, 3, 3),
        dict(stride=2, padding=1, output_padding=1, dilation=2, groups=2),
    ),
    (
        "subpixel",
        "t2d-k2-s3-dw",
        True,
        (1, 3, 4, 5),
        (3, 2, 2, 2),
        dict(stride=3, padding=(0, 1), output_padding=2, groups=3),
    ),
    ("subpixel", "t3d", True, (1, 2, 3, 4, 3), (2, 3, 2, 3, 2), dict(stride=2)),
    ("pointwise", "1d", False, (2, 5, 7), (3, 5, 1), {}),
    ("pointwise", "2d-many-tiny-images", False, (4, 6, 2, 1), (5, 6, 1, 1), {}),
    ("pointwise", "2d-s2", False, (2, 6, 5, 4), (4, 6, 1, 1), dict(stride=2)),
    (
        "pointwise",
        "3d-s12",
        False,
        (1, 3, 3, 4, 5),
        (2, 3, 1, 1, 1),
        dict(stride=(1, 2, 1)),
    ),
]
IDS = [f"{c[0]}-{c[1]}" for c in CASES]


def _groups(impl, transposed, xshape, wshape):
    if impl in ("pointwise", "subpixel"):
        return 1
    if impl == "depthwise":
        return xshape[1]
    return xshape[1] // wshape[1] if not transposed else 2


def _setup(case, dtype=np.float32):
    impl, name, transposed, xshape, wshape, kwargs = case
    rng = np.random.default_rng(sum(map(ord, name)))
    x = rng.standard_normal(xshape).astype(dtype)
    w = rng.standard_normal(wshape).astype(dtype)
    n = len(xshape) - 2
    kwargs = dict(kwargs)
    groups = kwargs.pop("groups", None) or _groups(impl, transposed, xshape, wshape)
    if groups > 1:
        kwargs["groups"] = groups
    fn = CONVT[n] if transposed else CONV[n]
    return impl, fn, jnp.asarray(x), jnp.asarray(w), kwargs


def _call(fn, kwargs, impl, channels_last):
    n = {F.conv1d: 1, F.conv2d: 2, F.conv3d: 3}.get(fn) or {
        F.conv_transpose1d: 1,
        F.conv_transpose2d: 2,
        F.conv_transpose3d: 3,
    }[fn]
    fmt = ("NWC", "NHWC", "NDHWC")[n - 1]

    def f(x, w):
        if not channels_last:
            return fn(x, w, **kwargs, impl=impl)
        y = fn(jnp.moveaxis(x, 1, -1), w, **kwargs, data_format=fmt, impl=impl)
        return jnp.moveaxis(y, -1, 1)

    return f


def _close(got, want, tol=1e-5):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale)


def _check_against_xla(case, channels_last, wrap):
    impl, fn, x, w, kwargs = _setup(case)
    fast = _call(fn, kwargs, impl, channels_last)
    slow = _call(fn, kwargs, "xla", channels_last)
    y, vjp = jax.vjp(wrap(fast), x, w)
    y0, vjp0 = jax.vjp(jax.jit(slow), x, w)
    _close(y, y0)
    ct = jnp.asarray(np.random.default_rng(1).standard_normal(y0.shape), y0.dtype)
    for got, want in zip(vjp(ct), vjp0(ct), strict=True):
        _close(got, want)


@pytest.mark.parametrize("channels_last", [False, True], ids=["NC*", "N*C"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_xla_with_gradients(case, channels_last):
    _check_against_xla(case, channels_last, jax.jit)


_PICK = {
    ("depthwise", "2d-s2-d2-x2"),
    ("depthwise", "t2d-op"),
    ("grouped", "2d-g2-s21"),
    ("subpixel", "t2d-s31-d2"),
    ("subpixel", "t2d-s2-d2-g2"),
    ("pointwise", "2d-s2"),
}
SUBSET = [c for c in CASES if (c[0], c[1]) in _PICK]
SUBSET_IDS = [f"{c[0]}-{c[1]}" for c in SUBSET]


@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_eager_and_jit(case, variant):
    _check_against_xla(case, False, variant)


@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_gradients_match_finite_differences(case):
    impl, fn, x, w, kwargs = _setup(case)
    f = _call(fn, kwargs, impl, False)

    @jax.jit
    def loss(x, w):
        return jnp.sum(jnp.sin(f(x, w)))

    # Second order covers the transposes of the depthwise weight-gradient primitive.
    order = 2 if impl in ("depthwise", "subpixel") else 1
    check_grads(loss, (x, w), order=order, modes=["fwd", "rev"], atol=5e-2, rtol=5e-2)


def test_second_order_matches_xla():
    impl, fn, x, w, kwargs = _setup(SUBSET[0])

    def hess_w(impl):
        f = _call(fn, kwargs, impl, False)

        def loss(x, w):
            return jnp.sum(jnp.sin(f(x, w)))

        def gw_norm(x, w):
            return jnp.sum(jax.grad(loss, 1)(x, w) ** 2)

        return jax.jit(jax.grad(gw_norm, (0, 1)))(x, w)

    for got, want in zip(hess_w(impl), hess_w("xla"), strict=True):
        _close(got, want, 1e-4)


@pytest.mark.parametrize("case", SUBSET, ids=SUBSET_IDS)
def test_bfloat16(case):
    impl, fn, x, w, kwargs = _setup(case)
    xb, wb = x.astype(jnp.bfloat16), w.astype(jnp.bfloat16)
    f = _call(fn, kwargs, impl, False)
    y, vjp = jax.vjp(jax.jit(f), xb, wb)
    assert y.dtype == jnp.bfloat16
    ref = _call(fn, kwargs, "xla", False)
    y0, vjp0 = jax.vjp(ref, xb.astype(jnp.float32), wb.astype(jnp.float32))
    _close(y, y0, 1e-2)
    ct = jnp.asarray(np.random.default_rng(2).standard_normal(y.shape), jnp.bfloat16)
    grads = vjp(ct)
    assert [g.dtype for g in grads] == [jnp.bfloat16, jnp.bfloat16]
    for got, want in zip(grads, vjp0(ct.astype(jnp.float32)), strict=True):
        _close(got, want, 2e-2)


def test_depthwise_with_stride_and_lhs_dilation():
    # Not reachable from the public functions (transposed convs have stride 1).
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.standard_normal((2, 3, 7, 6)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((6, 1, 3, 3)), jnp.float32)
    geom = ((2, 3), ((1, -1), (2, 0)), (2, 2), (1, 2))

    def fast(x, w):
        return fdw.depthwise(x, w, *geom)

    def slow(x, w):
        s, p, ld, d = geom
        return lax.conv_general_dilated(x, w, s, p, ld, d, feature_group_count=3)

    y, vjp = jax.vjp(jax.jit(fast), x, w)
    y0, vjp0 = jax.vjp(slow, x, w)
    _close(y, y0)
    ct = jnp.asarray(rng.standard_normal(y.shape), jnp.float32)
    for got, want in zip(vjp(ct), vjp0(ct), strict=True):
        _close(got, want)


def _spec(groups, cin, cout, kernel, padding=None, lhs=None, dtype="float32"):
    n = len(kernel)
    return dispatch.ConvSpec(
        num_spatial=n,
        channels_last=False,
        batch=2,
        in_channels=cin,
        out_channels=cout,
        groups=groups,
        input_size=(8,) * n,
        kernel_size=kernel,
        stride=(1,) * n,
        padding=padding or ((0, 0),) * n,
        lhs_dilation=lhs or (1,) * n,
        rhs_dilation=(1,) * n,
        dtype=dtype,
    )


@pytest.mark.parametrize(
    "spec, cpu",
    [
        (_spec(4, 4, 8, (3, 3), ((1, 1),) * 2), "depthwise"),
        (_spec(3, 3, 3, (5,)), "depthwise"),
        (_spec(2, 2, 2, (3, 3, 3), lhs=(2, 2, 2)), "subpixel"),
        (_spec(2, 8, 8, (3, 3)), "grouped"),
        (_spec(1, 8, 4, (1, 1)), "pointwise"),
        (_spec(1, 8, 4, (1, 1), ((1, 1),) * 2), "dense"),
        (_spec(1, 8, 4, (3, 3)), "dense"),
        (_spec(1, 8, 4, (3,)), "xla"),
        (_spec(1, 8, 4, (3, 3, 3)), "xla"),
        (_spec(1, 8, 4, (3, 3), dtype="float64"), "xla"),
        (_spec(1, 8, 4, (3, 3), dtype="bfloat16"), "xla"),
        (_spec(1, 8, 4, (3, 3), lhs=(2, 2)), "subpixel"),
        (_spec(2, 8, 4, (3, 3), lhs=(2, 2)), "subpixel"),
        (_spec(1, 1, 4, (3, 3)), "dense"),
        (_spec(4, 4, 4, (3, 3), dtype="complex64"), "xla"),
        (_spec(2, 2, 2, (3,), dtype="bfloat16"), "depthwise"),
    ],
)
def test_auto_rule_table(spec, cpu, monkeypatch):
    monkeypatch.setattr(dispatch.jax, "default_backend", lambda: "cpu")
    assert dispatch.choose("auto", spec, "conv2d").name == cpu
    monkeypatch.setattr(dispatch.jax, "default_backend", lambda: "gpu")
    assert dispatch.choose("auto", spec, "conv2d").name == "xla"


@pytest.mark.parametrize(
    "impl, kwargs",
    [
        ("depthwise", dict(groups=2)),
        ("grouped", dict(groups=4)),
        ("grouped", {}),
        ("pointwise", dict(padding=1)),
        ("subpixel", {}),
        ("dense", dict(groups=2)),
    ],
)
def test_unsupported_configuration_raises(impl, kwargs):
    x = jnp.ones((1, 4, 5, 5))
    w = jnp.ones((4, 4 // kwargs.get("groups", 1), 1, 1))
    with pytest.raises(ValueError, match=f"`conv2d`: `impl='{impl}'` does not support"):
        F.conv2d(x, w, **kwargs, impl=impl)


def _conv_eqns(fn, *args, **kwargs):
    """Every conv_general_dilated equation in the jaxpr of ``fn(*args)``."""
    found = []

    def walk(jaxpr):
        for eqn in jaxpr.eqns:
            if eqn.primitive.name in ("conv_general_dilated", "convjax_dense_conv"):
                found.append(eqn)
            for sub in jax.extend.core.jaxprs_in_params(eqn.params):
                walk(sub)

    walk(jax.make_jaxpr(functools.partial(fn, **kwargs))(*args).jaxpr)
    return found


def _reads_no_inserted_zero(eqn):
    """Undilated, or ``"dense"``'s form: every window position lands on an input."""
    if "spec" in eqn.params:  # "dense": the original conv's geometry
        return all(d == 1 for d in eqn.params["spec"].lhs_dilation)
    p = eqn.params
    return all(
        s % ld == 0 and d % ld == 0 and lo % ld == 0
        for ld, s, d, (lo, _) in zip(
            p["lhs_dilation"],
            p["window_strides"],
            p["rhs_dilation"],
            p["padding"],
            strict=True,
        )
    )


@pytest.mark.parametrize("groups", [1, 2])
def test_subpixel_multiplies_no_inserted_zero(groups, monkeypatch):
    # stride (2, 3): 6 output phases, each an undilated conv (per group when grouped:
    # the phase convs are dispatched by the CPU rules)
    monkeypatch.setattr(dispatch.jax, "default_backend", lambda: "cpu")
    x = jnp.ones((1, 4, 5, 5))
    w = jnp.ones((4, 6 // groups, 4, 3))

    def f(x, w):
        return F.conv_transpose2d(x, w, stride=(2, 3), groups=groups, impl="subpixel")

    eqns = _conv_eqns(f, x, w)
    assert len(eqns) == 6 * groups
    assert all(_reads_no_inserted_zero(e) for e in eqns)
    # kernel 4 at stride 2: 2 taps per phase; kernel 3 at stride 3: 1 tap per phase
    assert {e.invars[1].aval.shape[2:] for e in eqns} == {(2, 1)}
    assert [
        e.params["lhs_dilation"]
        for e in _conv_eqns(
            lambda x, w: F.conv_transpose2d(
                x, w, stride=(2, 3), groups=groups, impl="xla"
            ),
            x,
            w,
        )
    ] == [(2, 3)]


def test_dense_stays_out_of_the_ynnpack_fusion():
    # The point of impl="dense": XLA:CPU compiles a plain 2d conv (and its
    # gradients) into a YNNPACK fusion on jaxlibs that have one; "dense" into none.
    cpu = jax.devices("cpu")[0]
    x = jax.device_put(jnp.ones((2, 32, 12, 12), jnp.float32), cpu)
    w = jax.device_put(jnp.ones((32, 32, 3, 3), jnp.float32), cpu)

    def fusions(impl):
        def loss(x, w):
            return jnp.sum(F.conv2d(x, w, stride=2, padding=1, impl=impl) ** 2)

        text = jax.jit(jax.grad(loss, (0, 1))).lower(x, w).compile().as_text()
        return "__ynn_fusion" in text

    if fusions("xla"):
        assert not fusions("dense")
    (eqn,) = _conv_eqns(lambda x, w: F.conv2d(x, w, padding=1, impl="dense"), x, w)
    assert eqn.primitive.name == "convjax_dense_conv"
    (conv,) = _conv_eqns(fdense._conv_impl, x, w, spec=eqn.params["spec"])
    assert conv.params["lhs_dilation"] == (2, 2)
    assert conv.params["window_strides"] == (2, 2)


@pytest.mark.parametrize("stride, dilated", [(1, True), (2, False)])
def test_dense_input_gradient_form(stride, dilated):
    # unstrided: the dilated form's input gradient (XLA's own conv, not YNNPACK);
    # strided: the plain conv's, whose base dilation keeps it there already and
    # which is 4.6x faster than the dilated form's on a 7x7 stride-2 stem
    x, w = jnp.ones((2, 3, 16, 16)), jnp.ones((8, 3, 7, 7))

    def dx(x, w):
        return jax.grad(
            lambda a: jnp.sum(F.conv2d(a, w, stride=stride, padding=3, impl="dense"))
        )(x)

    (conv,) = [e for e in _conv_eqns(dx, x, w) if "spec" not in e.params]
    assert conv.params["lhs_dilation"] == (
        (2 * stride,) * 2 if dilated else (stride,) * 2
    )


def test_conv_xla_moves_negative_padding_into_a_slice():
    # XLA's CPU weight gradient with negative padding can read uninitialised memory.
    rng = np.random.default_rng(4)
    x = jnp.asarray(rng.standard_normal((2, 3, 6, 7)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((2, 3, 2, 1)), jnp.float32)
    spec = _spec(1, 3, 2, (2, 1), ((-1, 2), (1, -2)))
    spec = dataclasses.replace(spec, input_size=(6, 7))
    (eqn,) = _conv_eqns(lambda x, w: dispatch.conv_xla(x, w, spec), x, w)
    assert eqn.params["padding"] == ((0, 2), (1, 0))
    # Against NumPy: slice away the negative part, zero-pad the positive part.
    xp = np.pad(np.asarray(x)[:, :, 1:, :5], ((0, 0), (0, 0), (0, 2), (1, 0)))
    want = np.zeros((2, 2, 6, 6))
    for i, j in np.ndindex(2, 1):
        want += np.einsum(
            "nchw,oc->nohw", xp[:, :, i : i + 6, j : j + 6], w[:, :, i, j]
        )
    _close(dispatch.conv_xla(x, w, spec), want)
    ct = jnp.asarray(rng.standard_normal(want.shape), jnp.float32)
    got = jax.vjp(lambda x, w: dispatch.conv_xla(x, w, spec), x, w)[1](ct)
    ref = jax.vjp(
        lambda x, w: lax.conv_general_dilated(x, w, (1, 1), spec.padding), x, w
    )[1](ct)
    for a, b in zip(got, ref, strict=True):
        _close(a, b)


@pytest.mark.parametrize(
    "transposed, kwargs",
    [
        (True, {}),
        (True, dict(groups=2)),
        (True, dict(groups=4)),
        (False, dict(groups=2, padding=1)),
        (False, dict(groups=4, padding=1, stride=2)),
    ],
    ids=[
        "transposed",
        "transposed-grouped",
        "transposed-depthwise",
        "grouped",
        "depthwise",
    ],
)
def test_forward_mode_autodiff_under_auto(transposed, kwargs):
    # Every CPU kernel composes with forward mode: "subpixel" and "grouped" are
    # plain JAX code, "depthwise" is a pair of bilinear primitives.
    rng = np.random.default_rng(5)
    x = jnp.asarray(rng.standard_normal((2, 4, 5, 5)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((4, 4 // kwargs.get("groups", 1), 3, 3)))
    fn = F.conv_transpose2d if transposed else F.conv2d
    stride = dict(stride=2) if transposed else {}
    tx, tw = jnp.ones_like(x), jnp.full_like(w, 0.5)

    def transforms(impl):
        def f(x, w):
            return jnp.sum(jnp.sin(fn(x, w, **kwargs, **stride, impl=impl)))

        return (
            jax.jvp(f, (x, w), (tx, tw)),
            jax.jit(jax.jacfwd(jax.grad(f, 1), 1))(x, w),  # Hessian in w
            jax.jit(jax.jacfwd(jax.grad(f, 0), 1))(x, w),  # mixed second derivative
        )

    got, want = transforms("auto"), transforms("xla")
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        _close(a, b, 1e-4)


@pytest.mark.parametrize("data_format", ["NCHW", "NHWC"])
@pytest.mark.parametrize(
    "in_axes", [(0, None), (None, 0), (0, 0), (1, 2)], ids=["x", "w", "both", "inner"]
)
def test_depthwise_vmap_over_inputs_and_kernels(in_axes, data_format):
    # vmap folds a mapped input into the batch and a mapped kernel into the channels
    # (depth multiplier 2), the channel axis of either layout.
    rng = np.random.default_rng(6)
    x = jnp.asarray(rng.standard_normal((2, 3, 7, 5)), jnp.float32)
    if data_format == "NHWC":
        x = x.transpose(0, 2, 3, 1)
    w = jnp.asarray(rng.standard_normal((6, 1, 3, 2)), jnp.float32)
    xs = jnp.stack([x, 2 * x + 1, -x], axis=in_axes[0] or 0)
    ws = jnp.stack([w, -w, 3 * w], axis=in_axes[1] or 0)
    args = (xs if in_axes[0] is not None else x, ws if in_axes[1] is not None else w)

    def run(impl):
        def f(x, w):
            return F.conv2d(
                x,
                w,
                groups=3,
                stride=(2, 1),
                padding=1,
                data_format=data_format,
                impl=impl,
            )

        def loss(x, w):
            return jnp.sum(jnp.sin(jax.vmap(f, in_axes)(x, w)))

        y = jax.vmap(f, in_axes)(*args)
        return (
            y,
            jax.grad(loss, (0, 1))(*args),
            jax.vmap(jax.grad(lambda x, w: jnp.sum(jnp.sin(f(x, w))), (0, 1)), in_axes)(
                *args
            ),
        )

    for a, b in zip(
        jax.tree.leaves(run("depthwise")), jax.tree.leaves(run("xla")), strict=True
    ):
        _close(a, b)


def test_depthwise_primitives_run_without_jit():
    # Op-by-op evaluation of the primitives must not re-enter themselves.
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.standard_normal((2, 4, 6, 5)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((4, 1, 3, 3)), jnp.float32)

    def loss(impl):
        return lambda x, w: jnp.sum(jnp.sin(F.conv2d(x, w, groups=4, impl=impl)))

    want = jax.value_and_grad(loss("xla"), (0, 1))(x, w)
    with jax.disable_jit():
        got = jax.value_and_grad(loss("depthwise"), (0, 1))(x, w)
    for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        _close(a, b)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=2, padding=5, output_padding=4, dilation=7),  # frame past the input
        dict(stride=3, padding=4, dilation=4),
    ],
)
def test_subpixel_phase_padding_beyond_the_input(kwargs):
    # A phase conv may crop more than the whole (size-1) input: all zeros, no error.
    rng = np.random.default_rng(8)
    x = jnp.asarray(rng.standard_normal((1, 2, 1)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((2, 3, 3)), jnp.float32)

    def f(impl):
        return jax.vjp(lambda x, w: F.conv_transpose1d(x, w, **kwargs, impl=impl), x, w)

    (y, vjp), (y0, vjp0) = f("subpixel"), f("xla")
    _close(y, y0)
    ct = jnp.asarray(rng.standard_normal(y0.shape), jnp.float32)
    for a, b in zip(vjp(ct), vjp0(ct), strict=True):
        _close(a, b)


def test_depthwise_empty_batch_and_empty_vmap():
    w = jnp.ones((6, 1, 3, 3))
    x0 = jnp.ones((0, 3, 5, 5))
    for impl in ("depthwise", "xla"):
        assert F.conv2d(x0, w, groups=3, impl=impl).shape == (0, 6, 3, 3)
    g = jax.grad(lambda w: F.conv2d(x0, w, groups=3, impl="depthwise").sum())(w)
    np.testing.assert_array_equal(g, np.zeros(w.shape))
    y = jax.vmap(lambda x: F.conv2d(x, w, groups=3, impl="depthwise"))(
        jnp.ones((0, 2, 3, 5, 5))
    )
    assert y.shape == (0, 2, 6, 3, 3)
    y = jax.vmap(lambda w: F.conv2d(x0[:0] + 1, w, groups=3, impl="depthwise"))(
        jnp.ones((0, 6, 1, 3, 3))
    )
    assert y.shape == (0, 0, 6, 3, 3)


def test_forcing_an_implementation_leaves_the_others_alone():
    # Forced "subpixel" applies to the transposed conv, not to its phase convs.
    x = jnp.asarray(np.random.default_rng(9).standard_normal((1, 2, 4, 4)), jnp.float32)
    w = jnp.ones((2, 3, 3, 3))
    with dispatch.force_implementation("subpixel"):
        y = F.conv_transpose2d(x, w, stride=2)
        y1 = F.conv2d(x, w[:, :2], padding=1)
    _close(y, F.conv_transpose2d(x, w, stride=2, impl="xla"))
    _close(y1, F.conv2d(x, w[:, :2], padding=1, impl="xla"))


_SHARD_MAP_SCRIPT = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import PartitionSpec as P
    import convjax.functional as F
    assert jax.device_count() == 2
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.standard_normal((4, 3, 6, 5)), jnp.float32)
    w = jnp.asarray(rng.standard_normal((6, 1, 3, 3)), jnp.float32)
    mesh = jax.make_mesh((2,), ("b",), axis_types=(jax.sharding.AxisType.Auto,))
    def loss(impl, sharded):
        conv = lambda x, w: F.conv2d(x, w, groups=3, padding=1, impl=impl)
        if sharded:
            conv = jax.shard_map(conv, mesh=mesh, in_specs=(P("b"), P()), out_specs=P("b"))
        return lambda x, w: jnp.sum(jnp.sin(conv(x, w)))
    want = jax.grad(loss("xla", False), (0, 1))(x, w)
    for impl in ("depthwise", "xla"):
        got = jax.jit(jax.grad(loss(impl, True), (0, 1)))(x, w)
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # a per-device result declared replicated is rejected, as for lax's conv
    conv = lambda x, w: F.conv2d(x, w, groups=3, impl="depthwise").sum(0)
    try:
        jax.shard_map(conv, mesh=mesh, in_specs=(P("b"), P()), out_specs=P())(x, w)
    except ValueError as e:
        assert "out_specs" in str(e)
    else:
        raise AssertionError("out_specs=P() was accepted")
    print("ok")
    """
)


def test_depthwise_under_shard_map():
    # The primitives carry the mesh axes their operands vary over: the weight
    # gradient is summed over devices exactly once.
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    ).strip()
    proc = subprocess.run(
        [sys.executable, "-c", _SHARD_MAP_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
