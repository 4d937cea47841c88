"""Pairing each image with its mask file: by name (the image's name, or its name with a suffix:
CamVid's ``X_L.png``, Cityscapes' ``X_gtFine_labelIds.png``), or by a mapping CSV of
``image,mask`` rows; and, for images left without a mask, the setting that would pair them."""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nnframe.core.data import IMAGE_EXTENSIONS
from nnframe.core.errors import ConfigError, DatasetError


@dataclass
class MaskPairing:
    """The result of pairing a split's images with masks.

    Args:
        samples: ``(image, mask)`` for every image; an image without a mask has the path its mask
            would have (which does not exist: the data check reports it with ``hint``).
        unpaired: the images without a mask.
        unused_masks: mask files no image claimed.
        hint: how to pair the unpaired images (the key to set), None when all are paired.
    """

    samples: list[tuple[Path, Path]] = field(default_factory=list)
    unpaired: list[Path] = field(default_factory=list)
    unused_masks: list[Path] = field(default_factory=list)
    hint: str | None = None


def check_suffix(key: str, suffix: str | None) -> None:
    """Refuse a suffix without an extension (``_L`` for ``_L.png``), which would match nothing.

    Raises:
        ConfigError: names the key and a value that works.
    """
    if suffix is not None and ("." not in suffix or suffix.endswith(".") or "/" in suffix):
        raise ConfigError(f"{key}={suffix!r} must be the end of the file names, extension included "
                          f"(e.g. {key}=_L.png for masks named 0001_L.png, {key}=.png for 0001.png)")


def _strip(name: str, suffix: str) -> str | None:
    """``name`` without ``suffix`` (compared case-insensitively), None when it does not end so."""
    return name[:-len(suffix)] if name.lower().endswith(suffix.lower()) and len(name) > len(suffix) else None


def _image_key(relative: Path, image_suffix: str | None) -> str | None:
    """The name an image's mask starts with: its relative path without ``image_suffix`` (else
    without its extension)."""
    if image_suffix is None:
        return relative.with_suffix("").as_posix()
    stripped = _strip(relative.name, image_suffix)
    return None if stripped is None else (relative.parent / stripped).as_posix()


def _masks_by_key(masks: Sequence[Path], mask_dir: Path, mask_suffix: str | None) -> dict[str, Path]:
    """Mask files by the image key they pair with: their relative path without ``mask_suffix``
    (else without their extension, PNG preferred when several share a name)."""
    found: dict[str, Path] = {}
    if mask_suffix is not None:
        for mask in masks:
            relative = mask.relative_to(mask_dir)
            stripped = _strip(relative.name, mask_suffix)
            if stripped is not None:
                found[(relative.parent / stripped).as_posix()] = mask
        return found
    for suffix in reversed([".png", *IMAGE_EXTENSIONS]):
        for mask in masks:
            if mask.suffix.lower() == suffix:
                found[mask.relative_to(mask_dir).with_suffix("").as_posix()] = mask
    return found


def pair_by_name(images: Sequence[Path], image_dir: Path, masks: Sequence[Path], mask_dir: Path,
                 mask_suffix: str | None = None, image_suffix: str | None = None) -> MaskPairing:
    """Pair each image with the mask of its name: ``<name><mask_suffix>`` in the same subfolder of
    ``mask_dir``, where ``<name>`` is the image's name without ``image_suffix`` (default: without
    its extension); ``mask_suffix=None``: the image's name with any image extension, PNG first."""
    by_key = _masks_by_key(masks, mask_dir, mask_suffix)
    pairing = MaskPairing()
    for image in images:
        relative = image.relative_to(image_dir)
        key = _image_key(relative, image_suffix)
        mask = by_key.pop(key, None) if key is not None else None
        if mask is None:
            pairing.unpaired.append(image)
            expected = (key if key is not None else relative.with_suffix("").as_posix()) + (mask_suffix or ".png")
            mask = mask_dir / expected
        pairing.samples.append((image, mask))
    pairing.unused_masks = sorted(by_key.values())
    if pairing.unpaired:
        pairing.hint = _name_hint(pairing.unpaired, image_dir, masks, mask_dir, mask_suffix, image_suffix)
    return pairing


