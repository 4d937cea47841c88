"""Reading a class-per-folder split (``<split>/<class>/<image>``), with a message that shows the
expected tree when the layout is not that: one level too deep, images without class folders,
an empty class folder, a single class."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nnframe.core.data.base.image_files import SYSTEM_FOLDERS, list_image_files
from nnframe.core.errors import DatasetError


def expected_tree(root: Path, split_dirs: dict[str, str]) -> str:
    """The layout an image folder must have, drawn under ``root``."""
    train, val, test = split_dirs["train"], split_dirs["val"], split_dirs["test"]
    return "\n".join([
        "expected layout:",
        f"  {root}/",
        f"    {train}/",
        "      <class 1>/  image files (.jpg, .png, ...; subfolders allowed)",
        "      <class 2>/  ...",
        f"    {val}/    optional, the same class folders (else data.val_fraction of {train}/ is held out)",
        f"    {test}/   optional, the same class folders (else {val}/ is the test split)",
    ])


@dataclass
class ClassFolderScan:
    """A split folder read as classes: ``classes`` sorted by name, ``samples`` of ``(path,
    class index)``, ``ignored`` files ``(file, reason)``."""

    classes: list[str]
    samples: list[tuple[Path, int]] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                  and p.name not in SYSTEM_FOLDERS)


def _direct_images(folder: Path) -> list[Path]:
    images, _ = list_image_files(folder, recursive=False)
    return images


def scan_class_folders(folder: Path, split: str, root: Path, split_dirs: dict[str, str],
                       min_classes: int = 2) -> ClassFolderScan:
    """The classes and images of ``folder`` (``<class>/**/<image>``).

    Args:
        folder: the split folder.
        split: ``train``, ``val`` or ``test`` (for the messages and hints).
        root: the dataset folder (``data.root``).
        split_dirs: split -> folder name (``data.train_dir``...).
        min_classes: fewer class folders than this is an error (2 for classification).

    Raises:
        DatasetError: the layout is not class-per-folder; the message shows the expected tree
            and the key to set.
    """
    tree = expected_tree(root, split_dirs)
    key = f"data.{split}_dir"
    classes = _subfolders(folder)
    loose = _direct_images(folder)
    if not classes:
        what = f"{len(loose)} images but no class folders" if loose else "no class folders and no images"
        raise DatasetError(f"{folder} holds {what}: each class needs its own folder.\n{tree}")
    if len(classes) == 1 and not _direct_images(classes[0]) and _subfolders(classes[0]):
        inner = [p.name for p in _subfolders(classes[0])]
        relative = f"{split_dirs[split]}/{classes[0].name}"
        raise DatasetError(
            f"{folder} holds one folder, {classes[0].name}/, which holds the class folders "
            f"({', '.join(inner[:8])}{', ...' if len(inner) > 8 else ''}): one level too deep. "
            f"Set {key}={relative} (and the other splits' folders alike), or move the class folders up "
            f"into {folder}.\n{tree}"
        )
    scan = ClassFolderScan([p.name for p in classes])
    empty = []
    for index, class_folder in enumerate(classes):
        images, ignored = list_image_files(class_folder)
        scan.ignored += ignored
        if not images:
            found = f" (only {', '.join(Path(f).name for f, _ in ignored[:3])})" if ignored else ""
            empty.append(f"{class_folder}{found}")
        scan.samples += [(path, index) for path in images]
    scan.ignored += [(str(p), "image outside the class folders") for p in loose]
    scan.ignored += list_image_files(folder, recursive=False)[1]  # files and system folders beside the classes
    if empty:
        raise DatasetError(
            f"{len(empty)} class folder{'s' if len(empty) > 1 else ''} of {folder} hold no images: "
            f"{'; '.join(empty[:10])}. Add images to {'them' if len(empty) > 1 else 'it'} or remove "
            f"{'them' if len(empty) > 1 else 'it'} (a class without images cannot be learnt or tested).\n{tree}"
        )
    if len(classes) < min_classes:
        raise DatasetError(
            f"{folder} has a single class folder ({classes[0].name}/): classification needs at least "
            f"{min_classes} classes, one folder each.\n{tree}"
        )
    return scan
