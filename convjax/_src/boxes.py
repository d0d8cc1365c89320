r"""Bounding-box utilities with ``torchvision.ops`` semantics: formats, areas, the IoU
family (IoU, GIoU, DIoU, CIoU), the box regression losses and the focal loss.

Shape legend: ``...`` leading (batch) dims, which broadcast between the two box sets;
``N`` boxes in ``boxes1``, ``M`` boxes in ``boxes2``. A box is the last axis, of size
4; unless a function takes a ``fmt``, boxes are ``xyxy``: ``(x1, y1, x2, y2)`` with
``x1 <= x2`` and ``y1 <= y2``.

Numbers are torchvision's, including its dtype handling: the pairwise functions
upcast half-precision boxes to float32 and 8/16-bit integer boxes to int32 (its
``_upcast``), the losses upcast everything that is not float32/float64 to float32 (its
``_upcast_non_float``), and ratios of integers are float32.

Deliberate deviations, all at points where torchvision returns NaN (or NaN gradients):

- a pair with zero union (a zero-area box against itself or another zero-area box)
  has IoU ``0``; likewise GIoU's enclosing-box penalty is ``0`` when the enclosing box
  has zero area, and every guarded ratio is ``0`` when its denominator is exactly 0
  (which needs ``eps=0``);
- CIoU's aspect-ratio angle ``atan(w / h)`` is evaluated as an ``atan2`` with the same
  value wherever torchvision's is defined (including ``h == 0``, where both give
  ``±pi/2``); a box with ``w == h == 0`` has angle ``0`` (torchvision: NaN);
- integer boxes are upcast *before* coordinate differences, so unsigned boxes
  cannot wrap around (torchvision subtracts ``uint8`` boxes in ``uint8``).

Every division is guarded with the double-``where`` idiom, so gradients stay finite
for zero-area, identical, touching and far-apart boxes.
"""

from __future__ import annotations

import math
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax

from convjax._src.checks import check_choice, check_floating
from convjax._src.typing import Array, ArrayLike, Reduction

BoxFormat = Literal["xyxy", "xywh", "cxcywh"]

_FORMATS = ("xyxy", "xywh", "cxcywh")
_ROTATED_FORMATS = ("xywhr", "cxcywhr", "xyxyxyxy")
_REDUCTIONS = ("none", "mean", "sum")
_FOUR_OVER_PI_SQ = 4 / (math.pi**2)

# --------------------------------------------------------------------------------------
# Validation and dtype helpers.


def _as_boxes(boxes, fn: str, name: str, *, min_ndim: int = 1) -> Array:
    """Converts to an array and checks the ``(..., 4)`` layout and a numeric dtype."""
    b = jnp.asarray(boxes)
    if b.ndim < min_ndim or b.shape[-1:] != (4,):
        want = "(..., N, 4)" if min_ndim == 2 else "(..., 4)"
        raise ValueError(
            f"`{fn}` expects `{name}` of shape {want} (last dim = 4 coordinates), "
            f"got shape {b.shape}."
        )
    if b.dtype == jnp.bool_ or not (
        jnp.issubdtype(b.dtype, jnp.floating) or jnp.issubdtype(b.dtype, jnp.integer)
    ):
        raise TypeError(
            f"`{fn}` expects real (integer or floating) `{name}`, got dtype {b.dtype}."
        )
    return b


def _upcast(x: Array) -> Array:
    """torchvision's ``_upcast``: half floats -> float32, 8/16-bit ints -> int32."""
    if jnp.issubdtype(x.dtype, jnp.floating):
        return x if x.dtype in (jnp.float32, jnp.float64) else x.astype(jnp.float32)
    return x if x.dtype in (jnp.int32, jnp.int64) else x.astype(jnp.int32)


def _upcast_non_float(x: Array) -> Array:
    """torchvision's ``_upcast_non_float``: anything but float32/64 -> float32."""
    return x if x.dtype in (jnp.float32, jnp.float64) else x.astype(jnp.float32)


def _diff(a: Array, b: Array) -> Array:
    """``_upcast(a - b)`` as torchvision computes it, but integers upcast first.

    Float differences are taken in the input dtype and then upcast (so float16 boxes
    round exactly where torchvision's do); integers are widened before subtracting
    so that unsigned coordinates cannot wrap.
    """
    if jnp.issubdtype(a.dtype, jnp.floating):
        return _upcast(a - b)
    return _upcast(a) - _upcast(b)


def _relu(x: Array) -> Array:
    # torch's ``clamp(min=0)``: value max(x, 0), and gradient 0 at x == 0 (jnp.maximum
    # would pass half of it), matching torchvision for touching boxes.
    return jnp.where(x > 0, x, 0)


