"""The public API contract (shared API.md): names, parameter order, defaults and kinds.

Each entry is written as in API.md. The function's signature must start with exactly
these parameters (names, order, defaults, positional vs keyword-only); convjax may add
keyword-only parameters after them.
"""

import importlib
import inspect

import jax.numpy as jnp
import pytest

_CONV = "input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, padding_mode='zeros', data_format=None, impl='auto'"
_CONVT = "input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, data_format=None, impl='auto'"
_MAXPOOL = "input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False"
_AVGPOOL = "input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True"

CONTRACT = {
    "convjax.functional": {
        **{f"conv{n}d": _CONV for n in (1, 2, 3)},
        **{f"conv_transpose{n}d": _CONVT for n in (1, 2, 3)},
        "pad": "input, pad, mode='constant', value=None",
        "unfold": "input, kernel_size, dilation=1, padding=0, stride=1",
        "fold": "input, output_size, kernel_size, dilation=1, padding=0, stride=1",
        "batch_norm": "input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05, *, axis_name=None, data_format=None",
        "interpolate": "input, size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None, antialias=False",
        "pixel_shuffle": "input, upscale_factor",
        "pixel_unshuffle": "input, downscale_factor",
        **{f"max_pool{n}d": _MAXPOOL for n in (1, 2, 3)},
        "avg_pool1d": _AVGPOOL,
        "avg_pool2d": _AVGPOOL + ", divisor_override=None",
        "avg_pool3d": _AVGPOOL + ", divisor_override=None",
        **{
            f"adaptive_{k}_pool{n}d": "input, output_size"
            for k in ("avg", "max")
            for n in (1, 2, 3)
        },
        "linear": "input, weight, bias=None",
        "l1_loss": "input, target, reduction='mean'",
        "mse_loss": "input, target, reduction='mean'",
        "smooth_l1_loss": "input, target, reduction='mean', beta=1.0",
        "huber_loss": "input, target, reduction='mean', delta=1.0",
        "nll_loss": "input, target, weight=None, ignore_index=-100, reduction='mean'",
        "cross_entropy": "input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0",
        "binary_cross_entropy": "input, target, weight=None, reduction='mean'",
        "binary_cross_entropy_with_logits": "input, target, weight=None, reduction='mean', pos_weight=None",
        "relu": "_",
        "relu6": "_",
        "leaky_relu": "_, negative_slope=0.01",
        "gelu": "_, approximate='none'",
        "silu": "_",
        "hardswish": "_",
        "sigmoid": "_",
        "softmax": "_, dim",
        "log_softmax": "_, dim",
        # Building blocks (issue 12) and issue 17's activations/normalizations.
        "layer_norm": "input, normalized_shape, weight=None, bias=None, eps=1e-05",
        "group_norm": "input, num_groups, weight=None, bias=None, eps=1e-05",
        "instance_norm": "input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True, momentum=0.1, eps=1e-05",
        "local_response_norm": "input, size, alpha=0.0001, beta=0.75, k=1.0",
        "normalize": "input, p=2.0, dim=1, eps=1e-12",
        **{
            f"dropout{n}": "input, p=0.5, training=True, *, key=None"
            for n in ("", "1d", "2d", "3d")
        },
        "stochastic_depth": "input, p, mode, training=True, *, key=None",
        "channel_shuffle": "input, groups",
        "hardsigmoid": "_",
        "hardtanh": "_, min_val=-1.0, max_val=1.0",
        "elu": "_, alpha=1.0",
        "selu": "_",
        "celu": "_, alpha=1.0",
        "softplus": "_, beta=1.0, threshold=20.0",
        "mish": "_",
        "prelu": "_, weight",
        "glu": "_, dim=-1",
        "softmin": "_, dim",
        "logsigmoid": "_",
        "softsign": "_",
        "tanhshrink": "_",
        "softshrink": "_, lambd=0.5",
        "hardshrink": "_, lambd=0.5",
        "threshold": "_, threshold, value",
        "rrelu": f"_, lower={1 / 8}, upper={1 / 3}, training=False, *, key=None",
    },
    "convjax.boxes": {
        "box_convert": "boxes, in_fmt, out_fmt",
        "box_area": "boxes",
        "box_iou": "boxes1, boxes2",
        "generalized_box_iou": "boxes1, boxes2",
        "distance_box_iou": "boxes1, boxes2, eps=1e-07",
        "complete_box_iou": "boxes1, boxes2, eps=1e-07",
        "generalized_box_iou_loss": "boxes1, boxes2, reduction='none', eps=1e-07",
        "distance_box_iou_loss": "boxes1, boxes2, reduction='none', eps=1e-07",
        "complete_box_iou_loss": "boxes1, boxes2, reduction='none', eps=1e-07",
        "sigmoid_focal_loss": "inputs, targets, alpha=0.25, gamma=2, reduction='none'",
    },
    "convjax.image": {
        "adjust_brightness": "img, brightness_factor",
        "adjust_contrast": "img, contrast_factor",
        "adjust_saturation": "img, saturation_factor",
        "adjust_hue": "img, hue_factor",
        "rgb_to_grayscale": "img, num_output_channels=1",
        "rgb_to_hsv": "img",
        "hsv_to_rgb": "img",
        "color_jitter": "key, img, brightness=0, contrast=0, saturation=0, hue=0, *, per_sample=False",
    },
    "convjax.init": {
        "kaiming_uniform": "a=0, mode='fan_in', nonlinearity='leaky_relu'",
        "kaiming_normal": "a=0, mode='fan_in', nonlinearity='leaky_relu'",
        "xavier_uniform": "gain=1.0",
        "xavier_normal": "gain=1.0",
        "conv_weight_default": "",
        "conv_bias_default": "fan_in",
        "fan_in_and_fan_out": "shape, transposed=False",
    },
    "convjax.analysis": {
        "conv_output_size": "input_size, kernel_size, stride=1, padding=0, dilation=1",
        "conv_transpose_output_size": "input_size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1",
        "conv_params": "in_channels, out_channels, kernel_size, groups=1, bias=True",
        "conv_macs": "in_channels, out_channels, kernel_size, output_size, groups=1, batch=1",
        "conv_flops": "in_channels, out_channels, kernel_size, output_size, groups=1, batch=1, bias=True",
        "count_flops": "fn, /, *args, **kwargs",
        "summary": "module, *args",
    },
    "convjax.interop": {
        "load_torch_state_dict": "module, state_dict, strict=True",
        "to_torch_state_dict": "module",
    },
    "convjax.models": {
        **{
            name: "*, rngs"
            for name in (
                "resnet18",
                "resnet34",
                "resnet50",
                "resnext50_32x4d",
                "wide_resnet50_2",
                "mobilenet_v2",
                "mobilenet_v3_small",
                "mobilenet_v3_large",
                "efficientnet_b0",
                "regnet_y_400mf",
                "convnext_tiny",
                "shufflenet_v2_x1_0",
                "squeezenet1_1",
                "vgg11_bn",
                "densenet121",
                "alexnet",
            )
        },
        "fcn_resnet50": "*, num_classes=None, aux_loss=None, rngs",
        "deeplabv3_mobilenet_v3_large": "*, num_classes=None, aux_loss=None, rngs",
        "ResNet": "block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64, replace_stride_with_dilation=None, norm_layer=None, *, rngs",
        "MobileNetV2": "num_classes=1000, width_mult=1.0, inverted_residual_setting=None, round_nearest=8, block=None, norm_layer=None, dropout=0.2, *, rngs",
        "MobileNetV3": "inverted_residual_setting, last_channel, num_classes=1000, block=None, norm_layer=None, dropout=0.2, *, rngs",
        "EfficientNet": "inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000, norm_layer=None, last_channel=None, *, rngs",
        "RegNet": "block_params, num_classes=1000, stem_width=32, stem_type=None, block_type=None, norm_layer=None, activation=None, *, rngs",
        "ConvNeXt": "block_setting, stochastic_depth_prob=0.0, layer_scale=1e-06, num_classes=1000, block=None, norm_layer=None, *, rngs",
        "ShuffleNetV2": "stages_repeats, stages_out_channels, num_classes=1000",
        "SqueezeNet": "version='1_0', num_classes=1000, dropout=0.5, *, rngs",
        "VGG": "features, num_classes=1000, init_weights=True, dropout=0.5, *, rngs",
        "AlexNet": "num_classes=1000, dropout=0.5, *, rngs",
        "DenseNet": "growth_rate=32",  # then block_config=(6, 12, 24, 16), ...
    },  # fmt: skip
}

