"""Semantic segmentation: FCN and DeepLabV3, ports of
``torchvision.models.segmentation.fcn`` and ``.deeplabv3``.

The models return a dict like torchvision's: ``"out"`` (and ``"aux"`` with
``aux_loss``), logits ``(N, num_classes, H, W)`` upsampled bilinearly
(``align_corners=False``) back to the input size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flax import nnx

from convjax import nn as _nn
from convjax._src import resample as _resample
from convjax._src.models._utils import IntermediateLayerGetter
from convjax._src.models.mobilenet import MobileNetV3, mobilenet_v3_large
from convjax._src.models.resnet import ResNet, resnet50
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


def _upsample(x: Array, size) -> Array:
    return _resample.interpolate(x, size=size, mode="bilinear", align_corners=False)


class _SimpleSegmentationModel(Module):
    """``backbone`` (an :class:`IntermediateLayerGetter`) -> ``classifier`` on its
    ``"out"`` features (and ``aux_classifier`` on ``"aux"``), upsampled to the
    input size."""

    def __init__(
        self,
        backbone: nnx.Module,
        classifier: nnx.Module,
        aux_classifier: nnx.Module | None = None,
    ):
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def __call__(self, x: Array) -> dict[str, Array]:
        input_shape = x.shape[-2:]
        features = self.backbone(x)
        result = {"out": _upsample(self.classifier(features["out"]), input_shape)}
        if self.aux_classifier is not None:
            aux = self.aux_classifier(features["aux"])
            result["aux"] = _upsample(aux, input_shape)
        return result


class FCN(_SimpleSegmentationModel):
    """Fully-Convolutional Network ("Fully Convolutional Networks for Semantic
    Segmentation").

    Args:
      backbone: returns a dict with ``"out"`` (and ``"aux"``) features.
      classifier: head on ``"out"`` (e.g. :class:`FCNHead`).
      aux_classifier: head on ``"aux"``, or ``None``.

    Input ``(N, 3, H, W)``; output ``{"out": (N, K, H, W)[, "aux": ...]}``.

    PyTorch parity: ``torchvision.models.segmentation.FCN``.
    """


class FCNHead(_nn.Sequential):
    """3x3 conv to ``in_channels // 4``, batch norm, ReLU, dropout 0.1, 1x1 conv to
    ``channels``.

    PyTorch parity: ``torchvision.models.segmentation.fcn.FCNHead``.
    """

    def __init__(self, in_channels: int, channels: int, *, rngs: nnx.Rngs):
        inter_channels = in_channels // 4
        super().__init__(
            _nn.Conv2d(
                in_channels, inter_channels, 3, padding=1, bias=False, rngs=rngs
            ),
            _nn.BatchNorm2d(inter_channels),
            _nn.ReLU(),
            _nn.Dropout(0.1, rngs=rngs),
            _nn.Conv2d(inter_channels, channels, 1, rngs=rngs),
        )


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3 ("Rethinking Atrous Convolution for Semantic Image Segmentation").

    Args:
      backbone: returns a dict with ``"out"`` (and ``"aux"``) features.
      classifier: head on ``"out"`` (e.g. :class:`DeepLabHead`).
      aux_classifier: head on ``"aux"``, or ``None``.

    Input ``(N, 3, H, W)``; output ``{"out": (N, K, H, W)[, "aux": ...]}``.

    PyTorch parity: ``torchvision.models.segmentation.DeepLabV3``.
    """


class ASPPConv(_nn.Sequential):
    """Dilated 3x3 conv, batch norm, ReLU (one ASPP branch)."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int, *, rngs):
        super().__init__(
            _nn.Conv2d(
                in_channels,
                out_channels,
                3,
                padding=dilation,
                dilation=dilation,
                bias=False,
                rngs=rngs,
            ),
            _nn.BatchNorm2d(out_channels),
            _nn.ReLU(),
        )


class ASPPPooling(_nn.Sequential):
    """Image-level ASPP branch: global average pool, 1x1 conv, batch norm, ReLU,
    bilinear upsampling back to the input size."""

    def __init__(self, in_channels: int, out_channels: int, *, rngs):
        super().__init__(
            _nn.AdaptiveAvgPool2d(1),
            _nn.Conv2d(in_channels, out_channels, 1, bias=False, rngs=rngs),
            _nn.BatchNorm2d(out_channels),
            _nn.ReLU(),
        )

    # one input, as torchvision's forward; nnx.Sequential's catch-all
    # (*args, rngs, **kwargs) signature admits no narrower override
    def __call__(self, x: Array) -> Array:  # type: ignore[override]
        return _upsample(super().__call__(x), x.shape[-2:])


class ASPP(Module):
    """Atrous spatial pyramid pooling: a 1x1 branch, one :class:`ASPPConv` per
    rate and :class:`ASPPPooling`, concatenated and projected (1x1 conv, batch
    norm, ReLU, dropout 0.5).

    PyTorch parity: ``torchvision.models.segmentation.deeplabv3.ASPP``.
    """

    def __init__(
        self,
        in_channels: int,
        atrous_rates: Sequence[int],
        out_channels: int = 256,
        *,
        rngs: nnx.Rngs,
    ):
        modules = [
            _nn.Sequential(
                _nn.Conv2d(in_channels, out_channels, 1, bias=False, rngs=rngs),
                _nn.BatchNorm2d(out_channels),
                _nn.ReLU(),
            )
        ]
        for rate in tuple(atrous_rates):
            modules.append(ASPPConv(in_channels, out_channels, rate, rngs=rngs))
        modules.append(ASPPPooling(in_channels, out_channels, rngs=rngs))
        self.convs = nnx.List(modules)
        self.project = _nn.Sequential(
            _nn.Conv2d(
                len(self.convs) * out_channels, out_channels, 1, bias=False, rngs=rngs
            ),
            _nn.BatchNorm2d(out_channels),
            _nn.ReLU(),
            _nn.Dropout(0.5, rngs=rngs),
        )

    def __call__(self, x: Array) -> Array:
        import jax.numpy as jnp

        res = jnp.concatenate([conv(x) for conv in self.convs], axis=1)
        return self.project(res)


class DeepLabHead(_nn.Sequential):
    """:class:`ASPP`, 3x3 conv, batch norm, ReLU, 1x1 conv to ``num_classes``.

    PyTorch parity: ``torchvision.models.segmentation.deeplabv3.DeepLabHead``.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        atrous_rates: Sequence[int] = (12, 24, 36),
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            ASPP(in_channels, atrous_rates, rngs=rngs),
            _nn.Conv2d(256, 256, 3, padding=1, bias=False, rngs=rngs),
            _nn.BatchNorm2d(256),
            _nn.ReLU(),
            _nn.Conv2d(256, num_classes, 1, rngs=rngs),
        )


