"""Standard labelled datasets through torchvision, with the real download code and clear
errors when the files are missing.

Integrity: torchvision checks archive checksums when it downloads; on load we only check that
the expected files exist (so the loaders also work on small files in the same format, as the
tests generate).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from torchvision import datasets

from nnframe.core.errors import DatasetError


class _ExistenceCheckedCIFAR:
    """CIFAR loading that checks files exist instead of their checksums (kept for downloads)."""

    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        return all((folder / name).is_file() for name, _ in self.train_list + self.test_list)

    def _load_meta(self) -> None:
        path = Path(self.root) / self.base_folder / self.meta["filename"]
        if not path.is_file():
            raise RuntimeError(f"metadata file {path} not found")
        with open(path, "rb") as handle:
            data = pickle.load(handle, encoding="latin1")
        self.classes = data[self.meta["key"]]
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}


class _CIFAR10(_ExistenceCheckedCIFAR, datasets.CIFAR10):
    pass


class _CIFAR100(_ExistenceCheckedCIFAR, datasets.CIFAR100):
    pass


class _STL10(datasets.STL10):
    def _check_integrity(self) -> bool:
        folder = Path(self.root) / self.base_folder
        return all((folder / name).is_file() for name, _ in self.train_list + self.test_list)


class _Imagenette(datasets.Imagenette):
    """Imagenette with one readable name per class (torchvision gives tuples of synonyms) and
    ``targets`` (for the class counts and seeded subsets)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes = [names[0] for names in self.classes]
        self.targets = [label for _, label in self._samples]


@dataclass(frozen=True)
class TorchvisionDatasetInfo:
    """How to load one torchvision dataset: its class, folder under the data root, and split kwargs."""

    factory: Callable[..., Any]
    folder: str
    splits: dict[str, dict[str, Any]]
    url_hint: str


def _imagenette(size: str, folder: str) -> TorchvisionDatasetInfo:
    """Imagenette at one of its sizes: ``<folder>/{train,val}/<wnid>/*.JPEG``. It has no
    test split: its ``val`` split serves as the test split too (as in the benchmarks)."""
    val = {"split": "val"}
    return TorchvisionDatasetInfo(partial(_Imagenette, size=size), folder,
                                  {"train": {"split": "train"}, "val": val, "test": val},
                                  f"https://s3.amazonaws.com/fast-ai-imageclas/{folder}.tgz")


TORCHVISION_DATASETS: dict[str, TorchvisionDatasetInfo] = {
    "cifar10": TorchvisionDatasetInfo(_CIFAR10, "cifar-10-batches-py", {"train": {"train": True}, "test": {"train": False}},
                                      "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"),
    "cifar100": TorchvisionDatasetInfo(_CIFAR100, "cifar-100-python", {"train": {"train": True}, "test": {"train": False}},
                                       "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"),
    "mnist": TorchvisionDatasetInfo(datasets.MNIST, "MNIST/raw", {"train": {"train": True}, "test": {"train": False}},
                                    "http://yann.lecun.com/exdb/mnist/"),
    "fashion_mnist": TorchvisionDatasetInfo(datasets.FashionMNIST, "FashionMNIST/raw",
                                            {"train": {"train": True}, "test": {"train": False}},
                                            "https://github.com/zalandoresearch/fashion-mnist"),
    "stl10": TorchvisionDatasetInfo(_STL10, "stl10_binary",
                                    {"train": {"split": "train"}, "test": {"split": "test"},
                                     "unlabeled": {"split": "unlabeled"}, "train+unlabeled": {"split": "train+unlabeled"}},
                                    "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"),
    # Imagenette (10 easy ImageNet classes, https://github.com/fastai/imagenette) at full size,
    # shortest side 320 px, or 160 px.
    "imagenette": _imagenette("full", "imagenette2"),
    "imagenette_320": _imagenette("320px", "imagenette2-320"),
    "imagenette_160": _imagenette("160px", "imagenette2-160"),
}


def download_torchvision_dataset(name: str, root: str | Path) -> None:
    """Download ``name`` into ``root`` with torchvision's own code (needs a network)."""
    info = _info(name)
    for kwargs in info.splits.values():
        info.factory(root=str(root), download=True, **kwargs)


def load_torchvision_dataset(name: str, root: str | Path, split: str) -> Any:
    """The raw torchvision dataset (no transform) of ``split``.

    Raises:
        DatasetError: the files are missing (with the download hint) or unreadable.
    """
    info = _info(name)
    if split not in info.splits:
        raise DatasetError(f"{name} has no split {split!r}; splits: {', '.join(info.splits)}")
    folder = Path(root) / info.folder
    if not folder.is_dir():
        raise DatasetError(
            f"{name} not found: expected its files in {folder}. Add data.download=true to download it "
            f"(needs a network), or download {info.url_hint} and extract it under {Path(root)} "
            f"(data.root={root}; NNFRAME_DATA_DIR sets the data root for all datasets)."
        )
    try:
        return info.factory(root=str(root), download=False, **info.splits[split])
    except (RuntimeError, OSError, ValueError, EOFError, KeyError) as error:
        raise DatasetError(f"cannot load {name} from {folder}: {error}. Re-download it (data.download=true).") from error
    except Exception as error:  # unpickling a damaged CIFAR batch raises anything
        raise DatasetError(f"cannot load {name} from {folder}: {error!r}. Re-download it.") from error


def _info(name: str) -> TorchvisionDatasetInfo:
    if name not in TORCHVISION_DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of {', '.join(TORCHVISION_DATASETS)}")
    return TORCHVISION_DATASETS[name]


def dataset_class_names(dataset: Any) -> list[str]:
    """Class names of a torchvision dataset (``classes`` attribute), else their indices."""
    classes = getattr(dataset, "classes", None)
    if classes:
        return [str(c) for c in classes]
    targets = getattr(dataset, "targets", None) or getattr(dataset, "labels", [])
    return [str(i) for i in range(int(max(targets)) + 1)] if len(targets) else []