def _safe_div(num: Array, den: Array) -> Array:
    """``num / den``, and ``0`` where ``den == 0``, with finite gradients."""
    ok = den != 0
    # Double where: the untaken branch must stay finite for the gradient, too.
    return jnp.where(ok, num / jnp.where(ok, den, 1), 0)


def _atan_ratio(w: Array, h: Array) -> Array:
    """``atan(w / h)`` as torch evaluates it, finite (and finite-gradient) at ``h == 0``.

    Written as ``atan2(s * w, s * h)`` with ``s = -1`` where ``h`` has its sign bit set,
    so that ``s * h >= 0``: this equals ``atan(w / h)`` for ``h != 0`` and gives
    torch's ``atan(±inf) = ±pi/2`` at ``h == ±0``. At ``w == h == 0`` (torch: NaN) it
    is ``0``, with a zero gradient.
    """
    if not jnp.issubdtype(w.dtype, jnp.floating):
        w = w.astype(jnp.float32)
        h = h.astype(jnp.float32)
    s = jnp.where(jnp.signbit(h), -1.0, 1.0).astype(w.dtype)
    y, x = s * w, s * h
    ok = (y != 0) | (x != 0)
    # atan2's gradient is 0/0 at the origin: feed it (0, 1) there instead.
    return jnp.where(ok, jnp.arctan2(jnp.where(ok, y, 0), jnp.where(ok, x, 1)), 0)


def _reduce(loss: Array, reduction: str, *, empty_mean_is_zero: bool) -> Array:
    if reduction == "sum":
        return jnp.sum(loss)
    if reduction == "mean":
        if loss.size == 0 and empty_mean_is_zero:
            # torchvision's box losses: ``0.0 * loss.sum()`` for an empty input.
            return jnp.zeros((), loss.dtype)
        return jnp.mean(loss)
    return loss


# --------------------------------------------------------------------------------------
# Formats and areas.


def _corners(b: Array, fmt: str) -> tuple[Array, Array, Array, Array]:
    """``(x1, y1, x2, y2)`` of ``(..., 4)`` boxes in ``fmt``, as torchvision forms them."""
    if not jnp.issubdtype(b.dtype, jnp.floating):
        b = _upcast(b)  # widen 8/16-bit ints first: x + w must not wrap
    c0, c1, c2, c3 = (b[..., i] for i in range(4))
    if fmt == "xyxy":
        return c0, c1, c2, c3
    if fmt == "xywh":
        return c0, c1, c0 + c2, c1 + c3
    half_w, half_h = c2 / 2, c3 / 2
    return c0 - half_w, c1 - half_h, c0 + half_w, c1 + half_h


def box_convert(boxes: ArrayLike, in_fmt: BoxFormat, out_fmt: BoxFormat) -> Array:
    r"""Converts boxes between the ``xyxy``, ``xywh`` and ``cxcywh`` formats.

    - ``"xyxy"``: corners ``(x1, y1, x2, y2)``, top left and bottom right.
    - ``"xywh"``: top-left corner and size ``(x1, y1, w, h)``.
    - ``"cxcywh"``: centre and size ``(cx, cy, w, h)``.

    Args:
      boxes: ``(..., 4)`` boxes in ``in_fmt``; any number of leading dims.
      in_fmt: format of ``boxes``.
      out_fmt: format of the result.

    Returns:
      ``(..., 4)`` boxes in ``out_fmt``. The dtype is the input's, except that
      conversions involving ``cxcywh`` turn integer boxes into float32 (they halve a
      size or a sum), as torchvision's do.

    Raises:
      ValueError: if a format is unknown or the last dim is not 4.

    Examples:
      >>> import jax.numpy as jnp
      >>> box_convert(jnp.array([[1.0, 2.0, 5.0, 4.0]]), "xyxy", "cxcywh")
      Array([[3., 3., 4., 2.]], dtype=float32)

    PyTorch parity: ``torchvision.ops.box_convert`` for its axis-aligned formats (the
    rotated ones, ``xywhr``, ``cxcywhr`` and ``xyxyxyxy``, are not supported).
    """
    check_choice(in_fmt, _FORMATS, "in_fmt")
    check_choice(out_fmt, _FORMATS, "out_fmt")
    b = _as_boxes(boxes, "box_convert", "boxes")
    if in_fmt == out_fmt:
        return b
    # Through corners, as torchvision goes (xywh <-> cxcywh via xyxy too).
    x1, y1, x2, y2 = _corners(b, in_fmt)
    if out_fmt == "xyxy":
        out = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return jnp.stack(out, axis=-1)


