"""Writes tests/golden/color.npz with torchvision's colour transforms.

Run with a Python that has torch and torchvision (never needed by the tests):
    python tests/golden/make_color.py
"""

import pathlib

import numpy as np
import torch
import torchvision
import torchvision.transforms.v2 as T
import torchvision.transforms.v2.functional as TF
from torchvision.transforms.v2.functional._color import _hsv_to_rgb, _rgb_to_hsv

OUT = pathlib.Path(__file__).with_name("color.npz")


def f32(values):
    """Factors exactly representable in float32 (what a sampled factor is)."""
    return [float(np.float32(v)) for v in values]


BRIGHTNESS = f32([0.0, 0.55, 1.37])
CONTRAST = f32([0.0, 0.6, 1.7])
SATURATION = f32([0.0, 0.3, 1.9])
HUE = f32([-0.5, -0.21, 0.13, 0.5])
# (order, brightness, contrast, saturation, hue); None disables an op.
JITTER = [
    ((0, 1, 2, 3), 1.21, 0.73, 1.44, 0.08),
    ((3, 2, 1, 0), 0.82, 1.33, 0.51, -0.17),
    ((2, 0, 3, 1), 1.4, 0.6, 1.6, 0.31),
    ((1, 3, 0, 2), 0.65, 1.5, 0.0, -0.45),
    ((3, 0, 2, 1), None, 1.25, 0.7, 0.2),
    ((2, 1, 0, 3), 1.3, None, None, -0.3),
    ((1, 0, 3, 2), 0.5, 0.5, 0.5, None),
]


def images(rng):
    flt = rng.random((2, 3, 8, 8), dtype=np.float32)
    flt[0, :, 0, :] = 0.0  # black row
    flt[0, :, 1, :] = 1.0  # white row
    flt[0, :, 2, :] = rng.random((1, 8), dtype=np.float32)  # gray pixels
    flt[1, :, 0, :4] = np.array([1.0, 0.0, 0.0], np.float32)[:, None]  # pure red
    flt[1, :, 0, 4:] = np.array([0.0, 1.0, 1.0], np.float32)[:, None]  # cyan
    out_of_range = (rng.random((2, 3, 8, 8), dtype=np.float32) * 1.5 - 0.25).astype(
        np.float32
    )
    u8 = rng.integers(0, 256, (2, 3, 16, 16), dtype=np.uint8)
    u8[0, :, 0, :] = 0
    u8[0, :, 1, :] = 255
    u8[0, :, 2, :] = rng.integers(0, 256, (1, 16), dtype=np.uint8)
    u8[1, :, 0, :] = np.array([255, 0, 0], np.uint8)[:, None]
    return {
        "float": flt,
        "outrange": out_of_range,
        "uint8": u8,
        "gray_float": rng.random((2, 1, 8, 8), dtype=np.float32),
        "gray_uint8": rng.integers(0, 256, (2, 1, 8, 8), dtype=np.uint8),
    }


def main():
    rng = np.random.default_rng(1234)
    ims = images(rng)
    out = {
        "torch_version": np.array(torch.__version__),
        "tv_version": np.array(torchvision.__version__),
    }
    out["brightness"] = np.array(BRIGHTNESS, np.float32)
    out["contrast"] = np.array(CONTRAST, np.float32)
    out["saturation"] = np.array(SATURATION, np.float32)
    out["hue"] = np.array(HUE, np.float32)
    for name, im in ims.items():
        out[f"in_{name}"] = im
        t = torch.from_numpy(im)
        for i, f in enumerate(BRIGHTNESS):
            out[f"brightness_{name}_{i}"] = TF.adjust_brightness(t, f).numpy()
        for i, f in enumerate(CONTRAST):
            out[f"contrast_{name}_{i}"] = TF.adjust_contrast(t, f).numpy()
        for i, f in enumerate(SATURATION):
            out[f"saturation_{name}_{i}"] = TF.adjust_saturation(t, f).numpy()
        for i, f in enumerate(HUE):
            out[f"hue_{name}_{i}"] = TF.adjust_hue(t, f).numpy()
        for n in (1, 3):
            out[f"gray{n}_{name}"] = TF.rgb_to_grayscale(
                t, num_output_channels=n
            ).numpy()
        for j, (order, b, c, s, h) in enumerate(JITTER):
            params = dict(
                fn_idx=torch.tensor(order),
                brightness_factor=None if b is None else f32([b])[0],
                contrast_factor=None if c is None else f32([c])[0],
                saturation_factor=None if s is None else f32([s])[0],
                hue_factor=None if h is None else f32([h])[0],
            )
            out[f"jitter_{name}_{j}"] = T.ColorJitter().transform(t, params).numpy()
    for name in ("float", "outrange"):
        hsv = _rgb_to_hsv(torch.from_numpy(ims[name]))
        out[f"hsv_{name}"] = hsv.numpy()
        out[f"rgb_{name}"] = _hsv_to_rgb(hsv).numpy()
    out["jitter_order"] = np.array([j[0] for j in JITTER], np.int32)
    out["jitter_factors"] = np.array(
        [[np.nan if v is None else v for v in j[1:]] for j in JITTER], np.float32
    )
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays)")


if __name__ == "__main__":
    main()
