"""Full-size parity of convjax.models with torchvision, run by hand.

Needs an interpreter with torch, torchvision, fvcore *and* jax/flax (e.g. install
jax, flax, optax, chex into the torchvision environment); run from the repository
root so that this checkout's ``convjax`` is imported:

    python tests/golden/check_zoo_full.py [NAME ...] [--batch 1]

For every model (default: all of ``zoo_arch.json``) at 224x224: builds
torchvision's model with random init (``weights=None``, ``weights_backbone=None``),
loads its state dict into the convjax twin with ``strict=True``, and prints a
Markdown table: max |logit difference| / max |logit| (eval mode, float32; the worse
of ``out`` and ``aux`` for segmentation) with torchvision's random init and again
with the He-scaled synthetic weights of ``tests/references/zoo.py`` (random init
leaves some deep activations tiny), parameter count (convjax vs torchvision), MACs (convjax's
``count_flops(...).macs`` vs fvcore's conv + linear/matmul count), jit compile time
and per-call times of both (CPU; medians of 3 after warm-up).
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from flax import nnx  # noqa: E402

from convjax import analysis, interop, models  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from references.zoo import synthetic_state_dict  # noqa: E402

NAMES = [
    "resnet18", "resnet34", "resnet50", "resnext50_32x4d", "wide_resnet50_2",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
    "regnet_y_400mf", "convnext_tiny", "shufflenet_v2_x1_0", "squeezenet1_1",
    "vgg11_bn", "densenet121", "alexnet", "fcn_resnet50",
    "deeplabv3_mobilenet_v3_large",
]  # fmt: skip
SEGMENTATION = {"fcn_resnet50", "deeplabv3_mobilenet_v3_large"}
FVCORE_MAC_OPS = ("conv", "linear", "matmul", "addmm", "bmm", "einsum")


def torch_model(name):
    if name in SEGMENTATION:
        fn = getattr(torchvision.models.segmentation, name)
        return fn(weights=None, weights_backbone=None, aux_loss=True)
    return getattr(torchvision.models, name)(weights=None)


def fvcore_macs(model, x):
    try:
        from fvcore.nn import FlopCountAnalysis
    except ImportError:
        return None
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        counter = FlopCountAnalysis(model, x)
        counter.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        by_op = counter.by_operator()
    return sum(v for k, v in by_op.items() if k in FVCORE_MAC_OPS)


def _as_dict(out):
    if not isinstance(out, dict):
        out = {"out": out}
    return {k: (v.numpy() if hasattr(v, "numpy") else v) for k, v in out.items()}


def _rel_diff(got, want):
    """Max over the outputs of max |difference| / max |torchvision's output|."""
    return max(
        float(np.abs(np.asarray(got[k]) - want[k]).max() / np.abs(want[k]).max())
        for k in want
    )


def median_time(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def check(name, batch):
    torch.manual_seed(0)
    tv = torch_model(name).eval()
    kwargs = {"aux_loss": True} if name in SEGMENTATION else {}
    model = nnx.eval_shape(lambda: getattr(models, name)(rngs=nnx.Rngs(0), **kwargs))
    interop.load_torch_state_dict(model, tv.state_dict(), strict=True)
    model.eval()
    x = (
        np.random.default_rng(0)
        .standard_normal((batch, 3, 224, 224))
        .astype(np.float32)
    )
    xt = torch.from_numpy(x)
    with torch.no_grad():
        ref = tv(xt)
        t_torch = median_time(lambda: tv(xt))
    ref = _as_dict(ref)

    graphdef, state = nnx.split(model)

    @jax.jit
    def forward(state, x):
        return _as_dict(nnx.merge(graphdef, state)(x))

    xj = jnp.asarray(x)
    t0 = time.perf_counter()
    compiled = forward.lower(state, xj).compile()
    t_compile = time.perf_counter() - t0
    rel = _rel_diff(compiled(state, xj), ref)
    t_jax = median_time(lambda: jax.block_until_ready(compiled(state, xj)))
    # Random init can leave deep activations tiny (MobileNetV3's C5 is ~1e-8), so
    # also compare with He-scaled synthetic weights (tests/references/zoo.py).
    sd = synthetic_state_dict({k: tuple(v.shape) for k, v in tv.state_dict().items()})
    tv.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    interop.load_torch_state_dict(model, sd, strict=True)
    with torch.no_grad():
        ref = _as_dict(tv(xt))
    rel_synthetic = _rel_diff(compiled(nnx.split(model)[1], xj), ref)
    params = sum(
        int(np.prod(v.get_value().shape))
        for v in interop.named_state(model).values()
        if isinstance(v, nnx.Param)
    )
    tv_params = sum(p.numel() for p in tv.parameters())
    macs = analysis.count_flops(
        model, jax.ShapeDtypeStruct((1, 3, 224, 224), jnp.float32)
    ).macs
    fv = fvcore_macs(tv, torch.zeros(1, 3, 224, 224))
    return {
        "name": name, "rel": rel, "rel_synthetic": rel_synthetic, "params": params,
        "tv_params": tv_params, "macs": macs, "fvcore": fv, "compile": t_compile,
        "jax": t_jax, "torch": t_torch,
    }  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", default=NAMES)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, jax "
        f"{jax.__version__}, {jax.devices()[0].platform}, batch {args.batch}, 224x224"
    )
    print(
        "| model | max abs diff / max abs logit, random init | same, synthetic "
        "weights | params (= torchvision) | MACs (convjax / fvcore) | jit compile s "
        "| convjax s | torch s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    worst = 0.0
    failed = []
    for name in args.names:
        try:
            r = check(name, args.batch)
        except Exception as e:  # report and go on with the other models
            failed.append(name)
            print(f"| {name} | error: {type(e).__name__}: {str(e)[:200]} | | | | | | |")
            continue
        worst = max(worst, r["rel"], r["rel_synthetic"])
        same = "yes" if r["params"] == r["tv_params"] else f"NO ({r['tv_params']:,})"
        fv = "n/a" if r["fvcore"] is None else f"{r['fvcore'] / 1e9:.3f} G"
        print(
            f"| {name} | {r['rel']:.1e} | {r['rel_synthetic']:.1e} | "
            f"{r['params']:,} ({same}) | "
            f"{r['macs'] / 1e9:.3f} G / {fv} | {r['compile']:.1f} | {r['jax']:.3f} | "
            f"{r['torch']:.3f} |",
            flush=True,
        )
    print(f"worst relative logit difference: {worst:.1e} (limit 1e-4)")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 0 if worst <= 1e-4 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
