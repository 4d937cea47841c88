"""How long the pre-flight data check takes on a large image folder: the first run (every file's
header probed) and the cached run (size + mtime compared to the per-folder cache).

Writes ``--files`` tiny images (8x8, PNG and JPEG) in ``--classes`` class folders under a
temporary folder (deleted at the end), builds ``data=image_folder``'s datamodule on it as a run
does (listing the class folders, then ``check_splits``: the check every train/inspect runs) with
an empty cache, then again with the cache, and prints files/s and the ImageNet estimate.

    OMP_NUM_THREADS=1 uv run python benchmarks/preflight_scale.py --files 100000
    uv run python benchmarks/preflight_scale.py --files 20000 --profile cached   # where its time goes

Run it in a terminal to see the check's progress bar (shown from 2,000 files to probe).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image

IMAGENET_FILES = 1_281_167


def write_folder(root: Path, files: int, classes: int) -> None:
    image = Image.new("RGB", (8, 8), (200, 30, 30))
    for index in range(files):
        folder = root / "train" / f"class_{index % classes:03d}"
        if index < classes:
            folder.mkdir(parents=True)
        if index % 2:
            image.save(folder / f"{index:07d}.png")
        else:
            image.save(folder / f"{index:07d}.jpg", quality=90)


def check(root: Path) -> tuple[float, float, object]:
    """Seconds listing the folders, seconds in the data check, and the report."""
    from nnframe.core.data import ImageFolderDataModule

    datamodule = ImageFolderDataModule(root, val_fraction=0.1, seed=0)
    start = time.perf_counter()
    datamodule._scan("train")  # the folder listing alone (cached on the datamodule for setup_splits)
    listed = time.perf_counter() - start
    datamodule.setup_splits(["train", "val"])
    return listed, time.perf_counter() - start - listed, datamodule.data_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--profile", choices=("first", "cached"), help="profile that run (top 25 by internal time)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nnframe_preflight_"))
    os.environ["NNFRAME_CACHE_DIR"] = str(work / "cache")  # an empty cache: a true first run
    try:
        start = time.perf_counter()
        write_folder(work / "data", args.files, args.classes)
        print(f"wrote {args.files} 8x8 images (half PNG, half JPEG) in {args.classes} folders "
              f"in {time.perf_counter() - start:.1f} s; {os.cpu_count()} CPUs")
        for run in ("first", "cached"):
            profiler = cProfile.Profile() if args.profile == run else None
            if profiler:
                profiler.enable()
            listed, checked, report = check(work / "data")
            if profiler:
                profiler.disable()
            total = listed + checked
            rate = args.files / total
            print(f"{run:>6} run: listing {listed:.1f} s, check {checked:.1f} s ({report.files_checked} files, "
                  f"{report.files_cached} from the cache), {total:.1f} s in all = {rate:,.0f} files/s; "
                  f"ImageNet ({IMAGENET_FILES:,} files): ~{IMAGENET_FILES / rate / 60:.1f} min")
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
