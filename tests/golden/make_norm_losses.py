"""Writes tests/golden/norm_losses.npz with PyTorch (CPU): batch norm, losses, activations, init.

Run with the torch venv (never imported by the test suite):

    python tests/golden/make_norm_losses.py

Keys are ``<group>.<case>.<array>``; ``*.kwargs`` hold the call's options as JSON.
"""

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(0)
out: dict[str, np.ndarray] = {"torch_version": np.array(torch.__version__)}


def f32(shape, scale=1.0, shift=0.0):
    return (rng.standard_normal(shape) * scale + shift).astype(np.float32)


def t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


def put(prefix, **arrays):
    for k, v in arrays.items():
        if isinstance(v, torch.Tensor):
            v = v.detach().numpy().copy()  # buffers change in place later
        out[f"{prefix}.{k}"] = np.array(v)


# --------------------------------------------------------------------------------------
# Batch norm: modules over several steps, then eval.


def bn_steps(name, module, shapes, scale=2.0, shift=3.0):
    module.train()
    with torch.no_grad():
        if module.affine:
            module.weight.copy_(t(f32(module.weight.shape, 0.5, 1.0)))
            module.bias.copy_(t(f32(module.bias.shape, 0.5)))
    put(
        f"bn.{name}",
        momentum=np.array(np.nan if module.momentum is None else module.momentum),
    )
    put(f"bn.{name}", eps=np.array(module.eps), steps=np.array(len(shapes)))
    if module.affine:
        put(f"bn.{name}", weight=module.weight, bias=module.bias)
    for i, shape in enumerate(shapes):
        x = t(f32(shape, scale, shift), grad=True)
        y = module(x)
        g = t(f32(shape))
        (y * g).sum().backward()
        put(f"bn.{name}.step{i}", x=x, y=y, cot=g, grad_x=x.grad)
        if module.affine:
            put(
                f"bn.{name}.step{i}", grad_w=module.weight.grad, grad_b=module.bias.grad
            )
            module.weight.grad = None
            module.bias.grad = None
        if module.track_running_stats:
            put(
                f"bn.{name}.step{i}",
                running_mean=module.running_mean,
                running_var=module.running_var,
                num_batches_tracked=module.num_batches_tracked,
            )
    module.eval()
    x = t(f32(shapes[0], scale, shift))
    put(f"bn.{name}.eval", x=x, y=module(x))


bn_steps("bn2d", torch.nn.BatchNorm2d(3), [(4, 3, 5, 5), (2, 3, 5, 5), (3, 3, 4, 6)])
bn_steps(
    "bn1d_cumulative",
    torch.nn.BatchNorm1d(4, momentum=None),
    [(6, 4), (5, 4), (3, 4), (2, 4)],
)
bn_steps(
    "bn1d_ncl", torch.nn.BatchNorm1d(4, momentum=0.3, eps=1e-3), [(3, 4, 7), (2, 4, 9)]
)
bn_steps(
    "bn3d_noaffine",
    torch.nn.BatchNorm3d(2, affine=False),
    [(2, 2, 3, 3, 3), (1, 2, 2, 3, 4)],
)
bn_steps(
    "bn2d_nostats", torch.nn.BatchNorm2d(3, track_running_stats=False), [(2, 3, 4, 4)]
)

# --------------------------------------------------------------------------------------
# Losses: every option; outputs for each reduction and the gradient of the mean (or the
# sum where the mean is NaN) with respect to the input.

LOSSES = {
    "l1_loss": F.l1_loss,
    "mse_loss": F.mse_loss,
    "smooth_l1_loss": F.smooth_l1_loss,
    "huber_loss": F.huber_loss,
    "nll_loss": F.nll_loss,
    "cross_entropy": F.cross_entropy,
    "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
}


