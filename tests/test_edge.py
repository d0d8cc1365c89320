"""Empty batches (N = 0) and zero-size dims of every op family against what PyTorch
returns or raises (tests/edge_cases.py; goldens by tests/golden/make_edge.py)."""

import json
import types
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F
from convjax import boxes, image
from tests.edge_cases import CASES, indices, probs, ramp, xyxy

GOLDEN = json.loads((Path(__file__).parent / "golden" / "edge.json").read_text())

# Where PyTorch's result is wrong and convjax's is the maths (README, "Differences"):
# PyTorch returns its empty input as is, ignoring the op's shape (and the bias).
EXTENSIONS = {
    "conv2d/C0": [{"shape": [1, 3, 3, 3], "dtype": "float32"}],
    "conv1d/unbatched_C0": [{"shape": [3, 3], "dtype": "float32"}],
    "pixel_unshuffle/N0": [{"shape": [0, 8, 2, 2], "dtype": "float32"}],
}


def _bn(x, training):
    c = x.shape[1]
    rm, rv = jnp.full((c,), 2.0), jnp.full((c,), 4.0)
    return F.batch_norm(x, rm, rv, training=training)


NS = types.SimpleNamespace(
    F=F,
    boxes=boxes,
    image=image,
    bn=_bn,
    x=lambda *s: ramp(s),
    i=lambda *s, high: indices(s, high).astype(np.int32),
    p=lambda *s: probs(s),
    b=lambda *s: xyxy(s),
)


def test_goldens_cover_every_case():
    assert set(GOLDEN["cases"]) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pytorch(name):
    want = GOLDEN["cases"][name]
    if "raises" in want and name not in EXTENSIONS:
        # A convjax error (naming the argument), never a foreign one.
        with pytest.raises((ValueError, TypeError)):
            CASES[name](NS)
        return
    out = CASES[name](NS)
    outs = out if isinstance(out, tuple) else (out,)
    if name in EXTENSIONS:
        want = {"returns": EXTENSIONS[name]}
    assert len(outs) == len(want["returns"])
    for got, expected in zip(outs, want["returns"], strict=True):
        got = np.asarray(got)
        assert list(got.shape) == expected["shape"]
        assert got.dtype.kind == np.dtype(expected["dtype"]).kind
        if "values" in expected:
            values = np.array(
                [np.nan if v is None else v for v in expected["values"]], np.float64
            )
            np.testing.assert_allclose(
                got.ravel(), values, rtol=1e-5, atol=1e-6, equal_nan=True
            )
