"""convjax.models against torchvision: architecture, parameter and MAC counts, logits.

No torch at test time: ``tests/golden/zoo_arch.json`` holds torchvision's state-dict
names/shapes, parameter counts and fvcore's MACs for every full-size model, and
``tests/golden/zoo.npz`` the eval logits of small variants of every family built
with the same generic constructors (both from ``tests/golden/make_zoo.py``). The
variants' weights are regenerated here by ``tests/references/zoo.py``.
"""

import json
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from convjax import analysis, interop, models
from convjax import functional as F
from convjax import nn as cnn
from tests.references.zoo import synthetic_state_dict

GOLDEN = Path(__file__).parent / "golden"
ARCH = json.loads((GOLDEN / "zoo_arch.json").read_text())
DATA = np.load(GOLDEN / "zoo.npz")

FULL_KWARGS = {
    "fcn_resnet50": {"aux_loss": True},
    "deeplabv3_mobilenet_v3_large": {"aux_loss": True},
}
IMPLEMENTED = [name for name in ARCH["models"] if hasattr(models, name)]


def _abstract(build):
    return nnx.eval_shape(lambda: build(rngs=nnx.Rngs(0)))


def _shapes(model) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in interop.named_state(model).items()}


# ---------------------------------------------------------------------------------
# Small variants: the convjax twins of make_zoo.small_variants().


def _small_classifier(f, h, c, *, rngs, first_dropout=False):
    layers = [
        cnn.Linear(f, h, rngs=rngs),
        cnn.ReLU(True),
        cnn.Dropout(rngs=rngs),
        cnn.Linear(h, h, rngs=rngs),
        cnn.ReLU(True),
        cnn.Dropout(rngs=rngs),
        cnn.Linear(h, c, rngs=rngs),
    ]
    if first_dropout:  # AlexNet's order: dropout, linear, relu, dropout, ...
        layers = [layers[2], layers[0], layers[1], layers[5], layers[3], layers[4]]
        layers.append(cnn.Linear(h, c, rngs=rngs))
    return cnn.Sequential(*layers)


def _vgg(rngs):
    features = models.vgg.make_layers([8, "M", 16, "M", 512], True, rngs=rngs)
    model = models.VGG(features, num_classes=10, rngs=rngs)
    model.classifier = _small_classifier(512 * 7 * 7, 16, 10, rngs=rngs)
    return model


def _alexnet(rngs):
    model = models.AlexNet(num_classes=10, rngs=rngs)
    model.classifier = _small_classifier(
        256 * 6 * 6, 16, 10, rngs=rngs, first_dropout=True
    )
    return model


def _mobilenet_v3(arch, rngs, **kwargs):
    setting, last = models.mobilenet._mobilenet_v3_conf(arch, width_mult=0.25, **kwargs)
    return models.MobileNetV3(setting, last, num_classes=10, rngs=rngs)


def _efficientnet(rngs):
    conf = partial(models.MBConvConfig, width_mult=0.25, depth_mult=1.0)
    setting = [conf(1, 3, 1, 32, 16, 1), conf(6, 5, 2, 16, 24, 2)]
    return models.EfficientNet(
        setting, 0.2, stochastic_depth_prob=0.2, num_classes=10, rngs=rngs
    )


def _deeplab(rngs):
    setting, last = models.mobilenet._mobilenet_v3_conf(
        "mobilenet_v3_large", width_mult=0.25, dilated=True
    )
    backbone = models.MobileNetV3(setting, last, rngs=rngs)
    return models.segmentation._deeplabv3_mobilenetv3(backbone, 5, True, rngs=rngs)


def _fcn(rngs):
    backbone = models.ResNet(
        models.Bottleneck,
        [1, 1, 1, 1],
        replace_stride_with_dilation=[False, True, True],
        rngs=rngs,
    )
    return models.segmentation._fcn_resnet(backbone, 5, True, rngs=rngs)


CN = models.CNBlockConfig