def _children(module: nnx.Module) -> dict[str, Callable[..., Any]]:
    """A model's direct submodules by torchvision name, in definition order."""
    if isinstance(module, nnx.Sequential):
        return {str(i): layer for i, layer in enumerate(module.layers)}
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, nnx.Module)
    }


def _fcn_resnet(
    backbone: ResNet, num_classes: int, aux: bool | None, *, rngs: nnx.Rngs
) -> FCN:
    """torchvision's ``_fcn_resnet``: FCN heads on ``layer4`` (2048 channels) and
    ``layer3`` (1024, auxiliary) of a (dilated) ResNet."""
    return_layers = {"layer4": "out"}
    if aux:
        return_layers["layer3"] = "aux"
    children = _children(backbone)
    last = max(list(children).index(name) for name in return_layers)
    layers = dict(list(children.items())[: last + 1])
    getter = IntermediateLayerGetter(layers, return_layers)
    aux_classifier = FCNHead(1024, num_classes, rngs=rngs) if aux else None
    classifier = FCNHead(2048, num_classes, rngs=rngs)
    return FCN(getter, classifier, aux_classifier)


def _deeplabv3_mobilenetv3(
    backbone: MobileNetV3, num_classes: int, aux: bool | None, *, rngs: nnx.Rngs
) -> DeepLabV3:
    """torchvision's ``_deeplabv3_mobilenetv3``: a DeepLab head on the last stage
    (C5, output stride 16 when dilated) and an FCN head on C2 (stride 8)."""
    features = backbone.features
    stage_indices = (
        [0]
        + [i for i, b in enumerate(features) if getattr(b, "_is_cn", False)]
        + [len(features) - 1]
    )
    out_pos = stage_indices[-1]
    out_inplanes = features[out_pos].out_channels
    aux_pos = stage_indices[-4]
    aux_inplanes = features[aux_pos].out_channels
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    last = max(int(k) for k in return_layers)
    layers = {str(i): features[i] for i in range(last + 1)}
    getter = IntermediateLayerGetter(layers, return_layers)
    aux_classifier = FCNHead(aux_inplanes, num_classes, rngs=rngs) if aux else None
    classifier = DeepLabHead(out_inplanes, num_classes, rngs=rngs)
    return DeepLabV3(getter, classifier, aux_classifier)


def fcn_resnet50(
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    rngs: nnx.Rngs,
    **kwargs,
) -> FCN:
    """FCN with a dilated ResNet-50 backbone (35.3M parameters with ``aux_loss``).

    Args:
      num_classes: output classes (default 21, as torchvision).
      aux_loss: add the auxiliary FCN head on ``layer3`` (output ``"aux"``).
      rngs: ``nnx.Rngs``.
      **kwargs: passed to :func:`resnet50` (``norm_layer``, ...).

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.fcn_resnet50(aux_loss=True, rngs=nnx.Rngs(0)))
      >>> model.classifier[4].weight.shape, model.aux_classifier[0].weight.shape
      ((21, 512, 1, 1), (256, 1024, 3, 3))

    PyTorch parity: ``torchvision.models.segmentation.fcn_resnet50(weights=None,
    weights_backbone=None, ...)``.
    """
    if num_classes is None:
        num_classes = 21
    backbone = resnet50(
        replace_stride_with_dilation=[False, True, True], rngs=rngs, **kwargs
    )
    return _fcn_resnet(backbone, num_classes, aux_loss, rngs=rngs)


def deeplabv3_mobilenet_v3_large(
    *,
    num_classes: int | None = None,
    aux_loss: bool | None = None,
    rngs: nnx.Rngs,
    **kwargs,
) -> DeepLabV3:
    """DeepLabV3 with a dilated MobileNetV3-Large backbone (11.0M parameters with
    ``aux_loss``).

    Args:
      num_classes: output classes (default 21, as torchvision).
      aux_loss: add the auxiliary FCN head on C2 (output ``"aux"``).
      rngs: ``nnx.Rngs``.
      **kwargs: passed to :func:`mobilenet_v3_large`.

    PyTorch parity: ``torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
    weights=None, weights_backbone=None, ...)``.
    """
    if num_classes is None:
        num_classes = 21
    backbone = mobilenet_v3_large(dilated=True, rngs=rngs, **kwargs)
    return _deeplabv3_mobilenetv3(backbone, num_classes, aux_loss, rngs=rngs)
