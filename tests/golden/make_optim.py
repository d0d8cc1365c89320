"""Writes tests/golden/optim.npz: torch.optim trajectories and lr_scheduler sequences.

Run with a Python that has torch (never needed by the tests):
    python tests/golden/make_optim.py

* ``opt/<case>``: the parameters (8 floats: a (2, 3) weight and a (2,) bias,
  flattened) after each of ``STEPS`` ``optimizer.step()`` calls with the stored
  gradients ``grads`` (``(STEPS, 8)``) from ``params0``; float32, single-tensor path
  (``foreach=False``). Some cases step a scheduler after every optimizer step.
* ``lr/<case>``: ``param_groups[0]["lr"]`` used by the ``i``-th ``optimizer.step()``
  (i.e. after ``i`` calls of ``scheduler.step()``), float64; ``mom/<case>`` the
  momentum OneCycleLR sets for that step.
* ``plateau/<case>``: the lr after each ``ReduceLROnPlateau.step(metric)`` over the
  stored ``metrics``.
* ``specs``: JSON of every case (class names and keyword arguments), which the test
  reads to build the convjax counterpart with the same arguments.
"""

import itertools
import json
import pathlib
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as S

OUT = pathlib.Path(__file__).with_name("optim.npz")
STEPS = 50
LR_STEPS = 300
# LambdaLR's functions, evaluated the same way by tests/test_optim.py.
LAMBDAS = {"inv": "lambda e: 1.0 / (1.0 + 0.05 * e)", "lin": "lambda e: 1.0 - e / 400"}


def optimizer_cases():
    cases = {}
    for mom, damp, nest, wd, mx in itertools.product(
        (0.0, 0.9), (0.0, 0.3), (False, True), (0.0, 0.05), (False, True)
    ):
        if (mom == 0 and (damp or nest)) or (nest and damp):
            continue
        kw = dict(lr=0.1, momentum=mom, dampening=damp, nesterov=nest)
        kw.update(weight_decay=wd, maximize=mx)
        cases[f"SGD_m{mom}_d{damp}_n{int(nest)}_wd{wd}_max{int(mx)}"] = ("SGD", kw)
    for ams, wd, dec, mx in itertools.product(
        (False, True), (0.0, 0.05), (False, True), (False, True)
    ):
        if dec and not wd:
            continue
        kw = dict(lr=0.05, amsgrad=ams, weight_decay=wd, maximize=mx)
        kw.update(decoupled_weight_decay=dec)
        cases[f"Adam_ams{int(ams)}_wd{wd}_dec{int(dec)}_max{int(mx)}"] = ("Adam", kw)
    cases["Adam_betas_eps"] = ("Adam", dict(lr=0.02, betas=[0.5, 0.9], eps=1e-3))
    for ams in (False, True):
        cases[f"AdamW_ams{int(ams)}"] = ("AdamW", dict(lr=0.05, amsgrad=ams))
    cases["AdamW_wd_max"] = ("AdamW", dict(lr=0.05, weight_decay=0.3, maximize=True))
    for cen, mom, wd in itertools.product((False, True), (0.0, 0.5), (0.0, 0.05)):
        kw = dict(lr=0.01, centered=cen, momentum=mom, weight_decay=wd)
        cases[f"RMSprop_c{int(cen)}_m{mom}_wd{wd}"] = ("RMSprop", kw)
    kw = dict(lr=0.01, alpha=0.9, eps=1e-3, centered=True, maximize=True)
    cases["RMSprop_alpha_eps_max"] = ("RMSprop", kw)
    for lrd, wd, acc in itertools.product((0.0, 0.05), (0.0, 0.05), (0.0, 0.3)):
        kw = dict(lr=0.1, lr_decay=lrd, weight_decay=wd, initial_accumulator_value=acc)
        cases[f"Adagrad_lrd{lrd}_wd{wd}_acc{acc}"] = ("Adagrad", kw)
    cases["Adagrad_eps_max"] = ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True))
    for wd, mx in itertools.product((0.0, 0.05), (False, True)):
        kw = dict(weight_decay=wd, maximize=mx)
        cases[f"Adadelta_wd{wd}_max{int(mx)}"] = ("Adadelta", kw)
    cases["Adadelta_rho_eps"] = ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4))
    # With a scheduler stepped after every optimizer step.
    one_cycle = dict(max_lr=0.2, total_steps=STEPS)
    cases["SGD_StepLR"] = (
        "SGD",
        dict(lr=0.1, momentum=0.9, sched=["StepLR", dict(step_size=7, gamma=0.5)]),
    )
    cases["SGD_OneCycleLR"] = (
        "SGD",
        dict(lr=0.1, momentum=0.9, nesterov=True, sched=["OneCycleLR", one_cycle]),
    )
    cases["Adam_OneCycleLR"] = (
        "Adam",
        dict(lr=0.1, sched=["OneCycleLR", dict(one_cycle, three_phase=True)]),
    )
    cases["RMSprop_OneCycleLR"] = (
        "RMSprop",
        dict(
            lr=0.01,
            momentum=0.5,
            sched=["OneCycleLR", dict(max_lr=0.02, total_steps=STEPS)],
        ),
    )
    cases["Adagrad_lrd_CosineAnnealingLR"] = (
        "Adagrad",
        dict(lr=0.1, lr_decay=0.05, sched=["CosineAnnealingLR", dict(T_max=20)]),
    )
    return cases


