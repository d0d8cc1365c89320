"""Naive float64 references for convjax.optim, transcribed from PyTorch's algorithms.

Optimizers follow ``torch.optim``'s single-tensor loops step by step; schedulers use
PyTorch's *recursive* forms (each lr from the previous one), not closed forms, so
they are independent of convjax's implementation. Plain NumPy/Python, never jax.
"""

import math

import numpy as np


def _val(x, t):
    return x(t) if callable(x) else x


def trajectory(name, params0, grads, **kw):
    """Parameters after each step of ``torch.optim.<name>`` (float64)."""
    p = np.asarray(params0, np.float64).copy()
    lr, wd, mx = kw.get("lr"), kw.get("weight_decay", 0.0), kw.get("maximize", False)
    s = {}
    out = []
    for t, g in enumerate(np.asarray(grads, np.float64)):
        g = -g if mx else g
        rate = _val(lr, t)
        if name == "SGD":
            mom, damp = _val(kw.get("momentum", 0.0), t), kw.get("dampening", 0.0)
            g = g + wd * p
            if mom:
                buf = s.get("buf")
                s["buf"] = g.copy() if buf is None else mom * buf + (1 - damp) * g
                g = g + mom * s["buf"] if kw.get("nesterov") else s["buf"]
            p = p - rate * g
        elif name in ("Adam", "AdamW"):
            b1, b2 = kw.get("betas", (0.9, 0.999))
            b1 = _val(b1, t)
            decoupled = name == "AdamW" or kw.get("decoupled_weight_decay", False)
            if name == "AdamW" and "weight_decay" not in kw:
                wd = 1e-2
            if decoupled:
                p = p * (1 - rate * wd)
            else:
                g = g + wd * p
            m = s.get("m", 0.0) * b1 + (1 - b1) * g
            v = s.get("v", 0.0) * b2 + (1 - b2) * g * g
            s["m"], s["v"] = m, v
            if kw.get("amsgrad"):
                s["vmax"] = v = np.maximum(s.get("vmax", 0.0), v)
            step = t + 1
            denom = np.sqrt(v) / math.sqrt(1 - b2**step) + kw.get("eps", 1e-8)
            p = p - rate / (1 - b1**step) * m / denom
        elif name == "RMSprop":
            alpha, eps = kw.get("alpha", 0.99), kw.get("eps", 1e-8)
            mom = _val(kw.get("momentum", 0.0), t)
            g = g + wd * p
            s["v"] = v = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
            if kw.get("centered"):
                s["ga"] = ga = alpha * s.get("ga", 0.0) + (1 - alpha) * g
                v = v - ga * ga
            d = g / (np.sqrt(v) + eps)
            if mom > 0:
                s["buf"] = d = mom * s.get("buf", 0.0) + d
            p = p - rate * d
        elif name == "Adagrad":
            g = g + wd * p
            clr = rate / (1 + t * kw.get("lr_decay", 0.0))
            s["sum"] = s.get("sum", kw.get("initial_accumulator_value", 0.0)) + g * g
            p = p - clr * g / (np.sqrt(s["sum"]) + kw.get("eps", 1e-10))
        elif name == "Adadelta":
            rho, eps = kw.get("rho", 0.9), kw.get("eps", 1e-6)
            rate = _val(kw.get("lr", 1.0), t)
            g = g + wd * p
            s["v"] = v = rho * s.get("v", 0.0) + (1 - rho) * g * g
            u = s.get("u", 0.0)
            d = np.sqrt(u + eps) / np.sqrt(v + eps) * g
            s["u"] = rho * u + (1 - rho) * d * d
            p = p - rate * d
        else:
            raise ValueError(name)
        out.append(p.copy())
    return np.stack(out)


def recursive_lrs(name, steps, lr=0.1, **kw):
    """PyTorch's chainable (recursive) ``get_lr`` over ``steps`` scheduler steps."""
    out, cur = [], lr
    for e in range(steps):
        if name == "StepLR":
            if e > 0 and e % kw["step_size"] == 0:
                cur *= kw.get("gamma", 0.1)
        elif name == "MultiStepLR":
            cur *= kw.get("gamma", 0.1) ** list(kw["milestones"]).count(e)
        elif name == "ExponentialLR":
            cur = lr if e == 0 else cur * kw["gamma"]
        elif name == "CosineAnnealingLR":
            T, eta = kw["T_max"], kw.get("eta_min", 0.0)  # noqa: N806
            if e == 0:
                cur = lr
            elif (e - 1 - T) % (2 * T) == 0:
                cur = cur + (lr - eta) * (1 - math.cos(math.pi / T)) / 2
            else:
                ratio = (1 + math.cos(math.pi * e / T)) / (
                    1 + math.cos(math.pi * (e - 1) / T)
                )
                cur = ratio * (cur - eta) + eta
        elif name == "LinearLR":
            a, b = kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0)
            n = kw.get("total_iters", 5)
            if e == 0:
                cur = lr * a
            elif e <= n:
                cur *= 1 + (b - a) / (n * a + (e - 1) * (b - a))
        elif name == "PolynomialLR":
            n, pw = kw.get("total_iters", 5), kw.get("power", 1.0)
            if 0 < e <= n:
                cur *= ((1 - e / n) / (1 - (e - 1) / n)) ** pw
        else:
            raise ValueError(name)
        out.append(cur)
    return np.array(out)
