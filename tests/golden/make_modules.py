"""Writes tests/golden/modules.npz: PyTorch module outputs for convjax.nn's tests.

Run with the torch venv (torch is never a dependency of convjax or its tests):

    python tests/golden/make_modules.py

Each case ``{case}/...`` stores the module's state-dict entries (``{case}/sd/{name}``),
its inputs and outputs. Batch-norm cases run several train-mode steps and store the
outputs and running statistics after every step, then an eval-mode output.
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = {"torch_version": np.array(torch.__version__)}


def store_state(case, module):
    for key, value in module.state_dict().items():
        OUT[f"{case}/sd/{key}"] = value.numpy().copy()  # buffers change in place


def randomize_affine(module, gen):
    with torch.no_grad():
        if module.weight is not None:
            module.weight.copy_(
                1 + 0.5 * torch.randn(module.weight.shape, generator=gen)
            )
            module.bias.copy_(0.5 * torch.randn(module.bias.shape, generator=gen))


def batch_norm_case(case, module, shapes, gen, steps=3):
    randomize_affine(module, gen)
    store_state(case, module)
    module.train()
    for step in range(steps):
        x = 2 * torch.randn(shapes[0], generator=gen) + 1
        with torch.no_grad():
            y = module(x)
        OUT[f"{case}/x{step}"] = x.numpy()
        OUT[f"{case}/y{step}"] = y.numpy()
        if module.track_running_stats:
            OUT[f"{case}/mean{step}"] = module.running_mean.numpy().copy()
            OUT[f"{case}/var{step}"] = module.running_var.numpy().copy()
            OUT[f"{case}/count{step}"] = module.num_batches_tracked.numpy().copy()
    module.eval()
    x = 2 * torch.randn(shapes[1], generator=gen) + 1
    with torch.no_grad():
        OUT[f"{case}/x_eval"] = x.numpy()
        OUT[f"{case}/y_eval"] = module(x).numpy()


def forward_case(case, module, x, **kwargs):
    store_state(case, module)
    OUT[f"{case}/x"] = x.numpy()
    with torch.no_grad():
        OUT[f"{case}/y"] = module(x, **kwargs).numpy()


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    randn = lambda *shape: torch.randn(*shape, generator=gen)  # noqa: E731

    batch_norm_case("bn2d", nn.BatchNorm2d(4), [(3, 4, 5, 5), (2, 4, 5, 5)], gen)
    batch_norm_case(
        "bn2d_cumulative",
        nn.BatchNorm2d(4, momentum=None),
        [(3, 4, 5, 5), (2, 4, 5, 5)],
        gen,
    )
    batch_norm_case(
        "bn2d_affine_false",
        nn.BatchNorm2d(4, eps=1e-3, momentum=0.3, affine=False),
        [(3, 4, 5, 5), (2, 4, 5, 5)],
        gen,
    )
    batch_norm_case(
        "bn2d_untracked",
        nn.BatchNorm2d(4, track_running_stats=False),
        [(3, 4, 5, 5), (2, 4, 5, 5)],
        gen,
        steps=1,
    )
    batch_norm_case("bn1d_2d", nn.BatchNorm1d(4), [(6, 4), (3, 4)], gen)
    batch_norm_case("bn1d_3d", nn.BatchNorm1d(4), [(3, 4, 7), (2, 4, 7)], gen)
    batch_norm_case(
        "bn3d", nn.BatchNorm3d(3), [(2, 3, 3, 4, 4), (1, 3, 3, 4, 4)], gen, 2
    )

    forward_case(
        "conv2d",
        nn.Conv2d(4, 6, (3, 2), (2, 1), (1, 2), (1, 2), 2, True, "reflect"),
        randn(2, 4, 7, 6),
    )
    forward_case(
        "conv1d",
        nn.Conv1d(3, 4, 3, padding="same", padding_mode="circular"),
        randn(2, 3, 8),
    )
    forward_case(
        "conv3d", nn.Conv3d(2, 4, 2, stride=2, bias=False), randn(1, 2, 4, 4, 4)
    )
    forward_case(
        "conv_transpose2d",
        nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, groups=2),
        randn(1, 4, 5, 5),
        output_size=(10, 10),
    )
    forward_case(
        "conv_transpose1d",
        nn.ConvTranspose1d(2, 3, 4, 3, 1, 2, 1, True, 1),
        randn(2, 2, 5),
    )
    forward_case(
        "conv_transpose3d",
        nn.ConvTranspose3d(2, 3, 2, 2, bias=False),
        randn(1, 2, 2, 3, 2),
    )
    forward_case("linear", nn.Linear(5, 3), randn(2, 4, 5))
    forward_case("max_pool2d", nn.MaxPool2d(3, 2, 1, ceil_mode=True), randn(2, 3, 8, 7))
    forward_case("avg_pool2d", nn.AvgPool2d(3, 2, 1, True, False), randn(2, 3, 8, 7))
    forward_case("avg_pool1d", nn.AvgPool1d(2, 1, 1), randn(2, 3, 6))
    forward_case("max_pool3d", nn.MaxPool3d(2, 1, 0, 2), randn(1, 2, 5, 5, 5))
    forward_case("adaptive_avg_pool2d", nn.AdaptiveAvgPool2d((3, 2)), randn(2, 3, 7, 5))
    forward_case("adaptive_max_pool1d", nn.AdaptiveMaxPool1d(3), randn(2, 3, 7))
    forward_case(
        "upsample",
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
        randn(1, 2, 3, 4),
    )
    forward_case("upsample_size", nn.Upsample(size=(5, 7)), randn(1, 2, 3, 4))
    forward_case("pixel_shuffle", nn.PixelShuffle(2), randn(1, 8, 3, 2))
    forward_case("pixel_unshuffle", nn.PixelUnshuffle(2), randn(1, 2, 4, 6))
    forward_case("flatten", nn.Flatten(1, 2), randn(2, 3, 4, 5))
    forward_case("relu6", nn.ReLU6(), 4 * randn(2, 5))

    path = Path(__file__).with_name("modules.npz")
    np.savez_compressed(path, **OUT)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB, {len(OUT)} arrays)")


if __name__ == "__main__":
    main()
