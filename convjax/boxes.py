"""Bounding boxes with ``torchvision.ops`` names and numbers: ``from convjax import boxes``.

Boxes are ``(..., 4)`` arrays, ``xyxy`` = ``(x1, y1, x2, y2)`` unless a ``fmt``
says otherwise. Pairwise functions map ``(..., N, 4), (..., M, 4) -> (..., N, M)``
with broadcasting leading dims; the losses are elementwise. Every function is pure,
works under ``jax.jit``, ``jax.vmap`` and ``jax.grad``, and has finite gradients for
zero-area, identical, touching and far-apart boxes (zero-union IoU is 0, not NaN).
Pairwise problems above 2**24 pairs run in checkpointed blocks of rows, so that eager
calls and reverse-mode gradients of, e.g., 10,000 x 10,000 boxes need no N x M
temporaries beyond a block (under ``jax.jit`` the forward pass never has any).
"""

from __future__ import annotations

from convjax._src.boxes import box_area as box_area
from convjax._src.boxes import box_convert as box_convert
from convjax._src.boxes import box_iou as box_iou
from convjax._src.boxes import complete_box_iou as complete_box_iou
from convjax._src.boxes import complete_box_iou_loss as complete_box_iou_loss
from convjax._src.boxes import distance_box_iou as distance_box_iou
from convjax._src.boxes import distance_box_iou_loss as distance_box_iou_loss
from convjax._src.boxes import generalized_box_iou as generalized_box_iou
from convjax._src.boxes import generalized_box_iou_loss as generalized_box_iou_loss
from convjax._src.boxes import sigmoid_focal_loss as sigmoid_focal_loss

__all__ = [
    "box_area",
    "box_convert",
    "box_iou",
    "complete_box_iou",
    "complete_box_iou_loss",
    "distance_box_iou",
    "distance_box_iou_loss",
    "generalized_box_iou",
    "generalized_box_iou_loss",
    "sigmoid_focal_loss",
]
