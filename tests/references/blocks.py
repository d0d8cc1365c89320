"""NumPy float64 references for the building blocks, written from PyTorch's
definitions: activations, layer/group/instance/local-response norm, normalize,
channel_shuffle. Loops where the definition is a loop; never calls jax.
"""

import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _softplus(x, beta=1.0, threshold=20.0):
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore"):
        soft = np.log1p(np.exp(beta * x)) / beta
    return np.where(beta * x > threshold, x, soft)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "hardsigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hardtanh": lambda x: np.clip(x, -1, 1),
    "hardtanh_m3_6": lambda x: np.clip(x, -3, 6),
    "elu": _elu,
    "elu_0.5": lambda x: _elu(x, 0.5),
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.expm1(np.minimum(x, 0))),
    "celu_2": lambda x: (
        np.maximum(x, 0) + np.minimum(0, 2 * np.expm1(np.minimum(x, 0) / 2))
    ),
    "softplus": _softplus,
    "softplus_b2_t10": lambda x: _softplus(x, 2.0, 10.0),
    "softplus_b0.5_t1": lambda x: _softplus(x, 0.5, 1.0),
    "mish": lambda x: x * np.tanh(np.logaddexp(x, 0)),
    "logsigmoid": lambda x: -np.logaddexp(-x, 0),
    "tanhshrink": lambda x: x - np.tanh(x),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "softshrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "softshrink_1": lambda x: np.where(x > 1, x - 1, np.where(x < -1, x + 1, 0)),
    "hardshrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "hardshrink_1": lambda x: np.where(np.abs(x) > 1, x, 0),
    "threshold_0.5_9": lambda x: np.where(x > 0.5, x, 9.0),
    "rrelu_eval": lambda x: np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2),
    "rrelu_eval_0.1_0.3": lambda x: np.where(x > 0, x, x * 0.2),
    "tanh": np.tanh,
}


def glu(x, dim):
    a, b = np.split(np.asarray(x, np.float64), 2, axis=dim)
    return a * _sigmoid(b)


def prelu(x, w):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    if w.size > 1:
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


def layer_norm(x, k, weight=None, bias=None, eps=1e-5):
    """Normalizes over the last ``k`` dims."""
    x = np.asarray(x, np.float64)
    flat = x.reshape(x.shape[: x.ndim - k] + (-1,))
    mean = flat.mean(-1, keepdims=True)
    var = ((flat - mean) ** 2).mean(-1, keepdims=True)
    y = ((flat - mean) / np.sqrt(var + eps)).reshape(x.shape)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def group_norm(x, groups, weight=None, bias=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    n, c = x.shape[:2]
    y = np.empty_like(x)
    size = c // groups
    for i in range(n):
        for g in range(groups):
            v = x[i, g * size : (g + 1) * size]
            y[i, g * size : (g + 1) * size] = (v - v.mean()) / np.sqrt(v.var() + eps)
    shape = (c,) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * np.reshape(weight, shape)
    if bias is not None:
        y = y + np.reshape(bias, shape)
    return y


def instance_norm(
    x,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Returns ``(y, new_running_mean, new_running_var)`` (loops over (n, c))."""
    x = np.asarray(x, np.float64)
    n, c = x.shape[:2]
    y = np.empty_like(x)
    means = np.zeros((n, c))
    unbiased = np.zeros((n, c))
    count = math.prod(x.shape[2:])
    for i in range(n):
        for j in range(c):
            v = x[i, j]
            if use_input_stats:
                mu, var = v.mean(), v.var()
                means[i, j], unbiased[i, j] = mu, var * count / (count - 1)
            else:
                mu, var = running_mean[j], running_var[j]
            y[i, j] = (v - mu) / np.sqrt(var + eps)
            if weight is not None:
                y[i, j] = y[i, j] * weight[j]
            if bias is not None:
                y[i, j] = y[i, j] + bias[j]
    if running_mean is None or not use_input_stats:
        return y, running_mean, running_var
    m = momentum
    rm = (1 - m) * np.asarray(running_mean, np.float64) + m * means.mean(0)
    rv = (1 - m) * np.asarray(running_var, np.float64) + m * unbiased.mean(0)
    return y, rm, rv


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    x = np.asarray(x, np.float64)
    c = x.shape[1]
    y = np.empty_like(x)
    for j in range(c):
        lo, hi = max(0, j - size // 2), min(c - 1, j + (size - 1) // 2)
        s = (x[:, lo : hi + 1] ** 2).sum(1)
        y[:, j] = x[:, j] / (k + alpha / size * s) ** beta
    return y


def normalize(x, p=2.0, dim=1, eps=1e-12):
    x = np.asarray(x, np.float64)
    if math.isinf(p):
        norm = np.abs(x).max(dim, keepdims=True)
    else:
        norm = (np.abs(x) ** p).sum(dim, keepdims=True) ** (1 / p)
    return x / np.maximum(norm, eps)


def channel_shuffle(x, groups):
    x = np.asarray(x)
    c = x.shape[1]
    k = c // groups
    y = np.empty_like(x)
    for g in range(groups):
        for i in range(k):
            y[:, i * groups + g] = x[:, g * k + i]
    return y
