"""A short tour of convjax's convolution functions: shapes, and parity with PyTorch.

Run from the repository root:

    python examples/conv_tour.py

It prints the output shape of each kind of convolution, checks that a transposed
conv is the input gradient of the matching conv, and compares against the PyTorch
outputs stored in tests/golden/conv.npz (made by tests/golden/make_conv.py).
"""

import argparse
import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

import convjax.functional as F
from convjax import analysis


def tour():
    key = jax.random.key(0)
    kx, kw = jax.random.split(key)
    x = jax.random.normal(kx, (8, 32, 28, 28))  # (N, C, H, W), PyTorch layout
    examples = {
        "dense 3x3, padding=1": (
            jax.random.normal(kw, (64, 32, 3, 3)),
            dict(padding=1),
        ),
        "strided 3x3, padding='same'": (
            jax.random.normal(kw, (64, 32, 3, 3)),
            dict(stride=2, padding="same"),
        ),
        "dilated 3x3, reflect": (
            jax.random.normal(kw, (64, 32, 3, 3)),
            dict(padding=2, dilation=2, padding_mode="reflect"),
        ),
        "grouped 3x3, groups=4": (
            jax.random.normal(kw, (64, 8, 3, 3)),
            dict(padding=1, groups=4),
        ),
        "depthwise 3x3, multiplier 2": (
            jax.random.normal(kw, (64, 1, 3, 3)),
            dict(padding=1, groups=32),
        ),
        "pointwise 1x1": (jax.random.normal(kw, (16, 32, 1, 1)), {}),
    }
    print(f"input {tuple(x.shape)}")
    for name, (w, kwargs) in examples.items():
        y = F.conv2d(x, w, **kwargs)
        groups = kwargs.get("groups", 1)
        macs = analysis.conv_macs(
            32, w.shape[0], w.shape[2:], y.shape[2:], groups, batch=8
        )
        print(
            f"  conv2d {name:32s} weight {tuple(w.shape)!s:16s} -> {tuple(y.shape)}  {macs / 1e6:7.1f} MMACs"
        )
    wt = jax.random.normal(kw, (32, 16, 4, 4))  # (in, out/groups, kH, kW)
    y = F.conv_transpose2d(x, wt, stride=2, padding=1)
    print(
        f"  conv_transpose2d 4x4 stride 2           weight {tuple(wt.shape)!s:16s} -> {tuple(y.shape)}"
    )
    cols = F.unfold(x, kernel_size=3, padding=1)
    print(
        f"  unfold 3x3                                                 -> {tuple(cols.shape)}"
    )

    # A transposed conv is the gradient of a conv with respect to its input.
    w = jax.random.normal(kw, (16, 32, 3, 3))
    out, vjp = jax.vjp(lambda a: F.conv2d(a, w, stride=2, padding=1), x)
    g = jnp.ones_like(out)
    adj = F.conv_transpose2d(g, w, stride=2, padding=1, output_padding=1)
    err = float(jnp.max(jnp.abs(vjp(g)[0] - adj)))
    print(f"transposed conv == conv input gradient: max abs difference {err:.2e}")


def parity_with_pytorch():
    path = pathlib.Path(__file__).resolve().parents[1] / "tests" / "golden" / "conv.npz"
    if not path.exists():
        print("no PyTorch goldens found; skipping the parity check")
        return True
    gold = np.load(path)
    names = sorted(
        {
            k.split("/")[0]
            for k in gold.files
            if "/" in k and gold[f"{k.split('/')[0]}/op"] in ("conv", "convt")
        }
    )
    worst = 0.0
    for name in names:
        kw = json.loads(str(gold[f"{name}/kwargs"]))
        kw.pop("bias", None)
        x, w = gold[f"{name}/x"], gold[f"{name}/w"]
        b = gold[f"{name}/b"] if f"{name}/b" in gold.files else None
        n = x.ndim - 2
        op = str(gold[f"{name}/op"])
        fn = getattr(F, f"conv{n}d" if op == "conv" else f"conv_transpose{n}d")
        worst = max(worst, float(np.max(np.abs(fn(x, w, b, **kw) - gold[f"{name}/y"]))))
    ok = worst < 1e-4
    print(
        f"parity with PyTorch {gold['torch_version']} on {len(names)} conv/conv_transpose cases: "
        f"max abs error {worst:.1e} -> {'OK' if ok else 'MISMATCH'}"
    )
    return ok


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Exits 1 when the parity check against the PyTorch goldens fails.",
    ).parse_args()
    jax.config.update("jax_default_matmul_precision", "highest")
    tour()
    raise SystemExit(0 if parity_with_pytorch() else 1)
