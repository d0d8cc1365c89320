"""Writes tests/golden/boxes.npz with torchvision.ops' box functions and losses.

Run with a Python that has torch and torchvision (never needed by the tests):
    python tests/golden/make_boxes.py

Keys are ``<function>__<case>``; values that torchvision returns as NaN are stored
as NaN (the tests check that convjax returns a finite number there instead).
Gradients come from ``backward`` on ``sum(out * cot)`` with a stored cotangent, on
box sets where torchvision's values are finite.
"""

import pathlib

import numpy as np
import torch
import torchvision
from torchvision import ops

OUT = pathlib.Path(__file__).with_name("boxes.npz")

PAIRWISE = {
    "box_iou": ops.box_iou,
    "generalized_box_iou": ops.generalized_box_iou,
    "distance_box_iou": ops.distance_box_iou,
    "complete_box_iou": ops.complete_box_iou,
}
LOSSES = {
    "generalized_box_iou_loss": ops.generalized_box_iou_loss,
    "distance_box_iou_loss": ops.distance_box_iou_loss,
    "complete_box_iou_loss": ops.complete_box_iou_loss,
}


def random_boxes(rng, n, scale=10.0):
    xy = rng.uniform(0, scale, (n, 2))
    wh = rng.uniform(0.5, scale / 2, (n, 2))
    return np.concatenate([xy, xy + wh], 1)


def box_sets(rng):
    """Two sets with the degenerate cases of the spec, and 'clean' sets for grads."""
    special1 = [
        [0, 0, 4, 4],  # identical to boxes2[2]
        [4, 0, 6, 4],  # shares an edge with [0, 0, 4, 4]
        [10, 10, 10, 14],  # zero width (a vertical segment)
        [12, 12, 15, 12],  # zero height (a horizontal segment)
        [20, 20, 20, 20],  # a point, identical to boxes2[4]: zero union -> NaN
    ]
    special2 = [
        [0, 0, 4, 4],
        [4, 4, 8, 8],  # touches [0, 0, 4, 4] at a corner
        [20, 20, 20, 20],
        [50, 50, 60, 52],  # far from everything
    ]
    b1 = np.concatenate([random_boxes(rng, 3), special1]).astype(np.float32)
    b2 = np.concatenate([random_boxes(rng, 2)[:1], random_boxes(rng, 1), special2])
    b2 = b2.astype(np.float32)
    # Clean sets: no zero-union pair, no zero height (torch's atan(w/0) has NaN grads).
    c1 = np.concatenate(
        [random_boxes(rng, 4), [[0, 0, 4, 4], [4, 0, 6, 4], [10, 10, 10, 14]]]
    ).astype(np.float32)
    c2 = np.concatenate(
        [random_boxes(rng, 3), [[0, 0, 4, 4], [4, 4, 8, 8], [50, 50, 60, 52]]]
    ).astype(np.float32)
    return b1, b2, c1, c2


def t(x, grad=False):
    return torch.tensor(np.asarray(x), requires_grad=grad)


