"""Resampling one axis by gathering a few taps per output and blending them.

Shape legend: O outputs, T taps per output, I the input size of the axis.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np


def gather_blend(x, axis: int, idx: np.ndarray, w: np.ndarray):
    """``y[..., o, ...] = sum_t w[o, t] * x[..., clip(idx[o, t]), ...]`` along ``axis``.

    ``idx`` and ``w`` are static ``(O, T)`` NumPy arrays; indices are clamped into
    ``[0, I)`` (PyTorch's edge rule) and taps are added in order ``t = 0..T-1``, as
    PyTorch's kernels do. Cost and memory are ``O(T)`` per output whatever the
    ratio (a dense ``(O, I)`` matrix costs ``O(I)``), and the gradient is the
    exact adjoint (a scatter-add of the same taps).
    """
    size = x.shape[axis]
    idx = np.clip(idx, 0, size - 1)
    shape = [1] * x.ndim
    shape[axis] = idx.shape[0]
    acc = None
    for t in range(idx.shape[1]):
        if not np.any(w[:, t]):
            continue
        tap = jnp.take(x, jnp.asarray(idx[:, t], np.int32), axis=axis)
        if np.all(w[:, t] == 1.0):
            term = tap
        else:
            term = tap * jnp.asarray(w[:, t].reshape(shape), x.dtype)
        acc = term if acc is None else acc + term
    if acc is None:
        acc = jnp.zeros_like(jnp.take(x, jnp.asarray(idx[:, 0], np.int32), axis=axis))
    return acc


def window_taps(start: np.ndarray, end: np.ndarray, weights) -> tuple:
    """``(idx, w)`` of windows ``[start[o], end[o])`` padded to the longest one.

    ``weights(o)`` gives the ``end[o] - start[o]`` weights of window ``o``; padding
    taps get weight 0 (and a valid index).
    """
    out = start.shape[0]
    width = int((end - start).max()) if out else 1
    idx = np.minimum(start[:, None] + np.arange(width)[None, :], end[:, None] - 1)
    w = np.zeros((out, width))
    for o in range(out):
        w[o, : end[o] - start[o]] = weights(o)
    return idx, w


__all__ = ["gather_blend", "window_taps"]
