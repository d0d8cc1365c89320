"""convjax.boxes against NumPy float64 references and torchvision goldens."""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from convjax import boxes as B
from tests.references import boxes as ref

G = np.load(pathlib.Path(__file__).parent / "golden" / "boxes.npz")

PAIRWISE = {
    "box_iou": (B.box_iou, ref.iou_pair),
    "generalized_box_iou": (B.generalized_box_iou, ref.giou_pair),
    "distance_box_iou": (B.distance_box_iou, ref.diou_pair),
    "complete_box_iou": (B.complete_box_iou, ref.ciou_pair),
}
LOSSES = {
    "generalized_box_iou_loss": (B.generalized_box_iou_loss, ref.giou_loss_pair),
    "distance_box_iou_loss": (B.distance_box_iou_loss, ref.diou_loss_pair),
    "complete_box_iou_loss": (B.complete_box_iou_loss, ref.ciou_loss_pair),
}
FORMATS = ("xyxy", "xywh", "cxcywh")
TOL = {"rtol": 1e-5, "atol": 1e-5}

# Degenerate pairs of the spec: (boxes1[i], boxes2[i]).
DEGENERATE = np.array(
    [
        [[2, 2, 2, 2], [2, 2, 2, 2]],  # a point against itself: zero union
        [[2, 2, 2, 2], [5, 1, 5, 1]],  # two different points
        [[1, 1, 1, 4], [1, 1, 1, 4]],  # a zero-width segment against itself
        [[1, 1, 4, 1], [2, 1, 6, 1]],  # overlapping zero-height segments
        [[1, 1, 1, 4], [0, 0, 3, 3]],  # a segment inside a box
        [[2, 2, 2, 2], [0, 0, 4, 4]],  # a point inside a box
        [[0, 0, 4, 4], [0, 0, 4, 4]],  # identical boxes
        [[0, 0, 4, 4], [4, 0, 7, 4]],  # touching at an edge
        [[0, 0, 4, 4], [4, 4, 9, 6]],  # touching at a corner
        [[0, 0, 1, 1], [1e4, 1e4, 1e4 + 2, 1e4 + 1]],  # far apart
    ],
    np.float32,
)


def random_boxes(rng, shape, scale=10.0):
    xy = rng.uniform(0, scale, shape + (2,))
    wh = rng.uniform(0.5, scale / 2, shape + (2,))
    return np.concatenate([xy, xy + wh], -1).astype(np.float32)


def grads_of(fn, cot, **kw):
    """d/d(boxes1, boxes2) of sum(fn(boxes1, boxes2) * cot)."""
    return jax.grad(lambda a, b: jnp.sum(fn(a, b, **kw) * cot), argnums=(0, 1))


# --------------------------------------------------------------------------------------
# Formats and areas.


@pytest.mark.parametrize("in_fmt", FORMATS)
def test_box_convert(variant, in_fmt):
    b = G["boxes1"]
    for out_fmt in FORMATS:
        got = variant(lambda x, o=out_fmt: B.box_convert(x, in_fmt, o))(b)
        assert got.dtype == jnp.float32 and got.shape == b.shape
        np.testing.assert_allclose(got, G[f"box_convert__{in_fmt}_{out_fmt}"], **TOL)
        np.testing.assert_allclose(got, ref.box_convert(b, in_fmt, out_fmt), **TOL)
    # Integer boxes: xyxy <-> xywh stays integer and exact, cxcywh becomes float32.
    ib = G["int1"]
    xywh = B.box_convert(ib, "xyxy", "xywh")
    assert xywh.dtype == jnp.int32
    np.testing.assert_array_equal(B.box_convert(xywh, "xywh", "xyxy"), ib)
    for dt in ("int16", "int32", "uint8"):
        got = B.box_convert(ib.astype(dt), "xyxy", "cxcywh")
        assert got.dtype == jnp.float32 == G[f"box_convert__{dt}"].dtype
        np.testing.assert_array_equal(got, G[f"box_convert__{dt}"])


def test_box_convert_leading_dims():
    b = random_boxes(np.random.default_rng(0), (2, 3))
    got = B.box_convert(b, "xyxy", "cxcywh")
    np.testing.assert_allclose(got, ref.box_convert(b, "xyxy", "cxcywh"), **TOL)


