"""Base classes of nnframe datasets: samples, a transform, class names, and (for datasets read
from files) the files each sample comes from, which the pre-flight check probes."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset, Subset

from nnframe.core.contracts import check_members
from nnframe.core.data.base._contract import VISION_DATASET_MEMBERS
from nnframe.core.errors import DatasetError


class VisionDataset(Dataset, ABC):
    """A dataset of ``(image, target)`` pairs with a joint transform and class names.

    A subclass provides:
        ``__len__``; ``load(index) -> (image, target)`` (a PIL image, a ``(C, H, W)`` tensor
        (uint8, or float in [0, 1]) or ``tv_tensors.Image``, and an int label, a multi-hot float
        tensor (multi-label), a ``tv_tensors.Mask`` or ``-1`` when unlabelled); ``class_names`` (a
        class attribute list or a property); and, for the dataset summary, ``targets`` (one int
        label per sample) if cheap to give. A subclass that lacks one of the first three fails
        when it is created, with an example of the missing member.

    The transform is called as ``transform(image, target)`` so that torchvision.transforms.v2
    moves a mask together with its image; plain int labels pass through it unchanged.
    """

    #: What each of a sample's files is (``image``, ``label``); empty for in-memory data.
    file_kinds: tuple[str, ...] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> VisionDataset:
        check_members(cls, "nnframe.core.data.VisionDataset", VISION_DATASET_MEMBERS)  # before ABC's bare TypeError
        return super().__new__(cls)

    def __init__(self, transform: Callable[..., Any] | None = None) -> None:
        self.transform = transform
        #: ``(file, reason)`` of files found beside the data but not used (counted in the summary).
        self.ignored_files: list[tuple[str, str]] = []

    @property
    @abstractmethod
    def class_names(self) -> list[str]:
        """Names of the classes, index = label."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def load(self, index: int) -> tuple[Any, Any]:
        """Return the untransformed ``(image, target)`` of sample ``index``."""

    @property
    def targets(self) -> Sequence[int] | None:
        """One class label per sample, for class counts; None if not available cheaply."""
        return None

    def label_counts(self) -> list[int] | None:
        """Samples per class (per label for multi-label data); None if not available cheaply."""
        targets = self.targets
        if targets is None:
            return None
        counts = [0] * len(self.class_names)
        for target in targets:
            if 0 <= int(target) < len(counts):
                counts[int(target)] += 1
        return counts

    def sample_files(self) -> list[tuple[Path, ...]] | None:
        """Per sample, the files it is read from, in ``file_kinds`` order; None for in-memory data."""
        return None

    def drop_samples(self, indices: Collection[int]) -> None:
        """Leave out the samples at ``indices`` (files the pre-flight check found unusable)."""
        raise DatasetError(f"{type(self).__name__} cannot leave out unreadable files; delete or replace them")

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.load(index)
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image, target


class FileVisionDataset(VisionDataset):
    """A dataset whose ``samples`` are tuples starting with its files (``file_kinds`` of them),
    e.g. ``(image path, label)`` or ``(image path, mask path)``."""

    file_kinds: tuple[str, ...] = ("image",)

    def __init__(self, samples: Sequence[tuple[Any, ...]], transform: Callable[..., Any] | None = None) -> None:
        super().__init__(transform)
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def sample_files(self) -> list[tuple[Path, ...]]:
        count = len(self.file_kinds)
        return [tuple(as_path(p) for p in sample[:count]) for sample in self.samples]

    def drop_samples(self, indices: Collection[int]) -> None:
        drop = set(indices)
        self.samples = [sample for i, sample in enumerate(self.samples) if i not in drop]


def as_path(path: str | Path) -> Path:
    """``path`` as a ``Path``, without parsing it again when it is one (on a folder of a million
    images, re-wrapping paths was most of the cached pre-flight check: benchmarks/preflight_scale.py)."""
    return path if isinstance(path, Path) else Path(path)


def _file_samples(dataset: Any) -> list[Any] | None:
    """``(path, label)`` samples of a torchvision folder dataset (ImageFolder, Imagenette)."""
    for name in ("samples", "_samples", "imgs"):
        samples = getattr(dataset, name, None)
        if isinstance(samples, list) and samples and isinstance(samples[0], tuple):
            return samples
    return None


class WrappedDataset(VisionDataset):
    """Adapts any ``(image, target)`` dataset (torchvision's CIFAR10, ImageFolder...) to
    :class:`VisionDataset`, adding a transform and class names."""

    def __init__(self, dataset: Any, class_names: Sequence[str], transform: Callable[..., Any] | None = None,
                 targets: Sequence[int] | None = None) -> None:
        super().__init__(transform)
        self.dataset = dataset
        self._class_names = list(class_names)
        self._targets = targets if targets is not None else getattr(dataset, "targets", None)
        self.file_kinds = ("image",) if self._source_samples() is not None else ()

    def _source_samples(self) -> list[Any] | None:
        source, indices = self.dataset, None
        if isinstance(source, Subset):
            source, indices = source.dataset, list(source.indices)
        samples = _file_samples(source)
        if samples is None:
            return None
        return samples if indices is None else [samples[i] for i in indices]

    @property
    def class_names(self) -> list[str]:
        return self._class_names

    @property
    def targets(self) -> Sequence[int] | None:
        return None if self._targets is None else [int(t) for t in self._targets]

    def sample_files(self) -> list[tuple[Path, ...]] | None:
        samples = self._source_samples()
        return None if samples is None else [(as_path(sample[0]),) for sample in samples]

    def __len__(self) -> int:
        return len(self.dataset)

    def load(self, index: int) -> tuple[Any, Any]:
        try:
            return self.dataset[index]
        except (OSError, SyntaxError, ValueError) as error:
            samples = self._source_samples()
            if samples is None:
                raise
            raise DatasetError(f"cannot read image {samples[index][0]}: {error}. Delete or replace the file "
                               "(the pre-flight check reads headers only; data.decode_check=true decodes "
                               "every image before training).") from error
