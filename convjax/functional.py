"""Functional API, PyTorch's ``torch.nn.functional`` names: ``import convjax.functional as F``.

Every function is pure and works under ``jax.jit``, ``jax.vmap`` and ``jax.grad``.
"""

# Convolutions, padding and im2col.
from convjax._src.conv import conv1d as conv1d
from convjax._src.conv import conv2d as conv2d
from convjax._src.conv import conv3d as conv3d
from convjax._src.conv_transpose import conv_transpose1d as conv_transpose1d
from convjax._src.conv_transpose import conv_transpose2d as conv_transpose2d
from convjax._src.conv_transpose import conv_transpose3d as conv_transpose3d
from convjax._src.padding import pad as pad
from convjax._src.patches import fold as fold
from convjax._src.patches import unfold as unfold

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "pad",
    "unfold",
    "fold",
]