def main():
    rng = np.random.default_rng(1234)
    out = {
        "torch_version": np.array(torch.__version__),
        "torchvision_version": np.array(torchvision.__version__),
    }
    b1, b2, c1, c2 = box_sets(rng)
    out.update(boxes1=b1, boxes2=b2, clean1=c1, clean2=c2)

    # Formats and areas.
    for fmt_in in ("xyxy", "xywh", "cxcywh"):
        for fmt_out in ("xyxy", "xywh", "cxcywh"):
            key = f"box_convert__{fmt_in}_{fmt_out}"
            out[key] = ops.box_convert(t(b1), fmt_in, fmt_out).numpy()
        out[f"box_area__{fmt_in}"] = ops.box_area(t(b1), fmt=fmt_in).numpy()
        out[f"box_iou__fmt_{fmt_in}"] = ops.box_iou(t(c1), t(c2), fmt=fmt_in).numpy()

    # Pairwise values (with NaNs), eps variants, batched broadcasting, gradients.
    batched1 = random_boxes(rng, 6).astype(np.float32).reshape(2, 3, 4)
    batched2 = random_boxes(rng, 5).astype(np.float32)
    out.update(batched1=batched1, batched2=batched2)
    cot = rng.standard_normal((len(c1), len(c2))).astype(np.float32)
    out["pair_cot"] = cot
    for name, fn in PAIRWISE.items():
        out[f"{name}__values"] = fn(t(b1), t(b2)).numpy()
        out[f"{name}__batched"] = fn(t(batched1), t(batched2)).numpy()
        x, y = t(c1, True), t(c2, True)
        val = fn(x, y)
        (val * t(cot)).sum().backward()
        out[f"{name}__clean"] = val.detach().numpy()
        out[f"{name}__grad1"] = x.grad.numpy()
        out[f"{name}__grad2"] = y.grad.numpy()
        if name in ("distance_box_iou", "complete_box_iou"):
            out[f"{name}__eps"] = fn(t(c1), t(c2), eps=0.5).numpy()

    # Dtypes: half precision and integers (torchvision upcasts).
    ib1 = np.round(c1).astype(np.int32)
    ib2 = np.round(c2).astype(np.int32)
    out.update(int1=ib1, int2=ib2)
    for dt in ("float16", "bfloat16"):
        h1 = t(c1).to(getattr(torch, dt))
        h2 = t(c2).to(getattr(torch, dt))
        out[f"{dt}1"] = h1.float().numpy()  # the rounded boxes, exactly
        out[f"{dt}2"] = h2.float().numpy()
        for name, fn in {**PAIRWISE, **LOSSES}.items():
            res = fn(h1, h2) if name in PAIRWISE else fn(h1[:5], h2[:5])
            out[f"{name}__{dt}"] = res.numpy()
            out[f"{name}__{dt}_dtype"] = np.array(str(res.dtype))
    for dt in ("int16", "int32", "uint8"):
        i1 = t(ib1).to(getattr(torch, dt))
        i2 = t(ib2).to(getattr(torch, dt))
        for name, fn in {**PAIRWISE, **LOSSES}.items():
            res = fn(i1, i2) if name in PAIRWISE else fn(i1[:5], i2[:5])
            out[f"{name}__{dt}"] = res.numpy()
            out[f"{name}__{dt}_dtype"] = np.array(str(res.dtype))
        area = ops.box_area(i1)
        out[f"box_area__{dt}"] = area.numpy()
        out[f"box_area__{dt}_dtype"] = np.array(str(area.dtype))
        conv = ops.box_convert(i1, "xyxy", "cxcywh")
        out[f"box_convert__{dt}"] = conv.numpy()
        out[f"box_convert__{dt}_dtype"] = np.array(str(conv.dtype))

    # Elementwise losses: reductions, eps, gradients.
    p = np.concatenate(
        [random_boxes(rng, 5), [[0, 0, 4, 4], [4, 0, 6, 4], [10, 10, 10, 14]]]
    ).astype(np.float32)
    q = np.concatenate(
        [random_boxes(rng, 5), [[0, 0, 4, 4], [0, 0, 4, 4], [50, 50, 60, 52]]]
    ).astype(np.float32)
    loss_cot = rng.standard_normal(len(p)).astype(np.float32)
    out.update(loss1=p, loss2=q, loss_cot=loss_cot)
    for name, fn in LOSSES.items():
        for red in ("none", "mean", "sum"):
            out[f"{name}__{red}"] = fn(t(p), t(q), reduction=red).numpy()
        out[f"{name}__eps"] = fn(t(p), t(q), eps=0.5).numpy()
        x, y = t(p, True), t(q, True)
        (fn(x, y) * t(loss_cot)).sum().backward()
        out[f"{name}__grad1"] = x.grad.numpy()
        out[f"{name}__grad2"] = y.grad.numpy()
        out[f"{name}__empty_mean"] = fn(
            t(np.zeros((0, 4), np.float32)), t(np.zeros((0, 4), np.float32)), "mean"
        ).numpy()

    # Focal loss.
    logits = rng.uniform(-8, 8, (4, 6)).astype(np.float32)
    hard = (rng.random((4, 6)) < 0.4).astype(np.float32)
    soft = rng.random((4, 6)).astype(np.float32)
    focal_cot = rng.standard_normal((4, 6)).astype(np.float32)
    out.update(focal_logits=logits, focal_hard=hard, focal_soft=soft)
    out["focal_cot"] = focal_cot
    configs = [(0.25, 2), (-1, 2), (0.5, 0), (1.0, 1.5)]
    for i, (alpha, gamma) in enumerate(configs):
        for tname, tgt in (("hard", hard), ("soft", soft)):
            x = t(logits, True)
            val = ops.sigmoid_focal_loss(x, t(tgt), alpha=alpha, gamma=gamma)
            (val * t(focal_cot)).sum().backward()
            out[f"sigmoid_focal_loss__{i}_{tname}"] = val.detach().numpy()
            out[f"sigmoid_focal_loss__{i}_{tname}_grad"] = x.grad.numpy()
    for red in ("mean", "sum"):
        out[f"sigmoid_focal_loss__{red}"] = ops.sigmoid_focal_loss(
            t(logits), t(hard), reduction=red
        ).numpy()
    half = ops.sigmoid_focal_loss(t(logits).half(), t(hard).half())
    out["sigmoid_focal_loss__float16"] = half.float().numpy()
    out["sigmoid_focal_loss__float16_dtype"] = np.array(str(half.dtype))

    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
