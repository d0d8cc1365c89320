"""DenseNet-BC: a port of ``torchvision.models.densenet``."""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
from flax import nnx

from convjax import init
from convjax import nn as _nn
from convjax._src import activations as _act
from convjax._src import pooling as _pool
from convjax._src.models._utils import (
    NamedSequential,
    constant,
    modules_of,
    set_param,
)
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


class _DenseLayer(Module):
    """BN-ReLU-1x1 conv (bottleneck) then BN-ReLU-3x3 conv giving ``growth_rate``
    new channels, with dropout ``drop_rate`` in training mode."""

    def __init__(
        self,
        num_input_features: int,
        growth_rate: int,
        bn_size: int,
        drop_rate: float,
        memory_efficient: bool = False,
        *,
        rngs: nnx.Rngs,
    ):
        self.norm1 = _nn.BatchNorm2d(num_input_features)
        self.relu1 = _nn.ReLU(inplace=True)
        self.conv1 = _nn.Conv2d(
            num_input_features,
            bn_size * growth_rate,
            kernel_size=1,
            stride=1,
            bias=False,
            rngs=rngs,
        )
        self.norm2 = _nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = _nn.ReLU(inplace=True)
        self.conv2 = _nn.Conv2d(
            bn_size * growth_rate,
            growth_rate,
            kernel_size=3,
            stride=1,
            padding=1,
            bias=False,
            rngs=rngs,
        )
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient
        # torchvision's functional dropout, as a module for its RNG stream
        self.dropout = (
            _nn.Dropout(p=self.drop_rate, rngs=rngs) if self.drop_rate > 0 else None
        )

    def bn_function(self, inputs: Sequence[Array]) -> Array:
        concated_features = jnp.concatenate(list(inputs), axis=1)
        return self.conv1(self.relu1(self.norm1(concated_features)))

    def __call__(self, input: Array | Sequence[Array]) -> Array:
        prev_features = [input] if isinstance(input, jnp.ndarray) else list(input)
        if self.memory_efficient:
            # torchvision checkpoints the bottleneck: recomputed in the backward pass
            bottleneck_output = nnx.remat(lambda m, xs: m.bn_function(xs))(
                self, prev_features
            )
        else:
            bottleneck_output = self.bn_function(prev_features)
        new_features = self.conv2(self.relu2(self.norm2(bottleneck_output)))
        if self.dropout is not None:  # drop_rate > 0
            new_features = self.dropout(new_features)
        return new_features


class _DenseBlock(NamedSequential):
    """``num_layers`` dense layers (``denselayer1``, ...), each fed the concatenation
    of the block input and every previous layer's output."""

    def __init__(
        self,
        num_layers: int,
        num_input_features: int,
        bn_size: int,
        growth_rate: int,
        drop_rate: float,
        memory_efficient: bool = False,
        *,
        rngs: nnx.Rngs,
    ):
        super().__init__(
            {
                f"denselayer{i + 1}": _DenseLayer(
                    num_input_features + i * growth_rate,
                    growth_rate=growth_rate,
                    bn_size=bn_size,
                    drop_rate=drop_rate,
                    memory_efficient=memory_efficient,
                    rngs=rngs,
                )
                for i in range(num_layers)
            }
        )

    def __call__(self, init_features: Array) -> Array:
        features = [init_features]
        for name in self.names:
            features.append(getattr(self, name)(features))
        return jnp.concatenate(features, axis=1)


class _Transition(NamedSequential):
    """BN-ReLU-1x1 conv-2x2 average pool between dense blocks."""

    def __init__(self, num_input_features: int, num_output_features: int, *, rngs):
        super().__init__(
            {
                "norm": _nn.BatchNorm2d(num_input_features),
                "relu": _nn.ReLU(inplace=True),
                "conv": _nn.Conv2d(
                    num_input_features,
                    num_output_features,
                    kernel_size=1,
                    stride=1,
                    bias=False,
                    rngs=rngs,
                ),
                "pool": _nn.AvgPool2d(kernel_size=2, stride=2),
            }
        )


class DenseNet(Module):
    """DenseNet-BC ("Densely Connected Convolutional Networks").

    ``features`` (``conv0``, ``norm0``, ``relu0``, ``pool0``, ``denseblock1``,
    ``transition1``, ..., ``denseblock4``, ``norm5``) -> ReLU -> global average
    pool -> ``classifier``.

    Args:
      growth_rate: channels each dense layer adds (``k``).
      block_config: dense layers per block.
      num_init_features: channels of the first conv.
      bn_size: bottleneck width factor (``bn_size * k`` channels).
      drop_rate: dropout after each dense layer (training mode).
      num_classes: outputs of ``classifier``.
      memory_efficient: recompute the bottlenecks in the backward pass
        (``nnx.remat``) instead of storing them.
      rngs: ``nnx.Rngs`` (``params``: convs ``kaiming_normal_``, batch norm 1/0,
        linear bias 0, as torchvision; ``dropout``).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.DenseNet(
      ...     8, (1, 1, 1, 1), 16, num_classes=3, rngs=nnx.Rngs(0)))
      >>> model.features.denseblock1.denselayer1.conv2.weight.shape
      (8, 32, 3, 3)

    PyTorch parity: ``torchvision.models.DenseNet`` (arguments, state-dict keys in
    the current format, init).
    """

    def __init__(
        self,
        growth_rate: int = 32,
        block_config: Sequence[int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        drop_rate: float = 0,
        num_classes: int = 1000,
        memory_efficient: bool = False,
        *,
        rngs: nnx.Rngs,
    ):
        self.features = NamedSequential(
            {
                "conv0": _nn.Conv2d(
                    3,
                    num_init_features,
                    kernel_size=7,
                    stride=2,
                    padding=3,
                    bias=False,
                    rngs=rngs,
                ),
                "norm0": _nn.BatchNorm2d(num_init_features),
                "relu0": _nn.ReLU(inplace=True),
                "pool0": _nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            }
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(
                num_layers=num_layers,
                num_input_features=num_features,
                bn_size=bn_size,
                growth_rate=growth_rate,
                drop_rate=drop_rate,
                memory_efficient=memory_efficient,
                rngs=rngs,
            )
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_features, num_features // 2, rngs=rngs)
                self.features.add_module(f"transition{i + 1}", trans)
                num_features = num_features // 2
        self.features.add_module("norm5", _nn.BatchNorm2d(num_features))
        self.classifier = _nn.Linear(num_features, num_classes, rngs=rngs)

        for m in modules_of(self, _nn.Conv2d):
            set_param(m.weight, init.kaiming_normal(), rngs.params())
        for m in modules_of(self, _nn.BatchNorm2d):
            set_param(m.weight, constant(1.0), None)
            set_param(m.bias, constant(0.0), None)
        for m in modules_of(self, _nn.Linear):
            set_param(m.bias, constant(0.0), None)

    def __call__(self, x: Array) -> Array:
        out = _act.relu(self.features(x))
        out = _pool.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(jnp.reshape(out, (out.shape[0], -1)))


def densenet121(*, rngs: nnx.Rngs, **kwargs) -> DenseNet:
    """DenseNet-121 (8.0M parameters, 2.9 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.densenet121(weights=None, **kwargs)``.
    """
    return DenseNet(32, (6, 12, 24, 16), 64, rngs=rngs, **kwargs)
