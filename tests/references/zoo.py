"""Synthetic, reproducible state dicts for the zoo's logit-parity goldens.

The golden script (``tests/golden/make_zoo.py``, with torch) and the tests (without)
both call :func:`synthetic_state_dict` on the same ``{name: shape}`` table, so the
goldens store only inputs and outputs, never weights: every entry is drawn from
NumPy's PCG64 seeded by ``(seed, crc32(name))`` (stable across NumPy versions and
platforms) in float32.

Draws, chosen to keep activations O(1) through deep nets: conv/linear weights
``U(-b, b)`` with ``b = sqrt(6 / fan_in)`` (He), biases and running means
``N(0, 0.1)``, norm weights, running variances and layer scales ``U(0.5, 1.5)``,
``num_batches_tracked`` 0.
"""

import math
import zlib

import numpy as np


def synthetic_entry(name: str, shape, seed: int = 0) -> np.ndarray:
    """One state-dict entry (see the module docstring)."""
    shape = tuple(int(s) for s in shape)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "num_batches_tracked":
        return np.zeros(shape, np.int64)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    if leaf in ("running_var", "layer_scale") or (leaf == "weight" and len(shape) == 1):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    if leaf in ("bias", "running_mean"):
        return (0.1 * rng.standard_normal(shape)).astype(np.float32)
    fan_in = math.prod(shape[1:]) if len(shape) > 1 else 1
    bound = math.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def synthetic_state_dict(shapes: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """``{name: synthetic_entry(name, shape)}`` for a ``{name: shape}`` table."""
    return {name: synthetic_entry(name, shape, seed) for name, shape in shapes.items()}
