"""MobileNetV2 and MobileNetV3: ports of ``torchvision.models.mobilenetv2`` and
``.mobilenetv3``."""

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src import pooling as _pool
from convjax._src.models._utils import (
    constant,
    make_divisible,
    modules_of,
    normal,
    set_param,
)
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


def _init_mobilenet(model: nnx.Module, rngs: nnx.Rngs) -> None:
    """torchvision's MobileNet/EfficientNet-style init loop: convs
    ``kaiming_normal_(mode="fan_out")`` with zero bias, norms 1/0, linears
    ``N(0, 0.01)`` with zero bias."""
    for m in modules_of(model, _nn.Conv2d):
        set_param(m.weight, init.kaiming_normal(mode="fan_out"), rngs.params())
        if m.bias is not None:
            set_param(m.bias, constant(0.0), None)
    for m in modules_of(model, _nn.BatchNorm2d, nnx.GroupNorm):
        if getattr(m, "weight", None) is not None:
            set_param(m.weight, constant(1.0), None)
            set_param(m.bias, constant(0.0), None)
    for m in modules_of(model, _nn.Linear):
        set_param(m.weight, normal(0.0, 0.01), rngs.params())
        set_param(m.bias, constant(0.0), None)


class InvertedResidualV2(Module):
    """MobileNetV2's inverted residual: 1x1 expand (ReLU6), depthwise 3x3 (ReLU6),
    linear 1x1 projection; residual when the stride is 1 and the widths agree.

    PyTorch parity: ``torchvision.models.mobilenetv2.InvertedResidual``.
    """

    def __init__(
        self,
        inp: int,
        oup: int,
        stride: int,
        expand_ratio: float,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"`stride` should be 1 or 2 instead of {stride}.")
        if norm_layer is None:
            norm_layer = _nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        cna = partial(
            _nn.Conv2dNormActivation,
            norm_layer=norm_layer,
            activation_layer=_nn.ReLU6,
            rngs=rngs,
        )
        layers: list = []
        if expand_ratio != 1:
            layers.append(cna(inp, hidden_dim, kernel_size=1))
        layers.extend(
            [
                cna(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim),
                _nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False, rngs=rngs),
                norm_layer(oup),
            ]
        )
        self.conv = _nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def __call__(self, x: Array) -> Array:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2(Module):
    """MobileNetV2 ("Inverted Residuals and Linear Bottlenecks").

    ``features`` (stem conv, inverted residual blocks, 1x1 conv to
    ``last_channel``) -> global average pool -> ``classifier`` (dropout, linear).

    Args:
      num_classes: outputs.
      width_mult: channel multiplier (rounded to ``round_nearest``).
      inverted_residual_setting: ``[t, c, n, s]`` rows (expansion, channels,
        repeats, stride); default the paper's.
      round_nearest: channel rounding (1 turns it off).
      block: the block class (default the inverted residual), called as
        ``block(inp, oup, stride, expand_ratio=t, norm_layer=..., rngs=...)``.
      norm_layer: called as ``norm_layer(num_features)`` (default BatchNorm2d).
      dropout: classifier dropout probability.
      rngs: ``nnx.Rngs`` (``params`` for torchvision's init; ``dropout``).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.mobilenet_v2(width_mult=0.5, rngs=nnx.Rngs(0)))
      >>> model.last_channel, model.features[1].conv[0][0].weight.shape
      (1280, (16, 1, 3, 3))

    PyTorch parity: ``torchvision.models.MobileNetV2`` (arguments, state-dict keys,
    init).
    """

    def __init__(
        self,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        inverted_residual_setting: Sequence[Sequence[int]] | None = None,
        round_nearest: int = 8,
        block: Callable[..., nnx.Module] | None = None,
        norm_layer: Callable[..., nnx.Module] | None = None,
        dropout: float = 0.2,
        *,
        rngs: nnx.Rngs,
    ):
        if block is None:
            block = InvertedResidualV2
        if norm_layer is None:
            norm_layer = _nn.BatchNorm2d
        input_channel = 32
        last_channel = 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [
                [1, 16, 1, 1],
                [6, 24, 2, 2],
                [6, 32, 3, 2],
                [6, 64, 4, 2],
                [6, 96, 3, 1],
                [6, 160, 3, 2],
                [6, 320, 1, 1],
            ]
        if (
            len(inverted_residual_setting) == 0
            or len(inverted_residual_setting[0]) != 4
        ):
            raise ValueError(
                "`inverted_residual_setting` should be non-empty or a 4-element list, "
                f"got {inverted_residual_setting}."
            )
        input_channel = make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = make_divisible(
            last_channel * max(1.0, width_mult), round_nearest
        )
        cna = partial(
            _nn.Conv2dNormActivation,
            norm_layer=norm_layer,
            activation_layer=_nn.ReLU6,
            rngs=rngs,
        )
        features: list = [cna(3, input_channel, stride=2)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                stride = s if i == 0 else 1
                features.append(
                    block(
                        input_channel,
                        output_channel,
                        stride,
                        expand_ratio=t,
                        norm_layer=norm_layer,
                        rngs=rngs,
                    )
                )
                input_channel = output_channel
        features.append(cna(input_channel, self.last_channel, kernel_size=1))
        self.features = _nn.Sequential(*features)
        self.classifier = _nn.Sequential(
            _nn.Dropout(p=dropout, rngs=rngs),
            _nn.Linear(self.last_channel, num_classes, rngs=rngs),
        )
        _init_mobilenet(self, rngs)

    def __call__(self, x: Array) -> Array:
        x = _pool.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(jnp.reshape(x, (x.shape[0], -1)))


def mobilenet_v2(*, rngs: nnx.Rngs, **kwargs) -> MobileNetV2:
    """MobileNetV2 (3.5M parameters, 0.3 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.mobilenet_v2(weights=None, **kwargs)``.
    """
    return MobileNetV2(rngs=rngs, **kwargs)


class InvertedResidualConfig:
    """One row of MobileNetV3's Tables 1-2 (channels scaled by ``width_mult``).

    PyTorch parity: ``torchvision.models.mobilenetv3.InvertedResidualConfig``.
    """

    def __init__(
        self,
        input_channels: int,
        kernel: int,
        expanded_channels: int,
        out_channels: int,
        use_se: bool,
        activation: str,
        stride: int,
        dilation: int,
        width_mult: float,
    ):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return make_divisible(channels * width_mult, 8)


class InvertedResidual(Module):
    """MobileNetV3's block: 1x1 expand, depthwise (strided or dilated), optional
    squeeze-excitation (hard-sigmoid gate), linear 1x1 projection, residual.

    PyTorch parity: ``torchvision.models.mobilenetv3.InvertedResidual``.
    """

    def __init__(
        self,
        cnf: InvertedResidualConfig,
        norm_layer: Callable[..., nnx.Module],
        se_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if se_layer is None:
            se_layer = partial(_nn.SqueezeExcitation, scale_activation=_nn.Hardsigmoid)
        if not (1 <= cnf.stride <= 2):
            raise ValueError(f"illegal stride value {cnf.stride}")
        self.use_res_connect = (
            cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        )
        activation_layer = _nn.Hardswish if cnf.use_hs else _nn.ReLU
        cna = partial(_nn.Conv2dNormActivation, norm_layer=norm_layer, rngs=rngs)
        layers: list = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(
                cna(
                    cnf.input_channels,
                    cnf.expanded_channels,
                    kernel_size=1,
                    activation_layer=activation_layer,
                )
            )
        stride = 1 if cnf.dilation > 1 else cnf.stride
        layers.append(
            cna(
                cnf.expanded_channels,
                cnf.expanded_channels,
                kernel_size=cnf.kernel,
                stride=stride,
                dilation=cnf.dilation,
                groups=cnf.expanded_channels,
                activation_layer=activation_layer,
            )
        )
        if cnf.use_se:
            squeeze_channels = make_divisible(cnf.expanded_channels // 4, 8)
            layers.append(se_layer(cnf.expanded_channels, squeeze_channels, rngs=rngs))
        layers.append(
            cna(
                cnf.expanded_channels,
                cnf.out_channels,
                kernel_size=1,
                activation_layer=None,
            )
        )
        self.block = _nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def __call__(self, input: Array) -> Array:
        result = self.block(input)
        if self.use_res_connect:
            result = result + input
        return result


class MobileNetV3(Module):
    """MobileNetV3 ("Searching for MobileNetV3").

    ``features`` (hardswish stem, :class:`InvertedResidual` blocks, 1x1 conv to
    ``6 x`` the last width) -> ``avgpool`` -> ``classifier`` (linear, hardswish,
    dropout, linear).

    Args:
      inverted_residual_setting: list of :class:`InvertedResidualConfig`
        (``_mobilenet_v3_conf`` builds torchvision's).
      last_channel: width of the penultimate linear layer.
      num_classes: outputs.
      block: block class, called as ``block(cnf, norm_layer, rngs=...)``.
      norm_layer: default ``partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)``.
      dropout: classifier dropout probability.
      rngs: ``nnx.Rngs`` (``params`` for torchvision's init; ``dropout``).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.mobilenet_v3_small(rngs=nnx.Rngs(0)))
      >>> model.classifier[0].weight.shape
      (1024, 576)

    PyTorch parity: ``torchvision.models.MobileNetV3`` (arguments, state-dict keys,
    init).
    """

    def __init__(
        self,
        inverted_residual_setting: Sequence[InvertedResidualConfig],
        last_channel: int,
        num_classes: int = 1000,
        block: Callable[..., nnx.Module] | None = None,
        norm_layer: Callable[..., nnx.Module] | None = None,
        dropout: float = 0.2,
        *,
        rngs: nnx.Rngs,
        **kwargs: Any,
    ):
        if not inverted_residual_setting:
            raise ValueError("The `inverted_residual_setting` should not be empty.")
        if not (
            isinstance(inverted_residual_setting, Sequence)
            and all(
                isinstance(s, InvertedResidualConfig) for s in inverted_residual_setting
            )
        ):
            raise TypeError(
                "The `inverted_residual_setting` should be a list of "
                "InvertedResidualConfig."
            )
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = partial(_nn.BatchNorm2d, eps=0.001, momentum=0.01)
        cna = partial(
            _nn.Conv2dNormActivation,
            norm_layer=norm_layer,
            activation_layer=_nn.Hardswish,
            rngs=rngs,
        )
        firstconv_output_channels = inverted_residual_setting[0].input_channels
        layers: list = [cna(3, firstconv_output_channels, kernel_size=3, stride=2)]
        for cnf in inverted_residual_setting:
            layers.append(block(cnf, norm_layer, rngs=rngs))
        lastconv_input_channels = inverted_residual_setting[-1].out_channels
        lastconv_output_channels = 6 * lastconv_input_channels
        layers.append(cna(lastconv_input_channels, lastconv_output_channels, 1))
        self.features = _nn.Sequential(*layers)
        self.avgpool = _nn.AdaptiveAvgPool2d(1)
        self.classifier = _nn.Sequential(
            _nn.Linear(lastconv_output_channels, last_channel, rngs=rngs),
            _nn.Hardswish(inplace=True),
            _nn.Dropout(p=dropout, inplace=True, rngs=rngs),
            _nn.Linear(last_channel, num_classes, rngs=rngs),
        )
        _init_mobilenet(self, rngs)

    def __call__(self, x: Array) -> Array:
        x = self.avgpool(self.features(x))
        return self.classifier(jnp.reshape(x, (x.shape[0], -1)))


def _mobilenet_v3_conf(
    arch: str,
    width_mult: float = 1.0,
    reduced_tail: bool = False,
    dilated: bool = False,
    **kwargs: Any,
) -> tuple[list[InvertedResidualConfig], int]:
    """torchvision's MobileNetV3 configurations (``"mobilenet_v3_large"`` or
    ``"mobilenet_v3_small"``): ``(inverted_residual_setting, last_channel)``."""
    reduce_divider = 2 if reduced_tail else 1
    dilation = 2 if dilated else 1
    bneck_conf = partial(InvertedResidualConfig, width_mult=width_mult)
    adjust_channels = partial(
        InvertedResidualConfig.adjust_channels, width_mult=width_mult
    )
    rd = reduce_divider
    if arch == "mobilenet_v3_large":
        setting = [
            bneck_conf(16, 3, 16, 16, False, "RE", 1, 1),
            bneck_conf(16, 3, 64, 24, False, "RE", 2, 1),  # C1
            bneck_conf(24, 3, 72, 24, False, "RE", 1, 1),
            bneck_conf(24, 5, 72, 40, True, "RE", 2, 1),  # C2
            bneck_conf(40, 5, 120, 40, True, "RE", 1, 1),
            bneck_conf(40, 5, 120, 40, True, "RE", 1, 1),
            bneck_conf(40, 3, 240, 80, False, "HS", 2, 1),  # C3
            bneck_conf(80, 3, 200, 80, False, "HS", 1, 1),
            bneck_conf(80, 3, 184, 80, False, "HS", 1, 1),
            bneck_conf(80, 3, 184, 80, False, "HS", 1, 1),
            bneck_conf(80, 3, 480, 112, True, "HS", 1, 1),
            bneck_conf(112, 3, 672, 112, True, "HS", 1, 1),
            bneck_conf(112, 5, 672, 160 // rd, True, "HS", 2, dilation),  # C4
            bneck_conf(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dilation),
            bneck_conf(160 // rd, 5, 960 // rd, 160 // rd, True, "HS", 1, dilation),
        ]
        last_channel = adjust_channels(1280 // rd)  # C5
    elif arch == "mobilenet_v3_small":
        setting = [
            bneck_conf(16, 3, 16, 16, True, "RE", 2, 1),  # C1
            bneck_conf(16, 3, 72, 24, False, "RE", 2, 1),  # C2
            bneck_conf(24, 3, 88, 24, False, "RE", 1, 1),
            bneck_conf(24, 5, 96, 40, True, "HS", 2, 1),  # C3
            bneck_conf(40, 5, 240, 40, True, "HS", 1, 1),
            bneck_conf(40, 5, 240, 40, True, "HS", 1, 1),
            bneck_conf(40, 5, 120, 48, True, "HS", 1, 1),
            bneck_conf(48, 5, 144, 48, True, "HS", 1, 1),
            bneck_conf(48, 5, 288, 96 // rd, True, "HS", 2, dilation),  # C4
            bneck_conf(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dilation),
            bneck_conf(96 // rd, 5, 576 // rd, 96 // rd, True, "HS", 1, dilation),
        ]
        last_channel = adjust_channels(1024 // rd)  # C5
    else:
        raise ValueError(f"Unsupported model type `arch` {arch!r}.")
    return setting, last_channel


def mobilenet_v3_large(*, rngs: nnx.Rngs, **kwargs) -> MobileNetV3:
    """MobileNetV3-Large (5.5M parameters, 0.22 GMACs at 224x224).

    Args:
      rngs: ``nnx.Rngs``.
      **kwargs: ``width_mult``, ``reduced_tail``, ``dilated`` (configuration) and
        :class:`MobileNetV3`'s arguments.

    PyTorch parity: ``torchvision.models.mobilenet_v3_large(weights=None, **kwargs)``.
    """
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_large", **kwargs)
    return MobileNetV3(setting, last_channel, rngs=rngs, **kwargs)


def mobilenet_v3_small(*, rngs: nnx.Rngs, **kwargs) -> MobileNetV3:
    """MobileNetV3-Small (2.5M parameters, 0.06 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.mobilenet_v3_small(weights=None, **kwargs)``.
    """
    setting, last_channel = _mobilenet_v3_conf("mobilenet_v3_small", **kwargs)
    return MobileNetV3(setting, last_channel, rngs=rngs, **kwargs)