def box_area(boxes: ArrayLike, fmt: BoxFormat = "xyxy") -> Array:
    r"""Area of each box.

    .. math::
        \mathrm{area} = (x_2 - x_1)(y_2 - y_1) \quad\text{or}\quad w h

    Args:
      boxes: ``(..., 4)`` boxes in ``fmt``.
      fmt: ``"xyxy"`` (default), ``"xywh"`` or ``"cxcywh"``.

    Returns:
      ``(...)`` areas. Half-precision boxes give float32 and 8/16-bit integer boxes
      int32 (torchvision's ``_upcast``); other dtypes are kept.

    Raises:
      ValueError: if ``fmt`` is unknown or the last dim is not 4.

    Examples:
      >>> import jax.numpy as jnp
      >>> box_area(jnp.array([[0.0, 0.0, 2.0, 3.0], [1.0, 1.0, 1.0, 4.0]]))
      Array([6., 0.], dtype=float32)

    PyTorch parity: ``torchvision.ops.box_area``.
    """
    check_choice(fmt, _FORMATS, "fmt")
    b = _upcast(_as_boxes(boxes, "box_area", "boxes"))
    if fmt == "xyxy":
        return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return b[..., 2] * b[..., 3]


# --------------------------------------------------------------------------------------
# Pairwise IoU family.


