"""ShuffleNetV2: a port of ``torchvision.models.shufflenetv2``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import jax.numpy as jnp
from flax import nnx

from convjax import functional as _F
from convjax import nn as _nn
from convjax._src.modules_conv import Module
from convjax._src.typing import Array


class ShuffleInvertedResidual(Module):
    """ShuffleNetV2 unit: split (stride 1) or duplicate (stride > 1) the channels,
    run the branches, concatenate, shuffle the channels in 2 groups.

    PyTorch parity: ``torchvision.models.shufflenetv2.InvertedResidual``.
    """

    def __init__(self, inp: int, oup: int, stride: int, *, rngs: nnx.Rngs):
        if not (1 <= stride <= 3):
            raise ValueError(f"illegal stride value {stride}")
        self.stride = stride
        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(
                f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                "values. If stride == 1 then inp should be equal to oup // 2 << 1."
            )
        conv, bn, relu = _nn.Conv2d, _nn.BatchNorm2d, _nn.ReLU

        def depthwise_conv(i, o, kernel_size, stride=1, padding=0, bias=False):
            return conv(
                i, o, kernel_size, stride, padding, bias=bias, groups=i, rngs=rngs
            )

        if self.stride > 1:
            self.branch1 = _nn.Sequential(
                depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                bn(inp),
                conv(inp, branch_features, 1, 1, 0, bias=False, rngs=rngs),
                bn(branch_features),
                relu(inplace=True),
            )
        else:
            self.branch1 = _nn.Sequential()
        self.branch2 = _nn.Sequential(
            conv(
                inp if (self.stride > 1) else branch_features,
                branch_features,
                1,
                1,
                0,
                bias=False,
                rngs=rngs,
            ),
            bn(branch_features),
            relu(inplace=True),
            depthwise_conv(
                branch_features,
                branch_features,
                kernel_size=3,
                stride=self.stride,
                padding=1,
            ),
            bn(branch_features),
            conv(branch_features, branch_features, 1, 1, 0, bias=False, rngs=rngs),
            bn(branch_features),
            relu(inplace=True),
        )

    def __call__(self, x: Array) -> Array:
        if self.stride == 1:
            x1, x2 = jnp.split(x, 2, axis=1)
            out = jnp.concatenate((x1, self.branch2(x2)), axis=1)
        else:
            out = jnp.concatenate((self.branch1(x), self.branch2(x)), axis=1)
        return _F.channel_shuffle(out, 2)


class ShuffleNetV2(Module):
    """ShuffleNetV2 ("Practical Guidelines for Efficient CNN Architecture Design").

    ``conv1`` -> ``maxpool`` -> ``stage2..stage4`` -> ``conv5`` -> spatial mean ->
    ``fc``.

    Args:
      stages_repeats: units in stages 2-4 (three ints).
      stages_out_channels: widths of conv1, stages 2-4 and conv5 (five ints).
      num_classes: outputs.
      inverted_residual: unit class, called as ``(inp, oup, stride, rngs=...)``.
      rngs: ``nnx.Rngs`` (PyTorch's default layer init, as torchvision).

    Input ``(N, 3, H, W)``; output ``(N, num_classes)``.

    Examples:
      >>> from flax import nnx
      >>> from convjax import models
      >>> model = nnx.eval_shape(lambda: models.shufflenet_v2_x1_0(rngs=nnx.Rngs(0)))
      >>> model.stage2[0].branch1[0].weight.shape
      (24, 1, 3, 3)

    PyTorch parity: ``torchvision.models.ShuffleNetV2`` (arguments, state-dict
    keys, init).
    """

    # set with setattr in a loop over the stage names
    stage2: _nn.Sequential
    stage3: _nn.Sequential
    stage4: _nn.Sequential

    def __init__(
        self,
        stages_repeats: Sequence[int],
        stages_out_channels: Sequence[int],
        num_classes: int = 1000,
        inverted_residual: Callable[..., nnx.Module] = ShuffleInvertedResidual,
        *,
        rngs: nnx.Rngs,
    ):
        if len(stages_repeats) != 3:
            raise ValueError(
                "expected `stages_repeats` as list of 3 positive ints, got "
                f"{stages_repeats!r}"
            )
        if len(stages_out_channels) != 5:
            raise ValueError(
                "expected `stages_out_channels` as list of 5 positive ints, got "
                f"{stages_out_channels!r}"
            )
        self._stage_out_channels = list(stages_out_channels)
        input_channels = 3
        output_channels = self._stage_out_channels[0]
        self.conv1 = _nn.Sequential(
            _nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False, rngs=rngs),
            _nn.BatchNorm2d(output_channels),
            _nn.ReLU(inplace=True),
        )
        input_channels = output_channels
        self.maxpool = _nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        stage_names = [f"stage{i}" for i in [2, 3, 4]]
        for name, repeats, output_channels in zip(
            stage_names, stages_repeats, self._stage_out_channels[1:], strict=False
        ):
            seq = [inverted_residual(input_channels, output_channels, 2, rngs=rngs)]
            for _ in range(repeats - 1):
                seq.append(
                    inverted_residual(output_channels, output_channels, 1, rngs=rngs)
                )
            setattr(self, name, _nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = self._stage_out_channels[-1]
        self.conv5 = _nn.Sequential(
            _nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False, rngs=rngs),
            _nn.BatchNorm2d(output_channels),
            _nn.ReLU(inplace=True),
        )
        self.fc = _nn.Linear(output_channels, num_classes, rngs=rngs)

    def __call__(self, x: Array) -> Array:
        # return_indices=False: a single array
        x = cast(Array, self.maxpool(self.conv1(x)))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = self.conv5(x)
        x = jnp.mean(x, axis=(2, 3))  # globalpool
        return self.fc(x)


def shufflenet_v2_x1_0(*, rngs: nnx.Rngs, **kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 1.0x (2.3M parameters, 0.15 GMACs at 224x224).

    PyTorch parity: ``torchvision.models.shufflenet_v2_x1_0(weights=None, **kwargs)``.
    """
    return ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], rngs=rngs, **kwargs)
