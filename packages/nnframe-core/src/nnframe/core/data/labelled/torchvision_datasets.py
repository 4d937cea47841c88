"""Standard labelled datasets through torchvision, with the real download code and clear
errors when the files are missing.

Integrity: torchvision checks archive checksums when it downloads; on load we only check that
the expected files exist (so the loaders also work on small files in the same format, as the
tests generate).
"""

from __future__ import annotations

import gzip
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torchvision import datasets

from nnframe.core.compat.torchvision import (
    CifarMetaFile,
    FilesExistIntegrity,
    IdxFilesLoader,
    imagenette_samples,
)
from nnframe.core.data.base.dataset_download import dataset_download
from nnframe.core.data.base.image_files import load_image
from nnframe.core.errors import DatasetError


class _ExistenceCheckedCIFAR(FilesExistIntegrity, CifarMetaFile):
    """CIFAR loading that checks files exist instead of their checksums (kept for downloads)."""

    def files_exist(self) -> bool:
        folder = Path(self.root) / self.base_folder
        return all((folder / name).is_file() for name, _ in self.train_list + self.test_list)

    def load_meta(self) -> None:
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


class _STL10(FilesExistIntegrity, datasets.STL10):
    def files_exist(self) -> bool:
        folder = Path(self.root) / self.base_folder
        return all((folder / name).is_file() for name, _ in self.train_list + self.test_list)


def _fetch_again(path: Path) -> str:
    # With the file present data.download=true does nothing: the damaged file must go first.
    return f"Delete {path} and run again with data.download=true (it fetches the missing files)"


def read_idx(path: str | Path) -> torch.Tensor:
    """An IDX file (MNIST's format), plain or gzipped (``.gz``, as downloaded), as a uint8 tensor.

    Raises:
        DatasetError: not an IDX file of unsigned bytes, or shorter than its header says.
    """
    path = Path(path)
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as handle:
            data = handle.read()
    except (OSError, EOFError) as error:
        raise DatasetError(f"cannot read {path}: {error}. {_fetch_again(path)}") from error
    magic = int.from_bytes(data[:4], "big") if len(data) >= 4 else 0
    ndim, kind = magic & 0xFF, (magic >> 8) & 0xFF
    if magic >> 16 != 0 or kind != 0x08 or not 1 <= ndim <= 3 or len(data) < 4 + 4 * ndim:
        raise DatasetError(f"{path} is not an IDX file of unsigned bytes (magic number {magic:#010x})")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(data) < expected:
        raise DatasetError(f"{path} is truncated: {len(data)} bytes, its header says {expected}. {_fetch_again(path)}")
    array = np.frombuffer(data, dtype=np.uint8, count=int(np.prod(dims)), offset=4 + 4 * ndim).reshape(dims)
    return torch.from_numpy(array.copy())


