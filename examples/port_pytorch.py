"""Port a PyTorch model to convjax: same module tree, same names, same logits.

Defines a small ResNet (BasicBlock with a downsample branch) and a small MobileNetV2
(inverted residuals, depthwise convs, ReLU6) with ``convjax.nn``, attribute for
attribute as their PyTorch definitions in ``tests/golden/make_models.py``; loads the
PyTorch state dicts committed in ``tests/golden/models.npz`` with
``convjax.interop.load_torch_state_dict`` and compares eval-mode logits with
PyTorch's. No torch needed:

    python examples/port_pytorch.py

The recipe for your own model: write the ``nnx.Module`` with PyTorch's attribute
names (``nnx.Sequential`` for ``nn.Sequential``, ``nnx.List`` for ``nn.ModuleList``),
then ``load_torch_state_dict(model, torch_model.state_dict())`` and ``model.eval()``.
"""

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

import convjax.functional as F
from convjax import interop, nn

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "golden" / "models.npz"


class BasicBlock(nnx.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None, *, rngs):
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False, rngs=rngs)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False, rngs=rngs)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def __call__(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nnx.Module):
    def __init__(self, num_classes=10, widths=(8, 16), *, rngs):
        w1, w2 = widths
        self.conv1 = nn.Conv2d(3, w1, 3, 1, 1, bias=False, rngs=rngs)
        self.bn1 = nn.BatchNorm2d(w1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = nnx.Sequential(
            BasicBlock(w1, w1, rngs=rngs), BasicBlock(w1, w1, rngs=rngs)
        )
        downsample = nnx.Sequential(
            nn.Conv2d(w1, w2, 1, 2, bias=False, rngs=rngs), nn.BatchNorm2d(w2)
        )
        self.layer2 = nnx.Sequential(
            BasicBlock(w1, w2, 2, downsample, rngs=rngs), BasicBlock(w2, w2, rngs=rngs)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()  # torch.flatten(x, 1) in PyTorch's forward
        self.fc = nn.Linear(w2, num_classes, rngs=rngs)

    def __call__(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(self.flatten(self.avgpool(x)))


class ConvBNReLU(nnx.Sequential):
    def __init__(self, inp, oup, kernel_size=3, stride=1, groups=1, *, rngs):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(
                inp,
                oup,
                kernel_size,
                stride,
                padding,
                groups=groups,
                bias=False,
                rngs=rngs,
            ),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nnx.Module):
    def __init__(self, inp, oup, stride, expand_ratio, *, rngs):
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers = [] if expand_ratio == 1 else [ConvBNReLU(inp, hidden, 1, rngs=rngs)]
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden, rngs=rngs),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False, rngs=rngs),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nnx.Sequential(*layers)

    def __call__(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nnx.Module):
    def __init__(self, num_classes=10, *, rngs):
        self.features = nnx.Sequential(
            ConvBNReLU(3, 8, stride=2, rngs=rngs),
            InvertedResidual(8, 8, 1, 1, rngs=rngs),
            InvertedResidual(8, 12, 2, 4, rngs=rngs),
            InvertedResidual(12, 12, 1, 4, rngs=rngs),
            ConvBNReLU(12, 32, kernel_size=1, rngs=rngs),
        )
        self.classifier = nnx.Sequential(
            nnx.Dropout(0.2, rngs=rngs), nn.Linear(32, num_classes, rngs=rngs)
        )

    def __call__(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(x.reshape(x.shape[0], -1))


MODELS = {"resnet": ResNet, "mobilenet": MobileNetV2}


def golden(prefix, path=GOLDEN):
    """``(state_dict, input, logits)`` stored under ``prefix/`` in the golden file
    (``logits`` is ``None`` where none are stored)."""
    with np.load(path) as data:
        entries = {
            k[len(prefix) + 1 :]: data[k]
            for k in data.files
            if k.startswith(prefix + "/")
        }
    return entries, entries.pop("input"), entries.pop("logits", None)


def ported(name, seed=0):
    """The convjax model ``name`` with PyTorch's weights loaded, in eval mode, and
    the stored input and PyTorch logits."""
    state_dict, x, logits = golden(name)
    # Built abstractly (shapes only: random init of every layer costs seconds) and
    # filled by the strict load; only the RNG streams (dropout) need fresh keys.
    model = nnx.eval_shape(lambda: MODELS[name](rngs=nnx.Rngs(seed)))
    interop.load_torch_state_dict(model, state_dict)
    nnx.reseed(model, default=seed)
    model.eval()
    return model, x, logits


def main(argv=None):
    argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Prints each model's parameter count and the largest absolute "
        "difference between its convjax and PyTorch eval-mode logits.",
    ).parse_args(argv)
    print("| model | params | max abs diff vs PyTorch logits |")
    print("|---|---|---|")
    for name in MODELS:
        model, x, want = ported(name)
        got = nnx.jit(lambda m, x: m(x))(model, jnp.asarray(x))
        params = sum(v.size for v in jax.tree.leaves(nnx.state(model, nnx.Param)))
        print(
            f"| {name} | {params} | {float(np.abs(np.asarray(got) - want).max()):.2e} |"
        )


if __name__ == "__main__":
    main()
