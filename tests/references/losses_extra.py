"""NumPy float64 references of the issue-17 losses, from PyTorch's documented
formulas (elementwise; ``reduction="none"`` unless a reduction is passed)."""

import numpy as np


def _f(x):
    return np.asarray(x, np.float64)


def kl_div(x, y, reduction):
    x, y = _f(x), _f(y)
    safe = np.where(y > 0, y, 1.0)
    loss = np.where(y > 0, y * np.log(safe), 0.0) - y * x
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def poisson_nll(x, y, log_input, full, eps=1e-8):
    x, y = _f(x), _f(y)
    loss = np.exp(x) - y * x if log_input else x - y * np.log(x + eps)
    if full:
        ys = np.where(y > 1, y, 2.0)
        loss = loss + np.where(
            y > 1, ys * np.log(ys) - ys + 0.5 * np.log(2 * np.pi * ys), 0
        )
    return loss


def gaussian_nll(x, y, v, eps):
    x, y, v = _f(x), _f(y), np.maximum(_f(v), eps)
    return 0.5 * (np.log(v) + (x - y) ** 2 / v)


def multilabel_soft_margin(x, y):
    x, y = _f(x), _f(y)
    ls = -np.logaddexp(0, -x)  # log sigmoid
    lsn = -np.logaddexp(0, x)
    return -(y * ls + (1 - y) * lsn).mean(axis=-1)


def _pdist(a, b, p, eps):
    d = np.abs(_f(a) - _f(b) + eps)
    if np.isinf(p):
        return d.max(-1)
    return (d**p).sum(-1) ** (1 / p)


def triplet(a, pos, neg, margin, p, eps, swap):
    dp, dn = _pdist(a, pos, p, eps), _pdist(a, neg, p, eps)
    if swap:
        dn = np.minimum(dn, _pdist(pos, neg, p, eps))
    return np.maximum(margin + dp - dn, 0)


def cosine_similarity(a, b, dim, eps):
    a, b = _f(a), _f(b)
    na = np.maximum(np.sqrt((a * a).sum(dim, keepdims=True)), eps)
    nb = np.maximum(np.sqrt((b * b).sum(dim, keepdims=True)), eps)
    return ((a / na) * (b / nb)).sum(dim)


def cosine_embedding(a, b, y, margin):
    a, b = _f(a), _f(b)
    cos = (a * b).sum(-1) / np.sqrt(
        ((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12)
    )
    return np.where(y == 1, 1 - cos, 0) + np.where(
        y == -1, np.maximum(cos - margin, 0), 0
    )
