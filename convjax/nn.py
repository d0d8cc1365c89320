"""Flax NNX modules with PyTorch's names, arguments, layouts and default init.

``from convjax import nn``. Each module holds its parameters (``nnx.Param``) and
buffers (``nnx.BatchStat``) under PyTorch's attribute names and calls the functional
API; ``model.train()`` / ``model.eval()`` switch batch norm and ``ColorJitter``.
A PyTorch ``state_dict`` loads with :func:`convjax.interop.load_torch_state_dict`.
"""

from convjax._src.modules_conv import Conv1d as Conv1d
from convjax._src.modules_conv import Conv2d as Conv2d
from convjax._src.modules_conv import Conv3d as Conv3d
from convjax._src.modules_conv import ConvTranspose1d as ConvTranspose1d
from convjax._src.modules_conv import ConvTranspose2d as ConvTranspose2d
from convjax._src.modules_conv import ConvTranspose3d as ConvTranspose3d
from convjax._src.modules_conv import SeparableConv2d as SeparableConv2d
from convjax._src.modules_embed import Embedding as Embedding
from convjax._src.modules_embed import UpsamplingBilinear2d as UpsamplingBilinear2d
from convjax._src.modules_embed import UpsamplingNearest2d as UpsamplingNearest2d
from convjax._src.modules_loss import BCELoss as BCELoss
from convjax._src.modules_loss import BCEWithLogitsLoss as BCEWithLogitsLoss
from convjax._src.modules_loss import CosineEmbeddingLoss as CosineEmbeddingLoss
from convjax._src.modules_loss import CosineSimilarity as CosineSimilarity
from convjax._src.modules_loss import CrossEntropyLoss as CrossEntropyLoss
from convjax._src.modules_loss import GaussianNLLLoss as GaussianNLLLoss
from convjax._src.modules_loss import HuberLoss as HuberLoss
from convjax._src.modules_loss import KLDivLoss as KLDivLoss
from convjax._src.modules_loss import L1Loss as L1Loss
from convjax._src.modules_loss import MarginRankingLoss as MarginRankingLoss
from convjax._src.modules_loss import MSELoss as MSELoss
from convjax._src.modules_loss import (
    MultiLabelSoftMarginLoss as MultiLabelSoftMarginLoss,
)
from convjax._src.modules_loss import NLLLoss as NLLLoss
from convjax._src.modules_loss import PairwiseDistance as PairwiseDistance
from convjax._src.modules_loss import PoissonNLLLoss as PoissonNLLLoss
from convjax._src.modules_loss import SmoothL1Loss as SmoothL1Loss
from convjax._src.modules_loss import SoftMarginLoss as SoftMarginLoss
from convjax._src.modules_loss import TripletMarginLoss as TripletMarginLoss
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
from convjax._src.modules_pool import MaxUnpool1d as MaxUnpool1d
from convjax._src.modules_pool import MaxUnpool2d as MaxUnpool2d
from convjax._src.modules_pool import MaxUnpool3d as MaxUnpool3d

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
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "PixelShuffle",
    "PixelUnshuffle",
    "ReLU",
    "ReLU6",
    "SeparableConv2d",
    "SyncBatchNorm",
    "Upsample",
    "Embedding",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    # Losses and distances.
    "BCELoss",
    "BCEWithLogitsLoss",
    "CosineEmbeddingLoss",
    "CosineSimilarity",
    "CrossEntropyLoss",
    "GaussianNLLLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "MarginRankingLoss",
    "MultiLabelSoftMarginLoss",
    "NLLLoss",
    "PairwiseDistance",
    "PoissonNLLLoss",
    "SmoothL1Loss",
    "SoftMarginLoss",
    "TripletMarginLoss",
]
