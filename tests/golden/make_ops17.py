"""Makes ``tests/golden/ops17.npz``: PyTorch goldens for max pooling with indices,
max unpooling, ``affine_grid``/``grid_sample`` and the losses of issue 17.

Run with a PyTorch venv (never needed by the test suite)::

    python tests/golden/make_ops17.py

Each case ``i`` stores its arrays under ``"{i}/{name}"``; ``meta`` holds one JSON
object per case: ``fn`` (a ``torch.nn.functional`` name, also the convjax name),
``args`` (array names passed positionally), ``kwargs`` and, for differentiable
cases, ``grads`` (the names of the inputs whose gradients of ``sum(out * r)`` are
stored as ``"{i}/d_{name}"``).
"""

import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
RNG = np.random.default_rng(0)
ARRAYS, META = {}, []


def _store(i, name, value):
    ARRAYS[f"{i}/{name}"] = np.asarray(value)


def case(fn, args, grads=(), **kwargs):
    """``args``: list of (name, numpy array) passed positionally."""
    i = len(META)
    tensors = []
    for name, a in args:
        _store(i, name, a)
        t = torch.from_numpy(np.array(a))
        if name in grads:
            t.requires_grad_(True)
        tensors.append(t)
    out = getattr(F, fn)(*tensors, **kwargs)
    outs = out if isinstance(out, tuple) else (out,)
    for j, o in enumerate(outs):
        _store(i, f"out{j}", o.detach().numpy())
    if grads:
        r = torch.from_numpy(RNG.standard_normal(outs[0].shape).astype(np.float32))
        _store(i, "r", r.numpy())
        (outs[0] * r).sum().backward()
        for name, t in zip([a[0] for a in args], tensors, strict=True):
            if name in grads:  # no grad (p=0 norm) means zero
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                _store(i, f"d_{name}", g.numpy())
    META.append(
        json.dumps(
            dict(
                fn=fn,
                args=[a[0] for a in args],
                kwargs=kwargs,
                grads=list(grads),
                nout=len(outs),
            )
        )
    )


def ties(shape, high=3):
    """Small integers as float32: many tied maxima."""
    return RNG.integers(0, high, shape).astype(np.float32)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ---- max pooling with indices (ties, -inf, NaN, padding, dilation, ceil_mode)
POOL = [
    ("max_pool1d", (2, 3, 11), dict(kernel_size=3, stride=2, padding=1)),
    (
        "max_pool1d",
        (2, 3, 10),
        dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    ),
    ("max_pool1d", (1, 2, 9), dict(kernel_size=2, stride=1, dilation=3, padding=1)),
    (
        "max_pool2d",
        (2, 2, 7, 8),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    ),
    (
        "max_pool2d",
        (1, 2, 7, 8),
        dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1)),
    ),
    ("max_pool2d", (1, 3, 6, 6), dict(kernel_size=3, stride=1, padding=1)),
    (
        "max_pool3d",
        (1, 2, 5, 6, 5),
        dict(kernel_size=(2, 3, 2), stride=2, padding=(1, 1, 0)),
    ),
    (
        "max_pool3d",
        (1, 1, 5, 5, 5),
        dict(kernel_size=3, stride=2, dilation=2, ceil_mode=True),
    ),
]
for fn, shape, kw in POOL:
    case(fn, [("x", ties(shape))], grads=("x",), return_indices=True, **kw)
    case(fn, [("x", randn(*shape))], grads=("x",), return_indices=True, **kw)
# Constant, all -inf and NaN windows.
case("max_pool2d", [("x", np.ones((1, 2, 6, 6), np.float32))], grads=("x",),
     kernel_size=3, stride=1, padding=1, return_indices=True)  # fmt: skip
