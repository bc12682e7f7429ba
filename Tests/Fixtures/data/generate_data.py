"""Writes the FlintData fixtures: torchvision's transforms on seeded inputs.

    python Tests/Fixtures/data/generate_data.py --seed 0

Each case records the input, the transform's parameters and torchvision's
output (`torchvision.transforms.v2.functional`), so the Swift tests run the same
transform on the same input and compare. The tests pass for fixtures made with
any seed. Also writes small PNG and JPEG files with the pixels PIL decodes from
them, for the image importer, and `standardize.json`: a tabular set with
scikit-learn's StandardScaler statistics of its training split.

torchvision from PyPI is built for CUDA; with the CPU build of torch its C
extension does not load and `import torchvision` fails registering fake ops for
operators that do not exist. Those ops (nms, roi_align) are not used here, so
the registration is skipped while importing.
"""

import argparse
import json
import math
import os
import random

import numpy as np
import torch
import torch.library

_register_fake = torch.library.register_fake
torch.library.register_fake = lambda *args, **kwargs: (lambda fn: fn)
import torchvision  # noqa: E402
import torchvision.transforms.v2.functional as F  # noqa: E402
from torchvision.transforms import InterpolationMode  # noqa: E402

torch.library.register_fake = _register_fake

HERE = os.path.dirname(os.path.abspath(__file__))


def tensor_json(t):
    t = t.contiguous()
    dtype = str(t.dtype).replace("torch.", "")
    values = t.flatten().tolist()
    if t.dtype.is_floating_point:
        values = [float(v) for v in values]
    return {"shape": list(t.shape), "dtype": dtype, "values": values}


def float_images(g, *shape):
    return torch.rand(*shape, generator=g)


def uint8_images(g, *shape):
    return torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)


def case(kind, x, out, **params):
    return {"kind": kind, "params": params, "input": tensor_json(x), "output": tensor_json(out)}


def interp(name):
    return InterpolationMode.BILINEAR if name == "bilinear" else InterpolationMode.NEAREST


def resize_cases(g):
    x = float_images(g, 2, 3, 7, 9)
    u = uint8_images(g, 2, 1, 7, 9)
    cases = []
    for size, mode, img in [([4, 5], "bilinear", x), ([12, 10], "bilinear", x), ([5], "bilinear", x),
                            ([3, 13], "bilinear", x), ([4, 6], "nearest", u), ([14, 18], "nearest", u),
                            ([10, 4], "nearest", x), ([6], "bilinear", u)]:
        out = F.resize(img, size, interpolation=interp(mode), antialias=False)
        cases.append(case("resize", img, out, size=size, interpolation=mode))
    out = F.resize(x, [5], interpolation=InterpolationMode.BILINEAR, max_size=6, antialias=False)
    cases.append(case("resize", x, out, size=[5], interpolation="bilinear", max_size=6))
    return cases


def center_crop_cases(g):
    x = float_images(g, 2, 3, 7, 9)
    return [case("center_crop", x, F.center_crop(x, size), size=size)
            for size in ([4, 5], [10, 12], [7, 9], [3], [8, 4], [6, 8])]


def pad_crop_cases(g):
    x = float_images(g, 2, 3, 6, 7)
    u = uint8_images(g, 2, 1, 6, 7)
    cases = []
    for mode in ["constant", "edge", "reflect", "symmetric"]:
        for padding, size, img in [([2], [6, 7], x), ([1, 2, 3, 4], [5, 6], x), ([3, 1], [8, 8], u)]:
            ltrb = padding * 4 if len(padding) == 1 else (padding * 2 if len(padding) == 2 else padding)
            left, top, right, bottom = ltrb[0], ltrb[1], ltrb[2], ltrb[3]
            padded = F.pad(img, padding, fill=0.5 if img.is_floating_point() else 7, padding_mode=mode)
            ph, pw = padded.shape[-2:]
            t = int(torch.randint(0, ph - size[0] + 1, (), generator=g))
            l = int(torch.randint(0, pw - size[1] + 1, (), generator=g))
            out = F.crop(padded, t, l, size[0], size[1])
            cases.append(case("pad_crop", img, out, padding=padding, size=size, mode=mode, top=t, left=l,
                              fill=0.5 if img.is_floating_point() else 7))
    return cases