VARIANTS = {
    "resnet": lambda rngs: models.ResNet(
        models.BasicBlock, [1, 1, 1, 1], num_classes=10, rngs=rngs
    ),
    "resnext_dilated": lambda rngs: models.ResNet(
        models.Bottleneck,
        [1, 1, 1, 1],
        groups=4,
        width_per_group=8,
        replace_stride_with_dilation=[False, True, True],
        num_classes=10,
        rngs=rngs,
    ),
    "vgg": _vgg,
    "alexnet": _alexnet,
    "squeezenet": lambda rngs: models.SqueezeNet("1_1", num_classes=10, rngs=rngs),
    "densenet": lambda rngs: models.DenseNet(
        8, (2, 1, 1, 1), 16, num_classes=10, rngs=rngs
    ),
    "mobilenet_v2": lambda rngs: models.MobileNetV2(
        num_classes=10,
        width_mult=0.25,
        inverted_residual_setting=[[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 1, 2]],
        rngs=rngs,
    ),
    "mobilenet_v3_large": partial(_mobilenet_v3, "mobilenet_v3_large"),
    "mobilenet_v3_small": partial(_mobilenet_v3, "mobilenet_v3_small"),
    "efficientnet": _efficientnet,
    "regnet": lambda rngs: models.RegNet(
        models.BlockParams.from_init_params(
            depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25
        ),
        num_classes=10,
        rngs=rngs,
    ),
    "convnext": lambda rngs: models.ConvNeXt(
        [CN(16, 32, 2), CN(32, None, 1)],
        stochastic_depth_prob=0.1,
        num_classes=10,
        rngs=rngs,
    ),
    "shufflenet": lambda rngs: models.ShuffleNetV2(
        [2, 1, 1], [8, 16, 32, 64, 128], num_classes=10, rngs=rngs
    ),
    "fcn": _fcn,
    "deeplab": _deeplab,
}


def _input(name):
    size = int(DATA[f"{name}/size"])
    return (
        np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)
    )


def _variant(name):
    """The variant with the synthetic weights loaded strictly, in eval mode."""
    model = nnx.eval_shape(lambda: VARIANTS[name](nnx.Rngs(0)))
    keys = [str(k) for k in DATA[f"{name}/keys"]]
    shapes = json.loads(str(DATA[f"{name}/shapes"]))
    interop.load_torch_state_dict(
        model, synthetic_state_dict(dict(zip(keys, shapes, strict=True)))
    )
    model.eval()
    return model


def _assert_logits(got, want, tol=2e-5):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = np.abs(want).max()
    assert np.abs(got - want).max() <= tol * scale, np.abs(got - want).max() / scale


