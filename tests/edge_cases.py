"""Empty-batch (N = 0) and zero-size cases of every op family, written once for both
PyTorch and convjax.

Each case is a function of a namespace ``ns`` holding ``F`` (``torch.nn.functional``
or ``convjax.functional``), ``boxes`` (``torchvision.ops`` or ``convjax.boxes``),
``image`` (``torchvision.transforms.v2.functional`` or ``convjax.image``), ``bn`` (a
``batch_norm`` returning ``(y, running_mean, running_var)``) and array makers
``x(*shape)`` (float32 ramp), ``i(*shape, high)`` (int64 class indices in
``[0, high)``), ``p(*shape)`` (probabilities in ``(0, 1)``) and ``b(*shape)`` (valid
xyxy boxes). ``tests/golden/make_edge.py`` runs them under PyTorch and records what
each returns (shapes, and the values of small outputs) or that it raises;
``tests/test_edge.py`` checks that convjax does the same.
"""

import numpy as np


def ramp(shape):
    """Deterministic float32 values in [-1, 1) of ``shape``."""
    size = int(np.prod(shape))
    return ((np.arange(size) % 7) / 3.5 - 1.0).astype(np.float32).reshape(shape)


def indices(shape, high):
    size = int(np.prod(shape))
    return (np.arange(size) % max(high, 1)).astype(np.int64).reshape(shape)


def probs(shape):
    return ((ramp(shape) + 1.0) * 0.45 + 0.05).astype(np.float32)


def xyxy(shape):
    lo = (np.abs(ramp(shape[:-1] + (2,))) * 4).astype(np.float32)
    return np.concatenate([lo, lo + 1.5], axis=-1)


def _w(ns, *shape):
    return ns.x(*shape)