def flip_cases(g):
    x = float_images(g, 2, 3, 4, 5)
    return [case("flip", x, F.horizontal_flip(x), horizontal=True),
            case("flip", x, F.vertical_flip(x), horizontal=False)]


def rotate_cases(g):
    x = float_images(g, 2, 3, 9, 11)
    u = uint8_images(g, 1, 1, 8, 8)
    cases = []
    for mode in ["nearest", "bilinear"]:
        for fill in ([0.0], [0.5, 0.2, 0.9]):
            for center in (None, [2.0, 3.0]):
                angle = float(torch.empty(1).uniform_(-180, 180, generator=g))
                out = F.rotate(x, angle, interpolation=interp(mode), fill=fill, center=center)
                cases.append(case("rotate", x, out, angle=angle, interpolation=mode, fill=fill, center=center))
    for mode in ["nearest", "bilinear"]:
        angle = float(torch.empty(1).uniform_(-45, 45, generator=g))
        out = F.rotate(u, angle, interpolation=interp(mode), fill=[0.0])
        cases.append(case("rotate", u, out, angle=angle, interpolation=mode, fill=[0.0], center=None))
    return cases


def affine_cases(g):
    x = float_images(g, 2, 3, 10, 8)
    cases = []
    for mode in ["nearest", "bilinear"]:
        for _ in range(3):
            angle = float(torch.empty(1).uniform_(-30, 30, generator=g))
            translate = [int(torch.randint(-2, 3, (), generator=g)), int(torch.randint(-2, 3, (), generator=g))]
            scale = float(torch.empty(1).uniform_(0.7, 1.3, generator=g))
            shear = [float(torch.empty(1).uniform_(-20, 20, generator=g)), float(torch.empty(1).uniform_(-10, 10, generator=g))]
            out = F.affine(x, angle=angle, translate=translate, scale=scale, shear=shear,
                           interpolation=interp(mode), fill=[0.25])
            cases.append(case("affine", x, out, angle=angle, translate=translate, scale=scale, shear=shear,
                              interpolation=mode, fill=[0.25]))
    return cases


COLOR_OPS = [("brightness", F.adjust_brightness, 0, (0.2, 1.8)), ("contrast", F.adjust_contrast, 1, (0.2, 1.8)),
             ("saturation", F.adjust_saturation, 2, (0.0, 2.0)), ("hue", F.adjust_hue, 3, (-0.5, 0.5))]


def color_cases(g):
    """Each adjustment on float and uint8 images (torchvision computes uint8 in
    float32 and truncates back), and chains of all four on uint8 as ColorJitter
    applies them, each step ending in uint8."""
    images = [float_images(g, 2, 3, 6, 7), float_images(g, 2, 1, 5, 4),
              uint8_images(g, 2, 3, 9, 8), uint8_images(g, 2, 1, 5, 6)]
    cases = []
    for name, fn, index, (lo, hi) in COLOR_OPS:
        for img in images:
            factor = float(torch.empty(1).uniform_(lo, hi, generator=g))
            cases.append(case("color", img, fn(img, factor), op=index, name=name, factor=factor))
    rgb = images[2]
    for _ in range(3):
        order = torch.randperm(4, generator=g).tolist()
        factors, out = [], rgb
        for k in order:
            _, fn, _, (lo, hi) = COLOR_OPS[k]
            factors.append(float(torch.empty(1).uniform_(lo, hi, generator=g)))
            out = fn(out, factors[-1])
        cases.append(case("color_chain", rgb, out, ops=order, factors=factors))
    return cases


def erase_cases(g):
    x = float_images(g, 2, 3, 8, 9)
    cases = []
    for value in ([0.0], [0.1, 0.5, 0.9]):
        i = int(torch.randint(0, 4, (), generator=g))
        j = int(torch.randint(0, 4, (), generator=g))
        h = int(torch.randint(1, 5, (), generator=g))
        w = int(torch.randint(1, 6, (), generator=g))
        v = torch.tensor(value)[:, None, None]
        cases.append(case("erase", x, F.erase(x, i, j, h, w, v), top=i, left=j, height=h, width=w, value=value))
    return cases