x = ties((1, 2, 6, 7))
x[0, 0, 1:4, 2:5] = -np.inf
x[0, 1] = -np.inf
case("max_pool2d", [("x", x)], kernel_size=3, stride=2, padding=1, return_indices=True)
x = randn(2, 2, 6, 7)
x[0, 0, 1, 1] = x[0, 0, 2, 2] = x[1, 1, 4, 5] = np.nan
case("max_pool2d", [("x", x)], kernel_size=3, stride=2, padding=1, return_indices=True)
x = randn(1, 2, 9)
x[0, 0, [2, 3, 7]] = np.nan
case("max_pool1d", [("x", x)], kernel_size=4, stride=1, padding=2, return_indices=True)
# Unbatched and empty batch.
case("max_pool2d", [("x", ties((2, 5, 6)))], kernel_size=2, return_indices=True)
case("max_pool2d", [("x", ties((0, 2, 5, 6)))], kernel_size=2, return_indices=True)

ADAPTIVE = [
    ("adaptive_max_pool1d", (2, 3, 10), 4),
    ("adaptive_max_pool1d", (2, 3, 7), 7),
    ("adaptive_max_pool2d", (2, 2, 7, 9), (3, 4)),
    ("adaptive_max_pool2d", (1, 2, 6, 6), (3, None)),
    ("adaptive_max_pool2d", (1, 2, 5, 7), 1),
    ("adaptive_max_pool3d", (1, 2, 5, 6, 7), (2, 3, 4)),
]
for fn, shape, out in ADAPTIVE:
    case(fn, [("x", ties(shape))], grads=("x",), output_size=out, return_indices=True)
    case(fn, [("x", randn(*shape))], grads=("x",), output_size=out, return_indices=True)
x = randn(1, 2, 6, 6)
x[0, 0, 0, 1] = x[0, 0, 1, 0] = x[0, 1, 5, 5] = np.nan
case("adaptive_max_pool2d", [("x", x)], output_size=(2, 4), return_indices=True)

# ---- max unpooling: indices from max pooling (overlapping windows included)
UNPOOL = [
    (1, (2, 3, 10), dict(kernel_size=2), {}),
    (1, (2, 3, 11), dict(kernel_size=3, stride=2, padding=1), dict(output_size=[11])),
    (2, (2, 2, 6, 7), dict(kernel_size=2), dict(output_size=[6, 7])),
    (
        2,
        (1, 2, 7, 8),
        dict(kernel_size=3, stride=2, padding=1),
        dict(output_size=[7, 8]),
    ),
    (2, (1, 2, 6, 6), dict(kernel_size=3, stride=1, padding=1), {}),  # duplicates
    (3, (1, 2, 4, 6, 5), dict(kernel_size=2), dict(output_size=[1, 2, 4, 6, 5])),
    (3, (1, 1, 5, 5, 5), dict(kernel_size=3, stride=2, padding=1), {}),
]
for n, shape, kw, extra in UNPOOL:
    xt = torch.from_numpy(ties(shape, high=4))
    v, idx = getattr(F, f"max_pool{n}d")(xt, return_indices=True, **kw)
    v = torch.from_numpy(randn(*v.shape))
    case(f"max_unpool{n}d", [("x", v.numpy()), ("indices", idx.numpy())],
         grads=("x",), **kw, **extra)  # fmt: skip

# ---- affine_grid / grid_sample
for ac in (False, True):
    case("affine_grid", [("theta", randn(2, 2, 3))], grads=("theta",),
         size=[2, 3, 4, 5], align_corners=ac)  # fmt: skip
    case("affine_grid", [("theta", randn(2, 3, 4))], grads=("theta",),
         size=[2, 1, 3, 4, 2], align_corners=ac)  # fmt: skip
case("affine_grid", [("theta", randn(1, 2, 3))], size=[1, 1, 1, 3], align_corners=True)


