"""VGG and AlexNet: ports of ``torchvision.models.vgg`` and ``.alexnet``."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src.models._utils import constant, modules_of, normal, set_param
from convjax._src.modules_conv import Module
from convjax._src.typing import Array

cfgs: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        "M",
    ],  # fmt: skip
    "E": [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
        "M",
    ],  # fmt: skip
}


def _flatten(x: Array) -> Array:
    return jnp.reshape(x, (x.shape[0], -1))


def make_layers(
    cfg: Sequence[int | str], batch_norm: bool = False, *, rngs: nnx.Rngs
) -> _nn.Sequential:
    """VGG's feature extractor from a config list: ints are 3x3 convs (padding 1,
    then batch norm when ``batch_norm``, then ReLU), ``"M"`` a 2x2 max pool.

    PyTorch parity: ``torchvision.models.vgg.make_layers``.
    """
    layers: list = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(_nn.MaxPool2d(kernel_size=2, stride=2))
        elif isinstance(v, str):
            raise ValueError(f"`cfg` entries must be channel counts or 'M', got {v!r}")
        else:
            conv2d = _nn.Conv2d(in_channels, v, kernel_size=3, padding=1, rngs=rngs)
            if batch_norm:
                layers += [conv2d, _nn.BatchNorm2d(v), _nn.ReLU(inplace=True)]
            else:
                layers += [conv2d, _nn.ReLU(inplace=True)]
            in_channels = v
    return _nn.Sequential(*layers)


class VGG(Module):
    """VGG: ``features`` -> ``avgpool`` (adaptive, 7x7) -> ``classifier`` (three
    linear layers with ReLU and dropout).

    Args:
      features: the conv stack, e.g. :func:`make_layers` (must end in 512 channels).
      num_classes: outputs of the last linear layer.
      init_weights: torchvision's init (convs ``kaiming_normal_(mode="fan_out")``
        with zero bias, batch norm 1/0, linears ``N(0, 0.01)`` with zero bias);
        otherwise PyTorch's layer defaults.
      dropout: dropout probability of the classifier.
      rngs: ``nnx.Rngs``: ``params`` for the init, ``dropout`` for the dropout
        layers' own streams.

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.VGG(
      ...     models.vgg.make_layers([8, "M", 512], rngs=nnx.Rngs(0)), num_classes=3,
      ...     rngs=nnx.Rngs(0)))
      >>> model.features[3].weight.shape, model.classifier[6].weight.shape
      ((512, 8, 3, 3), (3, 4096))

    PyTorch parity: ``torchvision.models.VGG`` (arguments, state-dict keys, init).
    """

    def __init__(
        self,
        features: nnx.Module,
        num_classes: int = 1000,
        init_weights: bool = True,
        dropout: float = 0.5,
        *,
        rngs: nnx.Rngs,
    ):
        self.features = features
        self.avgpool = _nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = _nn.Sequential(
            _nn.Linear(512 * 7 * 7, 4096, rngs=rngs),
            _nn.ReLU(True),
            _nn.Dropout(p=dropout, rngs=rngs),
            _nn.Linear(4096, 4096, rngs=rngs),
            _nn.ReLU(True),
            _nn.Dropout(p=dropout, rngs=rngs),
            _nn.Linear(4096, num_classes, rngs=rngs),
        )
        if init_weights:
            for m in modules_of(self, _nn.Conv2d):
                set_param(
                    m.weight,
                    init.kaiming_normal(mode="fan_out", nonlinearity="relu"),
                    rngs.params(),
                )
                if m.bias is not None:
                    set_param(m.bias, constant(0.0), None)
            for m in modules_of(self, _nn.BatchNorm2d):
                set_param(m.weight, constant(1.0), None)
                set_param(m.bias, constant(0.0), None)
            for m in modules_of(self, _nn.Linear):
                set_param(m.weight, normal(0.0, 0.01), rngs.params())
                set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        x = self.avgpool(self.features(x))
        return self.classifier(_flatten(x))


def vgg11_bn(*, rngs: nnx.Rngs, **kwargs) -> VGG:
    """VGG-11 with batch norm (132.9M parameters, 7.6 GMACs at 224x224).

    Args:
      rngs: ``nnx.Rngs`` for the init and dropout.
      **kwargs: :class:`VGG`'s arguments (``num_classes``, ``dropout``, ...).

    PyTorch parity: ``torchvision.models.vgg11_bn(weights=None, **kwargs)``.
    """
    return VGG(make_layers(cfgs["A"], batch_norm=True, rngs=rngs), rngs=rngs, **kwargs)


class AlexNet(Module):
    """AlexNet (the one-GPU variant of "One weird trick"), as torchvision's.

    Args:
      num_classes: outputs of the last linear layer.
      dropout: dropout probability of the classifier.
      rngs: ``nnx.Rngs`` (``params``: PyTorch's default layer init; ``dropout``).

    Input ``(N, 3, H, W)`` with ``H, W >= 63``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.alexnet(num_classes=10, rngs=nnx.Rngs(0)))
      >>> model.classifier[6].weight.shape
      (10, 4096)

    PyTorch parity: ``torchvision.models.AlexNet`` (arguments, state-dict keys, init).
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, *, rngs):
        conv = _nn.Conv2d
        self.features = _nn.Sequential(
            conv(3, 64, kernel_size=11, stride=4, padding=2, rngs=rngs),
            _nn.ReLU(inplace=True),
            _nn.MaxPool2d(kernel_size=3, stride=2),
            conv(64, 192, kernel_size=5, padding=2, rngs=rngs),
            _nn.ReLU(inplace=True),
            _nn.MaxPool2d(kernel_size=3, stride=2),
            conv(192, 384, kernel_size=3, padding=1, rngs=rngs),
            _nn.ReLU(inplace=True),
            conv(384, 256, kernel_size=3, padding=1, rngs=rngs),
            _nn.ReLU(inplace=True),
            conv(256, 256, kernel_size=3, padding=1, rngs=rngs),
            _nn.ReLU(inplace=True),
            _nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = _nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = _nn.Sequential(
            _nn.Dropout(p=dropout, rngs=rngs),
            _nn.Linear(256 * 6 * 6, 4096, rngs=rngs),
            _nn.ReLU(inplace=True),
            _nn.Dropout(p=dropout, rngs=rngs),
            _nn.Linear(4096, 4096, rngs=rngs),
            _nn.ReLU(inplace=True),
            _nn.Linear(4096, num_classes, rngs=rngs),
        )

    def __call__(self, x: Array) -> Array:
        x = self.avgpool(self.features(x))
        return self.classifier(_flatten(x))


def alexnet(*, rngs: nnx.Rngs, **kwargs) -> AlexNet:
    """AlexNet (61.1M parameters, 0.71 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.alexnet(weights=None, **kwargs)``.
    """
    return AlexNet(rngs=rngs, **kwargs)
