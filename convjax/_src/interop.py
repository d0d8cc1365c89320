"""PyTorch ``state_dict`` <-> Flax NNX module, by name.

A PyTorch name such as ``layer2.0.downsample.1.running_var`` is the dotted path of
attribute names and container indices from the root module. The same path is read in
a ``convjax.nn`` model built with the same attribute names: ``nnx.Sequential``
(whose layers live in ``.layers``) and ``nnx.List``/lists contribute their index,
``nnx.Dict``/dicts their key, any other ``nnx.Module`` its attribute names. Every
``nnx.Param`` and ``nnx.BatchStat`` (running statistics, ``num_batches_tracked``)
on such a path is an entry; other variables (RNG state, caches) are not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

_STATE_TYPES = (nnx.Param, nnx.BatchStat)


class IncompatibleKeys(NamedTuple):
    """Names in the model but not the state dict, and the other way round."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _children(node) -> Iterator[tuple[Any, Any]]:
    """``(name, child)`` pairs in registration order, PyTorch's naming."""
    if isinstance(node, nnx.Sequential):
        yield from enumerate(node.layers)
        yield from _attributes(node, skip=("layers",))
    elif isinstance(node, nnx.List | list | tuple):
        yield from enumerate(node)
    elif isinstance(node, nnx.Dict | dict):
        yield from node.items()
    elif isinstance(node, nnx.Pytree):
        yield from _attributes(node)


def _attributes(node, skip=()):
    for name, value in vars(node).items():
        if not name.startswith("_pytree__") and name not in skip:
            yield name, value


def _named_state(node, prefix=(), ancestors=()) -> Iterator[tuple[str, nnx.Variable]]:
    if id(node) in ancestors:  # a reference cycle
        return
    ancestors = (*ancestors, id(node))
    children = list(_children(node))
    # PyTorch's order: a module's own parameters, then its own buffers, then its
    # submodules, each in attribute order.
    for kind in _STATE_TYPES:
        for name, child in children:
            if isinstance(child, kind):
                yield ".".join(map(str, (*prefix, name))), child
    for name, child in children:
        if not isinstance(child, nnx.Variable):
            yield from _named_state(child, (*prefix, name), ancestors)


def named_state(module) -> dict[str, nnx.Variable]:
    """PyTorch state-dict names of ``module``'s parameters and buffers.

    Order: as PyTorch, a module's own ``nnx.Param``s, then its own
    ``nnx.BatchStat``s, then its submodules, each in attribute order (which is
    definition order for a model built directly, alphabetical for one rebuilt by
    ``nnx.merge``/``nnx.eval_shape``/``nnx.jit``). A variable reachable by several
    paths (a shared submodule or tied weight) is listed under each, as PyTorch does.
    """
    return dict(_named_state(module))


def _as_numpy(value, name: str) -> np.ndarray:
    """NumPy view of an array-like; torch tensors without importing torch."""
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        tensor = value.detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":  # NumPy has no bfloat16 bridge
            tensor = tensor.float()
        return tensor.numpy()
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = None
    if array is None or array.dtype == object:
        raise TypeError(
            f"`state_dict[{name!r}]` is not array-like: got {type(value).__name__}."
        )
    return array


_ABSTRACT = (jax.ShapeDtypeStruct,)


def _check_module(module, fn: str):
    if not isinstance(module, nnx.Pytree):
        raise TypeError(
            f"`{fn}`: `module` must be an `nnx.Module` (a convjax.nn model), got "
            f"{type(module).__name__}."
        )


def _convert(value: np.ndarray, current) -> jax.Array:
    """A fresh device array of ``value`` with ``current``'s dtype and sharding."""
    if value.dtype.kind not in "biufc":  # strings, bytes, records, datetimes
        raise TypeError(f"not numeric (dtype {value.dtype})")
    # np.array copies: the caller's buffer (a torch tensor's storage, a NumPy
    # array) is never aliased by the model.
    new = jnp.asarray(np.array(value, copy=True), dtype=current.dtype)
    sharding = getattr(current, "sharding", None)
    if sharding is not None:
        new = jax.device_put(new, sharding)
    return jax.block_until_ready(new)


def _quote(names):
    return ", ".join(repr(n) for n in names)