@pytest.mark.parametrize("fmt", FORMATS)
def test_box_area(fmt):
    b = G["boxes1"]
    got = B.box_area(b, fmt)
    np.testing.assert_allclose(got, G[f"box_area__{fmt}"], **TOL)
    np.testing.assert_allclose(got, ref.box_area(b, fmt), **TOL)
    for dt in ("int16", "int32", "uint8"):
        got = B.box_area(G["int1"].astype(dt))
        assert got.dtype == jnp.int32 and G[f"box_area__{dt}_dtype"] == "torch.int32"
        np.testing.assert_array_equal(got, G[f"box_area__{dt}"])
    assert B.box_area(b.astype(jnp.bfloat16)).dtype == jnp.float32


# --------------------------------------------------------------------------------------
# Pairwise IoU family.


@pytest.mark.parametrize("name", PAIRWISE)
def test_pairwise_matches_torchvision(variant, name):
    fn = PAIRWISE[name][0]
    got = variant(fn)(G["boxes1"], G["boxes2"])
    want = G[f"{name}__values"]
    nan = np.isnan(want)
    assert nan.any()  # the golden sets do contain torchvision's NaN cases
    np.testing.assert_allclose(np.asarray(got)[~nan], want[~nan], **TOL)
    assert np.isfinite(got).all()
    if name == "box_iou":  # torchvision's NaN is exactly a zero union: we give 0
        np.testing.assert_array_equal(np.asarray(got)[nan], 0.0)
    np.testing.assert_allclose(
        variant(fn)(G["batched1"], G["batched2"]), G[f"{name}__batched"], **TOL
    )
    # Values and gradients on sets where torchvision is finite.
    c1, c2, cot = G["clean1"], G["clean2"], G["pair_cot"]
    np.testing.assert_allclose(variant(fn)(c1, c2), G[f"{name}__clean"], **TOL)
    g1, g2 = variant(grads_of(fn, cot))(c1, c2)
    np.testing.assert_allclose(g1, G[f"{name}__grad1"], **TOL)
    np.testing.assert_allclose(g2, G[f"{name}__grad2"], **TOL)
    if name in ("distance_box_iou", "complete_box_iou"):
        np.testing.assert_allclose(fn(c1, c2, eps=0.5), G[f"{name}__eps"], **TOL)


@pytest.mark.parametrize("name", PAIRWISE)
def test_pairwise_matches_reference(name):
    fn, pair = PAIRWISE[name]
    b1, b2 = G["boxes1"], G["boxes2"]  # includes every degenerate case
    np.testing.assert_allclose(fn(b1, b2), ref.pairwise(pair, b1, b2), **TOL)
    d1, d2 = DEGENERATE[:, 0], DEGENERATE[:, 1]
    np.testing.assert_allclose(fn(d1, d2), ref.pairwise(pair, d1, d2), **TOL)
    if name in ("distance_box_iou", "complete_box_iou"):
        for eps in (0.0, 0.5):
            want = ref.pairwise(pair, d1, d2, eps=eps)
            np.testing.assert_allclose(fn(d1, d2, eps=eps), want, **TOL)


@pytest.mark.parametrize("fmt", FORMATS)
def test_box_iou_formats(fmt):
    c1, c2 = G["clean1"], G["clean2"]
    np.testing.assert_allclose(B.box_iou(c1, c2, fmt), G[f"box_iou__fmt_{fmt}"], **TOL)
    xyxy = (ref.box_convert(c, fmt, "xyxy") for c in (c1, c2))
    np.testing.assert_allclose(B.box_iou(c1, c2, fmt), ref.box_iou(*xyxy), **TOL)


