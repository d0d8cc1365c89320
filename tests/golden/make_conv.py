"""Writes tests/golden/conv.npz: PyTorch outputs and gradients for conv, conv_transpose,
pad, unfold and fold. Needs PyTorch (CPU); the test suite only reads the .npz.

    python tests/golden/make_conv.py     # with torch installed, e.g. torch==2.13.0

Each case stores ``<name>/kwargs`` (JSON), the inputs, the output ``y`` and, for the
convolutions, the gradients of ``sum(y * r)`` with respect to input, weight and bias.
"""

import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

torch.backends.cudnn.allow_tf32 = False

# (name, op, x shape, weight shape, kwargs). conv kwargs may hold padding_mode (the
# nn.Conv*d module argument); bias is drawn when "bias" is true.
CASES = [
    (
        "conv1d-s2-p1-d2-g2",
        "conv",
        (2, 4, 13),
        (6, 2, 3),
        dict(stride=2, padding=1, dilation=2, groups=2, bias=True),
    ),
    (
        "conv1d-same-even",
        "conv",
        (2, 3, 10),
        (5, 3, 4),
        dict(padding="same", dilation=2),
    ),
    (
        "conv1d-circular",
        "conv",
        (2, 3, 9),
        (4, 3, 3),
        dict(padding=2, padding_mode="circular", bias=True),
    ),
    (
        "conv2d-g2-aniso",
        "conv",
        (2, 4, 10, 9),
        (6, 2, 3, 2),
        dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=True),
    ),
    (
        "conv2d-same-even",
        "conv",
        (1, 3, 9, 8),
        (4, 3, 4, 3),
        dict(padding="same", dilation=(1, 2)),
    ),
    (
        "conv2d-valid",
        "conv",
        (2, 2, 7, 7),
        (3, 2, 2, 2),
        dict(padding="valid", bias=True),
    ),
    (
        "conv2d-depthwise-x2",
        "conv",
        (2, 4, 9, 9),
        (8, 1, 3, 3),
        dict(padding=1, stride=2, groups=4, bias=True),
    ),
    ("conv2d-grouped", "conv", (2, 8, 7, 6), (12, 2, 3, 3), dict(padding=1, groups=4)),
    (
        "conv2d-stem",
        "conv",
        (1, 3, 16, 16),
        (4, 3, 7, 7),
        dict(stride=2, padding=3, bias=True),
    ),
    (
        "conv2d-reflect",
        "conv",
        (1, 2, 6, 5),
        (3, 2, 3, 3),
        dict(padding=(2, 1), padding_mode="reflect", bias=True),
    ),
    (
        "conv2d-replicate-same",
        "conv",
        (1, 4, 6, 5),
        (4, 2, 4, 3),
        dict(padding="same", padding_mode="replicate", groups=2),
    ),
    (
        "conv2d-circular-depthwise",
        "conv",
        (1, 3, 6, 6),
        (3, 1, 3, 3),
        dict(padding=1, padding_mode="circular", groups=3),
    ),
    (
        "conv3d-s2-g2",
        "conv",
        (2, 4, 6, 5, 5),
        (4, 2, 3, 3, 3),
        dict(stride=2, padding=1, groups=2, bias=True),
    ),
    (
        "conv3d-reflect",
        "conv",
        (1, 2, 5, 5, 6),
        (2, 2, 3, 3, 3),
        dict(padding=1, padding_mode="reflect"),
    ),
    (
        "convt1d-s2-op1",
        "convt",
        (2, 3, 6),
        (3, 4, 3),
        dict(stride=2, padding=1, output_padding=1, bias=True),
    ),
    (
        "convt1d-op-dilation",
        "convt",
        (1, 2, 5),
        (2, 3, 3),
        dict(dilation=2, output_padding=1),
    ),
    (
        "convt2d-g3-aniso",
        "convt",
        (2, 6, 4, 5),
        (6, 2, 3, 4),
        dict(
            groups=3,
            stride=(3, 2),
            padding=(1, 2),
            output_padding=(2, 1),
            dilation=(1, 2),
            bias=True,
        ),
    ),
    ("convt2d-negative-pad", "convt", (1, 2, 4, 4), (2, 3, 1, 1), dict(padding=1)),
    (
        "convt2d-depthwise",
        "convt",
        (2, 4, 5, 5),
        (4, 1, 4, 4),
        dict(groups=4, stride=2, padding=1, bias=True),
    ),
    (
        "convt3d-s2-g2",
        "convt",
        (1, 4, 3, 4, 3),
        (4, 2, 3, 3, 2),
        dict(stride=2, padding=1, output_padding=1, groups=2, bias=True),
    ),
    ("pad-reflect", "pad", (2, 3, 5, 4), None, dict(pad=[1, 2, 3, 0], mode="reflect")),
    (
        "pad-replicate-3d",
        "pad",
        (1, 2, 3, 4, 5),
        None,
        dict(pad=[1, 0, 2, 1, 0, 3], mode="replicate"),
    ),
    (
        "pad-circular",
        "pad",
        (2, 3, 5, 4),
        None,
        dict(pad=[3, 1, 2, 5], mode="circular"),
    ),
    (
        "pad-constant-crop",
        "pad",
        (2, 3, 4),
        None,
        dict(pad=[1, -1, 0, 2], mode="constant", value=2.5),
    ),
    (
        "unfold",
        "unfold",
        (2, 2, 9, 8),
        None,
        dict(kernel_size=(3, 2), dilation=(2, 1), padding=1, stride=(2, 3)),
    ),
    (
        "fold",
        "fold",
        (2, 12, 12),
        None,
        dict(
            output_size=(7, 6), kernel_size=(3, 2), dilation=1, padding=(1, 0), stride=2
        ),
    ),
]


