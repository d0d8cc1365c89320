"""convjax: PyTorch's convolution toolkit for JAX, with exact PyTorch semantics."""

from convjax import analysis as analysis
from convjax import boxes as boxes
from convjax import functional as functional
from convjax import image as image
from convjax import init as init
from convjax import interop as interop
from convjax import models as models
from convjax import nn as nn
from convjax import optim as optim
from convjax._src.dispatch import cpu_compiler_options as cpu_compiler_options

__version__ = "0.1.0"

__all__ = [
    "analysis",
    "boxes",
    "cpu_compiler_options",
    "functional",
    "image",
    "init",
    "interop",
    "models",
    "nn",
    "optim",
]
