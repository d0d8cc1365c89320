"""convjax: PyTorch's convolution toolkit for JAX, with exact PyTorch semantics."""

from convjax import analysis as analysis
from convjax import boxes as boxes
from convjax import functional as functional

__version__ = "0.1.0"

__all__ = ["analysis", "boxes", "functional"]