def _suffix_candidates(unpaired: Sequence[Path], image_dir: Path, masks: Sequence[Path],
                       mask_dir: Path) -> Counter[tuple[str | None, str]]:
    """``(image_suffix, mask_suffix)`` settings and how many unpaired images each would pair.

    Each mask name is split at every position whose beginning is an unpaired image's name (or
    that name without its last ``_part``: Cityscapes' ``X_leftImg8bit.png``): linear in the
    number of files, for folders of many thousands."""
    bases: dict[tuple[str, str], list[str | None]] = {}
    for image in unpaired:
        relative = image.relative_to(image_dir)
        folder, stem = relative.parent.as_posix(), relative.stem
        bases.setdefault((folder, stem), []).append(None)
        if "_" in stem.strip("_"):
            cut = stem.rindex("_")
            bases.setdefault((folder, stem[:cut]), []).append(stem[cut:] + relative.suffix)
    counts: Counter[tuple[str | None, str]] = Counter()
    for mask in masks:
        relative = mask.relative_to(mask_dir)
        folder, name = relative.parent.as_posix(), relative.name
        for cut in range(1, len(name)):
            suffix = name[cut:]
            if "." not in suffix:
                break
            for image_suffix in bases.get((folder, name[:cut]), ()):
                counts[(image_suffix, suffix)] += 1
    return counts


def _name_hint(unpaired: Sequence[Path], image_dir: Path, masks: Sequence[Path], mask_dir: Path,
               mask_suffix: str | None, image_suffix: str | None) -> str:
    counts = _suffix_candidates(unpaired, image_dir, masks, mask_dir)
    if counts:
        # the setting that pairs the most images; ties: the one that keeps the image's whole name
        (best_image, best_mask), paired = max(counts.items(), key=lambda item: (item[1], item[0][0] is None))
        example = unpaired[0].relative_to(image_dir)
        settings = f"data.mask_suffix={best_mask}" + (f" data.image_suffix={best_image}" if best_image else "")
        return (f"the masks in {mask_dir} are named <image name>{best_mask}"
                + (f" (image names ending in {best_image})" if best_image else "")
                + f": set {settings} (pairs {paired} of these {len(unpaired)} images, e.g. {example})")
    expected = f"<image name>{mask_suffix or '.png'}"
    if not masks:
        return f"{mask_dir} holds no mask files: add masks named {expected} (or set data.masks_dir)"
    return (f"each mask must be named {expected} in {mask_dir}"
            + (f" (the image names ending in {image_suffix})" if image_suffix else "")
            + ": rename them, set data.mask_suffix=<end of the mask file names> (e.g. _mask.png for "
            "0001_mask.png), or list the pairs in a CSV of image,mask rows and set data.mask_map=<csv>")


def read_mask_map(csv_path: str | Path) -> dict[str, Path]:
    """The pairs of a mapping file: a CSV with ``image`` and ``mask`` columns, paths relative to
    the CSV's folder (or absolute).

    Returns:
        ``real path of the image -> mask path``.

    Raises:
        DatasetError: the file is missing, lacks a column, or names an image twice.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"mask map not found: {csv_path} (data.mask_map=<csv with image,mask rows>)")
    base = csv_path.parent
    pairs: dict[str, Path] = {}
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in ("image", "mask") if name not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{csv_path} has no column {' and no column '.join(repr(m) for m in missing)} (its "
                               f"header: {', '.join(reader.fieldnames or []) or 'none'}): data.mask_map needs a "
                               "header row 'image,mask' and one row per image")
        for line, row in enumerate(reader, start=2):
            image, mask = (row.get("image") or "").strip(), (row.get("mask") or "").strip()
            if not image or not mask:
                raise DatasetError(f"{csv_path} line {line}: an empty image or mask cell; give both paths")
            key = os.path.realpath(base / image)
            if key in pairs:
                raise DatasetError(f"{csv_path} line {line}: image {image} is listed twice; give one mask per image")
            pairs[key] = base / mask
    return pairs


def pair_by_map(images: Sequence[Path], pairs: dict[str, Path], csv_path: str | Path) -> MaskPairing:
    """Pair each image with the mask ``pairs`` (from :func:`read_mask_map`) gives it."""
    csv_path = Path(csv_path)
    pairing = MaskPairing()
    for image in images:
        mask = pairs.get(os.path.realpath(image))
        if mask is None:
            pairing.unpaired.append(image)
            # a path that does not exist, so that the data check lists it under the CSV's name
            mask = csv_path.with_name(f"{csv_path.name} has no row for {image.name}")
        pairing.samples.append((image, mask))
    count = len(pairing.unpaired)
    if count:
        pairing.hint = (f"{count} image{' is' if count == 1 else 's are'} not in data.mask_map={csv_path}: add an "
                        "image,mask row for each (paths relative to the CSV's folder)")
    return pairing
