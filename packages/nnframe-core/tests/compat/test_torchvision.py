"""Loud tests of nnframe.core.compat.torchvision: torchvision's constructors still call the
private hooks the mixins replace, and the private sample lists hold what nnframe reads."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from torchvision import datasets

from nnframe.core.compat import torchvision as compat
from nnframe.core.testing.datasets import write_imagenette
from nnframe.core.testing.image_files import write_cifar10, write_mnist


@pytest.mark.parametrize(("dataset", "hooks"), [
    (datasets.CIFAR10, ("_check_integrity", "_load_meta")),
    (datasets.CIFAR100, ("_check_integrity", "_load_meta")),
    (datasets.STL10, ("_check_integrity",)),
    (datasets.MNIST, ("_check_exists", "_load_data")),
    (datasets.FashionMNIST, ("_check_exists", "_load_data")),
])
def test_the_constructors_call_the_private_hooks_the_mixins_replace(dataset: type, hooks: tuple[str, ...]) -> None:
    source = inspect.getsource(dataset.__init__)
    for hook in hooks:
        assert callable(getattr(dataset, hook, None)), f"torchvision's {dataset.__name__} has no {hook} any more"
        assert f"self.{hook}()" in source, f"torchvision's {dataset.__name__}.__init__ no longer calls {hook}"


def test_cifar_files_that_fail_the_checksums_load_through_the_mixins(tmp_path: Path) -> None:
    write_cifar10(tmp_path)  # the layout, not the published bytes
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        datasets.CIFAR10(str(tmp_path), train=True)

    class Checked(compat.FilesExistIntegrity, compat.CifarMetaFile, datasets.CIFAR10):
        def files_exist(self) -> bool:
            return True

        def load_meta(self) -> None:
            self.classes = ["a"] * 10

    dataset = Checked(str(tmp_path), train=True)
    assert len(dataset) == 40 and dataset.classes == ["a"] * 10


def test_mnist_loads_through_the_mixin(tmp_path: Path) -> None:
    write_mnist(tmp_path, count=4)
    calls = []

    class Loaded(compat.IdxFilesLoader, datasets.MNIST):
        def files_exist(self) -> bool:
            calls.append("exists")
            return True

        def load_data(self):
            calls.append("data")
            import torch
            return torch.zeros(3, 28, 28, dtype=torch.uint8), torch.zeros(3, dtype=torch.long)

    assert len(Loaded(str(tmp_path), train=True)) == 3 and calls == ["exists", "data"]


def test_imagenette_samples_are_its_paths_and_labels(tmp_path: Path) -> None:
    write_imagenette(tmp_path)
    dataset = datasets.Imagenette(str(tmp_path), split="train", size="160px")
    samples = compat.imagenette_samples(dataset)
    assert len(samples) == len(dataset) == 6
    path, label = samples[0]
    assert Path(path).is_file() and dataset[0][1] == label


def test_oxford_pet_segmentation_samples_are_the_image_and_trimap_paths() -> None:
    source = inspect.getsource(datasets.OxfordIIITPet.__init__)
    assert "self._images" in source and "self._segs" in source, "OxfordIIITPet no longer keeps _images/_segs"
