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
    "convjax": {"cpu_compiler_options": "backend=None"},
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
            params.append((name, eval(default, {"_F32": _F32}), kind))
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

    for module in ("functional", "nn", "boxes", "image", "init", "analysis", "interop"):
        mod = getattr(convjax, module)
        for name in mod.__all__:
            assert hasattr(mod, name), f"convjax.{module}.{name}"
