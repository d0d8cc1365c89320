"""Whole-model speed: convjax's model zoo vs the same models on ``impl="xla"`` vs PyTorch.

Per model (torchvision's constructors, 224x224 float32, NCHW, 1000 classes):

* ``infer b1``: eval-mode forward latency at batch 1,
* ``infer bN``: eval-mode forward at batch ``--batch`` (default 32),
* ``train bN``: one SGD step (momentum 0.9, softmax cross-entropy on random labels,
  train-mode BatchNorm): forward, backward and update, at batch ``--batch``.

Columns (times in ms, medians of ``--rounds`` rounds after one warm-up call; the jax
functions are compiled before it):

* ``auto``: ``convjax.models.<name>``, every conv on ``impl="auto"`` (the default);
* ``auto+opts``: the same, compiled with ``convjax.cpu_compiler_options()``
  (CPU only; ``--no-opts`` drops it);
* ``xla``: the same model traced inside ``dispatch.force_implementation("xla")``:
  every conv is ``lax.conv_general_dilated``, what flax.nnx.Conv / equinox run;
* ``torch``: torchvision's model, eager, in a subprocess of ``--torch-python``
  (default ``$TORCHVISION_PYTHON``), ``torch.set_num_threads`` = the CPUs this
  process may use (``os.sched_getaffinity``), which is what XLA:CPU's pool uses.

The jax columns of a measurement are timed in interleaved rounds (auto, auto+opts,
xla, auto, ...), so their ratios see the same machine load; torch runs afterwards in
its own process. Ratios are speedups of ``auto`` (time of the other / time of auto;
above 1 means convjax is faster). Compile time (lowering + XLA compilation of each
jitted function) is reported separately.

On a machine shared with other work PyTorch's OpenMP threads spin-wait for each
other and can slow down by 10-50x (mobilenet_v2 at batch 1 on 2 threads took 9 s
instead of 0.1 s under a load of 20 on 2 cores); ``OMP_WAIT_POLICY=PASSIVE`` (passed
on to the torch process) avoids that, at some cost on an idle machine.

``--channels-last`` builds the convjax models with ``data_format="NHWC"`` (the ResNet
family; XLA:CPU's convolution works in NHWC, so an NCHW network pays a transpose
around every conv) and feeds them NHWC inputs; torch gets the same as
``model.to(memory_format=torch.channels_last)`` and channels-last inputs.

``--device gpu`` runs jax on its GPU backend and torch on CUDA (no tuning; the
``auto+opts`` column is CPU-only and ``xla`` equals ``auto`` on GPU, where
``impl="auto"`` always picks ``"xla"``, so both are dropped there).

Usage::

    python benchmarks/models.py [--models resnet18,mobilenet_v2] [--batch 32]
        [--rounds 5] [--device cpu|gpu] [--no-torch] [--no-opts] [--channels-last]
"""

import argparse
import json
import os
import subprocess
import sys
import time

# This checkout's convjax first (not an installed copy), then the sibling scripts.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(_HERE), _HERE]

from _timing import interleaved  # noqa: E402

MODELS = (
    "resnet18",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "efficientnet_b0",
    "convnext_tiny",
    "regnet_y_400mf",
)
MEASURES = ("infer b1", "infer bN", "train bN")
DEFAULT_TORCH = os.environ.get("TORCHVISION_PYTHON", "")
LR, MOMENTUM, SIZE, CLASSES = 0.01, 0.9, 224, 1000


def _threads():
    return len(os.sched_getaffinity(0))


def _inputs(batch, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 3, SIZE, SIZE), dtype=np.float32)
    y = rng.integers(0, CLASSES, (batch,))
    return x, y


# --------------------------------------------------------------------------- torch


