"""ResNet, ResNeXt and Wide ResNet: a port of ``torchvision.models.resnet``.

Same constructors, attribute names (so state-dict keys), initialisation and forward
pass as torchvision 0.29; NCHW inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import cast

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src.models._utils import (
    check_data_format,
    constant,
    modules_of,
    overwrite_named_param,
    set_data_format,
    set_param,
)
from convjax._src.modules_conv import Conv2d, Module
from convjax._src.modules_misc import Linear
from convjax._src.modules_norm import BatchNorm2d, _BatchNorm
from convjax._src.modules_pool import AdaptiveAvgPool2d, MaxPool2d
from convjax._src.typing import Array


def conv3x3(
    in_planes: int,
    out_planes: int,
    stride: int = 1,
    groups: int = 1,
    dilation: int = 1,
    *,
    rngs: nnx.Rngs,
) -> Conv2d:
    """3x3 convolution with padding (torchvision's ``conv3x3``)."""
    return Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
        rngs=rngs,
    )


def conv1x1(in_planes: int, out_planes: int, stride: int = 1, *, rngs) -> Conv2d:
    """1x1 convolution (torchvision's ``conv1x1``)."""
    return Conv2d(
        in_planes, out_planes, kernel_size=1, stride=stride, bias=False, rngs=rngs
    )