@pytest.mark.parametrize("name", PAIRWISE)
def test_pairwise_gradient_vs_finite_differences(name):
    """Float64 central differences of the reference; CIoU with alpha frozen."""
    fn, pair = PAIRWISE[name]
    rng = np.random.default_rng(1)
    b1, b2 = random_boxes(rng, (3,)), random_boxes(rng, (4,))
    cot = rng.standard_normal((3, 4))
    if name == "complete_box_iou":
        # torchvision's no_grad alpha: the gradient treats alpha as a constant.
        alpha = ref.pairwise(lambda a, b: ref.ciou_v_alpha(a, b)[1], b1, b2)

    def total(x1, x2):
        if name == "complete_box_iou":
            vals = np.array(
                [
                    [pair(x1[i], x2[j], alpha=alpha[i, j]) for j in range(4)]
                    for i in range(3)
                ]
            )
        else:
            vals = ref.pairwise(pair, x1, x2)
        return np.sum(vals * cot)

    want1 = ref.numerical_grad(lambda x: total(x, b2), b1)
    want2 = ref.numerical_grad(lambda x: total(b1, x), b2)
    g1, g2 = grads_of(fn, cot.astype(np.float32))(b1, b2)
    np.testing.assert_allclose(g1, want1, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g2, want2, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", PAIRWISE)
def test_pairwise_broadcasting_and_vmap(name):
    fn, pair = PAIRWISE[name]
    rng = np.random.default_rng(2)
    b1, b2 = random_boxes(rng, (2, 1, 4)), random_boxes(rng, (3, 5))
    got = fn(b1, b2)
    assert got.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(got, ref.pairwise(pair, b1, b2), **TOL)
    b1 = np.broadcast_to(b1, (2, 3, 4, 4))
    vm = jax.vmap(jax.vmap(fn), in_axes=(0, None))(b1, b2)
    np.testing.assert_allclose(vm, got, rtol=1e-6, atol=1e-6)
    assert fn(b1[0, 0, :0], b2[0]).shape == (0, 5)


@pytest.mark.parametrize("name", ["generalized_box_iou", "complete_box_iou"])
def test_pairwise_row_blocks_match_direct(monkeypatch, name):
    """Large problems run in checkpointed row blocks: same values and gradients."""
    from convjax._src import boxes as impl

    fn = PAIRWISE[name][0]
    rng = np.random.default_rng(4)
    b1, b2 = random_boxes(rng, (2, 1, 7)), random_boxes(rng, (3, 5))
    b1[0, 0, 3] = b2[1, 2]  # an identical pair
    b1[1, 0, 5] = [2, 2, 2, 2]  # a point
    cot = rng.standard_normal((2, 3, 7, 5)).astype(np.float32)
    direct = (fn(b1, b2), grads_of(fn, cot)(b1, b2))
    monkeypatch.setattr(impl, "_BLOCKED_MIN_PAIRS", 16)
    # 4 rows per block: 7 rows need padding; 6 batch items go through lax.map.
    monkeypatch.setattr(impl, "_BLOCK_PAIRS", 20)
    for args, sl in (((b1, b2), ...), ((b1[0, 0], b2[0]), (0, 0))):
        blocked = fn(*args)
        np.testing.assert_allclose(blocked, direct[0][sl], rtol=1e-6, atol=1e-6)
    g1, g2 = grads_of(fn, cot)(b1, b2)
    np.testing.assert_allclose(g1, direct[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g2, direct[1][1], rtol=1e-5, atol=1e-6)
    vm = jax.vmap(fn, in_axes=(0, None))(b1[:, 0], b2[0])  # blocks under vmap
    np.testing.assert_allclose(vm, direct[0][:, 0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", PAIRWISE)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "int16", "int32", "uint8"])
def test_pairwise_dtypes(name, dtype):
    fn = PAIRWISE[name][0]
    if dtype.startswith("int") or dtype == "uint8":
        b1, b2 = G["int1"].astype(dtype), G["int2"].astype(dtype)
        tol = TOL
    else:  # the stored boxes are the half-precision values, exactly
        b1 = jnp.asarray(G[f"{dtype}1"], dtype)
        b2 = jnp.asarray(G[f"{dtype}2"], dtype)
        tol = {"rtol": 1e-2, "atol": 1e-2}
    got = fn(b1, b2)
    assert got.dtype == jnp.float32 and G[f"{name}__{dtype}_dtype"] == "torch.float32"
    want = G[f"{name}__{dtype}"]
    if dtype == "uint8" and name in ("box_iou", "generalized_box_iou"):
        # torchvision subtracts uint8 corners in uint8, which wraps for disjoint
        # boxes; convjax upcasts first, so compare with the int32 numbers instead.
        want = G[f"{name}__int32"]
    np.testing.assert_allclose(got, want, **tol)


# --------------------------------------------------------------------------------------
# Elementwise box losses.


@pytest.mark.parametrize("name", LOSSES)
def test_losses_match_torchvision(variant, name):
    fn = LOSSES[name][0]
    p, q = G["loss1"], G["loss2"]
    for red in ("none", "mean", "sum"):
        got = variant(lambda a, b, r=red: fn(a, b, reduction=r))(p, q)
        np.testing.assert_allclose(got, G[f"{name}__{red}"], **TOL)
    # eps=0.5: for CIoU it reaches only alpha (torchvision's DIoU part keeps 1e-7).
    np.testing.assert_allclose(fn(p, q, eps=0.5), G[f"{name}__eps"], **TOL)
    g1, g2 = variant(grads_of(fn, G["loss_cot"]))(p, q)
    np.testing.assert_allclose(g1, G[f"{name}__grad1"], **TOL)
    np.testing.assert_allclose(g2, G[f"{name}__grad2"], **TOL)
    empty = np.zeros((0, 4), np.float32)
    assert fn(empty, empty, reduction="mean") == G[f"{name}__empty_mean"] == 0.0
    for dtype in ("float16", "bfloat16", "int16", "int32", "uint8"):
        if dtype in ("float16", "bfloat16"):
            b1 = jnp.asarray(G[f"{dtype}1"][:5], dtype)
            b2 = jnp.asarray(G[f"{dtype}2"][:5], dtype)
        else:
            b1, b2 = G["int1"][:5].astype(dtype), G["int2"][:5].astype(dtype)
        got = fn(b1, b2)
        assert got.dtype == jnp.float32
        tol = dict(rtol=1e-2, atol=1e-2) if "float" in dtype else TOL
        np.testing.assert_allclose(got, G[f"{name}__{dtype}"], **tol)


@pytest.mark.parametrize("name", LOSSES)
def test_losses_match_reference(name):
    fn, pair = LOSSES[name]
    rng = np.random.default_rng(3)
    p, q = random_boxes(rng, (2, 6)), random_boxes(rng, (6,))  # broadcasting
    for red in ("none", "mean", "sum"):
        want = ref.elementwise(pair, p, q, reduction=red)
        np.testing.assert_allclose(fn(p, q, reduction=red), want, **TOL)
    d1, d2 = DEGENERATE[:, 0], DEGENERATE[:, 1]
    for eps in (1e-7, 0.0, 0.5):
        want = ref.elementwise(pair, d1, d2, eps=eps)
        np.testing.assert_allclose(fn(d1, d2, eps=eps), want, **TOL)
    single = fn(d1[6], d2[7])  # torchvision accepts a single (4,) box pair
    assert single.shape == ()
    np.testing.assert_allclose(single, pair(d1[6], d2[7]), **TOL)


# --------------------------------------------------------------------------------------
# NaN-free gradients.

_ALL = {
    **{k: v[0] for k, v in PAIRWISE.items()},
    **{k: v[0] for k, v in LOSSES.items()},
}


@pytest.mark.parametrize("name", _ALL)
def test_degenerate_values_and_gradients_are_finite(name):
    fn = _ALL[name]
    d1, d2 = DEGENERATE[:, 0], DEGENERATE[:, 1]
    eps_values = (None,) if name in ("box_iou", "generalized_box_iou") else (None, 0.0)
    for eps in eps_values:
        kw = {} if eps is None else {"eps": eps}
        out = fn(d1, d2, **kw)
        assert np.isfinite(out).all(), (name, eps, out)
        # Per-pair gradients (a Jacobian), so that no NaN can hide in a sum.
        jac = jax.jacrev(lambda a, b, kw=kw: fn(a, b, **kw), argnums=(0, 1))(d1, d2)
        for g in jac:
            assert np.isfinite(g).all(), (name, eps, g)
    if name == "box_iou":
        iou = np.asarray(fn(d1, d2))
        np.testing.assert_array_equal(iou[[0, 1, 2, 3], [0, 1, 2, 3]], 0.0)
        assert iou[6, 6] == 1.0


# --------------------------------------------------------------------------------------
# Focal loss.


@pytest.mark.parametrize("config", range(4))
def test_focal_loss_matches_torchvision(variant, config):
    alpha, gamma = [(0.25, 2), (-1, 2), (0.5, 0), (1.0, 1.5)][config]
    x, cot = G["focal_logits"], G["focal_cot"]
    for tname in ("hard", "soft"):
        tgt = G[f"focal_{tname}"]
        f = variant(lambda a, b: B.sigmoid_focal_loss(a, b, alpha=alpha, gamma=gamma))
        want = G[f"sigmoid_focal_loss__{config}_{tname}"]
        np.testing.assert_allclose(f(x, tgt), want, **TOL)
        np.testing.assert_allclose(
            f(x, tgt), ref.sigmoid_focal_loss(x, tgt, alpha, gamma), **TOL
        )
        g = variant(jax.grad(lambda a, b, f=f: jnp.sum(f(a, b) * cot)))(x, tgt)
        np.testing.assert_allclose(
            g, G[f"sigmoid_focal_loss__{config}_{tname}_grad"], **TOL
        )
        assert np.isfinite(g).all()


def test_focal_loss_reductions_and_dtypes():
    x, tgt = G["focal_logits"], G["focal_hard"]
    for red in ("mean", "sum"):
        got = B.sigmoid_focal_loss(x, tgt, reduction=red)
        np.testing.assert_allclose(got, G[f"sigmoid_focal_loss__{red}"], **TOL)
        want = ref.sigmoid_focal_loss(x, tgt, reduction=red)
        np.testing.assert_allclose(got, want, **TOL)
    half = B.sigmoid_focal_loss(x.astype(np.float16), tgt.astype(np.float16))
    assert half.dtype == jnp.float16 and G["sigmoid_focal_loss__float16_dtype"] == (
        "torch.float16"
    )
    np.testing.assert_allclose(
        half.astype(np.float32), G["sigmoid_focal_loss__float16"], rtol=1e-2, atol=1e-2
    )
    empty = B.sigmoid_focal_loss(
        np.zeros(0, np.float32), np.zeros(0, np.float32), reduction="mean"
    )
    assert np.isnan(empty)  # torch: mean of an empty tensor


def test_focal_loss_saturated_logits_have_finite_gradients():
    x = np.array([-100.0, -20.0, 0.0, 20.0, 100.0], np.float32)
    for t in (np.zeros(5, np.float32), np.ones(5, np.float32)):
        g = jax.grad(lambda a, b=t: jnp.sum(B.sigmoid_focal_loss(a, b)))(x)
        assert np.isfinite(g).all()
        assert np.isfinite(B.sigmoid_focal_loss(x, t)).all()


# --------------------------------------------------------------------------------------
# Errors.

_BOX = np.zeros((3, 4), np.float32)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: B.box_iou(np.zeros((3, 5)), _BOX), ValueError, r"`boxes1`.*\(3, 5\)"),
        (lambda: B.box_iou(_BOX, np.zeros(4)), ValueError, r"`boxes2`.*\(4,\)"),
        (lambda: B.box_iou(_BOX, _BOX, "xyxy2"), ValueError, "`fmt`"),
        (lambda: B.box_iou(_BOX, _BOX, "cxcywhr"), ValueError, "rotated"),
        (
            lambda: B.generalized_box_iou(np.zeros((2, 3, 4)), np.zeros((3, 3, 4))),
            ValueError,
            "do not broadcast",
        ),
        (lambda: B.distance_box_iou(_BOX, _BOX > 0), TypeError, "`boxes2`.*bool"),
        (lambda: B.complete_box_iou(_BOX[:, :3], _BOX), ValueError, "`boxes1`"),
        (lambda: B.box_convert(_BOX, "xyxy", "yxyx"), ValueError, "`out_fmt`.*'yxyx'"),
        (lambda: B.box_convert(_BOX, "xywhr", "xyxy"), ValueError, "`in_fmt`"),
        (
            lambda: B.box_convert(np.zeros((2, 5)), "xyxy", "xywh"),
            ValueError,
            r"\(2, 5\)",
        ),
        (lambda: B.box_area(_BOX, fmt="polar"), ValueError, "`fmt`"),
        (
            lambda: B.generalized_box_iou_loss(_BOX, _BOX, reduction="avg"),
            ValueError,
            "`reduction`.*'avg'",
        ),
        (
            lambda: B.distance_box_iou_loss(_BOX, np.zeros((2, 4))),
            ValueError,
            "do not broadcast",
        ),
        (
            lambda: B.complete_box_iou_loss(_BOX, np.zeros((3, 2))),
            ValueError,
            "`boxes2`",
        ),
        (
            lambda: B.sigmoid_focal_loss(_BOX, _BOX, alpha=1.5),
            ValueError,
            "`alpha`.*1.5",
        ),
        (
            lambda: B.sigmoid_focal_loss(_BOX, _BOX, alpha=jnp.array(0.5)),
            TypeError,
            "`alpha`",
        ),
        (
            lambda: B.sigmoid_focal_loss(_BOX, _BOX, reduction="x"),
            ValueError,
            "`reduction`",
        ),
        (lambda: B.sigmoid_focal_loss(_BOX, _BOX[0]), ValueError, "`targets`"),
        (
            lambda: B.sigmoid_focal_loss(_BOX.astype(int), _BOX),
            TypeError,
            "floating-point `inputs`",
        ),
    ],
)
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("fmt", ["xywh", "cxcywh"])
def test_small_int_boxes_do_not_wrap_when_converted(fmt):
    """x + w of uint8 boxes exceeds 255: the corners must be formed in a wider type."""
    b = np.array([[200, 0, 100, 10]], np.uint8)
    np.testing.assert_array_equal(B.box_iou(b, b, fmt=fmt), [[1.0]])
    np.testing.assert_array_equal(B.box_area(b, fmt=fmt), [1000])


def test_string_gamma_is_a_type_error():
    with pytest.raises(TypeError, match="`gamma` must be a number"):
        B.sigmoid_focal_loss(np.zeros(3, np.float32), np.ones(3, np.float32), gamma="2")
