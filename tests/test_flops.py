"""count_flops: exact conv/matmul counts, scopes, control flow, backward, XLA cross-check."""

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import convjax.functional as F
from convjax.analysis import (
    FlopCounter,
    conv_flops,
    conv_macs,
    conv_output_size,
    count_flops,
)

# (spatial input, kernel, stride, padding, dilation, groups, cin, cout)
CONV_CASES = [
    ((9,), 3, 1, 0, 1, 1, 3, 4),
    ((9, 8), 3, 2, 1, 1, 1, 4, 6),
    ((9, 8), (3, 2), (2, 1), (1, 0), (2, 1), 2, 4, 6),
    ((8, 8), 3, 1, 1, 1, 4, 4, 8),  # depthwise, multiplier 2
    ((5, 6, 4), 3, 1, 1, 1, 1, 2, 3),
]


def _conv(n, bias, stride, padding, dilation, groups):
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[n]
    return lambda x, w, b=None: conv(
        x, w, b if bias else None, stride, padding, dilation, groups
    )


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_formulas(case, bias):
    size, k, s, p, d, g, cin, cout = case
    n = len(size)
    ks = (k,) * n if isinstance(k, int) else k
    x = jax.ShapeDtypeStruct((2, cin, *size), jnp.float32)
    w = jax.ShapeDtypeStruct((cout, cin // g, *ks), jnp.float32)
    b = jax.ShapeDtypeStruct((cout,), jnp.float32)
    out = conv_output_size(size, ks, s, p, d)
    r = count_flops(_conv(n, bias, s, p, d, g), x, w, b)
    assert r.macs == conv_macs(cin, cout, ks, out, g, batch=2)
    assert r.total == conv_flops(cin, cout, ks, out, g, batch=2, bias=bias)
    # by hand: one MAC per (output element, in-channel of its group, kernel tap)
    assert r.macs == 2 * cout * math.prod(out) * (cin // g) * math.prod(ks)


def test_convjax_kernels_are_counted_as_convolutions():
    """impl="auto" picks shift-and-add/matmul kernels on CPU; counts do not change."""
    x = jax.ShapeDtypeStruct((2, 8, 10, 10), jnp.float32)
    w = jax.ShapeDtypeStruct((16, 1, 3, 3), jnp.float32)  # depthwise, multiplier 2
    fn = lambda x, w: F.conv2d(x, w, padding=1, groups=8)  # noqa: E731
    want = conv_macs(8, 16, 3, (10, 10), groups=8, batch=2)
    for impl in ("auto", "xla"):
        r = count_flops(
            lambda x, w, impl=impl: F.conv2d(x, w, padding=1, groups=8, impl=impl), x, w
        )
        assert r.macs == want
        assert r.total == conv_flops(8, 16, 3, (10, 10), groups=8, batch=2, bias=False)
    actual = FlopCounter(conv_impl="actual")(fn, x, w)
    if jax.default_backend() == "cpu":  # shift-and-add: elementwise work, no MACs
        assert actual.macs == 0
        assert actual.total > 0
    with pytest.raises(ValueError, match="`conv_impl`"):
        FlopCounter(conv_impl="fast")


GOLDEN = json.loads(
    str(np.load(Path(__file__).with_name("golden") / "flops.npz")["cases"])
)


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_matches_torch_flop_counter(case):
    """PyTorch's FlopCounterMode: 2 FLOPs per MAC, forward and forward+backward.

    Its weight-gradient count ignores ``groups`` (``groups`` times too high);
    that is the only difference, and it is checked exactly.
    """
    c = GOLDEN[case]
    transposed = c["fn"].startswith("conv_transpose")
    groups = c["kwargs"].get("groups", 1)
    out_ch = c["weight"][1] * groups if transposed else c["weight"][0]
    args = [jax.ShapeDtypeStruct(tuple(c["input"]), jnp.float32)]
    args.append(jax.ShapeDtypeStruct(tuple(c["weight"]), jnp.float32))
    if c["bias"]:
        args.append(jax.ShapeDtypeStruct((out_ch,), jnp.float32))
    fn = getattr(F, c["fn"])
    f = lambda *a: fn(*a, **c["kwargs"])  # noqa: E731
    fwd = FlopCounter(elementwise=False)(f, *args)
    both = FlopCounter(elementwise=False, backward=True)(f, *args)
    assert 2 * fwd.macs == c["forward"]
    assert both.macs == 3 * fwd.macs
    assert 2 * both.macs + (groups - 1) * c["forward"] == c["total"]


def test_linear_and_batched_matmul():
    x = jnp.ones((5, 7))
    w = jnp.ones((3, 7))
    b = jnp.ones(3)
    r = count_flops(F.linear, x, w, b)
    assert r.macs == 5 * 7 * 3
    assert r.total == 2 * r.macs  # with bias: 7 mul + 6 add + 1 bias add per output
    assert r.by_primitive == {"dot_general": 5 * 3 * 13, "add": 15}
    r = count_flops(
        lambda a, c: jnp.einsum("bij,bjk->bik", a, c),
        jnp.ones((4, 2, 6)),
        jnp.ones((4, 6, 5)),
    )
    assert r.macs == 4 * 2 * 5 * 6
    assert r.total == 4 * 2 * 5 * (2 * 6 - 1)


def test_hand_computed_network_total():
    """conv(s2, p1) -> bias -> relu -> grouped dilated conv -> bias -> matmul."""

    def net(x, w1, b1, w2, b2, w3):
        y = F.relu(F.conv2d(x, w1, b1, stride=2, padding=1))
        y = F.conv2d(y, w2, b2, padding=1, dilation=2, groups=2)
        return y.reshape(2, -1) @ w3

    shapes = [(2, 4, 9, 9), (8, 4, 3, 3), (8,), (6, 4, 3, 3), (6,), (54, 5)]
    args = [jax.ShapeDtypeStruct(s, jnp.float32) for s in shapes]
    conv1 = 2 * 8 * 5 * 5 * (4 * 9)  # outputs x taps
    conv2 = 2 * 6 * 3 * 3 * (4 * 9)
    dot = 2 * 5 * 54
    relu = 2 * 8 * 5 * 5
    r = count_flops(net, *args)
    assert r.macs == conv1 + conv2 + dot
    assert r.total == 2 * conv1 + 2 * conv2 + (2 * dot - 10) + relu
    assert r.by_primitive["max"] == relu
    only = FlopCounter(elementwise=False)(net, *args)
    assert only.total == 2 * (conv1 + conv2 + dot) - (2 * 8 * 25 + 2 * 6 * 9 + 10)
    assert set(only.by_primitive) == {"conv_general_dilated", "dot_general"}


def test_matches_xla_cost_analysis():
    """XLA counts only taps on real inputs (no padding) and 2 FLOPs per MAC.

    So its number is ``FlopCounter(conv_taps="valid")`` plus one FLOP per conv/dot
    output (the add XLA counts for the first product of every sum). The default
    ``"dense"`` count is larger by the padding taps.
    """

    def net(x, w1, b1, w2, b2, w3):  # impl="xla": XLA compiles the counted convs
        y = F.relu(F.conv2d(x, w1, b1, stride=2, padding=1, impl="xla"))
        y = F.conv2d(y, w2, b2, padding=1, dilation=2, groups=2, impl="xla")
        return y.reshape(2, -1) @ w3

    rng = np.random.default_rng(0)
    shapes = [(2, 4, 9, 9), (8, 4, 3, 3), (8,), (6, 4, 3, 3), (6,), (54, 5)]
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    xla = jax.jit(net).lower(*args).compile().cost_analysis()
    xla = xla[0] if isinstance(xla, list | tuple) else xla
    valid = FlopCounter(conv_taps="valid")(net, *args)
    outputs = 2 * 8 * 5 * 5 + 2 * 6 * 3 * 3 + 2 * 5
    assert valid.total + outputs == int(xla["flops"])
    dense = count_flops(net, *args)
    # per dim, conv1 has 2 of its 5 x 3 taps in the padding, conv2 2 of 3 x 3.
    padding_taps = 2 * 8 * 4 * (15**2 - 13**2) + 2 * 6 * 4 * (9**2 - 7**2)
    assert dense.macs - valid.macs == padding_taps


@pytest.mark.parametrize("stride,padding,output_padding", [(2, 1, 1), (3, 0, 0)])
def test_transposed_conv_costs_its_forward_conv(stride, padding, output_padding):
    cin, cout, k, size = 4, 6, 3, 5
    x = jax.ShapeDtypeStruct((2, cin, size, size), jnp.float32)
    w = jax.ShapeDtypeStruct((cin, cout, k, k), jnp.float32)
    r = count_flops(
        lambda x, w: F.conv_transpose2d(
            x, w, stride=stride, padding=padding, output_padding=output_padding
        ),
        x,
        w,
    )
    # Every input element meets every kernel tap once (PyTorch/fvcore convention),
    # which is the dense cost of the forward conv (cout -> cin) it transposes.
    assert r.macs == 2 * cin * cout * k * k * size * size
    assert r.macs == conv_macs(cout, cin, k, (size, size), batch=2)


@pytest.mark.parametrize("stride,padding,groups", [(1, 1, 1), (2, 1, 2), (2, 0, 4)])
def test_backward_is_twice_forward_with_valid_taps(stride, padding, groups):
    """Input and weight gradients are convs with the same (valid) taps as the forward.

    The weight gradient of a grouped conv lowers with ``batch_group_count``.
    """
    x = jax.ShapeDtypeStruct((2, 4, 7, 7), jnp.float32)
    w = jax.ShapeDtypeStruct((8, 4 // groups, 3, 3), jnp.float32)

    def loss(x, w):
        return F.conv2d(
            x, w, stride=stride, padding=padding, groups=groups, impl="xla"
        ).sum()

    counter = FlopCounter(backward=True, conv_taps="valid", elementwise=False)
    fwd = FlopCounter(conv_taps="valid", elementwise=False)(loss, x, w)
    r = counter(loss, x, w)
    assert r.forward == fwd.total
    assert r.macs == 3 * fwd.macs
    assert r.total == r.forward + r.backward
    grads = jax.make_jaxpr(jax.grad(loss, argnums=(0, 1)))(x, w)
    kinds = {
        (e.params["feature_group_count"], e.params["batch_group_count"])
        for e in grads.eqns
        if e.primitive.name == "conv_general_dilated"
    }
    if groups > 1:
        assert (1, groups) in kinds


def test_backward_of_module_differentiates_params_and_inputs():
    model = nnx.Linear(6, 4, rngs=nnx.Rngs(0))
    x = jnp.ones((3, 6))
    r = FlopCounter(backward=True)(model, x)
    fwd = count_flops(model, x)
    assert r.forward >= fwd.total
    # dW = x^T dy (3*6*4 MACs) and dx = dy W^T (3*6*4 MACs), db = sum over batch.
    assert r.by_primitive["dot_general"] == 3 * (2 * 3 * 6 * 4) - 3 * 4 - 6 * 4 - 3 * 6
    assert r.backward > 0


def test_backward_of_module_with_rng_and_batch_stats():
    """ColorJitter (RNG state) and BatchNorm2d (running stats) mutate under the vjp."""
    from convjax import nn

    model = nnx.Sequential(
        nn.ColorJitter(brightness=0.2, rngs=nnx.Rngs(0)),
        nn.Conv2d(3, 4, 3, padding=1, rngs=nnx.Rngs(0)),
        nn.BatchNorm2d(4),
    )
    x = jax.ShapeDtypeStruct((2, 3, 6, 6), jnp.float32)
    fwd = count_flops(model, x)
    assert fwd.macs == conv_macs(3, 4, 3, (6, 6), batch=2)
    r = FlopCounter(backward=True)(model, x)
    assert r.macs == 3 * fwd.macs  # forward, input gradient, weight gradient
    assert r.macs_by_scope["layers/1"] == r.macs


def test_scopes_from_named_scope_and_modules():
    def f(x):
        with jax.named_scope("a"):
            y = x @ x
            with jax.named_scope("b"):
                y = y @ x
        return jnp.sin(y)

    x = jnp.ones((4, 4))
    r = count_flops(f, x)
    mm = 4 * 4 * 7
    assert r.by_scope == {"": 2 * mm + 16, "a": 2 * mm, "a/b": mm}
    assert r.macs_by_scope["a/b"] == 64

    class Net(nnx.Module):
        def __init__(self, rngs):
            self.features = nnx.List(
                [nnx.Linear(4, 8, rngs=rngs), nnx.Linear(8, 8, rngs=rngs)]
            )
            self.head = nnx.Linear(8, 2, use_bias=False, rngs=rngs)

        def __call__(self, x):
            for layer in self.features:
                x = jax.nn.relu(layer(x))
            return self.head(x)

    model = Net(nnx.Rngs(0))
    call_before = nnx.Linear.__call__
    r = count_flops(model, jnp.ones((1, 4)))
    assert nnx.Linear.__call__ is call_before  # the scoping wrappers are removed
    assert r.macs_by_scope["features/0"] == 32
    assert r.macs_by_scope["features/1"] == 64
    assert r.macs_by_scope["features"] == 96
    assert r.macs_by_scope["head"] == 16
    assert r.by_scope[""] == r.total
    # a module passed as an argument is scoped the same way
    r2 = count_flops(lambda m, x: m(x), model, jnp.ones((1, 4)))
    assert r2.macs_by_scope == r.macs_by_scope


def test_control_flow_and_custom_rules():
    w = jnp.ones((3, 3))

    def scanned(x):
        return jax.lax.scan(lambda c, _: (c @ w, None), x, None, length=5)[0]

    r = count_flops(scanned, jnp.ones((2, 3)))
    assert r.macs == 5 * 2 * 3 * 3

    @jax.custom_vjp
    def g(x):
        return x @ w

    g.defvjp(lambda x: (x @ w, None), lambda _, ct: (ct @ w.T,))
    assert count_flops(jax.jit(g), jnp.ones((2, 3))).macs == 18
    assert count_flops(jax.checkpoint(lambda x: x @ w), jnp.ones((2, 3))).macs == 18

    def branches(p, x):
        return jax.lax.cond(p, lambda x: (x @ w) @ w, lambda x: x @ w, x)

    r = count_flops(branches, jnp.bool_(True), jnp.ones((2, 3)))
    assert r.macs == 36
    assert any("cond" in note for note in r.notes)

    def loop(n, x):
        return jax.lax.while_loop(
            lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] @ w), (0, x)
        )[1]

    r = count_flops(loop, jnp.int32(4), jnp.ones((2, 3)))
    assert r.macs == 18
    assert any("while" in note for note in r.notes)


def test_unmodelled_arithmetic_is_listed_not_guessed():
    r = count_flops(lambda a: jnp.linalg.cholesky(a @ a.T), jnp.eye(3))
    assert r.macs == 27
    assert r.uncounted == {"cholesky": 1}


def test_keyword_arguments_go_to_fn():
    def fn(x, *, backward=3, elementwise=None):  # names that are options elsewhere
        return x * backward

    r = count_flops(fn, jnp.ones(4), backward=2, elementwise="x")
    assert r.total == 4
    assert r.backward == 0


def test_static_arguments_and_abstract_inputs():
    def fn(x, n, mode):
        assert mode == "double" and n == 2
        return x @ x.T * n

    r = count_flops(fn, jax.ShapeDtypeStruct((3, 5), jnp.float32), 2, "double")
    assert r.macs == 45


def test_report_str_and_integer_ops_are_free():
    r = count_flops(lambda i, x: (i + 1, x + 1.0), jnp.arange(4), jnp.ones(3))
    assert r.total == 3
    assert "FLOPs: 3" in str(r)


def test_errors():
    with pytest.raises(ValueError, match="`conv_taps`"):
        FlopCounter(conv_taps="sparse")
    with pytest.raises(TypeError, match="`backward`"):
        FlopCounter(backward="yes")
    with pytest.raises(TypeError, match="`elementwise`"):
        FlopCounter(elementwise=1)
    with pytest.raises(TypeError, match="`fn` must be callable"):
        count_flops(3, jnp.ones(2))


def test_counts_do_not_depend_on_earlier_jit_traces():
    """A jitted depthwise conv run first (fast CPU kernel cached) still counts as a
    conv, and counting does not leave the reference lowering in jit's cache."""
    x = jnp.ones((2, 4, 8, 8))
    w = jnp.ones((4, 1, 3, 3))
    h = jax.jit(lambda a, b: F.conv2d(a, b, padding=1, groups=4))
    h(x, w).block_until_ready()
    macs = conv_macs(4, 4, 3, (8, 8), groups=4, batch=2)
    assert count_flops(h, x, w).macs == macs
    if jax.default_backend() == "cpu":  # impl="auto" runs shift-and-add there
        actual = FlopCounter(conv_impl="actual")(h, x, w)
        assert "conv_general_dilated" not in actual.by_primitive
        assert actual.macs == 0
    assert count_flops(h, x, w).macs == macs


def test_counting_keeps_other_functions_compiled():
    """count_flops used to call jax.clear_caches(): every jitted function retraced."""
    traces = {"counted": 0, "other": 0}

    @jax.jit
    def counted(a, b):
        traces["counted"] += 1
        return F.conv2d(a, b, padding=1, groups=4)

    @jax.jit
    def other(a):
        traces["other"] += 1
        return a * 2

    x, w = jnp.ones((2, 4, 8, 8)), jnp.ones((4, 1, 3, 3))
    counted(x, w), other(x)
    assert count_flops(counted, x, w).macs == conv_macs(4, 4, 3, (8, 8), 4, 2)
    before = dict(traces)
    counted(x, w), other(x)
    assert traces == {"counted": before["counted"], "other": 1}
