"""ColorJitter and interpolation on real photos, saved as image grids.

    python examples/color_and_resize.py          # a few seconds
    python examples/color_and_resize.py --fast   # same, smaller figures (CI)

The two photos that ship with scikit-learn (``load_sample_images``: a temple in
China and a flower, 427x640 RGB) go through ``convjax.image`` and
``F.interpolate`` as one ``(2, 3, H, W)`` batch, PyTorch layout:

* ``color_grid.png``: the deterministic ops ``adjust_brightness`` (1.5),
  ``adjust_contrast`` (0.5), ``adjust_saturation`` (2.0), ``adjust_hue`` (+0.25),
  ``rgb_to_grayscale``, then three draws of ``nn.ColorJitter(0.4, 0.4, 0.4, 0.1,
  per_sample=True)`` (torchvision's ranges and random op order, one draw per image);
* ``resize_grid.png``: a 40x40 crop upsampled 6x with ``mode="nearest"``,
  ``"bilinear"`` and ``"bicubic"``, and the whole photo downsampled 8x with
  ``"nearest"``, ``"bilinear"`` (aliasing), ``"bilinear", antialias=True`` (Pillow's
  filter, as torchvision's ``Resize``) and ``"area"``.
"""

import argparse
import time
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from flax import nnx

import convjax.functional as F
from convjax import image, nn

OUT = Path(__file__).resolve().parent / "out"


def load_photos():
    from sklearn.datasets import load_sample_images

    data = load_sample_images()
    names = [Path(f).stem for f in data.filenames]
    batch = np.stack(data.images).astype(np.float32) / 255.0  # (2, H, W, 3)
    return names, jnp.asarray(np.moveaxis(batch, -1, 1))  # (2, 3, H, W)


def to_hwc(img):
    return np.clip(np.moveaxis(np.asarray(img), 0, -1), 0.0, 1.0)


def save_grid(columns, names, path, panel=2.0):
    """``columns``: list of (title, (2, C, h, w) batch); one row per photo."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = len(names), len(columns)
    fig, axes = plt.subplots(
        rows, cols, figsize=(panel * cols, panel * 0.8 * rows + 0.4), squeeze=False
    )
    for j, (title, batch) in enumerate(columns):
        for i in range(rows):
            ax = axes[i, j]
            img = to_hwc(batch[i])
            ax.imshow(
                img[..., 0] if img.shape[-1] == 1 else img,
                cmap="gray",
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(title, fontsize=8)
            if j == 0:
                ax.set_ylabel(names[i], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--fast", action="store_true", help="smaller figures (CI smoke test)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    names, photos = load_photos()
    n, c, h, w = photos.shape
    print(f"photos {names}: batch {tuple(photos.shape)}, float32 in [0, 1]")

    jitter = nn.ColorJitter(
        0.4, 0.4, 0.4, 0.1, per_sample=True, rngs=nnx.Rngs(args.seed)
    )
    color = [
        ("original", photos),
        ("brightness x1.5", image.adjust_brightness(photos, 1.5)),
        ("contrast x0.5", image.adjust_contrast(photos, 0.5)),
        ("saturation x2", image.adjust_saturation(photos, 2.0)),
        ("hue +0.25", image.adjust_hue(photos, 0.25)),
        ("grayscale", image.rgb_to_grayscale(photos)),
        *((f"ColorJitter draw {k + 1}", jitter(photos)) for k in range(3)),
    ]

    top, left, size, up = 150, 300, 40, 6  # a detailed 40x40 crop of each photo
    crop = photos[:, :, top : top + size, left : left + size]
    down = (h // 8, w // 8)
    resize = [
        (f"crop {size}x{size}", crop),
        (f"nearest x{up}", F.interpolate(crop, scale_factor=up, mode="nearest")),
        (f"bilinear x{up}", F.interpolate(crop, scale_factor=up, mode="bilinear")),
        (f"bicubic x{up}", F.interpolate(crop, scale_factor=up, mode="bicubic")),
        ("nearest 1/8", F.interpolate(photos, size=down, mode="nearest")),
        ("bilinear 1/8", F.interpolate(photos, size=down, mode="bilinear")),
        (
            "bilinear 1/8, antialias",
            F.interpolate(photos, size=down, mode="bilinear", antialias=True),
        ),
        ("area 1/8", F.interpolate(photos, size=down, mode="area")),
    ]
    for title, batch in color + resize:
        if not bool(jnp.all(jnp.isfinite(batch))):
            raise RuntimeError(f"non-finite values in {title!r}")
    args.out.mkdir(parents=True, exist_ok=True)
    panel = 1.2 if args.fast else 2.0
    paths = [
        save_grid(color, names, args.out / "color_grid.png", panel),
        save_grid(resize, names, args.out / "resize_grid.png", panel),
    ]
    print(f"{time.perf_counter() - start:.1f} s")
    for p in paths:
        print(f"saved {p}")
    return paths


if __name__ == "__main__":
    main()
