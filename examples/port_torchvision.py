"""Run a torchvision model in JAX: load its weights into the ``convjax.models`` twin.

With torch and torchvision installed, builds ``torchvision.models.NAME`` (its
ImageNet weights when they are already in torch's cache, random init otherwise:
nothing is downloaded), loads its ``state_dict`` into ``convjax.models.NAME`` with
``interop.load_torch_state_dict(..., strict=True)``, and compares the eval-mode
logits on a random batch; then times both forwards (the jit compile separately).
Without torchvision it says what it needs and exits 0.

    python examples/port_torchvision.py [NAME] [--batch 1] [--size 224]

NAME is any model of ``convjax.models`` (default ``resnet18``).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

SEGMENTATION = ("fcn_resnet50", "deeplabv3_mobilenet_v3_large")


def _parse(argv):
    parser = argparse.ArgumentParser(
        description="Load a torchvision model's weights into convjax.models and "
        "compare logits and speed."
    )
    parser.add_argument("name", nargs="?", default="resnet18", help="model name")
    parser.add_argument("--batch", type=int, default=1, help="batch size")
    parser.add_argument("--size", type=int, default=224, help="image side")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls")
    return parser.parse_args(argv)


def _torch_model(torchvision, name):
    """torchvision's model, with its default weights if cached (no download)."""
    import torch

    if name in SEGMENTATION:
        builder = getattr(torchvision.models.segmentation, name)
        kwargs = {"weights_backbone": None, "aux_loss": True}
    else:
        builder = getattr(torchvision.models, name)
        kwargs = {}
    weights = torchvision.models.get_model_weights(builder).DEFAULT
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
    if cached.exists():
        return builder(weights=weights, **kwargs), f"{weights} (cached)"
    if name in SEGMENTATION:
        kwargs["num_classes"] = 21
    return builder(weights=None, **kwargs), "random init (no cached weights)"


def _median(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None) -> int:
    args = _parse(argv)
    try:
        import torch
        import torchvision
    except ImportError:
        print(
            "This example needs torch and torchvision (CPU builds are enough: "
            "pip install torch torchvision --index-url "
            "https://download.pytorch.org/whl/cpu). It builds a torchvision model, "
            "loads its state_dict into convjax.models' twin and compares logits; "
            "convjax itself never needs torch. Nothing to do without it."
        )
        return 0

    import jax
    import jax.numpy as jnp
    from flax import nnx

    from convjax import interop, models

    if not hasattr(models, args.name):
        print(f"error: convjax.models has no {args.name!r}")
        return 2
    tv, source = _torch_model(torchvision, args.name)
    tv.eval()
    print(f"torchvision.models.{args.name}: {source}")

    # Abstract twin (nothing initialised), then every entry loaded strictly.
    kwargs = {"aux_loss": True} if args.name in SEGMENTATION else {}
    model = nnx.eval_shape(
        lambda: getattr(models, args.name)(rngs=nnx.Rngs(0), **kwargs)
    )
    interop.load_torch_state_dict(model, tv.state_dict(), strict=True)
    model.eval()

    shape = (args.batch, 3, args.size, args.size)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        ref = tv(xt)
    ref = (ref["out"] if isinstance(ref, dict) else ref).numpy()

    graphdef, state = nnx.split(model)

    def forward(state, x):
        out = nnx.merge(graphdef, state)(x)
        return out["out"] if isinstance(out, dict) else out

    xj = jnp.asarray(x)
    t0 = time.perf_counter()
    compiled = jax.jit(forward).lower(state, xj).compile()
    compile_s = time.perf_counter() - t0
    out = np.asarray(compiled(state, xj))
    diff = float(np.abs(out - ref).max())
    scale = float(np.abs(ref).max())
    with torch.no_grad():
        torch_s = _median(lambda: tv(xt), args.repeat)
    jax_s = _median(lambda: compiled(state, xj).block_until_ready(), args.repeat)
    print(f"input {shape}, logits {out.shape}")
    print(
        f"max |logit difference| {diff:.2e} = {diff / scale:.1e} of the logit scale "
        f"({scale:.3g})"
    )
    print(f"jit compile {compile_s:.1f} s")
    print(
        f"forward (median of {args.repeat}): convjax {jax_s * 1e3:.1f} ms, "
        f"torch {torch_s * 1e3:.1f} ms ({jax.devices()[0].platform})"
    )
    ok = diff <= 1e-4 * scale
    print("parity with torchvision:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