def grid2d(n, h, w, lim=1.4):
    g = RNG.uniform(-lim, lim, (n, h, w, 2)).astype(np.float32)
    # Exact borders, corners and pixel centres (clip-gradient edge cases).
    g[0, 0, :4] = [[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [0.0, 0.0]]
    return g


x2 = randn(2, 3, 5, 6)
for mode in ("bilinear", "nearest", "bicubic"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            case("grid_sample", [("x", x2), ("grid", grid2d(2, 4, 7))],
                 grads=("x", "grid"), mode=mode, padding_mode=pad,
                 align_corners=ac)  # fmt: skip
x3 = randn(2, 2, 3, 4, 5)
for mode in ("bilinear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (False, True):
            g = RNG.uniform(-1.4, 1.4, (2, 2, 3, 4, 3)).astype(np.float32)
            g[0, 0, 0, :2] = [[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]
            case("grid_sample", [("x", x3), ("grid", g)], grads=("x", "grid"),
                 mode=mode, padding_mode=pad, align_corners=ac)  # fmt: skip
# Far out of range, NaN and inf grid values (forward only), a single-pixel input.
g = grid2d(2, 3, 4, lim=5.0)
g[0, 1, 1] = [np.nan, 0.0]
g[1, 2, 3] = [0.3, np.inf]
g[1, 0, 0] = [-np.inf, np.nan]
for mode in ("bilinear", "nearest", "bicubic"):
    for pad in ("zeros", "border", "reflection"):
        case("grid_sample", [("x", x2), ("grid", g)], mode=mode, padding_mode=pad,
             align_corners=False)  # fmt: skip
g = RNG.uniform(-3, 3, (1, 2, 2, 3, 3)).astype(np.float32)
g[0, 0, 0, 0] = [np.nan, 0.1, 0.2]
g[0, 0, 1, 1] = [0.3, np.inf, -0.5]
g[0, 1, 1, 2] = [-np.inf, 0.2, np.nan]
for mode in ("bilinear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        case("grid_sample", [("x", x3[:1]), ("grid", g)], mode=mode, padding_mode=pad,
             align_corners=True)  # fmt: skip
case("grid_sample", [("x", randn(1, 2, 1, 1)), ("grid", grid2d(1, 3, 4))],
     grads=("x", "grid"), mode="bilinear", padding_mode="reflection",
     align_corners=True)  # fmt: skip
case("grid_sample", [("x", randn(0, 2, 3, 3)), ("grid", grid2d(1, 3, 4)[:0])],
     align_corners=False)  # fmt: skip


# ---- losses
def pm1(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


a, b = randn(4, 5), randn(4, 5)
prob = np.abs(randn(4, 5))
prob[0, 0] = 0.0
for red in ("none", "batchmean", "sum", "mean"):
    case("kl_div", [("input", a), ("target", prob)], grads=("input", "target"),
         reduction=red)  # fmt: skip
    case("kl_div", [("input", a), ("target", b)], grads=("input", "target"),
         reduction=red, log_target=True)  # fmt: skip
counts = RNG.integers(0, 5, (4, 5)).astype(np.float32)
for red in ("none", "mean", "sum"):
    for log_input in (True, False):
        for full in (False, True):
            inp = a if log_input else np.abs(a)
            case("poisson_nll_loss", [("input", inp), ("target", counts)],
                 grads=("input",), log_input=log_input, full=full,
                 reduction=red)  # fmt: skip
    var = np.abs(randn(4, 5))
    var[0, 0] = 1e-9  # clamped to eps
    case("gaussian_nll_loss", [("input", a), ("target", b), ("var", var)],
         grads=("input", "target", "var"), reduction=red)  # fmt: skip
    case("gaussian_nll_loss", [("input", a), ("target", b), ("var", var[:, :1])],
         grads=("input", "var"), full=True, reduction=red)  # fmt: skip
    case("gaussian_nll_loss", [("input", a), ("target", b), ("var", var[:, 0])],
         grads=("input", "var"), reduction=red)  # fmt: skip
    lab = (RNG.random((4, 5)) < 0.5).astype(np.float32)
    case("multilabel_soft_margin_loss", [("input", a), ("target", lab)],
         grads=("input",), reduction=red)  # fmt: skip
    case("multilabel_soft_margin_loss",
         [("input", a), ("target", lab), ("weight", np.abs(randn(5)))],
         grads=("input",), reduction=red)  # fmt: skip
    case("margin_ranking_loss", [("input1", a[:, 0]), ("input2", b[:, 0]),
         ("target", pm1(4))], grads=("input1", "input2"), margin=0.3,
         reduction=red)  # fmt: skip
    for swap in (False, True):
        for p in (2.0, 1.0, 3.0, math.inf):
            case("triplet_margin_loss", [("anchor", a), ("positive", b),
                 ("negative", randn(4, 5))], grads=("anchor", "positive", "negative"),
                 margin=0.7, p=p, swap=swap, reduction=red)  # fmt: skip
    t = pm1(4)
    case("cosine_embedding_loss", [("input1", a), ("input2", b), ("target", t)],
         grads=("input1", "input2"), margin=0.2, reduction=red)  # fmt: skip
    case("soft_margin_loss", [("input", a), ("target", pm1(4, 5))], grads=("input",),
         reduction=red)  # fmt: skip
case("cosine_embedding_loss", [("input1", a[0]), ("input2", b[0]),
     ("target", np.array(-1.0, np.float32))], margin=-0.5)  # fmt: skip
case("triplet_margin_loss", [("anchor", a[0]), ("positive", b[0]),
     ("negative", a[1])], grads=("anchor",))  # fmt: skip
z = np.zeros((2, 3), np.float32)
z[1] = [1.0, 2.0, 2.0]
for dim in (1, 0, -1):
    case("cosine_similarity", [("x1", a), ("x2", b)], grads=("x1", "x2"), dim=dim)
case("cosine_similarity", [("x1", z), ("x2", z[::-1].copy())], grads=("x1", "x2"))
case("cosine_similarity", [("x1", a[:, None]), ("x2", b[None, :3])], dim=2)
for p in (2.0, 1.0, 0.5, 0.0, math.inf):
    case("pairwise_distance", [("x1", a), ("x2", b)], grads=("x1", "x2"), p=p)
case("pairwise_distance", [("x1", a), ("x2", b)], grads=("x1",), keepdim=True)
case("pairwise_distance", [("x1", a[0]), ("x2", b[0])], grads=("x1",), eps=0.0)
case("pairwise_distance", [("x1", z), ("x2", z)], grads=("x1",), eps=0.0)

# ---- one_hot, embedding, upsample aliases
idx = RNG.integers(0, 6, (3, 4))
idx[0, :3] = 2  # repeated index (scale_grad_by_freq)
case("one_hot", [("tensor", idx)])
case("one_hot", [("tensor", idx)], num_classes=9)
case("one_hot", [("tensor", idx[:0])], num_classes=3)
W = randn(7, 5) * 2
for kw in (
    {},
    dict(padding_idx=2),
    dict(padding_idx=-1),
    dict(scale_grad_by_freq=True),
    dict(padding_idx=2, scale_grad_by_freq=True),
    dict(max_norm=1.5),
    dict(max_norm=2.0, norm_type=1.0),
):
    case("embedding", [("input", idx), ("weight", W.copy())], grads=("weight",), **kw)
    if "max_norm" in kw:  # PyTorch renormalised the referenced rows in place
        wt = torch.from_numpy(W.copy())
        F.embedding(torch.from_numpy(idx), wt, **kw)
        _store(len(META) - 1, "renormed", wt.numpy())
x = randn(1, 2, 3, 4)
case("upsample_nearest", [("input", x)], grads=("input",), scale_factor=2)
case("upsample_bilinear", [("input", x)], grads=("input",), size=(5, 7))
case("upsample", [("input", x)], grads=("input",), size=(5, 7), mode="bicubic",
     align_corners=False)  # fmt: skip

np.savez_compressed(
    pathlib.Path(__file__).parent / "ops17.npz",
    meta=np.array(META),
    torch_version=np.array(torch.__version__),
    **ARRAYS,
)
print(len(META), "cases")
