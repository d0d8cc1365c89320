"""Functional API, PyTorch's ``torch.nn.functional`` names: ``import convjax.functional as F``.

Every function is pure and works under ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
"""

from convjax._src.activations import celu as celu
from convjax._src.activations import elu as elu
from convjax._src.activations import gelu as gelu
from convjax._src.activations import glu as glu
from convjax._src.activations import hardshrink as hardshrink
from convjax._src.activations import hardsigmoid as hardsigmoid
from convjax._src.activations import hardswish as hardswish
from convjax._src.activations import hardtanh as hardtanh
from convjax._src.activations import leaky_relu as leaky_relu
from convjax._src.activations import log_softmax as log_softmax
from convjax._src.activations import logsigmoid as logsigmoid
from convjax._src.activations import mish as mish
from convjax._src.activations import prelu as prelu
from convjax._src.activations import relu as relu
from convjax._src.activations import relu6 as relu6
from convjax._src.activations import rrelu as rrelu
from convjax._src.activations import selu as selu
from convjax._src.activations import sigmoid as sigmoid
from convjax._src.activations import silu as silu
from convjax._src.activations import softmax as softmax
from convjax._src.activations import softmin as softmin
from convjax._src.activations import softplus as softplus
from convjax._src.activations import softshrink as softshrink
from convjax._src.activations import softsign as softsign
from convjax._src.activations import tanh as tanh
from convjax._src.activations import tanhshrink as tanhshrink
from convjax._src.activations import threshold as threshold
from convjax._src.conv import conv1d as conv1d
from convjax._src.conv import conv2d as conv2d
from convjax._src.conv import conv3d as conv3d
from convjax._src.conv_transpose import conv_transpose1d as conv_transpose1d
from convjax._src.conv_transpose import conv_transpose2d as conv_transpose2d
from convjax._src.conv_transpose import conv_transpose3d as conv_transpose3d
from convjax._src.dropout import dropout as dropout
from convjax._src.dropout import dropout1d as dropout1d
from convjax._src.dropout import dropout2d as dropout2d
from convjax._src.dropout import dropout3d as dropout3d
from convjax._src.dropout import stochastic_depth as stochastic_depth
from convjax._src.linear import linear as linear
from convjax._src.losses import binary_cross_entropy as binary_cross_entropy
from convjax._src.losses import (
    binary_cross_entropy_with_logits as binary_cross_entropy_with_logits,
)
from convjax._src.losses import cross_entropy as cross_entropy
from convjax._src.losses import huber_loss as huber_loss
from convjax._src.losses import l1_loss as l1_loss
from convjax._src.losses import mse_loss as mse_loss
from convjax._src.losses import nll_loss as nll_loss
from convjax._src.losses import smooth_l1_loss as smooth_l1_loss
from convjax._src.normalization import batch_norm as batch_norm
from convjax._src.norms import channel_shuffle as channel_shuffle
from convjax._src.norms import group_norm as group_norm
from convjax._src.norms import instance_norm as instance_norm
from convjax._src.norms import layer_norm as layer_norm
from convjax._src.norms import local_response_norm as local_response_norm
from convjax._src.norms import normalize as normalize
from convjax._src.padding import pad as pad
from convjax._src.patches import fold as fold
from convjax._src.patches import unfold as unfold
from convjax._src.pooling import adaptive_avg_pool1d as adaptive_avg_pool1d
from convjax._src.pooling import adaptive_avg_pool2d as adaptive_avg_pool2d
from convjax._src.pooling import adaptive_avg_pool3d as adaptive_avg_pool3d
from convjax._src.pooling import adaptive_max_pool1d as adaptive_max_pool1d
from convjax._src.pooling import adaptive_max_pool2d as adaptive_max_pool2d
from convjax._src.pooling import adaptive_max_pool3d as adaptive_max_pool3d
from convjax._src.pooling import avg_pool1d as avg_pool1d
from convjax._src.pooling import avg_pool2d as avg_pool2d
from convjax._src.pooling import avg_pool3d as avg_pool3d
from convjax._src.pooling import max_pool1d as max_pool1d
from convjax._src.pooling import max_pool2d as max_pool2d
from convjax._src.pooling import max_pool3d as max_pool3d
from convjax._src.resample import interpolate as interpolate
from convjax._src.resample import pixel_shuffle as pixel_shuffle
from convjax._src.resample import pixel_unshuffle as pixel_unshuffle

__all__ = [
    # Convolutions, padding and im2col.
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "pad",
    "unfold",
    "fold",
    # Normalization.
    "batch_norm",
    "layer_norm",
    "group_norm",
    "instance_norm",
    "local_response_norm",
    "normalize",
    # Dropout and stochastic depth (key-driven).
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "stochastic_depth",
    # Pooling, linear and resampling.
    "linear",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "interpolate",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    # Losses.
    "l1_loss",
    "mse_loss",
    "smooth_l1_loss",
    "huber_loss",
    "nll_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    # Activations.
    "relu",
    "relu6",
    "leaky_relu",
    "gelu",
    "silu",
    "hardswish",
    "sigmoid",
    "softmax",
    "log_softmax",
    "hardsigmoid",
    "hardtanh",
    "elu",
    "selu",
    "celu",
    "softplus",
    "mish",
    "tanh",
    "prelu",
    "rrelu",
    "glu",
    "softmin",
    "logsigmoid",
    "tanhshrink",
    "softshrink",
    "hardshrink",
    "threshold",
    "softsign",
]