def load_torch_state_dict(module, state_dict: Mapping[str, Any], strict: bool = True):
    """Loads a PyTorch ``state_dict`` into a ``convjax.nn`` model, in place.

    Names are PyTorch's dotted paths (see :mod:`convjax.interop`); values may be
    NumPy arrays, JAX arrays or ``torch.Tensor`` (converted without importing
    torch). Each value is copied (the model never shares the caller's buffers) and
    cast to the dtype of the variable it replaces (so an int64
    ``num_batches_tracked`` becomes int32), keeping its sharding. Nothing is
    written unless every value passes its checks and converts.

    The model may be abstract, built with ``nnx.eval_shape(lambda: Net(rngs=...))``
    to skip the random initialisation: a strict load then replaces every variable.

    Args:
      module: an ``nnx.Module`` whose attribute names mirror the PyTorch model.
      state_dict: mapping from PyTorch names to arrays, e.g.
        ``torch_model.state_dict()`` or ``dict(np.load("weights.npz"))``.
      strict: if True, every model entry must be in ``state_dict`` and every
        ``state_dict`` key in the model.

    Returns:
      ``IncompatibleKeys(missing_keys, unexpected_keys)``, as PyTorch's
      ``load_state_dict`` returns (both empty when ``strict`` succeeds).

    Raises:
      ValueError: shape mismatches and values that do not convert to the
        variable's dtype (always), missing or unexpected keys when ``strict``, and
        missing keys of an abstract (``nnx.eval_shape``) model even when not
        ``strict``; the message lists every offending key.
      TypeError: ``module`` is not an ``nnx.Module``; a value that is not
        array-like.

    Examples:
      >>> import numpy as np
      >>> from flax import nnx
      >>> from convjax import interop, nn
      >>> model = nnx.Sequential(nn.Conv2d(1, 2, 3, rngs=nnx.Rngs(0)), nn.BatchNorm2d(2))
      >>> sd = {"0.weight": np.ones((2, 1, 3, 3)), "0.bias": np.zeros(2)}
      >>> interop.load_torch_state_dict(model, sd, strict=False).missing_keys
      ['1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']
      >>> float(model.layers[0].weight[...].sum())
      18.0

    PyTorch parity: ``torch.nn.Module.load_state_dict`` (names, ``strict``, return
    value); errors are ``ValueError`` instead of ``RuntimeError`` and loading is
    all-or-nothing.
    """
    _check_module(module, "load_torch_state_dict")
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"`state_dict` must be a mapping from names to arrays, got "
            f"{type(state_dict).__name__}."
        )
    targets = named_state(module)
    missing = [name for name in targets if name not in state_dict]
    unexpected = [name for name in state_dict if name not in targets]
    # Every value is converted (copied, cast, placed) before anything is written, so
    # a failure leaves the model untouched and no caller buffer is shared.
    staged, mismatched, unconvertible = [], [], []
    for name, variable in targets.items():
        if name not in state_dict:
            continue
        value = _as_numpy(state_dict[name], name)
        current = variable.get_value()
        if value.shape != current.shape:
            mismatched.append(
                f"{name!r}: checkpoint shape {value.shape}, model shape {current.shape}"
            )
            continue
        try:
            new = _convert(value, current)
        except (TypeError, ValueError) as err:
            unconvertible.append(f"{name!r} ({value.dtype} to {current.dtype}: {err})")
            continue
        staged.append((variable, new))
    abstract = [
        name for name in missing if isinstance(targets[name].get_value(), _ABSTRACT)
    ]
    problems = []
    if strict and missing:
        problems.append(f"missing key(s) in `state_dict`: {_quote(missing)}")
    elif abstract:
        problems.append(
            "missing key(s) of an abstract model (built with `nnx.eval_shape`) would "
            f"stay unallocated: {_quote(abstract)}; give them in `state_dict` or "
            "build the model concretely"
        )
    if strict and unexpected:
        problems.append(f"unexpected key(s) in `state_dict`: {_quote(unexpected)}")
    if mismatched:
        problems.append("size mismatch for " + "; ".join(mismatched))
    if unconvertible:
        problems.append("cannot convert " + "; ".join(unconvertible))
    if problems:
        raise ValueError(
            f"Error(s) in loading `state_dict` for {type(module).__name__} (nothing "
            f"was loaded): " + ". ".join(problems) + "."
        )
    for variable, new in staged:
        variable.set_value(new)
    return IncompatibleKeys(missing, unexpected)


def to_torch_state_dict(module) -> dict[str, np.ndarray]:
    """The PyTorch ``state_dict`` of a ``convjax.nn`` model, as NumPy arrays.

    Entries follow PyTorch's order (see :func:`named_state`). Integer buffers
    (``num_batches_tracked``) become int64 as in PyTorch. Load into PyTorch with
    ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})``
    (NumPy has no bfloat16 bridge to torch: cast bfloat16 entries first).

    Args:
      module: an ``nnx.Module`` whose attribute names mirror the PyTorch model.

    Returns:
      ``dict`` from PyTorch names to ``np.ndarray`` copies.

    Raises:
      TypeError: ``module`` is not an ``nnx.Module``.
      ValueError: a variable of an abstract (``nnx.eval_shape``) model.

    Examples:
      >>> from flax import nnx
      >>> from convjax import interop, nn
      >>> model = nnx.Sequential(nn.Linear(3, 2, rngs=nnx.Rngs(0)), nn.BatchNorm1d(2))
      >>> {k: v.shape for k, v in interop.to_torch_state_dict(model).items()}
      {'0.weight': (2, 3), '0.bias': (2,), '1.weight': (2,), '1.bias': (2,), '1.running_mean': (2,), '1.running_var': (2,), '1.num_batches_tracked': ()}

    PyTorch parity: ``torch.nn.Module.state_dict`` names and order.
    """
    _check_module(module, "to_torch_state_dict")
    out = {}
    for name, variable in named_state(module).items():
        if isinstance(variable.get_value(), _ABSTRACT):
            raise ValueError(
                f"`to_torch_state_dict`: {name!r} is abstract (a model built with "
                "`nnx.eval_shape` and never loaded); it has no values to export."
            )
        value = np.array(variable.get_value())
        if np.issubdtype(value.dtype, np.integer):
            value = value.astype(np.int64)
        out[name] = value
    return out
