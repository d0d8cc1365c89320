"""Float64 NumPy references for convjax.image, written from torchvision's definitions.

Images are ``(..., C, H, W)``; float images in [0, 1], uint8 images in [0, 255]. The
uint8 paths clamp and truncate after every op, as ``Tensor.to(torch.uint8)`` does.
HSV conversions go pixel by pixel through the standard library's ``colorsys``.
"""

import colorsys

import numpy as np

WEIGHTS = (0.2989, 0.587, 0.114)


def _split(img):
    x = np.asarray(img)
    is_int = x.dtype == np.uint8
    return x.astype(np.float64), is_int, (255.0 if is_int else 1.0)


def _finish(y, is_int, bound, dtype):
    y = np.clip(y, 0.0, bound)
    return np.floor(y).astype(dtype) if is_int else y


def gray(x):
    """``0.2989 R + 0.587 G + 0.114 B`` on a float64 array, keeps the channel axis."""
    return (
        WEIGHTS[0] * x[..., 0:1, :, :]
        + WEIGHTS[1] * x[..., 1:2, :, :]
        + WEIGHTS[2] * x[..., 2:3, :, :]
    )


def rgb_to_grayscale(img, num_output_channels=1):
    x, is_int, _ = _split(img)
    g = x if x.shape[-3] == 1 else gray(x)
    if is_int:
        g = np.floor(g).astype(np.uint8)
    reps = [1] * g.ndim
    reps[-3] = num_output_channels
    return np.tile(g, reps)


def adjust_brightness(img, f):
    x, is_int, bound = _split(img)
    return _finish(f * x, is_int, bound, np.asarray(img).dtype)


def _blend(x, other, f, is_int, bound, dtype):
    return _finish(f * x + (1.0 - f) * other, is_int, bound, dtype)


def adjust_contrast(img, f):
    x, is_int, bound = _split(img)
    g = gray(x) if x.shape[-3] == 3 else x
    if is_int:
        g = np.floor(g)
    mean = g.mean(axis=(-3, -2, -1), keepdims=True)
    return _blend(x, mean, f, is_int, bound, np.asarray(img).dtype)


def adjust_saturation(img, f):
    x, is_int, bound = _split(img)
    if x.shape[-3] == 1:
        return np.asarray(img)
    g = gray(x)
    if is_int:
        g = np.floor(g)
    return _blend(x, g, f, is_int, bound, np.asarray(img).dtype)


def _pixels(x):
    """Iterates over (index, r, g, b) of a (..., 3, H, W) array."""
    moved = np.moveaxis(x, -3, -1)
    for idx in np.ndindex(moved.shape[:-1]):
        yield idx, moved[idx]


def rgb_to_hsv(img):
    x = np.asarray(img, np.float64)
    out = np.empty(np.moveaxis(x, -3, -1).shape)
    for idx, (r, g, b) in _pixels(x):
        out[idx] = colorsys.rgb_to_hsv(r, g, b)
    return np.moveaxis(out, -1, -3)


def hsv_to_rgb(img):
    x = np.asarray(img, np.float64)
    out = np.empty(np.moveaxis(x, -3, -1).shape)
    for idx, (h, s, v) in _pixels(x):
        out[idx] = colorsys.hsv_to_rgb(h, s, v)
    return np.moveaxis(out, -1, -3)


def adjust_hue(img, f):
    """Shifts the HSV hue by ``f`` (mod 1); uint8 goes through /255 and 255.999*."""
    x, is_int, _ = _split(img)
    if x.shape[-3] == 1:
        return np.asarray(img)
    if is_int:
        x = x / 255.0
    hsv = rgb_to_hsv(x)
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + f, 1.0)
    y = hsv_to_rgb(hsv)
    if is_int:
        return np.floor(y * 255.999).astype(np.uint8)
    return y


OPS = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)


def color_jitter(img, order, factors):
    """Applies ``OPS[i]`` for ``i`` in ``order``, skipping ops whose factor is None."""
    out = np.asarray(img)
    for op in order:
        if factors[op] is not None:
            out = OPS[op](out, factors[op])
    return out
