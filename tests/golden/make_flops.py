"""Goldens for count_flops: PyTorch's own FLOP counter (torch.utils.flop_counter).

Run with the torch venv: ``python tests/golden/make_flops.py``.
``FlopCounterMode`` counts 2 FLOPs per MAC of convolutions and matmuls (bias adds
and elementwise ops are not counted), forward and backward; a transposed conv
costs ``input x kernel``, each gradient conv what the forward conv costs.
Writes ``tests/golden/flops.npz``: per case, the forward FLOPs and the
forward + backward FLOPs (gradients for every input, weight and bias).
"""

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

# name: (function, input shape, weight shape, bias, keyword arguments)
CASES = {
    "conv1d_valid": ("conv1d", (2, 3, 12), (4, 3, 5), True, {}),
    "conv2d_strided_grouped": (
        "conv2d",
        (2, 4, 9, 8),
        (6, 2, 3, 3),
        True,
        {"stride": 2, "padding": 1, "groups": 2},
    ),
    "conv2d_dilated": (
        "conv2d",
        (1, 3, 10, 10),
        (5, 3, 3, 3),
        False,
        {"padding": 2, "dilation": 2},
    ),
    "conv2d_depthwise": (
        "conv2d",
        (2, 4, 7, 7),
        (8, 1, 3, 3),
        True,
        {"padding": 1, "groups": 4},
    ),
    "conv3d": ("conv3d", (1, 2, 5, 6, 4), (3, 2, 3, 3, 3), True, {"padding": 1}),
    "conv_transpose2d_s1": ("conv_transpose2d", (2, 4, 5, 5), (4, 6, 3, 3), True, {}),
    "conv_transpose2d_s2": (
        "conv_transpose2d",
        (2, 4, 5, 6),
        (4, 3, 3, 3),
        True,
        {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
    ),
    "conv_transpose1d_dilated": (
        "conv_transpose1d",
        (1, 3, 7),
        (3, 2, 3),
        False,
        {"stride": 3, "dilation": 2},
    ),
    "linear": ("linear", (5, 7), (3, 7), True, {}),
}


def run(name, x_shape, w_shape, bias, kwargs, backward):
    fn = getattr(F, name)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(x_shape, generator=g, requires_grad=backward)
    w = torch.randn(w_shape, generator=g, requires_grad=backward)
    out_ch = (
        w_shape[0]
        if not name.startswith("conv_transpose")
        else w_shape[1] * kwargs.get("groups", 1)
    )
    b = torch.randn(out_ch, generator=g, requires_grad=backward) if bias else None
    with FlopCounterMode(display=False) as counter:
        y = fn(x, w, b, **kwargs)
        if backward:
            y.backward(torch.ones_like(y))
    return counter.get_total_flops()


def main():
    table = {}
    for case, (name, x_shape, w_shape, bias, kwargs) in CASES.items():
        table[case] = {
            "fn": name,
            "input": list(x_shape),
            "weight": list(w_shape),
            "bias": bias,
            "kwargs": kwargs,
            "forward": run(name, x_shape, w_shape, bias, kwargs, False),
            "total": run(name, x_shape, w_shape, bias, kwargs, True),
        }
        print(case, table[case]["forward"], table[case]["total"])
    out = Path(__file__).with_name("flops.npz")
    np.savez(
        out,
        cases=np.array(json.dumps(table)),
        torch_version=np.array(torch.__version__),
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
