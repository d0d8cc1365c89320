"""Makes ``tests/golden/resample.npz``: PyTorch pooling and interpolate outputs.

Run with a PyTorch venv (never needed by the test suite)::

    python tests/golden/make_resample.py

All arrays live in one flat float32 vector ``data``; ``meta`` holds one JSON object
per case: ``fn`` and ``kwargs`` (keyword names shared by ``torch.nn.functional`` and
``convjax.functional``), the input ``dtype``, and ``[offset, shape]`` of the input
``x``, PyTorch's output ``y`` and, for the differentiable cases, a cotangent ``r``
and the input gradient ``g`` of ``sum(y * r)``.
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

S1, S2, S3 = (2, 3, 5), (1, 2, 6, 7), (1, 2, 4, 5, 3)

CASES = []


def case(fn, shape, grad=None, dtype="float32", **kwargs):
    # Gradients: every pooling case, and the interpolate cases marked below (the
    # input gradient of a linear resize is its adjoint; a few cover each mode).
    if grad is None:
        grad = fn != "interpolate"
    CASES.append((fn, tuple(shape), kwargs, grad, dtype))


# ---- interpolate: 1-D
for mode in ("nearest", "nearest-exact"):
    for kw in (
        dict(size=11),
        dict(size=3),
        dict(size=10),
        dict(size=5),
        dict(size=1),
        dict(scale_factor=2.01),
        dict(scale_factor=1.34),
        dict(scale_factor=0.5),
        dict(scale_factor=0.7),
        dict(scale_factor=1.34, recompute_scale_factor=True),
        dict(scale_factor=3),
    ):
        case("interpolate", S1, mode=mode, **kw)
case("interpolate", (2, 3, 7), mode="nearest", size=3)
case("interpolate", (2, 3, 7), mode="nearest", size=12, grad=True)
case("interpolate", (2, 3, 7), mode="nearest-exact", size=4, grad=True)
case("interpolate", (1, 2, 1), mode="nearest-exact", size=4)
case("interpolate", S1, grad=False, dtype="uint8", mode="nearest", size=8)
for ac in (False, True):
    for kw in (
        dict(size=3),
        dict(size=5),
        dict(size=8),
        dict(size=11),
        dict(size=1),
        dict(scale_factor=1.5),
        dict(scale_factor=1.5, recompute_scale_factor=True),
        dict(scale_factor=0.7),
        dict(scale_factor=2),
        dict(scale_factor=1.1),
    ):
        case("interpolate", S1, mode="linear", align_corners=ac, **kw)
    case("interpolate", (1, 2, 1), mode="linear", align_corners=ac, size=4)
    case("interpolate", (2, 3, 13), mode="linear", align_corners=ac, size=9, grad=True)
    case("interpolate", (2, 3, 6), mode="linear", align_corners=ac, size=13, grad=True)
# ---- interpolate: 2-D
for mode in ("bilinear", "bicubic"):
    for ac in (False, True):
        for kw in (
            dict(size=(9, 4)),
            dict(size=(12, 14)),
            dict(size=(3, 3)),
            dict(size=1),
            dict(scale_factor=(1.5, 0.6)),
            dict(scale_factor=(1.5, 0.6), recompute_scale_factor=True),
            dict(scale_factor=2),
            dict(scale_factor=0.5),
            dict(scale_factor=(1.1, 1.0)),
            dict(size=(6, 7)),
        ):
            case("interpolate", S2, mode=mode, align_corners=ac, **kw)
    case("interpolate", (1, 1, 1, 3), mode=mode, size=(4, 5), grad=True)
    case("interpolate", S2, mode=mode, size=(3, 11), grad=True)
    case("interpolate", S2, mode=mode, size=(11, 3), align_corners=True, grad=True)
    for ac in (False, True):
        for kw in (
            dict(size=(3, 4)),
            dict(size=(2, 2)),
            dict(size=(9, 11)),
            dict(size=(4, 9)),
            dict(scale_factor=0.45),
            dict(scale_factor=(1.1, 0.6)),
            dict(size=(6, 3)),
            dict(size=1),
        ):
            case("interpolate", S2, mode=mode, align_corners=ac, antialias=True, **kw)
    case(
        "interpolate", (1, 2, 17, 23), mode=mode, antialias=True, size=(5, 4), grad=True
    )
for mode in ("nearest", "nearest-exact", "area"):
    for kw in (
        dict(size=(4, 3)),
        dict(size=(8, 9)),
        dict(scale_factor=0.5),
        dict(scale_factor=(1.7, 0.8)),
    ):
        case("interpolate", S2, mode=mode, **kw)
# ---- interpolate: 3-D
for ac in (False, True):
    for kw in (dict(size=(7, 3, 5)), dict(scale_factor=(0.5, 1.5, 2.0)), dict(size=1)):
        case("interpolate", S3, mode="trilinear", align_corners=ac, **kw)
for mode in ("nearest", "nearest-exact", "area"):
    case("interpolate", S3, mode=mode, size=(3, 7, 2))
case("interpolate", S1, mode="area", size=3)
case("interpolate", S1, mode="area", scale_factor=1.7, grad=True)
case("interpolate", S2, mode="area", size=(4, 5), grad=True)
case("interpolate", S3, mode="trilinear", size=(5, 2, 4), grad=True)

# ---- pixel shuffle
case("pixel_shuffle", (2, 1, 8, 2, 3), upscale_factor=2)
case("pixel_shuffle", (18, 2, 2), upscale_factor=3)
case("pixel_unshuffle", (2, 1, 2, 4, 6), downscale_factor=2)

# ---- pooling
for kw in (
    dict(kernel_size=3),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=2, ceil_mode=True),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=2, stride=3, padding=1, dilation=3, ceil_mode=True),
):
    case("max_pool1d", (2, 3, 11), **kw)
    case("avg_pool1d", (2, 3, 11), **{k: v for k, v in kw.items() if k != "dilation"})
    if "padding" in kw:
        case(
            "avg_pool1d",
            (2, 3, 11),
            count_include_pad=False,
            **{k: v for k, v in kw.items() if k != "dilation"},
        )
case("max_pool1d", (3, 9), kernel_size=2)
for kw in (
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True),
    dict(kernel_size=2, dilation=(2, 1), padding=1),
):
    case("max_pool2d", (2, 2, 9, 8), **kw)
    kw2 = {k: v for k, v in kw.items() if k != "dilation"}
    case("avg_pool2d", (2, 2, 9, 8), **kw2)
    case("avg_pool2d", (2, 2, 9, 8), count_include_pad=False, **kw2)
    case("avg_pool2d", (2, 2, 9, 8), divisor_override=5, **kw2)
case("max_pool2d", (2, 9, 8), kernel_size=3, stride=2, padding=1)
case("avg_pool2d", (2, 9, 8), kernel_size=3, stride=2, padding=1, ceil_mode=True)
for kw in (
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(
        kernel_size=(1, 2, 3), stride=(1, 2, 2), padding=(0, 1, 1), dilation=(2, 1, 1)
    ),
):
    case("max_pool3d", (1, 2, 5, 6, 7), **kw)
    kw2 = {k: v for k, v in kw.items() if k != "dilation"}
    case("avg_pool3d", (1, 2, 5, 6, 7), **kw2)
    case("avg_pool3d", (1, 2, 5, 6, 7), count_include_pad=False, **kw2)
case("avg_pool3d", (1, 2, 5, 6, 7), kernel_size=2, divisor_override=3)
for fn in ("adaptive_avg_pool", "adaptive_max_pool"):
    for o in (1, 3, 4, 5, 7, 11):
        case(fn + "1d", (2, 3, 10), output_size=o)
    for o in ((3, 4), (4, 4), (2, None), (9, 10), 1, (5, 3)):
        case(fn + "2d", (2, 2, 9, 8), output_size=o)
    case(fn + "2d", (2, 9, 8), output_size=(4, 5))
    for o in ((2, 3, 4), (None, 2, 5), 1):
        case(fn + "3d", (1, 2, 5, 6, 7), output_size=o)


def main():
    rng = np.random.default_rng(1234)
    chunks, meta, offset = [], [], 0

    def put(a):
        nonlocal offset
        a = np.asarray(a, np.float32)
        chunks.append(a.reshape(-1))
        offset += a.size
        return [offset - a.size, list(a.shape)]

    for fn, shape, kwargs, grad, dtype in CASES:
        if dtype == "uint8":
            x = rng.integers(0, 256, shape).astype(np.uint8)
        else:
            x = rng.standard_normal(shape).astype(np.float32)
        xt = torch.tensor(x, requires_grad=grad)
        y = getattr(F, fn)(xt, **kwargs)
        entry = {
            "fn": fn,
            "kwargs": kwargs,
            "dtype": dtype,
            "x": put(x),
            "y": put(y.detach().numpy()),
        }
        if grad:
            r = rng.standard_normal(tuple(y.shape)).astype(np.float32)
            (g,) = torch.autograd.grad((y * torch.tensor(r)).sum(), xt)
            entry["r"], entry["g"] = put(r), put(g.numpy())
        meta.append(json.dumps(entry))
    path = pathlib.Path(__file__).with_name("resample.npz")
    np.savez_compressed(
        path,
        data=np.concatenate(chunks),
        meta=np.array(meta),
        torch_version=np.array(torch.__version__),
    )
    print(f"{len(CASES)} cases -> {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
