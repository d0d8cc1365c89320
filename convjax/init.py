"""PyTorch's default initializers for PyTorch layouts: ``from convjax import init``.

Each is a ``jax.nn.initializers``-style callable ``(key, shape, dtype) -> Array``.
"""

from __future__ import annotations

from convjax._src.init import calculate_gain as calculate_gain
from convjax._src.init import conv_bias_default as conv_bias_default
from convjax._src.init import conv_weight_default as conv_weight_default
from convjax._src.init import fan_in_and_fan_out as fan_in_and_fan_out
from convjax._src.init import kaiming_normal as kaiming_normal
from convjax._src.init import kaiming_uniform as kaiming_uniform
from convjax._src.init import xavier_normal as xavier_normal
from convjax._src.init import xavier_uniform as xavier_uniform

__all__ = [
    "calculate_gain",
    "conv_bias_default",
    "conv_weight_default",
    "fan_in_and_fan_out",
    "kaiming_normal",
    "kaiming_uniform",
    "xavier_normal",
    "xavier_uniform",
]