class _IdxFiles(IdxFilesLoader):
    """MNIST-format datasets read from their IDX files as they are, extracted or still gzipped
    (``train-images-idx3-ubyte.gz`` as downloaded from the dataset's page)."""

    folder_name = "MNIST"

    @property
    def raw_folder(self) -> str:
        return str(Path(self.root) / self.folder_name / "raw")

    def idx_file(self, name: str) -> Path:
        plain = Path(self.raw_folder) / name
        return plain if plain.is_file() or not plain.with_name(name + ".gz").is_file() else plain.with_name(name + ".gz")

    def files_exist(self) -> bool:
        return all(self.idx_file(Path(url).stem).is_file() for url, _ in self.resources)

    def load_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        prefix = "train" if self.train else "t10k"
        images = read_idx(self.idx_file(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self.idx_file(f"{prefix}-labels-idx1-ubyte")).long()
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(f"{self.raw_folder}: {len(images)} images but {len(labels)} labels for {prefix}")
        return images, labels


class _MNIST(_IdxFiles, datasets.MNIST):
    folder_name = "MNIST"


class _FashionMNIST(_IdxFiles, datasets.FashionMNIST):
    folder_name = "FashionMNIST"


class _Imagenette(datasets.Imagenette):
    """Imagenette with one readable name per class (torchvision gives tuples of synonyms) and
    ``targets`` (for the class counts and seeded subsets), its photos read upright (EXIF
    orientation) like every other image file."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("loader", load_image)
        super().__init__(*args, **kwargs)
        self.classes = [names[0] for names in self.classes]
        self.targets = [label for _, label in imagenette_samples(self)]


@dataclass(frozen=True)
class TorchvisionDatasetInfo:
    """How to load one torchvision dataset: its class, folder under the data root, and split kwargs."""

    factory: Callable[..., Any]
    folder: str
    splits: dict[str, dict[str, Any]]
    url_hint: str
    files: tuple[str, ...] = ()  # what the folder must hold (each also accepted with .gz for IDX files)


def _imagenette(size: str, folder: str) -> TorchvisionDatasetInfo:
    """Imagenette at one of its sizes: ``<folder>/{train,val}/<wnid>/*.JPEG``. It has no
    test split: its ``val`` split serves as the test split too (as in the benchmarks)."""
    val = {"split": "val"}
    return TorchvisionDatasetInfo(partial(_Imagenette, size=size), folder,
                                  {"train": {"split": "train"}, "val": val, "test": val},
                                  f"https://s3.amazonaws.com/fast-ai-imageclas/{folder}.tgz")


_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_CIFAR10_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")

TORCHVISION_DATASETS: dict[str, TorchvisionDatasetInfo] = {
    "cifar10": TorchvisionDatasetInfo(_CIFAR10, "cifar-10-batches-py", {"train": {"train": True}, "test": {"train": False}},
                                      "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", _CIFAR10_FILES),
    "cifar100": TorchvisionDatasetInfo(_CIFAR100, "cifar-100-python", {"train": {"train": True}, "test": {"train": False}},
                                       "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                                       ("train", "test", "meta")),
    "mnist": TorchvisionDatasetInfo(_MNIST, "MNIST/raw", {"train": {"train": True}, "test": {"train": False}},
                                    "the four .gz files of http://yann.lecun.com/exdb/mnist/", _IDX_FILES),
    "fashion_mnist": TorchvisionDatasetInfo(_FashionMNIST, "FashionMNIST/raw",
                                            {"train": {"train": True}, "test": {"train": False}},
                                            "the four .gz files of https://github.com/zalandoresearch/fashion-mnist",
                                            _IDX_FILES),
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
    """Download ``name`` into ``root`` with torchvision's own code (needs a network); files
    already there are kept (nothing is downloaded again).

    Raises:
        DatasetError: the download failed (no network, say), with where to put the files by hand.
    """
    info = _info(name)
    with dataset_download(name, manual_download_hint(name, root)):
        for kwargs in info.splits.values():
            info.factory(root=str(root), download=True, **kwargs)


def manual_download_hint(name: str, root: str | Path) -> str:
    """How to put ``name``'s files under ``root`` by hand: the files or archive, and the folder."""
    info = _info(name)
    folder = Path(root) / info.folder
    if info.files == _IDX_FILES:
        return f"put {', '.join(f + '.gz' for f in info.files)} ({info.url_hint}) in {folder} (gzipped or extracted)"
    holds = f" ({', '.join(info.files)})" if info.files else ""
    return f"download {info.url_hint} and extract it under {Path(root)}, which gives {folder}{holds}"


def load_torchvision_dataset(name: str, root: str | Path, split: str) -> Any:
    """The raw torchvision dataset (no transform) of ``split``.

    Raises:
        DatasetError: the files are missing (with the download hint) or unreadable.
    """
    info = _info(name)
    if split not in info.splits:
        raise DatasetError(f"{name} has no split {split!r}; splits: {', '.join(info.splits)}")
    folder = Path(root) / info.folder
    missing = [name for name in info.files
               if not (folder / name).is_file() and not (folder / f"{name}.gz").is_file()]
    if not folder.is_dir() or missing:
        what = (f"its files in {folder}" if not folder.is_dir() or len(missing) == len(info.files)
                else f"{', '.join(missing)} in {folder}")
        raise DatasetError(
            f"{name} not found: expected {what}{_found_elsewhere(Path(root), info, folder)}. Add data.download=true "
            f"to download it (needs a network), or {manual_download_hint(name, root)} "
            f"(data.root={root}; NNFRAME_DATA_DIR sets the data root for all datasets)."
        )
    # data.download=true alone keeps files that are there: they must go first.
    again = f"Delete {folder} and run with data.download=true, or {manual_download_hint(name, root)}"
    try:
        return info.factory(root=str(root), download=False, **info.splits[split])
    except KeyError as error:
        bytes_keyed = _bytes_keyed_pickle(folder, info.files)
        if bytes_keyed is not None:
            raise DatasetError(
                f"cannot load {name}: {bytes_keyed} was pickled with bytes keys (b'data', b'labels': a copy read "
                "with encoding='bytes' and saved again); the original files, which torchvision reads, have str "
                f"keys. {again}") from error
        raise DatasetError(f"cannot load {name} from {folder}: no key {error} in its files. {again}") from error
    except (RuntimeError, OSError, ValueError, EOFError) as error:
        raise DatasetError(f"cannot load {name} from {folder}: {error}. {again}") from error
    except Exception as error:  # unpickling a damaged CIFAR batch raises anything
        raise DatasetError(f"cannot load {name} from {folder}: {error!r}. {again}") from error


def _bytes_keyed_pickle(folder: Path, files: tuple[str, ...]) -> Path | None:
    """The first of ``files`` that is a pickled dict with bytes keys (``b'data'``), else None."""
    for name in files:
        try:
            with open(folder / name, "rb") as handle:
                content = pickle.load(handle, encoding="latin1")
        except Exception:  # not a pickle (IDX files), or damaged: not this problem
            continue
        if isinstance(content, dict) and any(isinstance(key, bytes) for key in content):
            return folder / name
    return None


def _found_elsewhere(root: Path, info: TorchvisionDatasetInfo, folder: Path) -> str:
    """``; found <file> in <other folder>: move ...`` when an expected file lies elsewhere under
    ``root`` (a few levels deep), or the downloaded archive sits there unextracted."""
    if not root.is_dir():
        return ""
    wanted = set(info.files) | {f"{n}.gz" for n in info.files}
    archive = info.url_hint.rsplit("/", 1)[-1] if info.url_hint.endswith((".tar.gz", ".tgz", ".zip")) else None
    for depth in range(4):
        for path in sorted(root.glob("/".join(["*"] * (depth + 1)))):
            if archive and path.name == archive:
                return (f"; found the archive {path}: extract it there (tar xzf {path.name}), or data.download=true "
                        "verifies and extracts it without downloading again")
            if path.name in wanted and path.parent != folder and path.is_file():
                return f"; found {path.name} in {path.parent}: move the files into {folder}"
    return ""


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