def _pairwise_boxes(boxes1, boxes2, fn: str) -> tuple[Array, Array]:
    """Checks two box sets and gives them equal rank, so their batch dims broadcast.

    ``(..., N, 4)`` and ``(..., M, 4)`` with broadcastable ``...``: missing leading
    dims become explicit 1s (no implicit rank promotion).
    """
    b1 = _as_boxes(boxes1, fn, "boxes1", min_ndim=2)
    b2 = _as_boxes(boxes2, fn, "boxes2", min_ndim=2)
    try:
        batch = np.broadcast_shapes(b1.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(
            f"`{fn}`: the leading (batch) dims of `boxes1` (shape {b1.shape}) and "
            f"`boxes2` (shape {b2.shape}) do not broadcast."
        ) from None
    ndim = len(batch) + 2
    b1 = b1.reshape((1,) * (ndim - b1.ndim) + b1.shape)
    b2 = b2.reshape((1,) * (ndim - b2.ndim) + b2.shape)
    return b1, b2


# Problems with more pairs than this are computed in row blocks of about
# _BLOCK_PAIRS pairs (lax.map over rematerialized blocks). The forward pass needs
# no N x M temporaries either way under jit; the blocks bound the memory of eager
# evaluation and of reverse-mode gradients (XLA temporaries for the jitted gradient
# of a 10,000 x 10,000 box_iou: 0.7 GiB instead of 7.5 GiB; CIoU 1 GiB, not 16).
_BLOCKED_MIN_PAIRS = 1 << 24
_BLOCK_PAIRS = 1 << 22


def _block_rows(n: int, m: int) -> int:
    """Rows per block: a divisor of ``n`` near the target when there is one."""
    target = max(1, _BLOCK_PAIRS // max(m, 1))
    if target >= n:
        return n
    for rows in range(target, (target + 1) // 2 - 1, -1):
        if n % rows == 0:
            return rows
    return target  # no divisor close by: the last block gets padded


def _in_row_blocks(kernel, b1: Array, b2: Array) -> Array:
    """``kernel(b1, b2)`` for prepared ``(..., N, 4)``/``(..., M, 4)`` boxes.

    Small problems call the fused kernel directly. Large ones loop (``lax.map``)
    over the flattened batch and over blocks of rows of ``boxes1``, each block under
    ``jax.checkpoint`` so that the backward pass recomputes it instead of storing
    ``N x M`` residuals. The numbers are those of the direct call up to the last
    bit of float rounding (XLA may vectorize a block differently).
    """
    batch = np.broadcast_shapes(b1.shape[:-2], b2.shape[:-2])
    n, m = b1.shape[-2], b2.shape[-2]
    size = math.prod(batch)
    if size * n * m <= _BLOCKED_MIN_PAIRS:
        return kernel(b1, b2)
    rows = _block_rows(n, m)

    def one(args):
        x, y = args  # (N, 4), (M, 4)
        if rows >= n:
            return kernel(x, y)
        blocks = -(-n // rows)
        pad = blocks * rows - n
        if pad:  # zero (point) boxes; their rows are dropped below
            x = jnp.concatenate([x, jnp.zeros((pad, 4), x.dtype)])
        out = jax.lax.map(
            jax.checkpoint(lambda blk: kernel(blk, y)), x.reshape(blocks, rows, 4)
        )
        out = out.reshape(blocks * rows, m)
        return out[:n] if pad else out

    x = jnp.broadcast_to(b1, batch + (n, 4)).reshape(size, n, 4)
    y = jnp.broadcast_to(b2, batch + (m, 4)).reshape(size, m, 4)
    if size == 1:
        out = one((x[0], y[0]))[None]
    else:
        out = jax.lax.map(jax.checkpoint(one), (x, y))
    return out.reshape(batch + (n, m))


def _rows(coords):
    """Per-box arrays ``(..., N)`` -> ``(..., N, 1)`` (the ``boxes1`` side)."""
    return tuple(c[..., :, None] for c in coords)


def _cols(coords):
    """Per-box arrays ``(..., M)`` -> ``(..., 1, M)`` (the ``boxes2`` side)."""
    return tuple(c[..., None, :] for c in coords)


def _inter_union(p, q, area_p, area_q):
    """Pairwise intersection and union of corner tuples ``p`` (rows), ``q`` (cols)."""
    w = _relu(_diff(jnp.minimum(p[2], q[2]), jnp.maximum(p[0], q[0])))  # [..., N, M]
    h = _relu(_diff(jnp.minimum(p[3], q[3]), jnp.maximum(p[1], q[1])))  # [..., N, M]
    inter = w * h
    union = area_p + area_q - inter
    return inter, union


def _enclosing_wh(p, q):
    """Width and height of the smallest box enclosing each pair, ``[..., N, M]``."""
    w = _relu(_diff(jnp.maximum(p[2], q[2]), jnp.minimum(p[0], q[0])))
    h = _relu(_diff(jnp.maximum(p[3], q[3]), jnp.minimum(p[1], q[1])))
    return w, h


def _iou_parts(b1, b2, fmt="xyxy"):
    """Corner tuples (rows, cols) and pairwise (iou, union) of prepared box sets."""
    p, q = _corners(b1, fmt), _corners(b2, fmt)
    area_p = box_area(b1, fmt)[..., :, None]
    area_q = box_area(b2, fmt)[..., None, :]
    p, q = _rows(p), _cols(q)
    inter, union = _inter_union(p, q, area_p, area_q)
    return p, q, _safe_div(inter, union), union


def box_iou(boxes1: ArrayLike, boxes2: ArrayLike, fmt: BoxFormat = "xyxy") -> Array:
    r"""Pairwise intersection over union (Jaccard index) of two sets of boxes.

    .. math::
        \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A \cup B|}

    Args:
      boxes1: ``(..., N, 4)`` boxes in ``fmt``.
      boxes2: ``(..., M, 4)`` boxes in ``fmt``; the ``...`` dims broadcast with
        ``boxes1``'s.
      fmt: ``"xyxy"`` (default), ``"xywh"`` or ``"cxcywh"``.

    Returns:
      ``(..., N, M)`` IoU; float32 for float16/bfloat16/integer boxes (float64 stays
      float64). A pair with zero union gives ``0`` (torchvision: NaN).

    Raises:
      ValueError: unknown ``fmt``, a last dim other than 4, fewer than 2 dims, or
        batch dims that do not broadcast.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]])
      >>> b = jnp.array([[1.0, 0.0, 3.0, 2.0], [1.0, 1.0, 1.0, 1.0]])
      >>> box_iou(a, b)
      Array([[0.33333334, 0.        ],
             [0.        , 0.        ]], dtype=float32)

    PyTorch parity: ``torchvision.ops.box_iou`` (axis-aligned formats), except the
    zero-union case (0 instead of NaN, with finite gradients).
    """
    if fmt in _ROTATED_FORMATS:
        raise ValueError(
            f"`box_iou`: rotated boxes (`fmt`={fmt!r}) are not supported; use one of "
            f"{', '.join(repr(f) for f in _FORMATS)}."
        )
    check_choice(fmt, _FORMATS, "fmt")
    b1, b2 = _pairwise_boxes(boxes1, boxes2, "box_iou")
    return _in_row_blocks(lambda x, y: _iou_parts(x, y, fmt)[2], b1, b2)


def generalized_box_iou(boxes1: ArrayLike, boxes2: ArrayLike) -> Array:
    r"""Pairwise generalized IoU of two sets of ``xyxy`` boxes.

    .. math::
        \mathrm{GIoU}(A, B) = \mathrm{IoU}(A, B) - \frac{|C| - |A \cup B|}{|C|}

    where :math:`C` is the smallest box enclosing :math:`A` and :math:`B`.

    Args:
      boxes1: ``(..., N, 4)`` boxes ``(x1, y1, x2, y2)``.
      boxes2: ``(..., M, 4)`` boxes; the ``...`` dims broadcast with ``boxes1``'s.

    Returns:
      ``(..., N, M)`` GIoU in ``[-1, 1]``; float32 for half/integer boxes. A pair whose
      union (or enclosing box) has zero area gives IoU ``0`` and penalty ``0``
      (torchvision: NaN).

    Raises:
      ValueError: a last dim other than 4, fewer than 2 dims, or batch dims that do
        not broadcast.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[0.0, 0.0, 1.0, 1.0], [2.0, 0.0, 3.0, 1.0]])
      >>> generalized_box_iou(a, b)
      Array([[ 1.        , -0.33333334]], dtype=float32)

    PyTorch parity: ``torchvision.ops.generalized_box_iou``, except zero-area cases.
    """
    b1, b2 = _pairwise_boxes(boxes1, boxes2, "generalized_box_iou")
    return _in_row_blocks(_giou_kernel, b1, b2)


def _giou_kernel(b1: Array, b2: Array) -> Array:
    p, q, iou, union = _iou_parts(b1, b2)
    ew, eh = _enclosing_wh(p, q)
    area_c = ew * eh
    return iou - _safe_div(area_c - union, area_c)


def _diou_parts(b1: Array, b2: Array, eps):
    """Pairwise DIoU and IoU of prepared, upcast boxes (torchvision's ``_box_diou_iou``)."""
    p, q, iou, _ = _iou_parts(b1, b2)
    ew, eh = _enclosing_wh(p, q)
    diag_sq = ew**2 + eh**2 + eps  # squared diagonal of the enclosing box
    cx1, cy1 = (b1[..., 0] + b1[..., 2]) / 2, (b1[..., 1] + b1[..., 3]) / 2
    cx2, cy2 = (b2[..., 0] + b2[..., 2]) / 2, (b2[..., 1] + b2[..., 3]) / 2
    dx = cx1[..., :, None] - cx2[..., None, :]  # [..., N, M]
    dy = cy1[..., :, None] - cy2[..., None, :]
    return iou - _safe_div(dx**2 + dy**2, diag_sq), iou


def distance_box_iou(boxes1: ArrayLike, boxes2: ArrayLike, eps: float = 1e-7) -> Array:
    r"""Pairwise distance IoU of two sets of ``xyxy`` boxes.

    .. math::
        \mathrm{DIoU}(A, B) = \mathrm{IoU}(A, B) - \frac{\rho^2(a, b)}{c^2 + \epsilon}

    with :math:`\rho(a, b)` the distance between the box centres and :math:`c` the
    diagonal of the smallest enclosing box.

    Args:
      boxes1: ``(..., N, 4)`` boxes ``(x1, y1, x2, y2)``.
      boxes2: ``(..., M, 4)`` boxes; the ``...`` dims broadcast with ``boxes1``'s.
      eps: added to the squared diagonal to avoid dividing by zero.

    Returns:
      ``(..., N, M)`` DIoU in ``[-1, 1]``; float32 for half/integer boxes. Zero-union
      pairs have IoU ``0`` (torchvision: NaN).

    Raises:
      ValueError: a last dim other than 4, fewer than 2 dims, or batch dims that do
        not broadcast.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 2.0, 1.0]])
      >>> distance_box_iou(a, b)
      Array([[ 1. , -0.2]], dtype=float32)

    PyTorch parity: ``torchvision.ops.distance_box_iou`` (boxes upcast first, ``eps``
    on the squared diagonal), except the zero-union case.
    """
    b1, b2 = _pairwise_boxes(boxes1, boxes2, "distance_box_iou")
    return _in_row_blocks(
        lambda x, y: _diou_parts(x, y, eps)[0], _upcast(b1), _upcast(b2)
    )


def complete_box_iou(boxes1: ArrayLike, boxes2: ArrayLike, eps: float = 1e-7) -> Array:
    r"""Pairwise complete IoU of two sets of ``xyxy`` boxes.

    .. math::
        \mathrm{CIoU} = \mathrm{DIoU} - \alpha v, \quad
        v = \frac{4}{\pi^2}\Big(\arctan\frac{w_1}{h_1} - \arctan\frac{w_2}{h_2}\Big)^2,
        \quad \alpha = \frac{v}{1 - \mathrm{IoU} + v + \epsilon}

    :math:`\alpha` is a constant for differentiation (``jax.lax.stop_gradient``), as
    torchvision computes it under ``torch.no_grad()``: gradients flow through
    :math:`v`, DIoU and IoU only.

    Args:
      boxes1: ``(..., N, 4)`` boxes ``(x1, y1, x2, y2)``.
      boxes2: ``(..., M, 4)`` boxes; the ``...`` dims broadcast with ``boxes1``'s.
      eps: added to the denominators of DIoU and of :math:`\alpha`.

    Returns:
      ``(..., N, M)`` CIoU; float32 for half/integer boxes. A box with zero width and
      height has aspect angle ``0`` and zero-union pairs IoU ``0`` (torchvision: NaN).

    Raises:
      ValueError: a last dim other than 4, fewer than 2 dims, or batch dims that do
        not broadcast.

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 2.0, 1.0]])
      >>> complete_box_iou(a, b)
      Array([[1.        , 0.44675186]], dtype=float32)

    PyTorch parity: ``torchvision.ops.complete_box_iou``, with the same
    stopped-gradient :math:`\alpha`; NaN cases replaced as above.
    """
    b1, b2 = _pairwise_boxes(boxes1, boxes2, "complete_box_iou")
    return _in_row_blocks(
        lambda x, y: _ciou_kernel(x, y, eps), _upcast(b1), _upcast(b2)
    )


def _ciou_kernel(b1: Array, b2: Array, eps) -> Array:
    diou, iou = _diou_parts(b1, b2, eps)
    ang1 = _atan_ratio(b1[..., 2] - b1[..., 0], b1[..., 3] - b1[..., 1])  # [..., N]
    ang2 = _atan_ratio(b2[..., 2] - b2[..., 0], b2[..., 3] - b2[..., 1])  # [..., M]
    v = _FOUR_OVER_PI_SQ * (ang1[..., :, None] - ang2[..., None, :]) ** 2
    # torchvision computes alpha under torch.no_grad(): a constant for gradients.
    alpha = jax.lax.stop_gradient(_safe_div(v, 1 - iou + v + eps))
    return diou - alpha * v


# --------------------------------------------------------------------------------------
# Elementwise box losses.


def _loss_boxes(boxes1, boxes2, reduction, fn: str):
    """Validates, upcasts (torchvision's ``_upcast_non_float``) and aligns ranks."""
    check_choice(reduction, _REDUCTIONS, "reduction")
    b1 = _upcast_non_float(_as_boxes(boxes1, fn, "boxes1"))
    b2 = _upcast_non_float(_as_boxes(boxes2, fn, "boxes2"))
    try:
        shape = np.broadcast_shapes(b1.shape, b2.shape)
    except ValueError:
        raise ValueError(
            f"`{fn}`: `boxes1` (shape {b1.shape}) and `boxes2` (shape {b2.shape}) "
            f"do not broadcast."
        ) from None
    b1 = b1.reshape((1,) * (len(shape) - b1.ndim) + b1.shape)
    b2 = b2.reshape((1,) * (len(shape) - b2.ndim) + b2.shape)
    return tuple(b1[..., i] for i in range(4)), tuple(b2[..., i] for i in range(4))


def _loss_inter_union(p, q):
    """torchvision's ``_loss_inter_union`` (masked, not clamped, intersection)."""
    x1, y1, x2, y2 = p
    x1g, y1g, x2g, y2g = q
    xk1, yk1 = jnp.maximum(x1, x1g), jnp.maximum(y1, y1g)
    xk2, yk2 = jnp.minimum(x2, x2g), jnp.minimum(y2, y2g)
    mask = (yk2 > yk1) & (xk2 > xk1)
    inter = jnp.where(mask, (xk2 - xk1) * (yk2 - yk1), 0)
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def _enclosing(p, q):
    return (
        jnp.minimum(p[0], q[0]),
        jnp.minimum(p[1], q[1]),
        jnp.maximum(p[2], q[2]),
        jnp.maximum(p[3], q[3]),
    )


def _diou_iou_loss(p, q, eps):
    """torchvision's ``_diou_iou_loss``: ``(1 - DIoU, IoU)`` elementwise."""
    inter, union = _loss_inter_union(p, q)
    iou = _safe_div(inter, union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(p, q)
    diag_sq = (xc2 - xc1) ** 2 + (yc2 - yc1) ** 2 + eps
    x_p, y_p = (p[2] + p[0]) / 2, (p[3] + p[1]) / 2
    x_g, y_g = (q[0] + q[2]) / 2, (q[1] + q[3]) / 2
    dist_sq = (x_p - x_g) ** 2 + (y_p - y_g) ** 2
    return 1 - iou + _safe_div(dist_sq, diag_sq), iou


_LOSS_ARGS = """Args:
      boxes1: ``(..., 4)`` boxes ``(x1, y1, x2, y2)`` (e.g. predictions).
      boxes2: ``(..., 4)`` boxes (e.g. targets); broadcasts with ``boxes1``.
      reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``. ``"mean"`` of an
        empty input is ``0``, as in torchvision.
      eps: small number that keeps the divisions finite."""

_LOSS_RETURNS = """Returns:
      ``(...)`` losses for ``"none"``, a scalar otherwise; float32 unless the boxes
      are float64 (torchvision's ``_upcast_non_float``).

    Raises:
      ValueError: unknown ``reduction``, a last dim other than 4, or box shapes that
        do not broadcast."""


def generalized_box_iou_loss(
    boxes1: ArrayLike,
    boxes2: ArrayLike,
    reduction: Reduction = "none",
    eps: float = 1e-7,
) -> Array:
    r"""GIoU loss between matching boxes, elementwise.

    .. math::
        \ell = 1 - \frac{|A \cap B|}{|A \cup B| + \epsilon}
          + \frac{|C| - |A \cup B|}{|C| + \epsilon}

    with :math:`C` the smallest box enclosing :math:`A` and :math:`B`. Symmetric in
    its two arguments.

    {args}

    {returns}

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[2.0, 0.0, 3.0, 1.0]])
      >>> generalized_box_iou_loss(a, b)
      Array([1.3333334], dtype=float32)

    PyTorch parity: ``torchvision.ops.generalized_box_iou_loss`` (same ``eps``
    placement); a denominator that is exactly 0 (only with ``eps=0``) gives a 0 term.
    """
    p, q = _loss_boxes(boxes1, boxes2, reduction, "generalized_box_iou_loss")
    inter, union = _loss_inter_union(p, q)
    iou = _safe_div(inter, union + eps)
    xc1, yc1, xc2, yc2 = _enclosing(p, q)
    area_c = (xc2 - xc1) * (yc2 - yc1)
    loss = 1 - (iou - _safe_div(area_c - union, area_c + eps))
    return _reduce(loss, reduction, empty_mean_is_zero=True)


def distance_box_iou_loss(
    boxes1: ArrayLike,
    boxes2: ArrayLike,
    reduction: Reduction = "none",
    eps: float = 1e-7,
) -> Array:
    r"""DIoU loss between matching boxes, elementwise.

    .. math::
        \ell = 1 - \frac{|A \cap B|}{|A \cup B| + \epsilon}
          + \frac{\rho^2(a, b)}{c^2 + \epsilon}

    with :math:`\rho(a, b)` the distance between the centres and :math:`c` the
    diagonal of the smallest enclosing box. Symmetric in its two arguments.

    {args}

    {returns}

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[1.0, 0.0, 2.0, 1.0]])
      >>> distance_box_iou_loss(a, b)
      Array([1.2], dtype=float32)

    PyTorch parity: ``torchvision.ops.distance_box_iou_loss``; a denominator that is
    exactly 0 (only with ``eps=0``) gives a 0 term.
    """
    p, q = _loss_boxes(boxes1, boxes2, reduction, "distance_box_iou_loss")
    loss, _ = _diou_iou_loss(p, q, eps)
    return _reduce(loss, reduction, empty_mean_is_zero=True)


def complete_box_iou_loss(
    boxes1: ArrayLike,
    boxes2: ArrayLike,
    reduction: Reduction = "none",
    eps: float = 1e-7,
) -> Array:
    r"""CIoU loss between matching boxes, elementwise.

    .. math::
        \ell = \ell_\mathrm{DIoU} + \alpha v, \quad
        v = \frac{4}{\pi^2}\Big(\arctan\frac{w_2}{h_2} - \arctan\frac{w_1}{h_1}\Big)^2,
        \quad \alpha = \frac{v}{1 - \mathrm{IoU} + v + \epsilon}

    :math:`\alpha` is a constant for differentiation (``jax.lax.stop_gradient``), as
    torchvision computes it under ``torch.no_grad()``. As in torchvision, the DIoU
    part always uses ``eps=1e-7``: the ``eps`` argument only enters :math:`\alpha`.

    {args}

    {returns}

    Examples:
      >>> import jax.numpy as jnp
      >>> a = jnp.array([[0.0, 0.0, 1.0, 1.0]])
      >>> b = jnp.array([[0.0, 0.0, 2.0, 1.0]])
      >>> complete_box_iou_loss(a, b)
      Array([0.55324817], dtype=float32)

    PyTorch parity: ``torchvision.ops.complete_box_iou_loss``; a box with zero width
    and height has aspect angle 0 (torchvision: NaN).
    """
    p, q = _loss_boxes(boxes1, boxes2, reduction, "complete_box_iou_loss")
    # torchvision calls _diou_iou_loss(boxes1, boxes2) without its eps.
    diou_loss, iou = _diou_iou_loss(p, q, 1e-7)
    v = (
        _FOUR_OVER_PI_SQ
        * (
            _atan_ratio(q[2] - q[0], q[3] - q[1])
            - _atan_ratio(p[2] - p[0], p[3] - p[1])
        )
        ** 2
    )
    # torchvision computes alpha under torch.no_grad(): a constant for gradients.
    alpha = jax.lax.stop_gradient(_safe_div(v, 1 - iou + v + eps))
    return _reduce(diou_loss + alpha * v, reduction, empty_mean_is_zero=True)


for _f in (generalized_box_iou_loss, distance_box_iou_loss, complete_box_iou_loss):
    _f.__doc__ = (
        (_f.__doc__ or "")
        .replace("{args}", _LOSS_ARGS)
        .replace("{returns}", _LOSS_RETURNS)
    )
del _f


# --------------------------------------------------------------------------------------
# Focal loss.


def sigmoid_focal_loss(
    inputs: ArrayLike,
    targets: ArrayLike,
    alpha: float = 0.25,
    gamma: float = 2,
    reduction: Reduction = "none",
) -> Array:
    r"""Sigmoid focal loss (RetinaNet), elementwise.

    .. math::
        \ell = \alpha_t\, (1 - p_t)^\gamma\,
          \mathrm{BCE}(x, t), \quad p = \sigma(x),\;
          p_t = p\,t + (1 - p)(1 - t),\;
          \alpha_t = \alpha\,t + (1 - \alpha)(1 - t)

    with the binary cross-entropy taken from the logits,
    ``(1 - t) * x - log_sigmoid(x)``. ``alpha = -1`` drops the :math:`\alpha_t`
    factor.

    Args:
      inputs: logits, any shape.
      targets: same shape as ``inputs``: 1 for the positive class, 0 for the
        negative one (soft targets are accepted).
      alpha: weight of the positive class in ``[0, 1]``, or ``-1`` for none. A
        Python number (it selects a branch, as in torchvision).
      gamma: focusing exponent.
      reduction: ``"none"`` (default), ``"mean"`` or ``"sum"``.

    Returns:
      Losses of ``inputs``' shape for ``"none"``, a scalar otherwise; dtype of
      ``inputs``/``targets`` promoted (computed in at least float32).

    Raises:
      ValueError: ``alpha`` outside ``[0, 1]`` and not ``-1``, unknown
        ``reduction``, or shapes that differ.
      TypeError: non-floating ``inputs`` or a non-number ``alpha``.

    Examples:
      >>> import jax.numpy as jnp
      >>> sigmoid_focal_loss(jnp.array([0.0, 2.0]), jnp.array([1.0, 0.0]))
      Array([0.0433217, 1.2375586], dtype=float32)

    PyTorch parity: ``torchvision.ops.sigmoid_focal_loss`` (``"mean"`` of an empty
    input is NaN there and here).
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.number):
        raise TypeError(
            f"`alpha` must be a Python number (in [0, 1] or -1), got {alpha!r}."
        )
    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(
            f"`alpha` must be in the range [0, 1] or -1 for ignore, got {alpha!r}."
        )
    if isinstance(gamma, bool | str):
        raise TypeError(
            f"`sigmoid_focal_loss`: `gamma` must be a number, got {gamma!r}."
        )
    check_choice(reduction, _REDUCTIONS, "reduction")
    x, t = jnp.asarray(inputs), jnp.asarray(targets)
    check_floating(x, "sigmoid_focal_loss", "inputs")
    if x.shape != t.shape:
        raise ValueError(
            f"`sigmoid_focal_loss`: `targets` must have the shape of `inputs` "
            f"{x.shape}, got {t.shape}."
        )
    dtype = jnp.result_type(x, t)
    compute = jnp.promote_types(dtype, jnp.float32)  # half inputs: compute in f32
    x, t = x.astype(compute), t.astype(compute)
    p = jax.nn.sigmoid(x)
    ce = optax.losses.sigmoid_binary_cross_entropy(x, t)  # = torch's BCE with logits
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * (1 - p_t) ** gamma
    if alpha >= 0:
        loss = (alpha * t + (1 - alpha) * (1 - t)) * loss
    return _reduce(loss, reduction, empty_mean_is_zero=False).astype(dtype)
