"""Flax NNX modules: ``Embedding``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx

from convjax._src import embedding as E
from convjax._src.checks import check_count
from convjax._src.modules_conv import Module, check_rngs
from convjax._src.modules_misc import Upsample
from convjax._src.typing import Array, ArrayLike, DTypeLike


class Embedding(Module):
    """Lookup table, ``torch.nn.Embedding`` for Flax NNX.

    Holds ``weight`` ``(num_embeddings, embedding_dim)`` (``nnx.Param``), initialised
    ``N(0, 1)`` as PyTorch, with the ``padding_idx`` row zeroed. With ``max_norm``,
    each call renormalises the referenced rows and writes them back into ``weight``
    (PyTorch does this in place), then looks them up.

    Args:
      num_embeddings, embedding_dim: table size.
      padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse: as in
        :func:`convjax.functional.embedding`.
      _weight: optional initial table (PyTorch's ``_weight``).
      param_dtype: parameter dtype.
      rngs: ``nnx.Rngs``; the ``params`` stream draws the table.

    Input integer ``(*)``; output ``(*, embedding_dim)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> emb = Embedding(10, 3, padding_idx=0, rngs=nnx.Rngs(0))
      >>> emb(jnp.array([[0, 4]])).shape, float(emb.weight[0].sum())
      ((1, 2, 3), 0.0)

    PyTorch parity: ``torch.nn.Embedding`` (no ``_freeze``; the random stream
    differs from torch's).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: ArrayLike | None = None,
        *,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs | None = None,
    ):
        name = "Embedding"
        check_count(num_embeddings, "num_embeddings", name)
        check_count(embedding_dim, "embedding_dim", name)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = E._padding_index(padding_idx, num_embeddings, name)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        shape = (num_embeddings, embedding_dim)
        if _weight is not None:
            w = jnp.asarray(_weight, param_dtype)
            if w.shape != shape:
                raise ValueError(
                    f"`{name}`: `_weight` must have shape {shape}, got {w.shape}."
                )
        else:
            check_rngs(rngs, name)
            assert isinstance(rngs, nnx.Rngs)  # narrowing: check_rngs raised otherwise
            w = jax.random.normal(rngs.params(), shape, param_dtype)
            if self.padding_idx is not None:
                w = w.at[self.padding_idx].set(0)
        self.weight = nnx.Param(w)

    def __call__(self, input: ArrayLike) -> Array:
        if self.max_norm is not None:
            self.weight[...] = jax.lax.stop_gradient(
                E.embedding_renorm(
                    self.weight[...], input, self.max_norm, self.norm_type
                )
            )
        return E.embedding(
            input,
            self.weight[...],
            self.padding_idx,
            None,  # already renormalised above
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )


class UpsamplingNearest2d(Upsample):
    """``torch.nn.UpsamplingNearest2d(size=None, scale_factor=None)``:
    :class:`Upsample` with ``mode="nearest"``.

    PyTorch parity: ``torch.nn.UpsamplingNearest2d``.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """``torch.nn.UpsamplingBilinear2d(size=None, scale_factor=None)``:
    :class:`Upsample` with ``mode="bilinear", align_corners=True``.

    PyTorch parity: ``torch.nn.UpsamplingBilinear2d``.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