def scheduler_cases():
    lin, cos = ["LinearLR", dict(start_factor=0.01, total_iters=5)], None
    cos = ["CosineAnnealingLR", dict(T_max=LR_STEPS - 5)]
    return {
        "StepLR": ["StepLR", dict(step_size=30)],
        "StepLR_7_half": ["StepLR", dict(step_size=7, gamma=0.5)],
        "MultiStepLR": ["MultiStepLR", dict(milestones=[30, 80, 80, 150])],
        "MultiStepLR_unsorted": ["MultiStepLR", dict(milestones=[150, 30], gamma=0.5)],
        "ExponentialLR": ["ExponentialLR", dict(gamma=0.98)],
        "ExponentialLR_up": ["ExponentialLR", dict(gamma=1.01)],
        "CosineAnnealingLR": ["CosineAnnealingLR", dict(T_max=100)],
        "CosineAnnealingLR_eta": ["CosineAnnealingLR", dict(T_max=37, eta_min=0.001)],
        "CAWR": ["CosineAnnealingWarmRestarts", dict(T_0=10)],
        "CAWR_mult2": [
            "CosineAnnealingWarmRestarts",
            dict(T_0=7, T_mult=2, eta_min=0.01),
        ],
        "CAWR_mult3": ["CosineAnnealingWarmRestarts", dict(T_0=5, T_mult=3)],
        "LinearLR": ["LinearLR", dict()],
        "LinearLR_decay": [
            "LinearLR",
            dict(start_factor=1.0, end_factor=0.0, total_iters=100),
        ],
        "LinearLR_zero_iters": ["LinearLR", dict(start_factor=0.5, total_iters=0)],
        "ConstantLR": ["ConstantLR", dict()],
        "ConstantLR_zero_iters": ["ConstantLR", dict(factor=0.5, total_iters=0)],
        "PolynomialLR": ["PolynomialLR", dict()],
        "PolynomialLR_sq": ["PolynomialLR", dict(total_iters=100, power=2.0)],
        "PolynomialLR_sqrt": ["PolynomialLR", dict(total_iters=120, power=0.5)],
        "PolynomialLR_zero_iters": ["PolynomialLR", dict(total_iters=0)],
        "OneCycleLR": ["OneCycleLR", dict(max_lr=0.1, total_steps=LR_STEPS)],
        "OneCycleLR_linear": [
            "OneCycleLR",
            dict(max_lr=0.1, total_steps=LR_STEPS, anneal_strategy="linear"),
        ],
        "OneCycleLR_three": [
            "OneCycleLR",
            dict(max_lr=0.1, epochs=10, steps_per_epoch=30, three_phase=True),
        ],
        "OneCycleLR_args": [
            "OneCycleLR",
            dict(
                max_lr=0.3,
                total_steps=97,
                pct_start=0.25,
                div_factor=10.0,
                final_div_factor=100.0,
                base_momentum=0.8,
                max_momentum=0.9,
            ),
        ],
        "OneCycleLR_three_linear": [
            "OneCycleLR",
            dict(
                max_lr=0.1, total_steps=131, three_phase=True, anneal_strategy="linear"
            ),
        ],
        "LambdaLR_inv": ["LambdaLR", dict(lr_lambda="inv")],
        "LambdaLR_lin": ["LambdaLR", dict(lr_lambda="lin")],
        "Sequential_warmup_cosine": [
            "SequentialLR",
            dict(schedulers=[lin, cos], milestones=[5]),
        ],
        "Sequential_const_exp": [
            "SequentialLR",
            dict(
                schedulers=[
                    ["ConstantLR", dict(factor=0.1, total_iters=10)],
                    ["ExponentialLR", dict(gamma=0.97)],
                ],
                milestones=[10],
            ),
        ],
        "Sequential_three": [
            "SequentialLR",
            dict(
                schedulers=[
                    lin,
                    ["MultiStepLR", dict(milestones=[10, 20], gamma=0.5)],
                    ["CosineAnnealingLR", dict(T_max=60, eta_min=0.002)],
                ],
                milestones=[5, 50],
            ),
        ],
        "Sequential_cut_warmup": [  # the warmup is cut at 10 of its 20 steps: a jump
            "SequentialLR",
            dict(
                schedulers=[
                    ["LinearLR", dict(start_factor=0.1, total_iters=20)],
                    ["ExponentialLR", dict(gamma=0.99)],
                ],
                milestones=[10],
            ),
        ],
        "Sequential_cawr_poly": [
            "SequentialLR",
            dict(
                schedulers=[
                    ["ConstantLR", dict(factor=0.5, total_iters=5)],
                    ["CosineAnnealingWarmRestarts", dict(T_0=20, T_mult=2)],
                    ["PolynomialLR", dict(total_iters=50, power=1.5)],
                ],
                milestones=[5, 150],
            ),
        ],
        "Sequential_step_lambda": [
            "SequentialLR",
            dict(
                schedulers=[
                    ["StepLR", dict(step_size=3, gamma=0.5)],
                    ["LambdaLR", dict(lr_lambda="inv")],
                ],
                milestones=[12],
            ),
        ],
    }


