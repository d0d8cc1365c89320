"""Writes tests/golden/resample_large.npz: ``F.interpolate`` at irregular ratios on
a long axis (1030 -> 1001, where convjax gathers taps and where float32 rounding of
PyTorch's antialias weights shows), for bilinear, bicubic, area and antialias.

Run with a Python that has torch (never needed by the tests):
    python tests/golden/make_resample_large.py
"""

import pathlib

import numpy as np
import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).with_name("resample_large.npz")
CASES = {
    "bilinear": dict(mode="bilinear"),
    "bicubic": dict(mode="bicubic"),
    "area": dict(mode="area"),
    "bilinear_aa": dict(mode="bilinear", antialias=True),
    "bicubic_aa": dict(mode="bicubic", antialias=True),
}


def main():
    x = np.random.default_rng(0).standard_normal((1, 1, 1030, 2)).astype(np.float32)
    out = {"x": x, "torch_version": np.array(torch.__version__)}
    for name, kw in CASES.items():
        y = F.interpolate(torch.from_numpy(x), size=(1001, 2), **kw)
        out[name] = y.numpy()
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
