"""Writes tests/golden/blocks.npz and blocks.json with PyTorch/torchvision (CPU).

Activations (values and gradients, kinks included), layer/group/instance/local
response norm, normalize, channel_shuffle, and torchvision's SqueezeExcitation /
Conv2dNormActivation / LayerNorm2d (state-dict keys and shapes, eval outputs with
seeded weights). Run with the torchvision venv (never imported by the tests):

    /work/venv-tv/bin/python tests/golden/make_blocks.py

npz keys are ``<group>.<case>.<array>``; blocks.json holds state-dict key/shape maps
and the outcome (shape or error type) of PyTorch's edge cases.
"""

import json
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn as tnn
import torch.nn.functional as F
import torchvision
from torchvision.models.convnext import LayerNorm2d
from torchvision.ops import Conv2dNormActivation, SqueezeExcitation

HERE = Path(__file__).parent
torch.manual_seed(0)
rng = np.random.default_rng(0)
out: dict[str, np.ndarray] = {"torch_version": np.array(torch.__version__)}
meta: dict = {
    "torch_version": torch.__version__,
    "torchvision_version": torchvision.__version__,
}


def f32(shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def put(prefix, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy().copy()
        out[f"{prefix}.{k}"] = np.array(v)


# --------------------------------------------------------------------------------------
# Elementwise activations on a grid with every kink, plus random values.

kinks = [-20.0, -3.0, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 3.0, 6.0, 10.0, 20.0]
x_act = np.concatenate(
    [np.array(kinks, np.float32), f32(40, 3.0), np.array([-30.0, 30.0], np.float32)]
)
put("act", x=x_act)
ACTS = {
    "hardsigmoid": F.hardsigmoid,
    "hardtanh": F.hardtanh,
    "hardtanh_m3_6": lambda x: F.hardtanh(x, -3.0, 6.0),
    "elu": F.elu,
    "elu_0.5": lambda x: F.elu(x, 0.5),
    "selu": F.selu,
    "celu": F.celu,
    "celu_2": lambda x: F.celu(x, 2.0),
    "softplus": F.softplus,
    "softplus_b2_t10": lambda x: F.softplus(x, beta=2.0, threshold=10.0),
    "softplus_b0.5_t1": lambda x: F.softplus(x, beta=0.5, threshold=1.0),
    "mish": F.mish,
    "logsigmoid": F.logsigmoid,
    "tanhshrink": F.tanhshrink,
    "softsign": F.softsign,
    "softshrink": F.softshrink,
    "softshrink_1": lambda x: F.softshrink(x, 1.0),
    "hardshrink": F.hardshrink,
    "hardshrink_1": lambda x: F.hardshrink(x, 1.0),
    "threshold_0.5_9": lambda x: F.threshold(x, 0.5, 9.0),
    "rrelu_eval": F.rrelu,
    "rrelu_eval_0.1_0.3": lambda x: F.rrelu(x, 0.1, 0.3),
    "tanh": torch.tanh,
}
for name, fn in ACTS.items():
    x = t(x_act, grad=True)
    y = fn(x)
    y.sum().backward()
    put(f"act.{name}", y=y, grad=x.grad)

# glu / softmin / prelu with a cotangent.
x2 = f32((3, 4, 6))
cot_glu = {d: f32(F.glu(t(x2), d).shape) for d in (-1, 1)}
for d in (-1, 1):
    x = t(x2, grad=True)
    y = F.glu(x, d)
    (y * t(cot_glu[d])).sum().backward()
    put(f"glu.dim{d}", x=x2, cot=cot_glu[d], y=y, grad=x.grad)
x = t(x2, grad=True)
cot = f32(x2.shape)
y = F.softmin(x, 1)
(y * t(cot)).sum().backward()
put("softmin.dim1", x=x2, cot=cot, y=y, grad=x.grad)
for name, w in (("single", f32(1, 0.3, 0.2)), ("channel", f32(4, 0.3, 0.2))):
    xp = np.concatenate([x2, np.zeros((1, 4, 6), np.float32)])  # zeros: the kink
    x, wt = t(xp, grad=True), t(w, grad=True)
    y = F.prelu(x, wt)
    cot = f32(y.shape)
    (y * t(cot)).sum().backward()
    put(f"prelu.{name}", x=xp, w=w, cot=cot, y=y, grad_x=x.grad, grad_w=wt.grad)

# --------------------------------------------------------------------------------------
# Normalizations: values and gradients w.r.t. input, weight and bias.


def norm_case(name, fn, x, weight_shape=None, **kw):
    xt = t(x, grad=True)
    args = {}
    if weight_shape is not None:
        w, b = f32(weight_shape, 0.5, 1.0), f32(weight_shape, 0.5)
        args = dict(weight=t(w, grad=True), bias=t(b, grad=True))
        put(f"norm.{name}", weight=w, bias=b)
    y = fn(xt, **args, **kw)
    cot = f32(y.shape)
    (y * t(cot)).sum().backward()
    put(f"norm.{name}", x=x, y=y, cot=cot, grad_x=xt.grad)
    if args:
        put(
            f"norm.{name}",
            grad_weight=args["weight"].grad,
            grad_bias=args["bias"].grad,
        )


norm_case(
    "ln_last", lambda x, **k: F.layer_norm(x, (5,), **k), f32((3, 4, 5), 2, 1), (5,)
)
norm_case(
    "ln_two",
    lambda x, **k: F.layer_norm(x, (4, 5), eps=1e-3, **k),
    f32((2, 4, 5), 3),
    (4, 5),
)
norm_case("ln_noaffine", lambda x: F.layer_norm(x, (6,)), f32((2, 3, 6), 2, -1))
norm_case("gn_2", lambda x, **k: F.group_norm(x, 2, **k), f32((3, 4, 3, 2), 2, 1), (4,))
norm_case(
    "gn_1d", lambda x, **k: F.group_norm(x, 3, eps=1e-3, **k), f32((2, 6, 5)), (6,)
)
norm_case("gn_2d_input", lambda x: F.group_norm(x, 2), f32((3, 4)))
norm_case(
    "lrn_3d",
    lambda x: F.local_response_norm(x, 3, alpha=0.1, beta=0.75, k=1.0),
    f32((2, 5, 4), 2),
)
norm_case(
    "lrn_4d",
    lambda x: F.local_response_norm(x, 2, alpha=0.5, beta=0.5, k=2.0),
    f32((2, 6, 3, 3), 2),
)
norm_case("lrn_5d", lambda x: F.local_response_norm(x, 4), f32((1, 5, 2, 2, 3), 3))
x_norm = f32((3, 4, 2))
x_norm[1, :, 0] = 0.0  # a zero vector along dim 1
norm_case("normalize_p2", lambda x: F.normalize(x), x_norm)
norm_case("normalize_p1_dim0", lambda x: F.normalize(x, 1.0, 0), x_norm)
norm_case("normalize_pinf_dimm1", lambda x: F.normalize(x, float("inf"), -1), x_norm)
norm_case("normalize_p3", lambda x: F.normalize(x, 3.0, 1, eps=1e-6), x_norm)

# instance_norm: functional with running stats (train and eval) and modules.
for use_input_stats in (True, False):
    x = f32((3, 4, 5, 2), 2, 1)
    rm, rv = f32(4, 0.5), np.abs(f32(4, 0.5, 1.0))
    w, b = f32(4, 0.5, 1.0), f32(4, 0.5)
    xt, wt, bt = t(x, grad=True), t(w, grad=True), t(b, grad=True)
    rmt, rvt = t(rm.copy()), t(rv.copy())
    y = F.instance_norm(xt, rmt, rvt, wt, bt, use_input_stats, momentum=0.2, eps=1e-4)
    cot = f32(y.shape)
    (y * t(cot)).sum().backward()
    put(
        f"in.stats{int(use_input_stats)}",
        x=x,
        rm=rm,
        rv=rv,
        weight=w,
        bias=b,
        y=y,
        cot=cot,
        new_rm=rmt,
        new_rv=rvt,
        grad_x=xt.grad,
        grad_weight=wt.grad,
        grad_bias=bt.grad,
    )
x = f32((2, 3, 7), 2)
xt = t(x, grad=True)
y = F.instance_norm(xt)
cot = f32(y.shape)
(y * t(cot)).sum().backward()
put("in.plain", x=x, y=y, cot=cot, grad_x=xt.grad)

# channel_shuffle
xc = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
put("shuffle", x=xc, g2=F.channel_shuffle(t(xc), 2), g3=F.channel_shuffle(t(xc), 3))

# --------------------------------------------------------------------------------------
# torchvision blocks: state-dict keys/shapes and seeded eval outputs.


def sd(m):
    return {k: list(v.shape) for k, v in m.state_dict().items()}


def randomize(m):
    with torch.no_grad():
        for k, v in m.state_dict().items():
            if v.dtype.is_floating_point:
                if k.endswith("running_var"):
                    v.copy_(t(np.abs(f32(v.shape, 0.5, 1.0))))
                else:
                    v.copy_(t(f32(v.shape, 0.5)))


BLOCKS = {
    "cna_default": lambda: Conv2dNormActivation(3, 8, stride=2),
    "cna_nonorm": lambda: Conv2dNormActivation(
        3, 8, 5, norm_layer=None, activation_layer=tnn.Hardswish
    ),
    "cna_noact": lambda: Conv2dNormActivation(
        4,
        8,
        3,
        groups=4,
        norm_layer=partial(tnn.BatchNorm2d, eps=1e-3),
        activation_layer=None,
        dilation=2,
    ),
    "cna_tuple": lambda: Conv2dNormActivation(
        4, 6, (3, 5), dilation=(1, 2), activation_layer=tnn.SiLU
    ),
    "se": lambda: SqueezeExcitation(8, 2),
    "se_silu_hsig": lambda: SqueezeExcitation(
        8, 3, activation=tnn.SiLU, scale_activation=tnn.Hardsigmoid
    ),
    "ln2d": lambda: LayerNorm2d(6, eps=1e-6),
    "gn": lambda: tnn.GroupNorm(2, 4),
    "in_track": lambda: tnn.InstanceNorm2d(3, affine=True, track_running_stats=True),
    "bn_nobias": lambda: tnn.BatchNorm2d(3, bias=False),
    "prelu": lambda: tnn.PReLU(3),
    "ln_nobias": lambda: tnn.LayerNorm((3, 4), bias=False),
}
INPUTS = {
    "cna_default": (2, 3, 9, 9),
    "cna_nonorm": (2, 3, 8, 8),
    "cna_noact": (2, 4, 8, 8),
    "cna_tuple": (2, 4, 8, 9),
    "se": (2, 8, 5, 5),
    "se_silu_hsig": (2, 8, 4, 4),
    "ln2d": (2, 6, 3, 3),
}
meta["state_dicts"] = {}
for name, make in BLOCKS.items():
    m = make()
    meta["state_dicts"][name] = sd(m)
    if name in INPUTS:
        randomize(m)
        m.eval()
        x = f32(INPUTS[name])
        with torch.no_grad():
            y = m(t(x))
        put(f"block.{name}", x=x, y=y)
        for k, v in m.state_dict().items():
            out[f"block.{name}.sd.{k}"] = v.numpy().copy()

# --------------------------------------------------------------------------------------
# Edge cases: empty batches and errors (shape or error type).


def outcome(fn):
    try:
        r = fn()
        return {"shape": list(r.shape)}
    except Exception as e:  # noqa: BLE001
        return {"error": type(e).__name__}


z = torch.zeros
meta["edge"] = {
    "layer_norm_n0": outcome(lambda: F.layer_norm(z(0, 3), (3,))),
    "group_norm_n0": outcome(lambda: F.group_norm(z(0, 4, 2), 2)),
    "instance_norm_n0": outcome(lambda: F.instance_norm(z(0, 3, 4))),
    "lrn_n0": outcome(lambda: F.local_response_norm(z(0, 3, 4), 2)),
    "normalize_n0": outcome(lambda: F.normalize(z(0, 3))),
    "shuffle_n0": outcome(lambda: F.channel_shuffle(z(0, 4, 2), 2)),
    "dropout_n0": outcome(lambda: F.dropout(z(0, 3), 0.5)),
    "glu_odd": outcome(lambda: F.glu(z(2, 5))),
    "group_norm_bad_groups": outcome(lambda: F.group_norm(z(2, 3, 2), 2)),
    "layer_norm_bad_shape": outcome(lambda: F.layer_norm(z(2, 3), (4,))),
    "instance_norm_one_spatial": outcome(lambda: F.instance_norm(z(2, 3, 1))),
    "lrn_2d": outcome(lambda: F.local_response_norm(z(2, 3), 2)),
    "shuffle_2d": outcome(lambda: F.channel_shuffle(z(2, 4), 2)),
    "hardsigmoid_int": outcome(lambda: F.hardsigmoid(torch.tensor([1, 2]))),
    "hardtanh_int": outcome(lambda: F.hardtanh(torch.tensor([-3, 2]))),
    "threshold_int": outcome(lambda: F.threshold(torch.tensor([-3, 2]), 0, 5)),
    "softshrink_neg": outcome(lambda: F.softshrink(z(3), -1.0)),
    "celu_0": outcome(lambda: F.celu(z(3), 0.0)),
    "dropout_p2": outcome(lambda: F.dropout(z(3), 2.0)),
    "dropout1d_4d": outcome(lambda: F.dropout1d(z(2, 3, 4, 5))),
}
print(json.dumps(meta["edge"], indent=1))

np.savez_compressed(HERE / "blocks.npz", **out)
(HERE / "blocks.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
print(f"wrote {len(out)} arrays")