_F32 = jnp.float32
_MOD_TAIL = "*, data_format=None, impl='auto', dtype=None, param_dtype=_F32, rngs"
MODULES = {
    **{
        f"Conv{n}d": f"in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True, padding_mode='zeros', {_MOD_TAIL}"
        for n in (1, 2, 3)
    },
    **{
        f"ConvTranspose{n}d": "in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1"
        for n in (1, 2, 3)
    },
    "SeparableConv2d": "in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True, depth_multiplier=1",
    **{
        f"BatchNorm{n}d": "num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True, *, axis_name=None, data_format=None"
        for n in (1, 2, 3)
    },
    "SyncBatchNorm": "num_features",
    "Upsample": "size=None, scale_factor=None, mode='nearest', align_corners=None",
    "PixelShuffle": "upscale_factor",
    "PixelUnshuffle": "downscale_factor",
    "Linear": "in_features, out_features, bias=True",
    "Flatten": "start_dim=1, end_dim=-1",
    "ColorJitter": "brightness=0, contrast=0, saturation=0, hue=0, *, per_sample=False",
    **{
        f"MaxPool{n}d": "kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False"
        for n in (1, 2, 3)
    },
    "AvgPool1d": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True",
    **{
        f"AvgPool{n}d": "kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None"
        for n in (2, 3)
    },
    **{f"AdaptiveAvgPool{n}d": "output_size" for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": "output_size, return_indices=False" for n in (1, 2, 3)},
    "ReLU": "",
    "ReLU6": "",
    "Identity": "*args, **kwargs",
    # Building blocks (issue 12) and issue 17's activations/normalizations.
    "Sequential": "*layers",
    **{f"Dropout{n}": "p=0.5, inplace=False, *" for n in ("", "1d", "2d", "3d")},
    "StochasticDepth": "p, mode, *",
    "LayerNorm": "normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, *, dtype=None, param_dtype=_F32, rngs=None",
    "LayerNorm2d": "num_channels, eps=1e-05",
    "GroupNorm": "num_groups, num_channels, eps=1e-05, affine=True",
    **{
        f"InstanceNorm{n}d": "num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False"
        for n in (1, 2, 3)
    },
    "LocalResponseNorm": "size, alpha=0.0001, beta=0.75, k=1.0",
    "ChannelShuffle": "groups",
    "SqueezeExcitation": "input_channels, squeeze_channels, activation=ReLU, scale_activation=Sigmoid, *, rngs",
    "Conv2dNormActivation": "in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1, norm_layer=BatchNorm2d, activation_layer=ReLU, dilation=1, inplace=True, bias=None, *, rngs",
    "GELU": "approximate='none'",
    "Hardtanh": "min_val=-1.0, max_val=1.0, inplace=False",
    "ELU": "alpha=1.0, inplace=False",
    "CELU": "alpha=1.0, inplace=False",
    "Softplus": "beta=1.0, threshold=20.0",
    "LeakyReLU": "negative_slope=0.01, inplace=False",
    "Softmax": "dim=None",
    "LogSoftmax": "dim=None",
    "Softmin": "dim=None",
    "PReLU": "num_parameters=1, init=0.25, *",
    "RReLU": f"lower={1 / 8}, upper={1 / 3}, inplace=False, *",
    "GLU": "dim=-1",
    "Softshrink": "lambd=0.5",
    "Hardshrink": "lambd=0.5",
    "Threshold": "threshold, value, inplace=False",
    **{
        name: "inplace=False"
        for name in ("Hardswish", "Hardsigmoid", "SiLU", "Mish", "SELU")
    },
    **{
        name: "" for name in ("Sigmoid", "Tanh", "LogSigmoid", "Tanhshrink", "Softsign")
    },
}


def _eval_names():
    from convjax import nn

    return {
        "_F32": _F32,
        "ReLU": nn.ReLU,
        "Sigmoid": nn.Sigmoid,
        "BatchNorm2d": nn.BatchNorm2d,
    }


def _parse(spec):
    """'a, b=1, *, c=None' -> [(name, default or EMPTY, kind)]; '_' matches any name."""
    params, kind = [], inspect.Parameter.POSITIONAL_OR_KEYWORD
    for item in filter(None, (s.strip() for s in spec.split(", "))):
        if item == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
        elif item == "/":
            params = [(n, d, inspect.Parameter.POSITIONAL_ONLY) for n, d, _ in params]
        elif item.startswith("**"):
            params.append(
                (item[2:], inspect.Parameter.empty, inspect.Parameter.VAR_KEYWORD)
            )
        elif item.startswith("*"):
            params.append(
                (item[1:], inspect.Parameter.empty, inspect.Parameter.VAR_POSITIONAL)
            )
            kind = inspect.Parameter.KEYWORD_ONLY
        elif "=" in item:
            name, default = item.split("=", 1)
            params.append((name, eval(default, _eval_names()), kind))
        else:
            params.append((item, inspect.Parameter.empty, kind))
    return params


def _check(obj, spec, label):
    actual = list(inspect.signature(obj).parameters.values())
    expected = _parse(spec)
    assert len(actual) >= len(expected), f"{label}: {inspect.signature(obj)} vs {spec}"
    for p, (name, default, kind) in zip(actual, expected, strict=False):
        if name != "_":
            assert p.name == name, f"{label}: parameter {p.name!r}, expected {name!r}"
        assert p.default == default or p.default is default, (
            f"{label}.{p.name}: default {p.default!r}, expected {default!r}"
        )
        assert p.kind == kind, f"{label}.{p.name}: {p.kind}, expected {kind}"
    extra = actual[len(expected) :]
    P = inspect.Parameter
    optional = (P.KEYWORD_ONLY, P.VAR_POSITIONAL, P.VAR_KEYWORD)
    assert all(q.kind in optional or q.default is not P.empty for q in extra), label


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_function_signatures(module):
    mod = importlib.import_module(module)
    for name, spec in CONTRACT[module].items():
        assert name in mod.__all__, f"{module}.{name} missing from __all__"
        _check(getattr(mod, name), spec, f"{module}.{name}")


def test_module_signatures():
    nn = importlib.import_module("convjax.nn")
    for name, spec in MODULES.items():
        assert name in nn.__all__, f"convjax.nn.{name} missing from __all__"
        _check(getattr(nn, name), spec, f"convjax.nn.{name}")
        params = inspect.signature(getattr(nn, name)).parameters
        if "rngs" in params:
            assert params["rngs"].kind == inspect.Parameter.KEYWORD_ONLY


def test_all_names_exist():
    import convjax

    for module in (
        "functional",
        "nn",
        "boxes",
        "image",
        "init",
        "analysis",
        "interop",
        "models",
    ):
        mod = getattr(convjax, module)
        for name in mod.__all__:
            assert hasattr(mod, name), f"convjax.{module}.{name}"
