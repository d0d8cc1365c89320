"""conv, conv_transpose, pad, unfold and fold against PyTorch goldens (tests/golden/conv.npz)."""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import convjax.functional as F

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "conv.npz")
NAMES = sorted({k.split("/")[0] for k in GOLDEN.files if "/" in k})
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _get(name, key):
    k = f"{name}/{key}"
    return GOLDEN[k] if k in GOLDEN.files else None


@pytest.mark.parametrize("name", NAMES)
def test_matches_torch(name):
    op = str(_get(name, "op"))
    kw = json.loads(str(_get(name, "kwargs")))
    x, y = _get(name, "x"), _get(name, "y")
    if op in ("conv", "convt"):
        kw.pop("bias", None)
        n = x.ndim - 2
        w, b, r = _get(name, "w"), _get(name, "b"), _get(name, "r")
        fn = CONV[n] if op == "conv" else CONVT[n]
        argnums = (0, 1) if b is None else (0, 1, 2)

        def loss(a, c, d):
            out = fn(a, c, d, **kw)
            return jnp.sum(out * r), out

        grads, out = jax.jit(jax.grad(loss, argnums=argnums, has_aux=True))(x, w, b)
        np.testing.assert_allclose(out, y, rtol=1e-5, atol=1e-5)
        want = [_get(name, "dx"), _get(name, "dw"), _get(name, "db")]
        for g, e in zip(grads, want, strict=False):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-4)
        return
    if op == "pad":
        got = F.pad(x, tuple(kw["pad"]), mode=kw["mode"], value=kw.get("value"))
    elif op == "unfold":
        got = F.unfold(x, **kw)
    else:
        got = F.fold(x, **kw)
    np.testing.assert_allclose(got, y, rtol=1e-5, atol=1e-5)


def test_golden_file_records_torch_version():
    assert str(GOLDEN["torch_version"]).startswith("2.")
