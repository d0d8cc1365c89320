"""convjax: PyTorch's convolution toolkit for JAX, with exact PyTorch semantics."""

from convjax import analysis as analysis
from convjax import boxes as boxes
from convjax import functional as functional
from convjax import image as image
from convjax import init as init
from convjax import interop as interop
from convjax import models as models
from convjax import nn as nn

__version__ = "0.1.0"

__all__ = [
    "analysis",
    "boxes",
    "functional",
    "image",
    "init",
    "interop",
    "models",
    "nn",
]
