"""Accuracy of the default augmentation of folder data (``data=image_folder``) on small images.

Writes a folder of 32 px grey digits (rendered with the fonts found on the machine, random
size, rotation, offset and noise; ``--train`` / ``--val`` images), then trains the default model
(``simple_cnn``) on it with each augmentation and prints the best validation accuracy of each:

    OMP_NUM_THREADS=1 uv run python benchmarks/folder_augmentation.py --train 500 --seeds 1 2 3

The figures in ``nnframe/cls/configs/_shared/image_files.yaml`` come from this script.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

CASES = {
    "224 px, crop scale 0.08-1 + flip (ImageNet recipe, the old default)":
        ["data.image_size=224", "data.train_transform.min_scale=0.08"],
    "auto size (32 px), crop scale 0.08-1 + flip": ["data.train_transform.min_scale=0.08"],
    "auto size (32 px), crop scale 0.35-1 + flip (the default)": [],
    "auto size (32 px), pad-and-crop (4 px) + flip": ["data.train_transform.crop=random_crop"],
    "auto size (32 px), crop scale 0.35-1, no flip": ["data.train_transform.hflip=false"],
    "auto size (32 px), crop scale 0.08-1, no flip": ["data.train_transform.min_scale=0.08",
                                                      "data.train_transform.hflip=false"],
}


def _fonts() -> list[Path]:
    found = sorted(Path("/usr/share/fonts").rglob("*.ttf")) if Path("/usr/share/fonts").is_dir() else []
    return [p for p in found if "Mono" not in p.name][:12]


def write_digits(root: Path, train: int, val: int, seed: int = 0) -> None:
    """``root/{train,val}/<digit>/<i>.png``: 32 px grey digits."""
    rng = np.random.default_rng(seed)
    fonts = _fonts()
    for split, count in (("train", train), ("val", val)):
        for i in range(count):
            digit = i % 10
            size = int(rng.integers(18, 28))
            font = ImageFont.truetype(str(fonts[int(rng.integers(len(fonts)))]), size) if fonts \
                else ImageFont.load_default(size=size)
            canvas = Image.new("L", (48, 48), 0)
            ImageDraw.Draw(canvas).text((24, 24), str(digit), fill=255, font=font, anchor="mm")
            canvas = canvas.rotate(float(rng.uniform(-15, 15)), resample=Image.BILINEAR,
                                   translate=tuple(int(v) for v in rng.integers(-3, 4, 2)))
            image = canvas.crop((8, 8, 40, 40)).filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 0.8))))
            pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 12, (32, 32))
            folder = root / split / str(digit)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"{i}.png")


def main(argv: list[str] | None = None) -> list[tuple[str, list[float], float]]:
    """Run the cases; returns ``(case, best val accuracy per seed, seconds per run)`` rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=3000)
    parser.add_argument("--val", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--cases", nargs="*", type=int, help="indices of the cases to run (default: all)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[42], help="training seeds (the data stays)")
    args = parser.parse_args(argv)

    from nnframe.core.testing import compose_task_config
    from nnframe.core.training import train

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "digits"
        write_digits(data, args.train, args.val)
        rows = []
        for number, (name, overrides) in enumerate(CASES.items()):
            if args.cases and number not in args.cases:
                continue
            accuracies, start = [], time.perf_counter()
            for seed in args.seeds:
                cfg = compose_task_config("nnframe.cls.configs", [
                    "data=image_folder", f"data.root={data}", "data.num_workers=2", f"trainer.max_epochs={args.epochs}",
                    f"seed={seed}", "test=false", "extras.print_config=false", "extras.print_data_summary=false",
                    "callbacks.progress_bar=null", "logger=csv", *overrides], output_dir=Path(tmp) / f"run{number}_{seed}")
                accuracies.append(train(cfg)["val/acc_best"])
            rows.append((name, accuracies, (time.perf_counter() - start) / len(args.seeds)))
            print(f"{name}: val/acc_best {' '.join(f'{a:.3f}' for a in accuracies)}", flush=True)
    print(f"\n{args.train} train / {args.val} val digits, {args.epochs} epochs, simple_cnn, seeds {args.seeds}")
    print("| augmentation | best val acc (mean) | per seed | time per run |\n|---|---|---|---|")
    for name, accuracies, seconds in rows:
        mean = sum(accuracies) / len(accuracies)
        print(f"| {name} | {mean:.3f} | {' '.join(f'{a:.3f}' for a in accuracies)} | {seconds:.0f} s |")
    return rows


if __name__ == "__main__":
    main()