def loss_case(name, fn, input, target, **kwargs):
    arrays = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    options = {k: v for k, v in kwargs.items() if not isinstance(v, np.ndarray)}
    prefix = "loss." + name.replace(".", "p")  # keys split on "."
    put(prefix, input=input, target=target, **arrays)
    out[f"{prefix}.fn"] = np.array(fn)
    out[f"{prefix}.kwargs"] = np.array(json.dumps(options))
    tensors = {k: t(v) for k, v in arrays.items()}
    for reduction in ("none", "mean", "sum"):
        x = t(input, grad=True)
        value = LOSSES[fn](x, t(target), reduction=reduction, **tensors, **options)
        put(prefix, **{f"out_{reduction}": value})
        if reduction != "none":
            (g,) = torch.autograd.grad(value, x)
            put(prefix, **{f"grad_{reduction}": g})


# pointwise regression losses: differences spanning the thresholds
xr, yr = f32((4, 5), 1.5), f32((4, 5))
loss_case("l1", "l1_loss", xr, yr)
loss_case("mse", "mse_loss", xr, yr)
for beta in (1.0, 0.5, 0.0):
    loss_case(f"smooth_l1_b{beta}", "smooth_l1_loss", xr, yr, beta=beta)
for delta in (1.0, 0.5, 2.0):
    loss_case(f"huber_d{delta}", "huber_loss", xr, yr, delta=delta)

# class losses
C = 5
logits = f32((6, C), 2.0)
tgt = np.array([0, 3, -100, 2, 4, 2], np.int64)
tgt2 = np.array([0, 3, 1, 2, 4, 2], np.int64)  # for ignore_index=2 (a valid class)
cw = np.abs(f32((C,))) + 0.2
logits_k = f32((2, C, 3, 4), 2.0)
tgt_k = rng.integers(0, C, (2, 3, 4)).astype(np.int64)
tgt_k[0, 1, 2] = tgt_k[1, 0, 0] = -100
logp = F.log_softmax(t(logits), 1).detach().numpy()
logp_k = F.log_softmax(t(logits_k), 1).detach().numpy()

loss_case("nll", "nll_loss", logp, tgt)
loss_case("nll_w", "nll_loss", logp, tgt, weight=cw)
loss_case("nll_ignore2_w", "nll_loss", logp, tgt2, weight=cw, ignore_index=2)
loss_case("nll_kdim_w", "nll_loss", logp_k, tgt_k, weight=cw)
loss_case("nll_unbatched", "nll_loss", logp[0], np.array(3, np.int64))

for eps in (0.0, 0.2):
    loss_case(f"ce_e{eps}", "cross_entropy", logits, tgt, label_smoothing=eps)
    loss_case(
        f"ce_w_e{eps}", "cross_entropy", logits, tgt, weight=cw, label_smoothing=eps
    )
    loss_case(
        f"ce_ignore2_w_e{eps}",
        "cross_entropy",
        logits,
        tgt2,
        weight=cw,
        ignore_index=2,
        label_smoothing=eps,
    )
    loss_case(
        f"ce_kdim_w_e{eps}",
        "cross_entropy",
        logits_k,
        tgt_k,
        weight=cw,
        label_smoothing=eps,
    )
probs = F.softmax(t(f32((6, C), 2.0)), 1).detach().numpy()
probs_k = F.softmax(t(f32((2, C, 3, 4), 2.0)), 1).detach().numpy()
for eps in (0.0, 0.3):
    loss_case(f"ce_prob_e{eps}", "cross_entropy", logits, probs, label_smoothing=eps)
    loss_case(
        f"ce_prob_w_e{eps}",
        "cross_entropy",
        logits,
        probs,
        weight=cw,
        label_smoothing=eps,
    )
loss_case(
    "ce_prob_kdim_w", "cross_entropy", logits_k, probs_k, weight=cw, label_smoothing=0.1
)
loss_case(
    "ce_unbatched",
    "cross_entropy",
    logits[0],
    np.array(1, np.int64),
    label_smoothing=0.1,
)
loss_case("ce_unbatched_prob", "cross_entropy", logits[0], probs[0])
loss_case(
    "ce_all_ignored", "cross_entropy", logits[:3], np.full(3, -100, np.int64), weight=cw
)
loss_case(
    "ce_all_ignored_smooth",
    "cross_entropy",
    logits[:3],
    np.full(3, -100, np.int64),
    label_smoothing=0.1,
)
loss_case(
    "ce_extreme",
    "cross_entropy",
    np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4]], np.float32),
    np.array([1, 0], np.int64),
    label_smoothing=0.2,
)

