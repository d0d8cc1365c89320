"""Static argument checks and canonicalisation shared by every convjax function.

Everything here looks only at Python values, shapes and dtypes, so it runs at trace
time and raises ``ValueError``/``TypeError`` naming the offending argument. Nothing
here inspects array values.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

_FORMATS = {
    1: ("NCW", "NWC"),
    2: ("NCHW", "NHWC"),
    3: ("NCDHW", "NDHWC"),
}


def ntuple(value, n: int, name: str) -> tuple[int, ...]:
    """Returns ``value`` as a tuple of ``n`` Python ints.

    >>> ntuple(3, 2, "kernel_size")
    (3, 3)
    >>> ntuple((1, 2), 2, "stride")
    (1, 2)
    """
    if isinstance(value, bool):
        raise TypeError(
            f"`{name}` must be an int or a sequence of {n} ints, got {value!r}."
        )
    if isinstance(value, int | np.integer):
        return (int(value),) * n
    if isinstance(value, Sequence) and not isinstance(value, str):
        out = tuple(value)
        if len(out) == 1 and n > 1:
            out = out * n
        if len(out) == n and all(
            isinstance(v, int | np.integer) and not isinstance(v, bool) for v in out
        ):
            return tuple(int(v) for v in out)
    raise ValueError(
        f"`{name}` must be an int or a sequence of {n} ints, got {value!r}."
    )


def check_count(value, name: str, fn: str) -> int:
    """Returns ``value`` as an int if it is a positive integer (not a bool).

    >>> check_count(3, "groups", "conv2d")
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{fn}`: `{name}` must be a positive int, got {value!r}.")
    return int(value)


def check_real(value, name: str, fn: str) -> float:
    """Returns ``value`` as a float if it is a real Python/NumPy number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{fn}`: `{name}` must be a real number, got {value!r}.")
    return float(value)


def check_positive(values: tuple[int, ...], name: str, *, allow_zero: bool = False):
    """Raises unless every entry of ``values`` is > 0 (or >= 0 with ``allow_zero``)."""
    lo = 0 if allow_zero else 1
    if any(v < lo for v in values):
        what = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{name}` must be {what}, got {values}.")
    return values


def check_choice(value, choices, name: str):
    """Returns ``value`` if it is one of ``choices``; raises ``ValueError`` otherwise."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"`{name}` must be one of {options}; got {value!r}.")
    return value


def is_channels_last(data_format, num_spatial: int, fn: str) -> bool:
    """Parses ``data_format`` (``None`` means channels first) for ``num_spatial`` dims.

    >>> is_channels_last("NHWC", 2, "conv2d")
    True
    >>> is_channels_last(None, 1, "conv1d")
    False
    """
    if data_format is None:
        return False
    first, last = _FORMATS[num_spatial]
    if data_format == first:
        return False
    if data_format == last:
        return True
    raise ValueError(
        f"`{fn}`: `data_format` must be None, {first!r} or {last!r}; got {data_format!r}."
    )


def batchify(x, num_spatial: int, fn: str, name: str = "input"):
    """Adds a batch axis to an unbatched input.

    Accepts ``num_spatial + 2`` (batched) or ``num_spatial + 1`` (unbatched) dims
    and returns ``(batched_x, was_unbatched)``.
    """
    x = jnp.asarray(x)
    if x.ndim == num_spatial + 2:
        return x, False
    if x.ndim == num_spatial + 1:
        return x[None], True
    raise ValueError(
        f"`{fn}` expects `{name}` of rank {num_spatial + 1} (unbatched) or "
        f"{num_spatial + 2} (batched), got shape {x.shape}."
    )


def check_floating(x, fn: str, name: str = "input"):
    """Raises ``TypeError`` unless ``x`` has a floating dtype."""
    if not jnp.issubdtype(jnp.result_type(x), jnp.floating):
        raise TypeError(
            f"`{fn}` expects a floating-point `{name}`, got dtype {jnp.result_type(x)}."
        )


def check_not_bool(x, fn: str, name: str = "input"):
    """Raises ``TypeError`` for a boolean ``x`` (PyTorch has no bool kernel there)."""
    if jnp.result_type(x) == jnp.bool_:
        raise TypeError(
            f"`{fn}` does not take a boolean `{name}` (PyTorch raises); cast it to a "
            "number type first."
        )


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def check_cast(x, dtype, name: str, fn: str):
    """Raises ``TypeError`` if casting ``x`` to ``dtype`` drops a kind of value.

    A float ``x`` into an integer ``dtype`` (truncation) or a complex ``x`` into a
    real one (the imaginary part) is refused, as PyTorch refuses mixed dtypes;
    casts within a kind (float64 to float32) pass.

    >>> check_cast(jnp.zeros(2, jnp.float16), jnp.float32, "bias", "conv2d")
    """
    src = np.dtype(jnp.result_type(x))
    if _KIND_RANK.get(src.kind, 0) > _KIND_RANK.get(np.dtype(dtype).kind, 0):
        raise TypeError(
            f"`{fn}`: `{name}` of dtype {src} cannot be added to a {np.dtype(dtype)} "
            f"result without losing values (PyTorch raises on the mixed dtype); "
            f"cast `{name}` or the inputs first."
        )