def _module(op, n, x, w, kw):
    cls = {
        ("conv", 1): torch.nn.Conv1d,
        ("conv", 2): torch.nn.Conv2d,
        ("conv", 3): torch.nn.Conv3d,
        ("convt", 1): torch.nn.ConvTranspose1d,
        ("convt", 2): torch.nn.ConvTranspose2d,
        ("convt", 3): torch.nn.ConvTranspose3d,
    }[op, n]
    groups = kw.get("groups", 1)
    if op == "conv":
        cin, cout = x.shape[1], w.shape[0]
    else:
        cin, cout = w.shape[0], w.shape[1] * groups
    m = cls(cin, cout, tuple(w.shape[2:]), **kw).double()
    return m


def main():
    out = {"torch_version": np.array(torch.__version__)}
    for i, (name, op, shape, wshape, kw) in enumerate(CASES):
        rng = np.random.default_rng(1000 + i)
        kw = dict(kw)
        out[f"{name}/kwargs"] = np.array(json.dumps(kw))
        out[f"{name}/op"] = np.array(op)
        x = rng.standard_normal(shape).astype(np.float32)
        out[f"{name}/x"] = x
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        if op in ("conv", "convt"):
            bias = kw.pop("bias", False)
            w = rng.standard_normal(wshape).astype(np.float32)
            m = _module(op, len(shape) - 2, x, w, dict(kw, bias=bias))
            with torch.no_grad():
                m.weight.copy_(torch.tensor(w, dtype=torch.float64))
                if bias:
                    b = rng.standard_normal(m.bias.shape).astype(np.float32)
                    m.bias.copy_(torch.tensor(b, dtype=torch.float64))
                    out[f"{name}/b"] = b
            out[f"{name}/w"] = w
            y = m(xt)
            r = torch.tensor(rng.standard_normal(tuple(y.shape)), dtype=torch.float64)
            (y * r).sum().backward()
            out[f"{name}/r"] = r.numpy().astype(np.float32)
            out[f"{name}/dx"] = xt.grad.numpy().astype(np.float32)
            out[f"{name}/dw"] = m.weight.grad.numpy().astype(np.float32)
            if bias:
                out[f"{name}/db"] = m.bias.grad.numpy().astype(np.float32)
        elif op == "pad":
            y = F.pad(xt, tuple(kw["pad"]), mode=kw["mode"], value=kw.get("value"))
        elif op == "unfold":
            y = F.unfold(xt, **kw)
        else:
            y = F.fold(xt, **kw)
        out[f"{name}/y"] = y.detach().numpy().astype(np.float32)
    path = pathlib.Path(__file__).with_name("conv.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
