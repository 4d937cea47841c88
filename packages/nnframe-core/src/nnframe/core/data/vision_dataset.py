"""Base class of nnframe datasets: samples, a transform, and class names."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

from torch.utils.data import Dataset

from nnframe.core.contracts import check_members
from nnframe.core.data._contract import VISION_DATASET_MEMBERS


class VisionDataset(Dataset, ABC):
    """A dataset of ``(image, target)`` pairs with a joint transform and class names.

    A subclass provides:
        ``__len__``; ``load(index) -> (image, target)`` (a PIL image, a ``(C, H, W)`` tensor
        (uint8, or float in [0, 1]) or ``tv_tensors.Image``, and an int label, a
        ``tv_tensors.Mask`` or ``-1`` when unlabelled); ``class_names`` (a class attribute list
        or a property); and, for the dataset summary, ``targets`` (one int label per sample) if
        cheap to give. A subclass that lacks one of the first three fails when it is created,
        with an example of the missing member.

    The transform is called as ``transform(image, target)`` so that torchvision.transforms.v2
    moves a mask together with its image; plain int labels pass through it unchanged.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> VisionDataset:
        check_members(cls, "nnframe.core.data.VisionDataset", VISION_DATASET_MEMBERS)  # before ABC's bare TypeError
        return super().__new__(cls)

    def __init__(self, transform: Callable[..., Any] | None = None) -> None:
        self.transform = transform

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

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        image, target = self.load(index)
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image, target


class WrappedDataset(VisionDataset):
    """Adapts any ``(image, target)`` dataset (torchvision's CIFAR10, ImageFolder...) to
    :class:`VisionDataset`, adding a transform and class names."""

    def __init__(self, dataset: Any, class_names: Sequence[str], transform: Callable[..., Any] | None = None,
                 targets: Sequence[int] | None = None) -> None:
        super().__init__(transform)
        self.dataset = dataset
        self._class_names = list(class_names)
        self._targets = targets if targets is not None else getattr(dataset, "targets", None)

    @property
    def class_names(self) -> list[str]:
        return self._class_names

    @property
    def targets(self) -> Sequence[int] | None:
        return None if self._targets is None else [int(t) for t in self._targets]

    def __len__(self) -> int:
        return len(self.dataset)

    def load(self, index: int) -> tuple[Any, Any]:
        return self.dataset[index]