def run_torch(names, batch, rounds, device, channels_last=False):
    import torch
    import torchvision

    torch.set_num_threads(_threads())
    dev = torch.device("cuda" if device == "gpu" else "cpu")

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    out = {"version": torch.__version__, "threads": torch.get_num_threads()}
    for name in names:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None).to(dev)
        x1 = torch.from_numpy(_inputs(1)[0]).to(dev)
        xn, yn = (torch.from_numpy(a).to(dev) for a in _inputs(batch))
        if channels_last:
            fmt = torch.channels_last
            model, x1, xn = (t.to(memory_format=fmt) for t in (model, x1, xn))
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)

        def infer(x, model=model):
            model.eval()
            with torch.inference_mode():
                model(x)
            sync()

        def train(model=model, opt=opt, xn=xn, yn=yn):
            model.train()
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(xn), yn).backward()
            opt.step()
            sync()

        fns = [lambda x1=x1: infer(x1), lambda xn=xn: infer(xn), train]
        row = {}
        for key, fn in zip(MEASURES, fns, strict=True):
            first, times, _ = interleaved([fn], rounds, warmup=0)
            row[key] = (times[0], first[0])
        out[name] = row
        done = ", ".join(f"{k} {_ms(t)}" for k, (t, _) in row.items())
        print(f"... torch {name} (ms): {done}", file=sys.stderr, flush=True)
    return out


# --------------------------------------------------------------------------- jax


def _jax_functions(name, batch, channels_last=False):
    """(infer, train) pure functions of a convjax model and their initial states."""
    import jax.numpy as jnp
    import optax
    from flax import nnx

    from convjax import models

    kwargs = {"data_format": "NHWC"} if channels_last else {}
    model = getattr(models, name)(rngs=nnx.Rngs(0), **kwargs)
    tx = optax.sgd(LR, momentum=MOMENTUM)

    model.eval()
    graph_e, state_e = nnx.split(model)

    def infer(state, x):
        return nnx.merge(graph_e, state)(x)

    model.train()
    graph_t, params, rest = nnx.split(model, nnx.Param, ...)

    def train(params, rest, opt_state, x, y):
        m = nnx.merge(graph_t, params, rest)

        def loss_fn(m):
            logits = m(x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        grads = nnx.grad(loss_fn)(m)
        _, params, rest = nnx.split(m, nnx.Param, ...)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), rest, opt_state

    x1, (xn, yn) = _inputs(1)[0], _inputs(batch)
    if channels_last:
        x1, xn = x1.transpose(0, 2, 3, 1), xn.transpose(0, 2, 3, 1)
    x1, xn, yn = jnp.asarray(x1), jnp.asarray(xn), jnp.asarray(yn)
    return (
        (infer, (state_e, x1)),
        (infer, (state_e, xn)),
        (train, (params, rest, tx.init(params), xn, yn)),
    )


def run_jax(names, batch, rounds, variants, channels_last=False):
    """variants: column name -> (compiler_options, forced implementation or None)."""
    import contextlib

    import jax

    from convjax._src import dispatch

    out = {}
    for name in names:
        row, compile_s = {}, {}
        for key, (fn, args) in zip(
            MEASURES, _jax_functions(name, batch, channels_last), strict=True
        ):
            calls = []
            for col, (options, forced) in variants.items():
                ctx = dispatch.force_implementation(forced) if forced else None
                t0 = time.perf_counter()
                with ctx or contextlib.nullcontext():
                    donate = (0, 1, 2) if key.startswith("train") else ()
                    # A fresh function per column: jax caches traces per function,
                    # and force_implementation acts at trace time.
                    jitted = jax.jit(
                        lambda *a, fn=fn: fn(*a),
                        compiler_options=options,
                        donate_argnums=donate,
                    )
                    compiled = jitted.lower(*args).compile()
                compile_s[(key, col)] = time.perf_counter() - t0
                calls.append(_caller(compiled, args, key.startswith("train")))
            _, times, _ = interleaved(calls, rounds, warmup=0)
            for col, t in zip(variants, times, strict=True):
                row[(key, col)] = t
        out[name] = (row, compile_s)
        done = ", ".join(f"{k} {c} {_ms(t)}" for (k, c), t in row.items())
        print(f"... jax {name} (ms): {done}", file=sys.stderr, flush=True)
    return out


def _caller(compiled, args, stateful):
    """A blocking call; a train step feeds its new state (donated) to the next call."""
    import jax

    state = [jax.tree.map(lambda a: a.copy(), args[:3])] if stateful else None

    def call():
        if stateful:
            new = compiled(*state[0], *args[3:])
            jax.block_until_ready(new)
            state[0] = new
        else:
            jax.block_until_ready(compiled(*args))

    return call


