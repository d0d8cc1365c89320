"""Writes tests/golden/models.npz: two small PyTorch nets, their state dicts and logits.

Run with the torch venv (torch is never a dependency of convjax or its tests):

    python tests/golden/make_models.py

The nets mirror torchvision's ResNet (BasicBlock with a downsample branch) and
MobileNetV2 (inverted residuals with depthwise convs and ReLU6), with small widths.
Each is trained for a few SGD steps in train mode, so that weights, batch-norm
affine parameters and running statistics are all non-trivial, then put in eval mode.
Keys: ``{net}/{state_dict name}`` for every state-dict entry, ``{net}/input`` and
``{net}/logits`` (eval mode); ``resnet_train/`` holds another trained ResNet, an
input, its train-mode logits and its running statistics after that forward
(``resnet_train/after/...``); plus ``torch_version``.
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, num_classes=10, widths=(8, 16)):
        super().__init__()
        w1, w2 = widths
        self.conv1 = nn.Conv2d(3, w1, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(w1, w1), BasicBlock(w1, w1))
        downsample = nn.Sequential(
            nn.Conv2d(w1, w2, 1, 2, bias=False), nn.BatchNorm2d(w2)
        )
        self.layer2 = nn.Sequential(
            BasicBlock(w1, w2, 2, downsample), BasicBlock(w2, w2)
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(w2, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ConvBNReLU(nn.Sequential):
    def __init__(self, inp, oup, kernel_size=3, stride=1, groups=1):
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(
                inp, oup, kernel_size, stride, padding, groups=groups, bias=False
            ),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = inp * expand_ratio
        self.use_res_connect = stride == 1 and inp == oup
        layers = [] if expand_ratio == 1 else [ConvBNReLU(inp, hidden, kernel_size=1)]
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            ConvBNReLU(3, 8, stride=2),
            InvertedResidual(8, 8, 1, 1),
            InvertedResidual(8, 12, 2, 4),
            InvertedResidual(12, 12, 1, 4),
            ConvBNReLU(12, 32, kernel_size=1),
        )
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(32, num_classes))

    def forward(self, x):
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1)
        return self.classifier(torch.flatten(x, 1))


def train_a_little(model, gen, steps=4):
    """A few SGD steps on random data: every parameter and running stat moves."""
    opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    model.train()
    for _ in range(steps):
        x = torch.randn(8, 3, 16, 16, generator=gen) * 2 + 0.5
        y = torch.randint(0, 10, (8,), generator=gen)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    out = {"torch_version": np.array(torch.__version__)}
    for name, model in (("resnet", ResNet()), ("mobilenet", MobileNetV2())):
        train_a_little(model, gen)
        x = torch.randn(2, 3, 16, 16, generator=gen)
        with torch.no_grad():
            logits = model(x)
        for key, value in model.state_dict().items():
            out[f"{name}/{key}"] = value.numpy().copy()
        out[f"{name}/input"] = x.numpy()
        out[f"{name}/logits"] = logits.numpy()
    # One train-mode forward of the ResNet (no dropout there): batch statistics are
    # used and the running statistics move.
    model = ResNet()
    train_a_little(model, gen)
    x = torch.randn(4, 3, 16, 16, generator=gen)
    for key, value in model.state_dict().items():
        out[f"resnet_train/{key}"] = value.numpy().copy()  # updated in place below
    model.train()
    with torch.no_grad():
        out["resnet_train/train_logits"] = model(x).numpy()
    for key, value in model.state_dict().items():
        if "running" in key or "num_batches" in key:
            out[f"resnet_train/after/{key}"] = value.numpy().copy()
    out["resnet_train/input"] = x.numpy()
    path = Path(__file__).with_name("models.npz")
    np.savez_compressed(path, **out)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(out)} arrays)")


if __name__ == "__main__":
    main()
