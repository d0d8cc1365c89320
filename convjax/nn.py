"""Flax NNX modules with PyTorch's names, arguments, layouts and default init.

``from convjax import nn``. Each module holds its parameters (``nnx.Param``) and
buffers (``nnx.BatchStat``) under PyTorch's attribute names and calls the functional
API; ``model.train()`` / ``model.eval()`` (which return the model) switch batch norm,
dropout and the other random layers.
A PyTorch ``state_dict`` loads with :func:`convjax.interop.load_torch_state_dict`.
"""

from convjax._src.modules_act import CELU as CELU
from convjax._src.modules_act import ELU as ELU
from convjax._src.modules_act import GELU as GELU
from convjax._src.modules_act import GLU as GLU
from convjax._src.modules_act import SELU as SELU
from convjax._src.modules_act import Hardshrink as Hardshrink
from convjax._src.modules_act import Hardsigmoid as Hardsigmoid
from convjax._src.modules_act import Hardswish as Hardswish
from convjax._src.modules_act import Hardtanh as Hardtanh
from convjax._src.modules_act import LeakyReLU as LeakyReLU
from convjax._src.modules_act import LogSigmoid as LogSigmoid
from convjax._src.modules_act import LogSoftmax as LogSoftmax
from convjax._src.modules_act import Mish as Mish
from convjax._src.modules_act import PReLU as PReLU
from convjax._src.modules_act import RReLU as RReLU
from convjax._src.modules_act import Sigmoid as Sigmoid
from convjax._src.modules_act import SiLU as SiLU
from convjax._src.modules_act import Softmax as Softmax
from convjax._src.modules_act import Softmin as Softmin
from convjax._src.modules_act import Softplus as Softplus
from convjax._src.modules_act import Softshrink as Softshrink
from convjax._src.modules_act import Softsign as Softsign
from convjax._src.modules_act import Tanh as Tanh
from convjax._src.modules_act import Tanhshrink as Tanhshrink
from convjax._src.modules_act import Threshold as Threshold
from convjax._src.modules_blocks import ChannelShuffle as ChannelShuffle
from convjax._src.modules_blocks import Conv2dNormActivation as Conv2dNormActivation
from convjax._src.modules_blocks import Conv3dNormActivation as Conv3dNormActivation
from convjax._src.modules_blocks import Sequential as Sequential
from convjax._src.modules_blocks import SqueezeExcitation as SqueezeExcitation
from convjax._src.modules_conv import Conv1d as Conv1d
from convjax._src.modules_conv import Conv2d as Conv2d
from convjax._src.modules_conv import Conv3d as Conv3d
from convjax._src.modules_conv import ConvTranspose1d as ConvTranspose1d
from convjax._src.modules_conv import ConvTranspose2d as ConvTranspose2d
from convjax._src.modules_conv import ConvTranspose3d as ConvTranspose3d
from convjax._src.modules_conv import SeparableConv2d as SeparableConv2d
from convjax._src.modules_dropout import Dropout as Dropout
from convjax._src.modules_dropout import Dropout1d as Dropout1d
from convjax._src.modules_dropout import Dropout2d as Dropout2d
from convjax._src.modules_dropout import Dropout3d as Dropout3d
from convjax._src.modules_dropout import StochasticDepth as StochasticDepth
from convjax._src.modules_misc import ColorJitter as ColorJitter
from convjax._src.modules_misc import Flatten as Flatten
from convjax._src.modules_misc import Identity as Identity
from convjax._src.modules_misc import Linear as Linear
from convjax._src.modules_misc import PixelShuffle as PixelShuffle
from convjax._src.modules_misc import PixelUnshuffle as PixelUnshuffle
from convjax._src.modules_misc import ReLU as ReLU
from convjax._src.modules_misc import ReLU6 as ReLU6
from convjax._src.modules_misc import Upsample as Upsample
from convjax._src.modules_norm import BatchNorm1d as BatchNorm1d
from convjax._src.modules_norm import BatchNorm2d as BatchNorm2d
from convjax._src.modules_norm import BatchNorm3d as BatchNorm3d
from convjax._src.modules_norm import GroupNorm as GroupNorm
from convjax._src.modules_norm import InstanceNorm1d as InstanceNorm1d
from convjax._src.modules_norm import InstanceNorm2d as InstanceNorm2d
from convjax._src.modules_norm import InstanceNorm3d as InstanceNorm3d
from convjax._src.modules_norm import LayerNorm as LayerNorm
from convjax._src.modules_norm import LayerNorm2d as LayerNorm2d
from convjax._src.modules_norm import LocalResponseNorm as LocalResponseNorm
from convjax._src.modules_norm import SyncBatchNorm as SyncBatchNorm
from convjax._src.modules_pool import AdaptiveAvgPool1d as AdaptiveAvgPool1d
from convjax._src.modules_pool import AdaptiveAvgPool2d as AdaptiveAvgPool2d
from convjax._src.modules_pool import AdaptiveAvgPool3d as AdaptiveAvgPool3d
from convjax._src.modules_pool import AdaptiveMaxPool1d as AdaptiveMaxPool1d
from convjax._src.modules_pool import AdaptiveMaxPool2d as AdaptiveMaxPool2d
from convjax._src.modules_pool import AdaptiveMaxPool3d as AdaptiveMaxPool3d
from convjax._src.modules_pool import AvgPool1d as AvgPool1d
from convjax._src.modules_pool import AvgPool2d as AvgPool2d
from convjax._src.modules_pool import AvgPool3d as AvgPool3d
from convjax._src.modules_pool import MaxPool1d as MaxPool1d
from convjax._src.modules_pool import MaxPool2d as MaxPool2d
from convjax._src.modules_pool import MaxPool3d as MaxPool3d

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "ColorJitter",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Flatten",
    "Identity",
    "Linear",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "PixelShuffle",
    "PixelUnshuffle",
    "ReLU",
    "ReLU6",
    "SeparableConv2d",
    "SyncBatchNorm",
    "Upsample",
    # Activations.
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "PReLU",
    "RReLU",
    "SELU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    # Dropout and stochastic depth.
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "StochasticDepth",
    # Normalization.
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "LayerNorm2d",
    "LocalResponseNorm",
    # Containers and torchvision blocks.
    "ChannelShuffle",
    "Conv2dNormActivation",
    "Conv3dNormActivation",
    "Sequential",
    "SqueezeExcitation",
]