# --------------------------------------------------------------------------- report


def _ms(t):
    return "-" if t is None else f"{t * 1e3:.0f}" if t >= 0.01 else f"{t * 1e3:.1f}"


def _x(other, auto):
    return "-" if other is None or auto is None else f"{other / auto:.2f}x"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--torch-python", default=DEFAULT_TORCH)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-opts", action="store_true")
    parser.add_argument("--no-xla", action="store_true", help="drop the xla column")
    parser.add_argument(
        "--channels-last", action="store_true", help="NHWC models and inputs"
    )
    parser.add_argument("--torch-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    rounds = max(args.rounds, 1)
    if args.torch_json:
        print(
            json.dumps(
                run_torch(names, args.batch, rounds, args.device, args.channels_last)
            )
        )
        return
    if args.device == "cpu":
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    import convjax

    if args.device == "gpu" and jax.default_backend() != "gpu":
        parser.error(f"--device gpu: jax's default backend is {jax.default_backend()}")
    variants = {"auto": ({}, None)}
    if args.device == "cpu" and not args.no_opts:
        variants["auto+opts"] = (convjax.cpu_compiler_options(), None)
    if args.device == "cpu" and not args.no_xla:
        variants["xla"] = ({}, "xla")
    results = run_jax(names, args.batch, rounds, variants, args.channels_last)
    torch = None
    if not args.no_torch and os.path.exists(args.torch_python):
        cmd = [
            args.torch_python,
            __file__,
            "--torch-json",
            f"--models={','.join(names)}",
        ]
        cmd += [
            f"--batch={args.batch}",
            f"--rounds={rounds}",
            f"--device={args.device}",
        ]
        cmd += ["--channels-last"] if args.channels_last else []
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            torch = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            print(f"torch run failed: {proc.stderr[-800:]}", file=sys.stderr)
    _report(names, args, rounds, variants, results, torch)


def _report(names, args, rounds, variants, results, torch):
    import jax

    dev = "GPU " + jax.devices()[0].device_kind if args.device == "gpu" else "CPU"
    tv = f", torch {torch['version']} ({torch['threads']} threads)" if torch else ""
    print(
        f"\n{dev}, {_threads()} CPUs usable, jax {jax.__version__}{tv}; 224x224 float32, "
        f"batch 1 / {args.batch}"
        f"{'; channels-last (NHWC) models and inputs' if args.channels_last else ''}; ms, median of {rounds} interleaved rounds; "
        "speedup = other's time / auto's time (>1: convjax faster).\n"
    )
    cols = list(variants)
    head = " | ".join(f"{c} ms" for c in cols)
    extra = " | auto+opts vs torch" if "auto+opts" in cols else ""
    extra += " | auto vs xla" if "xla" in cols else ""
    print(f"| model | measure | {head} | torch ms | auto vs torch{extra} |")
    print("|---" * (4 + len(cols) + extra.count("|")) + "|")
    for name in names:
        row, _ = results[name]
        for key in MEASURES:
            auto = row[(key, "auto")]
            tt = torch[name][key][0] if torch else None
            cells = " | ".join(_ms(row[(key, c)]) for c in cols)
            line = (
                f"| {name} | {key.replace('N', str(args.batch))} | {cells} | {_ms(tt)}"
            )
            line += f" | {_x(tt, auto)}"
            if "auto+opts" in cols:
                line += f" | {_x(tt, row[(key, 'auto+opts')])}"
            if "xla" in cols:
                line += f" | {_x(row[(key, 'xla')], auto)}"
            print(line + " |")
    print("\nCompile time, s (lowering + XLA compilation; torch: first eager call):\n")
    print(f"| model | measure | {' | '.join(cols)} | torch first call |")
    print("|---" * (3 + len(cols)) + "|")
    for name in names:
        _, comp = results[name]
        for key in MEASURES:
            cells = " | ".join(f"{comp[(key, c)]:.1f}" for c in cols)
            tf = f"{torch[name][key][1]:.1f}" if torch else "-"
            print(f"| {name} | {key.replace('N', str(args.batch))} | {cells} | {tf} |")


if __name__ == "__main__":
    main()
