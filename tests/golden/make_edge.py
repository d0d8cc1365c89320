"""Writes tests/golden/edge.json: what PyTorch does on the empty and zero-size cases
of ``tests/edge_cases.py`` (returns: shapes, dtypes and the values of small outputs;
or raises: the exception type and message).

Run with a Python that has torch and torchvision (never needed by the tests):
    python tests/golden/make_edge.py
"""

import json
import pathlib
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision import ops
from torchvision.transforms.v2 import functional as TF

sys.path.insert(0, str(pathlib.Path(__file__).parents[2]))
from tests.edge_cases import CASES, indices, probs, ramp, xyxy  # noqa: E402

OUT = pathlib.Path(__file__).with_name("edge.json")


def bn(x, training):
    c = x.shape[1]
    rm, rv = torch.full((c,), 2.0), torch.full((c,), 4.0)
    y = F.batch_norm(x, rm, rv, training=training)
    return y, rm, rv


NS = types.SimpleNamespace(
    F=F,
    boxes=ops,
    image=TF,
    bn=bn,
    x=lambda *s: torch.from_numpy(ramp(s)),
    i=lambda *s, high: torch.from_numpy(indices(s, high)),
    p=lambda *s: torch.from_numpy(probs(s)),
    b=lambda *s: torch.from_numpy(xyxy(s)),
)


def describe(t):
    a = t.detach().numpy()
    out = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if a.size <= 16:
        out["values"] = [None if np.isnan(v) else float(v) for v in a.ravel()]
    return out


def main():
    results = {}
    for name, case in CASES.items():
        try:
            out = case(NS)
        except Exception as err:  # noqa: BLE001  (recording what PyTorch raises)
            results[name] = {"raises": f"{type(err).__name__}: {str(err)[:200]}"}
            continue
        outs = out if isinstance(out, tuple) else (out,)
        results[name] = {"returns": [describe(t) for t in outs]}
    meta = {"torch": torch.__version__, "torchvision": torchvision.__version__}
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in results.items()]
    cases = "{\n" + ",\n".join(lines) + "\n}"  # one case per line
    OUT.write_text(f'{{"meta": {json.dumps(meta)},\n"cases": {cases}}}\n')
    print(f"wrote {len(results)} cases to {OUT}")


if __name__ == "__main__":
    main()
