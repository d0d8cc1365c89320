"""Flax NNX modules: ``Linear``, resampling (``Upsample``, ``PixelShuffle``,
``PixelUnshuffle``), ``ColorJitter``, ``Flatten``, ``ReLU``, ``ReLU6``, ``Identity``.

Shells with PyTorch's constructor arguments over :mod:`convjax.functional` and
:mod:`convjax.image`.
"""

import jax
import jax.numpy as jnp
from flax import nnx

from convjax._src import activations as _act
from convjax._src import color as _color
from convjax._src import linear as _linear
from convjax._src import resample as _resample
from convjax._src.checks import check_count
from convjax._src.modules_conv import (
    Module,
    check_rngs,
    default_params,
    promote,
    read,
)
from convjax._src.typing import Array, ArrayLike, DTypeLike


class Linear(Module):
    """Affine layer ``y = x W^T + b``, ``torch.nn.Linear`` for Flax NNX.

    Holds ``weight`` ``(out_features, in_features)`` (PyTorch's layout, the transpose
    of Flax's ``kernel``) and ``bias`` ``(out_features,)`` as ``nnx.Param``,
    initialised as PyTorch does: ``U(-b, b)`` with ``b = 1/sqrt(in_features)``.

    Args:
      in_features, out_features: sizes of the last axis in and out.
      bias: whether to add a learnable bias.
      dtype: computation dtype (``None``: promote input and parameters).
      param_dtype: parameter dtype.
      rngs: ``nnx.Rngs``; the ``params`` stream initialises weight then bias.

    Input ``(*, in_features)``; output ``(*, out_features)``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> layer = nn.Linear(3, 2, rngs=nnx.Rngs(0))
      >>> layer.weight.shape, layer(jnp.ones((4, 3))).shape
      ((2, 3), (4, 2))

    PyTorch parity: ``torch.nn.Linear`` (same arguments, attribute names and
    default init).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype: DTypeLike | None = None,
        param_dtype: DTypeLike = jnp.float32,
        rngs: nnx.Rngs,
    ):
        check_count(in_features, "in_features", "Linear")
        check_count(out_features, "out_features", "Linear")
        check_rngs(rngs, "Linear")
        self.in_features = in_features
        self.out_features = out_features
        self.dtype = dtype
        self.param_dtype = param_dtype
        self.weight, self.bias = default_params(
            rngs,
            (out_features, in_features),
            (out_features,) if bias else None,
            param_dtype,
        )

    def __call__(self, input: ArrayLike) -> Array:
        x, w, b = promote((input, self.weight[...], read(self.bias)), self.dtype)
        return _linear.linear(x, w, b)


class Upsample(Module):
    """Resizes ``(N, C, *spatial)`` inputs, ``torch.nn.Upsample`` for Flax NNX.

    Calls :func:`convjax.functional.interpolate` with the stored arguments (give
    ``size`` or ``scale_factor``; modes ``nearest``, ``nearest-exact``, ``linear``,
    ``bilinear``, ``bicubic``, ``trilinear``, ``area``).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Upsample(scale_factor=2, mode="bilinear")(jnp.ones((1, 2, 3, 4))).shape
      (1, 2, 6, 8)

    PyTorch parity: ``torch.nn.Upsample`` (same arguments and defaults).
    """

    def __init__(
        self,
        size=None,
        scale_factor=None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ):
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def __call__(self, input: ArrayLike) -> Array:
        return _resample.interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )


class PixelShuffle(Module):
    """``(*, C r^2, H, W) -> (*, C, H r, W r)``, ``torch.nn.PixelShuffle`` for NNX.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.PixelShuffle(2)(jnp.ones((1, 8, 3, 3))).shape
      (1, 2, 6, 6)

    PyTorch parity: ``torch.nn.PixelShuffle`` (PyTorch's channel order).
    """

    def __init__(self, upscale_factor: int):
        self.upscale_factor = upscale_factor

    def __call__(self, input: ArrayLike) -> Array:
        return _resample.pixel_shuffle(input, self.upscale_factor)


class PixelUnshuffle(Module):
    """``(*, C, H r, W r) -> (*, C r^2, H, W)``, ``torch.nn.PixelUnshuffle`` for NNX.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.PixelUnshuffle(2)(jnp.ones((1, 2, 6, 6))).shape
      (1, 8, 3, 3)

    PyTorch parity: ``torch.nn.PixelUnshuffle`` (PyTorch's channel order).
    """

    def __init__(self, downscale_factor: int):
        self.downscale_factor = downscale_factor

    def __call__(self, input: ArrayLike) -> Array:
        return _resample.pixel_unshuffle(input, self.downscale_factor)


class ColorJitter(Module):
    """Random brightness, contrast, saturation and hue, ``ColorJitter`` for NNX.

    In training mode (the default) every call draws a key from its own RNG stream
    and applies :func:`convjax.image.color_jitter`; in eval mode
    (``model.eval()``, or ``deterministic=True``) it is the identity. The stream is
    forked at construction from ``rngs[rng_collection]`` (``"augment"``; an
    ``nnx.Rngs`` without that stream falls back to its ``default`` stream), as
    ``nnx.Dropout`` does with ``"dropout"``; its state advances at every call, so
    calls under ``nnx.jit`` give new draws. A key or ``nnx.Rngs`` passed to the call
    takes precedence.

    Args:
      brightness, contrast, saturation, hue: torchvision's ranges (a number or a
        ``(min, max)`` pair), validated at construction.
      per_sample: draw independent factors and order for every image of the
        leading batch axis (default: one draw per call, as torchvision).
      deterministic: initial mode (``False``: jitter, the mode ``model.train()``
        sets; ``True``: identity, set by ``model.eval()``).
      rng_collection: name of the RNG stream.
      rngs: ``nnx.Rngs`` or ``nnx.RngStream`` (may be ``None`` if every training
        call passes ``rngs``).

    Input ``(..., C, H, W)`` images, ``C`` 1 or 3, float in [0, 1] or ``uint8``.

    Examples:
      >>> import jax.numpy as jnp
      >>> from flax import nnx
      >>> from convjax import nn
      >>> jitter = nn.ColorJitter(brightness=0.5, rngs=nnx.Rngs(0))
      >>> x = jnp.full((2, 3, 4, 4), 0.5)
      >>> bool((jitter(x) != x).any())
      True
      >>> _ = jitter.eval()
      >>> bool((jitter(x) == x).all())
      True

    PyTorch parity: ``torchvision.transforms.v2.ColorJitter`` ranges, order and
    clamping (random streams differ); the eval-mode identity is a convjax addition.
    """

    def __init__(
        self,
        brightness=0,
        contrast=0,
        saturation=0,
        hue=0,
        *,
        per_sample: bool = False,
        deterministic: bool = False,
        rng_collection: str = "augment",
        rngs: nnx.Rngs | nnx.RngStream | None = None,
    ):
        # Validates like torchvision, at construction (raises on bad ranges).
        _color._jitter_ranges(brightness, contrast, saturation, hue)
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.per_sample = per_sample
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
                f"`ColorJitter`: `rngs` must be an nnx.Rngs, an nnx.RngStream or None, "
                f"got {type(rngs).__name__}."
            )

    def set_view(self, deterministic: bool | None = None):
        """Used by ``nnx.view``: ``deterministic=True`` is eval mode."""
        if deterministic is not None:
            self.deterministic = deterministic

    def __call__(
        self,
        img: ArrayLike,
        *,
        deterministic: bool | None = None,
        rngs: nnx.Rngs | nnx.RngStream | jax.Array | None = None,
    ) -> Array:
        if deterministic is None:
            deterministic = self.deterministic
        if deterministic:
            return jnp.asarray(img)
        if rngs is None:
            rngs = self.rngs
        if isinstance(rngs, nnx.Rngs):
            key = rngs[self.rng_collection]()
        elif isinstance(rngs, nnx.RngStream):
            key = rngs()
        elif isinstance(rngs, jax.Array):
            key = rngs
        else:
            raise ValueError(
                "`ColorJitter` in training mode needs random keys: pass `rngs=` to the "
                f"constructor or to the call, got {rngs!r}."
            )
        return _color.color_jitter(
            key,
            img,
            self.brightness,
            self.contrast,
            self.saturation,
            self.hue,
            per_sample=self.per_sample,
        )


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one, ``torch.nn.Flatten`` for NNX.

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Flatten()(jnp.ones((2, 3, 4, 5))).shape
      (2, 60)

    PyTorch parity: ``torch.nn.Flatten`` (same defaults ``start_dim=1, end_dim=-1``).
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim = start_dim
        self.end_dim = end_dim

    def __call__(self, input: ArrayLike) -> Array:
        x = jnp.asarray(input)
        rank = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        for name, dim in (("start_dim", start), ("end_dim", end)):
            if not -rank <= dim < rank:
                raise ValueError(
                    f"`Flatten`: `{name}` ({dim}) is out of range for an input of "
                    f"shape {x.shape}."
                )
        start, end = start % rank, end % rank
        if start > end:
            raise ValueError(
                f"`Flatten`: `start_dim` ({self.start_dim}) cannot come after `end_dim` "
                f"({self.end_dim}) for an input of shape {x.shape}."
            )
        if x.ndim == 0:
            return x.reshape(1)
        return jax.lax.collapse(x, start, end + 1)


class ReLU(Module):
    """``max(x, 0)``, ``torch.nn.ReLU`` for NNX (``inplace`` is accepted and ignored).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.ReLU()(jnp.array([-1.0, 2.0]))
      Array([0., 2.], dtype=float32)

    PyTorch parity: ``torch.nn.ReLU``.
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.relu(input)


class ReLU6(Module):
    """``min(max(x, 0), 6)``, ``torch.nn.ReLU6`` for NNX (``inplace`` ignored).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.ReLU6()(jnp.array([-1.0, 2.0, 7.0]))
      Array([0., 2., 6.], dtype=float32)

    PyTorch parity: ``torch.nn.ReLU6``.
    """

    def __init__(self, inplace: bool = False):
        self.inplace = inplace

    def __call__(self, input: ArrayLike) -> Array:
        return _act.relu6(input)


class Identity(Module):
    """Returns its input; ``torch.nn.Identity`` for NNX (arguments are ignored).

    Examples:
      >>> import jax.numpy as jnp
      >>> from convjax import nn
      >>> nn.Identity(54, unused="x")(jnp.ones(2))
      Array([1., 1.], dtype=float32)

    PyTorch parity: ``torch.nn.Identity``.
    """

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, input: ArrayLike) -> Array:
        return jnp.asarray(input)
