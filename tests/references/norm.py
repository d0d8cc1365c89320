"""NumPy float64 reference for batch norm, written from PyTorch's definition.

Loops over channels; never calls jax.
"""

import numpy as np


def batch_norm(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
    channel_axis=1,
    mask=None,
):
    """Returns ``(y, new_running_mean, new_running_var)`` in float64.

    ``mask`` (boolean, input shape without the channel axis, or ``(N,)``) selects the
    values that enter the batch statistics.
    """
    x = np.asarray(x, np.float64)
    xc = np.moveaxis(x, channel_axis, -1)  # (..., C)
    channels = xc.shape[-1]
    if mask is None:
        sel = np.ones(xc.shape[:-1], bool)
    else:
        sel = np.asarray(mask, bool)
        if sel.shape != xc.shape[:-1]:
            sel = np.broadcast_to(
                sel.reshape((-1,) + (1,) * (xc.ndim - 2)), xc.shape[:-1]
            )
    y = np.empty_like(xc)
    new_rm = None if running_mean is None else np.array(running_mean, np.float64)
    new_rv = None if running_var is None else np.array(running_var, np.float64)
    for c in range(channels):
        values = xc[..., c][sel]
        if training or running_mean is None:
            n = values.size
            mean = values.sum() / n
            var = ((values - mean) ** 2).sum() / n  # biased, for normalizing
            if running_mean is not None and training and n > 1:
                unbiased = var * n / (n - 1)
                new_rm[c] = (1 - momentum) * running_mean[c] + momentum * mean
                new_rv[c] = (1 - momentum) * running_var[c] + momentum * unbiased
        else:
            mean = float(running_mean[c])
            var = float(running_var[c])
        g = 1.0 if weight is None else float(weight[c])
        b = 0.0 if bias is None else float(bias[c])
        y[..., c] = (xc[..., c] - mean) / np.sqrt(var + eps) * g + b
    return np.moveaxis(y, -1, channel_axis), new_rm, new_rv
