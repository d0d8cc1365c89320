"""RegNet (RegNetY-400MF): a port of ``torchvision.models.regnet``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import jax.numpy as jnp
import numpy as np
from flax import nnx

from convjax import nn as _nn
from convjax._src.models._utils import (
    NamedSequential,
    constant,
    make_divisible,
    modules_of,
    normal,
    set_param,
)
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


class SimpleStemIN(_nn.Conv2dNormActivation):
    """Simple ImageNet stem: 3x3 stride-2 conv, norm, activation.

    PyTorch parity: ``torchvision.models.regnet.SimpleStemIN``.
    """

    def __init__(self, width_in, width_out, norm_layer, activation_layer, *, rngs):
        super().__init__(
            width_in,
            width_out,
            kernel_size=3,
            stride=2,
            norm_layer=norm_layer,
            activation_layer=activation_layer,
            rngs=rngs,
        )


class BottleneckTransform(NamedSequential):
    """1x1 (``a``), grouped 3x3 (``b``), optional squeeze-excitation (``se``),
    1x1 (``c``).

    PyTorch parity: ``torchvision.models.regnet.BottleneckTransform``.
    """

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Callable[..., nnx.Module],
        activation_layer: Callable[..., nnx.Module],
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None,
        *,
        rngs: nnx.Rngs,
    ):
        cna = partial(_nn.Conv2dNormActivation, norm_layer=norm_layer, rngs=rngs)
        layers: dict[str, Callable[..., Any]] = {}
        w_b = int(round(width_out * bottleneck_multiplier))
        g = w_b // group_width
        layers["a"] = cna(
            width_in, w_b, kernel_size=1, stride=1, activation_layer=activation_layer
        )
        layers["b"] = cna(
            w_b,
            w_b,
            kernel_size=3,
            stride=stride,
            groups=g,
            activation_layer=activation_layer,
        )
        if se_ratio:
            width_se_out = int(round(se_ratio * width_in))
            layers["se"] = _nn.SqueezeExcitation(
                input_channels=w_b,
                squeeze_channels=width_se_out,
                activation=activation_layer,
                rngs=rngs,
            )
        layers["c"] = cna(
            w_b, width_out, kernel_size=1, stride=1, activation_layer=None
        )
        super().__init__(layers)


class ResBottleneckBlock(Module):
    """Residual bottleneck block ``act(proj(x) + f(x))`` (``proj`` a strided 1x1
    conv + norm when the shape changes, else the identity).

    PyTorch parity: ``torchvision.models.regnet.ResBottleneckBlock``.
    """

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        norm_layer: Callable[..., nnx.Module],
        activation_layer: Callable[..., nnx.Module],
        group_width: int = 1,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        proj = None
        if (width_in != width_out) or (stride != 1):
            proj = _nn.Conv2dNormActivation(
                width_in,
                width_out,
                kernel_size=1,
                stride=stride,
                norm_layer=norm_layer,
                activation_layer=None,
                rngs=rngs,
            )
        self.proj = proj
        self.f = BottleneckTransform(
            width_in,
            width_out,
            stride,
            norm_layer,
            activation_layer,
            group_width,
            bottleneck_multiplier,
            se_ratio,
            rngs=rngs,
        )
        self.activation = activation_layer(inplace=True)

    def __call__(self, x: Array) -> Array:
        if self.proj is not None:
            x = self.proj(x) + self.f(x)
        else:
            x = x + self.f(x)
        return self.activation(x)


class AnyStage(NamedSequential):
    """A stage of ``depth`` blocks named ``block{stage_index}-{i}``.

    PyTorch parity: ``torchvision.models.regnet.AnyStage``.
    """

    def __init__(
        self,
        width_in: int,
        width_out: int,
        stride: int,
        depth: int,
        block_constructor: Callable[..., nnx.Module],
        norm_layer: Callable[..., nnx.Module],
        activation_layer: Callable[..., nnx.Module],
        group_width: int,
        bottleneck_multiplier: float,
        se_ratio: float | None = None,
        stage_index: int = 0,
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            {
                f"block{stage_index}-{i}": block_constructor(
                    width_in if i == 0 else width_out,
                    width_out,
                    stride if i == 0 else 1,
                    norm_layer,
                    activation_layer,
                    group_width,
                    bottleneck_multiplier,
                    se_ratio,
                    rngs=rngs,
                )
                for i in range(depth)
            }
        )


class BlockParams:
    """Per-stage RegNet settings (depths, widths, group widths, bottleneck
    multipliers, strides, squeeze-excitation ratio).

    PyTorch parity: ``torchvision.models.regnet.BlockParams`` (``from_init_params``
    computes in float32 as torch does).
    """

    def __init__(
        self,
        depths: Sequence[int],
        widths: Sequence[int],
        group_widths: Sequence[int],
        bottleneck_multipliers: Sequence[float],
        strides: Sequence[int],
        se_ratio: float | None = None,
    ):
        self.depths = list(depths)
        self.widths = list(widths)
        self.group_widths = list(group_widths)
        self.bottleneck_multipliers = list(bottleneck_multipliers)
        self.strides = list(strides)
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(
        cls,
        depth: int,
        w_0: int,
        w_a: float,
        w_m: float,
        group_width: int,
        bottleneck_multiplier: float = 1.0,
        se_ratio: float | None = None,
        **kwargs,
    ) -> BlockParams:
        """The quantized linear width rule of "Designing Network Design Spaces":
        ``log(width) = log(w_0) + w_m * capacity``, widths rounded to multiples
        of 8, consecutive equal widths grouped into stages."""
        quant, stride = 8, 2
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        f32 = np.float32
        widths_cont = np.arange(depth, dtype=f32) * f32(w_a) + f32(w_0)
        block_capacity = np.round(
            np.log(widths_cont / f32(w_0)) / f32(math.log(w_m))
        ).astype(f32)
        block_widths = (
            (
                np.round(f32(w_0) * np.power(f32(w_m), block_capacity) / f32(quant))
                * quant
            )
            .astype(np.int32)
            .tolist()
        )
        num_stages = len(set(block_widths))
        split_helper = zip(
            block_widths + [0],
            [0] + block_widths,
            block_widths + [0],
            [0] + block_widths,
            strict=True,
        )
        splits = [w != wp or r != rp for w, wp, r, rp in split_helper]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1], strict=True) if t]
        stage_depths = np.diff([d for d, t in enumerate(splits) if t]).tolist()
        strides = [stride] * num_stages
        bottleneck_multipliers = [bottleneck_multiplier] * num_stages
        group_widths = [group_width] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, bottleneck_multipliers, group_widths
        )
        return cls(
            depths=stage_depths,
            widths=stage_widths,
            group_widths=group_widths,
            bottleneck_multipliers=bottleneck_multipliers,
            strides=strides,
            se_ratio=se_ratio,
        )

    def _get_expanded_params(self):
        return zip(
            self.widths,
            self.strides,
            self.depths,
            self.group_widths,
            self.bottleneck_multipliers,
            strict=True,
        )

    @staticmethod
    def _adjust_widths_groups_compatibilty(
        stage_widths, bottleneck_ratios, group_widths
    ):
        widths = [
            int(w * b) for w, b in zip(stage_widths, bottleneck_ratios, strict=True)
        ]
        group_widths_min = [
            min(g, w) for g, w in zip(group_widths, widths, strict=True)
        ]
        ws_bot = [
            make_divisible(w, g) for w, g in zip(widths, group_widths_min, strict=True)
        ]
        stage_widths = [
            int(w / b) for w, b in zip(ws_bot, bottleneck_ratios, strict=True)
        ]
        return stage_widths, group_widths_min


class RegNet(Module):
    """RegNet ("Designing Network Design Spaces").

    ``stem`` -> ``trunk_output`` (``block1..blockK``, one :class:`AnyStage` per
    stage) -> ``avgpool`` -> ``fc``.

    Args:
      block_params: :class:`BlockParams`.
      num_classes: outputs.
      stem_width: stem channels.
      stem_type, block_type: classes (default :class:`SimpleStemIN`,
        :class:`ResBottleneckBlock`), called with ``rngs=``.
      norm_layer: default ``nn.BatchNorm2d``.
      activation: default ``nn.ReLU``.
      rngs: ``nnx.Rngs`` (``params``: convs ``N(0, 2/fan_out)``, batch norm 1/0,
        ``fc`` ``N(0, 0.01)`` with zero bias, as torchvision).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.regnet_y_400mf(rngs=nnx.Rngs(0)))
      >>> model.fc.weight.shape
      (1000, 440)

    PyTorch parity: ``torchvision.models.RegNet`` (arguments, state-dict keys,
    init).
    """

    def __init__(
        self,
        block_params: BlockParams,
        num_classes: int = 1000,
        stem_width: int = 32,
        stem_type: Callable[..., nnx.Module] | None = None,
        block_type: Callable[..., nnx.Module] | None = None,
        norm_layer: Callable[..., nnx.Module] | None = None,
        activation: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if stem_type is None:
            stem_type = SimpleStemIN
        if norm_layer is None:
            norm_layer = _nn.BatchNorm2d
        if block_type is None:
            block_type = ResBottleneckBlock
        if activation is None:
            activation = _nn.ReLU
        self.stem = stem_type(3, stem_width, norm_layer, activation, rngs=rngs)
        current_width = stem_width
        blocks = {}
        for i, (width_out, stride, depth, group_width, mult) in enumerate(
            block_params._get_expanded_params()
        ):
            blocks[f"block{i + 1}"] = AnyStage(
                current_width,
                width_out,
                stride,
                depth,
                block_type,
                norm_layer,
                activation,
                group_width,
                mult,
                block_params.se_ratio,
                stage_index=i + 1,
                rngs=rngs,
            )
            current_width = width_out
        self.trunk_output = NamedSequential(blocks)
        self.avgpool = _nn.AdaptiveAvgPool2d((1, 1))
        self.fc = _nn.Linear(
            in_features=current_width, out_features=num_classes, rngs=rngs
        )
        for m in modules_of(self, _nn.Conv2d):
            fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
            set_param(m.weight, normal(0.0, math.sqrt(2.0 / fan_out)), rngs.params())
        for m in modules_of(self, _nn.BatchNorm2d):
            if m.weight is not None:
                set_param(m.weight, constant(1.0), None)
                set_param(m.bias, constant(0.0), None)
        for m in modules_of(self, _nn.Linear):
            set_param(m.weight, normal(0.0, 0.01), rngs.params())
            set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(jnp.reshape(x, (x.shape[0], -1)))


def regnet_y_400mf(*, rngs: nnx.Rngs, **kwargs) -> RegNet:
    """RegNetY-400MF (4.3M parameters, 0.40 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.regnet_y_400mf(weights=None, **kwargs)``.
    """
    params = BlockParams.from_init_params(
        depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25, **kwargs
    )
    norm_layer = kwargs.pop(
        "norm_layer", partial(_nn.BatchNorm2d, eps=1e-05, momentum=0.1)
    )
    return RegNet(params, norm_layer=norm_layer, rngs=rngs, **kwargs)