CASES = {
    # ---- convolutions
    "conv1d/N0": lambda ns: ns.F.conv1d(ns.x(0, 2, 5), _w(ns, 3, 2, 3)),
    "conv2d/N0": lambda ns: ns.F.conv2d(ns.x(0, 2, 5, 5), _w(ns, 3, 2, 3, 3)),
    "conv2d/N0_bias_groups": lambda ns: ns.F.conv2d(
        ns.x(0, 4, 5, 5), _w(ns, 4, 2, 3, 3), ns.x(4), 1, 1, 1, 2
    ),
    "conv2d/N0_depthwise": lambda ns: ns.F.conv2d(
        ns.x(0, 4, 5, 5), _w(ns, 8, 1, 3, 3), None, 2, 1, 1, 4
    ),
    "conv2d/N0_pointwise": lambda ns: ns.F.conv2d(ns.x(0, 4, 5, 5), _w(ns, 3, 4, 1, 1)),
    "conv1d/N0_depthwise": lambda ns: ns.F.conv1d(
        ns.x(0, 4, 9), _w(ns, 4, 1, 3), None, 1, 1, 1, 4
    ),
    "conv3d/N0": lambda ns: ns.F.conv3d(ns.x(0, 2, 3, 3, 3), _w(ns, 3, 2, 2, 2, 2)),
    "conv2d/H0": lambda ns: ns.F.conv2d(ns.x(1, 2, 0, 5), _w(ns, 3, 2, 1, 1)),
    "conv2d/H0_padded": lambda ns: ns.F.conv2d(
        ns.x(1, 2, 0, 5), _w(ns, 3, 2, 1, 1), padding=1
    ),
    "conv2d/C0": lambda ns: ns.F.conv2d(ns.x(1, 0, 5, 5), _w(ns, 3, 0, 3, 3)),
    "conv1d/unbatched_C0": lambda ns: ns.F.conv1d(ns.x(0, 5), _w(ns, 3, 0, 3)),
    # ---- transposed convolutions
    "conv_transpose1d/N0": lambda ns: ns.F.conv_transpose1d(
        ns.x(0, 2, 5), _w(ns, 2, 3, 3), stride=2
    ),
    "conv_transpose2d/N0": lambda ns: ns.F.conv_transpose2d(
        ns.x(0, 2, 4, 4), _w(ns, 2, 3, 3, 3), stride=2, padding=1, output_padding=1
    ),
    "conv_transpose2d/N0_depthwise": lambda ns: ns.F.conv_transpose2d(
        ns.x(0, 4, 3, 3), _w(ns, 4, 1, 4, 4), None, 2, 1, 0, 4
    ),
    "conv_transpose2d/N0_grouped": lambda ns: ns.F.conv_transpose2d(
        ns.x(0, 4, 3, 3), _w(ns, 4, 2, 3, 3), None, 1, 0, 0, 2
    ),
    "conv_transpose3d/N0": lambda ns: ns.F.conv_transpose3d(
        ns.x(0, 2, 2, 2, 2), _w(ns, 2, 3, 2, 2, 2)
    ),
    "conv_transpose2d/H0": lambda ns: ns.F.conv_transpose2d(
        ns.x(1, 2, 0, 4), _w(ns, 2, 3, 3, 3)
    ),
    # ---- padding
    "pad/constant_N0": lambda ns: ns.F.pad(ns.x(0, 2, 3), (1, 2)),
    "pad/reflect_N0": lambda ns: ns.F.pad(ns.x(0, 2, 3, 3), (1, 1, 2, 2), "reflect"),
    "pad/replicate_N0": lambda ns: ns.F.pad(ns.x(0, 2, 3), (2, 1), "replicate"),
    "pad/circular_N0": lambda ns: ns.F.pad(ns.x(0, 2, 3, 3), (1, 1, 1, 1), "circular"),
    "pad/constant_W0": lambda ns: ns.F.pad(ns.x(1, 2, 0), (1, 2)),
    "pad/reflect_W0": lambda ns: ns.F.pad(ns.x(1, 2, 0), (1, 1), "reflect"),
    "pad/replicate_W0": lambda ns: ns.F.pad(ns.x(1, 2, 0), (1, 1), "replicate"),
    "pad/circular_W0": lambda ns: ns.F.pad(ns.x(1, 2, 0), (1, 1), "circular"),
    "pad/crop_to_zero": lambda ns: ns.F.pad(ns.x(1, 1, 3), (-3, 0)),
    "pad/crop_past_zero": lambda ns: ns.F.pad(ns.x(1, 1, 3), (-5, 0)),
    # ---- unfold / fold
    "unfold/N0": lambda ns: ns.F.unfold(ns.x(0, 2, 4, 4), 2),
    "unfold/H0": lambda ns: ns.F.unfold(ns.x(1, 2, 0, 4), 1),
    "unfold/C0": lambda ns: ns.F.unfold(ns.x(1, 0, 4, 4), 2),
    "fold/N0": lambda ns: ns.F.fold(ns.x(0, 8, 9), (4, 4), 2),
    "fold/L0": lambda ns: ns.F.fold(ns.x(1, 8, 0), (4, 4), 2),
    # ---- pooling
    "max_pool1d/N0": lambda ns: ns.F.max_pool1d(ns.x(0, 2, 6), 2),
    "max_pool2d/N0": lambda ns: ns.F.max_pool2d(ns.x(0, 2, 6, 6), 3, 2, 1),
    "max_pool3d/N0": lambda ns: ns.F.max_pool3d(ns.x(0, 1, 2, 2, 10), 2),
    "max_pool1d/unbatched_C0": lambda ns: ns.F.max_pool1d(ns.x(0, 10), 2),
    "max_pool2d/C0": lambda ns: ns.F.max_pool2d(ns.x(2, 0, 4, 4), 2),
    "max_pool3d/unbatched_C0": lambda ns: ns.F.max_pool3d(ns.x(0, 1, 2, 10), 2),
    "max_pool2d/H0": lambda ns: ns.F.max_pool2d(ns.x(1, 2, 0, 4), 1),
    "avg_pool1d/N0": lambda ns: ns.F.avg_pool1d(ns.x(0, 2, 6), 2),
    "avg_pool2d/N0": lambda ns: ns.F.avg_pool2d(ns.x(0, 2, 6, 6), 3, 2, 1),
    "avg_pool3d/N0": lambda ns: ns.F.avg_pool3d(ns.x(0, 1, 4, 4, 4), 2),
    "avg_pool1d/unbatched_C0": lambda ns: ns.F.avg_pool1d(ns.x(0, 10), 2),
    "avg_pool2d/C0": lambda ns: ns.F.avg_pool2d(ns.x(2, 0, 4, 4), 2),
    "avg_pool2d/H0": lambda ns: ns.F.avg_pool2d(ns.x(1, 2, 0, 4), 1),
    "adaptive_avg_pool2d/N0": lambda ns: ns.F.adaptive_avg_pool2d(ns.x(0, 2, 5, 5), 3),
    "adaptive_max_pool2d/N0": lambda ns: ns.F.adaptive_max_pool2d(ns.x(0, 2, 5, 5), 3),
    "adaptive_avg_pool1d/unbatched_C0": lambda ns: ns.F.adaptive_avg_pool1d(
        ns.x(0, 10), 2
    ),
    "adaptive_max_pool1d/unbatched_C0": lambda ns: ns.F.adaptive_max_pool1d(
        ns.x(0, 10), 2
    ),
    "adaptive_avg_pool2d/C0": lambda ns: ns.F.adaptive_avg_pool2d(ns.x(2, 0, 4, 4), 2),
    "adaptive_max_pool2d/C0": lambda ns: ns.F.adaptive_max_pool2d(ns.x(2, 0, 4, 4), 2),
    "adaptive_avg_pool2d/H0": lambda ns: ns.F.adaptive_avg_pool2d(ns.x(1, 2, 0, 4), 2),
    "adaptive_max_pool2d/H0": lambda ns: ns.F.adaptive_max_pool2d(ns.x(1, 2, 0, 4), 2),
    # ---- interpolate and pixel shuffle
    "interpolate/nearest_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 2, 4), scale_factor=2
    ),
    "interpolate/bilinear_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 2, 4, 4), size=(7, 3), mode="bilinear"
    ),
    "interpolate/bicubic_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 2, 4, 4), scale_factor=1.5, mode="bicubic", align_corners=True
    ),
    "interpolate/area_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 2, 6, 6), size=4, mode="area"
    ),
    "interpolate/antialias_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 2, 8, 8), size=3, mode="bilinear", antialias=True
    ),
    "interpolate/trilinear_N0": lambda ns: ns.F.interpolate(
        ns.x(0, 1, 2, 3, 4), scale_factor=2, mode="trilinear"
    ),
    "interpolate/bilinear_H0": lambda ns: ns.F.interpolate(
        ns.x(1, 2, 0, 4), size=(3, 3), mode="bilinear"
    ),
    "interpolate/nearest_W0": lambda ns: ns.F.interpolate(ns.x(1, 2, 0), size=3),
    "interpolate/bilinear_to_0": lambda ns: ns.F.interpolate(
        ns.x(1, 2, 4, 4), size=(0, 3), mode="bilinear"
    ),
    "interpolate/nearest_C0": lambda ns: ns.F.interpolate(ns.x(1, 0, 4), size=8),
    "pixel_shuffle/N0": lambda ns: ns.F.pixel_shuffle(ns.x(0, 8, 3, 3), 2),
    "pixel_unshuffle/N0": lambda ns: ns.F.pixel_unshuffle(ns.x(0, 2, 4, 4), 2),
    # ---- batch norm (running stats start at 2 and 4)
    "batch_norm/train_N0": lambda ns: ns.bn(ns.x(0, 3, 2, 2), True),
    "batch_norm/train_H0": lambda ns: ns.bn(ns.x(2, 3, 0, 2), True),
    "batch_norm/train_N0_2d": lambda ns: ns.bn(ns.x(0, 3), True),
    "batch_norm/eval_N0": lambda ns: ns.bn(ns.x(0, 3, 2, 2), False),
    "batch_norm/train_C0": lambda ns: ns.bn(ns.x(4, 0, 2), True),
    # ---- losses
    "cross_entropy/N0_mean": lambda ns: ns.F.cross_entropy(ns.x(0, 3), ns.i(0, high=3)),
    "cross_entropy/N0_sum": lambda ns: ns.F.cross_entropy(
        ns.x(0, 3), ns.i(0, high=3), reduction="sum"
    ),
    "cross_entropy/N0_none": lambda ns: ns.F.cross_entropy(
        ns.x(0, 3), ns.i(0, high=3), reduction="none"
    ),
    "cross_entropy/N0_smoothing_weight": lambda ns: ns.F.cross_entropy(
        ns.x(0, 3), ns.i(0, high=3), ns.p(3), label_smoothing=0.1
    ),
    "cross_entropy/N0_probs": lambda ns: ns.F.cross_entropy(ns.x(0, 3), ns.p(0, 3)),
    "cross_entropy/H0_kdim": lambda ns: ns.F.cross_entropy(
        ns.x(2, 3, 0, 4), ns.i(2, 0, 4, high=3)
    ),
    "cross_entropy/C0": lambda ns: ns.F.cross_entropy(ns.x(2, 0), ns.i(2, high=0)),
    "nll_loss/N0_mean": lambda ns: ns.F.nll_loss(ns.x(0, 3), ns.i(0, high=3)),
    "nll_loss/N0_sum": lambda ns: ns.F.nll_loss(
        ns.x(0, 3), ns.i(0, high=3), reduction="sum"
    ),
    "binary_cross_entropy/N0_mean": lambda ns: ns.F.binary_cross_entropy(
        ns.p(0, 3), ns.p(0, 3)
    ),
    "binary_cross_entropy/N0_sum": lambda ns: ns.F.binary_cross_entropy(
        ns.p(0, 3), ns.p(0, 3), reduction="sum"
    ),
    "binary_cross_entropy_with_logits/N0_mean": lambda ns: (
        ns.F.binary_cross_entropy_with_logits(
            ns.x(0, 3), ns.p(0, 3), pos_weight=ns.p(3)
        )
    ),
    "mse_loss/N0_mean": lambda ns: ns.F.mse_loss(ns.x(0, 3), ns.x(0, 3)),
    "mse_loss/N0_none": lambda ns: ns.F.mse_loss(
        ns.x(0, 3), ns.x(0, 3), reduction="none"
    ),
    "l1_loss/N0_sum": lambda ns: ns.F.l1_loss(ns.x(0, 3), ns.x(0, 3), reduction="sum"),
    "smooth_l1_loss/N0_mean": lambda ns: ns.F.smooth_l1_loss(ns.x(0, 3), ns.x(0, 3)),
    "huber_loss/N0_mean": lambda ns: ns.F.huber_loss(ns.x(0, 3), ns.x(0, 3)),
    # ---- linear and activations
    "linear/N0": lambda ns: ns.F.linear(ns.x(0, 3), ns.x(2, 3), ns.x(2)),
    "linear/in0": lambda ns: ns.F.linear(ns.x(4, 0), ns.x(2, 0), ns.x(2)),
    "softmax/N0": lambda ns: ns.F.softmax(ns.x(0, 3), dim=1),
    "log_softmax/C0": lambda ns: ns.F.log_softmax(ns.x(2, 0), dim=1),
    # ---- boxes
    "box_area/N0": lambda ns: ns.boxes.box_area(ns.b(0, 4)),
    "box_convert/N0": lambda ns: ns.boxes.box_convert(ns.b(0, 4), "xyxy", "cxcywh"),
    "box_iou/N0": lambda ns: ns.boxes.box_iou(ns.b(0, 4), ns.b(3, 4)),
    "box_iou/M0": lambda ns: ns.boxes.box_iou(ns.b(3, 4), ns.b(0, 4)),
    "generalized_box_iou/N0": lambda ns: ns.boxes.generalized_box_iou(
        ns.b(0, 4), ns.b(3, 4)
    ),
    "distance_box_iou/N0": lambda ns: ns.boxes.distance_box_iou(ns.b(0, 4), ns.b(3, 4)),
    "complete_box_iou/M0": lambda ns: ns.boxes.complete_box_iou(ns.b(3, 4), ns.b(0, 4)),
    "generalized_box_iou_loss/N0_none": lambda ns: ns.boxes.generalized_box_iou_loss(
        ns.b(0, 4), ns.b(0, 4)
    ),
    "generalized_box_iou_loss/N0_mean": lambda ns: ns.boxes.generalized_box_iou_loss(
        ns.b(0, 4), ns.b(0, 4), reduction="mean"
    ),
    "distance_box_iou_loss/N0_sum": lambda ns: ns.boxes.distance_box_iou_loss(
        ns.b(0, 4), ns.b(0, 4), reduction="sum"
    ),
    "complete_box_iou_loss/N0_mean": lambda ns: ns.boxes.complete_box_iou_loss(
        ns.b(0, 4), ns.b(0, 4), reduction="mean"
    ),
    "sigmoid_focal_loss/N0_mean": lambda ns: ns.boxes.sigmoid_focal_loss(
        ns.x(0, 3), ns.p(0, 3), reduction="mean"
    ),
    "sigmoid_focal_loss/N0_sum": lambda ns: ns.boxes.sigmoid_focal_loss(
        ns.x(0, 3), ns.p(0, 3), reduction="sum"
    ),
    # ---- color
    "adjust_brightness/N0": lambda ns: ns.image.adjust_brightness(
        ns.p(0, 3, 4, 4), 1.5
    ),
    "adjust_contrast/N0": lambda ns: ns.image.adjust_contrast(ns.p(0, 3, 4, 4), 0.5),
    "adjust_saturation/N0": lambda ns: ns.image.adjust_saturation(
        ns.p(0, 3, 4, 4), 0.5
    ),
    "adjust_hue/N0": lambda ns: ns.image.adjust_hue(ns.p(0, 3, 4, 4), 0.2),
    "rgb_to_grayscale/N0": lambda ns: ns.image.rgb_to_grayscale(ns.p(0, 3, 4, 4)),
    "adjust_brightness/H0": lambda ns: ns.image.adjust_brightness(ns.p(3, 0, 4), 1.5),
    "adjust_contrast/H0": lambda ns: ns.image.adjust_contrast(ns.p(3, 0, 4), 0.5),
    "adjust_saturation/H0": lambda ns: ns.image.adjust_saturation(ns.p(3, 0, 4), 0.5),
    "adjust_hue/H0": lambda ns: ns.image.adjust_hue(ns.p(3, 0, 4), 0.2),
    "rgb_to_grayscale/H0": lambda ns: ns.image.rgb_to_grayscale(ns.p(3, 0, 4), 3),
}