def tensor_cases(g):
    u = uint8_images(g, 3, 2, 4, 5)
    x = torch.rand(3, 2, 4, 5, generator=g)
    mean, std = [0.4, 0.6], [0.2, 0.3]
    labels = torch.randint(0, 6, (7,), generator=g)
    feats = torch.randn(11, 4, generator=g) * torch.tensor([1.0, 10.0, 0.1, 3.0]) + torch.tensor([0.0, 5.0, -2.0, 100.0])
    standardized = (feats - feats.double().mean(0).float()) / feats.double().std(0, unbiased=False).float()
    return [
        case("to_tensor", u, F.to_dtype(u, torch.float32, scale=True)),
        case("normalize", x, F.normalize(x, mean, std), mean=mean, std=std),
        case("one_hot", labels, torch.nn.functional.one_hot(labels, 6).float(), num_classes=6),
        case("standardize", feats, standardized),
    ]


def standardize_split(seed):
    """A tabular classification set whose splits differ in location and scale,
    with scikit-learn's StandardScaler statistics of the training split only
    (`mean_`, `scale_`: population std, 1 for the constant column)."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed + 1)
    scales = np.array([1.0, 10.0, 0.1, 3.0, 0.0], dtype=np.float64)
    offsets = np.array([0.0, 5.0, -2.0, 100.0, 7.0], dtype=np.float64)

    def split(n, shift):
        x = (rng.standard_normal((n, 5)) * scales + offsets + shift).astype(np.float32)
        y = (x[:, 0] + 0.1 * x[:, 1] > 0.5 + shift).astype(np.int64) + (x[:, 2] > -2 + shift).astype(np.int64)
        return x, y

    (train_x, train_y), (val_x, val_y), (test_x, test_y) = split(200, 0.0), split(40, 3.0), split(50, -4.0)
    scaler = StandardScaler().fit(train_x)
    arrays = {"train_x": train_x, "train_y": train_y, "val_x": val_x, "val_y": val_y, "test_x": test_x, "test_y": test_y}
    fixture = {name: {"shape": list(a.shape), "values": a.flatten().tolist()} for name, a in arrays.items()}
    fixture.update(seed=seed, mean=scaler.mean_.tolist(), scale=scaler.scale_.tolist(),
                   test_standardized=scaler.transform(test_x).astype(np.float32).flatten().tolist())
    with open(os.path.join(HERE, "standardize.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


def write_images(seed):
    """Small PNG and JPEG files with the pixels PIL decodes from them."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = os.path.join(HERE, "images")
    os.makedirs(folder, exist_ok=True)
    records = []
    for name, mode, shape in [("gray.png", "L", (5, 6)), ("rgb.png", "RGB", (4, 7, 3)),
                              ("rgba.png", "RGBA", (3, 4, 4)), ("gray.jpg", "L", (8, 8)), ("rgb.jpg", "RGB", (9, 10, 3))]:
        pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
        path = os.path.join(folder, name)
        Image.fromarray(pixels, mode).save(path, quality=90) if name.endswith(".jpg") else Image.fromarray(pixels, mode).save(path)
        decoded = Image.open(path)
        for target in ("L", "RGB"):
            array = np.asarray(decoded.convert(target))
            chw = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
            records.append({"file": name, "mode": target, "shape": list(chw.shape), "values": chw.flatten().tolist()})
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    g = torch.Generator().manual_seed(args.seed)
    cases = (resize_cases(g) + center_crop_cases(g) + pad_crop_cases(g) + flip_cases(g) + rotate_cases(g)
             + affine_cases(g) + color_cases(g) + erase_cases(g) + tensor_cases(g))
    fixture = {"seed": args.seed, "torch": torch.__version__, "torchvision": torchvision.__version__, "cases": cases,
               "images": write_images(args.seed)}
    with open(os.path.join(HERE, "transforms.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    standardize_split(args.seed)
    print(f"wrote {len(cases)} transform cases and {len(fixture['images'])} decoded images (seed {args.seed})")


if __name__ == "__main__":
    main()
