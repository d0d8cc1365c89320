"""Flax NNX loss modules: ``torch.nn.*Loss``, ``CosineSimilarity``, ``PairwiseDistance``.

Thin shells that store PyTorch's constructor arguments (minus the deprecated
``size_average``/``reduce``) and call the functional losses. Class weights
(``weight``, ``pos_weight``) are held as ``nnx.BatchStat`` buffers, like PyTorch's
registered buffers: they appear in (and load from) a PyTorch state dict when given,
and are not trained.
"""

from __future__ import annotations

import jax.numpy as jnp
from flax import nnx

from convjax._src import losses as L
from convjax._src import losses_extra as LE
from convjax._src.modules_conv import Module, read
from convjax._src.typing import Array, ArrayLike, Reduction


def _buffer(value):
    return None if value is None else nnx.BatchStat(jnp.asarray(value))


class L1Loss(Module):
    """``torch.nn.L1Loss``: calls :func:`convjax.functional.l1_loss`.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(L1Loss()(jnp.array([1.0, 2.0]), jnp.zeros(2)))
      1.5

    PyTorch parity: ``torch.nn.L1Loss`` (no ``size_average``/``reduce``).
    """

    def __init__(self, reduction: Reduction = "mean"):
        self.reduction = reduction

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.l1_loss(input, target, self.reduction)


class MSELoss(L1Loss):
    """``torch.nn.MSELoss``: calls :func:`convjax.functional.mse_loss`.

    PyTorch parity: ``torch.nn.MSELoss``.
    """

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.mse_loss(input, target, self.reduction)


class SoftMarginLoss(L1Loss):
    """``torch.nn.SoftMarginLoss``: calls :func:`convjax.functional.soft_margin_loss`.

    PyTorch parity: ``torch.nn.SoftMarginLoss``.
    """

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return LE.soft_margin_loss(input, target, self.reduction)


class SmoothL1Loss(Module):
    """``torch.nn.SmoothL1Loss(reduction="mean", beta=1.0)``.

    PyTorch parity: ``torch.nn.SmoothL1Loss``.
    """

    def __init__(self, reduction: Reduction = "mean", beta: float = 1.0):
        self.reduction = reduction
        self.beta = beta

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(Module):
    """``torch.nn.HuberLoss(reduction="mean", delta=1.0)``.

    PyTorch parity: ``torch.nn.HuberLoss``.
    """

    def __init__(self, reduction: Reduction = "mean", delta: float = 1.0):
        self.reduction = reduction
        self.delta = delta

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.huber_loss(input, target, self.reduction, self.delta)


class NLLLoss(Module):
    """``torch.nn.NLLLoss(weight=None, ignore_index=-100, reduction="mean")``.

    PyTorch parity: ``torch.nn.NLLLoss``; ``weight`` is a buffer.
    """

    def __init__(
        self,
        weight: ArrayLike | None = None,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
    ):
        self.weight = _buffer(weight)
        self.ignore_index = ignore_index
        self.reduction = reduction

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.nll_loss(
            input, target, read(self.weight), self.ignore_index, self.reduction
        )


class CrossEntropyLoss(Module):
    """``torch.nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction="mean",
    label_smoothing=0.0)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> print(CrossEntropyLoss()(jnp.zeros((1, 2)), jnp.array([0])))
      0.6931472

    PyTorch parity: ``torch.nn.CrossEntropyLoss``; ``weight`` is a buffer.
    """

    def __init__(
        self,
        weight: ArrayLike | None = None,
        ignore_index: int = -100,
        reduction: Reduction = "mean",
        label_smoothing: float = 0.0,
    ):
        self.weight = _buffer(weight)
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.label_smoothing = label_smoothing

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.cross_entropy(
            input,
            target,
            read(self.weight),
            self.ignore_index,
            self.reduction,
            self.label_smoothing,
        )


class BCELoss(Module):
    """``torch.nn.BCELoss(weight=None, reduction="mean")``.

    PyTorch parity: ``torch.nn.BCELoss``; ``weight`` is a buffer.
    """

    def __init__(self, weight: ArrayLike | None = None, reduction: Reduction = "mean"):
        self.weight = _buffer(weight)
        self.reduction = reduction

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.binary_cross_entropy(input, target, read(self.weight), self.reduction)


class BCEWithLogitsLoss(Module):
    """``torch.nn.BCEWithLogitsLoss(weight=None, reduction="mean", pos_weight=None)``.

    PyTorch parity: ``torch.nn.BCEWithLogitsLoss``; ``weight`` and ``pos_weight``
    are buffers.
    """

    def __init__(
        self,
        weight: ArrayLike | None = None,
        reduction: Reduction = "mean",
        pos_weight: ArrayLike | None = None,
    ):
        self.weight = _buffer(weight)
        self.reduction = reduction
        self.pos_weight = _buffer(pos_weight)

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return L.binary_cross_entropy_with_logits(
            input, target, read(self.weight), self.reduction, read(self.pos_weight)
        )


