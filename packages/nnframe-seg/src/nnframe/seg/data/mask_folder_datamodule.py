"""A user's own images and masks: ``root/<split>/images/*`` with ``root/<split>/masks/<same name>``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnframe.core.data import IMAGE_EXTENSIONS, list_image_files
from nnframe.core.errors import DatasetError
from nnframe.seg.data.mask_pairing import MaskPairing, check_suffix, pair_by_map, pair_by_name, read_mask_map
from nnframe.seg.data.segmentation_datamodule import SegmentationDataModule
from nnframe.seg.data.segmentation_dataset import SegmentationDataset


class MaskFolderDataModule(SegmentationDataModule):
    """Images with a mask of the same file stem::

        root/train/images/0001.jpg   root/train/masks/0001.png
        root/val/images/...          root/val/masks/...       (optional: else val_fraction of train)
        root/test/images/...         root/test/masks/...      (optional: else val)

    Masks named otherwise pair by suffix (``mask_suffix=_L.png``: ``0001.jpg`` with ``0001_L.png``;
    with ``image_suffix=_leftImg8bit.png``, ``X_leftImg8bit.png`` with ``X<mask_suffix>``) or by a
    mapping file (``mask_map``). Images are read upright (EXIF orientation), as the annotation
    tool showed them when the mask was drawn.

    A mask holds one class index per pixel (8-bit grey or palette PNG), 255 for pixels to ignore;
    with two classes, masks stored as 0/255 are read as 0/1; colour-coded masks need ``palette``.
    Masks in a lossy format (JPEG) are refused: their values are not the labels any more.

    Args:
        class_names: names of the classes, index = class; default: the named palette's, else
            ``background``, ``class_1``, ... from ``num_classes``.
        images_dir, masks_dir: folder names inside each split folder.
        train_dir, val_dir, test_dir: split folder names (paths below ``root``; ``.`` for a
            single split held directly in ``root``).
        mask_suffix: the end of a mask's file name after its image's name: an extension
            (``.png``) or a suffix with it (``_L.png``, ``_gtFine_labelIds.png``, ``_mask.png``);
            None: any image extension, PNG first.
        image_suffix: the end of an image's file name that ``mask_suffix`` replaces
            (``_leftImg8bit.png`` for Cityscapes' names); None: the extension.
        mask_map: a CSV of ``image,mask`` rows (paths relative to the CSV's folder) pairing the
            images with masks anywhere; replaces the pairing by name (``masks_dir`` unused).
        **kwargs: :class:`SegmentationDataModule` arguments (``root``, ``num_classes``,
            ``palette``...).
    """

    def __init__(self, class_names: Sequence[str] | None = None, images_dir: str = "images", masks_dir: str = "masks",
                 train_dir: str = "train", val_dir: str = "val", test_dir: str = "test",
                 mask_suffix: str | None = None, image_suffix: str | None = None, mask_map: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check_suffix("data.mask_suffix", mask_suffix)
        check_suffix("data.image_suffix", image_suffix)
        num_classes = self.expected_num_classes
        if class_names is None and self.palette is not None and self.palette.class_names is not None \
                and num_classes in (None, len(self.palette.class_names)):
            class_names = self.palette.class_names
        if class_names is None and self.palette is not None and num_classes is None:
            num_classes = len(self.palette.colours)
        if class_names is None and num_classes is None:
            raise DatasetError("the mask folder needs data.num_classes=<N> (background included) or "
                               "data.class_names=[background,...] (or data.palette for colour masks)")
        self.folder_class_names = (
            list(class_names) if class_names is not None
            else ["background", *(f"class_{i}" for i in range(1, int(num_classes or 0)))]
        )
        self.images_dir = images_dir
        self.masks_dir = masks_dir
        self.split_dirs = {"train": train_dir, "val": val_dir, "test": test_dir}
        self.mask_suffix = mask_suffix
        self.image_suffix = image_suffix
        self.mask_map = Path(mask_map) if mask_map else None
        self._pairing_hints: dict[str, str] = {}
        self.available_splits = tuple(s for s in ("train", "val", "test") if self._split_folder(s) is not None)

    def _split_folder(self, split: str) -> Path | None:
        folder = self.root / self.split_dirs[split]
        return folder if (folder / self.images_dir).is_dir() else None

    def expected_tree(self) -> str:
        train, val, test = (self.split_dirs[s] for s in ("train", "val", "test"))
        return "\n".join([
            "expected layout:",
            f"  {self.root}/",
            f"    {train}/{self.images_dir}/  0001.jpg, 0002.png, ... (subfolders allowed)",
            f"    {train}/{self.masks_dir}/   0001.png, 0002.png, ... one class index per pixel, same name, same size",
            f"    {val}/{self.images_dir}/, {val}/{self.masks_dir}/     optional (else data.val_fraction of {train}/)",
            f"    {test}/{self.images_dir}/, {test}/{self.masks_dir}/   optional (else {val}/)",
        ])

    def prepare_data(self) -> None:
        if self._split_folder("train") is not None:
            return
        train = self.root / self.split_dirs["train"]
        if not self.root.is_dir():
            hint = f"data.root={self.root} does not exist"
        elif (self.root / self.images_dir).is_dir():
            hint = (f"{self.root} holds {self.images_dir}/ directly: set data.train_dir=. to use it as the training "
                    "split (data.val_fraction held out), or move it into train/")
        elif train.is_dir():
            found = ", ".join(sorted(p.name + "/" for p in train.iterdir() if p.is_dir())) or "no folders"
            hint = (f"{train} holds {found}: name the image and mask folders with data.images_dir=... "
                    "data.masks_dir=...")
        else:
            hint = f"no {train} folder"
        raise DatasetError(f"no {train / self.images_dir} folder: {hint}.\n{self.expected_tree()}")

    @property
    def missing_files_hint(self) -> str | None:
        """How to pair the images the data check found without a mask (the key to set)."""
        hints = list(dict.fromkeys(self._pairing_hints.values()))
        return "; ".join(hints) or None

    def _pair(self, images: list[Path], image_dir: Path, mask_dir: Path) -> MaskPairing:
        if self.mask_map is not None:
            return pair_by_map(images, read_mask_map(self.mask_map), self.mask_map)
        if not mask_dir.is_dir():
            raise DatasetError(f"no {mask_dir} folder beside {image_dir} (set data.masks_dir if it has another "
                               f"name, or data.mask_map=<csv of image,mask rows>).\n{self.expected_tree()}")
        masks, _ = list_image_files(mask_dir)
        return pair_by_name(images, image_dir, masks, mask_dir, self.mask_suffix, self.image_suffix)

    def load_split(self, split: str) -> SegmentationDataset:
        self.prepare_data()
        folder = self._split_folder(split)
        assert folder is not None
        image_dir, mask_dir = folder / self.images_dir, folder / self.masks_dir
        images, ignored = list_image_files(image_dir)
        if not images:
            raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {image_dir}.\n{self.expected_tree()}")
        pairing = self._pair(images, image_dir, mask_dir)
        if pairing.hint:  # the images without a mask: reported by the data check, with this hint
            self._pairing_hints[split] = pairing.hint
        if self.mask_map is None:
            ignored += list_image_files(mask_dir)[1]
        ignored += [(str(mask), "mask without an image") for mask in pairing.unused_masks]
        dataset = SegmentationDataset(pairing.samples, self.folder_class_names, ignore_index=self.ignore_index,
                                      binary_255=self.binary_255, image_mode=self.image_mode, palette=self.palette)
        dataset.ignored_files = ignored
        return dataset
