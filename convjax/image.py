"""Colour transforms with ``torchvision.transforms.v2.functional`` names and numbers.

``from convjax import image``. Images are ``(..., C, H, W)``, float in [0, 1] or uint8.
"""

from __future__ import annotations

from convjax._src.color import adjust_brightness as adjust_brightness
from convjax._src.color import adjust_contrast as adjust_contrast
from convjax._src.color import adjust_hue as adjust_hue
from convjax._src.color import adjust_saturation as adjust_saturation
from convjax._src.color import apply_color_jitter as apply_color_jitter
from convjax._src.color import color_jitter as color_jitter
from convjax._src.color import color_jitter_params as color_jitter_params
from convjax._src.color import hsv_to_rgb as hsv_to_rgb
from convjax._src.color import rgb_to_grayscale as rgb_to_grayscale
from convjax._src.color import rgb_to_hsv as rgb_to_hsv

__all__ = [
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "apply_color_jitter",
    "color_jitter",
    "color_jitter_params",
    "hsv_to_rgb",
    "rgb_to_grayscale",
    "rgb_to_hsv",
]
