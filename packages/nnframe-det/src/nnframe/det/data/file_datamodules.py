"""Datamodules of detection data read from files: COCO, Pascal VOC and YOLO folders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnframe.core.data.base.dataset_download import dataset_download
from nnframe.core.errors import DatasetError
from nnframe.det.data.coco_files import read_coco
from nnframe.det.data.detection_datamodule import DetectionDataModule
from nnframe.det.data.detection_dataset import BoxAnnotation, FileDetectionDataset
from nnframe.det.data.voc_files import VOC_CLASSES, read_voc_split
from nnframe.det.data.yolo_files import image_size, read_class_names, read_yolo_labels, read_yolo_split


def split_indices(count: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """A fixed random ``(train, val)`` split of ``count`` samples (at least one of each)."""
    if count < 2:
        raise DatasetError(f"cannot hold out a validation split from {count} image(s): give a val split")
    order = np.random.default_rng(seed).permutation(count)
    held = min(max(1, round(count * val_fraction)), count - 1)
    return sorted(order[held:].tolist()), sorted(order[:held].tolist())


class YoloDetectionDataset(FileDetectionDataset):
    """Images and YOLO label files; each image's size (from its header) turns the normalised rows
    into pixels, read once when first needed."""

    def __init__(self, images: Sequence[Path], label_files: Sequence[Path], class_names: Sequence[str],
                 transform: Callable[..., Any] | None = None) -> None:
        super().__init__(images, [None] * len(images), class_names, transform)  # type: ignore[list-item]
        self.label_files = [str(p) for p in label_files]

    def annotation(self, index: int) -> BoxAnnotation:
        if self._annotations[index] is None:
            self._annotations[index] = read_yolo_labels(self.label_files[index], image_size(self.images[index]))
        return self._annotations[index]

    def drop_samples(self, indices: Any) -> None:
        drop = set(indices)
        self.label_files = [p for i, p in enumerate(self.label_files) if i not in drop]
        super().drop_samples(indices)

    def load(self, index: int) -> tuple[Any, dict[str, Any]]:
        self.annotation(index)
        return super().load(index)


class FileDetectionDataModule(DetectionDataModule):
    """Shared by the file formats: where the data is, its classes, the held-out validation share.

    Args:
        root: the dataset folder.
        class_names: the classes (index = class), where the format does not name them.
        val_fraction: held out from train when there is no validation split.
        download: download the dataset (VOC) with torchvision's code.
        **kwargs: :class:`DetectionDataModule` arguments.
    """

    def __init__(self, root: str = "data", class_names: Sequence[str] | None = None, val_fraction: float = 0.1,
                 download: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.root = Path(root)
        self.given_class_names = list(class_names) if class_names else None
        self.val_fraction = val_fraction
        self.download = download

    def _held_out(self, split: str, dataset: FileDetectionDataset) -> FileDetectionDataset:
        """``dataset`` (the train files) reduced to its train or val part."""
        train, val = split_indices(len(dataset), self.val_fraction, self.seed)
        keep = set(train if split == "train" else val)
        dataset.drop_samples([i for i in range(len(dataset)) if i not in keep])
        return dataset


class CocoDataModule(FileDetectionDataModule):
    """COCO-format data: ``train_annotations`` + ``train_images``, ``val_annotations`` +
    ``val_images`` (without them: ``val_fraction`` of train), ``test_*`` (without them: val).

    Classes come from the train file's ``categories`` (sorted by id; index = class).
    """

    def __init__(self, train_annotations: str | None = None, train_images: str | None = None,
                 val_annotations: str | None = None, val_images: str | None = None,
                 test_annotations: str | None = None, test_images: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.files = {"train": (train_annotations, train_images), "val": (val_annotations, val_images),
                      "test": (test_annotations, test_images)}
        self.category_ids: list[int] | None = None

    def _read(self, split: str) -> tuple[list[Path], list[BoxAnnotation], list[str]]:
        annotations, images = self.files[split]
        if not annotations:
            raise DatasetError(f"data=coco needs data.{split}_annotations=<instances json> "
                               f"and data.{split}_images=<folder>")
        if self.category_ids is None and split != "train":
            self._read("train")
        paths, boxes, names, ids = read_coco(annotations, images or Path(annotations).parent, self.category_ids)
        if self.category_ids is None:
            self.category_ids = ids
            self.coco_names = names
        return paths, boxes, self.coco_names

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> FileDetectionDataset:
        source = split
        if split == "test" and not self.files["test"][0]:
            source = "val"
        if source == "val" and not self.files["val"][0]:
            paths, boxes, names = self._read("train")
            return self._held_out("val", FileDetectionDataset(paths, boxes, names, transform))
        paths, boxes, names = self._read(source)
        dataset = FileDetectionDataset(paths, boxes, names, transform)
        if split == "train" and not self.files["val"][0]:
            return self._held_out("train", dataset)
        return dataset


class VOCDataModule(FileDetectionDataModule):
    """Pascal VOC: ``<root>/VOCdevkit/VOC<year>``, its ``train`` and ``val`` lists (test: val).

    Args:
        year: ``2007`` or ``2012``.
        use_difficult: train on the objects marked difficult (torchvision's reader keeps them);
            False: ignored regions, as VOC's evaluation treats them.
        **kwargs: :class:`FileDetectionDataModule` arguments (``download=true``: torchvision's
            ``VOCDetection`` downloads it).
    """

    def __init__(self, year: str = "2012", use_difficult: bool = True, train_set: str = "train",
                 val_set: str = "val", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.year = str(year)
        self.use_difficult = use_difficult
        self.sets = {"train": train_set, "val": val_set, "test": val_set}

    @property
    def voc_root(self) -> Path:
        return self.root / "VOCdevkit" / f"VOC{self.year}"

    def prepare_data(self) -> None:
        if self.download and not self.voc_root.is_dir():
            from torchvision.datasets import VOCDetection
            from torchvision.datasets.voc import DATASET_YEAR_DICT

            archive = DATASET_YEAR_DICT[self.year]["url"] if self.year in DATASET_YEAR_DICT else "its archive"
            manual = (f"download {archive} and extract it under {self.root}, which gives {self.voc_root} with "
                      "JPEGImages/, Annotations/ and ImageSets/Main/")
            with dataset_download(f"Pascal VOC {self.year}", manual):
                for image_set in sorted(set(self.sets.values())):
                    VOCDetection(str(self.root), year=self.year, image_set=image_set, download=True)

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> FileDetectionDataset:
        names = self.given_class_names or list(VOC_CLASSES)
        images, annotations = read_voc_split(self.voc_root, self.sets[split], names, self.use_difficult)
        return FileDetectionDataset(images, annotations, names, transform)


class YoloDataModule(FileDetectionDataModule):
    """YOLO folders: ``<root>/images/{train,val,test}`` and ``<root>/labels/...`` (test: val;
    no val: ``val_fraction`` of train). Classes: ``class_names``, ``classes.txt`` or ``data.yaml``.
    """

    def build_dataset(self, split: str, transform: Callable[..., Any] | None) -> FileDetectionDataset:
        names = read_class_names(self.root, self.given_class_names)
        folders = {s: (self.root / "images" / s).is_dir() for s in ("train", "val", "test")}
        source = split if folders[split] else ("val" if split == "test" else split)
        held_out = source == "val" and not folders["val"] or split == "train" and not folders["val"]
        images, labels = read_yolo_split(self.root, "train" if held_out else source)
        dataset = YoloDetectionDataset(images, labels, names, transform)
        return self._held_out("val" if source == "val" else "train", dataset) if held_out else dataset