class BasicBlock(Module):
    """Two 3x3 convs with a residual connection (ResNet-18/34).

    PyTorch parity: ``torchvision.models.resnet.BasicBlock``.
    """

    expansion: int = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: Callable | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if norm_layer is None:
            norm_layer = BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError(
                f"`BasicBlock` only supports `groups=1` and `base_width=64`, got "
                f"groups={groups}, base_width={base_width}."
            )
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride, rngs=rngs)
        self.bn1 = norm_layer(planes)
        self.relu = _nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, rngs=rngs)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def __call__(self, x: Array) -> Array:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(Module):
    """1x1, 3x3 (strided, grouped, dilated), 1x1 convs with a residual connection.

    The stride sits on the 3x3 conv (ResNet V1.5), as in torchvision.

    PyTorch parity: ``torchvision.models.resnet.Bottleneck``.
    """

    expansion: int = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: Callable | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
    ):
        if norm_layer is None:
            norm_layer = BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width, rngs=rngs)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation, rngs=rngs)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion, rngs=rngs)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = _nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def __call__(self, x: Array) -> Array:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class ResNet(Module):
    """ResNet (and ResNeXt / Wide ResNet via ``groups`` / ``width_per_group``).

    ``conv1`` (7x7, stride 2) -> ``bn1`` -> ReLU -> ``maxpool`` (3x3, stride 2) ->
    ``layer1..layer4`` (``layers[i]`` blocks each) -> ``avgpool`` -> ``fc``.

    Args:
      block: :class:`BasicBlock` or :class:`Bottleneck`.
      layers: number of blocks in each of the four stages.
      num_classes: outputs of ``fc``.
      zero_init_residual: zero-init the last norm layer of each residual branch.
      groups, width_per_group: ResNeXt's cardinality and width per group.
      replace_stride_with_dilation: three bools; dilate stages 2-4 instead of
        striding (used by segmentation backbones).
      norm_layer: called as ``norm_layer(num_features)``; default
        :class:`convjax.nn.BatchNorm2d`.
      rngs: ``nnx.Rngs``; the ``params`` stream initialises the weights.
      data_format: ``None``/``"NCHW"``, or ``"NHWC"`` for channels-last inputs
        ``(N, H, W, 3)``: the same parameters (PyTorch's layouts, so state dicts
        load unchanged) and logits, faster on CPU, where XLA's convolution works
        in NHWC and an NCHW network pays a transpose around every conv (resnet18
        train step at batch 32: 3.4 s -> 2.8 s, README "Benchmarks").

    Input ``(N, 3, H, W)`` (``(N, H, W, 3)`` with ``data_format="NHWC"``); output
    ``(N, num_classes)`` logits.

    Initialisation (torchvision's): convs ``kaiming_normal_(mode="fan_out",
    nonlinearity="relu")``, norm layers weight 1 and bias 0, ``fc`` PyTorch's
    ``Linear`` default.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.ResNet(
      ...     models.BasicBlock, [1, 1, 1, 1], num_classes=10, rngs=nnx.Rngs(0)))
      >>> model.fc.weight.shape, model.layer2[0].downsample[0].weight.shape
      ((10, 512), (128, 64, 1, 1))

    PyTorch parity: ``torchvision.models.ResNet`` (same arguments, state-dict keys,
    init scheme and logits); ``data_format="NHWC"`` plays the part of
    ``model.to(memory_format=torch.channels_last)``.
    """

    def __init__(
        self,
        block: type[BasicBlock | Bottleneck],
        layers: Sequence[int],
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        replace_stride_with_dilation: Sequence[bool] | None = None,
        norm_layer: Callable[..., nnx.Module] | None = None,
        *,
        rngs: nnx.Rngs,
        data_format: str | None = None,
    ):
        check_data_format(data_format, "ResNet")
        if norm_layer is None:
            norm_layer = BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "`replace_stride_with_dilation` should be None or a 3-element tuple, "
                f"got {replace_stride_with_dilation!r}."
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = Conv2d(
            3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False, rngs=rngs
        )
        self.bn1 = norm_layer(self.inplanes)
        self.relu = _nn.ReLU(inplace=True)
        self.maxpool = MaxPool2d(kernel_size=3, stride=2, padding=1)
        make = partial(self._make_layer, block, rngs=rngs)
        self.layer1 = make(64, layers[0])
        self.layer2 = make(128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = make(256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = make(512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc = Linear(512 * block.expansion, num_classes, rngs=rngs)

        for m in modules_of(self, Conv2d):
            set_param(
                m.weight,
                init.kaiming_normal(mode="fan_out", nonlinearity="relu"),
                rngs.params(),
            )
        for m in modules_of(self, _BatchNorm, nnx.GroupNorm):
            if getattr(m, "weight", None) is not None:
                set_param(m.weight, constant(1.0), None)
                set_param(m.bias, constant(0.0), None)
        if zero_init_residual:
            for m in modules_of(self, Bottleneck):
                if m.bn3.weight is not None:
                    set_param(m.bn3.weight, constant(0.0), None)
            for m in modules_of(self, BasicBlock):
                if m.bn2.weight is not None:
                    set_param(m.bn2.weight, constant(0.0), None)
        set_data_format(self, data_format, "ResNet")

    def _make_layer(
        self,
        block: type[BasicBlock | Bottleneck],
        planes: int,
        blocks: int,
        stride: int = 1,
        dilate: bool = False,
        *,
        rngs: nnx.Rngs,
    ) -> _nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = _nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride, rngs=rngs),
                norm_layer(planes * block.expansion),
            )
        layers = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
                norm_layer,
                rngs=rngs,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                    norm_layer=norm_layer,
                    rngs=rngs,
                )
            )
        return _nn.Sequential(*layers)

    def __call__(self, x: Array) -> Array:
        # return_indices=False: a single array
        x = cast(Array, self.maxpool(self.relu(self.bn1(self.conv1(x)))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        x = jnp.reshape(x, (x.shape[0], -1))
        return self.fc(x)


def _resnet(block, layers, *, rngs, **kwargs) -> ResNet:
    return ResNet(block, layers, rngs=rngs, **kwargs)


def resnet18(*, rngs: nnx.Rngs, **kwargs) -> ResNet:
    """ResNet-18 (11.7M parameters, 1.8 GMACs at 224x224).

    Args:
      rngs: ``nnx.Rngs`` for the initialisation.
      **kwargs: :class:`ResNet`'s arguments (``num_classes``, ``norm_layer``, ...).

    PyTorch parity: ``torchvision.models.resnet18(weights=None, **kwargs)``.
    """
    return _resnet(BasicBlock, [2, 2, 2, 2], rngs=rngs, **kwargs)


def resnet34(*, rngs: nnx.Rngs, **kwargs) -> ResNet:
    """ResNet-34 (21.8M parameters, 3.7 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.resnet34(weights=None, **kwargs)``.
    """
    return _resnet(BasicBlock, [3, 4, 6, 3], rngs=rngs, **kwargs)


def resnet50(*, rngs: nnx.Rngs, **kwargs) -> ResNet:
    """ResNet-50 (25.6M parameters, 4.1 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.resnet50(weights=None, **kwargs)``.
    """
    return _resnet(Bottleneck, [3, 4, 6, 3], rngs=rngs, **kwargs)


def resnext50_32x4d(*, rngs: nnx.Rngs, **kwargs) -> ResNet:
    """ResNeXt-50 32x4d: ResNet-50 with grouped 3x3 convs (32 groups of width 4).

    PyTorch parity: ``torchvision.models.resnext50_32x4d(weights=None, **kwargs)``
    (passing another ``groups``/``width_per_group`` raises, as there).
    """
    overwrite_named_param(kwargs, "groups", 32)
    overwrite_named_param(kwargs, "width_per_group", 4)
    return _resnet(Bottleneck, [3, 4, 6, 3], rngs=rngs, **kwargs)


def wide_resnet50_2(*, rngs: nnx.Rngs, **kwargs) -> ResNet:
    """Wide ResNet-50-2: ResNet-50 with twice the bottleneck width.

    PyTorch parity: ``torchvision.models.wide_resnet50_2(weights=None, **kwargs)``.
    """
    overwrite_named_param(kwargs, "width_per_group", 64 * 2)
    return _resnet(Bottleneck, [3, 4, 6, 3], rngs=rngs, **kwargs)