# ---------------------------------------------------------------------------------
# Architecture: state-dict names and shapes, parameter counts, MACs.


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_state_dict_matches_torchvision(name):
    kwargs = FULL_KWARGS.get(name, {})
    model = _abstract(partial(getattr(models, name), **kwargs))
    want = dict(ARCH["models"][name]["state_dict"])
    got = _shapes(model)
    assert sorted(got) == sorted(want)
    assert got == want
    params = sum(
        int(np.prod(v.get_value().shape))
        for v in interop.named_state(model).values()
        if isinstance(v, nnx.Param)
    )
    assert params == ARCH["models"][name]["params"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_small_variant_logits_match_torchvision(name):
    model = _variant(name)
    out = model(_input(name))
    if isinstance(out, dict):
        assert sorted(out) == sorted(
            k.split("/")[1]
            for k in DATA
            if k.startswith(f"{name}/") and k.split("/")[1] in ("out", "aux")
        )
        for key, value in out.items():
            _assert_logits(value, DATA[f"{name}/{key}"])
    else:
        _assert_logits(out, DATA[f"{name}/out"])


@pytest.mark.parametrize("name", ["resnet", "resnext_dilated"])
def test_resnet_channels_last_matches_torchvision(name):
    # data_format="NHWC": same state dict (loaded unchanged), NHWC input, same
    # logits in eval and train mode (running statistics too).
    original = VARIANTS[name]
    VARIANTS[name] = lambda rngs: _with_kwargs(original, rngs, data_format="NHWC")
    try:
        model = _variant(name)
    finally:
        VARIANTS[name] = original
    x = _input(name)
    _assert_logits(jax.jit(model)(np.moveaxis(x, 1, -1)), DATA[f"{name}/out"])
    reference = _variant(name)
    model.train(), reference.train()
    # train-mode batch norm over 2 images amplifies round-off (as for torch: 5e-4)
    _assert_logits(model(np.moveaxis(x, 1, -1)), reference(x), tol=5e-4)
    np.testing.assert_allclose(
        model.layer4[0].bn2.running_var[...],
        reference.layer4[0].bn2.running_var[...],
        rtol=1e-5,
    )


def _with_kwargs(build, rngs, **kwargs):
    """``build(rngs)`` for a ``models.ResNet(...)`` lambda, with extra keywords."""
    real = models.ResNet

    def resnet(*args, **kw):
        return real(*args, **kw, **kwargs)

    models.ResNet = resnet
    try:
        return build(rngs)
    finally:
        models.ResNet = real


def test_resnet_data_format_errors():
    with pytest.raises(ValueError, match="`data_format` must be None, 'NCHW' or"):
        models.ResNet(models.BasicBlock, [1, 1, 1, 1], data_format="NWHC", rngs=None)
    with pytest.raises(ValueError, match="needs convjax's batch norms"):
        nnx.eval_shape(
            lambda: models.ResNet(
                models.BasicBlock,
                [1, 1, 1, 1],
                norm_layer=lambda c: nnx.GroupNorm(c, num_groups=1, rngs=nnx.Rngs(0)),
                data_format="NHWC",
                rngs=nnx.Rngs(0),
            )
        )
    model = models.ResNet(
        models.BasicBlock,
        [1, 1, 1, 1],
        num_classes=3,
        data_format="NHWC",
        rngs=nnx.Rngs(0),
    )
    with pytest.raises(ValueError, match="expects 3 input channels"):
        model(jnp.zeros((1, 3, 32, 32)))  # NCHW input to a channels-last model
    assert model.eval()(jnp.zeros((1, 32, 32, 3))).shape == (1, 3)


# ---------------------------------------------------------------------------------
# MACs: convjax's count (conv + matmul, the MACs `analysis.summary` totals) equals
# fvcore's conv + linear count at 1x3x224x224.

FVCORE_MAC_OPS = ("conv", "linear", "matmul", "addmm", "bmm", "einsum")
# convjax's bilinear resize is a matmul per axis, counted in its MACs; fvcore counts
# `upsample_bilinear2d` apart. The segmentation models' resizes at 224x224:
# (input shape, output size).
SEG_UPSAMPLES = {
    "fcn_resnet50": [((1, 21, 28, 28), 224)] * 2,  # out and aux, stride 8
    "deeplabv3_mobilenet_v3_large": [
        ((1, 21, 14, 14), 224),  # out, stride 16
        ((1, 21, 28, 28), 224),  # aux, stride 8
        ((1, 256, 1, 1), 14),  # ASPP's image pooling branch
    ],
}


def _resize_macs(shape, size):
    fn = partial(F.interpolate, size=size, mode="bilinear", align_corners=False)
    return analysis.count_flops(fn, jax.ShapeDtypeStruct(shape, jnp.float32)).macs


@pytest.mark.parametrize("name", IMPLEMENTED)
def test_macs_match_fvcore(name):
    model = _abstract(partial(getattr(models, name), **FULL_KWARGS.get(name, {})))
    model.eval()
    x = jax.ShapeDtypeStruct((1, 3, 224, 224), jnp.float32)
    macs = analysis.count_flops(model, x).macs
    by_op = ARCH["models"][name]["fvcore_by_operator"]
    want = sum(v for k, v in by_op.items() if k in FVCORE_MAC_OPS)
    want += sum(_resize_macs(*args) for args in SEG_UPSAMPLES.get(name, []))
    assert macs == want


def test_summary_totals_resnet18():
    model = _abstract(models.resnet18).eval()
    text = analysis.summary(model, jax.ShapeDtypeStruct((1, 3, 224, 224), jnp.float32))
    entry = ARCH["models"]["resnet18"]
    assert f"Total params: {entry['params']:,}" in text
    assert (
        f"Total MACs: {sum(entry['fvcore_by_operator'][k] for k in ('conv', 'linear')):,}"
        in text
    )


# ---------------------------------------------------------------------------------
# jit, vmap, train mode and gradients, one small variant per family.

FAMILIES = {
    # variant: whether train mode draws random numbers (dropout / stochastic depth).
    # Two jit compiles each.
    "resnet": False,
    "alexnet": True,
    "squeezenet": True,
    "mobilenet_v2": True,
    "mobilenet_v3_small": True,
    "fcn": True,
    "deeplab": True,
    "vgg": True,
    "densenet": False,
    "efficientnet": True,
    "regnet": False,
    "convnext": True,
    "shufflenet": False,
}


def _concrete_rngs(model):
    """Real RNG state for a model built under ``nnx.eval_shape``."""
    for i, (_, var) in enumerate(nnx.to_flat_state(nnx.state(model, nnx.RngState))):
        if isinstance(var, nnx.RngKey):
            var.set_value(jax.random.key(i))
        else:
            var.set_value(jnp.zeros((), jnp.uint32))
    return model


def _first(out):
    return out["out"] if isinstance(out, dict) else out


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_jit_vmap_train_grad(name):
    model = _concrete_rngs(_variant(name))
    x = _input(name)

    # jit + vmap over the batch (eval mode) gives torchvision's logits.
    graphdef, state = nnx.split(model)

    @jax.jit
    def per_example(state, x):
        m = nnx.merge(graphdef, state)
        return jax.vmap(lambda xi: _first(m(xi[None]))[0])(x)

    _assert_logits(per_example(state, x), DATA[f"{name}/out"])

    # Train mode: batch statistics, dropout / stochastic depth on (the variants'
    # small stochastic-depth rates rarely drop a row of a batch of 2: raised here).
    model.train()
    for m in [
        m for _, m in nnx.iter_modules(model) if isinstance(m, cnn.StochasticDepth)
    ]:
        m.p = max(m.p, 0.5)
    before = jax.tree.map(jnp.copy, nnx.state(model))

    @nnx.jit
    def step(model, x):
        def loss(model):
            out = _first(model(x))
            return jnp.mean(out**2), out

        return nnx.value_and_grad(loss, has_aux=True)(model)

    (_, out1), grads = step(model, x)
    after = jax.tree.map(jnp.copy, nnx.state(model))
    (_, out2), _ = step(model, x)  # the next keys
    nnx.update(model, before)
    (_, again), _ = step(model, x)  # the same keys again
    np.testing.assert_array_equal(out1, again)
    assert FAMILIES[name] == (not np.allclose(out1, out2))
    leaves = jax.tree.leaves(nnx.state(grads, nnx.Param))
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in leaves)
    assert sum(float(jnp.abs(g).sum()) for g in leaves) > 0
    nnx.update(model, after)
    loaded = synthetic_state_dict(
        {k: v.shape for k, v in interop.named_state(model).items()}
    )
    assert not any(
        np.allclose(v.get_value(), loaded[k])
        for k, v in interop.named_state(model).items()
        if k.endswith("running_mean")
    )
    if name == "resnet":  # torchvision's train-mode logits and running statistics
        # layer4's batch statistics come from 2 values per channel (batch 2, 1x1):
        # ill-conditioned, so float32 rounding shows at ~1e-4 of the logit scale.
        _assert_logits(out1, DATA["resnet_train/out"], tol=5e-4)
        np.testing.assert_allclose(
            model.bn1.running_mean[...], DATA["resnet_train/bn1.running_mean"],
            rtol=1e-5, atol=1e-6,
        )  # fmt: skip
        np.testing.assert_allclose(
            model.bn1.running_var[...], DATA["resnet_train/bn1.running_var"],
            rtol=1e-5, atol=1e-6,
        )  # fmt: skip
        np.testing.assert_allclose(
            model.layer4[0].bn2.running_var[...],
            DATA["resnet_train/layer4.0.bn2.running_var"],
            rtol=1e-5, atol=1e-6,
        )  # fmt: skip