# binary losses
p = np.clip(F.sigmoid(t(f32((4, 5), 2.0))).detach().numpy(), 0, 1)
p[0, :3] = [0.0, 1.0, 0.0]
p[1, :3] = [1.0, 0.0, 1.0]
y = (rng.random((4, 5)) > 0.5).astype(np.float32)
y[0, :3] = [1.0, 0.0, 0.0]
y[1, :3] = [0.0, 1.0, 1.0]
y[3] = rng.random(5).astype(np.float32)  # soft targets
loss_case("bce", "binary_cross_entropy", p, y)
loss_case("bce_w", "binary_cross_entropy", p, y, weight=np.abs(f32((5,))) + 0.1)
xl = f32((4, 5), 3.0)
xl[0, :2] = [1e4, -1e4]
loss_case("bcel", "binary_cross_entropy_with_logits", xl, y)
loss_case(
    "bcel_w_pw",
    "binary_cross_entropy_with_logits",
    xl,
    y,
    weight=np.abs(f32((4, 1))) + 0.1,
    pos_weight=np.abs(f32((5,))) + 0.5,
)
y4 = (rng.random((2, 3, 4, 4)) > 0.5).astype(np.float32)
loss_case(
    "bcel_pw_c11",
    "binary_cross_entropy_with_logits",
    f32((2, 3, 4, 4), 2.0),
    y4,
    pos_weight=np.array([[[0.5]], [[2.0]], [[3.0]]], np.float32),
)

# --------------------------------------------------------------------------------------
# Activations: values and gradients, kinks included.
xa = np.concatenate(
    [np.array([-6.0, -3.0, 0.0, 3.0, 6.0], np.float32), f32((15,), 4.0)]
)
acts = {
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": F.leaky_relu,
    "leaky_relu_0.2": lambda v: F.leaky_relu(v, 0.2),
    "gelu": F.gelu,
    "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"),
    "silu": F.silu,
    "hardswish": F.hardswish,
    "sigmoid": torch.sigmoid,
}
put("act", x=xa)
for name, fn in acts.items():
    x = t(xa, grad=True)
    value = fn(x)
    (g,) = torch.autograd.grad(value.sum(), x)
    put(f"act.{name}", y=value, grad=g)
xs = f32((3, 4, 5), 3.0)
cot = f32((3, 4, 5))
put("act.softmax", x=xs, cot=cot)
for dim in (0, 1, -1):
    for name, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        x = t(xs, grad=True)
        value = fn(x, dim)
        (g,) = torch.autograd.grad((value * t(cot)).sum(), x)
        put(f"act.{name}.dim{dim}", y=value, grad=g)

# --------------------------------------------------------------------------------------
# Init: fans, gains, default bounds of real modules.
modules = {
    "conv2d_g2": torch.nn.Conv2d(8, 16, 3, groups=2),
    "conv_transpose2d_g2": torch.nn.ConvTranspose2d(8, 16, 3, groups=2),
    "conv1d": torch.nn.Conv1d(3, 5, 7),
    "conv3d": torch.nn.Conv3d(2, 4, (1, 2, 3)),
    "conv_transpose1d": torch.nn.ConvTranspose1d(6, 4, 5),
    "linear": torch.nn.Linear(20, 30),
}
for name, m in modules.items():
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(m.weight)
    put(
        f"init.{name}",
        shape=np.array(m.weight.shape),
        fan_in=np.array(fan_in),
        fan_out=np.array(fan_out),
        max_abs_weight=m.weight.abs().max(),
        max_abs_bias=m.bias.abs().max(),
        transposed=np.array("Transpose" in type(m).__name__),
    )
gains = {}
for nl, param in [
    ("linear", None),
    ("conv2d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]:
    gains[f"{nl}|{param}"] = torch.nn.init.calculate_gain(nl, param)
out["init.gains"] = np.array(json.dumps(gains))

path = Path(__file__).with_name("norm_losses.npz")
np.savez_compressed(path, **out)
print(f"wrote {path} ({path.stat().st_size} bytes, {len(out)} arrays)")
