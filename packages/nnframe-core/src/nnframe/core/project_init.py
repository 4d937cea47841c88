"""``nnframe init DIR``: a starter project of your own that trains at once.

It writes ``configs/`` (a data config and an experiment that overlay the installed ``cls``
task's groups), a package with a ``VisionDataModule`` / ``VisionDataset`` pair reading images
listed in a CSV, a generated data set in that format (the embedded shapes as PNG files, nothing
downloaded), a test and a README. The files come from ``nnframe/core/project_template``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import keyword
import re
import sys
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from nnframe.core.errors import ConfigError

TEMPLATE_PACKAGE = "nnframe.core.project_template"
PLACEHOLDER = "__PKG__"
SPLIT_SIZES = {"train": 1000, "val": 200, "test": 200}
IMAGE_SIZE = 32


def package_name(folder: Path, name: str | None = None) -> str:
    """The Python package name of the project: ``name``, else the folder's name made an identifier.

    Raises:
        ConfigError: not an identifier, or the name of a module Python already finds (the
            project's package would hide it, or be hidden by it).
    """
    if name is None:
        name = re.sub(r"\W", "_", folder.name.strip().lower()).strip("_") or "my_project"
        if name[0].isdigit():
            name = f"project_{name}"
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ConfigError(f"--name {name!r} is not a Python package name: use letters, digits and _")
    if name in sys.stdlib_module_names or _importable_elsewhere(name, folder):
        raise ConfigError(f"a module named {name!r} is already importable here, and the project's package "
                          f"would clash with it: choose another with --name, e.g. --name {name}_project")
    return name


def _importable_elsewhere(name: str, folder: Path) -> bool:
    """Whether Python already finds a module ``name`` (other than the empty project folder itself,
    seen as a namespace package when its parent is on ``sys.path``)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return True
    if spec is None:
        return False
    locations = {Path(p).resolve() for p in (spec.submodule_search_locations or [])}
    return not (spec.origin in (None, "namespace") and locations == {folder.resolve()})


def _template_files(root: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    """``(relative path, file)`` of every template file (``.tmpl`` files, recursively)."""
    found = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and entry.name != "__pycache__":
            found += _template_files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".tmpl"):
            found.append((f"{prefix}{entry.name}", entry))
    return found


def write_template(target: Path, package: str) -> list[Path]:
    """Write the template files into ``target`` with the package name filled in."""
    written = []
    for relative, source in _template_files(files(TEMPLATE_PACKAGE)):
        name = relative.removesuffix(".tmpl").replace(PLACEHOLDER, package)
        if name == "gitignore":
            name = ".gitignore"
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source.read_text().replace(PLACEHOLDER, package))
        written.append(path)
    return written


def write_starter_data(data_dir: Path, seed: int = 0) -> Path:
    """The embedded shapes as PNG files under ``data_dir/images/<split>/`` and ``labels.csv``
    (``file,label,split``, paths relative to ``data_dir``).

    Returns:
        The CSV file.
    """
    from PIL import Image

    from nnframe.core.data.synthetic.shapes import SHAPE_NAMES, generate_shapes

    rows = []
    for offset, (split, size) in enumerate(SPLIT_SIZES.items()):
        arrays = generate_shapes(size, image_size=IMAGE_SIZE, seed=seed * 10 + offset)
        folder = data_dir / "images" / split
        folder.mkdir(parents=True, exist_ok=True)
        for index, (image, label) in enumerate(zip(arrays.images, arrays.labels, strict=True)):
            relative = f"images/{split}/{index:05d}.png"
            Image.fromarray(image).save(data_dir / relative)
            rows.append((relative, SHAPE_NAMES[int(label)], split))
    csv_path = data_dir / "labels.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "label", "split"])
        writer.writerows(rows)
    return csv_path


def init_project(target: str | Path, name: str | None = None) -> tuple[Path, str]:
    """Write a starter project into ``target`` (created; must be empty if it exists).

    Returns:
        ``(the project folder, its package name)``.

    Raises:
        ConfigError: ``target`` is a file or a non-empty folder, or the name does not fit.
    """
    target = Path(target).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target} already exists and is not empty: give a new folder name")
    package = package_name(target, name)
    target.mkdir(parents=True, exist_ok=True)
    write_template(target, package)
    write_starter_data(target / "data")
    return target, package


def init_main(argv: list[str]) -> int:
    """``nnframe init DIR [--name PACKAGE]``; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="nnframe init",
        description="Write a starter nnframe project: configs/, a datamodule of your own, generated data, a README.")
    parser.add_argument("dir", help="the project folder to create (new, or empty)")
    parser.add_argument("--name", help="the project's Python package name (default: from the folder name)")
    args = parser.parse_args(argv)
    try:
        folder, package = init_project(args.dir, args.name)
    except ConfigError as error:
        print(f"nnframe: error: {error}", file=sys.stderr)
        return 2
    total = sum(SPLIT_SIZES.values())
    shown = args.dir if not Path(args.dir).is_absolute() else str(folder)
    print(f"wrote {folder}: configs/, {package}/ (CsvImageDataModule, CsvImageDataset), "
          f"data/ ({total} images, labels.csv), tests/, README.md\n"
          f"train it:\n  cd {shown}\n  nnframe cls train --config-dir configs experiment={package}")
    return 0
