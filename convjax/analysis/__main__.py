"""``python -m convjax.analysis MODULE:FACTORY --input 1,3,224,224``: print a summary.

``MODULE`` is an importable module name (``mypkg.models``) or a path to a ``.py``
file; ``FACTORY`` names (dotted attributes allowed) either an NNX module instance or
a callable returning one. The callable is called with ``--kw`` keyword arguments,
plus ``rngs=nnx.Rngs(0)`` when it takes a ``rngs`` argument that was not given.
The factory runs under ``nnx.eval_shape`` (parameters are shapes only, nothing is
allocated; it is called for real if it cannot be traced). Each ``--input`` is one
positional input shape; the model is only traced, never run.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path

import jax
import jax.numpy as jnp


def _load(spec: str):
    if ":" not in spec:
        raise SystemExit(f"error: expected MODULE:FACTORY, got {spec!r}")
    module_name, _, attr = spec.rpartition(":")
    if module_name.endswith(".py"):
        path = Path(module_name)
        loader = importlib.util.spec_from_file_location(path.stem, path)
        if loader is None or loader.loader is None or not path.exists():
            raise SystemExit(f"error: no such file {module_name!r}")
        mod = importlib.util.module_from_spec(loader)
        sys.modules[path.stem] = mod
        loader.loader.exec_module(mod)
    else:
        if "" not in sys.path:
            sys.path.insert(0, "")
        try:
            mod = importlib.import_module(module_name)
        except ImportError as e:
            raise SystemExit(f"error: cannot import {module_name!r}: {e}") from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SystemExit(f"error: {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in text.replace("x", ",").split(",") if d.strip())
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"bad shape {text!r}; use e.g. 1,3,224,224")
    return shape


def _dtype(text: str):
    try:
        return jnp.dtype(text)
    except TypeError:
        raise argparse.ArgumentTypeError(
            f"bad dtype {text!r}; use e.g. float32 or bfloat16"
        ) from None


def _kw(text: str):
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"bad --kw {text!r}; use key=value")
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def main(argv=None) -> int:
    from flax import nnx

    from convjax._src.flops import FlopCounter
    from convjax._src.summary import summary

    parser = argparse.ArgumentParser(
        prog="python -m convjax.analysis",
        description="Print a summary table (params, output shapes, MACs) of an NNX model.",
    )
    parser.add_argument("factory", help="MODULE:FACTORY, e.g. mymodels:resnet18")
    parser.add_argument(
        "--input",
        type=_shape,
        action="append",
        required=True,
        help="input shape, e.g. 1,3,224,224 (repeat for several inputs)",
    )
    parser.add_argument(
        "--dtype",
        type=_dtype,
        default="float32",
        help="input dtype (default float32)",
    )
    parser.add_argument(
        "--kw", type=_kw, action="append", default=[], help="factory keyword, key=value"
    )
    parser.add_argument("--eval", action="store_true", help="call model.eval() first")
    parser.add_argument(
        "--backward", action="store_true", help="also count the backward pass FLOPs"
    )
    args = parser.parse_args(argv)

    obj = _load(args.factory)
    kwargs = dict(args.kw)
    if isinstance(obj, nnx.Module):
        model = obj
    elif callable(obj):
        params: Mapping[str, inspect.Parameter]
        try:
            target = obj.__init__ if isinstance(obj, type) else obj  # type: ignore[misc]
            params = inspect.signature(target).parameters
        except (TypeError, ValueError):
            params = {}
        if "rngs" in params and "rngs" not in kwargs:
            kwargs["rngs"] = nnx.Rngs(0)
        try:  # abstract parameters: nothing is allocated or initialised
            model = nnx.eval_shape(lambda: obj(**kwargs))
        except Exception:  # a factory that cannot be traced: build it for real
            model = obj(**kwargs)
    else:
        raise SystemExit(f"error: {args.factory!r} is neither a module nor a callable")
    if not isinstance(model, nnx.Module):
        raise SystemExit(
            f"error: {args.factory!r} returned {type(model).__name__}, not an nnx.Module"
        )
    if args.eval:
        model.eval()
    dtype = args.dtype
    inputs = [jax.ShapeDtypeStruct(s, dtype) for s in args.input]
    print(summary(model, *inputs))
    if args.backward:
        report = FlopCounter(backward=True)(model, *inputs)
        print(
            f"Forward + backward FLOPs: {report.total:,} (backward {report.backward:,})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
