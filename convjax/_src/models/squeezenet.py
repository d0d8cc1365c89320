"""SqueezeNet 1.0 / 1.1: a port of ``torchvision.models.squeezenet``."""

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src.models._utils import constant, modules_of, normal, set_param
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


class Fire(Module):
    """SqueezeNet's Fire module: a 1x1 squeeze conv, then 1x1 and 3x3 expand convs
    whose ReLU outputs are concatenated on the channel axis.

    PyTorch parity: ``torchvision.models.squeezenet.Fire``.
    """

    def __init__(
        self,
        inplanes: int,
        squeeze_planes: int,
        expand1x1_planes: int,
        expand3x3_planes: int,
        *,
        rngs: nnx.Rngs,
    ):
        self.inplanes = inplanes
        self.squeeze = _nn.Conv2d(inplanes, squeeze_planes, kernel_size=1, rngs=rngs)
        self.squeeze_activation = _nn.ReLU(inplace=True)
        self.expand1x1 = _nn.Conv2d(
            squeeze_planes, expand1x1_planes, kernel_size=1, rngs=rngs
        )
        self.expand1x1_activation = _nn.ReLU(inplace=True)
        self.expand3x3 = _nn.Conv2d(
            squeeze_planes, expand3x3_planes, kernel_size=3, padding=1, rngs=rngs
        )
        self.expand3x3_activation = _nn.ReLU(inplace=True)

    def __call__(self, x: Array) -> Array:
        x = self.squeeze_activation(self.squeeze(x))
        return jnp.concatenate(
            [
                self.expand1x1_activation(self.expand1x1(x)),
                self.expand3x3_activation(self.expand3x3(x)),
            ],
            axis=1,
        )


class SqueezeNet(Module):
    """SqueezeNet: ``features`` (convs, ceil-mode max pools, Fire modules) ->
    ``classifier`` (dropout, 1x1 conv to ``num_classes``, ReLU, global average pool).

    Args:
      version: ``"1_0"`` or ``"1_1"`` (2.4x fewer MACs, same accuracy).
      num_classes: output channels of the final conv.
      dropout: dropout probability before the final conv.
      rngs: ``nnx.Rngs`` (``params``: convs ``kaiming_uniform_``, the final conv
        ``N(0, 0.01)``, biases 0, as torchvision; ``dropout``).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.squeezenet1_1(rngs=nnx.Rngs(0)))
      >>> model.classifier[1].weight.shape
      (1000, 512, 1, 1)

    PyTorch parity: ``torchvision.models.SqueezeNet`` (arguments, state-dict keys,
    init).
    """

    def __init__(
        self,
        version: str = "1_0",
        num_classes: int = 1000,
        dropout: float = 0.5,
        *,
        rngs: nnx.Rngs,
    ):
        self.num_classes = num_classes
        conv, relu = _nn.Conv2d, _nn.ReLU

        def pool():
            return _nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)

        def fire(*planes):
            return Fire(*planes, rngs=rngs)

        if version == "1_0":
            self.features = _nn.Sequential(
                conv(3, 96, kernel_size=7, stride=2, rngs=rngs),
                relu(inplace=True),
                pool(),
                fire(96, 16, 64, 64),
                fire(128, 16, 64, 64),
                fire(128, 32, 128, 128),
                pool(),
                fire(256, 32, 128, 128),
                fire(256, 48, 192, 192),
                fire(384, 48, 192, 192),
                fire(384, 64, 256, 256),
                pool(),
                fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = _nn.Sequential(
                conv(3, 64, kernel_size=3, stride=2, rngs=rngs),
                relu(inplace=True),
                pool(),
                fire(64, 16, 64, 64),
                fire(128, 16, 64, 64),
                pool(),
                fire(128, 32, 128, 128),
                fire(256, 32, 128, 128),
                pool(),
                fire(256, 48, 192, 192),
                fire(384, 48, 192, 192),
                fire(384, 64, 256, 256),
                fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(
                f"Unsupported SqueezeNet `version` {version!r}: '1_0' or '1_1' expected."
            )
        final_conv = conv(512, self.num_classes, kernel_size=1, rngs=rngs)
        self.classifier = _nn.Sequential(
            _nn.Dropout(p=dropout, rngs=rngs),
            final_conv,
            relu(inplace=True),
            _nn.AdaptiveAvgPool2d((1, 1)),
        )
        for m in modules_of(self, _nn.Conv2d):
            if m is final_conv:
                set_param(m.weight, normal(0.0, 0.01), rngs.params())
            else:
                set_param(m.weight, init.kaiming_uniform(), rngs.params())
            if m.bias is not None:
                set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        x = self.classifier(self.features(x))
        return jnp.reshape(x, (x.shape[0], -1))


def squeezenet1_0(*, rngs: nnx.Rngs, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 (1.25M parameters, 0.82 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.squeezenet1_0(weights=None, **kwargs)``.
    """
    return SqueezeNet("1_0", rngs=rngs, **kwargs)


def squeezenet1_1(*, rngs: nnx.Rngs, **kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 (1.24M parameters, 0.35 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.squeezenet1_1(weights=None, **kwargs)``.
    """
    return SqueezeNet("1_1", rngs=rngs, **kwargs)