class KLDivLoss(Module):
    """``torch.nn.KLDivLoss(reduction="mean", log_target=False)``.

    PyTorch parity: ``torch.nn.KLDivLoss`` (``"mean"`` warns; prefer
    ``"batchmean"``).
    """

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        self.reduction = reduction
        self.log_target = log_target

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return LE.kl_div(input, target, self.reduction, self.log_target)


class PoissonNLLLoss(Module):
    """``torch.nn.PoissonNLLLoss(log_input=True, full=False, eps=1e-8,
    reduction="mean")``.

    PyTorch parity: ``torch.nn.PoissonNLLLoss``.
    """

    def __init__(
        self,
        log_input: bool = True,
        full: bool = False,
        eps: float = 1e-8,
        reduction: Reduction = "mean",
    ):
        self.log_input = log_input
        self.full = full
        self.eps = eps
        self.reduction = reduction

    def __call__(self, log_input: ArrayLike, target: ArrayLike) -> Array:
        return LE.poisson_nll_loss(
            log_input, target, self.log_input, self.full, self.eps, self.reduction
        )


class GaussianNLLLoss(Module):
    """``torch.nn.GaussianNLLLoss(*, full=False, eps=1e-6, reduction="mean")``;
    called as ``loss(input, target, var)``.

    PyTorch parity: ``torch.nn.GaussianNLLLoss``.
    """

    def __init__(
        self, *, full: bool = False, eps: float = 1e-6, reduction: Reduction = "mean"
    ):
        self.full = full
        self.eps = eps
        self.reduction = reduction

    def __call__(self, input: ArrayLike, target: ArrayLike, var) -> Array:
        return LE.gaussian_nll_loss(
            input, target, var, self.full, self.eps, self.reduction
        )


class MultiLabelSoftMarginLoss(Module):
    """``torch.nn.MultiLabelSoftMarginLoss(weight=None, reduction="mean")``.

    PyTorch parity: ``torch.nn.MultiLabelSoftMarginLoss``; ``weight`` is a buffer.
    """

    def __init__(self, weight: ArrayLike | None = None, reduction: Reduction = "mean"):
        self.weight = _buffer(weight)
        self.reduction = reduction

    def __call__(self, input: ArrayLike, target: ArrayLike) -> Array:
        return LE.multilabel_soft_margin_loss(
            input, target, read(self.weight), self.reduction
        )


class MarginRankingLoss(Module):
    """``torch.nn.MarginRankingLoss(margin=0.0, reduction="mean")``; called as
    ``loss(input1, input2, target)``.

    PyTorch parity: ``torch.nn.MarginRankingLoss``.
    """

    def __init__(self, margin: float = 0.0, reduction: Reduction = "mean"):
        self.margin = margin
        self.reduction = reduction

    def __call__(
        self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike
    ) -> Array:
        return LE.margin_ranking_loss(
            input1, input2, target, self.margin, self.reduction
        )


class CosineEmbeddingLoss(MarginRankingLoss):
    """``torch.nn.CosineEmbeddingLoss(margin=0.0, reduction="mean")``.

    PyTorch parity: ``torch.nn.CosineEmbeddingLoss``.
    """

    def __call__(
        self, input1: ArrayLike, input2: ArrayLike, target: ArrayLike
    ) -> Array:
        return LE.cosine_embedding_loss(
            input1, input2, target, self.margin, self.reduction
        )


class TripletMarginLoss(Module):
    """``torch.nn.TripletMarginLoss(margin=1.0, p=2.0, eps=1e-6, swap=False,
    reduction="mean")``.

    PyTorch parity: ``torch.nn.TripletMarginLoss``.
    """

    def __init__(
        self,
        margin: float = 1.0,
        p: float = 2.0,
        eps: float = 1e-6,
        swap: bool = False,
        reduction: Reduction = "mean",
    ):
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap
        self.reduction = reduction

    def __call__(
        self, anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike
    ) -> Array:
        return LE.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            self.reduction,
        )


class CosineSimilarity(Module):
    """``torch.nn.CosineSimilarity(dim=1, eps=1e-8)``.

    PyTorch parity: ``torch.nn.CosineSimilarity``.
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8):
        self.dim = dim
        self.eps = eps

    def __call__(self, x1: ArrayLike, x2: ArrayLike) -> Array:
        return LE.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``torch.nn.PairwiseDistance(p=2.0, eps=1e-6, keepdim=False)``.

    PyTorch parity: ``torch.nn.PairwiseDistance``.
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def __call__(self, x1: ArrayLike, x2: ArrayLike) -> Array:
        return LE.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
