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
        **{f"max_pool{n}d": _MAXPOOL + ", return_indices=False" for n in (1, 2, 3)},
        **{
            f"max_unpool{n}d": "input, indices, kernel_size, stride=None, padding=0, output_size=None"
            for n in (1, 2, 3)
        },
        "avg_pool1d": _AVGPOOL,
        "avg_pool2d": _AVGPOOL + ", divisor_override=None",
        "avg_pool3d": _AVGPOOL + ", divisor_override=None",
        **{
            f"adaptive_{k}_pool{n}d": "input, output_size"
            for k in ("avg", "max")
            for n in (1, 2, 3)
        },
        **{
            f"adaptive_max_pool{n}d": "input, output_size, return_indices=False"
            for n in (1, 2, 3)
        },
        "affine_grid": "theta, size, align_corners=None",
        "grid_sample": "input, grid, mode='bilinear', padding_mode='zeros', align_corners=None",
        "linear": "input, weight, bias=None",
        "l1_loss": "input, target, reduction='mean'",
        "mse_loss": "input, target, reduction='mean'",
        "smooth_l1_loss": "input, target, reduction='mean', beta=1.0",
        "huber_loss": "input, target, reduction='mean', delta=1.0",
        "nll_loss": "input, target, weight=None, ignore_index=-100, reduction='mean'",
        "cross_entropy": "input, target, weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0",
        "binary_cross_entropy": "input, target, weight=None, reduction='mean'",
        "binary_cross_entropy_with_logits": "input, target, weight=None, reduction='mean', pos_weight=None",
        "kl_div": "input, target, reduction='mean', log_target=False",
        "poisson_nll_loss": "input, target, log_input=True, full=False, eps=1e-08, reduction='mean'",
        "gaussian_nll_loss": "input, target, var, full=False, eps=1e-06, reduction='mean'",
        "multilabel_soft_margin_loss": "input, target, weight=None, reduction='mean'",
        "margin_ranking_loss": "input1, input2, target, margin=0.0, reduction='mean'",
        "triplet_margin_loss": "anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean'",
        "cosine_embedding_loss": "input1, input2, target, margin=0.0, reduction='mean'",
        "soft_margin_loss": "input, target, reduction='mean'",
        "cosine_similarity": "x1, x2, dim=1, eps=1e-08",
        "pairwise_distance": "x1, x2, p=2.0, eps=1e-06, keepdim=False",
        "one_hot": "tensor, num_classes=-1",
        "embedding": "input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False",
        "upsample": "input, size=None, scale_factor=None, mode='nearest', align_corners=None",
        "upsample_nearest": "input, size=None, scale_factor=None",
        "upsample_bilinear": "input, size=None, scale_factor=None",
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
    "convjax.optim": {
        "SGD": "lr=0.001, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *, maximize=False",
        "Adam": "lr=0.001, betas=_BETAS, eps=1e-08, weight_decay=0.0, amsgrad=False, *, maximize=False, decoupled_weight_decay=False",
        "AdamW": "lr=0.001, betas=_BETAS, eps=1e-08, weight_decay=0.01, amsgrad=False, *, maximize=False",
        "RMSprop": "lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0, centered=False, *, maximize=False",
        "Adagrad": "lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *, maximize=False",
        "Adadelta": "lr=1.0, rho=0.9, eps=1e-06, weight_decay=0.0, *, maximize=False",
        "StepLR": "lr, step_size, gamma=0.1",
        "MultiStepLR": "lr, milestones, gamma=0.1",
        "ExponentialLR": "lr, gamma",
        "CosineAnnealingLR": "lr, T_max, eta_min=0.0",
        "CosineAnnealingWarmRestarts": "lr, T_0, T_mult=1, eta_min=0.0",
        "LinearLR": "lr, start_factor=1/3, end_factor=1.0, total_iters=5",
        "ConstantLR": "lr, factor=1/3, total_iters=5",
        "PolynomialLR": "lr, total_iters=5, power=1.0",
        "OneCycleLR": "lr=None, max_lr=None, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=10000.0, three_phase=False",
        "LambdaLR": "lr, lr_lambda",
        "SequentialLR": "schedulers, milestones",
        "ReduceLROnPlateau": "lr, mode='min', factor=0.1, patience=10, threshold=0.0001, threshold_mode='rel', cooldown=0, min_lr=0.0, eps=1e-08",
        "per_epoch": "schedule, steps_per_epoch",
        "param_groups": "model, *, norm_classes=None, custom_keys=()",
    },
    "convjax": {"cpu_compiler_options": "backend=None"},
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
_BETAS = (0.9, 0.999)  # a tuple default (the spec is split at ", ")
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
    **{f"MaxUnpool{n}d": "kernel_size, stride=None, padding=0" for n in (1, 2, 3)},
    "Embedding": "num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False",
    "UpsamplingNearest2d": "size=None, scale_factor=None",
    "UpsamplingBilinear2d": "size=None, scale_factor=None",
    "L1Loss": "reduction='mean'",
    "MSELoss": "reduction='mean'",
    "SmoothL1Loss": "reduction='mean', beta=1.0",
    "HuberLoss": "reduction='mean', delta=1.0",
    "NLLLoss": "weight=None, ignore_index=-100, reduction='mean'",
    "CrossEntropyLoss": "weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0",
    "BCELoss": "weight=None, reduction='mean'",
    "BCEWithLogitsLoss": "weight=None, reduction='mean', pos_weight=None",
    "KLDivLoss": "reduction='mean', log_target=False",
    "PoissonNLLLoss": "log_input=True, full=False, eps=1e-08, reduction='mean'",
    "GaussianNLLLoss": "*, full=False, eps=1e-06, reduction='mean'",
    "MultiLabelSoftMarginLoss": "weight=None, reduction='mean'",
    "MarginRankingLoss": "margin=0.0, reduction='mean'",
    "TripletMarginLoss": "margin=1.0, p=2.0, eps=1e-06, swap=False, reduction='mean'",
    "CosineEmbeddingLoss": "margin=0.0, reduction='mean'",
    "SoftMarginLoss": "reduction='mean'",
    "CosineSimilarity": "dim=1, eps=1e-08",
    "PairwiseDistance": "p=2.0, eps=1e-06, keepdim=False",
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
        "_BETAS": _BETAS,
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
        "optim",
        "models",
    ):
        mod = getattr(convjax, module)
        for name in mod.__all__:
            assert hasattr(mod, name), f"convjax.{module}.{name}"
