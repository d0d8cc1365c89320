"""EfficientNet (B0): a port of ``torchvision.models.efficientnet``."""

import copy
import dataclasses
import math
from collections.abc import Callable, Sequence
from functools import partial

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src.models._utils import (
    constant,
    make_divisible,
    modules_of,
    set_param,
    uniform,
)
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


@dataclasses.dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable[..., nnx.Module]

    @staticmethod
    def adjust_channels(
        channels: int, width_mult: float, min_value: int | None = None
    ) -> int:
        return make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """One stage of EfficientNet's Table 1 (channels scaled by ``width_mult``,
    layers by ``depth_mult``).

    PyTorch parity: ``torchvision.models.efficientnet.MBConvConfig``.
    """

    def __init__(
        self,
        expand_ratio: float,
        kernel: int,
        stride: int,
        input_channels: int,
        out_channels: int,
        num_layers: int,
        width_mult: float = 1.0,
        depth_mult: float = 1.0,
        block: Callable[..., nnx.Module] | None = None,
    ):
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        if block is None:
            block = MBConv
        super().__init__(
            expand_ratio,
            kernel,
            stride,
            input_channels,
            out_channels,
            num_layers,
            block,
        )

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class MBConv(Module):
    """Mobile inverted bottleneck with squeeze-excitation (SiLU) and stochastic
    depth ("row" mode) on the residual branch.

    PyTorch parity: ``torchvision.models.efficientnet.MBConv``.
    """

    def __init__(
        self,
        cnf: MBConvConfig,
        stochastic_depth_prob: float,
        norm_layer: Callable[..., nnx.Module],
        se_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if se_layer is None:
            se_layer = _nn.SqueezeExcitation
        if not (1 <= cnf.stride <= 2):
            raise ValueError(f"illegal stride value {cnf.stride}")
        self.use_res_connect = (
            cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        )
        activation_layer = _nn.SiLU
        cna = partial(_nn.Conv2dNormActivation, norm_layer=norm_layer, rngs=rngs)
        layers: list = []
        expanded_channels = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded_channels != cnf.input_channels:
            layers.append(
                cna(
                    cnf.input_channels,
                    expanded_channels,
                    kernel_size=1,
                    activation_layer=activation_layer,
                )
            )
        layers.append(
            cna(
                expanded_channels,
                expanded_channels,
                kernel_size=cnf.kernel,
                stride=cnf.stride,
                groups=expanded_channels,
                activation_layer=activation_layer,
            )
        )
        squeeze_channels = max(1, cnf.input_channels // 4)
        layers.append(
            se_layer(
                expanded_channels,
                squeeze_channels,
                activation=partial(_nn.SiLU, inplace=True),
                rngs=rngs,
            )
        )
        layers.append(
            cna(
                expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                activation_layer=None,
            )
        )
        self.block = _nn.Sequential(*layers)
        self.stochastic_depth = _nn.StochasticDepth(
            stochastic_depth_prob, "row", rngs=rngs
        )
        self.out_channels = cnf.out_channels

    def __call__(self, input: Array) -> Array:
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(Module):
    """EfficientNet ("Rethinking Model Scaling for CNNs").

    ``features`` (SiLU stem, one :class:`nn.Sequential` of blocks per config row,
    1x1 conv) -> ``avgpool`` -> ``classifier`` (dropout, linear). Block ``i`` of
    ``B`` gets stochastic-depth probability ``stochastic_depth_prob * i / B``.

    Args:
      inverted_residual_setting: list of :class:`MBConvConfig`.
      dropout: classifier dropout probability.
      stochastic_depth_prob: the largest stochastic-depth probability.
      num_classes: outputs.
      norm_layer: default ``nn.BatchNorm2d``.
      last_channel: width of the last conv (default 4x the last stage's).
      rngs: ``nnx.Rngs`` (``params`` for torchvision's init; ``dropout`` for
        dropout and stochastic depth).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.efficientnet_b0(rngs=nnx.Rngs(0)))
      >>> model.classifier[1].weight.shape
      (1000, 1280)

    PyTorch parity: ``torchvision.models.EfficientNet`` (arguments, state-dict keys,
    init; ``MBConvConfig`` rows only).
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[MBConvConfig],
        dropout: float,
        stochastic_depth_prob: float = 0.2,
        num_classes: int = 1000,
        norm_layer: Callable[..., nnx.Module] | None = None,
        last_channel: int | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if not inverted_residual_setting:
            raise ValueError("The `inverted_residual_setting` should not be empty.")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)
        ):
            raise TypeError(
                "The `inverted_residual_setting` should be a list of MBConvConfig."
            )
        if norm_layer is None:
            norm_layer = _nn.BatchNorm2d
        cna = partial(
            _nn.Conv2dNormActivation,
            norm_layer=norm_layer,
            activation_layer=_nn.SiLU,
            rngs=rngs,
        )
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers: list = [cna(3, firstconv_output_channels, kernel_size=3, stride=2)]
        total_stage_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        stage_block_id = 0
        for cnf in inverted_residual_setting:
            stage: list = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = (
                    stochastic_depth_prob * float(stage_block_id) / total_stage_blocks
                )
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer, rngs=rngs))
                stage_block_id += 1
            layers.append(_nn.Sequential(*stage))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = (
            last_channel if last_channel is not None else 4 * lastconv_input_channels
        )
        layers.append(cna(lastconv_input_channels, lastconv_output_channels, 1))
        self.features = _nn.Sequential(*layers)
        self.avgpool = _nn.AdaptiveAvgPool2d(1)
        self.classifier = _nn.Sequential(
            _nn.Dropout(p=dropout, inplace=True, rngs=rngs),
            _nn.Linear(lastconv_output_channels, num_classes, rngs=rngs),
        )
        for m in modules_of(self, _nn.Conv2d):
            set_param(m.weight, init.kaiming_normal(mode="fan_out"), rngs.params())
            if m.bias is not None:
                set_param(m.bias, constant(0.0), None)
        for m in modules_of(self, _nn.BatchNorm2d, nnx.GroupNorm):
            if getattr(m, "weight", None) is not None:
                set_param(m.weight, constant(1.0), None)
                set_param(m.bias, constant(0.0), None)
        for m in modules_of(self, _nn.Linear):
            init_range = 1.0 / math.sqrt(m.out_features)
            set_param(m.weight, uniform(-init_range, init_range), rngs.params())
            set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        x = self.avgpool(self.features(x))
        return self.classifier(jnp.reshape(x, (x.shape[0], -1)))


def _efficientnet_conf(
    arch: str, width_mult: float = 1.0, depth_mult: float = 1.0
) -> tuple[list[MBConvConfig], int | None]:
    """torchvision's EfficientNet-B configuration rows, scaled."""
    if not arch.startswith("efficientnet_b"):
        raise ValueError(f"Unsupported model type `arch` {arch!r}.")
    bneck_conf = partial(MBConvConfig, width_mult=width_mult, depth_mult=depth_mult)
    setting = [
        bneck_conf(1, 3, 1, 32, 16, 1),
        bneck_conf(6, 3, 2, 16, 24, 2),
        bneck_conf(6, 5, 2, 24, 40, 2),
        bneck_conf(6, 3, 2, 40, 80, 3),
        bneck_conf(6, 5, 1, 80, 112, 3),
        bneck_conf(6, 5, 2, 112, 192, 4),
        bneck_conf(6, 3, 1, 192, 320, 1),
    ]
    return setting, None


def efficientnet_b0(*, rngs: nnx.Rngs, **kwargs) -> EfficientNet:
    """EfficientNet-B0 (5.3M parameters, 0.39 GMACs at 224x224).

    Args:
      rngs: ``nnx.Rngs``.
      **kwargs: :class:`EfficientNet`'s arguments (``num_classes``, ``dropout``
        (default 0.2), ``stochastic_depth_prob``, ``norm_layer``).

    PyTorch parity: ``torchvision.models.efficientnet_b0(weights=None, **kwargs)``.
    """
    setting, last_channel = _efficientnet_conf("efficientnet_b0", 1.0, 1.0)
    dropout = kwargs.pop("dropout", 0.2)
    return EfficientNet(
        setting, dropout, last_channel=last_channel, rngs=rngs, **kwargs
    )
