"""NumPy float64 references for the losses, from PyTorch's definitions.

Per-element loops for the class losses; never calls jax.
"""

import math

import numpy as np


def reduce(loss, reduction, denominator=None):
    loss = np.asarray(loss, np.float64)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator is None:
        return loss.mean() if loss.size else np.nan
    return loss.sum() / denominator if denominator != 0 else np.nan


def l1(x, y, reduction="mean"):
    return reduce(np.abs(np.float64(x) - y), reduction)


def mse(x, y, reduction="mean"):
    return reduce((np.float64(x) - y) ** 2, reduction)


def smooth_l1(x, y, reduction="mean", beta=1.0):
    d = np.abs(np.float64(x) - y)
    if beta == 0:
        return reduce(d, reduction)
    out = np.array(
        [0.5 * v * v / beta if v < beta else v - 0.5 * beta for v in d.ravel()]
    )
    return reduce(out.reshape(d.shape), reduction)


def huber(x, y, reduction="mean", delta=1.0):
    d = np.abs(np.float64(x) - y)
    out = np.array(
        [0.5 * v * v if v <= delta else delta * (v - 0.5 * delta) for v in d.ravel()]
    )
    return reduce(out.reshape(d.shape), reduction)


def _log_softmax(x, axis):
    x = np.asarray(x, np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def _rows(x, target):
    """Yields ``(scores over C, target)`` per element, class axis 1 (0 if unbatched)."""
    x = np.asarray(x, np.float64)
    if x.ndim == 1:
        yield 0, x, np.asarray(target).item()
        return
    xc = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    t = np.asarray(target).reshape(-1)
    yield from ((i, xc[i], t[i]) for i in range(len(t)))


def _target_shape(x):
    x = np.asarray(x)
    return () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]


def nll(logp, target, weight=None, ignore_index=-100, reduction="mean"):
    """``-w[t] logp[t]`` per element; mean divides by the sum of non-ignored w[t]."""
    losses, wsum = [], 0.0
    for _, row, t in _rows(logp, target):
        if t == ignore_index:
            losses.append(0.0)
            continue
        w = 1.0 if weight is None else float(weight[t])
        losses.append(-w * row[t])
        wsum += w
    loss = np.array(losses).reshape(_target_shape(logp))
    return reduce(loss, reduction, wsum)


def cross_entropy(
    x, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    x = np.asarray(x, np.float64)
    axis = 0 if x.ndim == 1 else 1
    num_classes = x.shape[axis]
    logp = _log_softmax(x, axis)
    eps = label_smoothing
    w = np.ones(num_classes) if weight is None else np.asarray(weight, np.float64)
    target = np.asarray(target)
    if target.shape == x.shape:  # probabilities
        p = target.astype(np.float64) * (1 - eps) + eps / num_classes
        lp = np.moveaxis(logp, axis, -1)
        pp = np.moveaxis(p, axis, -1)
        loss = -(lp * pp * w).sum(-1)
        if reduction == "mean":
            return loss.sum() / (x.size / num_classes) if x.size else np.nan
        return reduce(loss, reduction)
    losses, wsum = [], 0.0
    for _, row, t in _rows(logp, target):
        if t == ignore_index:
            losses.append(0.0)
            continue
        nll_term = -w[t] * row[t]
        smooth_term = -(w * row).sum()
        losses.append((1 - eps) * nll_term + eps / num_classes * smooth_term)
        wsum += w[t]
    loss = np.array(losses).reshape(_target_shape(x))
    return reduce(loss, reduction, wsum)


def bce(p, y, weight=None, reduction="mean"):
    p = np.asarray(p, np.float64)
    y = np.asarray(y, np.float64)
    out = np.empty(p.shape)
    for i in np.ndindex(p.shape):
        lp = max(math.log(p[i]), -100.0) if p[i] > 0 else -100.0
        l1p = max(math.log(1 - p[i]), -100.0) if p[i] < 1 else -100.0
        out[i] = -(y[i] * lp + (1 - y[i]) * l1p)
    if weight is not None:
        out = out * np.broadcast_to(np.asarray(weight, np.float64), out.shape)
    return reduce(out, reduction)


def bce_grad_input(p, y, weight=None):
    """PyTorch's elementwise backward: w (p - y) / max(p (1 - p), 1e-12)."""
    p = np.asarray(p, np.float64)
    y = np.asarray(y, np.float64)
    g = (p - y) / np.maximum(p * (1 - p), 1e-12)
    if weight is not None:
        g = g * np.broadcast_to(np.asarray(weight, np.float64), g.shape)
    return g


def bce_with_logits(x, y, weight=None, reduction="mean", pos_weight=None):
    """``-w [q y log s(x) + (1 - y) log(1 - s(x))]`` with stable logs."""
    x = np.asarray(x, np.float64)
    y = np.asarray(y, np.float64)
    q = np.ones(x.shape) if pos_weight is None else np.broadcast_to(pos_weight, y.shape)
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        v = x[i]
        log_s = -(math.log1p(math.exp(-v)) if v >= 0 else -v + math.log1p(math.exp(v)))
        log_1ms = log_s - v  # log(1 - s(x)) = log s(x) - x
        out[i] = -(q[i] * y[i] * log_s + (1 - y[i]) * log_1ms)
    if weight is not None:
        out = out * np.broadcast_to(np.asarray(weight, np.float64), out.shape)
    return reduce(out, reduction)