def plateau_cases():
    return {
        "default": dict(patience=3),
        "max": dict(mode="max", patience=2, factor=0.5),
        "abs": dict(threshold_mode="abs", threshold=0.05, patience=2),
        "max_abs": dict(mode="max", threshold_mode="abs", threshold=0.02, patience=1),
        "cooldown": dict(patience=1, cooldown=3, factor=0.5),
        "min_lr": dict(patience=0, factor=0.5, min_lr=0.01),
        "eps": dict(patience=0, factor=0.9, eps=0.005, min_lr=0.0),
        "zero_patience_threshold0": dict(patience=0, threshold=0.0, factor=0.7),
    }


def make_scheduler(opt, spec):
    name, kw = spec
    kw = dict(kw)
    if name == "SequentialLR":
        subs = [make_scheduler(opt, s) for s in kw.pop("schedulers")]
        return S.SequentialLR(opt, subs, **kw)
    if name == "LambdaLR":
        kw["lr_lambda"] = eval(LAMBDAS[kw["lr_lambda"]])
    return getattr(S, name)(opt, **kw)


def run_optimizer(name, kw, params0, grads):
    kw = dict(kw)
    sched_spec = kw.pop("sched", None)
    w = torch.tensor(params0[:6].reshape(2, 3), requires_grad=True)
    b = torch.tensor(params0[6:], requires_grad=True)
    opt = getattr(torch.optim, name)([w, b], foreach=False, **kw)
    sched = make_scheduler(opt, sched_spec) if sched_spec else None
    out = []
    for g in grads:
        w.grad = torch.tensor(g[:6].reshape(2, 3))
        b.grad = torch.tensor(g[6:])
        opt.step()
        if sched is not None:
            sched.step()
        out.append(np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()]))
    return np.stack(out).astype(np.float32)


def run_scheduler(spec, steps, base_lr=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr, momentum=0.9)
    sched = make_scheduler(opt, spec)
    lrs, moms = [], []
    for i in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        if i + 1 < steps:
            sched.step()
    return np.array(lrs, np.float64), np.array(moms, np.float64)


def main():
    warnings.simplefilter("ignore")  # SequentialLR's step(0) deprecation warning
    rng = np.random.default_rng(16)
    params0 = rng.normal(size=8).astype(np.float32)
    grads = rng.normal(size=(STEPS, 8)).astype(np.float32)
    grads[::9] *= 10.0  # a few large gradients
    grads[5, :3] = 0.0  # and zeros
    out = {"params0": params0, "grads": grads}
    specs = {"optimizers": {}, "schedulers": {}, "plateau": {}, "lambdas": LAMBDAS}
    for case, (name, kw) in optimizer_cases().items():
        out[f"opt/{case}"] = run_optimizer(name, kw, params0, grads)
        specs["optimizers"][case] = [name, kw]
    for case, spec in scheduler_cases().items():
        kw = spec[1]
        steps = LR_STEPS
        if spec[0] == "OneCycleLR":  # PyTorch raises past total_steps
            total = kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
            steps = total + 1
        lrs, moms = run_scheduler(spec, steps)
        out[f"lr/{case}"] = lrs
        if spec[0] == "OneCycleLR":
            out[f"mom/{case}"] = moms
        specs["schedulers"][case] = spec
    metrics = np.concatenate(
        [
            np.linspace(1.0, 0.5, 8),
            np.full(6, 0.5),
            0.5 - 0.0001 * np.arange(5),  # improvements below the relative threshold
            [0.3, 0.31, 0.3, 0.29, 0.35, 0.36, 0.37, 0.2, 0.2, 0.2],
            0.2 + 0.01 * np.sin(np.arange(20)),
            [np.inf, 0.1, 0.1, 0.1, 0.1],
        ]
    )
    out["metrics"] = metrics
    for case, kw in plateau_cases().items():
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = S.ReduceLROnPlateau(opt, **kw)
        lrs = []
        for m in metrics:
            opt.step()
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        out[f"plateau/{case}"] = np.array(lrs, np.float64)
        specs["plateau"][case] = kw
    out["specs"] = np.array(json.dumps(specs))
    out["torch_version"] = np.array(torch.__version__)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
