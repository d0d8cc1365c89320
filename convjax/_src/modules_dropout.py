"""Flax NNX random layers: ``Dropout``, ``Dropout1d/2d/3d``, ``StochasticDepth``.

They follow ``flax.nnx.Dropout``: a stream forked at construction from
``rngs.dropout`` (an ``nnx.Rngs`` without that stream falls back to its default),
a ``deterministic`` flag that ``model.eval()``/``model.train()``/``nnx.view`` set,
and a call-time ``rngs=`` (an ``nnx.Rngs``, ``nnx.RngStream`` or key) that takes
precedence. The stream's state advances at every training call, so a model built
with ``rngs=nnx.Rngs(0)`` draws new masks at every step under ``nnx.jit``.
"""

import jax
import jax.numpy as jnp
from flax import nnx

from convjax._src import dropout as _dropout
from convjax._src.checks import check_choice
from convjax._src.modules_conv import Module
from convjax._src.typing import Array, ArrayLike


class RandomModule(Module):
    """Base of modules that draw random keys in training mode (see module doc)."""

    def _init_random(self, rngs, deterministic: bool, rng_collection: str):
        self.deterministic = deterministic
        self.rng_collection = rng_collection
        if isinstance(rngs, nnx.Rngs):
            self.rngs = rngs[rng_collection].fork()
        elif isinstance(rngs, nnx.RngStream):
            self.rngs = rngs.fork()
        elif rngs is None:
            self.rngs = nnx.data(None)
        else:
            raise TypeError(
                f"`{type(self).__name__}`: `rngs` must be an nnx.Rngs, an "
                f"nnx.RngStream or None, got {type(rngs).__name__}."
            )

    def set_view(self, deterministic: bool | None = None):
        """Used by ``nnx.view``: ``deterministic=True`` is eval mode."""
        if deterministic is not None:
            self.deterministic = deterministic

    @property
    def training(self) -> bool:
        """PyTorch's flag: ``not deterministic`` (``model.train()`` sets it)."""
        return not self.deterministic

    def _mode(self, deterministic):
        return self.deterministic if deterministic is None else deterministic

    def _key(self, rngs):
        """A fresh key from the call's ``rngs``, else from the module's stream."""
        if rngs is None:
            rngs = self.rngs
        if isinstance(rngs, nnx.Rngs):
            return rngs[self.rng_collection]()
        if isinstance(rngs, nnx.RngStream):
            return rngs()
        if isinstance(rngs, jax.Array):
            return rngs
        raise ValueError(
            f"`{type(self).__name__}` in training mode needs random keys: pass "
            f"`rngs=` to the constructor or to the call, got {rngs!r}."
        )


