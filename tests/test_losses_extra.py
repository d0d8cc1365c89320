"""Issue-17 losses and distances: PyTorch goldens (every reduction, values and
gradients), NumPy references, vmap, edge cases and error paths."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from tests.references import losses_extra as ref
from tests.test_pool_indices import golden_cases, run_golden

_FNS = (
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "multilabel_soft_margin_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "cosine_embedding_loss",
    "soft_margin_loss",
    "cosine_similarity",
    "pairwise_distance",
)


@pytest.mark.filterwarnings("ignore:`kl_div`")
@pytest.mark.parametrize("entry", golden_cases(_FNS))
def test_matches_torch(entry):
    run_golden(entry)


@pytest.fixture
def data(rng):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    c = rng.standard_normal((3, 4)).astype(np.float32)
    return a, b, c


def test_match_numpy(variant, data):
    a, b, c = data
    p = np.abs(b)
    checks = [
        (lambda x, y, z: F.kl_div(x, y, "sum"), ref.kl_div(a, p, "sum"), (a, p, c)),
        (
            lambda x, y, z: F.poisson_nll_loss(x, y, full=True, reduction="none"),
            ref.poisson_nll(a, np.round(p * 3), True, True),
            (a, np.round(p * 3), c),
        ),
        (
            lambda x, y, z: F.gaussian_nll_loss(x, y, z, reduction="none"),
            ref.gaussian_nll(a, b, np.abs(c), 1e-6),
            (a, b, np.abs(c)),
        ),
        (
            lambda x, y, z: F.multilabel_soft_margin_loss(x, y, reduction="none"),
            ref.multilabel_soft_margin(a, (b > 0).astype(np.float32)),
            (a, (b > 0).astype(np.float32), c),
        ),
        (
            lambda x, y, z: F.triplet_margin_loss(
                x, y, z, p=3.0, swap=True, reduction="none"
            ),
            ref.triplet(a, b, c, 1.0, 3.0, 1e-6, True),
            (a, b, c),
        ),
        (
            lambda x, y, z: F.cosine_similarity(x, y, dim=0),
            ref.cosine_similarity(a, b, 0, 1e-8),
            (a, b, c),
        ),
        (
            lambda x, y, z: F.cosine_embedding_loss(
                x, y, jnp.sign(z[:, 0]), 0.1, "none"
            ),
            ref.cosine_embedding(a, b, np.sign(c[:, 0]), 0.1),
            (a, b, c),
        ),
        (
            lambda x, y, z: F.soft_margin_loss(x, jnp.sign(y), "none"),
            np.log1p(np.exp(-np.sign(b) * a.astype(np.float64))),
            (a, b, c),
        ),
    ]
    for fn, want, args in checks:
        np.testing.assert_allclose(variant(fn)(*args), want, rtol=1e-5, atol=1e-6)


def test_vmap_matches_loop(data):
    a, b, c = data
    f = lambda x, y, z: F.triplet_margin_loss(x, y, z)  # noqa: E731
    got = jax.vmap(f)(a[:, None], b[:, None], c[:, None])
    for i in range(3):
        np.testing.assert_allclose(
            got[i], f(a[i : i + 1], b[i : i + 1], c[i : i + 1]), rtol=1e-6
        )
    got = jax.vmap(lambda x, y: F.cosine_similarity(x, y, dim=0))(a, b)
    np.testing.assert_allclose(got, F.cosine_similarity(a, b), rtol=1e-6)


def test_edge_cases():
    # Zero vectors: finite values and gradients.
    z = jnp.zeros((2, 3))
    g = jax.grad(lambda x: jnp.sum(F.cosine_similarity(x, z)))(z)
    assert np.isfinite(g).all()
    g = jax.grad(lambda x: jnp.sum(F.pairwise_distance(x, z, eps=0.0)))(z)
    np.testing.assert_array_equal(g, 0.0)
    # Empty batches: mean is NaN, sum 0, none empty (as PyTorch).
    e = jnp.zeros((0, 4))
    assert np.isnan(F.soft_margin_loss(e, e))
    assert F.poisson_nll_loss(e, e, reduction="sum") == 0
    assert F.triplet_margin_loss(e, e, e, reduction="none").shape == (0,)
    # kl_div: 0 * log 0 = 0; batchmean of a scalar is the sum.
    assert F.kl_div(jnp.array(-1.0), jnp.array(0.0), "batchmean") == 0
    # gaussian_nll_loss: a float var; var clamp is identity in gradient.
    np.testing.assert_allclose(
        F.gaussian_nll_loss(jnp.ones(3), jnp.zeros(3), 2.0),
        0.5 * (math.log(2.0) + 0.5),
        rtol=1e-6,
    )
    gv = jax.grad(lambda v: F.gaussian_nll_loss(jnp.ones(1), jnp.zeros(1), v))(
        jnp.zeros(1)
    )
    np.testing.assert_allclose(gv, 0.5 * (1 / 1e-6 - 1 / 1e-12), rtol=1e-5)
    # bf16 in, bf16 out.
    y = F.soft_margin_loss(jnp.ones(3, jnp.bfloat16), jnp.ones(3, jnp.bfloat16))
    assert y.dtype == jnp.bfloat16


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(jnp.zeros((2, 2)), jnp.ones((2, 2)))


def test_errors():
    x = jnp.zeros((2, 3))
    with pytest.raises(ValueError, match="`reduction`"):
        F.kl_div(x, x, "elementwise_mean")
    with pytest.raises(ValueError, match="`reduction`"):
        F.soft_margin_loss(x, x, "batchmean")
    with pytest.raises(ValueError, match="`var`"):
        F.gaussian_nll_loss(x, x, jnp.ones((3, 3)))
    with pytest.raises(ValueError, match="`var`"):
        F.gaussian_nll_loss(x, x, np.full((2, 3), -1.0, np.float32))
    with pytest.raises(ValueError, match="`var`"):
        F.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match="same number of dims"):
        F.margin_ranking_loss(x, x, jnp.ones(2))
    with pytest.raises(ValueError, match="same number"):
        F.triplet_margin_loss(x, x, x[0])
    with pytest.raises(ValueError, match="`target`"):
        F.cosine_embedding_loss(x, x, jnp.ones((2, 1)))
    with pytest.raises(ValueError, match="`input1`"):
        F.cosine_embedding_loss(x[0], x[0], jnp.ones(2))
    with pytest.raises(ValueError, match="`dim`"):
        F.cosine_similarity(x, x, dim=2)
    with pytest.raises(ValueError, match="`p`"):
        F.pairwise_distance(x, x, p=-1.0)
    with pytest.raises(TypeError, match="`input`"):
        F.soft_margin_loss(jnp.zeros(2, jnp.int32), jnp.ones(2))
    with pytest.raises(ValueError, match="broadcast"):
        F.kl_div(x, jnp.zeros((3, 2)), "sum")


def test_loss_modules(data):
    from convjax import interop, nn

    a, b, c = data
    t = (b > 0).astype(np.float32)
    w = np.abs(c[0])
    cls = np.array([0, 3, 1])
    pairs = [
        (nn.L1Loss("sum")(a, b), F.l1_loss(a, b, "sum")),
        (nn.MSELoss()(a, b), F.mse_loss(a, b)),
        (nn.SmoothL1Loss(beta=0.5)(a, b), F.smooth_l1_loss(a, b, beta=0.5)),
        (nn.HuberLoss(delta=0.5)(a, b), F.huber_loss(a, b, delta=0.5)),
        (nn.NLLLoss(w)(a, cls), F.nll_loss(a, cls, w)),
        (
            nn.CrossEntropyLoss(w, label_smoothing=0.1)(a, cls),
            F.cross_entropy(a, cls, w, label_smoothing=0.1),
        ),
        (
            nn.BCEWithLogitsLoss(pos_weight=w)(a, t),
            F.binary_cross_entropy_with_logits(a, t, pos_weight=w),
        ),
        (
            nn.BCELoss(w)(jax.nn.sigmoid(a), t),
            F.binary_cross_entropy(jax.nn.sigmoid(a), t, w),
        ),
        (nn.KLDivLoss("batchmean", True)(a, b), F.kl_div(a, b, "batchmean", True)),
        (nn.PoissonNLLLoss(full=True)(a, t), F.poisson_nll_loss(a, t, full=True)),
        (
            nn.GaussianNLLLoss(full=True)(a, b, np.abs(c)),
            F.gaussian_nll_loss(a, b, np.abs(c), True),
        ),
        (nn.MultiLabelSoftMarginLoss(w)(a, t), F.multilabel_soft_margin_loss(a, t, w)),
        (
            nn.MarginRankingLoss(0.2)(a, b, np.sign(c)),
            F.margin_ranking_loss(a, b, np.sign(c), 0.2),
        ),
        (
            nn.CosineEmbeddingLoss(0.2)(a, b, np.sign(c[:, 0])),
            F.cosine_embedding_loss(a, b, np.sign(c[:, 0]), 0.2),
        ),
        (
            nn.TripletMarginLoss(p=1.0, swap=True)(a, b, c),
            F.triplet_margin_loss(a, b, c, p=1.0, swap=True),
        ),
        (nn.SoftMarginLoss()(a, np.sign(b)), F.soft_margin_loss(a, np.sign(b))),
        (nn.CosineSimilarity(0)(a, b), F.cosine_similarity(a, b, 0)),
        (
            nn.PairwiseDistance(keepdim=True)(a, b),
            F.pairwise_distance(a, b, keepdim=True),
        ),
    ]
    for got, want in pairs:
        np.testing.assert_array_equal(got, want)
    # Class weights are buffers, in the state dict only when given (as PyTorch).
    assert list(interop.to_torch_state_dict(nn.NLLLoss(w))) == ["weight"]
    assert list(interop.to_torch_state_dict(nn.BCEWithLogitsLoss(pos_weight=w))) == [
        "pos_weight"
    ]
    assert not interop.to_torch_state_dict(nn.CrossEntropyLoss())
