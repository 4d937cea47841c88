"""Private torchvision attributes nnframe relies on (see :mod:`nnframe.core.compat`).

torchvision's dataset classes check checksums and read their files in private methods that
their constructors call; nnframe's dataset classes (``nnframe.core.data.labelled.torchvision_datasets``)
replace them through the mixins here, which forward to public-named methods of their own.
"""

from __future__ import annotations

from typing import Any

import torch


class FilesExistIntegrity:
    """For ``CIFAR10``/``CIFAR100``/``STL10``: torchvision's checksum check becomes the class's
    ``files_exist()``.

    Why: their constructors call the private ``_check_integrity`` (every archive member's MD5)
    before loading, so files in the same format but not the published bytes (the tests' small
    files) are refused; torchvision has no option to skip it. Upstream: no upstream issue yet.
    """

    def files_exist(self) -> bool:
        raise NotImplementedError

    def _check_integrity(self) -> bool:
        return self.files_exist()


class CifarMetaFile:
    """For ``CIFAR10``/``CIFAR100``: torchvision's meta-file loading becomes the class's ``load_meta()``.

    Why: the constructor reads ``batches.meta`` in the private ``_load_meta``, which checks its
    checksum again and fails with a bare "Dataset metadata file not found or corrupted".
    Upstream: no upstream issue yet.
    """

    def load_meta(self) -> None:
        raise NotImplementedError

    def _load_meta(self) -> None:
        self.load_meta()


class IdxFilesLoader:
    """For ``MNIST``/``FashionMNIST``: torchvision's file check and loading become the class's
    ``files_exist()`` and ``load_data()``.

    Why: the constructor calls the private ``_check_exists`` (extracted files only, not the
    ``.gz`` files as downloaded) and ``_load_data``. Upstream: no upstream issue yet.
    """

    def files_exist(self) -> bool:
        raise NotImplementedError

    def load_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _check_exists(self) -> bool:
        return self.files_exist()

    def _load_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.load_data()


def imagenette_samples(dataset: Any) -> list[tuple[str, int]]:
    """``(path, label)`` of every image of a ``torchvision.datasets.Imagenette``.

    Why: Imagenette keeps its samples only in the private ``_samples`` (no ``targets``), and
    reading each label through ``__getitem__`` would decode every image. Upstream: no upstream
    issue yet.
    """
    return list(dataset._samples)


def oxford_pet_segmentation_samples(dataset: Any) -> list[tuple[Any, Any]]:
    """``(image path, trimap path)`` of every image of a ``torchvision.datasets.OxfordIIITPet``
    made with ``target_types="segmentation"``.

    Why: the paths are only in the private ``_images`` and ``_segs``; ``__getitem__`` decodes
    both files. Upstream: no upstream issue yet.
    """
    return list(zip(dataset._images, dataset._segs, strict=True))