class _DropoutNd(RandomModule):
    _fn = staticmethod(_dropout.dropout)

    def __init__(
        self,
        p: float = 0.5,
        inplace: bool = False,
        *,
        deterministic: bool = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        _dropout._check_p(p, type(self).__name__)
        self.p = float(p)
        self.inplace = inplace
        self._init_random(rngs, deterministic, rng_collection)

    def __call__(
        self,
        input: ArrayLike,
        *,
        deterministic: bool | None = None,
        rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None,
    ) -> Array:
        """Applies the module's dropout (identity in eval mode).

        Args:
          input: see the class docstring.
          deterministic: overrides the module's mode for this call.
          rngs: overrides the module's stream for this call.
        """
        training = not self._mode(deterministic)
        if not training or self.p in (0.0, 1.0):
            return type(self)._fn(input, self.p, training)
        return type(self)._fn(input, self.p, True, key=self._key(rngs))


_DOC = """{what}, ``torch.nn.{name}`` for Flax NNX.

    Calls :func:`convjax.functional.{fn}` with a key from the module's ``dropout``
    stream in training mode (the default, as in PyTorch) and is the identity after
    ``model.eval()``.

    Args:
      p: drop probability in ``[0, 1]``.
      inplace: accepted and ignored (JAX arrays are immutable).
      deterministic: initial mode (``False``: dropout, set by ``model.train()``;
        ``True``: identity, set by ``model.eval()``).
      rng_collection: name of the RNG stream (``"dropout"``).
      rngs: ``nnx.Rngs`` or ``nnx.RngStream`` (may be ``None`` if every training
        call passes ``rngs``).

    Input {shape}; output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.{name}(0.5, rngs=nnx.Rngs(0))
      >>> x = jnp.ones({example})
      >>> y = layer(x)
      >>> bool(((y == 0) | (y == 2)).all()), bool((layer(x) != y).any())
      (True, True)
      >>> bool((layer.eval()(x) == x).all())
      True

    PyTorch parity: ``torch.nn.{name}`` (random streams differ).
    """


class Dropout(_DropoutNd):
    __doc__ = _DOC.format(
        what="Element-wise dropout",
        name="Dropout",
        fn="dropout",
        shape="any shape",
        example="(2, 8)",
    )
    _fn = staticmethod(_dropout.dropout)


class Dropout1d(_DropoutNd):
    __doc__ = _DOC.format(
        what="Channel-wise dropout of ``(N, C, L)``/``(C, L)`` inputs",
        name="Dropout1d",
        fn="dropout1d",
        shape="``(N, C, L)`` or ``(C, L)``",
        example="(2, 4, 3)",
    )
    _fn = staticmethod(_dropout.dropout1d)


class Dropout2d(_DropoutNd):
    __doc__ = _DOC.format(
        what="Channel-wise dropout of ``(N, C, H, W)`` inputs",
        name="Dropout2d",
        fn="dropout2d",
        shape="``(N, C, H, W)`` (a 3D input is read as ``(N, C, L)``, as PyTorch)",
        example="(2, 4, 3, 3)",
    )
    _fn = staticmethod(_dropout.dropout2d)


class Dropout3d(_DropoutNd):
    __doc__ = _DOC.format(
        what="Channel-wise dropout of ``(N, C, D, H, W)``/``(C, D, H, W)`` inputs",
        name="Dropout3d",
        fn="dropout3d",
        shape="``(N, C, D, H, W)`` or ``(C, D, H, W)``",
        example="(2, 4, 2, 2, 2)",
    )
    _fn = staticmethod(_dropout.dropout3d)


class StochasticDepth(RandomModule):
    """Stochastic depth, ``torchvision.ops.StochasticDepth`` for Flax NNX.

    Calls :func:`convjax.functional.stochastic_depth` with a key from the module's
    ``dropout`` stream in training mode; identity after ``model.eval()``.

    Args:
      p: drop probability in ``[0, 1]``.
      mode: ``"row"`` (one draw per sample) or ``"batch"`` (one for the batch).
      deterministic, rng_collection, rngs: as for :class:`Dropout`.

    Input ``(N, ...)``; output the same shape.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> sd = nn.StochasticDepth(0.5, "row", rngs=nnx.Rngs(0))
      >>> y = sd(jnp.ones((6, 3)))
      >>> bool((y == y[:, :1]).all()), bool((sd.eval()(y) == y).all())
      (True, True)

    PyTorch parity: ``torchvision.ops.StochasticDepth`` (random streams differ).
    """

    def __init__(
        self,
        p: float,
        mode: str,
        *,
        deterministic: bool = False,
        rng_collection: str = "dropout",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        _dropout._check_p(p, "StochasticDepth", "drop")
        check_choice(mode, ("batch", "row"), "mode")
        self.p = float(p)
        self.mode = mode
        self._init_random(rngs, deterministic, rng_collection)

    def __call__(
        self,
        input: ArrayLike,
        *,
        deterministic: bool | None = None,
        rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None,
    ) -> Array:
        """Applies stochastic depth (identity in eval mode or when ``p == 0``)."""
        training = not self._mode(deterministic)
        if not training or self.p == 0.0:
            return jnp.asarray(input)
        return _dropout.stochastic_depth(
            input, self.p, self.mode, True, key=self._key(rngs)
        )
