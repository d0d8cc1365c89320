"""ConvNeXt (Tiny): a port of ``torchvision.models.convnext``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax.numpy as jnp
from flax import nnx

from convjax import nn as _nn
from convjax._src.models._utils import (
    Permute,
    constant,
    modules_of,
    set_param,
    trunc_normal,
)
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


class CNBlock(Module):
    """ConvNeXt block: depthwise 7x7 conv, LayerNorm (channels last), 4x MLP with
    GELU, per-channel ``layer_scale``, stochastic depth ("row"), residual.

    PyTorch parity: ``torchvision.models.convnext.CNBlock``.
    """

    def __init__(
        self,
        dim: int,
        layer_scale: float,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if norm_layer is None:
            norm_layer = partial(_nn.LayerNorm, eps=1e-6)
        self.block = _nn.Sequential(
            _nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True, rngs=rngs),
            Permute([0, 2, 3, 1]),
            norm_layer(dim),
            _nn.Linear(in_features=dim, out_features=4 * dim, bias=True, rngs=rngs),
            _nn.GELU(),
            _nn.Linear(in_features=4 * dim, out_features=dim, bias=True, rngs=rngs),
            Permute([0, 3, 1, 2]),
        )  # fmt: skip
        self.layer_scale = nnx.Param(jnp.ones((dim, 1, 1), jnp.float32) * layer_scale)
        self.stochastic_depth = _nn.StochasticDepth(
            stochastic_depth_prob, "row", rngs=rngs
        )

    def __call__(self, input: Array) -> Array:
        result = self.block(input)
        scale = self.layer_scale[...]  # (C, 1, 1), broadcast over (N, C, H, W)
        result = jnp.reshape(scale, (1,) * (result.ndim - 3) + scale.shape) * result
        return self.stochastic_depth(result) + input


class CNBlockConfig:
    """One ConvNeXt stage: width, width after the downsampling (``None`` for the
    last stage) and number of blocks.

    PyTorch parity: ``torchvision.models.convnext.CNBlockConfig``.
    """

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int):
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (
            f"CNBlockConfig(input_channels={self.input_channels}, "
            f"out_channels={self.out_channels}, num_layers={self.num_layers})"
        )


class ConvNeXt(Module):
    """ConvNeXt ("A ConvNet for the 2020s").

    ``features`` (4x4 stride-4 patchify conv + LayerNorm2d; per stage a
    :class:`nn.Sequential` of :class:`CNBlock` then LayerNorm2d + 2x2 stride-2
    conv) -> ``avgpool`` -> ``classifier`` (LayerNorm2d, flatten, linear). Block
    ``i`` of ``B`` gets stochastic-depth probability
    ``stochastic_depth_prob * i / (B - 1)``.

    Args:
      block_setting: list of :class:`CNBlockConfig`.
      stochastic_depth_prob: the largest stochastic-depth probability.
      layer_scale: initial value of every block's ``layer_scale``.
      num_classes: outputs.
      block: block class, called as ``block(dim, layer_scale, sd_prob, rngs=...)``.
      norm_layer: default ``partial(nn.LayerNorm2d, eps=1e-6)``.
      rngs: ``nnx.Rngs`` (``params``: convs and linears ``trunc_normal_(std=0.02)``
        with zero bias, as torchvision; ``dropout`` for stochastic depth).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.convnext_tiny(rngs=nnx.Rngs(0)))
      >>> model.features[1][0].layer_scale.shape
      (96, 1, 1)

    PyTorch parity: ``torchvision.models.ConvNeXt`` (arguments, state-dict keys,
    init).
    """

    def __init__(
        self,
        block_setting: Sequence[CNBlockConfig],
        stochastic_depth_prob: float = 0.0,
        layer_scale: float = 1e-6,
        num_classes: int = 1000,
        block: Callable[..., nnx.Module] | None = None,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
        **kwargs: Any,
    ):
        if not block_setting:
            raise ValueError("The `block_setting` should not be empty.")
        if not (
            isinstance(block_setting, Sequence)
            and all(isinstance(s, CNBlockConfig) for s in block_setting)
        ):
            raise TypeError("The `block_setting` should be a list of CNBlockConfig.")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(_nn.LayerNorm2d, eps=1e-6)
        firstconv_output_channels = block_setting[0].input_channels
        layers: list = [
            _nn.Conv2dNormActivation(
                3,
                firstconv_output_channels,
                kernel_size=4,
                stride=4,
                padding=0,
                norm_layer=norm_layer,
                activation_layer=None,
                bias=True,
                rngs=rngs,
            )
        ]
        total_stage_blocks = sum(cnf.num_layers for cnf in block_setting)
        stage_block_id = 0
        for cnf in block_setting:
            stage: list = []
            for _ in range(cnf.num_layers):
                sd_prob = (
                    stochastic_depth_prob * stage_block_id / (total_stage_blocks - 1.0)
                )
                stage.append(block(cnf.input_channels, layer_scale, sd_prob, rngs=rngs))
                stage_block_id += 1
            layers.append(_nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(
                    _nn.Sequential(
                        norm_layer(cnf.input_channels),
                        _nn.Conv2d(
                            cnf.input_channels,
                            cnf.out_channels,
                            kernel_size=2,
                            stride=2,
                            rngs=rngs,
                        ),
                    )
                )
        self.features = _nn.Sequential(*layers)
        self.avgpool = _nn.AdaptiveAvgPool2d(1)
        lastblock = block_setting[-1]
        lastconv_output_channels = (
            lastblock.out_channels
            if lastblock.out_channels is not None
            else lastblock.input_channels
        )
        self.classifier = _nn.Sequential(
            norm_layer(lastconv_output_channels),
            _nn.Flatten(1),
            _nn.Linear(lastconv_output_channels, num_classes, rngs=rngs),
        )
        for m in modules_of(self, _nn.Conv2d, _nn.Linear):
            set_param(m.weight, trunc_normal(std=0.02), rngs.params())
            if m.bias is not None:
                set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        return self.classifier(self.avgpool(self.features(x)))


def convnext_tiny(*, rngs: nnx.Rngs, **kwargs) -> ConvNeXt:
    """ConvNeXt-Tiny (28.6M parameters, 4.5 GMACs at 224x224).

    Args:
      rngs: ``nnx.Rngs``.
      **kwargs: :class:`ConvNeXt`'s arguments (``stochastic_depth_prob`` defaults
        to 0.1 here, as torchvision).

    PyTorch parity: ``torchvision.models.convnext_tiny(weights=None, **kwargs)``.
    """
    block_setting = [
        CNBlockConfig(96, 192, 3),
        CNBlockConfig(192, 384, 3),
        CNBlockConfig(384, 768, 9),
        CNBlockConfig(768, None, 3),
    ]
    stochastic_depth_prob = kwargs.pop("stochastic_depth_prob", 0.1)
    return ConvNeXt(
        block_setting, stochastic_depth_prob=stochastic_depth_prob, rngs=rngs, **kwargs
    )
