"""Naive float64 references for convjax.boxes, pair by pair from the definitions.

Plain Python/NumPy loops, never jax. They encode convjax's documented choices at
torchvision's NaN points: IoU of a zero-union pair is 0, a ratio with a zero
denominator is 0, and the aspect angle of a box with w == h == 0 is 0.
"""

import math

import numpy as np

FOUR_OVER_PI_SQ = 4.0 / math.pi**2


def _ratio(num, den):
    return 0.0 if den == 0 else num / den


def _angle(w, h):
    """atan(w / h), with atan(+-inf) = +-pi/2 at h == 0 and 0 at w == h == 0."""
    if h == 0:
        return 0.0 if w == 0 else math.copysign(math.pi / 2, w)
    return math.atan(w / h)


def _inter_union(a, b):
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0.0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0.0)
    inter = iw * ih
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    return inter, area_a + area_b - inter


def _enclosing(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _center_dist_sq(a, b):
    return ((a[0] + a[2]) / 2 - (b[0] + b[2]) / 2) ** 2 + (
        (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2
    ) ** 2


def iou_pair(a, b):
    inter, union = _inter_union(a, b)
    return _ratio(inter, union)


def giou_pair(a, b):
    inter, union = _inter_union(a, b)
    x1, y1, x2, y2 = _enclosing(a, b)
    area_c = max(x2 - x1, 0.0) * max(y2 - y1, 0.0)
    return _ratio(inter, union) - _ratio(area_c - union, area_c)


def diou_pair(a, b, eps=1e-7):
    x1, y1, x2, y2 = _enclosing(a, b)
    diag_sq = max(x2 - x1, 0.0) ** 2 + max(y2 - y1, 0.0) ** 2 + eps
    return iou_pair(a, b) - _ratio(_center_dist_sq(a, b), diag_sq)


def ciou_v_alpha(a, b, eps=1e-7, iou=None):
    iou = iou_pair(a, b) if iou is None else iou
    v = (
        FOUR_OVER_PI_SQ
        * (_angle(a[2] - a[0], a[3] - a[1]) - _angle(b[2] - b[0], b[3] - b[1])) ** 2
    )
    return v, _ratio(v, 1 - iou + v + eps)


def ciou_pair(a, b, eps=1e-7, alpha=None):
    """CIoU; ``alpha`` given means frozen (for the stopped-gradient check)."""
    v, a_ = ciou_v_alpha(a, b, eps)
    return diou_pair(a, b, eps) - (a_ if alpha is None else alpha) * v


def pairwise(fn, boxes1, boxes2, **kw):
    """``(..., N, 4), (..., M, 4) -> (..., N, M)`` with broadcasting leading dims."""
    b1 = np.asarray(boxes1, np.float64)
    b2 = np.asarray(boxes2, np.float64)
    batch = np.broadcast_shapes(b1.shape[:-2], b2.shape[:-2])
    b1 = np.broadcast_to(b1, batch + b1.shape[-2:])
    b2 = np.broadcast_to(b2, batch + b2.shape[-2:])
    out = np.zeros(batch + (b1.shape[-2], b2.shape[-2]))
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(b1[idx[:-2] + (idx[-2],)], b2[idx[:-2] + (idx[-1],)], **kw)
    return out


def box_iou(b1, b2):
    return pairwise(iou_pair, b1, b2)


def generalized_box_iou(b1, b2):
    return pairwise(giou_pair, b1, b2)


def distance_box_iou(b1, b2, eps=1e-7):
    return pairwise(diou_pair, b1, b2, eps=eps)


def complete_box_iou(b1, b2, eps=1e-7):
    return pairwise(ciou_pair, b1, b2, eps=eps)


# Elementwise losses, torchvision's eps placement.


def _loss_iou(a, b, eps):
    ix1, iy1 = max(a[0], b[0]), max(a[1], b[1])
    ix2, iy2 = min(a[2], b[2]), min(a[3], b[3])
    inter = (ix2 - ix1) * (iy2 - iy1) if (ix2 > ix1 and iy2 > iy1) else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return _ratio(inter, union + eps), union


def giou_loss_pair(a, b, eps=1e-7):
    iou, union = _loss_iou(a, b, eps)
    x1, y1, x2, y2 = _enclosing(a, b)
    area_c = (x2 - x1) * (y2 - y1)
    return 1 - (iou - _ratio(area_c - union, area_c + eps))


def _diou_loss_iou(a, b, eps):
    iou, _ = _loss_iou(a, b, eps)
    x1, y1, x2, y2 = _enclosing(a, b)
    diag_sq = (x2 - x1) ** 2 + (y2 - y1) ** 2 + eps
    return 1 - iou + _ratio(_center_dist_sq(a, b), diag_sq), iou


def diou_loss_pair(a, b, eps=1e-7):
    return _diou_loss_iou(a, b, eps)[0]


def ciou_loss_pair(a, b, eps=1e-7):
    loss, iou = _diou_loss_iou(a, b, 1e-7)  # torchvision: DIoU part with eps=1e-7
    v, alpha = ciou_v_alpha(a, b, eps, iou=iou)
    return loss + alpha * v


def elementwise(fn, boxes1, boxes2, reduction="none", **kw):
    b1 = np.asarray(boxes1, np.float64)
    b2 = np.asarray(boxes2, np.float64)
    shape = np.broadcast_shapes(b1.shape, b2.shape)
    b1, b2 = np.broadcast_to(b1, shape), np.broadcast_to(b2, shape)
    out = np.zeros(shape[:-1])
    for idx in np.ndindex(*out.shape):
        out[idx] = fn(b1[idx], b2[idx], **kw)
    if reduction == "sum":
        return out.sum()
    if reduction == "mean":
        return out.mean() if out.size else 0.0
    return out


# Formats and areas.


def box_convert(boxes, in_fmt, out_fmt):
    b = np.asarray(boxes, np.float64)
    out = np.zeros_like(b)
    for idx in np.ndindex(*b.shape[:-1]):
        c0, c1, c2, c3 = b[idx]
        if in_fmt == "xyxy":
            x1, y1, x2, y2 = c0, c1, c2, c3
        elif in_fmt == "xywh":
            x1, y1, x2, y2 = c0, c1, c0 + c2, c1 + c3
        else:
            x1, y1, x2, y2 = c0 - c2 / 2, c1 - c3 / 2, c0 + c2 / 2, c1 + c3 / 2
        if out_fmt == "xyxy":
            out[idx] = (x1, y1, x2, y2)
        elif out_fmt == "xywh":
            out[idx] = (x1, y1, x2 - x1, y2 - y1)
        else:
            out[idx] = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return out


def box_area(boxes, fmt="xyxy"):
    b = np.asarray(boxes, np.float64)
    if fmt == "xyxy":
        return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return b[..., 2] * b[..., 3]


# Focal loss.


def sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0, reduction="none"):
    x = np.asarray(x, np.float64)
    t = np.asarray(t, np.float64)
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        xi, ti = x[idx], t[idx]
        p = 1.0 / (1.0 + math.exp(-xi))
        # -t log p - (1 - t) log(1 - p), in a form that cannot overflow.
        ce = max(xi, 0.0) - xi * ti + math.log1p(math.exp(-abs(xi)))
        p_t = p * ti + (1 - p) * (1 - ti)
        loss = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            loss *= alpha * ti + (1 - alpha) * (1 - ti)
        out[idx] = loss
    if reduction == "sum":
        return out.sum()
    if reduction == "mean":
        return out.mean()
    return out


def numerical_grad(f, x, h=1e-6):
    """Central differences of the scalar ``f`` at float64 ``x``."""
    x = np.array(x, np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g
