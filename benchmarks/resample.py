"""Resampling, pooling and color jitter on CPU: convjax vs jax vs PyTorch.

Prints a Markdown table of milliseconds (median, lower is better) and the ratios
``baseline / convjax`` (above 1: convjax is faster) for the cases of issue 6:

* ``interpolate`` bilinear, bicubic and nearest, x2 up and x0.5 down on
  ``(16, 64, 56, 56)``, against ``jax.image.resize`` (``"linear"``,
  ``"bicubic-pytorch"`` (A=-0.75, PyTorch's kernel), ``"nearest"``,
  ``antialias=False``: the generic resize machinery) and
  ``torch.nn.functional.interpolate``;
* ``interpolate`` at irregular ratios (4096^2 -> 4000^2 bilinear, 56 -> 76
  bilinear, 56 -> 41 bicubic), against the dense ``(O, I)`` matrix per axis that
  convjax applied there before (timed in interleaved rounds) and PyTorch;
* ``max_pool2d`` 3x3 stride 2 padding 1 and ``adaptive_avg_pool2d`` to 7x7 on
  ``(16, 64, 112, 112)``, against ``lax.reduce_window`` (what ``flax.nnx.max_pool``
  / ``avg_pool`` run) and PyTorch;
* ``color_jitter`` (brightness, contrast, saturation 0.4, hue 0.1) on
  ``(64, 3, 224, 224)`` float images, against a dm-pix-style jax jitter (TF
  semantics, fixed op order, one jit) and ``torchvision.transforms.v2.ColorJitter``.

PyTorch runs in a subprocess: ``--torch-python`` (default
``$TORCH_PYTHON``) and ``--tv-python`` for the torchvision row (default
``$TORCHVISION_PYTHON``, else the torch one). The script itself also runs under a torch-only
interpreter with ``--torch-json``, which prints its timings as JSON. Every timing
is the median of ``--reps`` (default 7) runs after two warm-up calls, with
``jax.block_until_ready`` on jax outputs. Float32.

Usage::

    python benchmarks/resample.py [--reps 7] [--no-torch]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

# Interpreters with PyTorch and with torchvision (they never share a process with jax).
DEFAULT_TORCH = os.environ.get("TORCH_PYTHON", "")
DEFAULT_TV = os.environ.get("TORCHVISION_PYTHON", DEFAULT_TORCH)

SMALL = (16, 64, 56, 56)
LARGE = (16, 64, 112, 112)
IMAGES = (64, 3, 224, 224)
JITTER = dict(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)

# name: (torch/convjax mode, scale factor, jax.image.resize method)
RESIZE = {
    "bilinear x2": ("bilinear", 2.0, "linear"),
    "bilinear x0.5": ("bilinear", 0.5, "linear"),
    "bicubic x2": ("bicubic", 2.0, "bicubic-pytorch"),
    "bicubic x0.5": ("bicubic", 0.5, "bicubic-pytorch"),
    "nearest x2": ("nearest", 2.0, "nearest"),
    "nearest x0.5": ("nearest", 0.5, "nearest"),
}
# Irregular ratios (no short period): name: (input shape, output size, mode). Their
# jax baseline is the dense (O, I) matrix per axis that convjax used before.
IRREGULAR = {
    "bilinear 4096^2 -> 4000^2": ((1, 1, 4096, 4096), (4000, 4000), "bilinear"),
    "bilinear 56 -> 76 (x1.36)": (SMALL, (76, 76), "bilinear"),
    "bicubic 56 -> 41 (x0.73)": (SMALL, (41, 41), "bicubic"),
}
POOL = ["max_pool2d 3x3 s2", "adaptive_avg_pool2d 7x7"]
COLOR = "color_jitter"


def interleaved_ms(fns, reps, sync, *args):
    """Medians of ``fns`` timed in interleaved rounds (noise hits all alike)."""
    for fn in fns:
        sync(fn(*args))
        sync(fn(*args))
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, ts in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            sync(fn(*args))
            ts.append(time.perf_counter() - t0)
    return [1e3 * statistics.median(ts) for ts in times]


def median_ms(fn, reps, sync=None, *args):
    sync = sync or (lambda r: r)
    sync(fn(*args))
    sync(fn(*args))
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        sync(fn(*args))
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


# ---- PyTorch (subprocess) ------------------------------------------------------------


def torch_timings(reps, color_only=False, irregular_only=False):
    import torch
    import torch.nn.functional as tF

    torch.manual_seed(0)
    out = {}
    with torch.no_grad():
        if not color_only:
            x = torch.randn(SMALL)
            for name, (mode, sf, _) in ({} if irregular_only else RESIZE).items():
                out[name] = median_ms(
                    lambda x=x, mode=mode, sf=sf: tF.interpolate(
                        x, scale_factor=sf, mode=mode
                    ),
                    reps,
                )
            for name, (shape, size, mode) in IRREGULAR.items():
                x = torch.randn(shape)
                out[name] = median_ms(
                    lambda x=x, size=size, mode=mode: tF.interpolate(
                        x, size=size, mode=mode
                    ),
                    reps,
                )
            if irregular_only:
                return out
            x = torch.randn(LARGE)
            out[POOL[0]] = median_ms(lambda: tF.max_pool2d(x, 3, 2, 1), reps)
            out[POOL[1]] = median_ms(lambda: tF.adaptive_avg_pool2d(x, 7), reps)
        try:
            from torchvision.transforms import v2
        except ImportError:
            return out
        img = torch.rand(IMAGES)
        jitter = v2.ColorJitter(**JITTER)
        out[COLOR] = median_ms(lambda: jitter(img), reps)
    return out


def run_torch(python, reps, color_only=False, irregular_only=False):
    if not python or not os.path.exists(python):
        return {}
    cmd = [python, os.path.abspath(__file__), "--torch-json", "--reps", str(reps)]
    if color_only:
        cmd.append("--color-only")
    if irregular_only:
        cmd.append("--irregular-only")
    try:
        res = subprocess.run(
            cmd, capture_output=True, text=True, check=True, timeout=1800
        )
    except (subprocess.SubprocessError, OSError) as err:
        print(f"torch run failed ({python}): {err}", file=sys.stderr)
        return {}
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---- jax -----------------------------------------------------------------------------


def dm_pix_style_jitter(key, img, brightness, contrast, saturation, hue):
    """A dm-pix-style colour jitter (TF semantics: additive brightness, per-channel
    contrast mean, saturation and hue in HSV, fixed order, no clamping between
    ops), channels first. A baseline for speed only: it does not match torchvision."""
    import jax
    import jax.numpy as jnp

    kb, kc, ks, kh = jax.random.split(key, 4)
    b = jax.random.uniform(kb, (), minval=-brightness, maxval=brightness)
    c = jax.random.uniform(kc, (), minval=1 - contrast, maxval=1 + contrast)
    s = jax.random.uniform(ks, (), minval=1 - saturation, maxval=1 + saturation)
    h = jax.random.uniform(kh, (), minval=-hue, maxval=hue)
    img = img + b
    mean = jnp.mean(img, axis=(-2, -1), keepdims=True)
    img = (img - mean) * c + mean
    r, g, bl = img[..., 0, :, :], img[..., 1, :, :], img[..., 2, :, :]
    v = jnp.maximum(jnp.maximum(r, g), bl)
    mn = jnp.minimum(jnp.minimum(r, g), bl)
    rng_ = v - mn
    sat = jnp.where(v > 0, rng_ / jnp.where(v > 0, v, 1.0), 0.0)
    safe = jnp.where(rng_ > 0, rng_, 1.0)
    hh = jnp.where(
        v == r,
        (g - bl) / safe,
        jnp.where(v == g, 2.0 + (bl - r) / safe, 4.0 + (r - g) / safe),
    )
    hh = jnp.where(rng_ > 0, (hh / 6.0) % 1.0, 0.0)
    hh = (hh + h) % 1.0
    sat = jnp.clip(sat * s, 0.0, 1.0)
    i = jnp.floor(hh * 6.0)
    f = hh * 6.0 - i
    p, q, t = v * (1 - sat), v * (1 - sat * f), v * (1 - sat * (1 - f))
    i = i.astype(jnp.int32) % 6
    sel = lambda *c: jnp.select([i == k for k in range(6)], c)  # noqa: E731
    return jnp.stack(
        [sel(v, q, p, p, t, v), sel(t, v, v, q, p, p), sel(p, p, t, v, v, q)], axis=-3
    )


def jax_timings(reps, irregular_only=False):
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax import lax

    import convjax.functional as F

    rng = np.random.default_rng(0)
    sync = jax.block_until_ready
    rows = {}
    x = jnp.asarray(rng.standard_normal(SMALL, np.float32))
    for name, (mode, sf, method) in ({} if irregular_only else RESIZE).items():
        if (
            method == "bicubic-pytorch"
            and "CUBIC_PYTORCH" not in jax.image.ResizeMethod.__members__
        ):
            method = "cubic"  # older jax: Keys A=-0.5 (same cost)
        ours = jax.jit(
            lambda a, mode=mode, sf=sf: F.interpolate(a, scale_factor=sf, mode=mode)
        )
        shape = SMALL[:2] + tuple(int(s * sf) for s in SMALL[2:])
        base = jax.jit(
            lambda a, shape=shape, method=method: jax.image.resize(
                a, shape, method, antialias=False
            )
        )
        rows[name] = (
            median_ms(ours, reps, sync, x),
            median_ms(base, reps, sync, x),
            "jax.image.resize",
        )
    from convjax._src import resample as rs

    def dense(a, size, mode):  # the dense (O, I) matrix per axis (before issue 14)
        rule = rs.cubic_taps if mode == "bicubic" else rs.linear_taps
        for axis in (2, 3):
            idx, w = rule(a.shape[axis], size[axis - 2], None, False, np.float32)
            a = rs.apply_matrix(a, axis, rs.taps_to_matrix(idx, w, a.shape[axis]))
        return a

    for name, (shape, size, mode) in IRREGULAR.items():
        x = jnp.asarray(rng.standard_normal(shape, np.float32))
        ours = jax.jit(
            lambda a, size=size, mode=mode: F.interpolate(a, size, mode=mode)
        )
        base = jax.jit(lambda a, size=size, mode=mode: dense(a, size, mode))
        got, want = ours(x), base(x)
        assert float(jnp.abs(got - want).max()) < 1e-4, name
        del got, want
        ours_ms, base_ms = interleaved_ms([ours, base], reps, sync, x)
        rows[name] = (ours_ms, base_ms, "dense matrix (before)")
        del x
    if irregular_only:
        return rows
    x = jnp.asarray(rng.standard_normal(LARGE, np.float32))
    ours = jax.jit(lambda a: F.max_pool2d(a, 3, 2, 1))
    base = jax.jit(
        lambda a: lax.reduce_window(
            a,
            -jnp.inf,
            lax.max,
            (1, 1, 3, 3),
            (1, 1, 2, 2),
            ((0, 0), (0, 0), (1, 1), (1, 1)),
        )
    )
    rows[POOL[0]] = (
        median_ms(ours, reps, sync, x),
        median_ms(base, reps, sync, x),
        "lax.reduce_window",
    )
    ours = jax.jit(lambda a: F.adaptive_avg_pool2d(a, 7))
    base = jax.jit(
        lambda a: (
            lax.reduce_window(a, 0.0, lax.add, (1, 1, 16, 16), (1, 1, 16, 16), "VALID")
            / 256.0
        )
    )
    rows[POOL[1]] = (
        median_ms(ours, reps, sync, x),
        median_ms(base, reps, sync, x),
        "lax.reduce_window",
    )
    try:
        from convjax import image

        color_jitter = image.color_jitter
    except (ImportError, AttributeError):
        print(
            "convjax.image.color_jitter is not available yet: skipping the "
            "color_jitter row.",
            file=sys.stderr,
        )
        return rows
    img = jnp.asarray(rng.random(IMAGES, np.float32))
    key = jax.random.key(0)
    ours = jax.jit(lambda k, a: color_jitter(k, a, **JITTER))
    base = jax.jit(lambda k, a: dm_pix_style_jitter(k, a, **JITTER))
    rows[COLOR] = (
        median_ms(ours, reps, sync, key, img),
        median_ms(base, reps, sync, key, img),
        "dm-pix-style jax",
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--torch-python", default=DEFAULT_TORCH)
    parser.add_argument("--tv-python", default=DEFAULT_TV)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--torch-json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--color-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--irregular-only", action="store_true", help="only the irregular-ratio rows"
    )
    args = parser.parse_args()
    if args.torch_json:
        print(
            json.dumps(torch_timings(args.reps, args.color_only, args.irregular_only))
        )
        return
    rows = jax_timings(args.reps, args.irregular_only)
    torch_ms = {}
    if not args.no_torch:
        torch_ms = run_torch(args.torch_python, args.reps, False, args.irregular_only)
        if COLOR in rows and COLOR not in torch_ms:
            torch_ms.update(run_torch(args.tv_python, args.reps, color_only=True))
    print(
        "| case | convjax ms | jax baseline | jax ms | torch ms | jax / convjax | "
        "torch / convjax |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, (ours, base, label) in rows.items():
        t = torch_ms.get(name)
        t_ms = f"{t:.1f}" if t else "-"
        t_ratio = f"{t / ours:.2f}x" if t else "-"
        print(
            f"| {name} | {ours:.1f} | {label} | {base:.1f} | {t_ms} | "
            f"{base / ours:.2f}x | {t_ratio} |"
        )


if __name__ == "__main__":
    main()
